"""The combined EPL index from staff survey, citizen survey and coded interviews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist

import polars as pl

from . import _lyhord
from ._api import FrameLike, _collect
from ._args import _by_list
from ._lyhord import ArgumentError, DataError

__all__ = ["combine"]

SOURCES = ("staff", "citizens", "interviews")
LONG = ["dimension", "source", "score", "se", "n"]


# Columns each source's table must have (besides the unit columns), and where it comes from.
REQUIRED = {
    "staff": (("kind", "measure", "mean", "se", "n", "suppressed"), "ly.estimate"),
    "citizens": (("variable", "estimate", "se", "n", "suppressed"), "ly.design_estimate"),
    "interviews": (
        ("dimension", "score", "ci_low", "ci_high", "n_interviews", "suppressed"),
        "ly.score_interviews",
    ),
}


def _source(table: FrameLike, name: str) -> pl.DataFrame:
    df = _collect(table, name)
    columns, origin = REQUIRED[name]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"`{name}` lacks the columns {missing}; pass the table {origin}(...) returns"
        )
    return df


def _grouping(table: pl.DataFrame) -> list[str]:
    """The grouping columns of a table with a ``level`` column: those after it, up to the
    first column of values."""
    columns = table.columns
    start = columns.index("level") + 1
    values = [
        i for i, c in enumerate(columns) if i >= start and c in ("measure", "kind", "variable")
    ]
    return columns[start : values[0] if values else len(columns)]


def _unit_rows(
    table: pl.DataFrame, on: list[str], name: str, *, hierarchy: bool
) -> tuple[pl.DataFrame, list[str]]:
    """Rows at the level of ``on`` (or the finest level the table has of it). The level,
    not a null key, tells a total from a group: a null key is a unit of its own."""
    keys = [k for k in on if k in table.columns]
    if "level" not in table.columns:
        return table, keys
    by = _grouping(table)
    # An estimate table's level k shows its first k grouping columns; a domain table's
    # level 1 shows all of them.
    fits = keys == by[: len(keys)] if hierarchy else keys in ([], by)
    if not fits:
        raise DataError(
            f"`{name}` is grouped by {by}, so it has no rows per {keys}: "
            "the `on` columns it has must be "
            + ("its first grouping columns" if hierarchy else "all its grouping columns")
        )
    level = len(keys) if hierarchy else int(bool(keys))
    return table.filter(pl.col("level") == level), keys


def _published(rows: pl.DataFrame, keys: list[str], source: str, **columns: str) -> pl.DataFrame:
    """Unblanked rows as (keys…, dimension, source, score, se, n)."""
    return rows.filter(~pl.col("suppressed")).select(
        *keys,
        dimension=pl.col(columns["dimension"]),
        source=pl.lit(source),
        score=pl.col(columns["score"]),
        se=pl.col("se"),
        n=pl.col("n").cast(pl.Float64),
    )


def _staff(table: pl.DataFrame, on: list[str]) -> tuple[pl.DataFrame, list[str]]:
    rows, keys = _unit_rows(
        table.filter(pl.col("kind") == "dimension"), on, "staff", hierarchy=True
    )
    return _published(rows, keys, "staff", dimension="measure", score="mean"), keys


def _citizens(
    table: pl.DataFrame, on: list[str], dims: list[str]
) -> tuple[pl.DataFrame, list[str]]:
    rows, keys = _unit_rows(
        table.filter(pl.col("variable").is_in(dims)), on, "citizens", hierarchy=False
    )
    return _published(rows, keys, "citizens", dimension="variable", score="estimate"), keys


def _interviews(
    table: pl.DataFrame, on: list[str], confidence: float
) -> tuple[pl.DataFrame, list[str]]:
    keys = [k for k in on if k in table.columns]
    rows = table.filter(pl.col("dimension").is_not_null(), ~pl.col("suppressed"))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return rows.select(
        *keys,
        "dimension",
        source=pl.lit("interviews"),
        score=pl.col("score"),
        # The Beta interval's half-width over z: a normal-equivalent SE.
        se=(pl.col("ci_high") - pl.col("ci_low")) / (2 * z),
        n=pl.col("n_interviews").cast(pl.Float64),
    ), keys


def combine(
    staff: FrameLike | None = None,
    citizens: FrameLike | None = None,
    interviews: FrameLike | None = None,
    *,
    on: Sequence[str] | str = ("forvaltning", "enhet"),
    weights: Mapping[str, float] | None = None,
    dimensions: Sequence[str] = ("engagement", "participation", "learning"),
    confidence: float = 0.95,
    interviews_confidence: float = 0.95,
) -> pl.DataFrame:
    """One engagement / participation / learning picture per unit from all sources.

    Each source enters as its own published table: ``staff`` from :func:`lyhord.estimate`
    (dimension rows), ``citizens`` from :func:`lyhord.design_estimate` (variables named as
    the dimensions), ``interviews`` from :func:`lyhord.score_interviews` at unit level.
    Blanked (suppressed) rows never contribute. A source is matched to units on the ``on``
    columns it has; a source with none of them (a municipality-wide citizen survey) speaks
    for every unit, at the level it supports.

    Per unit and dimension the combined score is the weighted mean of the sources present
    (``weights`` renormalised over them, default equal), its SE ``sqrt(Σ w² se²)`` (the
    sources are independent samples), and the interval ``score ± z·SE``. Interview scores
    carry a Beta interval; its half-width over ``z`` serves as their SE. Two sources
    **disagree** (``disagreement``, the triangulation flag) when their difference exceeds
    ``z · sqrt(se_a² + se_b²)``, e.g. staff report high participation while the interviews
    code it negative.

    Parameters
    ----------
    staff, citizens, interviews : polars.DataFrame, optional
        The sources' tables; at least one.
    on : str or list of str
        Unit columns, top level first. Units are matched on typed keys: a column needs the
        same type in every source that has it (text against numbers is an error).
    weights : mapping, optional
        Weight per source name (``"staff"``, ``"citizens"``, ``"interviews"``).
    dimensions : sequence of str
        Dimensions to combine.
    confidence : float
        Interval coverage and the level of the disagreement test.
    interviews_confidence : float
        The coverage of the interview intervals given (``score_interviews(confidence=)``).

    Returns
    -------
    polars.DataFrame
        ``on``, ``dimension``, ``score``, ``se``, ``ci_low``, ``ci_high``, ``sources``, then
        per source its score and ``n_<source>``, and ``disagreement`` (null when the sources
        agree). One row per unit and dimension, sorted by unit and dimension; the ``on``
        columns keep their dtype (an integer unit code stays an integer and sorts as a
        number; integer columns of different widths meet as ``Int64``) and a null unit is
        a unit of its own, sorted last.

    Examples
    --------
    >>> import lyhord as ly
    >>> staff = pl.DataFrame({"level": [1], "enhet": ["A"], "kind": ["dimension"],
    ...     "measure": ["participation"], "mean": [72.0], "se": [2.0], "n": [40],
    ...     "suppressed": [False]})
    >>> interviews = pl.DataFrame({"enhet": ["A"], "dimension": ["participation"],
    ...     "score": [48.0], "ci_low": [48.0 - 1.959963984540054 * 8],
    ...     "ci_high": [48.0 + 1.959963984540054 * 8], "n_interviews": [4],
    ...     "suppressed": [False]})
    >>> out = ly.combine(staff=staff, interviews=interviews, on="enhet")
    >>> [round(v, 6) for v in out.select("score", "se").row(0)]  # se = sqrt(0.5²·2² + 0.5²·8²)
    [60.0, 4.123106]
    >>> out["disagreement"][0]
    'staff 72.0 vs interviews 48.0 (difference 24.0, z = 2.9)'
    """
    on_list = _by_list(on)
    parts: list[tuple[pl.DataFrame, list[str]]] = []
    names: list[str] = []
    if staff is not None:
        parts.append(_staff(_source(staff, "staff"), on_list))
        names.append("staff")
    if citizens is not None:
        parts.append(_citizens(_source(citizens, "citizens"), on_list, list(dimensions)))
        names.append("citizens")
    if interviews is not None:
        parts.append(_interviews(_source(interviews, "interviews"), on_list, interviews_confidence))
        names.append("interviews")
    if not parts:
        raise ArgumentError("give at least one source: staff=, citizens= or interviews=")
    weights = dict(weights or {})
    unknown = set(weights) - set(SOURCES)
    if unknown:
        raise ArgumentError(f"`weights` names unknown sources {sorted(unknown)}; use {SOURCES}")
    parts = _typed_keys(parts, names, on_list)
    units = _units(parts, on_list)
    long = pl.concat([_spread(part, keys, units, on_list) for part, keys in parts], how="vertical")
    long = long.filter(pl.col("dimension").is_in(list(dimensions)))
    sources = [(name, float(weights.get(name, 1.0))) for name in names]
    return _lyhord._combine(long, on_list, sources, float(confidence))


def _typed_keys(
    parts: list[tuple[pl.DataFrame, list[str]]], names: list[str], on: list[str]
) -> list[tuple[pl.DataFrame, list[str]]]:
    """The sources' unit columns in one dtype each, so units match on typed keys: integers
    of any width meet as Int64; text against numbers is an error naming the column."""
    casts = {}
    for column in on:
        dtypes = {
            n: p.schema[column] for (p, keys), n in zip(parts, names, strict=True) if column in keys
        }
        kinds = set(dtypes.values())
        if len(kinds) <= 1:
            continue
        if all(d.is_integer() for d in kinds):
            casts[column] = pl.Int64
            continue
        described = ", ".join(f"{d} in `{n}`" for n, d in dtypes.items())
        raise DataError(
            f"unit column `{column}` is {described}, so the sources' units cannot be matched; "
            "cast it in one of them so all have the same type"
        )
    return [
        (p.with_columns(pl.col(c).cast(t) for c, t in casts.items() if c in keys), keys)
        for p, keys in parts
    ]


def _units(parts: list[tuple[pl.DataFrame, list[str]]], on: list[str]) -> pl.DataFrame:
    """Every unit any source has at the full ``on`` level."""
    full = [p.select(on) for p, keys in parts if keys == on]
    if not full:
        dtypes = {c: p.schema[c] for p, keys in parts for c in keys}
        return pl.DataFrame(schema={c: dtypes.get(c, pl.String) for c in on})
    return pl.concat(full).unique()


def _spread(
    part: pl.DataFrame, keys: list[str], units: pl.DataFrame, on: list[str]
) -> pl.DataFrame:
    """A source at a coarser level than ``on`` speaks for every unit below it (a null key
    matches a null key: it is a unit of its own)."""
    if keys == on:
        return part.select(*on, *LONG)
    coarse = (
        units.join(part.select(*keys, *LONG), on=keys, how="inner", nulls_equal=True)
        if keys
        else units.join(part.select(LONG), how="cross")
    )
    return coarse.select(*on, *LONG)
