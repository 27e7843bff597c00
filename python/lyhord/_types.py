"""The values of lyhord's keyword options, as ``Literal`` types for signatures.

The one list of each option's values is the Rust enum it is parsed by; these aliases
repeat them for type checkers and editors, and ``tests/python/test_args.py`` checks that
they agree (``lyhord._lyhord._choices()``). Other spellings the parser accepts (any case,
``"fdr_bh"`` for ``"bh"``) are not listed.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["sv", "en"]
Header = Literal["auto", "single", "qualtrics", "qualtrics-legacy", "surveymonkey"]
Missing = Literal["pairwise", "listwise"]
CiMethod = Literal["feldt", "bootstrap"]
AgreementLevel = Literal["nominal", "ordinal", "interval", "ratio"]
AgreementWeights = Literal["unweighted", "linear", "quadratic"]
AgreementSe = Literal["analytic", "bootstrap"]
AgreementStatistic = Literal[
    "percent_agreement",
    "cohen_kappa",
    "conger_kappa",
    "scott_pi",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "brennan_prediger",
    "krippendorff_alpha",
]
Adjust = Literal["holm", "bh", "none"]
Direction = Literal["at_least", "at_most"]
LonelyPsu = Literal["fail", "adjust", "certainty", "remove", "average", "collapse"]
Statistic = Literal["mean", "total", "proportion", "quantile"]
ShareInterval = Literal["mean", "logit", "xlogit", "beta", "asin", "wilson"]
Convention = Literal["survey", "people_survey"]
CalibrationMethod = Literal["linear", "raking", "logit"]
ReplicateMethod = Literal["jk1", "jkn", "bootstrap", "brr", "fay", "other"]
Unmatched = Literal["error", "drop", "keep"]
InterviewLevel = Literal["unit", "interview"]
InvarianceModel = Literal["dimensions", "instrument"]

__all__ = [
    "Adjust",
    "AgreementLevel",
    "AgreementSe",
    "AgreementStatistic",
    "AgreementWeights",
    "CiMethod",
    "Direction",
    "Header",
    "InterviewLevel",
    "InvarianceModel",
    "Lang",
    "LonelyPsu",
    "Missing",
    "ReplicateMethod",
    "ShareInterval",
    "Convention",
    "CalibrationMethod",
    "Statistic",
    "Unmatched",
]
