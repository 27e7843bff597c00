"""Bench case: design-based domain means with Taylor standard errors — 1,000,000 rows, 50
strata, 2,000 clusters (PSUs), by a 1,000-group domain and by a 6-group one — lyhord
against ``svy`` (the Rust + polars survey library, ``Sample.estimation.mean(by=...)``).

Each tool gets its design built before the clock starts (svy its ``Sample``); the clock
covers the estimates only. The estimates and SEs of the two are compared domain by domain.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from timing import best_of

WHAT = "domain means + Taylor SE, 50 strata, 2,000 PSUs, 1,000 and 6 domains"
TOOLS = ["lyhord", "svy"]
TARGET = "lyhord ≥ 3× faster than svy at 1,000,000 rows and 1,000 domains"
ROWS, QUICK_ROWS = 1_000_000, 50_000


def make_sample(rows: int, seed: int = 20261128) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 50, rows)
    psu = stratum * 40 + rng.integers(0, 40, rows)  # 40 clusters per stratum, nested
    cluster_effect = rng.normal(0, 5, 2000)[psu]
    domain = rng.integers(0, 1000, rows)
    return pl.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "w": rng.uniform(50, 150, rows),
            "y": 60 + cluster_effect + (domain % 7) + rng.normal(0, 15, rows),
            "domain": domain,
            "region": domain % 6,
        }
    )


def summary(estimates: np.ndarray, ses: np.ndarray) -> dict:
    return {
        "domains": int(len(estimates)),
        "first_estimates": [round(float(x), 9) for x in estimates[:3]],
        "first_ses": [round(float(x), 9) for x in ses[:3]],
    }


def lyhord_run(df: pl.DataFrame) -> tuple[float, float, pl.DataFrame]:
    """lyhord's domain means by the 1,000-group domain (best of 3; its table) and by the
    6-group one (best of 3): also the lyhord side of ``case_domains_r``."""
    import lyhord as ly

    design = ly.Design(weights="w", strata="stratum", psu="psu")

    def job(by: str):
        out = ly.design_estimate(df, design, "y", by=by, min_group=1)
        return out.filter(pl.col("level") == 1).sort(by)

    seconds, out = best_of(lambda: job("domain"), 3)
    seconds_6, _ = best_of(lambda: job("region"), 3)
    return seconds, seconds_6, out


def work(tool: str, quick: bool) -> dict:
    df = make_sample(QUICK_ROWS if quick else ROWS)
    if tool == "lyhord":
        seconds, seconds_6, out = lyhord_run(df)
        return {
            "seconds": seconds,
            "seconds_6_domains": seconds_6,
            **summary(out["estimate"].to_numpy(), out["se"].to_numpy()),
        }
    import svy

    sample = svy.Sample(df, svy.Design(stratum="stratum", psu="psu", wgt="w"))

    def job_svy(by: str):
        return sample.estimation.mean("y", by=by)

    seconds, out = best_of(lambda: job_svy("domain"), 2)
    seconds_6, _ = best_of(lambda: job_svy("region"), 3)
    table = out.to_polars() if hasattr(out, "to_polars") else pl.DataFrame(out)
    table = table.sort("domain") if "domain" in table.columns else table
    return {
        "seconds": seconds,
        "seconds_6_domains": seconds_6,
        "version": svy.__version__,
        **summary(table["est"].to_numpy(), table["se"].to_numpy()),
    }
