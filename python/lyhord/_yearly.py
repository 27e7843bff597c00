"""The scripted yearly run: ``lyhord followup --config followup.toml``.

The config (TOML)::

    instrument = "epl-staff"            # built-in name or a .toml instrument
    by = ["forvaltning", "enhet"]       # organisational levels, top first
    out = "followup"                    # output folder (relative to the config)
    store = "store"                     # optional: estimates per year kept as parquet
    formats = ["csv", "parquet"]        # tables written as (csv, xlsx, parquet)
    min_group = 5                       # optional, default the instrument's

    [waves]                             # year = answers file, or "example" for Exempelkommun
    2024 = "staff_2024.csv"
    2025 = "staff_2025.csv"

    [headcounts]                        # optional, per year: the by columns + headcount
    2025 = "headcounts_2025.csv"

    [unit_map.2025]                     # optional: reorganisations, by the first year
    "Hemtjänst Norr" = "Hemtjänst Nord" # of the new organisation (renamed; for a merger
    "Björkskolan" = "Björk-Söder"       # name both parts, for a split give a list)
    "Söderskolan F-6" = "Björk-Söder"

    [[targets]]                         # optional
    forvaltning = "Socialförvaltningen"
    measure = "epl"
    target = 74
    year = 2027

The store keeps each year's **sums** (see :func:`lyhord.summarise`: unsuppressed sufficient
statistics per unit, as private as the answers) under ``store/<instrument>/year=YYYY.parquet``.
A year already in the store is read from it instead of the answers, so adding a wave does
not recompute the old ones, and ``by`` (coarser), ``min_group`` or headcounts can change
without the old answers (delete a year's file to summarise it again). Output: the estimates
per year, ``change`` (latest two waves), ``trend``, ``targets``, figures, and one HTML
page per förvaltning that shows only published groups.
"""

from __future__ import annotations

import html
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

import polars as pl

from . import _api
from ._followup import compare_waves, targets, trend
from ._lyhord import DataError, LyhordError
from .datasets import example_data, headcounts


def store_path(store: Path, instrument_id: str, year: int) -> Path:
    return store / instrument_id / f"year={year}.parquet"


def load_config(path: Path) -> dict:
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LyhordError(f"{path}: cannot read the follow-up config: {e}") from e
    for key in ("instrument", "by", "waves"):
        if key not in config:
            raise LyhordError(f"{path}: the config needs `{key}` (see `lyhord followup --help`)")
    if not config["waves"]:
        raise LyhordError(f"{path}: `[waves]` lists no year")
    return config


def _answers(source: str, year: int, base: Path) -> pl.DataFrame:
    if source == "example":
        return example_data("staff", year=year)
    from .cli import read_table

    return read_table(base / source)


def _headcounts(config: dict, year: int, base: Path) -> pl.DataFrame | None:
    source = config.get("headcounts", {}).get(str(year))
    if source is None:
        return None
    if source == "example":
        return headcounts(year=year)
    from .cli import read_table

    return read_table(base / source)


def estimates_per_year(config: dict, base: Path) -> dict[int, pl.DataFrame]:
    """Each wave's published estimates, made from its sums: read from the store when the
    year is there, else summarised from the answers (and stored)."""
    inst = _api.resolve_instrument(config["instrument"])
    store = base / config["store"] if "store" in config else None
    out = {}
    for key, source in sorted(config["waves"].items(), key=lambda kv: int(kv[0])):
        year = int(key)
        stored = store_path(store, inst.id, year) if store else None
        if stored and stored.exists():
            sums = _stored_sums(stored, config["by"])
        else:
            sums = _api.summarise(_answers(source, year, base), inst, by=config["by"])
            if stored:
                stored.parent.mkdir(parents=True, exist_ok=True)
                sums.write_parquet(stored)
        out[year] = _api.estimate_from_sums(
            sums,
            inst,
            by=config["by"],
            min_group=config.get("min_group"),
            headcounts=_headcounts(config, year, base),
        )
    return out


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


def published(table: pl.DataFrame) -> pl.DataFrame:
    """Only rows of groups that are not suppressed: what a report may show."""
    return table.filter(~pl.col("suppressed"))


def forvaltning_page(
    name: str, latest: pl.DataFrame, change: pl.DataFrame | None, year: int
) -> str:
    """One förvaltning's page: its units' index and dimensions, and the change since the
    previous wave. Suppressed groups are left out entirely; a line says how many."""
    units = latest.filter(pl.col("forvaltning") == name, pl.col("kind") != "item")
    shown = published(units)
    group_col = "enhet" if "enhet" in units.columns else "forvaltning"
    n_hidden = (
        units.select(group_col)
        .unique()
        .join(shown.select(group_col).unique(), on=group_col, how="anti", nulls_equal=True)
        .height
    )
    wide = shown.pivot(on="measure", index=group_col, values="mean", aggregate_function=None)
    # Only groups published in both waves are compared (compare_waves' status says so).
    delta = (
        change.filter(
            pl.col("forvaltning") == name,
            pl.col("kind") != "item",
            pl.col("significant"),
        )
        if change is not None
        else pl.DataFrame()
    )
    rows = []
    for row in wide.sort(group_col, nulls_last=False).iter_rows(named=True):
        label = row[group_col] or f"{name} (hela förvaltningen)"
        cells = "".join(
            f"<td>{row[m]:.1f}</td>" if row[m] is not None else "<td></td>"
            for m in wide.columns[1:]
        )
        rows.append(f"<tr><th>{html.escape(str(label))}</th>{cells}</tr>")
    head = "".join(f"<th>{html.escape(m)}</th>" for m in wide.columns[1:])
    changes = [
        f"<li>{html.escape(str(r[group_col] or name))}, {html.escape(r['measure'])}: "
        f"{r['change']:+.1f} ({r['ci_low']:+.1f} till {r['ci_high']:+.1f})</li>"
        for r in delta.iter_rows(named=True)
    ]
    return (
        "<!doctype html><html lang='sv'><meta charset='utf-8'>"
        f"<title>{html.escape(name)} {year}</title>"
        f"<h1>{html.escape(name)}, {year}</h1>"
        f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
        f"<p>{n_hidden} grupper visas inte: för få svar.</p>"
        f"<h2>Säkra förändringar sedan föregående år</h2><ul>{''.join(changes)}</ul></html>"
    )


def _figures(series: pl.DataFrame, change: pl.DataFrame, out: Path, index_id: str) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    from .plot import intervals, trend_lines

    paths = []
    fig = trend_lines(series, measure=index_id).figure
    fig.tight_layout()
    paths.append(out / "trend.png")
    fig.savefig(paths[-1], dpi=110)
    units = change.filter(
        pl.col("level") == change["level"].max(),
        pl.col("measure") == index_id,
        pl.col("ci_low").is_not_null(),
    ).sort("change")
    ax = intervals(units, value="change")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"change in {index_id} per unit, 95 % CI")
    ax.figure.tight_layout()
    paths.append(out / "change.png")
    ax.figure.savefig(paths[-1], dpi=110)
    plt.close("all")
    return paths


def run(config_path: Path) -> dict[str, list[Path]]:
    """Runs the follow-up described by ``config_path``; returns what was written."""
    from .cli import write_table

    config = load_config(config_path)
    base = config_path.parent
    out = base / config.get("out", "followup")
    out.mkdir(parents=True, exist_ok=True)
    inst = _api.resolve_instrument(config["instrument"])
    per_year = estimates_per_year(config, base)
    years = sorted(per_year)
    tables = {f"estimates_{y}": published(t) for y, t in per_year.items()}
    unit_map = _unit_map(config, config_path)
    series = trend(per_year, unit_map=unit_map or None)
    tables["trend"] = published(series)
    change = None
    if len(years) >= 2:
        change = compare_waves(
            per_year[years[-2]], per_year[years[-1]], unit_map=unit_map.get(years[-1])
        )
        # Rows compared in both waves (a status without a change says why a row was not).
        tables["change"] = change.filter(pl.col("change").is_not_null())
    if config.get("targets"):
        tables["targets"] = targets(series, _goals(config["targets"], series))
    written: dict[str, list[Path]] = {"tables": [], "figures": [], "html": []}
    for name, table in tables.items():
        for fmt in config.get("formats", ["csv"]):
            path = out / f"{name}.{fmt}"
            write_table(table, path)
            written["tables"].append(path)
    if change is not None:
        written["figures"] = _figures(series, change, out, inst.index_id)
    latest = per_year[years[-1]]
    for name in latest["forvaltning"].drop_nulls().unique().sort():
        page = out / "html" / f"{_slug(name)}.html"
        page.parent.mkdir(exist_ok=True)
        page.write_text(forvaltning_page(name, latest, change, years[-1]), encoding="utf-8")
        written["html"].append(page)
    return written


def _unit_map(config: dict, path: Path) -> dict[int, dict]:
    """``[unit_map.<year>]`` tables as ``{year: {earlier: later}}``."""
    out = {}
    for key, mapping in config.get("unit_map", {}).items():
        if not (str(key).isdigit() and isinstance(mapping, dict)):
            raise LyhordError(
                f"{path}: `unit_map` takes one table per year of the new organisation, e.g. "
                '[unit_map.2025] "Old name" = "New name"; got unit_map.' + str(key)
            )
        out[int(key)] = mapping
    return out


def _goals(rows: list[dict], series: pl.DataFrame) -> pl.DataFrame:
    group = series.columns[series.columns.index("year") + 1 : series.columns.index("measure")]
    cols = [c for c in group if c != "level"]
    records = []
    for r in rows:
        level = sum(1 for c in cols if r.get(c) is not None)
        records.append({"level": level, **{c: r.get(c) for c in cols}, **r})
    schema = {"level": pl.UInt32, **dict.fromkeys(cols, pl.String)}
    return pl.DataFrame(records, schema_overrides=schema)


def _slug(name: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in name)
    return "-".join(part for part in keep.split("-") if part)
