"""Actions as data and their effect on the next waves: the action register, difference in
differences against comparable units, and the change a unit could detect before acting."""

from __future__ import annotations

import datetime as dt
import difflib
import math
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

from . import _lyhord
from ._args import _collect, file_problem, resolve_instrument
from ._followup import UnitMap, trend
from ._lyhord import ArgumentError, ArgumentTypeError, DataError, Instrument, LyhordError
from ._types import Lang

__all__ = ["actions", "action_effects", "detectable_change"]

#: Register columns that are not unit columns.
FIELDS = ("action", "start", "measures", "intensity", "cost", "note")
#: Columns :func:`actions` adds: dropped when a checked register is read again.
DERIVED = ("base_wave", "first_wave", "row")
#: Each wave's fieldwork (month-day) by default: many Swedish staff surveys run in autumn.
FIELDWORK = "10-01"
EFFECT_VIEWS = ("effect", "unit", "event", "placebo")


# ---- the register


def actions(
    register: pl.DataFrame | pl.LazyFrame | str | Path,
    instrument: Instrument | str | Path,
    *,
    units: pl.DataFrame | Mapping[int, pl.DataFrame] | None = None,
    waves: Sequence[int] | None = None,
    fieldwork: str = FIELDWORK,
) -> pl.DataFrame:
    """Read and check an action register: which units did what, from when, aimed at what.

    A register row names a unit (by the grouping columns of the estimates, e.g.
    ``forvaltning`` and ``enhet``; a row naming only a förvaltning covers all its units),
    the ``action``, its ``start`` date and the ``measures`` it aims at (dimension, index or
    item ids or their labels, several separated by commas), optionally ``intensity``,
    ``cost`` and ``note``. Every problem is an error naming the row and column and what
    would fix it; nothing is dropped.

    An action is measured from the first wave fielded after its start: with ``waves``,
    each year's wave counts as fielded on ``fieldwork`` (month-day) of that year.

    Parameters
    ----------
    register : polars.DataFrame, LazyFrame or path
        The register, or a file: CSV/Excel/parquet (as :func:`lyhord.read_table` reads
        them) or TOML with one ``[[action]]`` table per row.
    instrument : Instrument, str or path
        Whose measures the actions aim at.
    units : polars.DataFrame or mapping of year to polars.DataFrame, optional
        Estimate tables (:func:`lyhord.estimate`) whose units the register names; every unit
        of any of them is known (a blanked unit too: it is registered, its effect is not
        shown).
    waves : sequence of int, optional
        The years of the waves (default: the years of ``units`` when it maps years to
        tables). A start before the first wave's fieldwork (nothing to
        compare with) or after the last wave's (nothing measured yet) is an error.
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
    raw = _register_frame(register)
    by = _unit_columns(raw, units)
    known = _known_units(units, by)
    dates = wave_dates(waves, fieldwork)
    resolve = _measure_resolver(inst)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(raw.iter_rows(named=True), start=1):
        start = _start(row.get("start"), number)
        base, first = _waves_around(start, dates, number)
        measures = _measures(row.get("measures"), resolve, number, inst)
        action = row.get("action")
        if not isinstance(action, str) or not action.strip():
            raise DataError(f"register row {number}, column `action`: empty; name the action")
        for unit in _units_of(row, by, known, number):
            key = (*unit, action.strip())
            if key in seen:
                raise DataError(
                    f"register rows {seen[key]} and {number} both register `{action}` for "
                    f"{_unit_text(unit, by)}; keep one row (several measures go in one "
                    "`measures` cell, separated by commas)"
                )
            seen[key] = number
            extra: dict[str, Any] = {
                c: row[c] for c in ("intensity", "cost", "note") if c in raw.columns
            }
            rows.append(
                {
                    **dict(zip(by, unit, strict=True)),
                    "action": action.strip(),
                    "start": start,
                    "measures": measures,
                    "base_wave": base,
                    "first_wave": first,
                    "row": number,
                    **extra,
                }
            )
    schema: dict[str, Any] = {c: pl.String for c in by}
    schema.update(
        action=pl.String,
        start=pl.Date,
        measures=pl.List(pl.String),
        base_wave=pl.Int64,
        first_wave=pl.Int64,
        row=pl.UInt32,
    )
    for c in ("intensity", "cost"):
        if c in raw.columns:
            schema[c] = pl.Float64
    if "note" in raw.columns:
        schema["note"] = pl.String
    return pl.DataFrame(rows, schema=schema, orient="row")


def _register_frame(register: Any) -> pl.DataFrame:
    if isinstance(register, (str, Path)):
        path = Path(register)
        problem = file_problem(path)
        if problem:
            raise LyhordError(f"register {path}: {problem}")
        if path.suffix.lower() == ".toml":
            frame = _toml_register(path)
        else:
            from ._tables import read_table

            frame = read_table(path)
    else:
        frame = _collect(register, "register")
    frame = frame.drop(DERIVED, strict=False)
    if "measure" in frame.columns and "measures" not in frame.columns:
        frame = frame.rename({"measure": "measures"})
    for column in ("action", "start", "measures"):
        if column not in frame.columns:
            raise DataError(
                f"the register has no column `{column}`; it needs action, start and measures "
                f"beside the unit columns (it has {', '.join(frame.columns) or 'none'})"
            )
    return frame


def _toml_register(path: Path) -> pl.DataFrame:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise DataError(f"register {path}: cannot read it as TOML: {e}") from None
    entries = raw.get("action")
    if not isinstance(entries, list) or not entries or set(raw) != {"action"}:
        raise DataError(
            f'register {path}: give one [[action]] table per row (enhet = "…", action = "…", '
            'start = 2025-11-03, measures = ["ledarskap"])'
        )
    rows = [
        {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in e.items()} for e in entries
    ]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in columns},
        schema_overrides={"measures": pl.Object} if "measures" in columns else None,
        strict=False,
    )


def _grouping(table: pl.DataFrame) -> list[str]:
    """The grouping columns of an estimate table: between ``level`` and ``measure``."""
    columns = table.columns
    if "level" not in columns or "measure" not in columns:
        raise DataError(
            "not an estimate table (no `level` and `measure` columns); pass the output of "
            "ly.estimate or Publication.estimate"
        )
    return columns[columns.index("level") + 1 : columns.index("measure")]


def _tables(units: pl.DataFrame | Mapping[int, pl.DataFrame] | None) -> list[pl.DataFrame]:
    if units is None:
        return []
    if isinstance(units, pl.DataFrame):
        return [units]
    if isinstance(units, Mapping):
        return list(units.values())
    raise ArgumentTypeError(
        f"`units` must be an estimate table or a mapping of year to them, not "
        f"{type(units).__name__}"
    )


def _unit_columns(raw: pl.DataFrame, units: Any) -> list[str]:
    present = [c for c in raw.columns if c not in FIELDS]
    tables = _tables(units)
    if not tables:
        if not present:
            raise DataError("the register names no unit: add a unit column (e.g. `enhet`)")
        return present
    by = _grouping(tables[0])
    unknown = [c for c in present if c not in by]
    if unknown:
        raise DataError(
            f"register column `{unknown[0]}` is neither a unit column of the estimates "
            f"({', '.join(by)}) nor one of {', '.join(FIELDS)}"
        )
    if not present:
        raise DataError(f"the register names no unit: add a column among {', '.join(by)}")
    return by


def _known_units(units: Any, by: list[str]) -> list[tuple] | None:
    tables = _tables(units)
    if not tables:
        return None
    leaf = [
        t.filter(pl.col("level") == len(by)).select(pl.col(by).cast(pl.String)).unique()
        for t in tables
    ]
    return sorted(set(pl.concat(leaf).iter_rows()), key=str)


def _units_of(row: dict, by: list[str], known: list[tuple] | None, number: int) -> list[tuple]:
    named = {c: (None if row.get(c) is None else str(row[c]).strip()) for c in by}
    named = {c: v for c, v in named.items() if v}
    if not named:
        raise DataError(
            f"register row {number}: names no unit; fill in {' or '.join(f'`{c}`' for c in by)}"
        )
    if known is None:
        return [tuple(named.get(c) for c in by)]
    matches = [u for u in known if all(u[by.index(c)] == v for c, v in named.items())]
    if matches:
        return matches
    column = next(c for c in reversed(by) if c in named)
    values = sorted({u[by.index(column)] for u in known if u[by.index(column)] is not None})
    close = difflib.get_close_matches(named[column], values, n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    raise DataError(
        f"register row {number}, column `{column}`: `{named[column]}` is not a unit of the "
        f"estimates{hint}"
    )


def _unit_text(unit: tuple, by: list[str]) -> str:
    return ", ".join(f"{c} `{v}`" for c, v in zip(by, unit, strict=True) if v is not None)


def wave_dates(waves: Sequence[int] | None, fieldwork: str) -> dict[int, dt.date] | None:
    match = re.fullmatch(r"(\d{2})-(\d{2})", fieldwork) if isinstance(fieldwork, str) else None
    try:
        month, day = (int(match[1]), int(match[2])) if match else (0, 0)
        dt.date(2024, month, day)
    except ValueError:
        match = None
    if match is None:
        raise ArgumentError(
            f"parameter `fieldwork` must be the month and day of each wave's fieldwork as "
            f'"MM-DD", e.g. "10-01"; got {fieldwork!r}'
        )
    if waves is None:
        return None
    years = sorted({int(y) for y in waves})
    if not years:
        raise ArgumentError("parameter `waves` must name at least one year")
    return {y: dt.date(y, month, day) for y in years}


def _start(value: Any, number: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DataError(
        f"register row {number}, column `start`: {value!r} is not a date; write it as "
        "YYYY-MM-DD, e.g. 2025-11-03"
    )


def _waves_around(
    start: dt.date, wave_dates: dict[int, dt.date] | None, number: int
) -> tuple[int | None, int | None]:
    if wave_dates is None:
        return None, None
    before = [y for y, d in wave_dates.items() if d <= start]
    after = [y for y, d in wave_dates.items() if d > start]
    first, last = min(wave_dates), max(wave_dates)
    if not before:
        raise DataError(
            f"register row {number}, column `start`: {start} is before the first wave ({first}, "
            f"fielded {wave_dates[first]}): there is no measurement before the action to "
            "compare with; correct the date or leave the row out"
        )
    if not after:
        raise DataError(
            f"register row {number}, column `start`: {start} is after the last wave ({last}, "
            f"fielded {wave_dates[last]}): nothing is measured after it yet; add the row when "
            "the next wave is in (ly.detectable_change says what it could show)"
        )
    return max(before), min(after)


def _measure_resolver(inst: Instrument):
    names: dict[str, str] = {}
    for lang in ("sv", "en"):
        labels = inst.labels(lang=lang)
        for measure, label in zip(labels["measure"], labels["label"], strict=True):
            names.setdefault(str(label).casefold(), measure)
    for measure, _ in inst.measures:
        names[measure.casefold()] = measure
    return names


def _measures(value: Any, names: dict[str, str], number: int, inst: Instrument) -> list[str]:
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,;]", value)]
    elif isinstance(value, (list, tuple, pl.Series)):
        parts = [str(p).strip() for p in value]
    else:
        parts = []
    parts = [p for p in parts if p]
    if not parts:
        raise DataError(
            f"register row {number}, column `measures`: empty; name the dimension(s) the "
            f"action aims at ({', '.join(inst.dimensions)})"
        )
    out = []
    for p in parts:
        measure = names.get(p.casefold())
        if measure is None:
            close = difflib.get_close_matches(p.casefold(), list(names), n=1)
            hint = f" (did you mean `{names[close[0]]}`?)" if close else ""
            raise DataError(
                f"register row {number}, column `measures`: `{p}` is not a measure of "
                f"{inst.id}{hint}; use a dimension ({', '.join(inst.dimensions)}), "
                f"`{inst.index_id}` or an item id"
            )
        if measure not in out:
            out.append(measure)
    return out


# ---- effects


def action_effects(
    estimates: Mapping[int, pl.DataFrame],
    register: pl.DataFrame | pl.LazyFrame | str | Path,
    instrument: Instrument | str | Path,
    *,
    adjust: bool = True,
    trend: bool = False,
    placebo: bool = True,
    confidence: float = 0.95,
    min_comparison: int = 5,
    fieldwork: str = FIELDWORK,
    unit_map: UnitMap | Mapping[int, UnitMap] = None,
    lang: Lang | None = None,
) -> pl.DataFrame:
    r"""Did the actions work? Each action's effect on the measures it aims at, against
    comparable units without it: difference in differences over the published waves.

    For an action whose units started between wave *b* (the base) and wave *g*, every unit
    contributes its change Δ_u = mean of the waves from *g* on − its mean in *b*. The
    comparison units are those with neither the action nor any registered action aimed at
    a statement of the measure. The effect τ is the coefficient of "has the action" in the
    least-squares fit

    .. math:: Δ_u = β_0 + τ\,D_u + γ_1 (\bar y_{ub} − \bar y_b) + γ_2 (\ln n_{ub} −
              \overline{\ln n_b}) + e_u

    which adjusts for the units' earlier level and size (units that scored low rise by
    themselves — regression to the mean; ``adjust=False`` leaves the plain difference of
    mean changes; ``trend=True`` adds each unit's change over the two waves before the
    action, γ₃(ȳ_ub − ȳ_u,b−1), for units that were already on their way up or down).
    One change per unit makes its variance cluster-robust by unit: HC2, which without
    covariates is Welch's s²_T/n_T + s²_C/n_C, with the Bell–McCaffrey degrees of freedom
    for the t interval (Imbens & Kolesár 2016), so the interval keeps its coverage with a
    handful of units.

    One unit's effect (``view="unit"``) is its change minus what the comparison units'
    fit predicts at its level and size; its variance adds the unit's own sampling variance
    from the published SEs (with the finite-population correction when the estimates had
    headcounts: zero for a unit where everyone answered), the year-to-year variation of
    any unit's change beyond its sampling (from the comparison units, method of moments)
    and the prediction's variance, with t(n_C − K). The units' intervals hold jointly over
    the action's units (Bonferroni: each at 1 − α/m for m units, ``p`` multiplied by m),
    so that among nine units one does not look "clearly changed" by chance.

    ``view="event"``: the same effect wave by wave, each against the base wave — the
    waves after the start show how the effect builds up, the waves before it are a placebo
    (an action cannot work before it starts: a clear "effect" there means the units were
    already on another path). ``view="placebo"``: the pooled effect on the instrument's
    dimensions that share no statement with what the action aims at.

    Only published numbers are used: a unit blanked in a wave the comparison needs takes
    no part in it (the note says how many of the action's units), a blanked unit gets no
    row of its own, and a comparison needs ``min_comparison`` published units.

    Parameters
    ----------
    estimates : mapping of year to polars.DataFrame
        Published estimate tables per wave (:func:`lyhord.estimate`,
        :meth:`Publication.estimate`), all with the same ``by``; with headcounts for the
        census SEs.
    register : polars.DataFrame, path
        The action register (see :func:`actions`; checked again here against the
        estimates' units and waves).
    instrument : Instrument, str or path
    adjust : bool
        Adjust for the units' level and size in the base wave (default) or not.
    trend : bool
        Also adjust for each unit's earlier trend: its change from the wave before the
        base to the base (units need that wave too; without it the note says so).
    placebo : bool
        Add the placebo rows on untargeted dimensions.
    confidence : float
        Of the intervals.
    min_comparison : int
        Fewest comparison units (default 5).
    fieldwork : str
        Month-day of each wave's fieldwork (see :func:`actions`).
    unit_map : mapping or polars.DataFrame, optional
        Reorganisations, as for :func:`trend`: every earlier wave is first restated in the
        latest organisation, so a renamed unit keeps its line (the register names units as
        the latest wave has them). A merged unit's dimensions cannot be restated from
        published cells and it takes no part in them.
    lang : {"sv", "en"}, optional
        Language of ``label`` and ``sentence``; default the instrument's.

    Returns
    -------
    polars.DataFrame
        ``action``, ``first_wave``, ``base_wave``, ``view`` (effect, unit, event, placebo),
        ``measure``, ``label``, the unit columns (the unit of a ``unit`` row, else null),
        ``wave`` and ``event_time`` (event rows: waves after the start count from 0, the
        base wave is −1), ``estimate``, ``se``, ``df``, ``ci_low``, ``ci_high``, ``p``
        (points on the 0–100 scale), ``treated_units``, ``comparison_units``, ``units``
        and ``comparison`` (the names of the units with the action and of the comparison
        units that took part), ``sentence`` and ``note`` (why a row has no estimate, or
        how many of the action's units took no part).

    Examples
    --------
    Exempelkommun's leadership programme (true effect on Ledarskap: 5,8 points):

    >>> import lyhord as ly
    >>> est = {y: ly.estimate(ly.example_data("staff", year=y), "hme",
    ...                       by=["forvaltning", "enhet"], headcounts=ly.headcounts(year=y))
    ...        for y in (2023, 2024, 2025, 2026)}
    >>> fx = ly.action_effects(est, ly.example_data("actions"), "hme")
    >>> row = fx.filter(view="effect", action="Ledarskapsutbildning").row(0, named=True)
    >>> row["ci_low"] > 0, row["treated_units"]
    (True, 9)
    >>> row["sentence"].split(" (")[0][:14]
    'Ledarskap steg'
    """
    inst = resolve_instrument(instrument)
    for name, flag in (("adjust", adjust), ("trend", trend), ("placebo", placebo)):
        if not isinstance(flag, bool):
            raise ArgumentTypeError(f"parameter `{name}` must be True or False, got {flag!r}")
    if (
        isinstance(min_comparison, bool)
        or not isinstance(min_comparison, int)
        or min_comparison < 2
    ):
        raise ArgumentError(
            f"parameter `min_comparison` must be a whole number ≥ 2, got {min_comparison!r}"
        )
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ArgumentError(f"parameter `confidence` must be between 0 and 1, got {confidence!r}")
    if unit_map is not None:
        estimates = _restated(estimates, unit_map)
    panel = _Panel.of(estimates)
    reg = actions(register, inst, units=estimates, waves=panel.years, fieldwork=fieldwork)
    from .report._format import Words, measure_labels

    words = Words.of(inst, lang)
    options = _Options(adjust, trend, float(confidence), min_comparison)
    ctx = _Effects(inst, panel, reg, options, words, measure_labels(inst, words))
    rows: list[dict[str, Any]] = []
    cohorts = reg.select("action", "first_wave", "base_wave").unique(maintain_order=True)
    for action, first, base in cohorts.iter_rows():
        cohort = reg.filter(action=action, first_wave=first)
        targeted = list(dict.fromkeys(m for ms in cohort["measures"] for m in ms))
        for measure in targeted:
            treated = [
                _key(r, panel.by)
                for r in cohort.filter(pl.col("measures").list.contains(measure)).iter_rows(
                    named=True
                )
            ]
            rows.extend(ctx.measure_rows(action, first, base, measure, treated))
        if placebo:
            for measure in ctx.untouched(targeted):
                treated = [_key(r, panel.by) for r in cohort.iter_rows(named=True)]
                rows.extend(ctx.pooled(action, first, base, measure, treated, "placebo"))
    return _effect_frame(rows, panel.by)


def _restated(
    estimates: Mapping[int, pl.DataFrame], unit_map: UnitMap | Mapping[int, UnitMap]
) -> dict[int, pl.DataFrame]:
    """Every wave in the latest organisation, as :func:`trend` restates it."""
    series = trend(estimates, unit_map=unit_map)
    columns = [c for c in series.columns if c not in ("year", "mapping")]
    return {int(y): series.filter(pl.col("year") == y).select(columns) for y in estimates}


def _key(row: dict, by: list[str]) -> tuple:
    return tuple(row[c] for c in by)


class _Panel:
    """The published leaf-unit means of every wave: (unit, measure, year) → (mean, se, n)."""

    def __init__(self, years: list[int], by: list[str], values: dict[tuple, tuple]) -> None:
        self.years, self.by, self.values = years, by, values
        self.units = sorted({k[0] for k in values}, key=str)
        self.leaf_names_unique = len({u[-1] for u in self.units}) == len(self.units)

    @classmethod
    def of(cls, estimates: Mapping[int, pl.DataFrame]) -> _Panel:
        if not isinstance(estimates, Mapping) or len(estimates) < 2:
            raise ArgumentError(
                "parameter `estimates` must map at least two years to their estimate tables, "
                "e.g. {2025: t25, 2026: t26}"
            )
        years = sorted(int(y) for y in estimates)
        by = _grouping(next(iter(estimates.values())))
        values: dict[tuple, tuple] = {}
        for year, table in estimates.items():
            if _grouping(table) != by:
                raise DataError(
                    f"the {year} table is grouped by [{', '.join(_grouping(table))}], the others "
                    f"by [{', '.join(by)}]; estimate every wave with the same `by`"
                )
            leaf = table.filter(
                pl.col("level") == len(by), ~pl.col("suppressed"), pl.col("mean").is_not_null()
            ).select(pl.col(by).cast(pl.String), "measure", "mean", "se", "n")
            for row in leaf.iter_rows():
                unit, (measure, mean, se, n) = tuple(row[: len(by)]), row[len(by) :]
                values[(unit, measure, int(year))] = (mean, se or 0.0, n)
        return cls(years, by, values)

    def get(self, unit: tuple, measure: str, year: int) -> tuple | None:
        return self.values.get((unit, measure, year))

    def name(self, unit: tuple) -> str:
        """A unit for people: its own name, or its whole key ("Förvaltning / Enhet") when
        two units share a name."""
        if self.leaf_names_unique:
            return str(unit[-1])
        return " / ".join(str(v) for v in unit if v is not None)


@dataclass(frozen=True)
class _Options:
    adjust: bool
    trend: bool
    confidence: float
    min_comparison: int


class _Effects:
    def __init__(self, inst, panel, reg, options: _Options, words, labels):
        self.inst, self.panel, self.reg = inst, panel, reg
        self.adjust, self.trend = options.adjust, options.trend
        self.confidence, self.min_comparison = options.confidence, options.min_comparison
        self.words, self.labels = words, labels
        self.items = _items_of(inst)

    def untouched(self, targeted: list[str]) -> list[str]:
        """Dimensions sharing no statement with what the action aims at."""
        aimed = set().union(*(self.items[m] for m in targeted))
        return [d for d in self.inst.dimensions if not self.items[d] & aimed]

    def comparisons(self, measure: str, action: str) -> list[tuple]:
        """Units with neither this action nor any registered action aimed at a statement
        of ``measure`` (for a placebo measure the action's own units are not comparisons
        either)."""
        items = self.items[measure]
        touched = {
            _key(r, self.panel.by)
            for r in self.reg.iter_rows(named=True)
            if r["action"] == action or any(self.items[m] & items for m in r["measures"])
        }
        return [u for u in self.panel.units if u not in touched]

    def measure_rows(self, action, first, base, measure, treated) -> list[dict]:
        rows = self.pooled(action, first, base, measure, treated, "effect")
        rows += self.unit_rows(action, first, base, measure, treated)
        for year in self.panel.years:
            if year != base:
                rows += self.pooled(action, first, base, measure, treated, "event", [year])
        return rows

    def changes(self, units, measure, base, after) -> dict[tuple, tuple]:
        """unit → (change, covariates, sampling variance) for units published in every wave
        needed."""
        out = {}
        before = self.before(base)
        for u in units:
            b = self.panel.get(u, measure, base)
            later = [self.panel.get(u, measure, y) for y in after]
            earlier = self.panel.get(u, measure, before) if before is not None else None
            if b is None or any(v is None for v in later) or not later:
                continue
            if before is not None and earlier is None:
                continue
            mean_after = sum(v[0] for v in later) / len(later)
            var = b[1] ** 2 + sum(v[1] ** 2 for v in later) / len(later) ** 2
            covariates = [b[0], math.log(max(b[2], 1))] if self.adjust else []
            if earlier is not None:
                covariates.append(b[0] - earlier[0])
            out[u] = (mean_after - b[0], covariates, var)
        return out

    def before(self, base: int) -> int | None:
        """The wave before the base, whose change to it is the unit's earlier trend (with
        ``trend``; None without, or when the base is the first wave)."""
        index = self.panel.years.index(base)
        return self.panel.years[index - 1] if self.trend and index > 0 else None

    def after(self, first: int) -> list[int]:
        return [y for y in self.panel.years if y >= first]

    def pooled(self, action, first, base, measure, treated, view, waves=None) -> list[dict]:
        waves = waves or self.after(first)
        compare = self.changes(self.comparisons(measure, action), measure, base, waves)
        mine = self.changes(treated, measure, base, waves)
        row = self._row(action, first, base, view, measure)
        if view == "event":
            year = waves[0]
            row.update(wave=year, event_time=_event_time(self.panel.years, year, first))
        row.update(
            treated_units=len(mine),
            comparison_units=len(compare),
            units=sorted(self.panel.name(u) for u in mine),
            comparison=sorted(self.panel.name(u) for u in compare),
        )
        missing = len(set(treated)) - len(mine)
        notes = []
        if self.trend and self.before(base) is None:
            notes.append(self._text("no_trend", base=base))
        if missing:
            notes.append(self._text("left_out", n=missing, of=len(set(treated))))
        if len(mine) < 2 or len(compare) < self.min_comparison:
            notes.append(
                self._text(
                    "too_few", treated=len(mine), compare=len(compare), need=self.min_comparison
                )
            )
            row["note"] = "; ".join(notes)
            return [row]
        units = [(True, *mine[u]) for u in mine] + [(False, *compare[u]) for u in compare]
        try:
            effect = _lyhord._pooled_effect(units, self.confidence)
        except LyhordError as e:
            row["note"] = "; ".join([*notes, str(e)])
            return [row]
        row.update(_effect_columns(effect))
        row["sentence"] = self.sentence(measure, effect, view)
        row["note"] = "; ".join(notes) or None
        return [row]

    def unit_rows(self, action, first, base, measure, treated) -> list[dict]:
        waves = self.after(first)
        compare = self.changes(self.comparisons(measure, action), measure, base, waves)
        rows = []
        mine = self.changes(treated, measure, base, waves)
        # Simultaneous over the action's units (Bonferroni): a statement about "this unit"
        # among nine must not come true by chance one time in two.
        units = max(len(mine), 1)
        confidence = 1.0 - (1.0 - self.confidence) / units
        for unit, change in mine.items():
            row = self._row(action, first, base, "unit", measure)
            row.update(
                dict(zip(self.panel.by, unit, strict=True)),
                treated_units=1,
                comparison_units=len(compare),
                units=[self.panel.name(unit)],
                comparison=sorted(self.panel.name(u) for u in compare),
            )
            if len(compare) < self.min_comparison:
                row["note"] = self._text(
                    "too_few", treated=1, compare=len(compare), need=self.min_comparison
                )
            else:
                effect = _lyhord._unit_effect(
                    (True, *change), [(False, *c) for c in compare.values()], confidence
                )
                row.update(_effect_columns(effect))
                row["p"] = min(1.0, row["p"] * units) if row["p"] is not None else None
                row["sentence"] = self.sentence(measure, effect, "unit")
            rows.append(row)
        return rows

    def _row(self, action, first, base, view, measure) -> dict:
        return {
            "action": action,
            "first_wave": first,
            "base_wave": base,
            "view": view,
            "measure": measure,
            "label": self.labels.get(measure, measure),
        }

    def _text(self, key: str, **values: Any) -> str:
        return _TEXTS[self.words.lang][key].format(**values)

    def sentence(self, measure: str, effect: tuple, view: str) -> str:
        estimate, _, _, low, high, _ = effect
        w = self.words
        label = self.labels.get(measure, measure)
        texts = _TEXTS[w.lang]
        compared = texts["than_units"]
        if low > 0 or high < 0:
            verb = texts["rose"] if estimate > 0 else texts["fell"]
            lo, hi = (low, high) if estimate > 0 else (-high, -low)
            return texts["clear"].format(
                label=label,
                verb=verb,
                x=w.number(abs(estimate)),
                lo=w.number(lo),
                hi=w.number(hi),
                than=compared,
            )
        return texts["unclear"].format(
            label=label, x=w.number(estimate, sign=True), lo=w.number(low), hi=w.number(high)
        )


_TEXTS = {
    "sv": {
        "rose": "steg",
        "fell": "sjönk",
        "than_units": "mer än i jämförbara enheter",
        "clear": "{label} {verb} {x} ({lo} till {hi}) {than}",
        "unclear": "{label}: ingen säker skillnad mot jämförbara enheter ({x}; {lo} till {hi})",
        "left_out": "{n} av åtgärdens {of} enheter ingår inte (visas inte alla år som behövs)",
        "no_trend": "utan tidigare trend: ingen mätning före {base}",
        "too_few": "inget resultat: {treated} enheter med åtgärden och {compare} jämförbara "
        "enheter visas; det behövs minst 2 och {need}",
    },
    "en": {
        "rose": "rose",
        "fell": "fell",
        "than_units": "more than in comparable units",
        "clear": "{label} {verb} {x} ({lo} to {hi}) {than}",
        "unclear": "{label}: no clear difference from comparable units ({x}; {lo} to {hi})",
        "left_out": "{n} of the action's {of} units take no part (not shown in every wave needed)",
        "no_trend": "without the earlier trend: no wave before {base}",
        "too_few": "no result: {treated} units with the action and {compare} comparable units "
        "are shown; at least 2 and {need} are needed",
    },
}


def _event_time(years: list[int], year: int, first: int) -> int:
    return years.index(year) - years.index(first)


def _effect_columns(effect: tuple) -> dict[str, float | None]:
    names = ("estimate", "se", "df", "ci_low", "ci_high", "p")
    return {
        n: (None if isinstance(v, float) and math.isnan(v) else v)
        for n, v in zip(names, effect, strict=True)
    }


def _items_of(inst: Instrument) -> dict[str, set[str]]:
    labels = inst.labels()
    parent = dict(zip(labels["measure"], labels["parent"], strict=True))
    out: dict[str, set[str]] = {m: set() for m in parent}
    for item in inst.items:
        node: str | None = item
        while node is not None:
            out.setdefault(node, set()).add(item)
            node = parent.get(node)
    return out


def _effect_frame(rows: list[dict], by: list[str]) -> pl.DataFrame:
    schema: dict[str, Any] = {
        "action": pl.String,
        "first_wave": pl.Int64,
        "base_wave": pl.Int64,
        "view": pl.String,
        "measure": pl.String,
        "label": pl.String,
        **{c: pl.String for c in by},
        "wave": pl.Int64,
        "event_time": pl.Int64,
        "estimate": pl.Float64,
        "se": pl.Float64,
        "df": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "p": pl.Float64,
        "treated_units": pl.UInt32,
        "comparison_units": pl.UInt32,
        "units": pl.List(pl.String),
        "comparison": pl.List(pl.String),
        "sentence": pl.String,
        "note": pl.String,
    }
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


# ---- power before acting


def detectable_change(
    estimates: pl.DataFrame,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    response_rate: float | None = None,
) -> pl.DataFrame:
    r"""The smallest change of each group's mean to the next wave that the follow-up will
    see: so a förvaltning knows before acting whether a change will be measurable.

    For a group with n respondents of N employees and last year's SD s, and n′ expected
    respondents next time (n again, or ``response_rate``·N), the change δ that a two-sided
    test at ``confidence`` detects with probability ``power`` solves

    .. math:: Φ(δ/SE − z) + Φ(−δ/SE − z) = \text{power},\quad z = Φ^{-1}(1 − α/2),\quad
              SE = s\sqrt{\frac{1 − n/N}{n} + \frac{1 − n'/N}{n'}}

    (Bloom 1995: δ ≈ (z + Φ⁻¹(power))·SE). The finite-population correction is that of a
    census survey: a unit where everyone answers measures any change exactly (0), a unit
    without headcount is treated as a sample from a large population. This is the
    change of the unit's own mean; an action's effect is judged against comparison units
    as well (:func:`action_effects`), which adds their uncertainty.

    Parameters
    ----------
    estimates : polars.DataFrame
        Last wave's estimate table (with headcounts for the census correction).
    power : float
        Probability of detecting the change (default 0.8).
    confidence : float
        Of the test (default 0.95).
    response_rate : float, optional
        Expected share answering next time; default: as many as this time.

    Returns
    -------
    polars.DataFrame
        The grouping columns, ``level``, ``measure``, ``n``, ``headcount``, ``sd``,
        ``n_next``, ``detectable`` (0–100 points), ``power``, ``confidence``. A blanked row
        stays blank.

    Examples
    --------
    >>> import lyhord as ly
    >>> t = ly.estimate(ly.example_data("staff", year=2025), "hme",
    ...                 by=["forvaltning", "enhet"], headcounts=ly.headcounts(year=2025))
    >>> d = ly.detectable_change(t).filter(measure="ledarskap")
    >>> 0 < d.filter(level=0)["detectable"][0] < 2
    True
    >>> row = d.filter(enhet="Hemtjänst Öster").row(0, named=True)
    >>> row["n"], row["headcount"], round(row["detectable"], 1)
    (55, 75, 3.1)
    """
    table = _collect(estimates, "estimates")
    by = _grouping(table)
    for name, value in (("power", power), ("confidence", confidence)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ArgumentError(f"parameter `{name}` must be between 0 and 1, got {value!r}")
    if response_rate is not None and (
        isinstance(response_rate, bool)
        or not isinstance(response_rate, (int, float))
        or not 0 < response_rate <= 1
    ):
        raise ArgumentError(
            f"parameter `response_rate` must be a share in (0, 1], e.g. 0.8; got {response_rate!r}"
        )
    headcount = (
        table["headcount"]
        if "headcount" in table.columns
        else pl.repeat(None, table.height, dtype=pl.Float64, eager=True)
    )
    if response_rate is not None and headcount.null_count() == table.height:
        raise ArgumentError(
            "parameter `response_rate` needs headcounts: estimate with headcounts=… or leave "
            "it out (then as many answer as this time)"
        )
    shown = (~table["suppressed"]) & table["sd"].is_not_null() & (table["n"] > 1)
    n = table["n"].cast(pl.Float64)
    big_n = headcount.cast(pl.Float64)
    n_next = n if response_rate is None else (big_n * response_rate).round().fill_null(n)
    rows = [
        (sd, a, max(b, 1.0), cap if cap is not None and cap >= a else None)
        for sd, a, b, cap in zip(
            table["sd"].fill_null(0.0), n.fill_null(1.0), n_next.fill_null(1.0), big_n, strict=True
        )
    ]
    values = _lyhord._detectable_change(rows, float(confidence), float(power))
    shown_only = ["n", "headcount", "sd", "n_next", "detectable"]
    return (
        table.select(*by, "level", "measure", "n", "sd")
        .with_columns(
            headcount=headcount.cast(pl.Int64),
            n_next=n_next.cast(pl.Int64),
            detectable=pl.Series(values, dtype=pl.Float64),
        )
        .select(*by, "level", "measure", "n", "headcount", "sd", "n_next", "detectable")
        .with_columns(pl.when(pl.lit(shown)).then(pl.col(c)).alias(c) for c in shown_only)
        .with_columns(power=pl.lit(float(power)), confidence=pl.lit(float(confidence)))
    )
