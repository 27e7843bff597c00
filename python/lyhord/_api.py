"""Scoring and grouped estimates: thin wrappers over the Rust kernels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from . import _lyhord
from ._lyhord import Instrument

FrameLike = pl.DataFrame | pl.LazyFrame


def resolve_instrument(instrument: Instrument | str | Path) -> Instrument:
    """Accept an Instrument, a built-in name (``"hme"``) or a path to a TOML codebook."""
    if isinstance(instrument, Instrument):
        return instrument
    text = str(instrument)
    if text.endswith(".toml") or Path(text).is_file():
        return Instrument.from_toml(text)
    return Instrument.builtin(text)


def _collect(frame: FrameLike, name: str) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    raise TypeError(f"`{name}` must be a polars DataFrame or LazyFrame, not {type(frame).__name__}")


def score(answers: FrameLike, instrument: Instrument | str | Path) -> pl.DataFrame:
    """Score every respondent on each dimension and the index.

    Each answer is classified (valid, "don't know", not applicable, missing), reverse-keyed
    where the item says so, and mapped to 0–100: linearly as ``(x − min) / (max − min) · 100``
    (HME: ``(x − 1) · 25``) or, for percent-positive instruments, 100 for a positive answer and
    0 otherwise. A dimension score is the mean of its answered items when at least
    ``min_answered`` of them are answered; the index is the mean of the items or of the
    dimensions, by the instrument's index rule.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
        One row per respondent, one integer column per item, named by item id. Other columns
        (unit, background) are kept as they are.
    instrument : Instrument, str or path
        The codebook: an :class:`Instrument`, a built-in name or a TOML file.

    Returns
    -------
    polars.DataFrame
        The input columns, then one ``Float64`` column per dimension (named by dimension id)
        and one for the index (named by the index id); null where too few items were answered.
        The input frame is not modified.

    Raises
    ------
    DataError
        An item column is missing, not numeric, or holds a code that is neither on the scale
        nor a declared special code (the message names column, row and value).

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = pl.DataFrame({f"hme{i}": [5, 3] for i in range(1, 10)})
    >>> ly.score(answers, "hme").select("motivation", "hme").rows()
    [(100.0, 100.0), (50.0, 50.0)]
    """
    inst = resolve_instrument(instrument)
    return _lyhord._score(_collect(answers, "answers"), inst)


def estimate(
    data: FrameLike,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str = (),
    min_group: int | None = None,
    confidence: float = 0.95,
    weights: str | None = None,
    headcounts: pl.DataFrame | None = None,
    headcount_column: str = "headcount",
) -> pl.DataFrame:
    """Grouped estimates of the index, every dimension and every item, with suppression.

    ``by`` is read as an organisational hierarchy from the top down: ``["forvaltning",
    "enhet"]`` gives rows for the whole organisation (level 0), each förvaltning (level 1)
    and each enhet (level 2). Parents include all their respondents, also those in
    suppressed children.

    Formulas (``w`` = weights, 1 when not given; ``N`` = headcount when given):

    - mean ``ȳ = Σwy / Σw``; SD ``s² = n/(n−1) · Σw(y−ȳ)² / Σw``
    - SE ``= √(n/(n−1) · Σw²(y−ȳ)²) / Σw · √(1 − n/N)`` (``s/√n`` without weights; the
      with-replacement linearisation of R ``survey::svymean`` with ``ids = ~1``)
    - CI ``= ȳ ± t(1 − α/2, n − 1) · SE``
    - percent positive / neutral / negative: weighted share of valid answers in the
      instrument's positive / neutral sets ("don't know" leaves the base); for a dimension
      or the index, pooled over the answers to its items.

    Suppression: a cell with fewer than ``min_group`` answers or respondents is blanked
    (*primary*); then, so that no blanked group can be recovered as a visible parent minus
    its visible children, more cells are blanked (*secondary*) until every family (a group
    and its children) holds zero or at least two blanked groups, and blanked siblings under
    a visible parent together hold at least ``min_group`` answers. Blanked cells keep their
    row with ``suppressed = True`` and a reason in ``suppression``.

    Parameters
    ----------
    data : polars.DataFrame or polars.LazyFrame
        Answers with the item columns (the output of :func:`score` works too).
    instrument : Instrument, str or path
        The codebook.
    by : sequence of str, optional
        Grouping columns, top of the organisation first.
    min_group : int, optional
        Minimum group size; the instrument's ``min_group`` when not given.
    confidence : float, default 0.95
        Confidence level of the intervals.
    weights : str, optional
        Name of a column of positive weights.
    headcounts : polars.DataFrame, optional
        Headcount per unit (the ``by`` columns plus ``headcount_column``), for the
        finite-population correction; parents use the sum over all their units, also units
        with no respondents.
    headcount_column : str, default "headcount"

    Returns
    -------
    polars.DataFrame
        Columns ``level``, the ``by`` columns (null above their level), ``measure``, ``kind``
        (index / dimension / item), ``n_respondents``, ``n``, ``mean``, ``sd``, ``se``,
        ``ci_low``, ``ci_high``, ``pct_positive``, ``pct_neutral``, ``pct_negative``,
        ``headcount``, ``suppressed``, ``suppression``, ``confidence``, ``min_group``.
        Sorted by level and group keys (nulls last), measures in instrument order.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = pl.DataFrame({"enhet": ["A"] * 6 + ["B"] * 3,
    ...                         **{f"hme{i}": [4, 5, 3, 4, 5, 4, 2, 3, 4] for i in range(1, 10)}})
    >>> t = ly.estimate(answers, "hme", by="enhet", min_group=5)
    >>> t.filter(pl.col("measure") == "hme").select("enhet", "n", "mean", "suppressed").rows()
    [(None, 9, 69.44444444444444, False), ('A', None, None, True), ('B', None, None, True)]
    """
    inst = resolve_instrument(instrument)
    by_list = [by] if isinstance(by, str) else list(by)
    if min_group is not None and (not isinstance(min_group, int) or min_group < 1):
        raise ValueError(f"`min_group` must be a whole number ≥ 1, got {min_group!r}")
    hc = None if headcounts is None else _collect(headcounts, "headcounts")
    return _lyhord._estimate(
        _collect(data, "data"),
        inst,
        by_list,
        min_group,
        float(confidence),
        weights,
        hc,
        headcount_column,
    )
