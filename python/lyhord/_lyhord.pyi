"""Type stub of the compiled core, ``lyhord._lyhord``.

The docstrings live in the Rust doc comments (``help(ly.Instrument)`` shows them); this stub
gives the types. Options cross as keywords (``**options``) whose names and types are the
TypedDicts below; option values with a fixed set are the ``Literal`` types of
``lyhord._types``.
"""

from os import PathLike
from pathlib import Path
from typing import TypedDict, final, type_check_only

import polars as pl
from typing_extensions import Unpack

from lyhord._types import (
    Adjust,
    AgreementLevel,
    AgreementSe,
    AgreementWeights,
    CalibrationMethod,
    CiMethod,
    Convention,
    Direction,
    Header,
    InterviewLevel,
    InvarianceModel,
    Lang,
    LonelyPsu,
    Missing,
    ReplicateMethod,
    ShareInterval,
    Statistic,
    Unmatched,
)

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CodingFrame",
    "DEFAULT_SEED",
    "DataError",
    "EstimationError",
    "ImportSource",
    "Instrument",
    "InstrumentError",
    "LyhordError",
    "SUM_COLUMNS",
    "_CodeCounts",
    "_Export",
    "_ImportReport",
    "_Publication",
    "_RakeOutcome",
    "_Segments",
    "_SumsAccumulator",
    "_TargetStatus",
    "__version__",
    "_agreement",
    "_changed_units",
    "_combined_effect",
    "_detectable_change",
    "_example_actions",
    "_pooled_effect",
    "_unit_effect",
    "_choice",
    "_choices",
    "_citizen_data",
    "_citizen_population",
    "_code_counts",
    "_code_presence",
    "_combine",
    "_compare_waves",
    "_design_chisq",
    "_design_compare",
    "_design_estimate",
    "_prepare_design",
    "_PreparedDesign",
    "_dimension_check",
    "_polychoric",
    "_headcounts",
    "_interview_data",
    "_map_codes",
    "_merge_sums",
    "_adjust_nonresponse",
    "_calibrate",
    "_rake",
    "_replicate_weights",
    "_read_export_file",
    "_read_export_frame",
    "_read_table_file",
    "_read_table_frame",
    "_read_qdpx",
    "_restate_wave",
    "_score",
    "_score_interviews",
    "_staff_data",
    "_summarise",
    "_target_status",
    "_write_qdpx",
    "_write_sav",
]

__version__: str
DEFAULT_SEED: int

class LyhordError(ValueError): ...
class InstrumentError(LyhordError): ...
class DataError(LyhordError): ...
class EstimationError(LyhordError): ...
class ArgumentError(LyhordError): ...
class ArgumentTypeError(ArgumentError, TypeError): ...

@final
class Instrument:
    def __eq__(self, value: object, /) -> bool: ...
    @staticmethod
    def builtin(name: str) -> Instrument: ...
    @staticmethod
    def builtins() -> list[str]: ...
    @staticmethod
    def from_toml(path: str | PathLike[str]) -> Instrument: ...
    @staticmethod
    def from_toml_str(text: str, *, source: str = "TOML text") -> Instrument: ...
    @staticmethod
    def from_json(text: str) -> Instrument: ...
    def to_toml(self) -> str: ...
    def to_json(self) -> str: ...
    def with_min_group(self, min_group: int) -> Instrument: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def min_group(self) -> int: ...
    @property
    def items(self) -> list[str]: ...
    @property
    def dimensions(self) -> list[str]: ...
    @property
    def language(self) -> Lang: ...
    def labels(self, lang: Lang | None = None) -> pl.DataFrame: ...
    @property
    def index_id(self) -> str: ...
    @property
    def measures(self) -> list[tuple[str, str]]: ...

def _score(answers: pl.DataFrame, instrument: Instrument) -> pl.DataFrame: ...
def _summarise(
    data: pl.DataFrame, instrument: Instrument, by: list[str], weights: str | None
) -> pl.DataFrame: ...
def _merge_sums(sums: pl.DataFrame) -> pl.DataFrame: ...

SUM_COLUMNS: list[str]

@final
class _SumsAccumulator:
    def __new__(
        cls, instrument: Instrument, by: list[str], weights: str | None
    ) -> _SumsAccumulator: ...
    def add(self, batch: pl.DataFrame) -> None: ...
    def finish(self, empty_input: pl.DataFrame) -> pl.DataFrame: ...

def _staff_data(year: int, seed: int, n: int | None = None) -> pl.DataFrame: ...
def _headcounts(year: int, seed: int) -> pl.DataFrame: ...
def _changed_units() -> list[tuple[str, str, float]]: ...
def _example_actions() -> list[tuple[str, str, str, str, str, float, float]]: ...

# (treated, change, covariates, sampling variance) → (estimate, se, df, ci_low, ci_high, p)
_UnitChange = tuple[bool, float, list[float], float]
_Effect = tuple[float, float, float, float, float, float]

def _pooled_effect(units: list[_UnitChange], confidence: float) -> _Effect: ...
def _unit_effect(
    unit: _UnitChange, comparisons: list[_UnitChange], confidence: float
) -> _Effect: ...
def _combined_effect(cohorts: list[tuple[_Effect, float]], confidence: float) -> _Effect: ...
def _detectable_change(
    rows: list[tuple[float, float, float, float | None]], confidence: float, power: float
) -> list[float]: ...
def _dimension_check(
    answers: pl.DataFrame, instrument: Instrument, ordinal: bool
) -> pl.DataFrame: ...
def _polychoric(answers: pl.DataFrame, instrument: Instrument) -> pl.DataFrame: ...

@type_check_only
class _EstimateOptions(TypedDict):
    by: list[str]
    background: list[str]
    within: tuple[str, list[str]] | None
    min_group: int | None
    confidence: float
    headcounts: pl.DataFrame | None
    headcount_column: str
    convention: Convention
    ci_method: ShareInterval | None

@type_check_only
class _ReliabilityOptions(TypedDict):
    by: list[str]
    missing: Missing
    ci: CiMethod
    n_boot: int
    seed: int
    confidence: float
    min_group: int | None
    ordinal: bool

@type_check_only
class _InvarianceOptions(TypedDict):
    by: list[str]
    model: InvarianceModel
    max_cfi_drop: float
    max_rmsea_rise: float | None
    min_configural_cfi: float
    min_group: int | None
    min_respondents: int | None
    lang: Lang | None

@type_check_only
class _DriverOptions(TypedDict):
    outcome: str
    by: list[str]
    missing: Missing
    n_boot: int
    seed: int
    confidence: float
    min_group: int | None

@final
class _Publication:
    def __new__(
        cls,
        data: pl.DataFrame,
        instrument: Instrument,
        weights: str | None,
        sums: bool,
        record: str | None,
    ) -> _Publication: ...
    def __len__(self) -> int: ...
    def record(self) -> str: ...
    def estimates(self, requests: list[_EstimateOptions]) -> list[pl.DataFrame]: ...
    def estimate(self, **options: Unpack[_EstimateOptions]) -> pl.DataFrame: ...
    def reliability(self, **options: Unpack[_ReliabilityOptions]) -> pl.DataFrame: ...
    def invariance(self, **options: Unpack[_InvarianceOptions]) -> pl.DataFrame: ...
    def item_analysis(self, by: list[str], min_group: int | None) -> pl.DataFrame: ...
    def drivers(self, **options: Unpack[_DriverOptions]) -> pl.DataFrame: ...
    def priority_matrix(
        self, by: list[str], top: int, outcome: str, min_group: int | None
    ) -> pl.DataFrame: ...
    def audit(self) -> pl.DataFrame: ...

def _compare_waves(
    earlier: pl.DataFrame,
    later: pl.DataFrame,
    unit_map: list[tuple[str, str]],
    adjust: Adjust,
    confidence: float,
) -> pl.DataFrame: ...
def _restate_wave(
    earlier: pl.DataFrame,
    later: pl.DataFrame,
    unit_map: list[tuple[str, str]],
    confidence: float,
    strict: bool,
) -> pl.DataFrame: ...

@type_check_only
class _AgreementOptions(TypedDict):
    unit: str
    coder: str
    value: str
    by: list[str]
    level: AgreementLevel
    categories: list[str] | None
    weights: list[AgreementWeights] | None
    se_method: AgreementSe | None
    n_boot: int | None
    confidence: float
    seed: int
    statistics: list[str] | None

def _agreement(ratings: pl.DataFrame, **options: Unpack[_AgreementOptions]) -> pl.DataFrame: ...
def _code_presence(
    segments: pl.DataFrame, unit: str, coder: str, code: str, codes: list[str] | None
) -> pl.DataFrame: ...

@final
class CodingFrame:
    @staticmethod
    def builtin(name: str) -> CodingFrame: ...
    @staticmethod
    def builtin_names() -> list[str]: ...
    @staticmethod
    def from_toml(path: str) -> CodingFrame: ...
    @staticmethod
    def from_toml_str(text: str) -> CodingFrame: ...
    def to_toml(self) -> str: ...
    def to_qdc(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def dimensions(self) -> list[str]: ...
    def codes(self) -> pl.DataFrame: ...

@type_check_only
class _ColumnOptions(TypedDict):
    interview: str
    code: str
    coder: str | None
    rating: str | None
    by: list[str]

@type_check_only
class _ScoreInterviewOptions(_ColumnOptions):
    prior: float
    confidence: float
    min_interviews: int
    level: InterviewLevel

@type_check_only
class _CodeCountOptions(_ColumnOptions):
    segment: str | None
    min_interviews: int

@type_check_only
class _QdpxOptions(_ColumnOptions):
    segment: str
    name: str

@final
class _CodeCounts:
    @property
    def counts(self) -> pl.DataFrame: ...
    @property
    def pairs(self) -> pl.DataFrame | None: ...

@final
class _Segments:
    @property
    def segments(self) -> pl.DataFrame: ...
    @property
    def codes(self) -> pl.DataFrame: ...

def _score_interviews(
    segments: pl.DataFrame, frame: CodingFrame, **options: Unpack[_ScoreInterviewOptions]
) -> pl.DataFrame: ...
def _code_counts(
    segments: pl.DataFrame, frame: CodingFrame, **options: Unpack[_CodeCountOptions]
) -> _CodeCounts: ...
def _interview_data(seed: int) -> pl.DataFrame: ...
def _read_qdpx(path: str, frame: CodingFrame | None, unmatched: Unmatched) -> _Segments: ...
def _map_codes(
    segments: pl.DataFrame, code: str, frame: CodingFrame, unmatched: Unmatched, source: str
) -> _Segments: ...
def _write_qdpx(
    segments: pl.DataFrame, frame: CodingFrame, path: str, **options: Unpack[_QdpxOptions]
) -> None: ...

@type_check_only
class _RakeOptions(TypedDict):
    base: str | None
    tolerance: float
    max_iterations: int
    floor: float | None
    cap: float | None
    name: str

@type_check_only
class _CalibrateOptions(TypedDict):
    base: str | None
    method: CalibrationMethod
    bounds: tuple[float, float] | None
    population_size: float | None
    tolerance: float
    max_iterations: int
    name: str

@final
class _RakeOutcome:
    @property
    def weights(self) -> pl.DataFrame: ...
    @property
    def report(self) -> pl.DataFrame: ...
    @property
    def iterations(self) -> int: ...
    @property
    def max_error(self) -> float: ...
    @property
    def trimmed(self) -> int: ...
    @property
    def deff(self) -> float: ...
    @property
    def n_eff(self) -> float: ...

def _rake(
    data: pl.DataFrame,
    margins: list[tuple[list[str], pl.DataFrame, str]],
    **options: Unpack[_RakeOptions],
) -> _RakeOutcome: ...
def _adjust_nonresponse(
    data: pl.DataFrame,
    responded: str,
    classes: list[str],
    base: str | None,
    name: str,
) -> _RakeOutcome: ...
def _calibrate(
    data: pl.DataFrame,
    margins: list[tuple[list[str], pl.DataFrame, str]],
    totals: list[tuple[str, float]],
    **options: Unpack[_CalibrateOptions],
) -> _RakeOutcome: ...

@type_check_only
class _DesignKeywords(TypedDict):
    weights: str | None
    strata: str | None
    psu: str | None
    fpc: str | None
    lonely_psu: LonelyPsu
    calibration: tuple[str | None, list[list[str]], list[str]] | None
    replicates: (
        tuple[
            list[str],
            ReplicateMethod,
            float | None,
            list[float] | None,
            bool,
            float | None,
            float | None,
        ]
        | None
    )
    prepared: _PreparedDesign | None

@final
class _PreparedDesign:
    @property
    def height(self) -> int: ...

def _prepare_design(data: pl.DataFrame, **options: Unpack[_DesignKeywords]) -> _PreparedDesign: ...

@type_check_only
class _ReplicateOptions(_DesignKeywords):
    method: ReplicateMethod
    n_replicates: int
    fay_rho: float
    seed: int
    prefix: str

def _replicate_weights(
    data: pl.DataFrame, **options: Unpack[_ReplicateOptions]
) -> tuple[pl.DataFrame, float, list[float], float]: ...

@type_check_only
class _ChisqOptions(_DesignKeywords):
    row: str
    column: str
    min_group: int

def _design_chisq(data: pl.DataFrame, **options: Unpack[_ChisqOptions]) -> pl.DataFrame: ...

@type_check_only
class _DesignOptions(_DesignKeywords):
    variables: list[str]
    by: list[str]
    statistic: Statistic
    confidence: float
    min_group: int
    ci_method: ShareInterval | None
    convention: Convention
    quantile: float

def _design_estimate(data: pl.DataFrame, **options: Unpack[_DesignOptions]) -> pl.DataFrame: ...

@type_check_only
class _ContrastOptions(_DesignOptions):
    reference: str | None
    adjust: Adjust

def _design_compare(data: pl.DataFrame, **options: Unpack[_ContrastOptions]) -> pl.DataFrame: ...
def _citizen_data(seed: int) -> pl.DataFrame: ...
def _citizen_population() -> pl.DataFrame: ...
def _combine(
    long: pl.DataFrame, keys: list[str], sources: list[tuple[str, float]], confidence: float
) -> pl.DataFrame: ...

@final
class _TargetStatus:
    @property
    def status(self) -> str: ...
    @property
    def latest_year(self) -> float | None: ...
    @property
    def latest(self) -> float | None: ...
    @property
    def slope(self) -> float | None: ...
    @property
    def slope_se(self) -> float | None: ...
    @property
    def projected(self) -> float | None: ...

def _target_status(
    years: list[float],
    means: list[float],
    ses: list[float],
    target: float,
    target_year: float,
    direction: Direction,
) -> _TargetStatus: ...

@type_check_only
class _MapOptions(TypedDict):
    mapping: list[tuple[str, str]]
    labels: list[tuple[str, int]]
    id: str | None
    strict: bool
    decimal: str | None

@type_check_only
class _ReadOptions(_MapOptions):
    encoding: str | None
    delimiter: str | None
    header: Header
    sheet: str | int | None
    header_row: int | None

@type_check_only
class _TableOptions(TypedDict):
    encoding: str | None
    delimiter: str | None
    decimal: str | None
    header: Header
    sheet: str | int | None
    header_row: int | None

@final
class ImportSource:
    @property
    def file(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def delimiter(self) -> str | None: ...
    @property
    def decimal(self) -> str | None: ...
    @property
    def header(self) -> str: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def header_row(self) -> int | None: ...
    @property
    def title_block(self) -> bool: ...
    @property
    def header_row_given(self) -> bool: ...
    def __getitem__(self, key: str, /) -> object: ...

@final
class _ImportReport:
    @property
    def source(self) -> ImportSource: ...
    @property
    def instrument(self) -> str: ...
    @property
    def strict(self) -> bool: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def rows_kept(self) -> int: ...
    @property
    def n_empty_rows(self) -> int: ...
    @property
    def empty_rows(self) -> list[int]: ...
    @property
    def id_column(self) -> str | None: ...
    @property
    def id_found_by(self) -> str | None: ...
    @property
    def n_duplicate_rows(self) -> int: ...
    @property
    def duplicate_ids(self) -> pl.DataFrame: ...
    @property
    def n_straightliners(self) -> int: ...
    @property
    def straightliners(self) -> list[int]: ...
    @property
    def columns(self) -> pl.DataFrame: ...
    @property
    def near_misses(self) -> pl.DataFrame: ...
    @property
    def value_labels(self) -> dict[str, dict[float | str, str]]: ...

@final
class _Export:
    @property
    def data(self) -> pl.DataFrame: ...
    @property
    def report(self) -> _ImportReport: ...

def _read_export_file(
    path: Path, instrument: Instrument, **options: Unpack[_ReadOptions]
) -> _Export: ...
def _read_export_frame(
    data: pl.DataFrame,
    instrument: Instrument,
    source: str,
    format: str,
    **options: Unpack[_MapOptions],
) -> _Export: ...
def _read_table_file(path: Path, **options: Unpack[_TableOptions]) -> _Export: ...
def _read_table_frame(data: pl.DataFrame, source: str, format: str) -> _Export: ...
def _write_sav(
    data: pl.DataFrame,
    path: Path,
    variable_labels: dict[str, str],
    value_labels: dict[str, list[tuple[float, str]]],
    user_missing: dict[str, list[float]],
    file_label: str,
) -> None: ...
def _choices() -> list[tuple[str, str, list[str]]]: ...
def _choice(name: str, text: str) -> str: ...
