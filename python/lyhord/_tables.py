"""Reading and writing plain tables (headcounts, stored results, outputs): one way for the
CLI, the yearly run and the interview readers, each failure naming the file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ._args import file_problem, require
from ._lyhord import LyhordError

OUT_FORMATS = (".csv", ".xlsx", ".parquet")


def sniff_separator(path: Path) -> str:
    """The most frequent of ``;``, ``,`` and tab on the header line."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda s: counts[s])


def read_table(
    path: Path, separator: str | None = None, sheet: str | int | None = None
) -> pl.DataFrame:
    """Reads a CSV/TSV (separator sniffed), Parquet or Excel file, naming the file on failure.
    ``sheet``: a workbook's sheet name or 0-based index (default the first)."""
    problem = file_problem(path)
    if problem:
        raise LyhordError(f"{path}: {problem}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".xlsx", ".xls", ".ods"):
            return _read_workbook(path, sheet)
        sep = separator or sniff_separator(path)
        return pl.read_csv(path, separator=sep, infer_schema_length=10_000)
    except LyhordError:  # already says what is wrong with the file
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise LyhordError(f"{path}: cannot read as a table: {first_line(e)}") from e


def _read_workbook(path: Path, sheet: str | int | None) -> pl.DataFrame:
    require("fastexcel", "excel", "reading Excel files")
    import fastexcel

    try:
        if isinstance(sheet, int):
            return pl.read_excel(path, sheet_id=sheet + 1)
        return pl.read_excel(path, sheet_name=sheet) if sheet else pl.read_excel(path)
    # fastexcel's errors derive from Exception only; a file it cannot read is bad input.
    except fastexcel.FastExcelError as e:
        raise LyhordError(f"{path}: cannot read as a workbook: {first_line(e)}") from e


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
