"""Did the actions work? Each registered action's effect on the next waves (difference in
differences of published unit means against units without it), and the change a unit could
detect before acting."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from . import _lyhord
from ._actions import FIELDWORK, actions, grouping_of
from ._args import _collect, _count, resolve_instrument
from ._followup import UnitMap, trend
from ._lyhord import ArgumentError, ArgumentTypeError, Instrument, LyhordError
from ._types import Lang
from .report._wide import key_columns

__all__ = ["action_effects", "detectable_change"]

#: What the comparison is adjusted for, as the ``adjustment`` column says it.
ADJUSTMENTS = {
    (False, False): "none",
    (True, False): "level_size",
    (True, True): "level_size_trend",
    (False, True): "trend",
}


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
    by: list[str] | None = None,
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
    already on another path). An action whose units started in different waves is
    analysed per start (``first_wave``), and its starts together in one more ``effect``
    row with ``first_wave`` empty: the starts' effects weighted by their numbers of units,
    with a conservative variance (the starts share comparison units, so their estimates
    are taken as perfectly correlated: (Σ wᵢ SEᵢ)², the smallest df). The event view is
    never adjusted for the earlier trend: its waves before the start are what shows a
    trend. ``view="placebo"``: the pooled
    effect on each of the instrument's dimensions and statements that share no statement
    with what the action aims at (a programme for managers should not move them).

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
        Add the placebo rows on the dimensions and statements the action did not aim at.
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
    by : list of str, optional
        The unit columns, top level first; default all grouping columns of the estimates.
        Give it when the estimates have a ``background`` breakdown: its rows are not units.
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
        units that took part), ``sentence``, ``note`` (why a row has no estimate, or
        how many of the action's units took no part), ``confidence`` and ``adjustment``
        (``level_size``, ``level_size_trend``, ``trend`` or ``none``: what the comparison
        was adjusted for, which the report writers say).

    Examples
    --------
    Exempelkommun's leadership programme (true effect on Ledarskap: 5.8 points on average):

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
    _count(min_comparison, "min_comparison", 2)
    _share("confidence", confidence)
    estimates = _tables(estimates)
    if unit_map is not None:
        if not isinstance(unit_map, (Mapping, pl.DataFrame)):
            raise ArgumentTypeError(
                'parameter `unit_map` must be a mapping such as {2026: {"Old": "New"}} '
                f"or a frame with year, earlier, later; got {type(unit_map).__name__}"
            )
        estimates = restated(estimates, unit_map)
    panel = _Panel.of(estimates, by)
    reg = actions(
        register, inst, units=estimates, by=panel.by, waves=panel.years, fieldwork=fieldwork
    )
    from .report._format import Words, measure_labels

    words = Words.of(inst, lang)
    options = _Options(adjust, trend, float(confidence), min_comparison)
    ctx = _Effects(inst, panel, reg, options, words, measure_labels(inst, words))
    rows = [row for cohort in _cohorts(reg) for row in ctx.cohort_rows(cohort, placebo)]
    rows.extend(ctx.combined(rows))
    return _effect_frame(rows, panel.by).with_columns(
        confidence=pl.lit(float(confidence)), adjustment=pl.lit(ADJUSTMENTS[(adjust, trend)])
    )


def _cohorts(reg: pl.DataFrame) -> list[pl.DataFrame]:
    """The register's units grouped by action and first wave after the start."""
    keys = reg.select("action", "first_wave").unique(maintain_order=True)
    return [reg.filter(action=a, first_wave=f) for a, f in keys.iter_rows()]


def _tables(estimates: Any) -> dict[int, pl.DataFrame]:
    if not isinstance(estimates, Mapping) or len(estimates) < 2:
        raise ArgumentError(
            "parameter `estimates` must map at least two years to their estimate tables, "
            "e.g. {2025: t25, 2026: t26}"
        )
    out = {}
    for year, table in estimates.items():
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise ArgumentError(f"parameter `estimates`: the key {year!r} is not a year")
        out[year] = _collect(table, f"estimates[{year}]")
    return out


def _share(name: str, value: object) -> float:
    """A probability keyword (confidence, power): strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ArgumentError(f"parameter `{name}` must be between 0 and 1, got {value!r}")
    return float(value)


def restated(
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
    def of(cls, estimates: dict[int, pl.DataFrame], by: list[str] | None) -> _Panel:
        years = sorted(estimates)
        by = grouping_of(dict(sorted(estimates.items())), by)
        assert by is not None
        values: dict[tuple, tuple] = {}
        for year, table in estimates.items():
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
        self._comparisons: dict[tuple[str, str], list[tuple]] = {}

    def untouched(self, targeted: list[str]) -> list[str]:
        """Dimensions and statements sharing no statement with what the action aims at."""
        aimed = set().union(*(self.items[m] for m in targeted))
        measures = [*self.inst.dimensions, *self.inst.items]
        return [m for m in measures if not self.items[m] & aimed]

    def comparisons(self, measure: str, action: str) -> list[tuple]:
        """Units with neither this action nor any registered action aimed at a statement
        of ``measure`` (for a placebo measure the action's own units are not comparisons
        either). Asked for by every view and wave of a measure: found once."""
        if (measure, action) not in self._comparisons:
            items = self.items[measure]
            touched = {
                _key(r, self.panel.by)
                for r in self.reg.iter_rows(named=True)
                if r["action"] == action or any(self.items[m] & items for m in r["measures"])
            }
            found = [u for u in self.panel.units if u not in touched]
            self._comparisons[(measure, action)] = found
        return self._comparisons[(measure, action)]

    def cohort_rows(self, cohort: pl.DataFrame, placebo: bool) -> list[dict]:
        """A cohort's rows: each measure it aims at (all views), then the placebo measures."""
        action, first, base = cohort.select("action", "first_wave", "base_wave").row(0)
        targeted = list(dict.fromkeys(m for ms in cohort["measures"] for m in ms))
        rows = []
        for measure in targeted:
            aimed = cohort.filter(pl.col("measures").list.contains(measure))
            treated = [_key(r, self.panel.by) for r in aimed.iter_rows(named=True)]
            rows += self.measure_rows(action, first, base, measure, treated)
        if placebo:
            everyone = [_key(r, self.panel.by) for r in cohort.iter_rows(named=True)]
            for measure in self.untouched(targeted):
                rows += self.pooled(action, first, base, measure, everyone, "placebo")
        return rows

    def measure_rows(self, action, first, base, measure, treated) -> list[dict]:
        rows = self.pooled(action, first, base, measure, treated, "effect")
        rows += self.unit_rows(action, first, base, measure, treated)
        for year in self.panel.years:
            if year != base:
                rows += self.pooled(action, first, base, measure, treated, "event", [year])
        return rows

    def changes(self, units, measure, base, after, trend=True) -> dict[tuple, tuple]:
        """unit → (change, covariates, sampling variance) for units published in every wave
        needed (``trend=False``: never adjusted for the earlier trend)."""
        out = {}
        before = self.before(base) if trend else None
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
        # An event row's earlier waves are the trend: adjusting for it would fit them away.
        trend = view != "event"
        comparisons = self.comparisons(measure, action)
        compare = self.changes(comparisons, measure, base, waves, trend)
        mine = self.changes(treated, measure, base, waves, trend)
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
        if trend and self.trend and self.before(base) is None:
            notes.append(self._text("no_trend", base=base))
        if missing:
            notes.append(self._text("left_out", n=missing, of=len(set(treated))))
        need = self.needed(compare, extra=1)
        if len(mine) < 2 or len(compare) < need:
            notes.append(self.too_few(len(mine), len(compare), need, 2))
            row["note"] = "; ".join(notes)
            return [row]
        units = [(True, *mine[u]) for u in mine] + [(False, *compare[u]) for u in compare]
        try:
            effect = _lyhord._pooled_effect(units, self.confidence)
        except LyhordError as e:
            row["note"] = "; ".join([*notes, self.no_fit(e)])
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
            need = self.needed(compare, extra=0)
            if len(compare) < need:
                row["note"] = self.too_few(1, len(compare), need, 1)
                rows.append(row)
                continue
            try:
                effect = _lyhord._unit_effect(
                    (True, *change), [(False, *c) for c in compare.values()], confidence
                )
            except LyhordError as e:
                row["note"] = self.no_fit(e)
                rows.append(row)
                continue
            row.update(_effect_columns(effect))
            row["p"] = min(1.0, row["p"] * units) if row["p"] is not None else None
            row["sentence"] = self.sentence(measure, effect, "unit")
            rows.append(row)
        return rows

    def combined(self, rows: list[dict]) -> list[dict]:
        """An action started in several waves: its cohorts' pooled effects together, one
        row per measure with ``first_wave`` empty (conservative: see the kernel)."""
        out = []
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            if row["view"] == "effect":
                groups.setdefault((row["action"], row["measure"]), []).append(row)
        for (action, measure), starts in groups.items():
            cohorts = [r for r in starts if r.get("estimate") is not None]
            if len(starts) < 2 or len(cohorts) < 2:
                continue
            without = [str(r["first_wave"]) for r in starts if r.get("estimate") is None]
            parts = [(_effect_tuple(r), float(r["treated_units"])) for r in cohorts]
            effect = _lyhord._combined_effect(parts, self.confidence)
            row = self._row(action, None, None, "effect", measure)
            row.update(_effect_columns(effect))
            units = sorted({u for r in cohorts for u in r["units"]})
            comparison = sorted({u for r in cohorts for u in r["comparison"]})
            row.update(
                treated_units=len(units),
                comparison_units=len(comparison),
                units=units,
                comparison=comparison,
                sentence=self.sentence(measure, effect, "effect"),
                note=self._text("cohorts", waves=", ".join(str(r["first_wave"]) for r in cohorts))
                + (self._text("cohorts_without", waves=", ".join(without)) if without else ""),
            )
            out.append(row)
        return out

    def needed(self, compare: dict, extra: int) -> int:
        """Fewest comparison units: ``min_comparison``, and two more than the fit has
        coefficients (the intercept, ``extra`` for the action, the covariates)."""
        covariates = len(next(iter(compare.values()))[1]) if compare else 0
        return max(self.min_comparison, 1 + extra + covariates + 2)

    def too_few(self, treated: int, compare: int, need: int, need_treated: int) -> str:
        w = self.words
        return self._text(
            "too_few",
            treated=w.count(treated, "unit_noun"),
            compare=compare,
            need_treated=need_treated,
            need=need,
        )

    def no_fit(self, error: LyhordError) -> str:
        """Why the kernel could not fit, in the output's language."""
        key = "flat" if "covariate" in str(error) else "no_fit"
        return self._text(key)

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
        "too_few": "inget resultat: {treated} med åtgärden och {compare} jämförbara visas; "
        "det behövs minst {need_treated} och {need}",
        "flat": "inget resultat: enheterna skiljer sig inte i nivå eller storlek före start, så "
        "jämförelsen kan inte justeras för dem (adjust=False jämför utan justering)",
        "no_fit": "inget resultat: jämförelsen går inte att skatta med dessa enheter",
        "cohorts": "starterna mätta från {waves} tillsammans; intervallet är försiktigt "
        "beräknat eftersom starterna delar jämförbara enheter",
        "cohorts_without": "; starten mätt från {waves} ingår inte (inget resultat)",
    },
    "en": {
        "rose": "rose",
        "fell": "fell",
        "than_units": "more than in comparable units",
        "clear": "{label} {verb} {x} ({lo} to {hi}) {than}",
        "unclear": "{label}: no clear difference from comparable units ({x}; {lo} to {hi})",
        "left_out": "{n} of the action's {of} units take no part (not shown in every wave needed)",
        "no_trend": "without the earlier trend: no wave before {base}",
        "too_few": "no result: {treated} with the action and {compare} comparable shown; at "
        "least {need_treated} and {need} are needed",
        "flat": "no result: the units do not differ in level or size before the start, so the "
        "comparison cannot be adjusted for them (adjust=False compares without adjustment)",
        "no_fit": "no result: the comparison cannot be estimated with these units",
        "cohorts": "the starts measured from {waves} together; the interval is conservative "
        "because the starts share comparable units",
        "cohorts_without": "; the start measured from {waves} is not included (no result)",
    },
}


def _event_time(years: list[int], year: int, first: int) -> int:
    return years.index(year) - years.index(first)


def _effect_tuple(row: dict) -> tuple:
    return tuple(row[c] for c in ("estimate", "se", "df", "ci_low", "ci_high", "p"))


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

    For a group with n answers to the measure from its N employees and last year's SD s,
    and n′ expected next time (n again, or ``response_rate``·N times this year's share of
    respondents answering the measure), the change δ that a two-sided
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
    by = key_columns(table)
    _share("power", power)
    _share("confidence", confidence)
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
    n_next = n
    if response_rate is not None:
        # A measure's n is those who answered it: of the respondents expected next time,
        # the same share as now.
        answering = n / table["n_respondents"].cast(pl.Float64)
        n_next = (big_n * response_rate * answering).round().fill_null(n)
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
