"""Intercoder agreement on coded interviews: thin wrappers over the Rust kernels."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from . import _lyhord
from ._api import FrameLike, _collect
from ._args import _by_list, _count
from ._lyhord import DEFAULT_SEED
from ._types import AgreementLevel, AgreementSe, AgreementStatistic, AgreementWeights

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
    se_method: AgreementSe | None = None,
    n_boot: int | None = None,
    confidence: float = 0.95,
    seed: int = DEFAULT_SEED,
    statistics: Sequence[AgreementStatistic] | AgreementStatistic | None = None,
) -> pl.DataFrame:
    """Intercoder agreement: how far coders who coded the same units agree.

    ``ratings`` is long: one row per unit (segment, interview, …) and coder with the code or
    rating given; a null ``value`` is a missing rating, and units a coder did not code simply
    have no row. With ``r_ik`` coders putting unit *i* in category *k*, ``r_i = Σ_k r_ik``,
    agreement weights ``w_kl`` (1 on the diagonal) and ``r*_ik = Σ_l w_kl r_il``:

    - ``percent_agreement``: ``p_a = mean_i Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1))`` over
      units with at least two ratings (for two coders: the share of units they agree on).
    - ``conger_kappa`` (Conger 1980): ``p_e = Σ_kl w_kl (p̄_k p̄_l − s²_kl / r)`` with
      ``p_gk`` coder g's share of category k over the units g rated, ``p̄_k`` its mean and
      ``s²_kl`` its covariance over the ``r`` coders. ``cohen_kappa`` is its two-coder case,
      ``p_e = Σ_kl w_kl p_1k p_2l`` (R ``irr::kappa2`` and ``irrCAC`` on complete data);
      null with a note for other numbers of coders.
    - ``fleiss_kappa``: ``p_e = Σ_kl w_kl π_k π_l``, ``π_k`` the mean share of category k
      per unit (Gwet's form, which allows missing ratings). ``scott_pi`` is its two-coder
      case (Scott 1955); null with a note for other numbers of coders.
    - ``gwet_ac1`` (unweighted) / ``gwet_ac2`` (weighted):
      ``p_e = T_w / (q(q−1)) · Σ_k π_k (1 − π_k)``, ``T_w = Σ_kl w_kl``.
    - ``brennan_prediger``: ``p_e = T_w / q²``.
    - ``krippendorff_alpha`` at ``level``: ``α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck``
      from the coincidence matrix ``o`` (Krippendorff 2011), δ² nominal, ordinal (from the
      marginals), interval ``(c − k)²`` or ratio ``((c − k)/(c + k))²``.

    Linear weights are ``1 − |x_k − x_l| / (x_max − x_min)``, quadratic
    ``1 − (x_k − x_l)² / (x_max − x_min)²`` on the category values. ``q`` is the number of
    categories: the ones used in the group, or all of ``categories`` when given.

    **Missing ratings, one rule for every row**: agreement ``p_a`` comes from the units
    rated by two or more coders, chance agreement from every rating given, and ``n`` counts
    the units with at least one rating. Krippendorff's α alone uses only the pairable values
    (units with two or more ratings) for its expected disagreement, as its definition says.
    Cohen's κ therefore takes each coder's marginals from all units that coder rated, not
    only the shared ones (Gwet 2014, ch. 2; R ``irrCAC``); ``irr::kappa2`` drops the
    incomplete units first and can differ when ratings are missing.

    **Standard errors** (``se_method``):

    - ``"analytic"`` (default): Gwet's linearised variance (Handbook of Inter-Rater
      Reliability, 4th ed., 2014; R ``irrCAC`` ``*.raw`` functions),
      ``v = 1/(n(n−1)) Σ_i (κ*_i − κ)²`` with ``κ*_i = κ_i − 2(1 − κ)(p_e|i − p_e)/(1 − p_e)``
      and ``κ_i = (n/n₂)(p_a|i − p_e)/(1 − p_e)``; interval ``value ± t·se`` on ``df = n − 1``
      with the upper end at most 1, as irrCAC. No finite-population correction.
    - ``"bootstrap"``: ``n_boot`` resamples of **units** (the independent observations),
      percentile interval and the replicates' SD as ``se``. Giving ``n_boot`` alone selects it.

    ``z = value / se`` and ``p_value`` is its two-sided p on t with ``df`` degrees of freedom,
    testing "no agreement beyond chance" (irrCAC prints the one-sided ``1 − pt(z, n − 1)``,
    half of ours when κ > 0). Percent agreement gets an SE but no test: 0 is no natural null.

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
    se_method : {"analytic", "bootstrap"}, optional
        How ``se``, the interval, ``z`` and ``p_value`` are computed; default analytic, or
        bootstrap when ``n_boot`` is given.
    n_boot : int, optional
        Bootstrap resamples (default 1000 with ``se_method="bootstrap"``); refused with
        ``se_method="analytic"``, where it would mean nothing.
    confidence : float
        Confidence level of the interval.
    seed : int
        Seed of the bootstrap; units are sorted first, so row order changes nothing.
    statistics : str or sequence of str, optional
        Only these coefficients (default all): any of ``"percent_agreement"``,
        ``"cohen_kappa"``, ``"conger_kappa"``, ``"scott_pi"``, ``"fleiss_kappa"``,
        ``"gwet_ac1"`` (with unweighted among ``weights``), ``"gwet_ac2"`` (with a weighted
        one), ``"brennan_prediger"``, ``"krippendorff_alpha"``. What is not asked for is
        not computed: ``statistics="krippendorff_alpha"`` does about half the work of all.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``statistic``, ``weights`` (null for Krippendorff's α),
        ``level``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``df``,
        ``se_method``, ``n_units``, ``n_pairable``
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
    >>> out = ly.agreement(ratings, level="interval")
    >>> alpha = out.filter(pl.col("statistic") == "krippendorff_alpha").row(0, named=True)
    >>> round(alpha["value"], 3), round(alpha["se"], 3)
    (0.849, 0.129)
    >>> ac1 = out.filter(pl.col("statistic") == "gwet_ac1").row(0, named=True)
    >>> round(ac1["value"], 4), round(ac1["se"], 4), round(ac1["ci_low"], 3)
    (0.7754, 0.1429, 0.461)
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
        se_method=se_method,
        n_boot=None if n_boot is None else _count(n_boot, "n_boot", 0),
        confidence=confidence,
        seed=_count(seed, "seed", 0),
        statistics=[statistics] if isinstance(statistics, str) else _listed(statistics),
    )


def _listed(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


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
