"""Survey exports → the tidy answers frame :func:`lyhord.score` takes, with an import report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from . import _lyhord
from ._api import resolve_instrument
from ._args import file_problem
from ._lyhord import ArgumentTypeError, ImportSource, Instrument, LyhordError
from ._types import Header

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class ImportReport:
    """What :func:`read_export` did with every row and column of an export.

    Row numbers are those the user sees: the line of a text file, the row of a
    spreadsheet, the case number of a ``.sav`` or the 1-based row of a DataFrame. Lists of
    rows hold the first 20; the counts are complete.

    Attributes
    ----------
    source : ImportSource
        Read by attribute (``report.source.encoding``) or, as before, by key
        (``report.source["encoding"]``): ``file``, ``format``, ``encoding``,
        ``delimiter``, ``decimal``, ``header`` (the layout read, e.g. "single", "qualtrics
        (legacy V-columns)", "surveymonkey (2 header rows)", "spss dictionary") and
        ``sheet``, as read or sniffed;
        ``header_row`` (1-based row of the header in the file or sheet), ``title_block``
        (something is written above it) and ``header_row_given`` (``header_row=``).
    rows_read, rows_kept : int
        Data rows in the file, and rows in the returned frame (empty rows are left out).
    empty_rows : list[int]
        Rows with no value in any column (excluded).
    id_column : str or None
        The respondent id column (``id=``, else the first present of ResponseId, Respondent
        ID, Svars-ID, Respondent, Respondentnummer, Svarsnummer, Löpnummer, ID — compared
        ignoring case, spaces, hyphens and underscores).
    id_found_by : str or None
        ``"given"`` (``id=``) or ``"name"`` (recognised by its name).
    duplicate_ids : polars.DataFrame
        ``id``, ``count``, ``rows`` of ids given to more than one row (kept, not removed).
    straightliners : list[int]
        Rows that gave the same on-scale answer to every item (kept, flagged).
    columns : polars.DataFrame
        One row per column: ``column``, ``role`` (item / id / background / unmapped — a
        background column resembling an item), ``item``, ``matched_by`` (mapping / id /
        text), ``question``, ``question_number`` (a number such as ``"1."`` or ``"Fråga
        1:"`` left off the column's text before it matched the item's), ``dtype``; for
        item columns (null for others) ``n_valid``,
        ``n_missing``, ``n_dont_know``, ``n_not_applicable``, ``n_user_missing`` (SPSS
        missing codes), ``n_out_of_range``, ``n_unknown_label``, ``n_labels_mapped``; and
        ``out_of_range`` / ``unknown_labels`` as ``value: count (rows …)``. For SPSS files
        (null otherwise): ``format`` (print format, e.g. ``F8.0``, ``DATE11``, ``A20``),
        ``measure`` (nominal / ordinal / scale; null when the file says unknown),
        ``value_labels`` (``1: Socialförvaltningen; 2: …``), ``labels`` (what became of
        them: ``enum`` — the column is a polars Enum of the labels; ``kept`` — not every
        value has a label (or two codes share one), so the codes stay and
        ``labels_note`` says why; ``codes`` — an item, whose codes the instrument maps),
        ``user_missing`` (the declaration as SPSS writes it, ``9, 90 THRU HI``) and
        ``n_user_missing``, the values it turned to null — in background columns too. The
        SPSS variable label is ``question``.
    near_misses : polars.DataFrame
        Columns whose text is close to an item's (≥ 80 % similar) but not equal: ``column``,
        ``item``, ``item_text``, ``similarity``. Never mapped by guess; map with ``mapping=``.
    value_labels : dict
        SPSS value labels per column, ``{column: {value: label}}`` (codes as floats, a
        string variable's values as text); empty for other sources.
    """

    source: ImportSource
    instrument: str
    strict: bool
    rows_read: int
    rows_kept: int
    n_empty_rows: int
    empty_rows: list[int]
    id_column: str | None
    id_found_by: str | None
    n_duplicate_rows: int
    duplicate_ids: pl.DataFrame
    n_straightliners: int
    straightliners: list[int]
    columns: pl.DataFrame
    near_misses: pl.DataFrame
    value_labels: dict[str, dict[float | str, str]]

    @classmethod
    def _from_core(cls, raw: Any) -> ImportReport:
        """The report as the core made it (``_lyhord._ImportReport``), read by attribute."""
        return cls(
            source=raw.source,
            instrument=raw.instrument,
            strict=raw.strict,
            rows_read=raw.rows_read,
            rows_kept=raw.rows_kept,
            n_empty_rows=raw.n_empty_rows,
            empty_rows=raw.empty_rows,
            id_column=raw.id_column,
            id_found_by=raw.id_found_by,
            n_duplicate_rows=raw.n_duplicate_rows,
            duplicate_ids=raw.duplicate_ids,
            n_straightliners=raw.n_straightliners,
            straightliners=raw.straightliners,
            columns=raw.columns,
            near_misses=raw.near_misses,
            value_labels=raw.value_labels,
        )

    def to_frame(self) -> pl.DataFrame:
        """The per-column report (the same as ``columns``)."""
        return self.columns

    def items(self) -> pl.DataFrame:
        """The per-item part of the report: the rows of item columns."""
        return self.columns.filter(pl.col("role") == "item")

    def spss(self) -> pl.DataFrame:
        """The SPSS dictionary per column: ``column``, ``role``, ``dtype`` (as returned),
        ``variable_label``, ``format``, ``measure``, ``value_labels``, ``labels``,
        ``labels_note``, ``user_missing``, ``n_user_missing`` (empty for other sources)."""
        if self.source.format not in ("sav", "zsav"):
            return self.columns.head(0).select(_SPSS_COLUMNS)
        return self.columns.select(_SPSS_COLUMNS)

    def notes(self) -> list[str]:
        """What the import decided that is worth knowing but not a problem: where the
        header was found, which column is the respondent id, question numbers left off."""
        out = _header_notes(self.source)
        if self.id_found_by == "name":
            out.append(
                f"respondent id column: {self.id_column!r} (recognised by its name; "
                "choose another with id=)"
            )
        elif self.id_column is None:
            out.append(
                "no respondent id column recognised, so repeated respondents are not "
                "checked; name it with id="
            )
        for row in self.columns.filter(pl.col("question_number").is_not_null()).iter_rows(
            named=True
        ):
            out.append(
                f"question number {row['question_number']!r} left off column "
                f"{row['column']!r} to match the text of item {row['item']}"
            )
        return out + _spss_notes(self.columns)

    def problems(self) -> list[str]:
        """Everything a statistician should look at, one sentence each (empty when clean)."""
        out = []
        if self.n_empty_rows:
            out.append(f"{self.n_empty_rows} empty row(s) left out: {self.empty_rows}")
        if self.n_duplicate_rows:
            ids = ", ".join(self.duplicate_ids["id"].head(5).to_list())
            out.append(
                f"{self.n_duplicate_rows} row(s) repeat a respondent id already seen "
                f"(column {self.id_column}: {ids}…); kept"
            )
        if self.n_straightliners:
            out.append(
                f"{self.n_straightliners} respondent(s) gave the same answer to every item "
                f"(rows {self.straightliners}); kept"
            )
        for row in self.columns.iter_rows(named=True):
            if row["n_out_of_range"]:
                out.append(
                    f"{row['column']} ({row['item']}): {row['n_out_of_range']} value(s) outside "
                    f"the scale set to missing — {row['out_of_range']}"
                )
            if row["n_unknown_label"]:
                out.append(
                    f"{row['column']} ({row['item']}): {row['n_unknown_label']} answer(s) "
                    f"matching no label set to missing — {row['unknown_labels']}"
                )
        for row in self.near_misses.iter_rows(named=True):
            out.append(
                f"column {row['column']!r} resembles item {row['item']} "
                f"({row['similarity']:.0%}) but was not mapped; map it with mapping= if it is"
            )
        return out

    def __repr__(self) -> str:
        s = self.source
        how = _how_read(s)
        items = self.items()
        lines = [
            f"ImportReport({s.file!r}, instrument {self.instrument})",
            f"  read as {how}; header: {s.header}",
            f"  {self.rows_read} rows read, {self.rows_kept} kept",
            f"  {items.height} item columns "
            f"({', '.join(f'{k}: {v}' for k, v in _matched_by(items).items())}), "
            f"{self.columns.height - items.height} other columns kept as they are",
            f"  answers: {items['n_valid'].sum()} valid, {items['n_missing'].sum()} missing, "
            f"{items['n_dont_know'].sum()} don't know",
        ]
        lines.extend(f"  note: {n}" for n in self.notes())
        problems = self.problems()
        lines.append("  problems:" if problems else "  no problems found")
        lines.extend(f"    - {p}" for p in problems)
        return "\n".join(lines)


# What an SPSS dictionary says of a column, and what became of its labels and missing codes.
_SPSS_DICTIONARY = [
    "format",
    "measure",
    "value_labels",
    "labels",
    "labels_note",
    "user_missing",
    "n_user_missing",
]
_SPSS_COLUMNS = [
    "column",
    "role",
    "dtype",
    pl.col("question").alias("variable_label"),
    *_SPSS_DICTIONARY,
]


def _spss_notes(columns: pl.DataFrame) -> list[str]:
    """What became of SPSS value labels and user-missing values in background columns."""
    out = []
    background = columns.filter(pl.col("role") != "item")
    for row in background.iter_rows(named=True):
        if row["labels"] == "enum":
            out.append(f"column {row['column']!r}: value labels applied (an Enum of them)")
        elif row["labels"] == "kept":
            out.append(f"column {row['column']!r}: codes kept — {row['labels_note']}")
        if row["n_user_missing"]:
            out.append(
                f"column {row['column']!r}: {row['n_user_missing']} user-missing value(s) "
                f"({row['user_missing']}) set to null"
            )
        if row["dtype"] in ("date", "datetime[μs]", "duration[μs]"):
            out.append(f"column {row['column']!r}: SPSS {row['format']} read as {row['dtype']}")
    return out


def _header_notes(source: ImportSource) -> list[str]:
    """Where the header was taken from, when it is not the first row."""
    row = source.header_row
    if not row or row == 1:
        return []
    above = "row 1 is" if row == 2 else f"rows 1–{row - 1} are"
    if source.header_row_given:
        return [f"header taken from row {row} (header_row={row}); {above} left out"]
    what = "a title block" if source.title_block else "empty"
    return [f"header taken from row {row}; {above} {what}"]


def _matched_by(items: pl.DataFrame) -> dict[str, int]:
    counts = items.group_by("matched_by").len().sort("matched_by")
    return {f"by {row['matched_by']}": row["len"] for row in counts.iter_rows(named=True)}


class Export(NamedTuple):
    """The result of :func:`read_export`: ``data`` for :func:`lyhord.score`, and ``report``."""

    data: pl.DataFrame
    report: ImportReport


def _mapping_parts(
    mapping: dict[str, str] | str | Path | None, labels: dict[str, int] | None
) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    columns: dict[str, str] = {}
    label_map: dict[str, int] = {}
    if isinstance(mapping, (str, Path)):
        path = Path(mapping)
        problem = file_problem(path)
        if problem:
            raise LyhordError(f"mapping file {path}: {problem}")
        try:
            with path.open("rb") as f:
                spec = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise LyhordError(f"mapping file {path}: {e}") from e
        unknown = set(spec) - {"columns", "labels"}
        if unknown:
            raise LyhordError(
                f"mapping file {path}: unknown table(s) {sorted(unknown)}; "
                "use [columns] (column = item) and [labels] (label = code)"
            )
        columns = dict(spec.get("columns", {}))
        label_map = dict(spec.get("labels", {}))
    elif mapping is not None:
        columns = dict(mapping)
    label_map.update(labels or {})
    for key, value in label_map.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise LyhordError(f"label {key!r} must map to a whole-number code, got {value!r}")
    return [(str(k), str(v)) for k, v in columns.items()], list(label_map.items())


def read_export(
    source: str | Path | pl.DataFrame | pl.LazyFrame | Any,
    instrument: Instrument | str | Path,
    mapping: dict[str, str] | str | Path | None = None,
    *,
    labels: dict[str, int] | None = None,
    id: str | None = None,
    strict: bool = False,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    header: Header = "auto",
    header_row: int | None = None,
) -> Export:
    """Read a survey export into the answers frame :func:`lyhord.score` takes, with a report.

    Parameters
    ----------
    source : path or DataFrame
        A CSV/TSV (delimiter, encoding, decimal comma and Qualtrics / SurveyMonkey header
        rows sniffed), ``.xlsx``/``.xls``/``.ods``, SPSS ``.sav`` / ``.zsav``, ``.parquet``,
        or a polars (lazy) or pandas DataFrame.
    instrument : Instrument or str or Path
        The instrument whose items the answers belong to (a built-in name or a TOML file).
    mapping : dict or path, optional
        ``{column: item_id}`` for columns not named by item id or item text, or a TOML file
        with a ``[columns]`` table (``"Fråga 1" = "eng1"``) and an optional ``[labels]``
        table (``"Instämmer helt" = 5``). Other columns match an item by id (case-insensitive)
        or by item text (Swedish or English, after normalising case, whitespace and
        punctuation); near misses are reported, never guessed.
    labels : dict, optional
        Extra answer label → code, added to the instrument's value labels (matched
        case- and whitespace-insensitively).
    id : str, optional
        Respondent id column, checked for duplicates (default: the first present of
        ResponseId, Respondent ID, Svars-ID, Respondent, Respondentnummer, Svarsnummer,
        Löpnummer, ID — ignoring case, spaces, hyphens and underscores; the report's
        ``notes()`` say which was taken).
    strict : bool, default False
        Raise :class:`lyhord.DataError` on the first value outside the scale or label that
        matches nothing. By default such values become missing and the report lists them.
    sheet : str or int, optional
        Workbook sheet by name or 0-based index (default the first).
    encoding, delimiter, decimal : str, optional
        Override the sniffed text encoding (``"windows-1252"``, ``"utf-8"``, ``"utf-16"``),
        field delimiter (``";"``, ``","``, ``"\\t"``) and decimal separator.
    header : {"auto", "single", "qualtrics", "qualtrics-legacy", "surveymonkey"}
        Header layout of text and workbook exports. ``"auto"`` recognises every Qualtrics
        layout (3 header rows with JSON or 2016–17 single-quoted ImportIds, or 2 when the
        ImportId row was deleted; the legacy ``V1``…``V10`` layout) and both SurveyMonkey
        layouts (``Respondent ID`` and the older ``RespondentID``), and raises
        :class:`lyhord.DataError` naming these values when a second row could be either a
        header or answers. ``"qualtrics"`` reads 3 rows when row 3 holds ImportIds, else 2.
    header_row : int, optional
        1-based row of the (first) header row in a text file or sheet. By default the
        first row, or the first with two or more filled cells when only rows with at most
        one (a title, a date, blank rows) come before it — a title block, reported in the
        report's ``notes()``.

    Column texts match item texts also after a leading question number is left off
    ("1. ", "1) ", "Fråga 1: ", "Q1. "; a bare "1 " is not taken as one); the report's
    ``question_number`` column says which.

    Returns
    -------
    Export
        ``(data, report)``: ``data`` has one Int64 column per item named by item id (codes,
        "don't know" codes kept so scoring counts them) and every other column as the
        source has it (text columns holding only numbers become numbers). From SPSS, other
        columns are typed by the dictionary: user-missing values become null, date / time /
        datetime formats become ``Date`` / ``Duration`` / ``Datetime``, and value labels an
        ``Enum`` when every value has one (else the codes stay; ``report.spss()`` says
        which). ``report`` is an :class:`ImportReport`.

    Raises
    ------
    lyhord.DataError
        For a missing, empty or unreadable file (naming file and line, sheet or byte), an
        item no column answers (with near misses; the columns found when none answers any
        item), an ambiguous or unknown mapping, and in strict mode the first bad value
        (naming column and row).

    Examples
    --------
    >>> import lyhord as ly
    >>> import polars as pl
    >>> raw = pl.DataFrame({"enhet": ["A", "B"], "Jag känner mig engagerad i mitt arbete": [
    ...     "Stämmer helt", "vet ej"]})
    >>> inst = ly.Instrument.from_toml_str('''
    ... id = "one"
    ... name = { sv = "Ett item" }
    ... [scale]
    ... min = 1
    ... max = 5
    ... positive = [4, 5]
    ... dont_know = [6]
    ... labels = [{ code = 5, sv = "Stämmer helt" }, { code = 6, sv = "Vet ej" }]
    ... [index]
    ... id = "index"
    ... label = { sv = "Index" }
    ... rule = "mean_of_items"
    ... min_answered = 1
    ... [[items]]
    ... id = "eng1"
    ... text = { sv = "Jag känner mig engagerad i mitt arbete" }
    ... ''')
    >>> data, report = ly.read_export(raw, inst)
    >>> data["eng1"].to_list()
    [5, 6]
    >>> report.items().select("column", "item", "matched_by", "n_valid", "n_dont_know").row(0)
    ('Jag känner mig engagerad i mitt arbete', 'eng1', 'text', 1, 1)
    """
    inst = resolve_instrument(instrument)
    pairs, label_pairs = _mapping_parts(mapping, labels)
    mapping_options: dict[str, Any] = {
        "mapping": pairs,
        "labels": label_pairs,
        "id": id,
        "strict": strict,
        "decimal": decimal,
    }
    # Frames and Parquet name their columns: no header row to choose (.sav: the reader says).
    has_rows = isinstance(source, (str, Path)) and Path(source).suffix.lower() != ".parquet"
    if header_row is not None and not has_rows:
        raise _lyhord.DataError(
            "header_row= is for text and workbook exports; this source's columns are named"
        )
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() == ".parquet":
            return _read_parquet(path, inst, mapping_options)
        read = _lyhord._read_export_file(
            path,
            inst,
            **mapping_options,
            encoding=encoding,
            delimiter=delimiter,
            header=header,
            sheet=sheet,
            header_row=header_row,
        )
        return _export(read)
    frame = _as_polars(source)
    return _export(
        _lyhord._read_export_frame(frame, inst, "the DataFrame", "dataframe", **mapping_options)
    )


def _export(read: Any) -> Export:
    """The public result from the core's (``_lyhord._Export``)."""
    return Export(read.data, ImportReport._from_core(read.report))


def _read_parquet(path: Path, inst: Instrument, mapping_options: dict[str, Any]) -> Export:
    frame = _parquet_frame(path)
    return _export(_lyhord._read_export_frame(frame, inst, str(path), "parquet", **mapping_options))


def _parquet_frame(path: Path) -> pl.DataFrame:
    problem = file_problem(path)
    if problem:
        raise _lyhord.DataError(f"{path}: {problem}")
    try:
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _lyhord.DataError(f"{path}: cannot read as Parquet: {e}") from e


def _as_polars(source: Any) -> pl.DataFrame:
    if isinstance(source, pl.LazyFrame):
        return source.collect()
    if isinstance(source, pl.DataFrame):
        return source
    if type(source).__module__.startswith("pandas"):
        return pl.from_pandas(source)
    raise ArgumentTypeError(
        f"source must be a file path or a polars / pandas DataFrame, not {type(source).__name__}"
    )


_TABLE_COLUMNS = [
    "column",
    "dtype",
    pl.col("question").alias("label"),
    "n_valid",
    "n_missing",
    *_SPSS_DICTIONARY,
]


@dataclass(frozen=True)
class TableReport:
    """What :func:`read_table` found in a file: how it was read and what each column holds.

    Attributes
    ----------
    source : ImportSource
        How the file was read or sniffed: ``format``, ``encoding``, ``delimiter``,
        ``decimal``, ``sheet``, ``header`` (the layout detected, e.g. ``"single"``,
        ``"qualtrics (3 header rows, JSON ImportIds)"``, ``"surveymonkey (2 header rows)"``,
        ``"spss dictionary"``), ``header_row``, ``title_block``.
    rows : int
        Data rows read; every one is in the frame, in file order.
    n_empty_rows, empty_rows : int, list[int]
        Rows with no value in any column (kept in the frame, listed here: the first 20).
    columns : polars.DataFrame
        One row per column: ``column``, ``dtype`` (as returned), ``label`` (the question
        text of a Qualtrics / SurveyMonkey header, or the SPSS variable label), ``n_valid``,
        ``n_missing``; for SPSS files (null otherwise) ``format``, ``measure``,
        ``value_labels``, ``labels`` (``enum``: the column is a polars Enum of its labels;
        ``kept``: the codes stay, ``labels_note`` says why), ``user_missing`` (the
        declaration) and ``n_user_missing`` (the values it turned to null).
    value_labels : dict
        SPSS value labels per column, ``{column: {value: label}}``; empty for other sources.
    """

    source: ImportSource
    rows: int
    n_empty_rows: int
    empty_rows: list[int]
    columns: pl.DataFrame
    value_labels: dict[str, dict[float | str, str]]

    @classmethod
    def _from_core(cls, raw: Any) -> TableReport:
        """The report as the core made it (``_lyhord._ImportReport`` of a table read
        without an instrument)."""
        return cls(
            source=raw.source,
            rows=raw.rows_read,
            n_empty_rows=raw.n_empty_rows,
            empty_rows=raw.empty_rows,
            columns=raw.columns.select(_TABLE_COLUMNS),
            value_labels=raw.value_labels,
        )

    def notes(self) -> list[str]:
        """Where the header was found, empty rows, and what became of SPSS labels,
        user-missing values and dates, one sentence each."""
        out = _header_notes(self.source)
        if self.n_empty_rows:
            out.append(f"{self.n_empty_rows} empty row(s), kept: {self.empty_rows}")
        return out + _spss_notes(self.columns.with_columns(role=pl.lit("column")))

    def __repr__(self) -> str:
        lines = [
            f"TableReport({self.source.file!r})",
            f"  read as {_how_read(self.source)}; header: {self.source.header}",
            f"  {self.rows} rows, {self.columns.height} columns",
        ]
        lines.extend(f"  note: {n}" for n in self.notes())
        return "\n".join(lines)


def _how_read(s: ImportSource) -> str:
    """``format csv, encoding utf-8, delimiter ;`` — what the source says it was read as."""
    return ", ".join(
        f"{name} {value}"
        for name, value in (
            ("format", s.format),
            ("encoding", s.encoding),
            ("delimiter", s.delimiter),
            ("decimal", s.decimal),
            ("sheet", s.sheet),
        )
        if value is not None
    )


class Table(NamedTuple):
    """The result of :func:`read_table`: the frame as the file has it, and ``report``."""

    data: pl.DataFrame
    report: TableReport


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    header: Header = "auto",
    header_row: int | None = None,
) -> Table:
    """Open any export lyhord reads, without an instrument, to look at it.

    The same readers as :func:`read_export` (which maps the columns this reads onto an
    instrument's items): the same sniffing of encoding, delimiter, decimal separator,
    title blocks and Qualtrics / SurveyMonkey header rows, and the same SPSS dictionary.
    Nothing is mapped, recoded or left out.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV, ``.xlsx``/``.xls``/``.ods``, SPSS ``.sav``/``.zsav`` or ``.parquet`` file.
    sheet, encoding, delimiter, decimal, header, header_row
        As for :func:`read_export`: override what is sniffed.

    Returns
    -------
    Table
        ``(data, report)``: ``data`` has every column under its own name and every data row
        in file order. Text columns holding only numbers become numbers; from SPSS,
        user-missing values become null, date / time / datetime formats become temporal
        types and fully labelled columns an ``Enum`` of their labels (as in
        :func:`read_export`). ``report`` is a :class:`TableReport`: layout, encoding,
        labels, missing codes per column.

    Raises
    ------
    lyhord.DataError
        For a missing, empty or unreadable file, naming the file and the line, sheet, byte
        or record, and what was expected.

    Examples
    --------
    >>> import tempfile, pathlib, lyhord as ly
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "svar.csv"
    >>> _ = path.write_text("enhet;Fråga 1;lön\\nA;Stämmer helt;31000,5\\nB;4;\\n",
    ...                     encoding="cp1252")
    >>> data, report = ly.read_table(path)
    >>> data.dtypes
    [String, String, Float64]
    >>> report.source.encoding, report.source.delimiter, report.source.decimal
    ('windows-1252', '";"', ',')
    >>> report.columns.select("column", "n_valid", "n_missing").row(2)
    ('lön', 1, 1)
    """
    _check_table_keywords(path, header_row)
    read_options: dict[str, Any] = {
        "encoding": encoding,
        "delimiter": delimiter,
        "decimal": decimal,
        "header": header,
        "sheet": sheet,
        "header_row": header_row,
    }
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        raw = _lyhord._read_table_frame(_parquet_frame(p), str(p), "parquet")
    else:
        raw = _lyhord._read_table_file(p, **read_options)
    return Table(raw.data, TableReport._from_core(raw.report))


def _check_table_keywords(path: Any, header_row: int | None) -> None:
    if not isinstance(path, (str, Path)):
        raise ArgumentTypeError(
            f"path must be a file path (str or Path), not {type(path).__name__}; "
            "a DataFrame is already a table"
        )
    if header_row is not None and Path(path).suffix.lower() == ".parquet":
        raise _lyhord.DataError(
            "header_row= is for text and workbook exports; a Parquet file names its columns"
        )


def write_sav(
    data: pl.DataFrame,
    path: str | Path,
    *,
    variable_labels: dict[str, str] | None = None,
    value_labels: dict[str, dict[float, str]] | None = None,
    user_missing: dict[str, list[float]] | None = None,
    file_label: str = "",
) -> None:
    """Write a frame as an SPSS ``.sav`` (bytecode-compressed, UTF-8), as SPSS saves it.

    Numeric columns become numeric variables, others string variables (≤ 255 bytes).
    Used for the example exports; also a way to hand lyhord data to SPSS users.

    Parameters
    ----------
    data : polars.DataFrame
    path : str or Path
    variable_labels : dict, optional
        Column → variable label (e.g. the question text).
    value_labels : dict, optional
        Column → {code: label}.
    user_missing : dict, optional
        Column → up to three codes SPSS treats as missing (e.g. ``[6]`` for "vet ej").
    file_label : str
        Up to 64 bytes shown by SPSS as the file label.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl, lyhord as ly
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.sav"
    >>> ly.write_sav(pl.DataFrame({"eng1": [5, 6, None]}), path,
    ...              value_labels={"eng1": {5: "Stämmer helt", 6: "Vet ej"}},
    ...              user_missing={"eng1": [6]})
    >>> path.read_bytes()[:4]
    b'$FL2'
    """
    _lyhord._write_sav(
        data,
        Path(path),
        dict(variable_labels or {}),
        {
            k: [(float(c), str(lab)) for c, lab in v.items()]
            for k, v in (value_labels or {}).items()
        },
        {k: [float(x) for x in v] for k, v in (user_missing or {}).items()},
        file_label,
    )
