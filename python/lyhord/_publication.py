"""The publication layer: several tables of the same answers, suppressed jointly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import _lyhord
from ._args import FrameLike, _by_list, _collect, _count, _min_group, resolve_instrument
from ._lyhord import DEFAULT_SEED, Instrument
from ._types import CiMethod, Convention, InvarianceModel, Lang, Missing, ShareInterval

if TYPE_CHECKING:  # the binding's keyword types exist in its stub only
    from ._lyhord import _EstimateOptions

__all__ = ["Publication"]


class Publication:
    """Every table published from the same answers, suppressed jointly.

    Each table a publication returns is suppressed together with every table it returned
    before: a group has the same status wherever it appears (two groupings, a background
    breakdown, the reliability and driver analyses beside the estimates, several years of
    stored sums), and a blank can never be recovered from the rest. The one-table functions
    (:func:`estimate`, :func:`reliability`, :func:`item_analysis`, :func:`drivers`,
    :func:`priority_matrix`, :func:`estimate_from_sums`) are publications of one table:
    two calls of them are **not** protected against each other. Publish several tables of
    the same answers through one ``Publication``.

    What is protected, and against whom: the attacker holds every number the publication
    returned (all tables, rows and their layout) and knows that counts are whole numbers
    ≥ 0 and that a row means at least one respondent. For every blanked group, the
    auditor solves that attacker's linear and integer programmes over all published
    counts, sums and answer distributions (hierarchy totals, crossed margins, other
    groupings, pooled periods): a group under the threshold keeps an interval of at least
    ``min_group`` for its respondents and answers, and no blanked group's sum of scores (so
    its mean), its distance from the top score or any of its positive / neutral / negative
    counts is determined. Secondary blanks are added, the cheapest first, until that holds;
    :meth:`audit` shows the intervals.

    Not covered: second moments (SD, SE, α, correlations) are not part of the attacker's
    programmes; weights are treated as unknown to the attacker; outside knowledge (who
    works where, one person's own answers) is not modelled; tables made outside the
    publication are not known to it.

    Parameters
    ----------
    answers : polars.DataFrame or polars.LazyFrame
        The answers (item columns, grouping columns).
    instrument : Instrument, str or path
        The codebook; its ``min_group``, ``min_group_distribution`` and
        ``min_group_background`` are the default thresholds.
    min_group : int, optional
        Default minimum group size of every table; each method may override it.
    weights : str, optional
        Column of positive weights for the estimates (suppression counts respondents).
    record : str, optional
        What an earlier publication of the same answers released (:meth:`record`): its
        tables are known to this one, their groups keep their published status, and every
        new table is suppressed jointly with them.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> pub = ly.Publication(staff, "epl-staff", min_group=5)
    >>> by_unit = pub.estimate(by=["forvaltning", "enhet"])
    >>> by_sex = pub.estimate(by="kon")
    >>> audit = pub.audit()
    >>> bool(audit["passed"].all())
    True
    >>> blank = by_unit.filter(pl.col("suppressed"))  # bare: no number, no reason
    >>> blank.select("n", "mean", "se", "pct_positive").null_count().row(0) == (blank.height,) * 4
    True
    >>> "suppression" in by_unit.columns
    False
    """

    def __init__(
        self,
        answers: FrameLike,
        instrument: Instrument | str | Path,
        *,
        min_group: int | None = None,
        weights: str | None = None,
        record: str | None = None,
    ) -> None:
        self._instrument = resolve_instrument(instrument)
        self._min_group = _min_group(min_group)
        self._inner = _lyhord._Publication(
            _collect(answers, "answers"), self._instrument, weights, False, record
        )

    @classmethod
    def from_sums(
        cls,
        sums: pl.DataFrame,
        instrument: Instrument | str | Path,
        *,
        min_group: int | None = None,
        record: str | None = None,
    ) -> Publication:
        """A publication of stored sums (:func:`summarise`, :func:`merge_sums`).

        Estimates only. Sums by year and unit let one publication hold each year and the
        pooled years, jointly protected (``estimate(by="enhet", within={"year": [2025]})``
        beside ``estimate(by="enhet", within={"year": [2024, 2025]})``). ``record``: as for
        the constructor (the yearly follow-up keeps it in its store).

        Examples
        --------
        >>> import lyhord as ly
        >>> staff = ly.example_data("staff", year=2025)
        >>> sums = ly.summarise(staff, "hme", by=["forvaltning", "enhet"])
        >>> pub = ly.Publication.from_sums(sums, "hme")
        >>> pub.estimate(by="forvaltning").height > 0
        True
        """
        self = cls.__new__(cls)
        self._instrument = resolve_instrument(instrument)
        self._min_group = _min_group(min_group)
        self._inner = _lyhord._Publication(
            _collect(sums, "sums"), self._instrument, None, True, record
        )
        return self

    def record(self) -> str:
        """What this publication has released so far (its tables and every group's status),
        as JSON: pass it as ``record=`` to a later publication of the same answers (with new
        rows beside them, e.g. next year's) so that nothing it publishes reopens a blank.

        Examples
        --------
        >>> import lyhord as ly
        >>> staff = ly.example_data("staff", year=2025)
        >>> pub = ly.Publication(staff, "hme", min_group=5)
        >>> first = pub.estimate(by=["forvaltning", "enhet"])
        >>> later = ly.Publication(staff, "hme", min_group=5, record=pub.record())
        >>> len(later), later.estimate(by=["forvaltning", "enhet"]).equals(first)
        (1, True)
        """
        return self._inner.record()

    def _threshold(self, min_group: int | None) -> int | None:
        return self._min_group if min_group is None else _min_group(min_group)

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return f"Publication(instrument={self._instrument.id!r}, tables={len(self)})"

    def estimate(
        self,
        by: Sequence[str] | str = (),
        *,
        background: Sequence[str] | str = (),
        within: Mapping[str, Sequence[object]] | None = None,
        min_group: int | None = None,
        confidence: float = 0.95,
        headcounts: pl.DataFrame | None = None,
        headcount_column: str = "headcount",
        convention: Convention = "survey",
        ci_method: ShareInterval | None = None,
    ) -> pl.DataFrame:
        """Grouped estimates (as :func:`estimate`), suppressed with the other tables.

        ``background`` breaks the lowest ``by`` level down by background columns (e.g.
        ``by=["forvaltning", "enhet"], background="kon"`` adds enhet × kön rows), under the
        instrument's ``min_group_background``. ``within={"year": [2025]}`` publishes only
        the rows whose ``year`` is 2025 (several values: pooled, e.g. a period of years);
        the column is not shown in the table.
        """
        request = _estimate_request(
            by,
            background,
            within,
            self._threshold(min_group),
            confidence,
            headcounts,
            headcount_column,
            convention,
            ci_method,
        )
        return self._inner.estimate(**request)

    def estimate_together(self, tables: Sequence[Mapping[str, Any]]) -> list[pl.DataFrame]:
        """Several estimate tables added at once, their blanks chosen together.

        Each entry holds the keywords of :meth:`estimate`. Tables added one by one keep the
        blanks of the earlier ones; added together, a year's table and a pooled period that
        holds it can partner each other, so fewer groups are blanked and fewer tables are
        refused. If any table cannot be protected, none is added.

        Examples
        --------
        >>> import polars as pl, lyhord as ly
        >>> s24 = ly.summarise(ly.example_data("staff", year=2024), "hme", by="enhet")
        >>> s25 = ly.summarise(ly.example_data("staff", year=2025), "hme", by="enhet")
        >>> sums = pl.concat([s24.with_columns(year=2024), s25.with_columns(year=2025)])
        >>> pub = ly.Publication.from_sums(sums, "hme")
        >>> year, period = pub.estimate_together(
        ...     [dict(by="enhet", within={"year": [2025]}),
        ...      dict(by="enhet", within={"year": [2024, 2025]})])
        >>> len(pub), bool(pub.audit()["passed"].all())
        (2, True)
        """
        requests = []
        for i, table in enumerate(tables):
            unknown = set(table) - set(_ESTIMATE_KEYWORDS)
            if unknown:
                raise _lyhord.EstimationError(
                    f"tables[{i}]: unknown keyword `{sorted(unknown)[0]}`; the keywords are "
                    f"{', '.join(_ESTIMATE_KEYWORDS)}"
                )
            options = {**_ESTIMATE_KEYWORDS, **table}
            options["min_group"] = self._threshold(options["min_group"])
            requests.append(_estimate_request(**options))
        return self._inner.estimates(requests)

    def reliability(
        self,
        by: Sequence[str] | str | None = None,
        *,
        missing: Missing = "pairwise",
        ci: CiMethod = "feldt",
        n_boot: int = 1000,
        seed: int = DEFAULT_SEED,
        confidence: float = 0.95,
        min_group: int | None = None,
        ordinal: bool = False,
    ) -> pl.DataFrame:
        """α, λ6 and ω per group (as :func:`reliability`), suppressed with the other tables."""
        return self._inner.reliability(
            by=_by_list(by),
            missing=missing,
            ci=ci,
            n_boot=_count(n_boot, "n_boot", 0),
            seed=_count(seed, "seed", 0),
            confidence=float(confidence),
            min_group=self._threshold(min_group),
            ordinal=ordinal,
        )

    def invariance(
        self,
        by: Sequence[str] | str,
        *,
        model: InvarianceModel = "dimensions",
        max_cfi_drop: float = 0.01,
        max_rmsea_rise: float | None = None,
        min_configural_cfi: float = 0.90,
        min_group: int | None = None,
        min_respondents: int | None = None,
        lang: Lang | None = None,
    ) -> pl.DataFrame:
        """Measurement invariance across the groups of ``by`` (as :func:`invariance`).

        The groups this publication blanks are left out of the models, so nothing in the
        table depends on their answers.
        """
        return self._inner.invariance(
            by=_by_list(by),
            model=model,
            max_cfi_drop=max_cfi_drop,
            max_rmsea_rise=max_rmsea_rise,
            min_configural_cfi=min_configural_cfi,
            min_group=self._threshold(min_group),
            min_respondents=None
            if min_respondents is None
            else _count(min_respondents, "min_respondents", 1),
            lang=lang,
        )

    def item_analysis(
        self, by: Sequence[str] | str | None = None, *, min_group: int | None = None
    ) -> pl.DataFrame:
        """Item analysis per group (as :func:`item_analysis`), suppressed with the others."""
        return self._inner.item_analysis(_by_list(by), self._threshold(min_group))

    def drivers(
        self,
        by: Sequence[str] | str | None = None,
        *,
        outcome: str = "index",
        missing: Missing = "listwise",
        n_boot: int = 500,
        seed: int = DEFAULT_SEED,
        confidence: float = 0.95,
        min_group: int | None = None,
    ) -> pl.DataFrame:
        """Driver analysis per group (as :func:`drivers`), suppressed with the others."""
        return self._inner.drivers(
            outcome=outcome,
            by=_by_list(by),
            missing=missing,
            n_boot=_count(n_boot, "n_boot", 0),
            seed=_count(seed, "seed", 0),
            confidence=float(confidence),
            min_group=self._threshold(min_group),
        )

    def priority_matrix(
        self,
        by: Sequence[str] | str = "enhet",
        *,
        top: int = 3,
        outcome: str = "index",
        min_group: int | None = None,
    ) -> pl.DataFrame:
        """Items to work on per unit (as :func:`priority_matrix`), suppressed with the others."""
        return self._inner.priority_matrix(
            _by_list(by), _count(top, "top", 1), outcome, self._threshold(min_group)
        )

    def audit(self) -> pl.DataFrame:
        """The audit table: what an attacker can learn of each blanked group. Never publish it.

        One row per blanked group, layer and quantity, over everything the publication has
        returned so far.

        Returns
        -------
        polars.DataFrame
            ``table`` (the first table the group appears in), ``group`` (its keys, e.g.
            ``"forvaltning=Omsorg, enhet=Hemtjänst Väst"``), ``layer`` (``respondents``,
            ``mean`` or ``distribution``), ``measure``, ``blank`` (``primary``: under the
            threshold; ``secondary``: blanked to protect another), ``quantity``
            (``respondents``, ``answers``, ``sum`` of scores, ``short_of_max`` = answers ·
            100 − sum, ``positive``, ``neutral``, ``negative``), ``value`` (the true value),
            ``low`` and ``high`` (the attacker's interval; ±inf when unbounded),
            ``required_width`` (the threshold for a small group's counts, 0 = "not
            determined"), ``passed``, ``tables`` (every table and key the group appears
            under).

        Examples
        --------
        >>> import polars as pl, lyhord as ly
        >>> codes = [4, 5, 3, 4, 5, 4, 2, 3, 4, 5, 5, 4, 3, 4, 4, 2, 5]
        >>> answers = pl.DataFrame({"enhet": ["A"] * 6 + ["B"] * 3 + ["C"] * 8,
        ...                         **{f"hme{i}": codes for i in range(1, 10)}})
        >>> pub = ly.Publication(answers, "hme", min_group=5)
        >>> t = pub.estimate(by="enhet")
        >>> t.filter(measure="hme").select("enhet", "n_respondents", "suppressed").rows()
        [(None, 17, False), ('A', None, True), ('B', None, True), ('C', 8, False)]
        >>> a = pub.audit().filter(layer="respondents")
        >>> a.select("group", "blank", "value", "low", "high", "passed").rows()
        [('enhet=B', 'primary', 3.0, 1.0, 8.0, True)]

        B (3 people) is blanked with A (6) as its partner: the total (17) minus C (8) leaves 9
        for the two, each with at least one respondent, so B is anywhere from 1 to 8.
        """
        return self._inner.audit()


def _within(within: Mapping[str, Sequence[object]] | None) -> tuple[str, list[str]] | None:
    """``{"year": [2024, 2025]}`` as (column, values as text), checked."""
    if within is None:
        return None
    if not isinstance(within, Mapping) or len(within) != 1:
        raise _lyhord.EstimationError(
            "within: give one column and its values, e.g. within={'year': [2025]}; "
            f"got {within!r}"
        )
    ((column, values),) = within.items()
    values = [values] if isinstance(values, (str, int)) else list(values)
    if not values:
        raise _lyhord.EstimationError(f"within: no values given for `{column}`")
    return str(column), [str(v) for v in values]


#: The keywords of :meth:`Publication.estimate` and their defaults.
_ESTIMATE_KEYWORDS: dict[str, Any] = {
    "by": (),
    "background": (),
    "within": None,
    "min_group": None,
    "confidence": 0.95,
    "headcounts": None,
    "headcount_column": "headcount",
    "convention": "survey",
    "ci_method": None,
}


def _estimate_request(
    by,
    background,
    within,
    min_group,
    confidence,
    headcounts,
    headcount_column,
    convention="survey",
    ci_method=None,
) -> _EstimateOptions:
    """The keywords of one estimate table as the binding takes them."""
    hc = None if headcounts is None else _collect(headcounts, "headcounts")
    return {
        "by": _by_list(by),
        "background": _by_list(background),
        "within": _within(within),
        "min_group": min_group,
        "confidence": float(confidence),
        "headcounts": hc,
        "headcount_column": headcount_column,
        "convention": convention,
        "ci_method": ci_method,
    }
