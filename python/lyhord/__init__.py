"""lyhord: survey and interview analysis for an engagement / participation / learning index.

The main path::

    import lyhord as ly
    inst = ly.Instrument.builtin("hme")
    answers = ly.example_data("staff", year=2025)
    scores = ly.score(answers, inst)
    table = ly.estimate(scores, inst, by=["forvaltning", "enhet"], min_group=5)
"""

# first: checks the installed polars before the extension, which needs a matching one
from . import _compat  # noqa: F401, I001
from . import expr, plot
from ._agreement import agreement, code_presence
from ._args import MissingDependencyError
from ._api import estimate, estimate_from_sums, merge_sums, score, summarise
from ._combine import combine
from ._design import (
    Design,
    PreparedDesign,
    RakeResult,
    ReplicateResult,
    adjust_nonresponse,
    calibrate,
    design_chisq,
    design_compare,
    design_estimate,
    rake,
    replicate_weights,
)
from ._exports import write_example_exports
from ._actions import actions
from ._effects import action_effects, detectable_change
from ._followup import compare_waves, targets, trend
from ._import import Export, ImportReport, Table, TableReport, read_export, read_table, write_sav
from ._lyhord import ImportSource
from ._interviews import (
    CodingFrame,
    SegmentImport,
    code_counts,
    read_segments,
    score_interviews,
    write_qdpx,
)
from ._lyhord import (
    DataError,
    EstimationError,
    Instrument,
    InstrumentError,
    LyhordError,
    ArgumentError,
    ArgumentTypeError,
    __version__,
)
from ._publication import Publication
from ._reliability import (
    dimension_check,
    polychoric,
    drivers,
    invariance,
    item_analysis,
    priority_matrix,
    reliability,
)
from .datasets import changed_units, example_data, headcounts
from .report import wide, write_csv, write_pages, write_report

__all__ = [
    "action_effects",
    "actions",
    "detectable_change",
    "DataError",
    "EstimationError",
    "Instrument",
    "InstrumentError",
    "Publication",
    "LyhordError",
    "MissingDependencyError",
    "ArgumentError",
    "ArgumentTypeError",
    "__version__",
    "CodingFrame",
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
    "agreement",
    "code_counts",
    "combine",
    "changed_units",
    "code_presence",
    "compare_waves",
    "dimension_check",
    "polychoric",
    "drivers",
    "estimate",
    "estimate_from_sums",
    "merge_sums",
    "summarise",
    "Export",
    "ImportReport",
    "ImportSource",
    "read_export",
    "read_table",
    "Table",
    "TableReport",
    "write_sav",
    "write_example_exports",
    "example_data",
    "expr",
    "plot",
    "headcounts",
    "invariance",
    "item_analysis",
    "priority_matrix",
    "read_segments",
    "reliability",
    "SegmentImport",
    "score_interviews",
    "score",
    "targets",
    "trend",
    "write_qdpx",
    "write_pages",
    "wide",
    "write_csv",
    "write_report",
]
