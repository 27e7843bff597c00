"""Bench case: design-based domain means with Taylor standard errors — 1,000,000 rows, 50
strata, 2,000 clusters (PSUs), by a 1,000-group domain and by a 6-group one — lyhord
against ``svy`` (the Rust + polars survey library, ``Sample.estimation.mean(by=...)``).

Each tool gets its design built before the clock starts (svy its ``Sample``, lyhord its
``Design.prepare``); the clock covers the estimates only. lyhord's times with the design
coded inside each call are reported beside them. The estimates and SEs of the two are
compared domain by domain.
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


def lyhord_run(df: pl.DataFrame) -> tuple[dict, pl.DataFrame]:
    """lyhord's domain means by the 1,000-group domain and by the 6-group one (best of 3
    each), with the design prepared before the clock (as svy's ``Sample`` and R's
    ``svydesign`` are) and, for comparison, coded inside every call; the 1,000-domain
    table. Also the lyhord side of ``case_domains_r``."""
    import lyhord as ly

    design = ly.Design(weights="w", strata="stratum", psu="psu")
    prepare_seconds, prepared = best_of(lambda: design.prepare(df), 3)

    def job(by: str, how: ly.Design | ly.PreparedDesign):
        out = ly.design_estimate(df, how, "y", by=by, min_group=1)
        return out.filter(pl.col("level") == 1).sort(by)

    seconds, out = best_of(lambda: job("domain", prepared), 3)
    seconds_6, _ = best_of(lambda: job("region", prepared), 3)
    cold, cold_out = best_of(lambda: job("domain", design), 3)
    cold_6, _ = best_of(lambda: job("region", design), 3)
    assert cold_out.equals(out), "a prepared design must give what the design gives"
    times = {
        "seconds": seconds,
        "seconds_6_domains": seconds_6,
        "seconds_prepare": prepare_seconds,
        "seconds_unprepared": cold,
        "seconds_6_domains_unprepared": cold_6,
    }
    return times, out


def work(tool: str, quick: bool) -> dict:
    df = make_sample(QUICK_ROWS if quick else ROWS)
    if tool == "lyhord":
        times, out = lyhord_run(df)
        return {**times, **summary(out["estimate"].to_numpy(), out["se"].to_numpy())}
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
