"""Reliability, item analysis and driver analysis: thin wrappers over the Rust kernels.

Every function recodes the answers exactly as :func:`lyhord.score` does (reverse keys turned,
"don't know" and not-applicable codes treated as missing) and works on the 0–100 item
scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from . import _lyhord
from ._args import FrameLike, _by_list, _collect, resolve_instrument
from ._lyhord import DEFAULT_SEED, ArgumentError, ArgumentTypeError, Instrument
from ._publication import Publication
from ._types import CiMethod, InvarianceModel, Lang, Missing

__all__ = [
    "dimension_check",
    "drivers",
    "invariance",
    "item_analysis",
    "polychoric",
    "priority_matrix",
    "reliability",
]


def reliability(
    answers: FrameLike,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str | None = None,
    missing: Missing = "pairwise",
    ci: CiMethod = "feldt",
    n_boot: int = 1000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    min_group: int | None = None,
    ordinal: bool = False,
) -> pl.DataFrame:
    """Internal consistency of every dimension and of the whole index.

    One row per group and scale: each dimension of the instrument, then the index over all
    its items. With ``C`` the k × k covariance matrix of the 0–100 item scores and ``R`` its
    correlation matrix (``R = cov2cor(C)``):

    - Cronbach's α ``= k/(k−1) · (1 − tr C / ΣC)``; standardised α
      ``= k·r̄ / (1 + (k−1)·r̄)``, ``r̄`` the mean off-diagonal correlation (``average_r``).
    - Guttman's λ6 ``= 1 − Σ(1 − smc_j) / ΣR``, ``smc_j = 1 − 1/(R⁻¹)_jj``.
    - McDonald's ω total from a one-factor model fitted by **minimum residuals** (minres =
      unweighted least squares, as R ``psych::fa(fm = "minres")``, solved by iterated
      principal axes): ``ω = 1 − Σ(1 − λ_j²) / Σ s_i s_j R_ij`` on the pairwise
      correlation matrix, ``s_j`` the sign of item j's loading: an item loading negatively
      (an unkeyed reverse item) is reversed first and named in ``note``, as R
      ``psych::omega(nfactors = 1)$omega.tot`` does (``flip = TRUE``). This is ω total;
      ω hierarchical needs a multi-factor model.
    - Feldt's interval: ``[1 − (1 − α)·F(1 − a/2), 1 − (1 − α)·F(a/2)]`` with F on
      ``n − 1`` and ``(n − 1)(k − 1)`` degrees of freedom, ``a = 1 − confidence``; or a
      percentile bootstrap over respondents (``ci="bootstrap"``, ``n_boot`` resamples).
    - With ``ordinal=True`` also **ordinal α and ω** (Zumbo, Gadermann & Zeisser 2007): the
      same α (standardised) and ω computed from the items' polychoric correlations
      (:func:`polychoric`) instead of ``R``, as R ``psych::alpha(polychoric(x)$rho)`` and
      ``psych::omega(polychoric(x)$rho, nfactors = 1)``: the answers read as cut normal
      variables, not as equally spaced numbers. No interval is given for them.

    ``missing="pairwise"`` computes each covariance from the respondents who answered both
    items (as R ``psych::alpha`` and ``pingouin.cronbach_alpha``); ``n`` is then the number
    of respondents with at least one answer. ``"listwise"`` uses only respondents who
    answered every item of the scale (``n`` counts them).

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
        One row per respondent, one integer column per item.
    instrument : Instrument, str or path
        The codebook.
    by : str or sequence of str, optional
        Grouping columns; one set of rows per combination of their values (sorted, nulls
        last). Groups go through the publication layer (:class:`Publication`): blanked
        groups keep their rows, every statistic null, ``suppressed`` True.
    missing : {"pairwise", "listwise"}, default "pairwise"
    ci : {"feldt", "bootstrap"}, default "feldt"
    n_boot : int, default 1000
        Bootstrap resamples (``ci="bootstrap"`` only).
    seed : int
        Seed of the bootstrap (the same seed gives the same interval).
    confidence : float, default 0.95
    min_group : int, optional
        Minimum group size with ``by``; the instrument's ``min_group`` when not given.
    ordinal : bool, default False
        Also ordinal α and ω (``alpha_ordinal``, ``omega_ordinal``; null otherwise).

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``scale``, ``kind`` (dimension / index), ``k`` (items),
        ``n``, ``alpha``, ``alpha_std``, ``ci_low``, ``ci_high``, ``lambda6``,
        ``omega_total``, ``average_r``, ``alpha_ordinal``, ``omega_ordinal``, ``ci_method``,
        ``confidence``, ``missing``, ``suppressed``, ``note``. A statistic that cannot be
        computed is null and ``note`` says why (one item, a singular correlation matrix, …);
        never NaN. A suppressed group's rows are bare: ``suppressed`` True, no statistic and
        no ``note``.

    Raises
    ------
    EstimationError
        Without ``by``: a scale whose α cannot be computed (fewer than 3 respondents, an item
        without variance, two items never answered together); the message names the scale
        and item. Also for bad ``missing``, ``ci``, ``n_boot`` or ``confidence``.
    DataError
        Item or grouping columns missing or not numeric.

    Examples
    --------
    >>> import random, polars as pl, lyhord as ly
    >>> rng = random.Random(4)
    >>> people = [rng.randint(1, 5) for _ in range(60)]  # 60 respondents, one common level
    >>> answers = pl.DataFrame({f"hme{j}": [min(5, max(1, p + rng.randint(-1, 1))) for p in people]
    ...                         for j in range(1, 10)}).with_columns(
    ...     overall=pl.Series([2 * p + rng.randint(0, 3) for p in people]),
    ...     enhet=pl.Series(["A"] * 30 + ["B"] * 27 + ["C"] * 3))
    >>> r = ly.reliability(answers, "hme")
    >>> r.select("scale", "k", "n", pl.col("alpha", "alpha_std", "omega_total").round(3)).rows()
    [('motivation', 3, 60, 0.881, 0.881, 0.881), ('ledarskap', 3, 60, 0.887, 0.888, 0.888),
     ('styrning', 3, 60, 0.876, 0.876, 0.878), ('hme', 9, 60, 0.959, 0.959, 0.959)]
    """
    inst = resolve_instrument(instrument)
    return Publication(answers, inst).reliability(
        by,
        missing=missing,
        ci=ci,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        min_group=min_group,
        ordinal=ordinal,
    )


def item_analysis(
    answers: FrameLike,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str | None = None,
    min_group: int | None = None,
) -> pl.DataFrame:
    """Item analysis: descriptives, item–total correlation, α if deleted, answer distribution.

    One row per group and item, analysed within its ``scale``: the first dimension that lists
    it (or the index when the instrument has no dimensions). On 0–100 item scores:

    - ``mean``, ``sd`` (n − 1) over the valid answers ``n``;
    - ``r_drop``: corrected item–total correlation, the correlation of the item with the sum
      of the *other* items of its scale, ``(Σ_l C_jl − C_jj) / √(C_jj · (ΣC − 2Σ_l C_jl +
      C_jj))`` from the pairwise covariance matrix ``C`` (R ``psych::alpha`` ``r.drop``);
    - ``alpha_if_deleted``: raw α of the scale without the item (null for a two-item scale);
    - ``std_alpha_if_deleted``: standardised α (from the correlations) without the item
      (R ``psych::alpha`` ``alpha.drop$std.alpha``);
    - ``share_missing``, ``share_dont_know``: shares of the group's respondents with no
      answer / a "don't know" (or not applicable counts as missing);
    - ``floor``, ``ceiling``: shares of valid answers at the lowest / highest score (after
      reverse keying);
    - ``codes``, ``shares``: the scale's answer codes *as asked* (before reverse keying) and the
      share of valid answers giving each.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path
    by : str or sequence of str, optional
        Grouping columns; blanked groups (see :class:`Publication`) keep their rows with nulls,
        items blanked in a shown group too; answer shares follow the distribution threshold.
    min_group : int, optional
        The instrument's ``min_group`` when not given.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``scale``, ``item``, ``reverse``, ``n_respondents``, ``n``,
        ``mean``, ``sd``, ``r_drop``, ``alpha_if_deleted``, ``std_alpha_if_deleted``,
        ``share_missing``, ``share_dont_know``, ``floor``, ``ceiling``, ``codes`` (list of
        int), ``shares`` (list of float), ``suppressed``, ``note``.

    Raises
    ------
    EstimationError
        Without ``by``: a scale whose covariance matrix cannot be computed (names the item).

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = pl.DataFrame({f"hme{i}": [5, 4, 4, 3, 2, 6] for i in range(1, 10)}).with_columns(
    ...     hme2=pl.Series([5, 3, 4, 3, 1, 4]), hme3=pl.Series([4, 4, 5, 2, 2, None]))
    >>> t = ly.item_analysis(answers, "hme")
    >>> t.filter(pl.col("scale") == "motivation").select(
    ...     "item", "n", pl.col("mean", "r_drop", "share_dont_know").round(3),
    ...     pl.col("shares").list.eval(pl.element().round(3))).rows()
    [('hme1', 5, 65.0, 0.966, 0.167, [0.0, 0.2, 0.2, 0.4, 0.2]),
     ('hme2', 6, 58.333, 0.936, 0.0, [0.167, 0.0, 0.333, 0.333, 0.167]),
     ('hme3', 5, 60.0, 0.768, 0.0, [0.0, 0.4, 0.0, 0.4, 0.2])]
    """
    inst = resolve_instrument(instrument)
    return Publication(answers, inst).item_analysis(by, min_group=min_group)


def drivers(
    answers: FrameLike,
    instrument: Instrument | str | Path,
    *,
    outcome: str = "index",
    by: Sequence[str] | str | None = None,
    missing: Missing = "listwise",
    n_boot: int = 500,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    min_group: int | None = None,
) -> pl.DataFrame:
    """What drives an outcome: correlations, standardised β and Johnson's relative weights.

    The predictors are the index items (0–100 scores); the outcome is the respondent index
    (``"index"``), a dimension, or any numeric column of ``answers`` (e.g. an overall
    satisfaction question). From the correlation matrix of the respondents who answered every
    item and the outcome (``missing="listwise"``, the default: it keeps the matrix positive
    semi-definite, so ``R² ≤ 1``; ``"pairwise"`` uses each pair's complete answers and notes
    an inconsistent ``R² > 1``):

    - ``r``: correlation of the item with the outcome;
    - ``beta``: standardised regression coefficient, ``β = R_xx⁻¹ r_xy``;
    - ``raw_weight``: Johnson's (2000) relative weight ``ε_j = Σ_k Λ_jk² β*_k²`` with
      ``Λ = R_xx^½`` (eigen-decomposition) and ``β* = Λ⁻¹ r_xy``; the weights add up to
      ``R² = β·r_xy`` (``r_squared``) and, unlike β, stay interpretable when items
      correlate;
    - ``rescaled_pct = 100 · ε_j / R²``: the item's share of the explained variance;
    - percentile bootstrap intervals of both (``n_boot`` resamples of respondents).

    When the outcome is the index built from the same items, the weights describe how the
    index is composed rather than what causes it; prefer an outcome measured separately
    where there is one.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path
    outcome : str, default "index"
        ``"index"`` (or the index id), a dimension id, or a numeric column.
    by : str or sequence of str, optional
        Grouping columns; blanked groups (see :class:`Publication`) keep their rows with nulls.
    missing : {"listwise", "pairwise"}, default "listwise"
    n_boot : int, default 500
        Bootstrap resamples; 0 for none.
    seed : int
    confidence : float, default 0.95
    min_group : int, optional

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``outcome``, ``item``, ``n`` (answering item and outcome),
        ``r``, ``beta``, ``raw_weight``, ``raw_weight_ci_low``, ``raw_weight_ci_high``,
        ``rescaled_pct``, ``rescaled_pct_ci_low``, ``rescaled_pct_ci_high``, ``r_squared``,
        ``n_used``, ``confidence``, ``suppressed``, ``note``.

    Raises
    ------
    EstimationError
        Unknown outcome; without ``by``: a singular item correlation matrix (names the
        items), an item without variance, fewer than 3 respondents with the outcome.

    Examples
    --------
    >>> import random, polars as pl, lyhord as ly
    >>> rng = random.Random(4)
    >>> people = [rng.randint(1, 5) for _ in range(60)]  # 60 respondents, one common level
    >>> answers = pl.DataFrame({f"hme{j}": [min(5, max(1, p + rng.randint(-1, 1))) for p in people]
    ...                         for j in range(1, 10)}).with_columns(
    ...     overall=pl.Series([2 * p + rng.randint(0, 3) for p in people]),
    ...     enhet=pl.Series(["A"] * 30 + ["B"] * 27 + ["C"] * 3))
    >>> d = ly.drivers(answers, "hme", outcome="overall", n_boot=0)
    >>> top = d.sort("rescaled_pct").tail(2)
    >>> top.select("item", pl.col("r", "beta", "rescaled_pct").round(2)).rows()
    [('hme5', 0.79, 0.22, 12.69), ('hme8', 0.81, 0.28, 14.37)]
    >>> round(d["rescaled_pct"].sum(), 6), round(d["raw_weight"].sum() - d["r_squared"][0], 12)
    (100.0, 0.0)
    """
    inst = resolve_instrument(instrument)
    return Publication(answers, inst).drivers(
        by,
        outcome=outcome,
        missing=missing,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        min_group=min_group,
    )


def priority_matrix(
    answers: FrameLike,
    instrument: Instrument | str | Path,
    *,
    by: Sequence[str] | str = "enhet",
    top: int = 3,
    outcome: str = "index",
    min_group: int | None = None,
) -> pl.DataFrame:
    """Importance × current score per unit: which items each unit should work on first.

    Importance is the item's rescaled relative weight for the outcome (see :func:`drivers`,
    listwise), estimated once over all respondents (units are too small for their own
    weights). The
    score is the unit's mean 0–100 item score. An item's priority in a unit is high when it
    matters and scores low::

        priority = importance_pct · (100 − score) / 100

    Items are ranked per unit by priority; the first ``top`` are flagged ``focus``.

    Privacy: the units go through the publication layer (see :class:`Publication`). A
    blanked unit keeps its rows (the item and the organisation-wide importance) but no
    unit content: ``n_respondents``, ``n``, ``score``, ``priority``, ``rank`` and ``focus``
    are null and ``suppressed`` is True; an item blanked in a visible unit (too few
    answers, or blanked with it) gets no ``n``, score or rank.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path
    by : str or sequence of str, default "enhet"
        The unit column(s).
    top : int, default 3
        How many items per unit to flag.
    outcome : str, default "index"
        As in :func:`drivers`.
    min_group : int, optional
        The instrument's ``min_group`` when not given.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns, then ``n_respondents``, ``item``, ``importance_pct``, ``score``,
        ``score_all`` (all respondents), ``n`` (valid answers in the unit), ``priority``,
        ``rank``, ``focus``, ``suppressed``, ``note``; one row per unit and item.

    Examples
    --------
    >>> import random, polars as pl, lyhord as ly
    >>> rng = random.Random(4)
    >>> people = [rng.randint(1, 5) for _ in range(60)]  # 60 respondents, one common level
    >>> answers = pl.DataFrame({f"hme{j}": [min(5, max(1, p + rng.randint(-1, 1))) for p in people]
    ...                         for j in range(1, 10)}).with_columns(
    ...     overall=pl.Series([2 * p + rng.randint(0, 3) for p in people]),
    ...     enhet=pl.Series(["A"] * 30 + ["B"] * 27 + ["C"] * 3))
    >>> p = ly.priority_matrix(answers, "hme", by="enhet", top=3, min_group=5)
    >>> focus = p.filter(pl.col("focus")).sort("enhet", "rank")
    >>> focus.select("enhet", "item", "rank", "n_respondents").rows()
    [('A', 'hme9', 1, 30), ('A', 'hme2', 2, 30), ('A', 'hme4', 3, 30),
     ('B', 'hme1', 1, 27), ('B', 'hme2', 2, 27), ('B', 'hme4', 3, 27)]
    >>> unit_c = p.filter(pl.col("enhet") == "C")
    >>> unit_c.select("n_respondents", "score", "suppressed", "note").row(0)
    (None, None, True, None)
    """
    inst = resolve_instrument(instrument)
    return Publication(answers, inst).priority_matrix(
        by, top=top, outcome=outcome, min_group=min_group
    )


def dimension_check(
    answers: FrameLike, instrument: Instrument | str | Path, *, ordinal: bool = False
) -> pl.DataFrame:
    """Confirmatory check of the dimension structure: does each item belong to its dimension?

    Fits a confirmatory factor model in which every item loads only on its own dimension and
    the dimensions correlate freely (factor variances fixed to 1), by maximum likelihood on
    the item correlation matrix ``R`` of the respondents who answered every item (listwise),
    as R ``lavaan::cfa(model, data, std.lv = TRUE)``:

    - ``Σ(θ) = Λ Φ Λᵀ + Ψ``; minimises ``F = ln|Σ| + tr(R Σ⁻¹) − ln|R| − p`` (BFGS).
    - ``chisq = n · F`` on ``df = p(p+1)/2 − (2p + m(m−1)/2)``; ``cfi``, ``tli`` against the
      independence model (``χ²₀ = −n · ln|R|``, ``df₀ = p(p−1)/2``);
      ``rmsea = √(max(χ² − df, 0) / (df · n))``; ``srmr``: root mean square of the
      correlation residuals (lower triangle with diagonal).
    - ``loading``: standardised loading; ``uniqueness = 1 − loading²``; ``max_factor_r``: the
      dimension's largest correlation with another dimension (near 1: not distinct).
    - **ω hierarchical** by the Schmid–Leiman transformation (Schmid & Leiman 1957;
      Zinbarg et al. 2005), as R ``psych::schmid`` / ``psych::omega``: the dimensions'
      correlations are explained by one general factor (its loadings ``γ`` from a minres
      one-factor fit of the factor correlations; with two dimensions both ``√φ₁₂``, psych's
      ``option = "equal"``), and each loading splits into ``general_loading = λ·γ`` and
      ``group_loading = λ·√(1 − γ²)``. With ``V`` the sum of the correlation matrix:
      ``omega_hierarchical = (Σg)² / V`` (how much of the index is one general factor),
      ``omega_total = ((Σg)² + Σ_dimensions (Σs)²) / V``, ``omega_asymptotic = ω_h / ω_t``.

    With ``ordinal=True`` the answers are treated as ordinal, as R
    ``lavaan::cfa(model, data, ordered = TRUE, std.lv = TRUE)`` does by default (estimator
    **WLSMV**): thresholds and polychoric correlations of the complete respondents, their
    asymptotic covariance ``Γ`` from each respondent's scores (Muthén 1984), the loadings by
    diagonally weighted least squares ``F = Σ w (r − σ(θ))²``, ``w = 1/diag Γ``, on the
    polychoric correlations (the latent responses have variance 1, so the loadings are
    standardised), ``χ² = (N − 1)·F``, and the mean-and-variance adjusted test
    ``T = a·χ² + b`` with ``U = W − WΔ(ΔᵀWΔ)⁻¹ΔᵀW``, ``a = √(df / tr((UΓ)²))``,
    ``b = df − √(df · tr(UΓ)² / tr((UΓ)²))`` (Asparouhov & Muthén 2010). ``chisq``,
    ``p_value``, ``cfi``, ``tli`` and ``rmsea`` are then lavaan's ``.scaled`` measures
    (from ``T`` and the baseline's own adjusted statistic); ``srmr`` is the root mean square
    of the polychoric residuals; ω uses the polychoric matrix. ``estimator`` names the
    choice (``"ML"`` or ``"WLSMV"``).

    Common rules of thumb: CFI, TLI ≥ 0.95, RMSEA ≤ 0.06, SRMR ≤ 0.08; loadings ≥ 0.4. The χ²
    test rejects almost any model with thousands of respondents. An instrument without
    dimensions is checked as one factor over its index items.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path
        Each item must belong to exactly one dimension; a dimension needs two items (three
        when it is the only one).
    ordinal : bool
        Treat the answers as ordinal (WLSMV on polychoric correlations) instead of as
        continuous (ML on Pearson correlations).

    Returns
    -------
    polars.DataFrame
        One row per item: ``dimension``, ``item``, ``loading``, ``uniqueness``,
        ``max_factor_r``, then the model's ``n``, ``chisq``, ``df``, ``p_value``, ``cfi``,
        ``tli``, ``rmsea``, ``srmr`` (the same on every row), the item's
        ``general_loading`` and ``group_loading``, the instrument's ``omega_hierarchical``,
        ``omega_total`` and ``omega_asymptotic`` (null when the dimensions admit no
        Schmid–Leiman solution), ``estimator`` and ``note`` (Heywood cases, factor
        correlations above 1, why ω hierarchical is missing).

    Raises
    ------
    EstimationError
        Too few items or complete respondents for the model, a singular correlation matrix,
        an item in two dimensions, or no convergence (the message says which).

    Examples
    --------
    >>> import random, polars as pl, lyhord as ly
    >>> rng = random.Random(2)
    >>> people = [(rng.gauss(0, 1), rng.gauss(0, 1)) for _ in range(400)]
    >>> def answer(level):
    ...     return min(5, max(1, round(3 + level + rng.gauss(0, 0.8))))
    >>> answers = pl.DataFrame({  # motivation follows one trait, the other six one other
    ...     f"hme{j}": [answer(a if j <= 3 else b) for a, b in people] for j in range(1, 10)})
    >>> fit = ly.dimension_check(answers, "hme")
    >>> fit.select("dimension", pl.col("loading", "max_factor_r").round(2)).unique(
    ...     "dimension", keep="first", maintain_order=True).rows()
    [('motivation', 0.75, 0.04), ('ledarskap', 0.74, 0.99), ('styrning', 0.77, 0.99)]
    >>> fit.select(pl.col("cfi", "rmsea", "srmr").round(3), "df").row(0)
    (0.989, 0.042, 0.028, 24)
    >>> ordinal = ly.dimension_check(answers, "hme", ordinal=True)
    >>> ordinal.select("estimator", pl.col("loading", "cfi").round(2)).row(0)
    ('WLSMV', 0.78, 1.0)
    """
    inst = resolve_instrument(instrument)
    if not isinstance(ordinal, bool):
        raise ArgumentTypeError(f"parameter `ordinal` must be True or False, got {ordinal!r}")
    return _lyhord._dimension_check(_collect(answers, "answers"), inst, ordinal)


def polychoric(answers: FrameLike, instrument: Instrument | str | Path) -> pl.DataFrame:
    """Polychoric correlations of the instrument's items: answers treated as ordinal.

    An answer on a 1–5 scale is read as a normal variable cut at four thresholds; the
    polychoric correlation of two items is the correlation of their two normal variables
    (Olsson 1979), estimated in two steps as R ``psych::polychoric(x)`` does:

    - thresholds of each item from all its answers: ``τ_c = Φ⁻¹(share answering c or
      lower)``;
    - per pair, from the respondents who answered both, the ρ that maximises
      ``Σ p_ij ln P_ij(ρ)``, where ``p_ij`` is the share of the pair's answers in cell (i, j)
      and ``P_ij(ρ)`` the bivariate normal mass between the cell's thresholds.

    Cell masses are exact to about 1e-15 (Genz 2004, the BVND algorithm) and ρ is found to
    about 1e-8 (Brent's method, as R's ``optimize``); ``psych`` integrates the cells to
    1e-6 and stops ``optimize`` at 1.2e-4, so its values may differ from these in the fourth
    decimal. Answers are recoded as :func:`lyhord.score` does: reverse keys turned, "vet ej"
    and not-applicable codes missing. The matrix is not smoothed when it is not positive
    definite (``psych`` smooths it by default).

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path

    Returns
    -------
    polars.DataFrame
        One row per item: ``item``, ``n`` (its valid answers), then one column per item with
        the correlation (1 on the diagonal, null for a pair no respondent answered both of).
        The thresholds are not shown: with ``n`` they are the item's exact answer counts,
        which the publication layer may have blanked in a published distribution.

    Raises
    ------
    EstimationError
        Fewer respondents than the instrument's minimum group size (the publication layer
        blanks such a group, so its correlations are not shown either).

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = ly.example_data("staff", year=2025, n=2000)
    >>> r = ly.polychoric(answers, "epl-staff")
    >>> r.select("item", "n", pl.col("eng1", "eng2").round(3)).head(3).rows()
    [('eng1', 1913, 1.0, 0.594), ('eng2', 1943, 0.594, 1.0), ('eng3', 1943, 0.607, 0.566)]
    """
    inst = resolve_instrument(instrument)
    return _lyhord._polychoric(_collect(answers, "answers"), inst)


def invariance(
    answers: FrameLike,
    instrument: Instrument | str | Path,
    *,
    group: Sequence[str] | str | None = None,
    waves: Sequence[str] | str | None = None,
    model: InvarianceModel = "dimensions",
    max_cfi_drop: float = 0.01,
    max_rmsea_rise: float | None = None,
    min_configural_cfi: float = 0.90,
    min_group: int | None = None,
    min_respondents: int | None = None,
    lang: Lang | None = None,
) -> pl.DataFrame:
    """Measurement invariance: do the items measure the same thing in every group and year?

    Ranking units on an index, or following it over years, is fair only when the items
    work the same way everywhere. This fits the nested multi-group factor models of a
    measurement-invariance analysis by maximum likelihood with a mean structure, as R
    ``lavaan::cfa(model, data, group = ..., group.equal = ...)`` does, on the complete
    respondents' 0–100 item scores of each group:

    - in group ``g``: ``x = ν_g + Λ_g η + ε``, so ``Σ_g = Λ_g Φ_g Λ_gᵀ + Θ_g`` and
      ``μ_g = ν_g + Λ_g α_g``; ``F = Σ_g (n_g/N)·[ln|Σ_g| + tr(S_g Σ_g⁻¹) − ln|S_g| − p +
      (x̄_g − μ_g)ᵀ Σ_g⁻¹ (x̄_g − μ_g)]`` (``S_g`` with divisor ``n_g``), ``χ² = N·F``;
    - steps: **configural** (same pattern, everything free per group), **metric** (equal
      loadings: the items relate to the dimension in the same way), **scalar** (and equal
      intercepts: equal dimension levels give equal item answers — what comparing means
      needs), **strict** (and equal residual variances);
    - identification by the first group: factor variances 1 and means 0 there, free in the
      other groups once loadings (variances) or intercepts (means) are equal — the same fit
      as lavaan's marker-item default;
    - fit: ``chisq``, ``df``, ``p_value``; ``cfi`` and ``tli`` against the independence
      model per group; ``rmsea = √max(χ²/(N·df) − 1/N, 0)·√G`` with its 90 % interval
      (``rmsea_low``, ``rmsea_high``, from the non-central χ²); ``srmr``: Bentler's, with
      the mean residuals, averaged over the groups with weights ``n_g/N``; ``aic``, ``bic``.
    - each step against the last accepted one: ``delta_chisq``, ``delta_df``, ``delta_p``
      (the χ² difference test), ``delta_cfi``, ``delta_rmsea``. A step is accepted when
      ``delta_cfi ≥ −max_cfi_drop`` (Cheung & Rensvold 2002) and, when
      ``max_rmsea_rise`` is given, ``delta_rmsea ≤ max_rmsea_rise`` (Chen 2007; lavaan's
      multi-group RMSEA carries ``√G``, so its rise grows with the number of groups); the
      χ² test is shown but not used, as it rejects trivial differences with thousands of
      respondents. The configural model itself must reach ``min_configural_cfi``.
    - **partial invariance**: a step that is not accepted is searched item by item: the item
      whose own parameter per group lowers χ² most is freed, then the next, until the step
      is accepted or each dimension has only two constrained items left (Byrne, Shavelson &
      Muthén 1989). ``freed`` names the items, ``outcome`` says ``"partial"``.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
    instrument : Instrument, str or path
    group : str or sequence of str, optional
        The column(s) whose groups are compared (``"forvaltning"``, ``"kon"``).
    waves : str or sequence of str, optional
        The column holding the wave (``"year"``) of answers from several years stacked
        with ``pl.concat(..., how="diagonal")``. With both ``group`` and ``waves`` the two
        analyses are returned one after the other (column ``across``).
    model : {"dimensions", "instrument"}
        ``"dimensions"``: one one-factor model per dimension, a verdict per dimension
        (each needs three items). ``"instrument"``: one model of the correlated
        dimensions, a verdict for the instrument.
    max_cfi_drop : float
        How much CFI a constrained step may lose and still be accepted.
    max_rmsea_rise : float, optional
        How much RMSEA it may gain (not checked by default).
    min_configural_cfi : float
        The configural model must reach this CFI (default 0.90): otherwise the items do not
        form the same structure in every group, the later steps are not tested and the
        verdict says so.
    min_group : int, optional
        The minimum group size of the publication layer (default: the instrument's): a
        group it blanks is left out of the models.
    min_respondents : int, optional
        Complete respondents (answering every item of the model) a group needs to enter it;
        default 10 per item, never fewer than ``min_group`` nor than items + 1. A group's
        own covariance structure from fewer answers is mostly noise.
    lang : {"sv", "en"}, optional
        Language of ``verdict`` (default: the instrument's).

    Returns
    -------
    polars.DataFrame
        One row per dimension and model: ``across``, ``dimension``, ``step``
        (``configural``, ``metric``, ``scalar``, ``strict``), ``outcome`` (``holds``;
        ``fails`` for a step's fully constrained model that is rejected, followed by the
        model the search ended with: ``partial`` when accepted, ``fails`` again when not;
        ``not tested`` after a failed step), ``groups`` and ``n`` in the model, the fit and
        difference columns above (each row's model against the last accepted one),
        ``freed`` (the items of that row's model with their own parameter per group at
        this step), then per dimension:
        ``level`` (the highest step accepted, e.g. ``"partial scalar"``), ``comparable``
        (scalar invariance without freed items: the dimension's means and index compare
        across the groups), ``verdict`` (a sentence for people naming the items that work
        differently and the group where they differ most), ``estimator`` (``"ML"``) and
        ``note`` (groups left out and why; a dimension that could not be tested).

    Raises
    ------
    EstimationError
        No dimension could be tested (fewer than two groups may enter, too few items), or
        a bad ``max_cfi_drop`` / ``max_rmsea_rise``.
    ArgumentError
        Neither ``group`` nor ``waves`` given, or an unknown ``model`` or ``lang``.

    Notes
    -----
    Privacy: the groups enter through the publication layer; a group it blanks is left out
    of every model, so no output depends on its answers. A group with too few complete
    respondents (``min_respondents``) or linearly dependent answers is left out too, and
    ``note`` says so. A negative residual variance (a Heywood case) is kept, as lavaan
    keeps it, and named in ``note``. Answers are treated as continuous (ML); the ordinal
    (WLSMV) estimator is not implemented yet.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> answers = ly.example_data("staff", year=2025)
    >>> inv = ly.invariance(answers, "epl-staff", group="forvaltning")
    >>> inv.filter(step="scalar").select(
    ...     "dimension", "outcome", "df", pl.col("cfi", "delta_cfi").round(3), "freed").rows()
    [('engagement', 'holds', 57, 0.998, -0.0, None),
     ('participation', 'holds', 57, 0.997, 0.0, None),
     ('learning', 'fails', 34, 0.955, -0.045, None),
     ('learning', 'partial', 30, 1.0, 0.0, 'lar3')]
    >>> verdict = inv.filter(dimension="learning")["verdict"][0]
    >>> for part in verdict.split(" fungerar "):
    ...     print(part)
    delvis jämförbar: ”Det finns tid för reflektion i arbetsgruppen”
    olika (mest i Socialförvaltningen)

    Equal intercepts fail for learning (CFI drops by 0.045); with the intercept of lar3
    free per group the step is accepted: at equal learning, Socialförvaltningen answers
    lar3 lower than the other förvaltningar, so its learning index is not comparable.
    """
    inst = resolve_instrument(instrument)
    if not _by_list(group) and not _by_list(waves):
        raise ArgumentError(
            'name the grouping to compare: group="forvaltning" (a unit column) or '
            'waves="year" (a wave column)'
        )
    publication = Publication(answers, inst)
    options = {
        "model": model,
        "max_cfi_drop": max_cfi_drop,
        "max_rmsea_rise": max_rmsea_rise,
        "min_configural_cfi": min_configural_cfi,
        "min_group": min_group,
        "min_respondents": min_respondents,
        "lang": lang,
    }
    tables = [
        publication.invariance(_by_list(by), **options)  # type: ignore[arg-type]
        for by in (group, waves)
        if _by_list(by)
    ]
    return pl.concat(tables)
