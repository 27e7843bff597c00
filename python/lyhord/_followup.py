"""Yearly follow-up: change between waves per unit, and multi-year series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import polars as pl

from . import _lyhord
from ._lyhord import ArgumentError
from ._types import Adjust

__all__ = ["compare_waves", "targets", "trend"]

Unit = str | int
UnitMap = Mapping[Unit, Unit | Sequence[Unit]] | pl.DataFrame | None


def _invariance_flags(invariance: pl.DataFrame) -> dict[str, tuple[bool | None, str | None]]:
    """{measure: (comparable, verdict)} from a table of :func:`lyhord.invariance`.

    A dimension tested across several groupings (units and years) is comparable when it is
    across every one; its verdict is the first that is not "comparable". The index (rows of
    kind "index") is comparable when every tested dimension is.
    """
    if not isinstance(invariance, pl.DataFrame):
        raise ArgumentError(
            f"`invariance` must be the table of ly.invariance, got {type(invariance).__name__}"
        )
    missing = [c for c in ("dimension", "comparable", "verdict") if c not in invariance.columns]
    if missing:
        raise ArgumentError(
            f"`invariance` lacks column `{missing[0]}`: pass the table of ly.invariance"
        )
    flags: dict[str, tuple[bool | None, str | None]] = {}
    rows = invariance.select("dimension", "comparable", "verdict").unique(maintain_order=True)
    for dimension, comparable, verdict in rows.iter_rows():
        before, said = flags.get(dimension, (True, None))
        if before is False:
            continue  # not comparable across one grouping: that stays, with its verdict
        if comparable is False:
            flags[dimension] = (False, verdict)
        elif comparable is None or before is None:
            flags[dimension] = (None, said or verdict)
        else:
            flags[dimension] = (True, said or verdict)
    return flags


def _with_invariance(table: pl.DataFrame, invariance: pl.DataFrame | None) -> pl.DataFrame:
    """``table`` with ``comparable`` and ``invariance`` (the verdict) per measure row."""
    if invariance is None:
        return table
    flags = _invariance_flags(invariance)
    values = [f[0] for f in flags.values()]
    index_ok = None if any(v is None for v in values) else all(values)
    measures = table["measure"].to_list()
    kinds = table["kind"].to_list() if "kind" in table.columns else [None] * len(measures)
    comparable = [
        flags[m][0] if m in flags else (index_ok if k == "index" and flags else None)
        for m, k in zip(measures, kinds, strict=True)
    ]
    verdicts = [flags[m][1] if m in flags else None for m in measures]
    return table.with_columns(
        pl.Series("comparable", comparable, dtype=pl.Boolean),
        pl.Series("invariance", verdicts, dtype=pl.String),
    )


def _unit_pairs(unit_map: UnitMap) -> list[tuple[str, str]]:
    """(earlier, later) pairs from a dict ``{earlier: later or [later, …]}`` or a frame with
    columns ``earlier`` and ``later``; several earlier names for one later name = a merger,
    one earlier name for several later names = a split."""
    if unit_map is None:
        return []
    if isinstance(unit_map, pl.DataFrame):
        missing = {"earlier", "later"} - set(unit_map.columns)
        if missing:
            raise ArgumentError(
                f"`unit_map` needs the columns 'earlier' and 'later'; missing {sorted(missing)}"
            )
        return [(str(e), str(n)) for e, n in unit_map.select("earlier", "later").iter_rows()]
    pairs = []
    for earlier, later in unit_map.items():
        # Units are written as text; the core reads them as the key column's dtype.
        for name in (
            later if isinstance(later, Sequence) and not isinstance(later, str) else [later]
        ):
            pairs.append((str(earlier), str(name)))
    return pairs


def compare_waves(
    earlier: pl.DataFrame,
    later: pl.DataFrame,
    *,
    unit_map: UnitMap = None,
    adjust: Adjust = "holm",
    confidence: float = 0.95,
    invariance: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Change per unit and measure between two waves, with its interval and test.

    Takes two tables from :func:`lyhord.estimate` grouped the same way and compares every
    row of ``later`` with the same group in ``earlier``. Only groups that pass suppression in
    **both** waves are compared; the others keep their row with the reason in ``status``.

    Both tables carry the ``convention`` they were estimated with (see :func:`estimate`);
    the comparison follows it, and two tables of different conventions are an error.

    - Means (index, dimensions, items): ``SE = √(SE₁² + SE₂²)`` from the published
      estimates (each SE already carries the finite-population correction when the tables
      were estimated with headcounts). ``"survey"``: Welch's t with Welch–Satterthwaite
      ``df = SE⁴ / (SE₁⁴/(n₁−1) + SE₂⁴/(n₂−1))``, CI ``change ± t(1−α/2, df)·SE`` (without
      headcounts exactly ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``), under
      either convention (the People Survey tests indices by t). Effect size Cohen's d on
      the pooled SD.
    - Percent positive (items, dimensions and the index): the same test on the published
      ``pct_positive_se`` of both waves (for an item of a table made before lyhord published
      it, ``p(1−p)/(n−1) · (1 − n/N)``, or ``p(1−p)/n · (N−n)/(N−1)`` under
      ``"people_survey"``, whose shares are tested by z: ``pct_z`` holds the t or z
      statistic); effect size Cohen's h,
      ``2 asin √p₂ − 2 asin √p₁`` (Cohen 1988, §6.2: 0.2 small, 0.5 medium, 0.8 large).
    - p-values are adjusted across the units of each (level, measure): ``"holm"`` (family-wise
      error, default), ``"bh"`` (Benjamini–Hochberg false discovery rate) or ``"none"``.
      ``significant`` is ``p_adjusted < 1 − confidence``.

    Parameters
    ----------
    earlier, later : polars.DataFrame
        Output of :func:`lyhord.estimate` for the two waves, with the same ``by``. Groups
        are matched on typed keys: a grouping column needs the same type in both tables
        (integers of any width match each other; text against numbers is an error naming
        the column and both types).
    unit_map : dict or polars.DataFrame, optional
        Reorganised leaf units: ``{"Old name": "New name"}`` (renamed),
        ``{"A": "AB", "B": "AB"}`` (merged: A and B are pooled from their published n, mean
        and SD — exact for unweighted estimates) or ``{"A": ["A1", "A2"]}`` (split: each part
        is compared with the whole earlier unit). A frame with columns ``earlier`` and
        ``later`` works too. The ``mapping`` column says what was done for each row.
        Units are read as values of the leaf grouping column: with an integer unit code,
        ``{9: 10}`` and ``{"9": "10"}`` are the same map; a unit that is not a value of the
        column's type is an error naming the column.
    adjust : {"holm", "bh", "none"}
        Multiple-testing adjustment across units.
    confidence : float
        Confidence level of the intervals.
    invariance : polars.DataFrame, optional
        The table of :func:`lyhord.invariance` across the waves (``waves="year"``): adds
        ``comparable`` (does the measure mean the same in both years? null for items and
        for measures not tested) and ``invariance`` (the verdict) to every row.

    Returns
    -------
    polars.DataFrame
        ``level``, the grouping columns (in their dtype, as in ``later``; a null key is a
        group of its own, matched with the null key of ``earlier``), ``measure``, ``kind``,
        ``mapping``, ``n_earlier``,
        ``mean_earlier``, ``n_later``, ``mean_later``, ``change``, ``se``, ``df``,
        ``ci_low``, ``ci_high``, ``t``, ``p_value``, ``p_adjusted``, ``effect_size``,
        ``pct_positive_earlier``, ``pct_positive_later``, ``pct_change``, ``pct_ci_low``,
        ``pct_ci_high``, ``pct_z``, ``pct_p_value``, ``pct_p_adjusted``, ``pct_effect_size``
        (Cohen's h), ``significant``,
        ``status`` (null when compared; otherwise why not); with ``invariance``,
        ``comparable`` and ``invariance``.

    Examples
    --------
    >>> import lyhord as ly
    >>> import polars as pl
    >>> by = ["forvaltning", "enhet"]
    >>> t24, t25 = (
    ...     ly.estimate(ly.example_data("staff", year=y), "epl-staff", by=by,
    ...                 headcounts=ly.headcounts(year=y))
    ...     for y in (2024, 2025)
    ... )
    >>> ch = ly.compare_waves(t24, t25)
    >>> row = ch.filter(pl.col("enhet") == "Särskilt boende Linden",
    ...                 pl.col("measure") == "participation")
    >>> bool(row["significant"][0]), round(row["change"][0]) > 5
    (True, True)
    """
    pairs = _unit_pairs(unit_map)
    change = _lyhord._compare_waves(earlier, later, pairs, adjust, confidence)
    return _with_invariance(change, invariance)


def trend(
    waves: Mapping[int, pl.DataFrame],
    *,
    unit_map: UnitMap | Mapping[int, UnitMap] = None,
    invariance: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Multi-year series: the estimate tables of several waves stacked with a ``year`` column.

    Suppressed cells stay blank in their own year; nothing is filled in from other years.

    With ``unit_map`` the series follows reorganisations: every earlier wave is **restated
    in the latest organisation**, so a unit's line runs through its renaming or merger.
    A renamed unit's earlier years appear under its new name; a merged unit's earlier
    years are its parts pooled from their published n, mean and SD (as in
    :func:`compare_waves`: exact for unweighted estimates; an item's percentages are
    pooled too, a dimension's or the index's are left empty because they are over answers
    to several items), blank (bare) when a part was suppressed; each part of a
    split unit shows the whole earlier unit. Only published cells are used, so restating
    never reveals a suppressed group. Higher levels are kept as each year published them.
    The ``mapping`` column says what was done to each row.

    Parameters
    ----------
    waves : mapping of year to polars.DataFrame
        Output of :func:`lyhord.estimate` (or :func:`lyhord.estimate_from_sums`) per year,
        all with the same ``by``.
    unit_map : mapping or polars.DataFrame, optional
        The reorganisations of leaf units, each given by the first year of the new
        organisation: ``{2025: {"Old": "New"}, 2023: {"A": "AB", "B": "AB"}}``, or a frame
        with columns ``year``, ``earlier``, ``later``. A map without years (as for
        :func:`compare_waves`) is the change into the latest wave. The wave just before a
        reorganisation must have every earlier unit the map names; older waves may lack
        some (a unit founded in between).
    invariance : polars.DataFrame, optional
        The table of :func:`lyhord.invariance` across the waves: adds ``comparable`` and
        ``invariance`` (the verdict) per measure, as in :func:`compare_waves`.

    Returns
    -------
    polars.DataFrame
        ``year`` followed by the estimate columns (and ``mapping`` with ``unit_map``,
        ``comparable`` and ``invariance`` with ``invariance``),
        sorted by level, group, measure and year. The grouping columns keep their dtype
        (an integer unit code stays an integer and sorts as a number); a null key is a
        group of its own, sorted last within its level.

    Examples
    --------
    >>> import lyhord as ly
    >>> t = {y: ly.estimate(ly.example_data("staff", year=y), "hme") for y in (2024, 2025)}
    >>> ly.trend(t).filter(measure="hme")["year"].to_list()
    [2024, 2025]

    If Hemtjänst Norr and Söder had merged in 2025, the merged unit's line starts in 2024:

    >>> import polars as pl
    >>> by, pair = ["forvaltning", "enhet"], ["Hemtjänst Norr", "Hemtjänst Söder"]
    >>> merge = pl.col("enhet").replace(pair, ["Hemtjänst Norr-Söder"] * 2)
    >>> t = {2024: ly.estimate(ly.example_data("staff", year=2024), "epl-staff", by=by),
    ...      2025: ly.estimate(ly.example_data("staff", year=2025).with_columns(merge),
    ...                        "epl-staff", by=by)}
    >>> s = ly.trend(t, unit_map={2025: dict.fromkeys(pair, "Hemtjänst Norr-Söder")})
    >>> s.filter(enhet="Hemtjänst Norr-Söder", measure="epl").select("year", "mapping").rows()
    [(2024, 'merged from Hemtjänst Norr + Hemtjänst Söder'), (2025, None)]
    """
    if not waves:
        raise ArgumentError("`waves` is empty: pass {year: ly.estimate(...)} for at least one year")
    columns = [list(t.columns) for t in waves.values()]
    if any(c != columns[0] for c in columns):
        raise ArgumentError(
            "the tables in `waves` have different columns: estimate every year with the same `by`"
        )
    tables = dict(waves)
    out_columns = columns[0]
    if unit_map is not None:
        tables = _restated(tables, _transitions(unit_map, sorted(tables)))
        out_columns = [*columns[0], "mapping"]
    stacked = pl.concat(
        [
            t.with_columns(pl.lit(year, dtype=pl.Int32).alias("year")).select("year", *out_columns)
            for year, t in tables.items()
        ],
        how="vertical_relaxed",
    )
    keys = columns[0][: columns[0].index("measure") + 1]
    # Level first, so a null key within a level is a group of its own, sorted last.
    series = stacked.sort([*keys, "year"], nulls_last=True, maintain_order=True)
    return _with_invariance(series, invariance)


def _transitions(
    unit_map: UnitMap | Mapping[int, UnitMap], years: list[int]
) -> dict[int, list[tuple[str, str]]]:
    """{first year of the new organisation: (earlier, later) pairs}."""
    by_year: dict[int, Any]
    if isinstance(unit_map, pl.DataFrame) and "year" in unit_map.columns:
        by_year = {
            int(y): unit_map.filter(pl.col("year") == y).drop("year")
            for y in unit_map["year"].unique()
        }
    elif (
        isinstance(unit_map, Mapping)
        and unit_map
        # {year: map}, not a map of integer unit codes {9: 10}
        and all(isinstance(m, Mapping | pl.DataFrame) for m in unit_map.values())
    ):
        by_year = dict(cast(Mapping[int, Any], unit_map))
    else:
        by_year = {years[-1]: unit_map}
    out = {}
    for year, mapping in sorted(by_year.items()):
        if year not in years or year == years[0]:
            raise ArgumentError(
                f"`unit_map` gives a reorganisation in {year}, but the waves are {years}: "
                "key each map by the first year of the new organisation (a wave after the first)"
            )
        out[year] = _unit_pairs(mapping)
    return out


def _restated(
    tables: dict[int, pl.DataFrame], transitions: dict[int, list[tuple[str, str]]]
) -> dict[int, pl.DataFrame]:
    years = sorted(tables)
    out = {}
    for year in years:
        table = tables[year]
        restated = table.with_columns(pl.lit(None, dtype=pl.String).alias("mapping"))
        for change_year, pairs in transitions.items():
            if change_year <= year:
                continue
            strict = years[years.index(change_year) - 1] == year
            restated = _lyhord._restate_wave(
                restated, tables[change_year], pairs, _confidence(table), strict
            )
        out[year] = restated.with_columns(
            pl.lit(_confidence(table)).alias("confidence"),
            pl.lit(table["min_group"][0] if table.height else None, dtype=pl.UInt32).alias(
                "min_group"
            ),
        ).select(*table.columns, "mapping")
    return out


def _confidence(table: pl.DataFrame) -> float:
    return float(table["confidence"][0]) if table.height else 0.95


STATUS_COLUMNS = ["status", "latest_year", "latest", "slope", "slope_se", "projected"]


def targets(series: pl.DataFrame, goals: pl.DataFrame) -> pl.DataFrame:
    """Status of each target from a multi-year series: met, on track or off track.

    A target reads "``measure`` at least ``target`` by ``year``" for a group (or at most,
    with ``direction = "at_most"``). It is **met** when the latest published estimate
    reaches it; otherwise the series' linear trend, fitted by weighted least squares with
    weights ``1/se²`` over the published years, is projected to the target year: **on
    track** if the projection reaches the target, **off track** if not. With one published
    year there is no trend (``"no trend"``). Suppressed years do not count.

    Parameters
    ----------
    series : polars.DataFrame
        Output of :func:`trend`.
    goals : polars.DataFrame
        One row per target: the grouping columns of ``series`` (null for a higher level,
        as in the estimate tables), ``measure``, ``target``, ``year`` and optionally
        ``direction`` (``"at_least"``, the default, or ``"at_most"``).

    Returns
    -------
    polars.DataFrame
        ``goals`` with ``status``, ``latest_year``, ``latest``, ``slope`` (per year),
        ``slope_se``, ``projected`` (the trend in the target year).

    Examples
    --------
    >>> import lyhord as ly
    >>> t = {y: ly.estimate(ly.example_data("staff", year=y), "hme") for y in (2024, 2025)}
    >>> goals = pl.DataFrame({"level": [0, 0], "measure": ["hme", "hme"],
    ...     "target": [60.0, 99.0], "year": [2027, 2027]})
    >>> ly.targets(ly.trend(t), goals)["status"].to_list()
    ['met', 'off track']
    """
    group = series.columns[series.columns.index("year") + 1 : series.columns.index("measure")]
    missing = {*group, "measure", "target", "year"} - set(goals.columns)
    if missing:
        raise ArgumentError(
            f"`goals` needs the columns {[*group, 'measure', 'target', 'year']}; "
            f"missing {sorted(missing)}"
        )
    published = series.filter(~pl.col("suppressed"), pl.col("mean").is_not_null())
    rows = []
    for goal in goals.iter_rows(named=True):
        match = published.filter(
            *[
                pl.col(c).is_null() if goal[c] is None else pl.col(c) == goal[c]
                for c in [*group, "measure"]
            ]
        )
        status = _lyhord._target_status(
            match["year"].cast(pl.Float64).to_list(),
            match["mean"].to_list(),
            match["se"].fill_null(0.0).to_list(),
            float(goal["target"]),
            float(goal["year"]),
            goal.get("direction") or "at_least",
        )
        rows.append({c: getattr(status, c) for c in STATUS_COLUMNS})
    return pl.concat(
        [
            goals,
            pl.DataFrame(
                rows, schema=dict.fromkeys(STATUS_COLUMNS[1:], pl.Float64) | {"status": pl.String}
            ).select(STATUS_COLUMNS),
        ],
        how="horizontal",
    )
