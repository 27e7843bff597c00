"""The units × measures view of an estimate table: what people read, one row per group and
one column per measure, named in the output language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from .._args import resolve_instrument
from .._lyhord import ArgumentError, ArgumentTypeError, DataError, Instrument, InstrumentError
from .._types import Lang
from ._format import Words

_NEEDED = ("level", "measure", "n_respondents", "suppressed")

# Grouping columns are often Swedish words spelt without å, ä, ö; their names for people.
_COLUMN_TITLES = {
    "forvaltning": "Förvaltning",
    "enhet": "Enhet",
    "kon": "Kön",
    "alder": "Ålder",
    "aldersgrupp": "Åldersgrupp",
    "omrade": "Område",
    "arbetsplats": "Arbetsplats",
    "yrkesgrupp": "Yrkesgrupp",
    "anstallningsform": "Anställningsform",
    "stadsdel": "Stadsdel",
    "kommundel": "Kommundel",
}

_GROUP = {"sv": "Grupp", "en": "Group"}


def column_title(column: str, names: dict[str, str] | None = None) -> str:
    """A grouping column's name for people: ``names[column]`` when given, else the known
    Swedish spelling (``forvaltning`` → ``Förvaltning``), else the name capitalised."""
    if names and column in names:
        return names[column]
    known = _COLUMN_TITLES.get(column.lower())
    if known:
        return known
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def key_columns(table: pl.DataFrame) -> list[str]:
    """The grouping columns of an estimate table: those between ``level`` and ``measure``."""
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise DataError(
            f"not an estimate table (from ly.estimate or Publication.estimate): no column "
            f"{', '.join(repr(c) for c in missing)}; it has {table.columns}"
        )
    start, stop = table.columns.index("level"), table.columns.index("measure")
    return table.columns[start + 1 : stop]


def group_name_column(words: Words) -> str:
    """The name of :func:`wide`'s readable group column: ``Grupp`` / ``Group``."""
    return _GROUP[words.lang]


def _group_name(keys: list[str], words: Words) -> pl.Expr:
    """A row's group for people: the total named, a blank key as "(enhet saknas)"."""
    # a when/then chain (Then, then ChainedThen: one type to the reader, two to mypy)
    expr: Any = pl.when(pl.col("level") == 0).then(pl.lit(words["total"]))
    for k, key in enumerate(keys, 1):
        missing = words.missing(column_title(key))
        name = pl.col(key).cast(pl.String).fill_null(missing)
        # The deepest key holds the name of a breakdown below the last level too.
        condition = pl.col("level") == k if k < len(keys) else pl.col("level") >= k
        expr = expr.when(condition).then(name)
    return expr.otherwise(pl.lit(None, pl.String))


def measure_columns(
    table: pl.DataFrame, instrument: Instrument, words: Words, reserved: list[str]
) -> dict[str, str]:
    """measure id → its column name, in instrument order (index, dimensions, items), for
    the measures the table holds; a label that repeats another column gets its id added."""
    labels = instrument.labels(lang=words.lang)
    present = set(table["measure"].unique().to_list())
    unknown = sorted(str(m) for m in present - set(labels["measure"]))
    if unknown:
        raise InstrumentError(
            f"the table has measures {unknown} that instrument {instrument.id!r} does not "
            f"define; give the instrument the table was estimated with"
        )
    names: dict[str, str] = {}
    taken = set(reserved)
    for measure, label in zip(labels["measure"], labels["label"], strict=True):
        if measure not in present:
            continue
        name = label if label not in taken else f"{label} ({measure})"
        names[measure] = name
        taken.add(name)
    return names


def wide(
    table: pl.DataFrame,
    instrument: Instrument | str | Path,
    *,
    lang: Lang | None = None,
    value: str = "mean",
    level: int | None = None,
) -> pl.DataFrame:
    """The units × measures view of an estimate table: one row per group, one column per
    measure named as people read it.

    Parameters
    ----------
    table : polars.DataFrame
        An estimate table from :func:`lyhord.estimate` or
        :meth:`lyhord.Publication.estimate` (long: one row per group and measure).
    instrument : Instrument or str
        The instrument the table was estimated with (its labels name the columns).
    lang : {"sv", "en"}, optional
        Output language; default the instrument's (Swedish for the Swedish built-ins).
    value : str, default "mean"
        The column shown in the cells: ``"mean"`` (0–100), ``"pct_positive"``,
        ``"pct_neutral"``, ``"pct_negative"`` or another numeric column of the table.
    level : int, optional
        Only the groups of this level (0 = the whole organisation, 1 = the first ``by``
        column, ...); default all levels.

    Returns
    -------
    polars.DataFrame
        Columns, in order: ``Grupp`` (``Group`` in English: the group's name, the total
        row "Hela kommunen" / "Whole organisation", a missing key "(enhet saknas)"),
        ``level``, the ``by`` key columns, ``n_respondents``, ``svarsfrekvens``
        (n_respondents / headcount, only when the table has headcounts), then one column
        per measure in instrument order (index, dimensions, items) named by its label
        (index and dimension names, item statements). Values are rounded to one decimal
        (``svarsfrekvens`` to three: a share). Groups keep the table's order. A blanked
        cell (``suppressed``) is null, and so are ``n_respondents`` and
        ``svarsfrekvens`` when the group's row is blanked: nothing about it is shown.

    Examples
    --------
    >>> import lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> table = ly.estimate(staff, "hme", by=["forvaltning", "enhet"],
    ...                     headcounts=ly.headcounts(year=2025))
    >>> units = ly.wide(table, "hme")
    >>> units.columns[:6]
    ['Grupp', 'level', 'forvaltning', 'enhet', 'n_respondents', 'svarsfrekvens']
    >>> units.columns[6:8]
    ['HME totalindex', 'Motivation']
    >>> units.row(0, named=True)["Grupp"], units.row(0, named=True)["HME totalindex"]
    ('Hela kommunen', 75.0)
    >>> ly.wide(table, "hme", lang="en", level=1).select("Group", "Leadership").row(0)
    ('Barn- och utbildningsförvaltningen', 78.1)
    """
    inst = resolve_instrument(instrument)
    words = Words.of(inst, lang)
    if not isinstance(table, pl.DataFrame):
        raise ArgumentTypeError(f"`table` must be a polars DataFrame, not {type(table).__name__}")
    keys = key_columns(table)
    numeric = [
        c
        for c, dtype in table.schema.items()
        if dtype.is_numeric() and c not in ("level", "confidence", "min_group")
    ]
    if value not in numeric:
        raise ArgumentError(
            f"parameter `value` must be a numeric column of the table ({', '.join(numeric)}), "
            f"not {value!r}"
        )
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int) or level < 0:
            raise ArgumentError(f"parameter `level` must be a whole number ≥ 0, got {level!r}")
        levels = sorted(table["level"].unique().to_list())
        if level not in levels:
            raise ArgumentError(
                f"parameter `level`: the table has no level {level}; its levels are "
                f"{', '.join(map(str, levels))}"
            )
        table = table.filter(pl.col("level") == level)

    twice = table.filter(pl.struct("level", *keys, "measure").is_duplicated())
    if twice.height:
        row = twice.row(0, named=True)
        where = ", ".join(f"{k}={row[k]!r}" for k in ["level", *keys, "measure"])
        raise DataError(
            f"the table has more than one row for {where}; tables of several years or "
            "files need the column that tells them apart among the `by` columns"
        )
    group = group_name_column(words)
    rate = "headcount" in table.columns and table["headcount"].is_not_null().any()
    fixed = [group, "level", *keys, "n_respondents", *(["svarsfrekvens"] if rate else [])]
    names = measure_columns(table, inst, words, fixed)

    published = ~pl.col("suppressed").fill_null(True)
    cell = pl.when(published).then(pl.col(value).cast(pl.Float64).round(1))
    per_group = [
        pl.col("n_respondents").filter(published).max().alias("n_respondents"),
        *[
            cell.filter(pl.col("measure") == measure).first().alias(name)
            for measure, name in names.items()
        ],
    ]
    if rate:
        per_group.append(pl.col("headcount").filter(published).max().alias("_headcount"))
    out = table.group_by(["level", *keys], maintain_order=True).agg(per_group)
    if rate:
        share = pl.col("n_respondents").cast(pl.Float64) / pl.col("_headcount")
        valid = pl.col("n_respondents").is_not_null() & (pl.col("_headcount") > 0)
        out = out.with_columns(
            pl.when(valid).then(share.round(3)).otherwise(None).alias("svarsfrekvens")
        ).drop("_headcount")
    return out.with_columns(_group_name(keys, words).alias(group)).select(*fixed, *names.values())
