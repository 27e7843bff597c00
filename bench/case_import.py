"""Bench case: importing a 200,000 × 60 Windows-1252 semicolon CSV with decimal commas (what
Swedish Excel writes), lyhord's ``read_export`` against what a user does without it: decode
the bytes to UTF-8 (``iconv``-style, here Python's codec) and ``polars.read_csv`` with
``decimal_comma=True``.

lyhord does more in the same call: sniffs encoding, delimiter and decimal, matches the 45
item columns to the instrument, checks every answer against the scale and builds the import
report. The item columns of both results are compared.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from timing import best_of

WHAT = "import of a cp1252 `;` CSV with decimal commas, 60 columns (45 items)"
TOOLS = ["lyhord", "polars+iconv"]
TARGET = "at least polars' own reader (issue 18); lyhord also maps and checks answers"
ROWS, QUICK_ROWS = 200_000, 20_000
HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
INSTRUMENT = HERE / "bench45.toml"


def export_frame(rows: int) -> pl.DataFrame:
    """Exempelkommun answers to the 45 bench items, 6 background columns and 9 more
    (employment rate with a decimal, dates, a free-text comment): 60 columns."""
    import lyhord as ly

    df = ly.example_data("staff", year=2025, n=rows)
    items = [i for i in ly.Instrument.from_toml(INSTRUMENT).items if i in df.columns]
    extra = [f"x{i:02d}" for i in range(1, 18)]
    df = df.with_columns(
        pl.col(items[j % len(items)]).shift(j + 1).alias(name) for j, name in enumerate(extra)
    )
    background = ["respondent_id", "year", "forvaltning", "enhet", "kon", "aldersgrupp"]
    n = pl.int_range(pl.len())
    more = [
        ((n % 4 + 2) / 5).alias("sysselsattningsgrad"),
        pl.lit("2025-03-03").alias("startdatum"),
        pl.lit("2025-03-04").alias("slutdatum"),
        (n % 40 + 3).alias("minuter"),
        pl.when(n % 9 == 0).then(pl.lit("Bra arbetsmiljö, men för lite tid")).alias("kommentar"),
        pl.lit("webb").alias("kanal"),
        pl.lit("svenska").alias("sprak"),
        (n % 3).alias("paminnelser"),
        pl.lit("Exempelkommun").alias("kommun"),
    ]
    return df.select(*background, *items, *extra, *more)


def csv_path(rows: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"export_cp1252_{rows}.csv"
    if not path.exists():
        text = export_frame(rows).write_csv(separator=";", decimal_comma=True)
        path.write_bytes(text.encode("cp1252"))
    return path


def prepare(quick: bool) -> None:
    """Writes the CSV export before any worker runs (see ``run.py``)."""
    csv_path(QUICK_ROWS if quick else ROWS)


def item_sum(df: pl.DataFrame, items: list[str]) -> int:
    return int(df.select(pl.sum_horizontal(pl.col(items).fill_null(0)).sum()).item())


def work(tool: str, quick: bool) -> dict:
    import lyhord as ly

    path = csv_path(QUICK_ROWS if quick else ROWS)
    inst = ly.Instrument.from_toml(INSTRUMENT)
    if tool == "lyhord":
        seconds, (data, report) = best_of(lambda: ly.read_export(path, inst), 3)
        return {
            "seconds": seconds,
            "rows": data.height,
            "columns": data.width,
            "item_sum": item_sum(data, inst.items),
            "decimal": report.source["decimal"],
        }

    def job():
        utf8 = path.read_bytes().decode("cp1252").encode("utf-8")
        return pl.read_csv(io.BytesIO(utf8), separator=";", decimal_comma=True)

    seconds, data = best_of(job, 3)
    return {
        "seconds": seconds,
        "rows": data.height,
        "columns": data.width,
        "item_sum": item_sum(data, inst.items),
    }
