"""The scripted yearly run: lyhord followup --config followup.toml

Example config (TOML; paths relative to the config file):

    instrument = "hme"                  # built-in name (any case) or a .toml instrument
    by = ["Förvaltning", "Enhet"]       # grouping columns of the export, top level first
    out = "uppfoljning"                 # output folder (written whole, or not at all)
    store = "store"                     # what was summarised and published, kept per year
    formats = ["csv", "xlsx"]           # tables written as csv, xlsx and/or parquet
    min_group = 5                       # optional, default the instrument's
    mapping = "mapping.toml"            # optional, for every wave: [columns], [labels]
    invariance = true                   # optional: do the dimensions compare between the
                                        # top-level groups of the latest wave?
    actions = "atgarder.csv"            # optional: the action register (see ly.actions);
                                        # or [actions] file = "…", fieldwork = "10-01"

    [waves]                             # year = export file, or a table of import options
    2024 = "medarbetarenkat_2024.csv"
    2025 = { file = "medarbetarenkat_2025.xlsx", header_row = 3, id = "Respondent-ID" }

    [headcounts]                        # optional, per year: the by columns + headcount
    2025 = "antal_anstallda_2025.csv"

    [periods]                           # optional pooled periods, published beside the years
    "2024-2025" = [2024, 2025]

    [unit_map.2025]                     # optional: reorganisations, by the first year of
    "Hemtjänst Norr" = "Hemtjänst Nord" # the new organisation (a merger names both parts,
                                        # a split gives a list)
    [[targets]]                         # optional
    "Förvaltning" = "Socialförvaltningen"
    measure = "hme"
    target = 80
    year = 2027

A wave's import options: file, mapping, sheet, encoding, delimiter, decimal, id,
header_row, strict (as for lyhord score). Each wave's import report is printed.

The store keeps each year's sums (private: as sensitive as the answers) and a record of
everything the follow-up has published. Every run publishes its tables jointly with that
record, so a new year, a pooled period or a coarser grouping never reopens a blank of an
earlier run. A year already in the store is read from it, not from its export.

Output: estimates per year and period, change (latest two waves), trend, targets, the
change each group's next wave can show (detectable_change), figures and one HTML page per
top-level group; with `invariance = true` also the invariance table
across the top-level groups of the latest wave, its verdicts on the pages and in the
workbook's notes; with `actions` the checked register (`actions`), the effect of every
action on what it aimed at (`action_effects`, see ly.action_effects) and a section
"Åtgärder och utfall" on the pages, from the published tables only; the register is kept
in the store. Everything is written to a temporary folder and
moved into place only when the whole run succeeded.

Check a config without running it: lyhord followup --config followup.toml --check
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import polars as pl

from . import _api
from ._actions import FIELDWORK, actions, wave_dates
from ._args import choice
from ._effects import action_effects, detectable_change, restated
from ._followup import compare_waves, targets, trend
from ._import import read_export
from ._lyhord import ArgumentError, DataError, EstimationError, Instrument, LyhordError
from ._publication import Publication
from ._reliability import invariance
from ._tables import read_table, write_table
from ._types import Lang
from .datasets import example_data, headcounts
from .report import write_pages, write_report

#: The store's format: 1 = sums per year only (before the store kept a record of what was
#: published), 2 = sums + that record.
STORE_VERSION = 2
RELEASED = "released.json"
YEAR = "year"
FORMATS = ("csv", "xlsx", "parquet")
WAVE_OPTIONS = (
    "file",
    "mapping",
    "sheet",
    "encoding",
    "delimiter",
    "decimal",
    "id",
    "header_row",
    "strict",
)
TOP_KEYS = {
    "instrument": "a built-in name or a .toml instrument",
    "by": "the grouping columns, top level first",
    "waves": "a table: year = export file (or a table of import options)",
    "out": "the output folder",
    "store": "the store folder",
    "formats": f"a list of {', '.join(FORMATS)}",
    "min_group": "a whole number ≥ 1",
    "lang": '"sv" or "en": the language of pages and figures (default the instrument\'s)',
    "mapping": "a mapping .toml for every wave",
    "strict": "true or false, for every wave",
    "headcounts": "a table: year = headcount file",
    "periods": 'a table: name = [years], e.g. "2024-2025" = [2024, 2025]',
    "unit_map": "one table per year of the new organisation",
    "targets": "a list of [[targets]] tables",
    "invariance": "true or false: test whether the dimensions compare between the top-level"
    " groups of the latest wave (its answers must be read in this run, not from the store)",
    "actions": 'the action register: a file, or a table with file = "…" and fieldwork = "MM-DD"',
}
ACTION_OPTIONS = ("file", "fieldwork")
ACTIONS_STORED = "actions.parquet"


@dataclass
class Wave:
    year: int
    source: str  # a file relative to the config, or "example"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Actions:
    source: str  # a file relative to the config, or "example"
    fieldwork: str = FIELDWORK


@dataclass
class Config:
    path: Path
    instrument: Instrument
    by: list[str]
    waves: list[Wave]
    out: Path
    store: Path | None
    formats: list[str]
    min_group: int | None
    lang: Lang | None
    headcounts: dict[int, str]
    periods: dict[str, list[int]]
    unit_map: dict[int, dict]
    targets: list[dict]
    invariance: bool = False
    actions: Actions | None = None

    @property
    def base(self) -> Path:
        return self.path.parent


# ---- the config, read strictly


def load_config(path: Path) -> Config:
    """Reads and checks a follow-up config; every problem names the key and what it takes."""
    if path.is_dir():
        raise LyhordError(f"--config {path}: is a directory, not a config file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LyhordError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise LyhordError(f"{path}: cannot read the follow-up config: {e}") from e
    fail = _failer(path)
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        fail(f"unknown key `{unknown[0]}`; the keys are {', '.join(TOP_KEYS)}")
    for key in ("instrument", "by", "waves"):
        if key not in raw:
            fail(f"the config needs `{key}` ({TOP_KEYS[key]})")
    inst = _instrument(raw["instrument"], path, fail)
    by = _by(raw["by"], fail)
    defaults = {k: raw[k] for k in ("mapping", "strict") if k in raw}
    waves = _waves(raw["waves"], defaults, fail)
    return Config(
        path=path,
        instrument=inst,
        by=by,
        waves=waves,
        out=path.parent / _text(raw.get("out", "followup"), "out", fail),
        store=path.parent / _text(raw["store"], "store", fail) if "store" in raw else None,
        formats=_formats(raw.get("formats", ["csv"]), fail),
        min_group=_min_group(raw.get("min_group"), fail),
        lang=_lang(raw.get("lang"), fail),
        headcounts=_year_table(raw.get("headcounts", {}), "headcounts", fail),
        periods=_periods(raw.get("periods", {}), {w.year for w in waves}, fail),
        unit_map=_unit_map(raw.get("unit_map", {}), fail),
        targets=_targets(raw.get("targets", []), by, fail),
        invariance=_flag(raw.get("invariance", False), "invariance", fail),
        actions=_actions(raw.get("actions"), fail),
    )


def _failer(path: Path) -> Callable[[str], Any]:
    def fail(message: str) -> Any:
        raise LyhordError(f"{path}: {message}")

    return fail


def _text(value: Any, key: str, fail: Callable[[str], Any]) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(f"`{key}` must be a text, got {value!r}")
    return value


def _instrument(value: Any, path: Path, fail: Callable[[str], Any]) -> Instrument:
    name = _text(value, "instrument", fail)
    local = path.parent / name
    try:
        return _api.resolve_instrument(local if local.is_file() else name)
    except LyhordError as e:
        return fail(f"`instrument`: {e}")


def _by(value: Any, fail: Callable[[str], Any]) -> list[str]:
    by = [value] if isinstance(value, str) else value
    if not isinstance(by, list) or not by or not all(isinstance(c, str) and c for c in by):
        fail(
            "`by` must be a column name or a list of them, e.g. "
            f'["Förvaltning", "Enhet"]; got {value!r}'
        )
    if YEAR in by:
        fail(f"`by` cannot hold `{YEAR}`: the follow-up publishes every year on its own")
    return by


def _waves(value: Any, defaults: dict, fail: Callable[[str], Any]) -> list[Wave]:
    if not isinstance(value, dict) or not value:
        fail("`[waves]` must list at least one year = export file")
    waves = []
    for key, spec in value.items():
        year = _year(key, "waves", fail)
        options = dict(defaults)
        if isinstance(spec, str):
            source = spec
        elif isinstance(spec, dict):
            unknown = sorted(set(spec) - set(WAVE_OPTIONS))
            if unknown:
                fail(
                    f"[waves] {key}: unknown option `{unknown[0]}`; "
                    f"the options are {', '.join(WAVE_OPTIONS)}"
                )
            if "file" not in spec:
                fail(f'[waves] {key}: give the export as file = "…"')
            options.update(spec)
            source = _text(options.pop("file"), f"waves.{key}.file", fail)
        else:
            fail(f"[waves] {key} must be a file name or a table of import options, got {spec!r}")
        waves.append(Wave(year, source, options))
    return sorted(waves, key=lambda w: w.year)


def _year(key: Any, table: str, fail: Callable[[str], Any]) -> int:
    if not str(key).isdigit() or not 1900 <= int(key) <= 2200:
        fail(f"[{table}]: `{key}` is not a year")
    return int(key)


def _formats(value: Any, fail: Callable[[str], Any]) -> list[str]:
    if not isinstance(value, list) or not value:
        fail(f"`formats` must be a list of {', '.join(FORMATS)}, got {value!r}")
    for f in value:
        if f not in FORMATS:
            fail(f"`formats`: unknown format {f!r}; use {', '.join(FORMATS)}")
    return list(dict.fromkeys(value))


def _min_group(value: Any, fail: Callable[[str], Any]) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        fail(f"`min_group` must be a whole number ≥ 1, got {value!r}")
    return value


def _flag(value: Any, key: str, fail: Callable[[str], Any]) -> bool:
    if not isinstance(value, bool):
        fail(f"`{key}` must be true or false, got {value!r}")
    return value


def _lang(value: Any, fail: Callable[[str], Any]) -> Lang | None:
    """The core parses it (one parser of every choice); the config error says where."""
    if value is None:
        return None
    try:
        return cast(Lang, choice("Lang", value))
    except ArgumentError as e:
        return fail(str(e).removeprefix("parameter "))


def _year_table(value: Any, table: str, fail: Callable[[str], Any]) -> dict[int, str]:
    if not isinstance(value, dict):
        fail(f"`[{table}]` must be a table of year = file")
    return {_year(k, table, fail): _text(v, f"{table}.{k}", fail) for k, v in value.items()}


def _periods(value: Any, waves: set[int], fail: Callable[[str], Any]) -> dict[str, list[int]]:
    if not isinstance(value, dict):
        fail(f"`[periods]` must be {TOP_KEYS['periods']}")
    out = {}
    for name, years in value.items():
        if not isinstance(years, list) or len(years) < 2:
            fail(f'[periods] "{name}" must list at least two years, e.g. [2024, 2025]')
        out[str(name)] = sorted(_year(y, "periods", fail) for y in years)
        absent = [y for y in out[str(name)] if y not in waves]
        if absent:
            fail(f'[periods] "{name}" names {absent[0]}, not a wave')
    return out


def _unit_map(value: Any, fail: Callable[[str], Any]) -> dict[int, dict]:
    out = {}
    for key, mapping in value.items():
        if not (str(key).isdigit() and isinstance(mapping, dict)):
            fail(
                "`unit_map` takes one table per year of the new organisation, e.g. "
                f'[unit_map.2025] "Old name" = "New name"; got unit_map.{key}'
            )
        out[int(key)] = mapping
    return out


def _targets(value: Any, by: list[str], fail: Callable[[str], Any]) -> list[dict]:
    allowed = [*by, "measure", "target", "year", "direction"]
    if not isinstance(value, list):
        fail("`targets` must be [[targets]] tables")
    for i, t in enumerate(value, start=1):
        unknown = sorted(set(t) - set(allowed))
        if unknown:
            fail(
                f"[[targets]] number {i}: unknown key `{unknown[0]}`; "
                f"the keys are {', '.join(allowed)}"
            )
        for key in ("measure", "target", "year"):
            if key not in t:
                fail(f"[[targets]] number {i} needs `{key}`")
    return value


def _actions(value: Any, fail: Callable[[str], Any]) -> Actions | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Actions(_text(value, "actions", fail))
    if not isinstance(value, dict):
        return fail(f"`actions` must be {TOP_KEYS['actions']}; got {value!r}")
    unknown = sorted(set(value) - set(ACTION_OPTIONS))
    if unknown:
        fail(
            f"[actions]: unknown option `{unknown[0]}`; the options are {', '.join(ACTION_OPTIONS)}"
        )
    if "file" not in value:
        fail('[actions]: give the register as file = "…"')
    fieldwork = _text(value.get("fieldwork", FIELDWORK), "actions.fieldwork", fail)
    try:
        wave_dates(None, fieldwork)
    except ArgumentError as e:
        fail(f"[actions] {str(e).removeprefix('parameter ')}")
    return Actions(_text(value["file"], "actions.file", fail), fieldwork)


def _action_tables(
    config: Config, per_year: dict[int, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The register checked once, in the latest organisation (the waves restated through
    `unit_map`), and the effects of its actions from the published tables."""
    units = restated(per_year, config.unit_map) if config.unit_map else per_year
    register = read_register(config, sorted(units), units)
    assert register is not None and config.actions is not None
    try:
        effects = action_effects(
            units,
            register,
            config.instrument,
            fieldwork=config.actions.fieldwork,
            by=config.by,
            lang=config.lang,
        )
    except LyhordError as e:
        raise type(e)(f"[actions] ({config.actions.source}): {e}") from None
    return register, effects


def read_register(
    config: Config, years: list[int], units: dict[int, pl.DataFrame] | None = None
) -> pl.DataFrame | None:
    """The action register checked against the waves and `by` (and the published units
    when given); every problem names the config key and the register's row."""
    if config.actions is None:
        return None
    source = config.actions.source
    register: pl.DataFrame | Path = (
        example_data("actions") if source == "example" else config.base / source
    )
    try:
        return actions(
            register,
            config.instrument,
            units=units,
            by=config.by,
            waves=years,
            fieldwork=config.actions.fieldwork,
        )
    except LyhordError as e:
        # The config names the file already: "register <path>: " would say it twice.
        said = f"register {register}: " if isinstance(register, Path) else ""
        message = str(e).removeprefix(said)
        if config.unit_map and "is not a unit" in message:
            message += " (units are named as in the latest wave, after [unit_map])"
        raise type(e)(f"[actions] ({source}): {message}") from None


# ---- the waves: sums from the store or from the exports


def store_path(store: Path, instrument_id: str, year: int) -> Path:
    return store / instrument_id / f"year={year}.parquet"


def wave_sums(
    config: Config,
    wave: Wave,
    log: Callable[[str], None],
    answers_read: dict[int, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """A wave's sums: from the store when it holds the year, else read from its export
    (whose answers go to ``answers_read`` when given)."""
    if config.store:
        stored = store_path(config.store, config.instrument.id, wave.year)
        if stored.exists():
            log(f"{wave.year}: from the store ({stored.name})")
            return _stored_sums(stored, config.by)
    answers = read_wave(config, wave, log)
    if answers_read is not None:
        answers_read[wave.year] = answers
    try:
        return _api.summarise(answers, config.instrument, by=config.by)
    except LyhordError as e:
        raise type(e)(f"[waves] {wave.year} ({wave.source}): {e}") from None


def read_wave(config: Config, wave: Wave, log: Callable[[str], None]) -> pl.DataFrame:
    """Reads one wave's export with its import options; prints the import report."""
    if wave.source == "example":
        return example_data("staff", year=wave.year)
    where = f"[waves] {wave.year} ({wave.source})"
    options = dict(wave.options)
    mapping = options.pop("mapping", None)
    if isinstance(mapping, str):
        mapping = config.base / mapping
    path = config.base / wave.source
    if path.is_dir():
        raise LyhordError(f"{where}: is a directory, not an export file")
    if not path.exists():
        raise LyhordError(f"{where}: no such file {path}")
    try:
        data, report = read_export(path, config.instrument, mapping, **options)
    except TypeError as e:  # an option read_export does not take
        raise LyhordError(f"{where}: {e}") from None
    except LyhordError as e:
        raise type(e)(f"{where}: {e}") from None
    missing = [c for c in config.by if c not in data.columns]
    if missing:
        raise DataError(
            f"{where}: no column `{missing[0]}` (named in `by`); the export has "
            f"{', '.join(data.columns)}"
        )
    items = report.items()
    problems = report.problems()
    log(
        f"{wave.year}: {path.name}: {report.rows_kept} respondents, {items.height} items"
        + (f"; {len(problems)} problem(s):" if problems else ", no problems found")
    )
    for p in problems:
        log(f"  {wave.year}: {p}")
    return data


def _stored_sums(path: Path, by: list[str]) -> pl.DataFrame:
    """A stored year's sums, refused (with the fix) if they cannot serve the config's ``by``."""
    sums = pl.read_parquet(path)
    if "sum_wy" not in sums.columns:
        raise DataError(
            f"{path}: holds no sums (an estimate table from an older lyhord?); delete it "
            "and the year is summarised again from its answers"
        )
    stored_by = _api.sum_keys(sums)
    for column in by:
        if column not in stored_by:
            raise DataError(
                f"{path}: `by` column `{column}` is not a grouping column of the stored sums "
                f"(they have {', '.join(stored_by) or 'none'}). Delete the stored year to "
                "summarise it again from the answers"
            )
    return sums


# ---- what was published: the store's record


def read_record(config: Config, log: Callable[[str], None]) -> str | None:
    """The record of everything earlier runs published (None for a new store)."""
    if config.store is None:
        return None
    path = config.store / config.instrument.id / RELEASED
    if not path.exists():
        if any((config.store / config.instrument.id).glob("year=*.parquet")):
            log(
                f"note: {path.parent} has no record of what earlier runs published (a store "
                "of an earlier lyhord); from this run on, everything published is recorded"
            )
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        version = int(raw["version"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: not a lyhord store record ({e})") from None
    if version > STORE_VERSION:
        raise DataError(
            f"{path}: store version {version} was written by a newer lyhord (this one reads "
            f"up to {STORE_VERSION}); update lyhord"
        )
    return json.dumps(raw["record"])


def record_json(pub: Publication) -> str:
    return json.dumps(
        {"version": STORE_VERSION, "record": json.loads(pub.record())},
        ensure_ascii=False,
        indent=1,
    )


# ---- publishing


def _headcounts(config: Config, year: int) -> pl.DataFrame | None:
    source = config.headcounts.get(year)
    if source is None:
        return None
    if source == "example":
        return headcounts(year=year)
    return read_table(config.base / source)


def publish(
    config: Config,
    sums: dict[int, pl.DataFrame],
    record: str | None,
    log: Callable[[str], None],
) -> tuple[Publication, dict[int, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Every year's and period's estimates, from one publication of all years' sums (with
    what earlier runs published), so that no table reopens a blank of another."""
    frames = [s.with_columns(pl.lit(y, pl.Int64).alias(YEAR)) for y, s in sums.items()]
    pub = Publication.from_sums(
        pl.concat(frames, how="diagonal_relaxed"),
        config.instrument,
        min_group=config.min_group,
        record=record,
    )
    years = [
        {"by": config.by, "within": {YEAR: [y]}, "headcounts": _headcounts(config, y)} for y in sums
    ]
    spans: dict[str, dict[str, Any]] = {
        name: {"by": config.by, "within": {YEAR: span}} for name, span in config.periods.items()
    }
    try:
        # Years and periods together: a new year's blanks are chosen knowing the periods.
        tables = pub.estimate_together([*years, *spans.values()])
        per_year = dict(zip(sums, tables[: len(years)], strict=True))
        return pub, per_year, dict(zip(spans, tables[len(years) :], strict=True))
    except EstimationError:
        if not spans:
            raise
    # Some period cannot be protected beside what is out: the years alone, then each period
    # that still can be (the publication is unchanged by a refused table).
    per_year = dict(zip(sums, pub.estimate_together(years), strict=True))
    periods = {}
    for name, spec in spans.items():
        try:
            periods[name] = pub.estimate(**spec)
        except EstimationError as e:
            log(f'note: period "{name}" is not published: {e}')
    return pub, per_year, periods


def published(table: pl.DataFrame) -> pl.DataFrame:
    """Only rows of groups that are not suppressed: what a report may show."""
    return table.filter(~pl.col("suppressed"))


def _figures(series: pl.DataFrame, change: pl.DataFrame, out: Path, config: Config) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return []
    from . import plot

    inst, lang = config.instrument, config.lang
    figures = {
        "trend.png": plot.trend_lines(
            series, measure=inst.index_id, label=config.by[0], instrument=inst, lang=lang
        ).figure,
        "change.png": plot.change(change, label=config.by[-1], instrument=inst, lang=lang).figure,
    }
    return plot.save(figures, out)


def _goals(rows: list[dict], series: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    records = []
    for r in rows:
        level = sum(1 for c in by if r.get(c) is not None)
        records.append({"level": level, **{c: r.get(c) for c in by}, **r})
    schema: dict[str, Any] = {"level": pl.UInt32, **{c: series.schema[c] for c in by}}
    return pl.DataFrame(records, schema_overrides=schema)


def _slug(name: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in name)
    return "-".join(part for part in keep.split("-") if part) or "grupp"


# ---- the run


def check(config_path: Path, log: Callable[[str], None] = print) -> Config:
    """Validates a config (keys, types, instrument, that every wave's export or stored year
    and every headcount file exists) without reading any answers."""
    config = load_config(config_path)
    for wave in config.waves:
        stored = config.store and store_path(config.store, config.instrument.id, wave.year)
        if stored and stored.exists():
            where = f"stored ({stored.name})"
        elif wave.source == "example":
            where = "Exempelkommun"
        else:
            path = config.base / wave.source
            if not path.is_file():
                raise LyhordError(f"[waves] {wave.year} ({wave.source}): no such file {path}")
            where = wave.source
        log(f"{wave.year}: {where}")
    for year, source in config.headcounts.items():
        if source != "example" and not (config.base / source).is_file():
            raise LyhordError(f"[headcounts] {year}: no such file {config.base / source}")
    register = read_register(config, [w.year for w in config.waves])
    if register is not None:
        kinds = register["action"].n_unique()
        log(
            f"[actions]: {register.height} row(s), {kinds} action(s); the unit names are "
            "checked when the run reads the waves"
        )
    log(
        f"{config.path}: config OK — instrument {config.instrument.id}, by "
        f"{', '.join(config.by)}, {len(config.waves)} wave(s), output {config.out}"
    )
    return config


def run(config_path: Path, log: Callable[[str], None] | None = None) -> dict[str, list[Path]]:
    """Runs the follow-up described by ``config_path``; returns what was written.

    Nothing is changed unless everything succeeds: the output folder is built beside the
    target and moved into place at the end, and the store is updated after it."""
    log = log or (lambda line: print(line, file=sys.stderr))
    config = load_config(config_path)
    # The answers are kept only when the invariance test needs them.
    answers: dict[int, pl.DataFrame] = {}
    keep = answers if config.invariance else None
    sums = {w.year: wave_sums(config, w, log, keep) for w in config.waves}
    pub, per_year, periods = publish(config, sums, read_record(config, log), log)
    tables = _tables(config, per_year, periods)
    if config.invariance:
        comparability = _invariance(config, per_year, answers, log)
        if comparability is not None:
            tables["invariance"] = comparability
    register = None
    if config.actions is not None:
        register, tables["action_effects"] = _action_tables(config, per_year)
        tables["actions"] = register
    staging = Path(tempfile.mkdtemp(prefix=f".{config.out.name}-", dir=_parent(config.out)))
    try:
        written = _write(config, tables, per_year, staging)
        store_files = _stage_store(config, sums, pub, register)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _replace(staging, config.out)
    for tmp, final in store_files:
        os.replace(tmp, final)
    return {k: [config.out / p.relative_to(staging) for p in v] for k, v in written.items()}


def _invariance(
    config: Config,
    per_year: dict[int, pl.DataFrame],
    answers: dict[int, pl.DataFrame],
    log: Callable[[str], None],
) -> pl.DataFrame | None:
    """Invariance across the top-level groups of the latest wave, from its answers, over
    the groups this run published at that level only (a blanked group leaves no trace)."""
    latest = max(per_year)
    top = config.by[0]
    if latest not in answers:
        log(f"note: invariance is not tested: {latest} was read from the store, not its answers")
        return None
    # Only groups the run published whole at that level: a group with any blanked measure
    # (blanked for a period, an earlier run or a unit below it) stays out altogether.
    level = per_year[latest].filter(pl.col("level") == 1)
    blanked = level.filter(pl.col("suppressed"))[top].unique()
    shown = level.filter(~pl.col(top).is_in(blanked.implode()))[top].unique()
    try:
        return invariance(
            answers[latest].filter(pl.col(top).is_in(shown.implode())),
            config.instrument,
            group=top,
            min_group=config.min_group,
            lang=config.lang,
        )
    except EstimationError as e:
        log(f"note: invariance is not tested: {e}")
        return None


def _parent(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent


def _tables(
    config: Config, per_year: dict[int, pl.DataFrame], periods: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    years = sorted(per_year)
    tables = {f"estimates_{y}": published(t) for y, t in per_year.items()}
    tables.update({f"estimates_{_slug(n)}": published(t) for n, t in periods.items()})
    series = trend(per_year, unit_map=config.unit_map or None)
    tables["trend"] = published(series)
    # Power before acting: the change each published group's next wave can show.
    tables["detectable_change"] = detectable_change(published(per_year[years[-1]]))
    if len(years) >= 2:
        change = compare_waves(
            per_year[years[-2]], per_year[years[-1]], unit_map=config.unit_map.get(years[-1])
        )
        # Rows compared in both waves (a status without a change says why a row was not).
        tables["change"] = change.filter(pl.col("change").is_not_null())
    if config.targets:
        tables["targets"] = targets(series, _goals(config.targets, series, config.by))
    return tables


def _write(
    config: Config,
    tables: dict[str, pl.DataFrame],
    per_year: dict[int, pl.DataFrame],
    out: Path,
) -> dict[str, list[Path]]:
    written: dict[str, list[Path]] = {"tables": [], "figures": [], "html": []}
    for name, table in tables.items():
        for fmt in config.formats:
            path = out / f"{name}.{fmt}"
            write_table(_as_text(table), path)
            written["tables"].append(path)
    change = tables.get("change")
    if change is not None:
        written["figures"] = _figures(tables["trend"], change, out, config)
    years = sorted(per_year)
    if "xlsx" in config.formats:  # the workbook people read, beside the analysis tables
        path = out / f"rapport_{years[-1]}.xlsx"
        latest_two = {str(y): per_year[y] for y in years[-2:]}
        written["tables"].append(
            write_report(
                latest_two,
                config.instrument,
                path,
                lang=config.lang,
                invariance=tables.get("invariance"),
                actions=tables.get("action_effects"),
            )
        )
    earlier = per_year[years[-2]] if len(years) > 1 else None
    written["html"] = write_pages(
        per_year[years[-1]],
        config.instrument,
        out / "html",
        by=config.by,
        earlier=earlier,
        year=years[-1],
        lang=config.lang,
        invariance=tables.get("invariance"),
        actions=tables.get("action_effects"),
        detectable=tables.get("detectable_change"),
    )
    return written


def _as_text(table: pl.DataFrame) -> pl.DataFrame:
    """List columns (an action's measures, the comparison units) as text, which every
    table format can hold."""
    lists = [c for c, t in table.schema.items() if isinstance(t, pl.List)]
    return table.with_columns(pl.col(c).list.join(", ") for c in lists)


def _stage_store(
    config: Config,
    sums: dict[int, pl.DataFrame],
    pub: Publication,
    register: pl.DataFrame | None = None,
) -> list[tuple[Path, Path]]:
    """New years' sums, the record and the action register as this run read it, written
    beside their final names (moved in last)."""
    if config.store is None:
        return []
    folder = config.store / config.instrument.id
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for year, s in sums.items():
            final = store_path(config.store, config.instrument.id, year)
            if not final.exists():
                staged.append((final.with_name(final.name + ".tmp"), final))
                s.write_parquet(staged[-1][0])
        final = folder / RELEASED
        staged.append((final.with_name(final.name + ".tmp"), final))
        staged[-1][0].write_text(record_json(pub), encoding="utf-8")
        if register is not None:
            final = folder / ACTIONS_STORED
            staged.append((final.with_name(final.name + ".tmp"), final))
            register.write_parquet(staged[-1][0])
    except BaseException:  # a full disk: nothing half-written stays in the store
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return staged


def _replace(staging: Path, out: Path) -> None:
    """Moves the finished folder into place; the old one is removed only after."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
