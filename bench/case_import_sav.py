"""Bench case: reading an SPSS ``.sav`` of 200,000 respondents × 60 variables (45 items with
value labels and user-missing codes, bytecode-compressed as SPSS writes it), lyhord's
``read_export`` against ``pyreadstat.read_sav`` (ReadStat, C), the reader Python users pick.

The file is written by ``ly.write_sav`` from the same frame as the CSV case. lyhord also
matches the items to the instrument, applies the user-missing codes and builds the report;
pyreadstat returns a pandas frame with the labels as metadata. Item sums are compared.
"""

from __future__ import annotations

import polars as pl
from case_import import DATA, INSTRUMENT, QUICK_ROWS, ROWS, export_frame, item_sum
from timing import best_of

WHAT = "import of an SPSS .sav, 60 variables (45 items with value labels, user-missing 9)"
TOOLS = ["lyhord", "pyreadstat"]
TARGET = "report the ratio (the issue sets no target); lyhord also maps and checks answers"


def sav_path(rows: int):
    import lyhord as ly

    DATA.mkdir(exist_ok=True)
    path = DATA / f"export_{rows}.sav"
    if not path.exists():
        df = export_frame(rows)
        items = [i for i in ly.Instrument.from_toml(INSTRUMENT).items if i in df.columns]
        labels = {1: "Stämmer inte alls", 5: "Stämmer helt", 6: "Vet ej", 9: "Ej svar"}
        ly.write_sav(
            df.with_columns(pl.col(items).fill_null(9)),
            path,
            value_labels={i: labels for i in items},
            user_missing={i: [9] for i in items},
        )
    return path


def prepare(quick: bool) -> None:
    """Writes the `.sav` file before any worker runs (see ``run.py``)."""
    sav_path(QUICK_ROWS if quick else ROWS)


def work(tool: str, quick: bool) -> dict:
    import lyhord as ly

    path = sav_path(QUICK_ROWS if quick else ROWS)
    inst = ly.Instrument.from_toml(INSTRUMENT)
    if tool == "lyhord":
        seconds, (data, _) = best_of(lambda: ly.read_export(path, inst), 3)
        return {"seconds": seconds, "rows": data.height, "item_sum": item_sum(data, inst.items)}
    import pyreadstat

    seconds, (frame, _) = best_of(lambda: pyreadstat.read_sav(str(path)), 3)
    data = pl.from_pandas(frame[inst.items])
    return {"seconds": seconds, "rows": data.height, "item_sum": item_sum(data, inst.items)}
