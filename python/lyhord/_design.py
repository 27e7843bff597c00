"""Sample surveys (citizen surveys): the design, raking to population margins and
design-based estimates (wrappers over Rust)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import polars as pl

from . import _lyhord
from ._api import FrameLike, _collect, resolve_instrument
from ._args import _by_list, _count
from ._lyhord import DEFAULT_SEED, ArgumentError, Instrument
from ._types import (
    Adjust,
    CalibrationMethod,
    Convention,
    LonelyPsu,
    ReplicateMethod,
    ShareInterval,
    Statistic,
)

__all__ = [
    "Design",
    "PreparedDesign",
    "RakeResult",
    "ReplicateResult",
    "adjust_nonresponse",
    "calibrate",
    "design_chisq",
    "design_compare",
    "design_estimate",
    "rake",
    "replicate_weights",
]


@dataclass(frozen=True)
class Design:
    """How a sample was drawn, by the columns that describe it.

    Parameters
    ----------
    weights : str, optional
        Column of sampling (or calibrated) weights; without it every row weighs 1.
    strata : str, optional
        Column of strata (e.g. district when each district was sampled separately).
    psu : str, optional
        Column of primary sampling units (clusters); without it each row is its own.
    fpc : str, optional
        Column with, per row, the population size of its stratum (clusters, or people
        without clusters) or the sampling fraction (≤ 1): the finite-population correction.
    lonely_psu : {"fail", "adjust", "certainty", "remove", "average", "collapse"}
        A stratum with one sampled cluster: refuse (default), count its cluster total's
        deviation from 0 (``"adjust"``, as R, which leaves it uncentred; for means and
        shares the same as centring at the mean of all clusters), count it as sampled with
        certainty (``"certainty"``) or
        leave it out of the variance (``"remove"``; both contribute nothing), or give it
        the average contribution of the other strata (``"average"``: the variance times
        ``H / (H − H₁)``, ``H₁`` of the ``H`` strata lonely) — R ``survey.lonely.psu``; or
        merge it with the next stratum in the order of the stratum labels (``"collapse"``,
        collapsed strata, Wolter 2007 §2.5; the last with the one before), the merged
        stratum's FPC from its clusters over its population.
    calibrated_from : str or None
        Set by :func:`rake`: the weights before calibration.
    calibrated_on : tuple of tuple of str
        Set by :func:`rake` and :func:`calibrate`: the margins the weights were calibrated
        to. Variances then use the residuals from a regression on them (design-weighted),
        times the calibrated weights, so what the margins explain no longer counts as
        sampling error.
    calibrated_numeric : tuple of str
        Set by :func:`calibrate`: the numeric columns the weights were calibrated to (in the
        same regression).
    replicates : tuple of str
        Replicate weight columns (full weights, as R ``svrepdesign(combined.weights =
        TRUE)``): set by :func:`replicate_weights`, or name the columns of a file that came
        with them. Variances then come from the replicates instead of linearisation:
        ``v = scale · Σ_r rscale_r (θ̂_r − θ̄)²`` (R ``svrVar``).
    replicate_method : {"jk1", "jkn", "bootstrap", "brr", "fay", "other"}, optional
        How the replicates were made; fixes the default ``replicate_scale`` as R
        ``svrepdesign``: jk1 ``(R−1)/R``, bootstrap ``1/(R−1)``, brr ``1/R``, fay
        ``1/(R(1−ρ)²)``; jkn needs ``replicate_rscales``, other ``replicate_scale``.
    replicate_scale : float, optional
        The overall scale (default: the method's).
    replicate_rscales : tuple of float, optional
        One factor per replicate (default 1 each); jkn: ``(1 − f_h)(n_h − 1)/n_h`` of the
        replicate's stratum.
    replicate_mse : bool
        Centre the replicates at the full-sample estimate instead of their mean (R
        ``mse = TRUE``).
    fay_rho : float, optional
        Fay's ρ of ``"fay"`` replicates (for the default scale).
    replicate_df : float, optional
        Degrees of freedom of replicate intervals (R ``svrepdesign(degf=)``): set by
        :func:`replicate_weights`, or the value a data provider documents; default the rank
        of the replicate weights less one (R ``degf``).

    Examples
    --------
    >>> import lyhord as ly
    >>> ly.Design(weights="design_weight", strata="district", fpc="district_population")
    Design(weights='design_weight', strata='district', psu=None, fpc='district_population', ...)
    """

    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: LonelyPsu = "fail"
    calibrated_from: str | None = None
    calibrated_on: tuple[tuple[str, ...], ...] = field(default=())
    calibrated_numeric: tuple[str, ...] = field(default=())
    replicates: tuple[str, ...] = field(default=())
    replicate_method: ReplicateMethod | None = None
    replicate_scale: float | None = None
    replicate_rscales: tuple[float, ...] | None = None
    replicate_mse: bool = False
    fay_rho: float | None = None
    replicate_df: float | None = None

    def __repr__(self) -> str:
        extra = f", calibrated_on={self.calibrated_on!r}" if self.calibrated_on else ", ..."
        if self.replicates:
            extra += f", replicates={len(self.replicates)} ({self.replicate_method})"
        return (
            f"Design(weights={self.weights!r}, strata={self.strata!r}, psu={self.psu!r}, "
            f"fpc={self.fpc!r}{extra})"
        )

    def prepare(self, data: pl.DataFrame) -> PreparedDesign:
        """This design coded once on ``data``, for many estimates on the same rows.

        Checking the weights and coding the strata, clusters, finite-population factors
        and calibration margins is most of the work of one :func:`design_estimate` call
        with a few domains on a large sample. A prepared design does it once, as R's
        ``svydesign`` object or svy's ``Sample`` do; pass it where the design goes
        (:func:`design_estimate`, :func:`design_compare`, :func:`design_chisq`) with the
        same data. Every call checks that the data's design columns are those it was
        prepared on (at once when they are the same columns, value by value otherwise)
        and refuses other rows.

        Parameters
        ----------
        data : polars.DataFrame
            The sample with the design's columns (a LazyFrame is refused: each collect
            makes new rows).

        Returns
        -------
        PreparedDesign

        Examples
        --------
        >>> import lyhord as ly
        >>> sample = ly.example_data("citizens")
        >>> prepared = ly.Design("design_weight", "district").prepare(sample)
        >>> by_district = ly.design_estimate(sample, prepared, "del_paverka", by="district")
        >>> by_age = ly.design_estimate(sample, prepared, "del_paverka", by="age_group")
        >>> by_district["estimate"][0] == by_age["estimate"][0]
        True
        """
        if not isinstance(data, pl.DataFrame):
            raise ArgumentError(
                f"data: Design.prepare needs a polars DataFrame, not {type(data).__name__}; "
                "collect a LazyFrame first (each collect makes new rows)"
            )
        handle = _lyhord._prepare_design(data, **_design_keywords(self))
        return PreparedDesign(self, handle.height, handle)


@dataclass(frozen=True)
class PreparedDesign:
    """A :class:`Design` coded on its data by :meth:`Design.prepare`.

    Pass it as ``design`` to :func:`design_estimate`, :func:`design_compare` or
    :func:`design_chisq` together with the data it was prepared on; functions that make
    new weights (:func:`rake`, :func:`calibrate`, :func:`replicate_weights`,
    :func:`adjust_nonresponse`) use its ``design``.

    Attributes
    ----------
    design : Design
        The design that was prepared.
    height : int
        Rows of the data it was prepared on.
    """

    design: Design
    height: int
    _handle: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class RakeResult:
    """Raked or calibrated weights and how they were reached (:func:`rake`,
    :func:`calibrate`).

    Attributes
    ----------
    data : polars.DataFrame
        The input with the new weight column added (the input itself is not changed).
    design : Design
        The design with the raked weights and the calibration recorded; pass it to
        :func:`design_estimate`.
    report : polars.DataFrame
        Per margin and category: ``n`` respondents, ``target``, ``achieved``,
        ``relative_error``.
    iterations, max_error, trimmed, deff, n_eff
        Sweeps used, largest relative margin error, weights at a bound, Kish's design
        effect ``n Σw² / (Σw)²`` and effective sample size ``(Σw)² / Σw²``.
    """

    data: pl.DataFrame
    design: Design
    report: pl.DataFrame
    iterations: int
    max_error: float
    trimmed: int
    deff: float
    n_eff: float

    def __repr__(self) -> str:
        w = self.data.get_column(self.design.weights or "")
        low, high = cast(float, w.min()), cast(float, w.max())  # positive weights
        numeric = len(self.design.calibrated_numeric)
        totals = f" and {numeric} numeric totals" if numeric else ""
        if not (self.design.calibrated_on or numeric):
            return (
                f"RakeResult: {self.data.height} respondents' weights adjusted for "
                f"nonresponse in {self.report.height} classes; Kish deff {self.deff:.2f}, "
                f"n_eff {self.n_eff:.0f}"
            )
        return (
            f"RakeResult: {self.data.height} rows weighted to "
            f"{len(self.design.calibrated_on)} margins{totals} in {self.iterations} iterations, "
            f"max relative margin error {self.max_error:.1e}\n"
            f"  weights {low:.3g}–{high:.3g} (ratio {high / low:.1f}), "
            f"{self.trimmed} at a bound; Kish deff {self.deff:.2f}, n_eff {self.n_eff:.0f}"
        )


@dataclass(frozen=True)
class ReplicateResult:
    """Replicate weights made for a design (:func:`replicate_weights`).

    Attributes
    ----------
    data : polars.DataFrame
        The input with the replicate weight columns added (the input is not changed).
    design : Design
        The design with the replicates, their method, scale and rscales recorded; pass it to
        :func:`design_estimate`, :func:`rake` or :func:`calibrate` (which redo the weighting
        on every replicate).
    """

    data: pl.DataFrame
    design: Design

    def __repr__(self) -> str:
        d = self.design
        return (
            f"ReplicateResult: {len(d.replicates)} {d.replicate_method} replicates of "
            f"{self.data.height} rows, scale {d.replicate_scale:.4g}"
        )


def _new_weight_name(name: str, design: Design) -> None:
    """The new weight column must not replace the weights it starts from (the design's,
    which the variance of calibrated estimates needs)."""
    if design.weights is not None and name == design.weights:
        raise ArgumentError(
            f"name={name!r} is the design's weight column, which the new weights start from; "
            "give the new weights another name (e.g. name='calibrated_weight')"
        )


def _margin_table(
    key: str | tuple[str, ...], table: pl.DataFrame | Mapping[object, float]
) -> tuple[list[str], pl.DataFrame, str]:
    columns = [key] if isinstance(key, str) else list(key)
    if isinstance(table, Mapping):
        if len(columns) != 1:
            raise ArgumentError(f"margin {key!r}: give a DataFrame for a margin of several columns")
        table = pl.DataFrame(
            {columns[0]: [str(k) for k in table], "_count": [float(v) for v in table.values()]}
        )
    counts = [c for c in table.columns if c not in columns]
    if len(counts) != 1:
        raise ArgumentError(
            f"margin {key!r}: the population table needs the columns {columns} and one count "
            f"column; it has {table.columns}"
        )
    return columns, table, counts[0]


def rake(
    data: FrameLike,
    margins: Mapping[str | tuple[str, ...], pl.DataFrame | Mapping[object, float]],
    *,
    design: Design | PreparedDesign | None = None,
    cap: float | None = None,
    floor: float | None = None,
    tolerance: float = 1e-8,
    max_iterations: int = 200,
    name: str = "weight",
) -> RakeResult:
    """Rake weights to population margins (iterative proportional fitting).

    Each sweep scales the weights so one margin after the other matches the population;
    sweeps repeat until every margin is met to ``tolerance`` (relative). Post-stratification
    is raking to one margin of joint cells, e.g. ``{("age_group", "sex"): table}``. With
    ``cap``/``floor`` the weights are kept within those multiples of the mean weight:
    weights beyond a bound are set to it and what was cut is spread over the others, then
    raking resumes, until margins and bounds hold together.

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        One row per respondent with the margin columns.
    margins : mapping
        Margin columns (a name, or a tuple for joint cells) → population table: a
        DataFrame with those columns and one count column, or for one column a mapping
        category → count. All margins must sum to the same population.
    design : Design, optional
        The sampling design; its ``weights`` are the starting (design) weights, and its
        strata, clusters and FPC carry over to the returned design.
    cap, floor : float, optional
        Upper and lower bound of a weight as a multiple of the mean weight (e.g. 5, 0.2).
    tolerance : float
        Largest accepted relative difference between achieved and population counts.
    max_iterations : int
        Most sweeps; not converging raises :class:`lyhord.EstimationError` with the error
        reached.
    name : str
        Name of the new weight column.

    Returns
    -------
    RakeResult

    Raises
    ------
    DataError
        A category in the data that the population table lacks (names the row), a category
        with population but no respondents, margins with different totals, bad weights.

    Examples
    --------
    >>> import lyhord as ly
    >>> sample = ly.example_data("citizens")
    >>> pop = ly.example_data("citizen_population")
    >>> total = pl.col("population").sum()
    >>> margins = {
    ...     ("age_group", "sex"): pop.group_by("age_group", "sex").agg(total),
    ...     "district": pop.group_by("district").agg(total),
    ... }
    >>> raked = ly.rake(sample, margins, design=ly.Design("design_weight", "district"))
    >>> raked.max_error < 1e-8
    True
    >>> round(raked.data["weight"].sum())
    48000
    """
    df = _collect(data, "data")
    design = _plain_design(design or Design())
    _new_weight_name(name, design)
    tables = [_margin_table(key, table) for key, table in margins.items()]

    def run(base: str | None, new: str) -> Any:
        return _lyhord._rake(
            df,
            tables,
            base=base,
            tolerance=tolerance,
            max_iterations=max_iterations,
            floor=floor,
            cap=cap,
            name=new,
        )

    outcome = run(design.weights, name)
    weights, report = outcome.weights, outcome.report
    out = df.with_columns(weights.get_column(name))
    raked = replace(
        design,
        weights=name,
        calibrated_from=design.weights,
        calibrated_on=tuple(tuple(cols) for cols, _, _ in tables),
    )

    out, raked = _reweight_replicates(out, raked, name, run)
    return RakeResult(
        out,
        raked,
        report,
        outcome.iterations,
        outcome.max_error,
        outcome.trimmed,
        outcome.deff,
        outcome.n_eff,
    )


def design_estimate(
    data: FrameLike,
    design: Design | PreparedDesign,
    variables: Sequence[str] | str | None = None,
    *,
    instrument: Instrument | str | None = None,
    by: Sequence[str] | str | None = None,
    statistic: Statistic = "mean",
    confidence: float = 0.95,
    min_group: int | None = None,
    ci_method: ShareInterval | None = None,
    convention: Convention = "survey",
    quantile: float = 0.5,
) -> pl.DataFrame:
    """Design-based estimates for the whole sample and each domain of ``by``.

    Means (and proportions) are ratio estimators ``Σ w y / Σ w``; totals ``Σ w y``. Standard
    errors are Taylor-linearised: the influence values ``w (y − ȳ) / Σ w`` are summed per
    cluster and their spread within strata gives the variance, scaled by
    ``(1 − f_h) n_h / (n_h − 1)`` (Lumley 2010, ch. 2–3; R ``svymean``/``svytotal``). A
    domain is estimated with the whole design (rows outside it contribute 0), as R's
    ``svyby``/``subset`` do. With calibrated weights (from :func:`rake`) the influence
    values are replaced by their residuals from a design-weighted regression on the
    margins, times the calibrated weights. Intervals use t with the
    degrees of freedom of their domain: clusters minus strata with a row in it (for the
    whole sample clusters − strata; R ``degf(subset(design, domain))``, as ``svyciprop``
    uses them). That is R's convention (``convention="survey"``, as in :func:`estimate`
    and :func:`compare_waves`); ``convention="people_survey"`` scales each stratum by
    ``(N_h − n_h)/(N_h − 1)`` instead (``N_h = n_h / f_h``), and for proportions (and
    quantiles) drops the ``n_h/(n_h − 1)`` and uses normal quantiles (``df`` is then
    null): for a share of a simple random sample the People Survey's margin
    ``z · √(p(1 − p)/n · (N − n)/(N − 1))``; means and totals keep t.

    Intervals of shares (``statistic="proportion"``) stay within [0, 1]: by default on the
    logit scale, ``expit(logit p ± t·se / (p(1 − p)))`` (R ``svyciprop``'s default), or as
    chosen by ``ci_method`` — ``"beta"`` (Korn–Graubard: Clopper–Pearson quantiles
    ``B(α/2; n* p, n*(1 − p) + 1)`` and ``B(1 − α/2; n* p + 1, n*(1 − p))`` at the effective
    sample size ``n* = p(1 − p)/se² · (t_{n−1} / t_df)²``, ``n`` the rows with an answer),
    ``"asin"`` (``sin²(asin √p ± t·se / (2√(p(1 − p))))``, the angle kept within [0, π/2]
    where R squares the sine of a negative one), ``"xlogit"`` (the logit interval
    by the delta method; R's ``"logit"`` fits it as a quasibinomial model and agrees to its
    fitting tolerance), ``"wilson"`` (Wilson's score interval at ``n* = p(1 − p)/se²`` with
    t_df for z; Dean & Pagano 2015) or ``"mean"`` (``p ± t·se``, which can leave [0, 1]). A
    share of exactly 0 or 1 has no interval on the logit, arcsine or Wilson scale (R gives
    NaN): its limits are null and ``note`` says so; Korn–Graubard then uses ``n`` as the
    effective sample size (Korn & Graubard 1998).

    ``flag`` says, as the US National Center for Health Statistics does, whether a shown
    estimate is fit to present (null), or should be suppressed (``…x``), footnoted or
    reviewed; several codes are space-separated. Shares follow the NCHS standard for
    proportions (Parker et al. 2017, Vital Health Stat 2(175)) on the 95 % Korn–Graubard
    interval and the effective sample size ``n* = min(n, p(1 − p)/se²)``: ``Px`` — ``n* <
    30``, width ≥ 0.30, or width in (0.05, 0.30) and over 130 % of ``p``; ``Pc`` — the
    complement would be suppressed (width over 130 % of ``1 − p``); ``Pdf`` — fewer than 8
    degrees of freedom; ``P0`` — a share of 0 or 1. Totals follow the standard for counts
    (Parker et al. 2023, Vital Health Stat 2(200)): ``Cx`` — fewer than 10 rows, or the
    95 % log-t interval ``x·exp(±t·se/x)`` wider than 160 % of ``x``; ``Cdf`` — fewer than 8
    degrees of freedom. Means, for which NCHS has no standard, get its older 30/30 rule:
    ``Mx`` — fewer than 30 rows; ``Mr`` — relative standard error 30 % or more; ``Mdf`` —
    fewer than 8 degrees of freedom. The flags are computed from the row's own published
    figures, so they reveal nothing more.

    With replicate weights in the design (:func:`replicate_weights`, or columns from a
    file) every estimate is recomputed with each replicate's weights and ``se`` is
    ``√(scale · Σ_r rscale_r (θ̂_r − θ̄)²)`` (R ``svrVar``); ``df`` is the rank of the
    replicate weights less one (R ``degf``) for every domain; a share's logit interval uses
    the spread of the replicates' logits (as ``svyglm`` does), a quantile's Woodruff
    interval the replicate SE of the share below it. A replicate with no weight in a domain
    is left out of that variance and counted in ``note`` (R drops it with a warning).
    :func:`design_compare` takes each replicate's difference (as R ``svycontrast`` on
    ``svyby(covmat = TRUE)``); :func:`design_chisq` uses linearisation only and refuses a
    replicate design.

    Domains go through the publication layer's engine (see :class:`Publication`) on the
    counts this table publishes: a domain with fewer than ``min_group`` respondents, or a
    variable with fewer than ``min_group`` answers in a domain, is blanked, and other
    domains with it until no blanked count can be narrowed to within ``min_group`` from the
    whole sample and the other domains. Blanks are bare (no reason in ``note``).

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        One row per respondent: the design columns, ``by`` and the variables.
    design : Design or PreparedDesign
        The sampling design (e.g. ``rake(...).design``), or the design prepared on
        ``data`` (:meth:`Design.prepare`) for repeated calls on the same rows.
    variables : str or list of str, optional
        Numeric columns to estimate; a null is no answer (the row is left out of that
        variable only). Default with ``instrument``: its dimensions and index, scored.
    instrument : Instrument or str, optional
        Score ``data`` (raw answers) with this instrument first.
    by : str or list of str, optional
        Domain columns.
    statistic : {"mean", "total", "proportion", "quantile"}
        ``"proportion"`` needs 0/1 (or boolean) variables and gives shares (0–1);
        ``"quantile"`` the ``quantile`` (below) of each variable.
    confidence : float
        Interval coverage.
    min_group : int, optional
        Smallest published domain; default the instrument's, else 5.
    ci_method : {"logit", "xlogit", "beta", "asin", "wilson", "mean"}, optional
        Interval of shares (default ``"logit"``; ``"mean"`` under
        ``convention="people_survey"``); means and totals have the t interval only
        (``"mean"``), any other value for them is an :class:`ArgumentError`.
    convention : {"survey", "people_survey"}
        Finite-population factor and critical values (see above).
    quantile : float, default 0.5
        With ``statistic="quantile"``: which quantile (0.5 the median, 0.25 the lower
        quartile). The estimate is the smallest answer whose cumulative weight reaches
        ``quantile`` of the domain's weight (R ``qrule="math"``); its interval is
        Woodruff's (1952): the share at or below it, ``F̂``, gets the design-based interval
        ``F̂ ± t·se(F̂)`` (as a proportion of the domain), whose ends are turned back into
        answers by the same rule; ``se`` is the interval's width over ``2t`` (R
        ``svyquantile(interval.type="mean")``). An end whose share falls outside [0, 1] is
        null (``note`` says so); ``deff`` is null for quantiles.

    Returns
    -------
    polars.DataFrame
        ``level`` (0 = all, 1 = domain), ``by``, ``variable``, ``statistic``, ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``n``, ``n_eff`` (Kish's, of the rows with an
        answer), ``deff`` (the variance over that of a simple random sample of the same
        size drawn without replacement from the estimated population, ``Σ w``: R
        ``deff=TRUE``) and ``deff_replace`` (with replacement: R ``deff="replace"``), both
        from R ``svyvar``'s ``Σ w (y − ȳ)² / Σ w · n/(n − 1)``; ``df`` (the domain's degrees
        of freedom), ``flag`` (presentation flags, below), ``suppressed``, ``note``. Per
        variable the whole sample first, then the domains sorted by ``by``; the ``by``
        columns keep their dtype (an integer district code stays an integer and sorts as a
        number) and a null key is a domain of its own, sorted last (the whole sample's keys
        are null too: ``level`` tells them apart).

    Examples
    --------
    >>> import lyhord as ly
    >>> api = pl.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0]})
    >>> ly.design_estimate(api, ly.Design(weights="w"), "y", min_group=1).select(
    ...     "estimate", "se"
    ... ).row(0)
    (2.8333333333333335, 0.5966297664291486)
    """
    df, options = _design_request(
        data, design, variables, instrument, by, statistic, confidence, min_group
    )
    return _lyhord._design_estimate(
        df, **options, ci_method=ci_method, convention=convention, quantile=float(quantile)
    )


def calibrate(
    data: FrameLike,
    margins: Mapping[str | tuple[str, ...], pl.DataFrame | Mapping[object, float]] | None = None,
    totals: Mapping[str, float] | None = None,
    *,
    design: Design | PreparedDesign | None = None,
    method: CalibrationMethod = "linear",
    bounds: tuple[float, float] | None = None,
    population_size: float | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
    name: str = "weight",
) -> RakeResult:
    """Calibrate weights to population margins and numeric totals (GREG, raking or logit).

    The new weights are ``w_i = d_i g(x_iᵀλ)``, ``d`` the design weights and ``x_i`` the
    row's auxiliary variables (an indicator per category of each margin, the numeric
    columns of ``totals``), with ``λ`` solved by Newton's method so that ``Σ w x`` meets the
    population totals (Deville & Särndal 1992; R ``survey::calibrate``):

    - ``"linear"``: ``g(u) = 1 + u`` — the GREG estimator's weights, reached in one step;
      with ``bounds=(L, U)`` ``g`` is truncated to ``[L, U]`` and the step repeated (R
      ``calfun="linear", bounds=``);
    - ``"raking"``: ``g(u) = exp(u)`` (as :func:`rake` for margins, and for numeric totals);
    - ``"logit"``: ``g(u) = (L(U−1) + U(1−L)e^{Au}) / (U − 1 + (1−L)e^{Au})``,
      ``A = (U−L)/((1−L)(U−1))``, which keeps every ``g`` inside ``bounds`` (needed).

    Standard errors from the returned design account for the calibration as after
    :func:`rake`: residuals from the design-weighted regression on the same variables.

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        One row per respondent with the margin and numeric columns.
    margins : mapping, optional
        As in :func:`rake`: margin columns → population table (or category → count).
    totals : mapping, optional
        Numeric column → its population total (e.g. ``{"api99": 3914069}``).
    design : Design, optional
        The sampling design; its ``weights`` are the starting weights.
    method : {"linear", "raking", "logit"}
        The distance function.
    bounds : (float, float), optional
        Bounds ``(L, U)`` of ``g = w / d`` (``L < 1 < U``); required by ``"logit"``.
    population_size : float, optional
        The number the weights add up to, needed when there are numeric totals only (with
        margins it is their total).
    tolerance : float
        Largest accepted relative difference between achieved and population totals.
    max_iterations : int
        Most Newton steps; not converging raises :class:`lyhord.EstimationError`.
    name : str
        Name of the new weight column.

    Returns
    -------
    RakeResult
        The data with the new weights, the design calibrated on the margins and numeric
        columns, and the report: per margin category and numeric total (``category``
        ``"(total)"``) its ``target``, ``achieved`` and ``relative_error``; ``trimmed``
        counts weights at a bound.

    Examples
    --------
    >>> import lyhord as ly
    >>> sample = ly.example_data("citizens")
    >>> pop = ly.example_data("citizen_population")
    >>> district = pop.group_by("district").agg(pl.col("population").sum())
    >>> greg = ly.calibrate(sample, {"district": district},
    ...                     design=ly.Design("design_weight", "district"))
    >>> round(greg.data["weight"].sum()), greg.iterations
    (48000, 1)
    """
    df = _collect(data, "data")
    design = _plain_design(design or Design())
    _new_weight_name(name, design)
    tables = [_margin_table(key, table) for key, table in (margins or {}).items()]
    numeric = [(str(column), float(total)) for column, total in (totals or {}).items()]

    def run(base: str | None, new: str) -> Any:
        return _lyhord._calibrate(
            df,
            tables,
            numeric,
            base=base,
            method=method,
            bounds=None if bounds is None else (float(bounds[0]), float(bounds[1])),
            population_size=None if population_size is None else float(population_size),
            tolerance=tolerance,
            max_iterations=max_iterations,
            name=new,
        )

    outcome = run(design.weights, name)
    out = df.with_columns(outcome.weights.get_column(name))
    calibrated = replace(
        design,
        weights=name,
        calibrated_from=design.weights,
        calibrated_on=tuple(tuple(cols) for cols, _, _ in tables),
        calibrated_numeric=tuple(column for column, _ in numeric),
    )

    out, calibrated = _reweight_replicates(out, calibrated, name, run)
    return RakeResult(
        out,
        calibrated,
        outcome.report,
        outcome.iterations,
        outcome.max_error,
        outcome.trimmed,
        outcome.deff,
        outcome.n_eff,
    )


def replicate_weights(
    data: FrameLike,
    design: Design | PreparedDesign,
    *,
    method: ReplicateMethod = "jkn",
    replicates: int = 200,
    fay_rho: float = 0.5,
    seed: int = DEFAULT_SEED,
    prefix: str = "repw_",
) -> ReplicateResult:
    """Replicate weights for a design: jackknife, bootstrap, BRR or Fay (R
    ``as.svrepdesign``).

    Each replicate reweights the clusters (PSUs): ``w_r = w · a_r(psu)``. Standard errors
    from the returned design recompute every estimate with each replicate's weights and
    take ``v = scale · Σ_r rscale_r (θ̂_r − θ̄)²`` (R ``svrVar``; Wolter 2007, ch. 3–5):

    - ``"jk1"`` (no strata): drop one cluster, the others ``× n/(n−1)``;
      ``scale = (1 − f)(n − 1)/n``, one replicate per cluster.
    - ``"jkn"``: the same within each stratum, ``rscale_h = (1 − f_h)(n_h − 1)/n_h``; lone
      clusters follow the design's ``lonely_psu`` as R does.
    - ``"bootstrap"``: in each stratum draw ``n_h − 1`` clusters with replacement, factor
      ``n_h/(n_h − 1)`` × times drawn (Rao & Wu 1988; R ``type = "subbootstrap"``),
      ``scale = 1/(R − 1)``; ``replicates`` draws from ``seed``.
    - ``"brr"`` / ``"fay"`` (two clusters per stratum): half-samples from a Sylvester
      Hadamard matrix of the next power of two above the number of strata, factors 2 and 0
      (Fay: ``2 − ρ`` and ``ρ``), ``scale = 1/R`` (Fay ``1/(R(1 − ρ)²)``). R picks the
      smallest Hadamard matrix it knows, so its replicate count can differ; totals get the
      same variance from any full orthogonal balance.

    The bootstrap and BRR carry no finite-population correction and refuse a design with
    one; the jackknife applies it. Intervals from a replicate design use t with the rank of
    the replicate weights less one as degrees of freedom (R ``degf``).

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        The sample, with the design's columns.
    design : Design
        Weights, strata, clusters and FPC to replicate.
    method : {"jk1", "jkn", "bootstrap", "brr", "fay"}
        How to make the replicates.
    replicates : int
        Number of bootstrap replicates (the jackknife and BRR fix their own).
    fay_rho : float
        Fay's ρ, between 0 and 1.
    seed : int
        Seed of the bootstrap draws.
    prefix : str
        Names of the new columns: ``{prefix}1 … {prefix}R``.

    Returns
    -------
    ReplicateResult

    Raises
    ------
    EstimationError
        A method that does not fit the design (jk1 with strata, BRR without two clusters
        per stratum, bootstrap or BRR with an FPC, a lone cluster under
        ``lonely_psu="fail"``).

    Examples
    --------
    Bootstrap replicates of the example citizen survey (stratified by district); the
    replicate SE of the mean of ``del_paverka`` is close to the linearised one:

    >>> import lyhord as ly
    >>> sample = ly.example_data("citizens")
    >>> design = ly.Design("design_weight", "district")
    >>> boot = ly.replicate_weights(sample, design, method="bootstrap", replicates=500)
    >>> len(boot.design.replicates), boot.design.replicate_scale == 1 / 499
    (500, True)
    >>> taylor = ly.design_estimate(sample, design, "del_paverka")["se"][0]
    >>> replicate = ly.design_estimate(boot.data, boot.design, "del_paverka")["se"][0]
    >>> abs(replicate / taylor - 1) < 0.1
    True
    """
    df = _collect(data, "data")
    design = _plain_design(design)
    clash = [c for c in df.columns if c.startswith(prefix)]
    if clash:
        raise ArgumentError(
            f"prefix={prefix!r}: the data already has columns {clash[:3]} starting with it; "
            "give another prefix"
        )
    columns, scale, rscales, degrees = _lyhord._replicate_weights(
        df,
        **_design_keywords(design),
        method=method,
        n_replicates=_count(replicates, "replicates", 2),
        fay_rho=float(fay_rho),
        seed=_count(seed, "seed", 0),
        prefix=prefix,
    )
    out = df.with_columns(columns)
    replicated = replace(
        design,
        replicates=tuple(columns.columns),
        replicate_method=method,
        replicate_scale=scale,
        replicate_rscales=tuple(rscales),
        replicate_mse=False,
        fay_rho=fay_rho if method == "fay" else None,
        replicate_df=degrees,
    )
    return ReplicateResult(out, replicated)


def _reweight_replicates(
    df: pl.DataFrame, design: Design, name: str, reweight: Any
) -> tuple[pl.DataFrame, Design]:
    """The weighting redone on every replicate of ``design`` (as R ``calibrate`` on a
    replicate design): ``reweight(base_column, new_name)`` is the binding call whose
    outcome's ``weights`` hold the new column; the new replicates are
    ``{name}_{replicate}``."""
    if not design.replicates:
        return df, design
    new_names = [f"{name}_{column}" for column in design.replicates]
    clash = [c for c in new_names if c in df.columns]
    if clash:
        raise ArgumentError(
            f"name={name!r}: the replicate weights would be written to {clash[:2]}, which "
            "the data already has; give the new weights another name"
        )
    pairs = zip(design.replicates, new_names, strict=True)
    weights = [reweight(column, new).weights.get_column(new) for column, new in pairs]
    # The rank of the reweighted replicates is taken again (as R's degf on the new design).
    new = replace(design, replicates=tuple(new_names), replicate_df=None)
    return df.with_columns(weights), new


def adjust_nonresponse(
    data: FrameLike,
    *,
    responded: str,
    classes: Sequence[str] | str,
    design: Design | PreparedDesign | None = None,
    name: str = "weight",
) -> RakeResult:
    """Adjust design weights for nonresponse within weighting classes.

    ``data`` holds the whole sample, respondents and nonrespondents. Within each class
    (every combination of ``classes``, e.g. district × age group) the respondents' design
    weights are scaled up to carry the whole class:
    ``w_i = d_i · Σ_class d / Σ_class, responded d`` (Kalton & Flores-Cervantes 2003). The
    result holds the respondents only, with the adjusted weights; raking or calibration to
    population margins can follow (:func:`rake`, :func:`calibrate`). Standard errors from
    the returned design treat the adjusted weights as design weights. With replicate
    weights in the design the adjustment is redone on every replicate (new columns
    ``{name}_{replicate}``); respondents of a class whose clusters a replicate leaves out
    stay at 0 there.

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        The whole sample: one row per sampled person, with the class columns and
        ``responded``.
    responded : str
        Column saying whether the person responded (true/false or 1/0, no nulls).
    classes : str or list of str
        Weighting-class columns. A class with sampled people but no respondent is an error
        naming it (merge it with a neighbour).
    design : Design, optional
        The sampling design; its ``weights`` are the design weights.
    name : str
        Name of the new weight column.

    Returns
    -------
    RakeResult
        ``data``: the respondents with the new weights (nonrespondents are left out, and
        counted in the report); ``report``: per class ``n_sampled``, ``n_responded``,
        ``response_rate`` (weighted) and ``factor``.

    Examples
    --------
    >>> import lyhord as ly
    >>> sampled = pl.DataFrame({"district": ["A", "A", "A", "B", "B"],
    ...                         "d": [10.0, 10.0, 20.0, 5.0, 5.0],
    ...                         "answered": [True, False, True, True, True]})
    >>> adjusted = ly.adjust_nonresponse(sampled, responded="answered", classes="district",
    ...                                  design=ly.Design(weights="d"))
    >>> [round(w, 4) for w in adjusted.data["weight"]]
    [13.3333, 26.6667, 5.0, 5.0]
    >>> adjusted.report.select("district", "n_sampled", "n_responded", "factor").rows()
    [('A', 3, 2, 1.3333333333333333), ('B', 2, 2, 1.0)]
    """
    df = _collect(data, "data")
    design = _plain_design(design or Design())
    _new_weight_name(name, design)
    class_list = _by_list(classes)

    def run(base: str | None, new: str) -> Any:
        return _lyhord._adjust_nonresponse(df, responded, class_list, base, new)

    outcome = run(design.weights, name)
    respondents = df.filter(pl.col(responded).cast(pl.Boolean))
    out = respondents.with_columns(outcome.weights.get_column(name))
    # The adjusted weights are the new design weights: a calibration of the input design
    # is not theirs.
    adjusted = replace(
        design, weights=name, calibrated_from=None, calibrated_on=(), calibrated_numeric=()
    )

    out, adjusted = _reweight_replicates(out, adjusted, name, run)
    return RakeResult(
        out,
        adjusted,
        outcome.report,
        0,
        0.0,
        0,
        outcome.deff,
        outcome.n_eff,
    )


def _design_request(
    data: FrameLike,
    design: Design | PreparedDesign,
    variables: Sequence[str] | str | None,
    instrument: Instrument | str | None,
    by: Sequence[str] | str | None,
    statistic: Statistic,
    confidence: float,
    min_group: int | None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The data (scored when an instrument is given) and the design keywords the binding
    takes, shared by :func:`design_estimate` and :func:`design_compare`."""
    df = _collect(data, "data")
    inst = resolve_instrument(instrument) if instrument is not None else None
    if inst is not None:
        from ._api import score

        df = score(df, inst)
        if variables is None:
            variables = [*inst.dimensions, inst.index_id]
    if variables is None:
        raise ArgumentError("give `variables` (columns to estimate) or an `instrument`")
    if isinstance(variables, str):
        variables = [variables]
    if statistic == "proportion":
        df = df.with_columns(pl.col(v).cast(pl.Float64) for v in variables)
    if min_group is None:
        min_group = inst.min_group if inst is not None else 5
    return df, {
        **_design_keywords(design),
        "variables": list(variables),
        "by": _by_list(by),
        "statistic": statistic,
        "confidence": float(confidence),
        "min_group": int(min_group),
    }


def _plain_design(design: Design | PreparedDesign | None, keyword: str = "design") -> Design:
    """The :class:`Design` of a design argument (a prepared one's own), checked."""
    if isinstance(design, PreparedDesign):
        return design.design
    if not isinstance(design, Design):
        raise ArgumentError(
            f"{keyword}: expected a lyhord.Design (or a prepared one), not "
            f"{type(design).__name__}; e.g. ly.Design(weights='w', strata='district')"
        )
    return design


def _design_keywords(design: Design | PreparedDesign) -> dict[str, Any]:
    """The design as the binding takes it (with the margins of a calibrated design, and
    the coded design when it was prepared)."""
    prepared = design._handle if isinstance(design, PreparedDesign) else None
    design = _plain_design(design)
    calibrated = bool(design.calibrated_on or design.calibrated_numeric)
    calibration = (
        (
            design.calibrated_from,
            [list(c) for c in design.calibrated_on],
            list(design.calibrated_numeric),
        )
        if calibrated
        else None
    )
    return {
        "weights": design.weights,
        "strata": design.strata,
        "psu": design.psu,
        "fpc": design.fpc,
        "lonely_psu": design.lonely_psu,
        "calibration": calibration,
        "replicates": _replicate_keywords(design),
        "prepared": prepared,
    }


def _replicate_keywords(
    design: Design,
) -> (
    tuple[list[str], str, float | None, list[float] | None, bool, float | None, float | None] | None
):
    if not design.replicates:
        if design.replicate_method is not None:
            raise ArgumentError(
                "replicate_method is set but replicates (the replicate weight columns) is empty; "
                "name the columns, e.g. replicates=tuple(f'repw_{r}' for r in range(1, 81))"
            )
        return None
    if design.replicate_method is None:
        raise ArgumentError(
            "replicates are given without replicate_method; say how they were made: "
            "'jk1', 'jkn', 'bootstrap', 'brr', 'fay' or 'other' (with replicate_scale)"
        )
    return (
        list(design.replicates),
        design.replicate_method,
        None if design.replicate_scale is None else float(design.replicate_scale),
        None if design.replicate_rscales is None else [float(r) for r in design.replicate_rscales],
        bool(design.replicate_mse),
        None if design.fay_rho is None else float(design.fay_rho),
        None if design.replicate_df is None else float(design.replicate_df),
    )


def design_chisq(
    data: FrameLike,
    design: Design | PreparedDesign,
    row: str,
    column: str,
    *,
    min_group: int = 5,
) -> pl.DataFrame:
    """Rao–Scott test of independence of two categorical columns under the design (R
    ``svychisq``): is the answer distribution the same in every district, age group, …?

    Pearson's X² of the weighted table (scaled to the ``n`` rows answering both) is divided
    by the mean design effect of the table's interaction contrasts: with cell shares ``p``,
    their linearised covariance ``V`` (strata, clusters, FPC and calibration as in
    :func:`design_estimate`), ``C`` the interaction columns of the saturated model made
    orthogonal to the main effects and ``D = diag(p)``,
    ``Δ = (Cᵀ D⁻¹ C / n)⁻¹ Cᵀ D⁻¹ V D⁻¹ C``. Second order (``f``, R's default):
    ``F = X² / tr Δ`` on ``d₀ = (tr Δ)² / tr Δ²`` and ``d₀ ν`` degrees of freedom, ``ν``
    the design's clusters − strata (Rao & Scott 1984). First order (``chisq``):
    ``X² (r−1)(c−1) / tr Δ`` against χ² on ``(r−1)(c−1)``. R's convention throughout.

    Rows with a null in either column (no answer) are left out and counted in
    ``n_excluded``. The test is blank (bare, ``suppressed``) when the publication layer
    would blank a count of the table — a category or a cell under ``min_group`` — since the
    statistic is a function of the cells.

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        One row per respondent: the design columns and the two categorical columns.
    design : Design or PreparedDesign
        The sampling design (or prepared on ``data``: :meth:`Design.prepare`).
    row, column : str
        The two categorical columns (any dtype; each distinct value is a category).
    min_group : int, default 5
        Smallest publishable count.

    Returns
    -------
    polars.DataFrame
        One row: ``row``, ``column`` (the names), ``n``, ``n_excluded``, ``pearson``, ``f``,
        ``ndf``, ``ddf``, ``p_value`` (of F), ``chisq``, ``df``, ``p_chisq``,
        ``suppressed``, ``note``.

    Examples
    --------
    >>> import lyhord as ly
    >>> sample = ly.example_data("citizens")
    >>> design = ly.Design("design_weight", strata="district", fpc="district_population")
    >>> t = ly.design_chisq(sample, design, "district", "sex")
    >>> t.select("row", "column", "suppressed").row(0)
    ('district', 'sex', False)
    """
    df = _collect(data, "data")
    return _lyhord._design_chisq(
        df, **_design_keywords(design), row=row, column=column, min_group=int(min_group)
    )


def design_compare(
    data: FrameLike,
    design: Design | PreparedDesign,
    variables: Sequence[str] | str | None = None,
    *,
    by: Sequence[str] | str,
    instrument: Instrument | str | None = None,
    statistic: Statistic = "mean",
    reference: object | None = None,
    adjust: Adjust = "holm",
    confidence: float = 0.95,
    min_group: int | None = None,
    convention: Convention = "survey",
) -> pl.DataFrame:
    """Differences between domains of one design (women and men, district A and B), with
    design-based standard errors, t tests and intervals.

    For domains ``a`` and ``b`` the difference ``θ_a − θ_b`` of their estimates (as
    :func:`design_estimate` gives them) has the linearised variable ``z_a − z_b``, so its
    variance ``V(z_a) + V(z_b) − 2 Cov(z_a, z_b)`` accounts for the clusters, strata and
    calibration the domains share (R ``svycontrast(svyby(..., covmat = TRUE), ...)``).
    With replicate weights in the design the variance is that of the replicates'
    differences, ``scale Σ_r rscale_r (d_r − d̄)²`` (the same R call on a replicate design),
    and ``degf`` is the replicates'.
    ``t = difference / se`` on ``degf − (k − 1)`` degrees of freedom for ``k`` domains (the
    design's clusters − strata, less one per further domain: R ``svyglm(y ~ domain)``'s
    residual df; for two domains exactly R ``svyttest(y ~ domain, design)``), the normal
    under ``convention="people_survey"``. p-values are adjusted across the comparisons of
    each variable (``adjust``: Holm by default, ``"bh"``, ``"none"``).

    A domain blanked by the publication layer (as :func:`design_estimate` blanks it for the
    same variables and ``min_group``) is compared with nothing: its rows are blank (bare),
    since a difference with a shown domain would give its estimate back.

    Parameters
    ----------
    data : polars.DataFrame or LazyFrame
        One row per respondent: the design columns, ``by`` and the variables.
    design : Design or PreparedDesign
        The sampling design (or prepared on ``data``: :meth:`Design.prepare`).
    variables : str or list of str, optional
        Numeric columns to compare; default with ``instrument`` its dimensions and index.
    by : str or list of str
        Domain columns; every combination is a domain.
    instrument : Instrument or str, optional
        Score ``data`` with this instrument first.
    statistic : {"mean", "total", "proportion"}
        What is compared (quantiles are not).
    reference : optional
        A value of the (single) ``by`` column: every other domain is compared with it.
        Default: every pair of domains.
    adjust : {"holm", "bh", "none"}
        Multiple-testing adjustment across each variable's comparisons.
    confidence : float
        Interval coverage.
    min_group : int, optional
        Smallest published domain; default the instrument's, else 5.
    convention : {"survey", "people_survey"}
        As in :func:`design_estimate`.

    Returns
    -------
    polars.DataFrame
        The ``by`` columns of the first domain and the same columns with ``_versus`` of
        the second (in their dtype), ``variable``, ``statistic``, ``estimate``,
        ``estimate_versus``, ``difference`` (first − second), ``se``, ``df``, ``t``,
        ``p_value``, ``p_adjusted``, ``ci_low``, ``ci_high``, ``suppressed``.

    Examples
    --------
    >>> import lyhord as ly
    >>> sample = ly.example_data("citizens")
    >>> design = ly.Design("design_weight", strata="district", fpc="district_population")
    >>> d = ly.design_compare(sample, design, instrument="epl-citizen", by="sex")
    >>> d.select("sex", "sex_versus", "variable").row(0)
    ('Kvinna', 'Man', 'engagement')
    >>> epl = d.filter(pl.col("variable") == "epl")
    >>> epl.select("difference", "se", "p_value").null_count().sum_horizontal().item()
    0
    """
    df, options = _design_request(
        data, design, variables, instrument, by, statistic, confidence, min_group
    )
    return _lyhord._design_compare(
        df,
        **options,
        ci_method=None,
        convention=convention,
        quantile=0.5,
        reference=None if reference is None else str(reference),
        adjust=adjust,
    )
