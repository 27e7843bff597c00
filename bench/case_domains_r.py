"""Bench case: design-based domain means with Taylor standard errors at 100,000 rows — 50
strata, 2,000 clusters (PSUs), by a 1,000-group domain and by a 6-group one — lyhord
against R ``survey`` (``svyby(~y, ~domain, design, svymean)``), the tool a statistician
checks such numbers with.

The sample is ``case_domains``' generator at 100,000 rows, written once by ``prepare``
(Parquet for lyhord, CSV for R). Each tool gets its design built before the clock (R its
``svydesign``): R's time is measured inside R around the ``svyby`` calls (not R's start-up,
``read.csv`` or ``svydesign``), its memory as the child process's peak. Agreement: every
domain's mean and SE against R's.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from pathlib import Path

import polars as pl
from case_domains import lyhord_run, make_sample

WHAT = "domain means + Taylor SE at 100,000 rows, 50 strata, 2,000 PSUs, 1,000 and 6 domains"
TOOLS = ["lyhord", "R survey"]
TARGET = "lyhord ≥ 100× faster than R survey's svyby at 100,000 rows"
ROWS, QUICK_ROWS = 100_000, 20_000
DATA = Path(__file__).parent / ".data"

R_SCRIPT = """
suppressPackageStartupMessages(library(survey))
d <- read.csv("{csv}")
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
six <- system.time(r6 <- svyby(~y, ~region, des, svymean))[["elapsed"]]
many <- system.time(r <- svyby(~y, ~domain, des, svymean))[["elapsed"]]
r <- r[order(r$domain), ]
cat(sprintf('{{"seconds": %.6f, "seconds_6_domains": %.6f, "survey": "%s", "domains": %d,
  "estimates": [%s], "ses": [%s]}}\\n', many, six, packageVersion("survey"), nrow(r),
  paste(sprintf("%.12f", r$y), collapse = ", "), paste(sprintf("%.12f", r$se), collapse = ", ")))
"""


def paths(quick: bool) -> tuple[Path, Path]:
    rows = QUICK_ROWS if quick else ROWS
    return DATA / f"domains_r_{rows}.parquet", DATA / f"domains_r_{rows}.csv"


def prepare(quick: bool) -> None:
    parquet, csv = paths(quick)
    if parquet.exists() and csv.exists():
        return
    DATA.mkdir(exist_ok=True)
    sample = make_sample(QUICK_ROWS if quick else ROWS)
    sample.write_parquet(parquet)
    sample.write_csv(csv)


def work(tool: str, quick: bool) -> dict:
    parquet, csv = paths(quick)
    if tool == "lyhord":
        times, out = lyhord_run(pl.read_parquet(parquet))
        return {
            **times,
            "domains": out.height,
            "estimates": out["estimate"].to_list(),
            "ses": out["se"].to_list(),
        }
    if shutil.which("Rscript") is None:
        raise SystemExit("R is not installed (make r-reference installs R and survey)")
    done = subprocess.run(
        ["Rscript", "-e", R_SCRIPT.format(csv=csv)], capture_output=True, text=True, check=True
    )
    out = json.loads(" ".join(done.stdout.split()))
    out["child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def agreement(results: dict) -> dict:
    """Largest difference of a domain's mean and of its SE between the two tools (the
    per-domain lists are dropped from the printed results once compared)."""
    ours, theirs = results["lyhord"], results["R survey"]
    lists = {k: (ours.pop(k, []), theirs.pop(k, [])) for k in ("estimates", "ses")}
    if ours.get("domains") != theirs.get("domains"):
        return {"domains": [ours.get("domains"), theirs.get("domains")]}

    def worst(key: str) -> float:
        return max(abs(a - b) for a, b in zip(*lists[key], strict=True))

    ratio_6 = theirs["seconds_6_domains"] / ours["seconds_6_domains"]
    return {
        "domains": ours["domains"],
        "max_abs_mean_difference": worst("estimates"),
        "max_abs_se_difference": worst("ses"),
        "speedup_6_domains": round(ratio_6, 1),
    }
