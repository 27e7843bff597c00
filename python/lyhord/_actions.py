"""Actions as data: the action register, read and checked against the published units and
the waves (the effects are in ``_effects``)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import polars as pl

from ._args import _collect, file_problem, resolve_instrument
from ._lyhord import ArgumentError, ArgumentTypeError, DataError, Instrument, LyhordError
from .report._wide import key_columns

__all__ = ["actions", "wave_dates", "FIELDWORK"]

#: Register columns that are not unit columns.
FIELDS = ("action", "start", "measures", "intensity", "cost", "note")
#: Columns :func:`actions` adds: dropped when a checked register is read again.
DERIVED = ("base_wave", "first_wave", "row")
#: Swedish headers a municipality's own register may have, and the field each one is.
ALIASES = {
    **{field: field for field in FIELDS},
    "åtgärd": "action",
    "startdatum": "start",
    "start_datum": "start",
    "mått": "measures",
    "measure": "measures",
    "intensitet": "intensity",
    "kostnad": "cost",
    "anteckning": "note",
    "kommentar": "note",
}
#: Each wave's fieldwork (month-day) by default: many Swedish staff surveys run in autumn.
FIELDWORK = "10-01"
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def actions(
    register: pl.DataFrame | pl.LazyFrame | str | Path,
    instrument: Instrument | str | Path,
    *,
    units: pl.DataFrame | Mapping[int, pl.DataFrame] | None = None,
    by: Sequence[str] | None = None,
    waves: Sequence[int] | None = None,
    fieldwork: str = FIELDWORK,
) -> pl.DataFrame:
    """Read and check an action register: which units did what, from when, aimed at what.

    A register row names a unit (by the grouping columns of the estimates, e.g.
    ``forvaltning`` and ``enhet``; a row naming only a förvaltning covers all its units
    that are published in some wave), the ``action``, its ``start`` date and the
    ``measures`` it aims at (dimension, index or item ids or their labels, several
    separated by commas), optionally ``intensity``, ``cost`` and ``note``. Swedish headers
    are understood (``åtgärd``, ``startdatum``, ``mått``, ``kostnad``, ``intensitet``,
    ``anteckning``). Every problem is an error naming the file, row and column and what
    would fix it; nothing is dropped.

    An action is measured from the first wave fielded after its start: with ``waves``,
    each year's wave counts as fielded on ``fieldwork`` (month-day) of that year.

    Parameters
    ----------
    register : polars.DataFrame, LazyFrame or path
        The register, or a file: CSV/Excel/parquet (as :func:`lyhord.read_table` reads
        them; Excel date cells are dates) or TOML with one ``[[action]]`` table per row.
    instrument : Instrument, str or path
        Whose measures the actions aim at.
    units : polars.DataFrame or mapping of year to polars.DataFrame, optional
        Estimate tables (:func:`lyhord.estimate`) whose units the register names: a unit
        named in a row must be a unit of one of them (a blanked one too: it is registered,
        its effect is not shown).
    by : sequence of str, optional
        The unit columns, top level first; default all grouping columns of ``units``. Give
        it when the estimates have a ``background`` breakdown (its rows are not units), or
        without ``units`` to check the register's columns.
    waves : sequence of int, optional
        The years of the waves (default: the years of ``units`` when it maps years to
        tables). A start before the first wave's fieldwork (nothing to compare with) or
        after the last wave's (nothing measured yet) is an error.
    fieldwork : str
        Month and day of each wave's fieldwork, ``"MM-DD"``; default ``"10-01"``.

    Returns
    -------
    polars.DataFrame
        One row per unit and register row: the unit columns (the lowest level filled in),
        ``action``, ``start`` (Date), ``measures`` (list of measure ids), ``base_wave`` (the
        last wave before the start), ``first_wave`` (the first after it; both null without
        ``waves``), ``row`` (the register row, 1-based) and ``intensity``, ``cost``,
        ``note`` when the register has them.

    Examples
    --------
    >>> import lyhord as ly
    >>> t = ly.estimate(ly.example_data("staff", year=2025), "hme",
    ...                 by=["forvaltning", "enhet"])
    >>> reg = ly.actions(ly.example_data("actions"), "hme", units=t,
    ...                  waves=[2023, 2024, 2025, 2026])
    >>> reg.filter(enhet="VA-enheten").select("action", "measures", "first_wave").row(0)
    ('Ledarskapsutbildning', ['ledarskap'], 2026)
    """
    inst = resolve_instrument(instrument)
    if waves is None and isinstance(units, Mapping):
        waves = list(units)
    raw, source = _register_frame(register)
    try:
        known = _Units.of(raw, units, by)
        spelled = _spelled(known.by)
        raw = raw.rename({c: spelled[c.casefold()] for c in raw.columns if c.casefold() in spelled})
        return _checked(raw, inst, known, wave_dates(waves, fieldwork))
    except DataError as e:
        raise DataError(f"{source}: {e}" if source else str(e)) from None


def _checked(raw: pl.DataFrame, inst: Instrument, known: _Units, dates) -> pl.DataFrame:
    resolve = _measure_resolver(inst)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    extras: list[str] = [c for c in ("intensity", "cost", "note") if c in raw.columns]
    for number, row in enumerate(raw.iter_rows(named=True), start=1):
        action = _action(row.get("action"), number)
        start = _start(row.get("start"), number)
        base, first = _waves_around(start, dates, number)
        measures = _measures(row.get("measures"), resolve, number, inst)
        extra: dict[str, Any] = {c: _extra(row.get(c), c, number) for c in extras}
        for unit in known.named(row, number):
            key = (*unit, action)
            if key in seen:
                raise DataError(
                    f"register rows {seen[key]} and {number} both register `{action}` for "
                    f"{_unit_text(unit, known.by)}; keep one row (several measures go in one "
                    "`measures` cell, separated by commas)"
                )
            seen[key] = number
            rows.append(
                {
                    **dict(zip(known.by, unit, strict=True)),
                    "action": action,
                    "start": start,
                    "measures": measures,
                    "base_wave": base,
                    "first_wave": first,
                    "row": number,
                    **extra,
                }
            )
    schema: dict[str, Any] = {c: pl.String for c in known.by}
    schema.update(
        action=pl.String,
        start=pl.Date,
        measures=pl.List(pl.String),
        base_wave=pl.Int64,
        first_wave=pl.Int64,
        row=pl.UInt32,
    )
    schema.update({c: pl.String if c == "note" else pl.Float64 for c in extras})
    return pl.DataFrame(rows, schema=schema, orient="row")


# ---- reading the register


def _register_frame(register: Any) -> tuple[pl.DataFrame, str | None]:
    """The register as a frame with the field names, and the file it came from."""
    source = None
    if isinstance(register, (str, Path)):
        path = Path(register)
        source = f"register {path}"
        problem = file_problem(path)
        if problem:
            raise LyhordError(f"{source}: {problem}")
        if path.suffix.lower() == ".toml":
            frame = _toml_register(path)
        else:
            from ._tables import read_table

            frame = read_table(path)
    else:
        frame = _collect(register, "register")
    frame = frame.drop(DERIVED, strict=False)
    renames = {c: ALIASES[c.casefold()] for c in frame.columns if c.casefold() in ALIASES}
    twice = [f for f in set(renames.values()) if list(renames.values()).count(f) > 1]
    if twice:
        columns = " and ".join(f"`{c}`" for c, f in renames.items() if f == twice[0])
        where = f"{source}: " if source else ""
        raise DataError(f"{where}columns {columns} both say `{twice[0]}`; keep one of them")
    frame = frame.rename({c: f for c, f in renames.items() if c != f})
    if source is not None:
        frame = _excel_dates(frame, Path(register))
    for column in ("action", "start", "measures"):
        if column not in frame.columns:
            where = f"{source}: " if source else ""
            raise DataError(
                f"{where}the register has no column `{column}`; it needs action (åtgärd), start "
                f"(startdatum) and measures (mått) beside the unit columns (it has "
                f"{', '.join(frame.columns) or 'none'})"
            )
    return frame, source


def _excel_dates(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A spreadsheet's date cells may arrive as Excel's day numbers (as numbers, or as text
    where the column mixes them with typed dates): read those as dates. Other values stay
    as they are, for the row's own error."""
    if path.suffix.lower() not in SPREADSHEETS or "start" not in frame.columns:
        return frame
    values = [_excel_day(v) for v in frame["start"].to_list()]
    return frame.with_columns(pl.Series("start", values, dtype=pl.Object))


def _excel_day(value: Any) -> Any:
    """Excel's day number of a date from 1954 to 2119 as that date; anything else as is
    (a year such as 2025, or 20251103, is not a day number)."""
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{5}(\.0+)?", text):
        return value
    days = int(float(text))
    return EXCEL_EPOCH + dt.timedelta(days=days) if 20_000 <= days <= 80_000 else value


def _toml_register(path: Path) -> pl.DataFrame:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise DataError(f"register {path}: cannot read it as TOML: {e}") from None
    other = sorted(set(raw) - {"action"})
    entries = raw.get("action")
    if other or not isinstance(entries, list) or not entries:
        unknown = f"unknown key `{other[0]}`; " if other else ""
        raise DataError(
            f'register {path}: {unknown}give one [[action]] table per row (enhet = "…", '
            'action = "…", start = 2025-11-03, measures = ["ledarskap"])'
        )
    rows = [{k: _toml_value(v) for k, v in e.items()} for e in entries]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    # Every value as a Python object: a row's mistake is found and named row by row.
    return pl.DataFrame(
        {c: pl.Series(c, [r.get(c) for r in rows], dtype=pl.Object) for c in columns}
    )


def _toml_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# ---- the units


@dataclass
class _Units:
    """The unit columns, and the units a register row may name (None: not checked)."""

    by: list[str]
    known: list[tuple] | None = None
    shown: set[tuple] | None = None

    @classmethod
    def of(cls, raw: pl.DataFrame, units: Any, by: Sequence[str] | None) -> _Units:
        tables = _tables(units)
        grouping = grouping_of(tables, by)
        present = [c for c in raw.columns if c not in FIELDS]
        if grouping is not None:
            present = [_spelled(grouping).get(c.casefold(), c) for c in present]
        if grouping is None:
            if not present:
                raise DataError("the register names no unit: add a unit column (e.g. `enhet`)")
            return cls(present)
        unknown = [c for c in present if c not in grouping]
        if unknown:
            raise DataError(
                f"register column `{unknown[0]}` is neither a unit column (by: "
                f"{', '.join(grouping)}) nor one of {', '.join(FIELDS)}"
            )
        if not present:
            raise DataError(f"the register names no unit: add a column among {', '.join(grouping)}")
        if not tables:
            return cls(grouping)
        leaf = [_leaf(t, grouping) for t in tables.values()]
        known = sorted(set(pl.concat([t.select(grouping) for t in leaf]).iter_rows()), key=str)
        published = pl.concat([t.filter(~pl.col("suppressed")).select(grouping) for t in leaf])
        return cls(grouping, known, set(published.iter_rows()))

    def named(self, row: dict, number: int) -> list[tuple]:
        """The units a row names: its own, or a parent's published units."""
        named = {c: _text(row.get(c)) for c in self.by}
        named = {c: v for c, v in named.items() if v}
        if not named:
            columns = " or ".join(f"`{c}`" for c in self.by)
            raise DataError(f"register row {number}: names no unit; fill in {columns}")
        if self.known is None:
            return [tuple(named.get(c) for c in self.by)]
        matches = [u for u in self.known if all(u[self.by.index(c)] == v for c, v in named.items())]
        if not matches:
            raise DataError(self._unknown(named, number))
        if self.by[-1] in named:
            if len(matches) > 1:
                raise DataError(self._ambiguous(named, matches, number))
            return matches
        # A parent covers its units published somewhere: one never published is not
        # revealed by the expansion (its own row still names it, the user's own word).
        # With none published the row stays as it was written: nothing is dropped.
        assert self.shown is not None
        shown = [u for u in matches if u in self.shown]
        return shown or [tuple(named.get(c) for c in self.by)]

    def _unknown(self, named: dict, number: int) -> str:
        column = next(c for c in reversed(self.by) if c in named)
        assert self.known is not None
        index = self.by.index(column)
        values = sorted({u[index] for u in self.known if u[index] is not None})
        close = difflib.get_close_matches(named[column], values, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return (
            f"register row {number}, column `{column}`: `{named[column]}` is not a unit of the "
            f"estimates{hint}"
        )

    def _ambiguous(self, named: dict, matches: list[tuple], number: int) -> str:
        parent = next(c for c in self.by if c not in named)
        places = ", ".join(sorted(str(u[self.by.index(parent)]) for u in matches))
        return (
            f"register row {number}: `{named[self.by[-1]]}` is a unit of several {parent} "
            f"({places}); fill in `{parent}` to say which"
        )


def _tables(units: Any) -> dict[Any, pl.DataFrame]:
    """The estimate tables by their year (one table: by None)."""
    if units is None:
        return {}
    if isinstance(units, (pl.DataFrame, pl.LazyFrame)):
        return {None: _collect(units, "units")}
    if isinstance(units, Mapping):
        return {y: _collect(t, f"units[{y}]") for y, t in units.items()}
    raise ArgumentTypeError(
        f"`units` must be an estimate table or a mapping of year to them, not "
        f"{type(units).__name__}"
    )


def grouping_of(tables: Mapping[Any, pl.DataFrame], by: Sequence[str] | None) -> list[str] | None:
    """The unit columns: ``by`` (checked against the tables) or the tables' grouping; the one
    check that every wave's table is grouped alike, for the register and the effects."""
    groupings = {label: key_columns(t) for label, t in tables.items()}
    first = next(iter(groupings.values()), None)
    for label, grouping in groupings.items():
        if grouping != first:
            assert first is not None
            raise DataError(
                f"the estimate tables are grouped differently: the {label} table is grouped by "
                f"[{', '.join(grouping)}], the others by [{', '.join(first)}]; estimate every "
                "wave with the same `by`"
            )
    if by is None:
        return first
    if isinstance(by, str) or not all(isinstance(c, str) for c in by):
        raise ArgumentTypeError(f"parameter `by` must be a list of column names, got {by!r}")
    by = list(by)
    if first is not None and first[: len(by)] != by:
        raise ArgumentError(
            f"parameter `by` must be the first grouping columns of the estimates "
            f"({', '.join(first)}), got {by}"
        )
    return by


def _spelled(by: list[str]) -> dict[str, str]:
    """A register's spelling of a unit column → the column: "Enhet" names `enhet`."""
    return {c.casefold(): c for c in by}


def _leaf(table: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """The rows of the lowest unit level, keys as text."""
    return table.filter(pl.col("level") == len(by)).select(pl.col(by).cast(pl.String), "suppressed")


def _text(value: Any) -> str | None:
    """A cell as text; a whole number read as a float (Excel's 158.0) as the number."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _unit_text(unit: tuple, by: list[str]) -> str:
    return ", ".join(f"{c} `{v}`" for c, v in zip(by, unit, strict=True) if v is not None)


# ---- dates and waves


def wave_dates(waves: Sequence[int] | None, fieldwork: str) -> dict[int, dt.date] | None:
    """Each wave's fieldwork date: year and ``fieldwork`` ("MM-DD")."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", fieldwork) if isinstance(fieldwork, str) else None
    try:
        month, day = (int(match[1]), int(match[2])) if match else (0, 0)
        dt.date(2023, month, day)  # not a leap year: 02-29 is not every year's date
    except ValueError:
        match = None
    if match is None:
        raise ArgumentError(
            f"parameter `fieldwork` must be the month and day of each wave's fieldwork as "
            f'"MM-DD", e.g. "10-01" (not 02-29); got {fieldwork!r}'
        )
    if waves is None:
        return None
    if isinstance(waves, (str, bytes)) or not isinstance(waves, Sequence | set):
        raise ArgumentTypeError(f"parameter `waves` must be a list of years, got {waves!r}")
    bad = [
        y for y in waves if isinstance(y, bool) or not isinstance(y, int) or not 1900 <= y <= 2200
    ]
    if bad or not waves:
        raise ArgumentError(
            f"parameter `waves` must be a list of years, e.g. [2025, 2026]; got {waves!r}"
        )
    return {y: dt.date(y, month, day) for y in sorted(set(waves))}


def _start(value: Any, number: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(
            f"register row {number}, column `start`: empty; give the date the action started "
            "as YYYY-MM-DD"
        )
    if isinstance(value, str):
        # A date, or a date and a time of day as a CSV export writes a timestamp.
        match = re.fullmatch(
            r"(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?", value.strip()
        )
        try:
            if match:
                return dt.date.fromisoformat(match[1])
        except ValueError:
            pass
    raise DataError(
        f"register row {number}, column `start`: {value!r} is not a date; write it as "
        "YYYY-MM-DD, e.g. 2025-11-03"
    )


def _waves_around(
    start: dt.date, dates: dict[int, dt.date] | None, number: int
) -> tuple[int | None, int | None]:
    if dates is None:
        return None, None
    before = [y for y, d in dates.items() if d <= start]
    after = [y for y, d in dates.items() if d > start]
    first, last = min(dates), max(dates)
    if not before:
        raise DataError(
            f"register row {number}, column `start`: {start} is before the first wave ({first}, "
            f"fielded {dates[first]}): there is no measurement before the action to "
            "compare with; correct the date or leave the row out"
        )
    if not after:
        raise DataError(
            f"register row {number}, column `start`: {start} is after the last wave ({last}, "
            f"fielded {dates[last]}): nothing is measured after it yet; add the row when "
            "the next wave is in (ly.detectable_change says what it could show)"
        )
    return max(before), min(after)


# ---- the other fields


def _action(value: Any, number: int) -> str:
    if not isinstance(value, str):
        what = "empty" if value is None else f"{value!r} is not a text"
        raise DataError(f"register row {number}, column `action`: {what}; name the action")
    if not value.strip():
        raise DataError(f"register row {number}, column `action`: empty; name the action")
    return value.strip()


def _extra(value: Any, column: str, number: int) -> Any:
    """``note`` as text; ``intensity`` and ``cost`` as numbers (or empty)."""
    if column == "note" or value is None:
        return None if value is None else str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("\u00a0", " ")
    # 42000, 42 000, 42000,50 or 42000.50; not "42,000" (a thousand or a decimal?)
    match = re.fullmatch(r"-?\d{1,3}( \d{3})*([.,]\d+)?|-?\d+([.,]\d+)?", text)
    if not match or re.fullmatch(r"-?\d{1,3}[.,]\d{3}", text):
        raise DataError(
            f"register row {number}, column `{column}`: {value!r} is not a number; write it "
            "without units or thousands separators, e.g. 42000 (or 42,5)"
        )
    return float(text.replace(" ", "").replace(",", "."))


def _measure_resolver(inst: Instrument) -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in ("sv", "en"):
        labels = inst.labels(lang=lang)
        for measure, label in zip(labels["measure"], labels["label"], strict=True):
            names.setdefault(str(label).casefold(), measure)
    for measure, _ in inst.measures:
        names[measure.casefold()] = measure
    return names


def _measures(value: Any, names: dict[str, str], number: int, inst: Instrument) -> list[str]:
    where = f"register row {number}, column `measures`"
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,;]", value)]
    elif isinstance(value, (list, tuple, pl.Series)):
        parts = [str(p).strip() for p in value]
    elif value is None:
        parts = []
    else:
        raise DataError(
            f"{where}: {value!r} is not a measure; name the dimension(s) the action aims at "
            f"({', '.join(inst.dimensions)})"
        )
    parts = [p for p in parts if p]
    if not parts:
        raise DataError(
            f"{where}: empty; name the dimension(s) the action aims at "
            f"({', '.join(inst.dimensions)})"
        )
    out = []
    for p in parts:
        measure = names.get(p.casefold())
        if measure is None:
            close = difflib.get_close_matches(p.casefold(), list(names), n=1)
            hint = f" (did you mean `{names[close[0]]}`?)" if close else ""
            raise DataError(
                f"{where}: `{p}` is not a measure of {inst.id}{hint}; use a dimension "
                f"({', '.join(inst.dimensions)}), `{inst.index_id}` or an item id"
            )
        if measure not in out:
            out.append(measure)
    return out
