"""Intercoder agreement on coded interviews: thin wrappers over the Rust kernels."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from . import _lyhord
from ._api import FrameLike, _collect
from ._args import _by_list, _count
from ._lyhord import DEFAULT_SEED
from ._types import AgreementLevel, AgreementWeights

__all__ = ["agreement", "code_presence"]


def agreement(
    ratings: FrameLike,
    *,
    unit: str = "unit",
    coder: str = "coder",
    value: str = "value",
    by: Sequence[str] | str | None = None,
    level: AgreementLevel = "nominal",
    categories: Sequence[object] | None = None,
    weights: Sequence[AgreementWeights] | AgreementWeights | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> pl.DataFrame:
    """Intercoder agreement: how far coders who coded the same units agree.

    ``ratings`` is long: one row per unit (segment, interview, …) and coder with the code or
    rating given; a null ``value`` is a missing rating, and units a coder did not code simply
    have no row. With ``r_ik`` coders putting unit *i* in category *k*, ``r_i = Σ_k r_ik``,
    agreement weights ``w_kl`` (1 on the diagonal) and ``r*_ik = Σ_l w_kl r_il``:

    - ``percent_agreement``: ``p_a = mean_i Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1))`` over
      units with at least two ratings (for two coders: the share of units they agree on).
    - ``cohen_kappa`` (exactly two coders): ``(p_o − p_e) / (1 − p_e)`` with ``p_e`` from the
      two coders' own marginals (R ``irr::kappa2``, ``irrCAC::kappa2.table``).
    - ``fleiss_kappa``: ``p_e = Σ_kl w_kl π_k π_l``, ``π_k`` the mean share of category k
      per unit (Gwet's form, which allows missing ratings).
    - ``gwet_ac1`` (unweighted) / ``gwet_ac2`` (weighted):
      ``p_e = T_w / (q(q−1)) · Σ_k π_k (1 − π_k)``, ``T_w = Σ_kl w_kl``.
    - ``brennan_prediger``: ``p_e = T_w / q²``.
    - ``krippendorff_alpha`` at ``level``: ``α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck``
      from the coincidence matrix ``o`` (Krippendorff 2011), δ² nominal, ordinal (from the
      marginals), interval ``(c − k)²`` or ratio ``((c − k)/(c + k))²``.

    Linear weights are ``1 − |x_k − x_l| / (x_max − x_min)``, quadratic
    ``1 − (x_k − x_l)² / (x_max − x_min)²`` on the category values. ``q`` is the number of
    categories: the ones used in the group, or all of ``categories`` when given.

    Intervals: ``n_boot`` bootstrap resamples of **units** (the independent observations),
    percentile interval and the replicates' SD as ``se``.

    Degenerate data never give NaN: the ``value`` is null and ``note`` says why (one coder,
    no unit coded twice, only one category used, Cohen's κ asked for more than two coders).

    Parameters
    ----------
    ratings : polars.DataFrame or polars.LazyFrame
        One row per unit × coder; for several codes on one segment use
        :func:`code_presence` first.
    unit, coder, value : str
        Column names.
    by : str or sequence of str, optional
        Agreement per group, e.g. ``by="code"`` after :func:`code_presence`.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement for Krippendorff's α. Text values need ``categories`` (their
        order) for anything but nominal data.
    categories : sequence, optional
        All categories in order. Numbers (or text that spells numbers) keep their values;
        other labels get the values 1, 2, …. Also fixes ``q`` for Gwet and Brennan–Prediger.
    weights : str or sequence of str, optional
        Agreement weights of the κ-type rows: any of ``"unweighted"``, ``"linear"``,
        ``"quadratic"``. Default: unweighted for nominal data, all three otherwise.
    n_boot : int
        Bootstrap resamples for ``se`` and the interval; 0 for none.
    confidence : float
        Confidence level of the interval.
    seed : int
        Seed of the bootstrap; units are sorted first, so row order changes nothing.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``statistic``, ``weights`` (null for Krippendorff's α),
        ``level``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``n_units``, ``n_pairable``
        (units with at least two ratings), ``n_coders``, ``n_categories`` (used),
        ``n_ratings``, ``n_missing`` (null ratings), ``note``.

    Raises
    ------
    DataError
        A missing column, an empty unit or coder id, a coder rating a unit twice (the message
        names both rows) or a value outside ``categories``.

    Examples
    --------
    Krippendorff (2011), 4 coders × 12 units with missing ratings:

    >>> import polars as pl, lyhord as ly
    >>> data = {"A": "123321412...", "B": "1233224125.3",
    ...         "C": ".3332342251.", "D": "12332441251."}
    >>> rows = [(u, c, int(v)) for c, s in data.items() for u, v in enumerate(s) if v != "."]
    >>> ratings = pl.DataFrame(rows, schema=["unit", "coder", "value"], orient="row")
    >>> out = ly.agreement(ratings, level="interval", n_boot=0)
    >>> round(out.filter(pl.col("statistic") == "krippendorff_alpha")["value"][0], 3)
    0.849
    """
    frame = _collect(ratings, "ratings")
    weight_list = [weights] if isinstance(weights, str) else weights
    return _lyhord._agreement(
        frame,
        unit=unit,
        coder=coder,
        value=value,
        by=_by_list(by),
        level=level,
        categories=None if categories is None else [str(c) for c in categories],
        weights=None if weight_list is None else list(weight_list),
        n_boot=_count(n_boot, "n_boot", 0),
        confidence=confidence,
        seed=_count(seed, "seed", 0),
    )


def code_presence(
    segments: FrameLike,
    *,
    unit: str = "interview",
    coder: str = "coder",
    code: str = "code",
    codes: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Yes/no ratings of every code per unit and coder, from coded segments.

    Turns coded segments (several codes per interview, any number per coder) into one
    rating per code × unit × coder, so that :func:`agreement` with ``by=code`` gives
    agreement per code on whether the code occurs in the interview. A coder counts as having
    coded a unit when at least one of their segments is in it.

    Parameters
    ----------
    segments : polars.DataFrame or polars.LazyFrame
        One row per coded segment with at least the unit, coder and code columns.
    unit, coder, code : str
        Column names.
    codes : sequence of str, optional
        The full list of codes (from the coding frame), so codes nobody used get rows too; a
        code in the data outside the list is an error naming the row.

    Returns
    -------
    polars.DataFrame
        Columns ``code``, ``unit``, ``coder`` (named as given) and ``present`` (1/0), sorted
        by code, unit and coder.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> seg = pl.DataFrame({"interview": ["i1", "i1", "i1", "i2", "i2"],
    ...                     "coder": ["A", "A", "B", "A", "B"],
    ...                     "code": ["x", "y", "x", "y", "y"]})
    >>> p = ly.code_presence(seg)
    >>> p.filter(pl.col("code") == "y")["present"].to_list()
    [1, 0, 1, 1]
    """
    frame = _collect(segments, "segments")
    return _lyhord._code_presence(
        frame, unit, coder, code, None if codes is None else [str(c) for c in codes]
    )
