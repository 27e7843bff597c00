"""Type stub of the compiled core, ``lyhord._lyhord``."""

from os import PathLike
from pathlib import Path

import polars as pl

__version__: str
DEFAULT_SEED: int

class LyhordError(ValueError): ...
class InstrumentError(LyhordError): ...
class DataError(LyhordError): ...
class EstimationError(LyhordError): ...

class Instrument:
    """A survey instrument (codebook) and its scoring rules.

    Examples
    --------
    >>> import lyhord as ly
    >>> inst = ly.Instrument.builtin("hme")
    >>> inst.dimensions
    ['motivation', 'ledarskap', 'styrning']
    """

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
    def language(self) -> str:
        """The language of the instrument's outputs for people: ``"sv"`` or ``"en"``."""
    def labels(self, lang: str | None = None) -> pl.DataFrame:
        """Every measure's name for people, in the order of an estimate table.

        Parameters
        ----------
        lang : {"sv", "en"}, optional
            Default: the instrument's :attr:`language` (Swedish for the Swedish built-ins).
            Without an English text the Swedish one is used.

        Returns
        -------
        polars.DataFrame
            ``measure``, ``kind`` (index / dimension / item), ``parent`` (an item's
            dimension, a dimension's index) and ``label`` (the index and dimension names,
            the item statements).

        Examples
        --------
        >>> import lyhord as ly
        >>> hme = ly.Instrument.builtin("hme")
        >>> hme.labels().filter(measure="hme1")["label"].item()
        'Mitt arbete känns meningsfullt'
        >>> hme.labels(lang="en").filter(measure="ledarskap")["label"].item()
        'Leadership'
        """
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

class _SumsAccumulator:
    def __init__(self, instrument: Instrument, by: list[str], weights: str | None) -> None: ...
    def add(self, batch: pl.DataFrame) -> None: ...
    def finish(self, empty_input: pl.DataFrame) -> pl.DataFrame: ...

def _staff_data(year: int, seed: int, n: int | None = None) -> pl.DataFrame: ...
def _headcounts(year: int, seed: int) -> pl.DataFrame: ...
def _changed_units() -> list[tuple[str, str, float]]: ...
def _dimension_check(answers: pl.DataFrame, instrument: Instrument) -> pl.DataFrame: ...

class _Publication:
    def __init__(
        self,
        data: pl.DataFrame,
        instrument: Instrument,
        weights: str | None,
        sums: bool,
        record: str | None,
    ) -> None: ...
    def __len__(self) -> int: ...
    def record(self) -> str: ...
    def estimates(
        self,
        requests: list[
            tuple[
                list[str],
                list[str],
                tuple[str, list[str]] | None,
                int | None,
                float,
                pl.DataFrame | None,
                str,
            ]
        ],
    ) -> list[pl.DataFrame]: ...
    def estimate(
        self,
        by: list[str],
        background: list[str],
        within: tuple[str, list[str]] | None,
        min_group: int | None,
        confidence: float,
        headcounts: pl.DataFrame | None,
        headcount_column: str,
    ) -> pl.DataFrame: ...
    def reliability(
        self,
        by: list[str],
        missing: str,
        ci: str,
        n_boot: int,
        seed: int,
        confidence: float,
        min_group: int | None,
    ) -> pl.DataFrame: ...
    def item_analysis(self, by: list[str], min_group: int | None) -> pl.DataFrame: ...
    def drivers(
        self,
        outcome: str,
        by: list[str],
        missing: str,
        n_boot: int,
        seed: int,
        confidence: float,
        min_group: int | None,
    ) -> pl.DataFrame: ...
    def priority_matrix(
        self, by: list[str], top: int, outcome: str, min_group: int | None
    ) -> pl.DataFrame: ...
    def audit(self) -> pl.DataFrame: ...

def _compare_waves(
    earlier: pl.DataFrame,
    later: pl.DataFrame,
    unit_map: list[tuple[str, str]],
    adjust: str,
    confidence: float,
) -> pl.DataFrame: ...
def _restate_wave(
    earlier: pl.DataFrame,
    later: pl.DataFrame,
    unit_map: list[tuple[str, str]],
    confidence: float,
    strict: bool,
) -> pl.DataFrame: ...
def _agreement(
    ratings: pl.DataFrame,
    unit: str,
    coder: str,
    value: str,
    by: list[str],
    level: str,
    categories: list[str] | None,
    weights: list[str] | None,
    n_boot: int,
    confidence: float,
    seed: int,
) -> pl.DataFrame: ...
def _code_presence(
    segments: pl.DataFrame, unit: str, coder: str, code: str, codes: list[str] | None
) -> pl.DataFrame: ...

class CodingFrame:
    """A coding frame for interviews: codes with parent, EPL dimension and valence (or a
    rating scale).

    Examples
    --------
    >>> import lyhord as ly
    >>> cf = ly.CodingFrame.builtin("epl-interviews")
    >>> cf.dimensions
    ['engagement', 'participation', 'learning']
    >>> cf.codes().filter(pl.col("id") == "del_lyssnad")["valence"].to_list()
    ['positive']
    """

    @staticmethod
    def builtin(name: str) -> CodingFrame: ...
    @staticmethod
    def builtin_names() -> list[str]: ...
    @staticmethod
    def from_toml(path: str) -> CodingFrame: ...
    @staticmethod
    def from_toml_str(text: str) -> CodingFrame: ...
    def to_toml(self) -> str: ...
    def to_qdc(self) -> str:
        """The frame as a REFI-QDA codebook (``.qdc`` XML) for NVivo, MAXQDA, ATLAS.ti or
        QualCoder; rated codes get one child code per rating.

        Examples
        --------
        >>> import lyhord as ly
        >>> ly.CodingFrame.builtin("epl-interviews").to_qdc().count("<Code ") > 19
        True
        """
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def dimensions(self) -> list[str]: ...
    def codes(self) -> pl.DataFrame: ...

def _score_interviews(
    segments: pl.DataFrame,
    frame: CodingFrame,
    interview: str,
    code: str,
    coder: str | None,
    rating: str | None,
    by: list[str],
    prior: float,
    confidence: float,
    min_interviews: int,
    per_unit: bool,
) -> pl.DataFrame: ...
def _code_counts(
    segments: pl.DataFrame,
    frame: CodingFrame,
    interview: str,
    code: str,
    coder: str | None,
    rating: str | None,
    by: list[str],
    segment: str | None,
    min_interviews: int,
) -> tuple[pl.DataFrame, pl.DataFrame | None]: ...
def _interview_data(seed: int) -> pl.DataFrame: ...
def _read_qdpx(
    path: str, frame: CodingFrame | None, unmatched: str
) -> tuple[pl.DataFrame, pl.DataFrame]: ...
def _map_codes(
    segments: pl.DataFrame, code: str, frame: CodingFrame, unmatched: str, source: str
) -> tuple[pl.DataFrame, pl.DataFrame]: ...
def _write_qdpx(
    segments: pl.DataFrame,
    frame: CodingFrame,
    path: str,
    interview: str,
    code: str,
    coder: str | None,
    rating: str | None,
    by: list[str],
    segment: str,
    name: str,
) -> None: ...
def _rake(
    data: pl.DataFrame,
    base: str | None,
    margins: list[tuple[list[str], pl.DataFrame, str]],
    tolerance: float,
    max_iterations: int,
    floor: float | None,
    cap: float | None,
    name: str,
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[int, float, int, float, float]]: ...
def _design_estimate(
    data: pl.DataFrame,
    weights: str | None,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: str,
    calibration: tuple[str | None, list[list[str]]] | None,
    variables: list[str],
    by: list[str],
    statistic: str,
    confidence: float,
    min_group: int,
) -> pl.DataFrame: ...
def _citizen_data(seed: int) -> pl.DataFrame: ...
def _citizen_population() -> pl.DataFrame: ...
def _combine(
    long: pl.DataFrame, keys: list[str], sources: list[tuple[str, float]], confidence: float
) -> pl.DataFrame: ...
def _target_status(
    years: list[float],
    means: list[float],
    ses: list[float],
    target: float,
    target_year: float,
    at_most: bool,
) -> tuple[str, float | None, float | None, float | None, float | None, float | None]: ...
def _read_export_file(
    path: Path,
    instrument: Instrument,
    mapping: list[tuple[str, str]],
    labels: list[tuple[str, int]],
    id: str | None,
    strict: bool,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    header: str,
    sheet: str | int | None,
    header_row: int | None,
) -> tuple[pl.DataFrame, str]: ...
def _read_export_frame(
    data: pl.DataFrame,
    instrument: Instrument,
    mapping: list[tuple[str, str]],
    labels: list[tuple[str, int]],
    id: str | None,
    strict: bool,
    decimal: str | None,
    source: str,
    format: str,
) -> tuple[pl.DataFrame, str]: ...
def _write_sav(
    data: pl.DataFrame,
    path: Path,
    variable_labels: dict[str, str],
    value_labels: dict[str, list[tuple[float, str]]],
    user_missing: dict[str, list[float]],
    file_label: str,
) -> None: ...
