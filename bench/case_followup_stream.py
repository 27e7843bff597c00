"""Bench case: the national-scale follow-up. 12,000,000 respondent-waves (1.2 M employees ×
10 yearly waves, 290 kommuner × 5 förvaltningar, the 14 EPL items) stored as one Parquet
file per year, estimated per kommun and förvaltning for every year and stacked into a trend.

- ``lyhord``: ``ly.summarise(pl.scan_parquet(...), by=["year", "kommun", "forvaltning"])``
  streams the files through polars' streaming engine batch by batch and keeps only the sums
  per group; ``ly.estimate_from_sums`` then publishes each year (means, SDs, SEs, CIs,
  percent positive for the index, 3 dimensions and 14 items, with suppression) and
  ``ly.trend`` stacks them.
- ``lyhord_in_memory``: the same estimates from ``pl.read_parquet`` of all ten files and
  ``ly.estimate`` per year: the memory a user needs without streaming.
- ``polars``: what a user would write instead: the EPL scoring rules as polars expressions
  (recode, reverse keys, "vet ej" out, minimum answered items, index needs all dimensions)
  and a ``group_by(...).agg(n, mean, std)`` of the index only, run with
  ``collect(engine="streaming")``; no items, no percent positive, no suppression.

Peak memory is the process's high-water mark, data reading included. The EPL index per
(year, kommun, förvaltning) is compared between lyhord and the polars query.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from timing import best_of

WHAT = "national follow-up: 10 yearly Parquet files → estimates per kommun × förvaltning + trend"
TOOLS = ["lyhord", "lyhord_in_memory", "polars"]
TARGET = (
    "12 M respondent-waves streamed in bounded memory: lyhord's peak memory well below the "
    "in-memory run's and of the order of a polars streaming query's"
)
YEARS = list(range(2016, 2026))
EMPLOYEES, QUICK_EMPLOYEES = 1_200_000, 50_000
KOMMUNER = 290
BY = ["kommun", "forvaltning"]
DATA = Path(__file__).resolve().parent / ".data"
INSTRUMENT = "epl-staff"


def folder(employees: int) -> Path:
    """One Parquet file per year of ``employees`` Exempelkommun-style respondents spread
    over 290 kommuner (sizes falling off as in Sweden: a few large, many small)."""
    import lyhord as ly

    out = DATA / f"national_{employees}"
    if out.exists() and len(list(out.glob("*.parquet"))) == len(YEARS):
        return out
    out.mkdir(parents=True, exist_ok=True)
    items = ly.Instrument.builtin(INSTRUMENT).items
    sizes = 1.0 / np.arange(1, KOMMUNER + 1) ** 0.9
    for year in YEARS:
        rng = np.random.default_rng(year)
        kommun = rng.choice(KOMMUNER, employees, p=sizes / sizes.sum())
        # The generator has the waves 2024 and 2025; other years reuse their model with a
        # seed of their own, so every file holds different respondents.
        df = ly.example_data("staff", year=2024 + year % 2, seed=year, n=employees)
        df.select(
            pl.lit(year, dtype=pl.Int32).alias("year"),
            pl.Series("kommun", [f"K{k + 1:03d}" for k in kommun]),
            "forvaltning",
            *items,
        ).write_parquet(out / f"year={year}.parquet")
    return out


def lyhord_streaming(files: str) -> pl.DataFrame:
    import lyhord as ly

    sums = ly.summarise(pl.scan_parquet(files), INSTRUMENT, by=["year", *BY])
    waves = {
        year: ly.estimate_from_sums(sums.filter(pl.col("year") == year), INSTRUMENT, by=BY)
        for year in YEARS
    }
    return ly.trend(waves)


def lyhord_in_memory(files: str) -> pl.DataFrame:
    import lyhord as ly

    df = pl.read_parquet(files)
    waves = {
        year: ly.estimate(df.filter(pl.col("year") == year), INSTRUMENT, by=BY) for year in YEARS
    }
    return ly.trend(waves)


def epl_expression() -> pl.Expr:
    """The epl-staff rules written by hand: 1–5 → (x − 1)·25 (reverse: (5 − x)·25), 6 = vet
    ej → missing; a dimension needs 3 of 5 (engagement, participation) or 2 of 4 (learning)
    answers; the index is the mean of the three and needs all three."""

    def item(name: str, reverse: bool) -> pl.Expr:
        x = pl.col(name)
        valid = x.is_between(1, 5)
        return pl.when(valid).then(((5 - x) if reverse else (x - 1)) * 25.0)

    def dimension(names: list[str], reversed_: set[str], need: int) -> pl.Expr:
        scores = [item(n, n in reversed_) for n in names]
        answered = pl.sum_horizontal([s.is_not_null() for s in scores])
        return pl.when(answered >= need).then(pl.mean_horizontal(scores))

    eng = dimension([f"eng{i}" for i in range(1, 6)], {"eng4"}, 3)
    dele = dimension([f"del{i}" for i in range(1, 6)], {"del5"}, 3)
    lar = dimension([f"lar{i}" for i in range(1, 5)], set(), 2)
    return (eng + dele + lar) / 3.0


def polars_streaming(files: str) -> pl.DataFrame:
    return (
        pl.scan_parquet(files)
        .with_columns(epl_expression().alias("epl"))
        .group_by(["year", *BY])
        .agg(
            pl.col("epl").count().alias("n"),
            pl.col("epl").mean().alias("mean"),
            pl.col("epl").std().alias("sd"),
        )
        .collect(engine="streaming")
    )


def prepare(quick: bool) -> None:
    """Writes the yearly Parquet files before any worker runs (see ``run.py``): a fresh
    checkout's first run used to make them inside the first timed worker."""
    folder(QUICK_EMPLOYEES if quick else EMPLOYEES)


def work(tool: str, quick: bool) -> dict:
    employees = QUICK_EMPLOYEES if quick else EMPLOYEES
    files = str(folder(employees) / "*.parquet")
    job = {
        "lyhord": lyhord_streaming,
        "lyhord_in_memory": lyhord_in_memory,
        "polars": polars_streaming,
    }[tool]
    seconds, table = best_of(lambda: job(files), 1 if not quick else 2)
    table.write_parquet(DATA / f"followup_stream_{tool}.parquet")
    out = {"seconds": seconds, "respondent_waves": employees * len(YEARS)}
    if tool != "polars":
        out["cells"] = table.height
        out["groups"] = table.filter(pl.col("level") == 2, pl.col("measure") == "epl").height
        out["suppressed_cells"] = int(table["suppressed"].sum())
        return out
    # lyhord ran first (TOOLS order): compare its published EPL cells with this query.
    out["groups"] = table.height
    lyhord = DATA / "followup_stream_lyhord.parquet"
    if lyhord.exists():
        leaves = pl.read_parquet(lyhord).filter(
            pl.col("level") == 2, pl.col("measure") == "epl", ~pl.col("suppressed")
        )
        j = leaves.join(table, on=["year", *BY], suffix="_polars")
        out["cells_compared"] = j.height
        out["max_abs_diff_epl_mean"] = j.select(
            (pl.col("mean") - pl.col("mean_polars")).abs().max()
        ).item()
        out["max_abs_diff_epl_sd"] = j.select(
            (pl.col("sd") - pl.col("sd_polars")).abs().max()
        ).item()
        out["same_n"] = j.select(
            (pl.col("n").cast(pl.Int64) == pl.col("n_polars").cast(pl.Int64)).all()
        ).item()
    return out
