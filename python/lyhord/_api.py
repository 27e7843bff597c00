"""Scoring and grouped estimates: thin wrappers over the Rust kernels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from . import _lyhord
from ._args import FrameLike, _by_list, _collect, _min_group, resolve_instrument
from ._lyhord import ArgumentError, ArgumentTypeError, Instrument
from ._publication import Publication
from ._types import Convention, ShareInterval


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
    background: Sequence[str] | str = (),
    convention: Convention = "survey",
    ci_method: ShareInterval | None = None,
) -> pl.DataFrame:
    """Grouped estimates of the index, every dimension and every item, with suppression.

    ``by`` is read as an organisational hierarchy from the top down: ``["forvaltning",
    "enhet"]`` gives rows for the whole organisation (level 0), each förvaltning (level 1)
    and each enhet (level 2). Parents include all their respondents, also those in
    suppressed children.

    Formulas (``w`` = weights, 1 when not given; ``N`` = headcount when given), under
    ``convention="survey"`` (R ``survey``'s, the default):

    - mean ``ȳ = Σwy / Σw``; SD ``s² = n/(n−1) · Σw(y−ȳ)² / Σw``
    - SE ``= √(n/(n−1) · Σw²(y−ȳ)²) / Σw · √(1 − n/N)`` (``s/√n`` without weights; the
      with-replacement linearisation of R ``survey::svymean`` with ``ids = ~1`` and
      ``fpc = ~N``)
    - CI ``= ȳ ± t(1 − α/2, n − 1) · SE``
    - percent positive / neutral / negative: weighted share of valid answers in the
      instrument's positive / neutral sets ("don't know" leaves the base); for a dimension
      or the index, pooled over the answers to its items.
    - SE of percent positive ``p = Σwb / Σwa`` (``a`` a respondent's answers to the
      measure, ``b`` the positive ones; both 0/1 for an item) over the ``r`` respondents who
      answered: ``√(r/(r−1) · Σw²(b − p·a)²) / Σwa · √(1 − r/N)`` — each respondent is a
      cluster of answers (R ``svyratio(~b, ~a, design)``; for an item ``svyciprop``'s
      ``svymean``); its interval by ``ci_method`` (default ``"logit"``, as ``svyciprop``)
      on ``r − 1`` degrees of freedom, in percentage points.

    ``convention="people_survey"`` gives the UK Civil Service People Survey's margins: the
    factor ``(N−n)/(N−1)`` throughout; percent positive with ``p(1−p)/n`` (no ``r/(r−1)``),
    normal quantiles and the symmetric interval, ``z · √(p(1−p)/n · (N−n)/(N−1))`` (43 %
    positive of 120 answers from 200 employees: ±5.6 points); means (indices) with t on
    ``n − 1``, as its t tests for indices. The same convention governs
    :func:`design_estimate` and, read from the tables, :func:`compare_waves`.

    Suppression (the publication layer, see :class:`Publication`): a group with fewer than
    ``min_group`` respondents is blanked with all its measures (*primary*), and so is a
    measure answered by fewer than ``min_group`` in a group shown otherwise (with the
    dimensions and index that pool its answers); percentages need the instrument's
    ``min_group_distribution``. Then more groups are blanked (*secondary*, those hiding the
    fewest respondents first) until an attacker holding every number of the table, with
    whole-number and sign bounds, can neither narrow a small group's count to within
    ``min_group`` nor determine any blanked group's sum. Blanks are bare: the row keeps its
    keys, ``measure`` and ``suppressed = True``; every number (also ``n_respondents`` and
    ``headcount``) is null. This is a publication of **one** table: tables of the same
    answers published side by side (another ``by``, the reliability family, other years)
    must come from one :class:`Publication` to be protected together.

    Parameters
    ----------
    data : polars.DataFrame or polars.LazyFrame
        Answers with the item columns (the output of :func:`score` works too). A LazyFrame
        is run in polars' streaming engine and summed batch by batch (see
        :func:`summarise`), so memory stays bounded however many rows it has; the
        estimates are the same as from the collected frame (to floating-point rounding).
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
    background : str or sequence of str, optional
        Background columns (e.g. ``"kon"``) that break the lowest ``by`` level down one more
        level, published under the instrument's ``min_group_background``.
    convention : {"survey", "people_survey"}, default "survey"
        Finite-population factor and critical values (see above); recorded in the table's
        ``convention`` column.
    ci_method : {"logit", "xlogit", "beta", "asin", "wilson", "mean"}, optional
        Interval of percent positive, as in :func:`design_estimate`; default ``"logit"``
        (``"mean"``, the symmetric interval, under ``convention="people_survey"``).

    Returns
    -------
    polars.DataFrame
        Columns ``level``, the ``by`` and ``background`` columns (null above their level, in
        their own dtype), ``measure``, ``kind`` (index / dimension / item),
        ``n_respondents``, ``n``, ``mean``, ``sd``, ``se``, ``ci_low``, ``ci_high``,
        ``pct_positive``, ``pct_neutral``, ``pct_negative``, ``pct_positive_se``,
        ``pct_positive_ci_low``, ``pct_positive_ci_high``, ``headcount``, ``suppressed``,
        ``confidence``, ``convention``, ``min_group``. Sorted by level and group keys (nulls
        last, a null key is a group of its own), measures in instrument order. Percentages
        (and their SE and interval) are null where the group is below the distribution
        threshold (or blanked with it); the interval is null where its scale has none (a
        share of 0 or 100 % on the logit scale: ``ci_method="beta"`` gives one).

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
    by_list = _by_list(by)
    _min_group(min_group)
    if isinstance(data, pl.LazyFrame):
        # Streamed: sums per batch, added up, published once (bounded memory).
        sums = summarise(data, inst, by=by_list + _by_list(background), weights=weights)
        return estimate_from_sums(
            sums,
            inst,
            by=by_list,
            background=background,
            min_group=min_group,
            confidence=confidence,
            headcounts=headcounts,
            headcount_column=headcount_column,
            convention=convention,
            ci_method=ci_method,
        )
    publication = Publication(data, inst, min_group=min_group, weights=weights)
    return publication.estimate(
        by_list,
        background=background,
        confidence=confidence,
        headcounts=headcounts,
        headcount_column=headcount_column,
        convention=convention,
        ci_method=ci_method,
    )


BATCH_ROWS = 200_000
"""Rows per streamed batch: large enough that the per-batch overhead is small, small enough
that a batch of 60 item columns stays well under 100 MB."""


def summarise(
    data: FrameLike,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str = (),
    weights: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> pl.DataFrame:
    """Sums per group: what an estimate is made of, to store, merge and publish later.

    One row per finest group of ``by`` and measure (index, dimensions, items) with the
    additive sufficient statistics of :func:`estimate`: respondents, answers, weighted sums
    ``Σw, Σwy, Σwy², Σw², Σw²y, Σw²y²`` and weighted answer counts (all, positive,
    neutral). Tables of sums add up: :func:`merge_sums` combines the sums of other rows,
    files or parts of an organisation, and :func:`estimate_from_sums` publishes them, with
    suppression, at ``by`` or any coarser grouping, giving the numbers :func:`estimate`
    gives on the answers themselves.

    **Sums are not suppressed**: a group of one respondent holds that person's answers.
    Keep them where the answers are kept; publish only what :func:`estimate_from_sums`
    returns.

    Parameters
    ----------
    data : polars.DataFrame or polars.LazyFrame
        Answers with the item columns. A LazyFrame (e.g. ``pl.scan_parquet`` of a national
        data set) runs in polars' streaming engine; each batch of ``batch_rows`` rows is
        summed in Rust and the sums added up, so memory is bounded by the batch and the
        number of groups, not by the rows. Only the item, ``by`` and ``weights`` columns
        are read.
    instrument : Instrument, str or path
        The codebook.
    by : sequence of str, optional
        Grouping columns (any order; e.g. ``["year", "forvaltning", "enhet"]``).
    weights : str, optional
        Column of positive weights.
    batch_rows : int, default 200,000
        Rows per streamed batch (LazyFrame input only).

    Returns
    -------
    polars.DataFrame
        ``instrument``, the ``by`` columns, ``measure``, ``kind``, ``n_respondents``, ``n``,
        ``sum_w``, ``sum_wy``, ``sum_wy2``, ``sum_w2``, ``sum_w2y``, ``sum_w2y2``,
        ``answers``, ``sum_w_answers``, ``sum_w_positive``, ``sum_w_neutral``.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = pl.DataFrame({"enhet": ["A"] * 6 + ["B"] * 3,
    ...                         **{f"hme{i}": [4, 5, 3, 4, 5, 4, 2, 3, 4] for i in range(1, 10)}})
    >>> sums = ly.summarise(answers.lazy(), "hme", by="enhet")
    >>> sums.filter(measure="hme").select("enhet", "n", "sum_wy").rows()
    [('A', 6, 475.0), ('B', 3, 150.0)]
    >>> ly.estimate_from_sums(sums, "hme").filter(measure="hme")["mean"].round(4).to_list()
    [69.4444]
    """
    inst = resolve_instrument(instrument)
    by_list = _by_list(by)
    if isinstance(data, pl.DataFrame):
        return _lyhord._summarise(data, inst, by_list, weights)
    if not isinstance(data, pl.LazyFrame):
        raise ArgumentTypeError(
            f"`data` must be a polars DataFrame or LazyFrame, not {type(data).__name__}"
        )
    if not isinstance(batch_rows, int) or batch_rows < 1:
        raise ArgumentError(f"`batch_rows` must be a whole number ≥ 1, got {batch_rows!r}")
    return _summarise_stream(data, inst, by_list, weights, batch_rows)


def _summarise_stream(
    data: pl.LazyFrame, inst: Instrument, by: list[str], weights: str | None, batch_rows: int
) -> pl.DataFrame:
    # Missing or non-numeric columns are reported before any row is read, naming every
    # column the data has; then only the columns used are streamed.
    empty = data.clear().collect()
    _lyhord._summarise(empty, inst, by, weights)
    wanted = dict.fromkeys([*by, *([weights] if weights else []), *inst.items])
    lf = data.select(list(wanted))
    total = _lyhord._SumsAccumulator(inst, by, weights)
    # maintain_order keeps batches in row order, so error messages name the input's row.
    for batch in lf.collect_batches(chunk_size=batch_rows, maintain_order=True):
        total.add(batch)
    return total.finish(empty.select(list(wanted)))


def merge_sums(*sums: pl.DataFrame, by: Sequence[str] | str | None = None) -> pl.DataFrame:
    """Adds up tables of sums from :func:`summarise` (other rows, files, parts of an
    organisation, or stored years) into one, without the raw answers.

    Parameters
    ----------
    *sums : polars.DataFrame
        Tables of sums made with the same instrument.
    by : sequence of str, optional
        Keep only these grouping columns (the others are added up). Needed when the tables
        were summarised by different columns: e.g. one wave by förvaltning and enhet, one
        by förvaltning only, merged with ``by=["forvaltning"]``.

    Returns
    -------
    polars.DataFrame
        One row per (group, measure), sorted by group; same columns as :func:`summarise`.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> north, south = staff.filter(pl.col("forvaltning") < "M"), staff.filter(
    ...     pl.col("forvaltning") >= "M")
    >>> parts = [ly.summarise(p, "hme", by=["forvaltning", "enhet"]) for p in (north, south)]
    >>> whole = ly.summarise(staff, "hme", by=["forvaltning", "enhet"])
    >>> ly.merge_sums(*parts).select("n", "sum_wy").equals(whole.select("n", "sum_wy"))
    True
    """
    frames = list(sums[0]) if len(sums) == 1 and isinstance(sums[0], list | tuple) else list(sums)
    if not frames:
        raise ArgumentError("`merge_sums` needs at least one table of sums")
    for i, frame in enumerate(frames, 1):
        if not isinstance(frame, pl.DataFrame):
            raise ArgumentTypeError(f"sums {i} is a {type(frame).__name__}, not a polars DataFrame")
    if by is not None:
        keep = ["instrument", *_by_list(by)]
        frames = [_reduce_keys(f, keep, i) for i, f in enumerate(frames, 1)]
    names = [sum_keys(f) for f in frames]
    for i, keys in enumerate(names[1:], 2):
        if keys != names[0]:
            raise ArgumentError(
                f"sums 1 is grouped by {names[0]} but sums {i} by {keys}; "
                "pass `by=` the grouping columns they share to add them up"
            )
    return _lyhord._merge_sums(pl.concat(frames, how="vertical_relaxed"))


SUM_VALUE_COLUMNS = ["measure", "kind", *_lyhord.SUM_COLUMNS]


def sum_keys(frame: pl.DataFrame) -> list[str]:
    """The grouping columns of a table of sums."""
    return [c for c in frame.columns if c not in ("instrument", *SUM_VALUE_COLUMNS)]


def _reduce_keys(frame: pl.DataFrame, keep: list[str], i: int) -> pl.DataFrame:
    missing = [c for c in keep if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"sums {i} has no grouping column {missing}; it is grouped by {sum_keys(frame)}"
        )
    return frame.select(*keep, *SUM_VALUE_COLUMNS)


def estimate_from_sums(
    sums: pl.DataFrame,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str = (),
    min_group: int | None = None,
    confidence: float = 0.95,
    headcounts: pl.DataFrame | None = None,
    headcount_column: str = "headcount",
    background: Sequence[str] | str = (),
    convention: Convention = "survey",
    ci_method: ShareInterval | None = None,
) -> pl.DataFrame:
    """Grouped estimates with suppression from stored or merged sums (see :func:`summarise`).

    The same table, columns and rules as :func:`estimate` (formulas, suppression, finite-
    population correction), computed from the sums instead of the answers. ``by`` may be
    the grouping the sums were made with or any part of it; grouping columns of the sums
    that ``by`` leaves out are added up (e.g. sums by ``["year", "forvaltning", "enhet"]``
    filtered to one year give that year's estimates by ``["forvaltning"]``).

    Parameters
    ----------
    sums : polars.DataFrame
        Output of :func:`summarise` or :func:`merge_sums`, or such a table read back from
        Parquet.
    instrument : Instrument, str or path
        The codebook the sums were made with (checked against their ``instrument``).
    by, min_group, confidence, headcounts, headcount_column, background, convention, ci_method
        As in :func:`estimate`. Weights are already in the sums.

    Returns
    -------
    polars.DataFrame
        As :func:`estimate`.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> sums = ly.summarise(staff, "hme", by=["forvaltning", "enhet"])
    >>> a = ly.estimate_from_sums(sums, "hme", by="forvaltning")
    >>> b = ly.estimate(staff, "hme", by="forvaltning")
    >>> (a["mean"] - b["mean"]).abs().max() < 1e-9
    True
    """
    inst = resolve_instrument(instrument)
    _min_group(min_group)
    return Publication.from_sums(sums, inst, min_group=min_group).estimate(
        by,
        background=background,
        confidence=confidence,
        headcounts=headcounts,
        headcount_column=headcount_column,
        convention=convention,
        ci_method=ci_method,
    )
