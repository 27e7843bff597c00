"""Bench case: measurement invariance of 3 dimensions across 5 förvaltningar on 50,000
respondents, lyhord against R lavaan (the tool a researcher would use, with semTools).

The same models on the same answers: for each of epl-staff's three dimensions, the
configural, metric, scalar and strict models (``cfa(model, data, group = "forvaltning",
group.equal = ...)``), and for learning, where scalar invariance fails on the planted item,
the partial scalar and strict models with lar3's intercept free (``group.partial =
"lar3~1"``). lyhord's one call also searches for that item (it fits every candidate model
on the way), so it does more work than the lavaan script, which is told the item.

Inputs are written once by ``prepare`` (Exempelkommun's 2025 staff answers, 50,000
respondents: Parquet for lyhord, the codes 1–5 as CSV for R). R's time is measured inside R
around the ``cfa`` calls (not R's start-up or ``read.csv``), its memory as the child
process's peak. Agreement: every model's χ² in lyhord's table against lavaan's.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from pathlib import Path

import polars as pl
from timing import best_of

WHAT = "measurement invariance, 3 dimensions × 4 steps (+ partial) across 5 förvaltningar"
TOOLS = ["lyhord", "lavaan"]
TARGET = "lyhord ≥ 10× faster than R lavaan on the same models, in seconds at 50,000"
ROWS, QUICK_ROWS = 50_000, 10_000
DATA = Path(__file__).parent / ".data"
DIMENSIONS = {
    "engagement": ["eng1", "eng2", "eng3", "eng4", "eng5"],
    "participation": ["del1", "del2", "del3", "del4", "del5"],
    "learning": ["lar1", "lar2", "lar3", "lar4"],
}

R_SCRIPT = """
suppressPackageStartupMessages(library(lavaan))
d <- read.csv("{csv}")
dims <- list({dims})
steps <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
              strict = c("loadings", "intercepts", "residuals"))
chisq <- list()
seconds <- system.time({{
  for (dim in names(dims)) {{
    m <- paste(dim, "=~", paste(dims[[dim]], collapse = " + "))
    for (s in names(steps)) {{
      f <- cfa(m, data = d, group = "forvaltning", group.equal = steps[[s]])
      chisq[[paste(dim, s)]] <- fitMeasures(f, "chisq")[[1]]
    }}
    if (dim == "learning") for (s in c("scalar", "strict")) {{
      f <- cfa(m, data = d, group = "forvaltning", group.equal = steps[[s]],
               group.partial = "lar3~1")
      chisq[[paste(dim, s, "partial")]] <- fitMeasures(f, "chisq")[[1]]
    }}
  }}
}})[["elapsed"]]
cat(sprintf('{{"seconds": %.6f, "lavaan": "%s", "chisq": {{%s}}}}\\n', seconds,
            packageVersion("lavaan"),
            paste(sprintf('"%s": %.10f', names(chisq), unlist(chisq)), collapse = ", ")))
"""


def paths(quick: bool) -> tuple[Path, Path]:
    rows = QUICK_ROWS if quick else ROWS
    return DATA / f"invariance_{rows}.parquet", DATA / f"invariance_{rows}.csv"


def prepare(quick: bool) -> None:
    import lyhord as ly

    parquet, csv = paths(quick)
    if parquet.exists() and csv.exists():
        return
    DATA.mkdir(exist_ok=True)
    answers = ly.example_data("staff", year=2025, n=QUICK_ROWS if quick else ROWS)
    answers.write_parquet(parquet)
    items = [i for items in DIMENSIONS.values() for i in items]
    # The codes as lyhord scores them ("vet ej" = 6 and no answer missing); reverse keys
    # and the 0–100 scale are linear per item, which leaves every fit unchanged.
    codes = [pl.when(pl.col(c).is_between(1, 5)).then(pl.col(c)).alias(c) for c in items]
    answers.select("forvaltning", *codes).write_csv(csv)


def model_keys(table: pl.DataFrame) -> dict[str, float]:
    """χ² of every model in lyhord's table, named as the R script names them: a step after
    a partial one keeps its freed items, so it is the "partial" model too."""
    out, partial = {}, set()
    for r in table.iter_rows(named=True):
        if r["outcome"] == "fails" and r["freed"] is not None:
            continue  # a failed search's model, which the R script does not fit
        if r["outcome"] == "partial":
            partial.add(r["dimension"])
        suffix = " partial" if r["dimension"] in partial and r["outcome"] != "fails" else ""
        out[f"{r['dimension']} {r['step']}{suffix}"] = r["chisq"]
    return out


def work(tool: str, quick: bool) -> dict:
    parquet, csv = paths(quick)
    if tool == "lyhord":
        import lyhord as ly

        answers = pl.read_parquet(parquet)
        seconds, table = best_of(
            lambda: ly.invariance(answers, "epl-staff", group="forvaltning"), 3
        )
        return {"seconds": seconds, "rows": answers.height, "chisq": model_keys(table)}
    if shutil.which("Rscript") is None:
        raise SystemExit("R is not installed (make r-reference installs R and lavaan)")
    dims = ", ".join(
        f"{d} = c({', '.join(repr(i) for i in items)})" for d, items in DIMENSIONS.items()
    )
    script = R_SCRIPT.format(csv=csv, dims=dims.replace("'", '"'))
    done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def agreement(results: dict) -> dict:
    """Largest |Δχ²| between the two tools over the models both fitted."""
    ours, theirs = results["lyhord"].get("chisq", {}), results["lavaan"].get("chisq", {})
    common = sorted(set(ours) & set(theirs))
    worst = max((abs(ours[k] - theirs[k]) for k in common), default=float("nan"))
    return {"models": len(common), "max_abs_chisq_difference": worst}
