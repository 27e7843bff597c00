"""Reading and writing plain tables (headcounts, stored results, outputs): one way for the
CLI, the yearly run and the interview readers, each failure naming the file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ._args import file_problem, require
from ._import import read_table as read_any_table
from ._lyhord import LyhordError

OUT_FORMATS = (".csv", ".xlsx", ".parquet")


def read_table(
    path: Path, separator: str | None = None, sheet: str | int | None = None
) -> pl.DataFrame:
    """A plain table (headcounts, coded segments, a source named in the follow-up config)
    read by the export readers, as :func:`lyhord.read_table` reads it: CSV/TSV (encoding,
    separator and decimal comma sniffed), ``.xlsx``/``.xls``/``.ods``, ``.sav``,
    ``.parquet``; every failure a :class:`lyhord.DataError` naming the file.
    ``sheet``: a workbook's sheet name or 0-based index (default the first)."""
    problem = file_problem(path)
    if problem:
        raise LyhordError(f"{path}: {problem}")
    return read_any_table(path, delimiter=separator, sheet=sheet).data


def first_line(error: BaseException) -> str:
    """Readers' messages run over several lines (context, backtraces); the first says it."""
    return next((line.strip() for line in str(error).splitlines() if line.strip()), "")


def write_table(table: pl.DataFrame, out: Path, separator: str = ",") -> None:
    suffix = out.suffix.lower()
    if suffix not in OUT_FORMATS:
        raise LyhordError(f"{out}: write .csv, .xlsx or .parquet, not {suffix or 'no suffix'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.write_csv(out, separator=separator)
    elif suffix == ".parquet":
        table.write_parquet(out)
    else:
        require("xlsxwriter", "excel", "writing .xlsx")
        table.write_excel(out, worksheet="lyhord")
