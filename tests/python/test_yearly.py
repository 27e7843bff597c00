"""lyhord followup: the scripted yearly run, its store, and that nothing suppressed leaks."""

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from lyhord import cli

CONFIG = """
instrument = "epl-staff"
by = ["forvaltning", "enhet"]
out = "out"
store = "store"
formats = ["csv", "parquet"]
min_group = {min_group}

[waves]
2024 = "example"
2025 = "example"

[[targets]]
measure = "epl"
target = 70
year = 2027
"""


def run(tmp_path, min_group):
    config = tmp_path / "followup.toml"
    config.write_text(CONFIG.format(min_group=min_group), encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    return tmp_path / "out"


@settings(max_examples=6, deadline=None)
@given(st.integers(3, 40))
def test_no_suppressed_group_appears_in_any_output(tmp_path_factory, min_group):
    out = run(tmp_path_factory.mktemp("fu"), min_group)
    latest = pl.read_parquet(out.parent / "store" / "epl-staff" / "year=2025.parquet")
    units = latest.filter(pl.col("level") == 2)
    shown_anywhere = units.group_by("enhet").agg(pl.col("suppressed").all().alias("hidden"))
    hidden = shown_anywhere.filter(pl.col("hidden"))["enhet"].to_list()
    assert min_group < 5 or hidden, "a high min_group must hide some units"
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    for name in hidden:
        assert not re.search(rf"<th>{re.escape(name)}</th>|<li>{re.escape(name)},", pages)
    for table in out.glob("*.parquet"):
        df = pl.read_parquet(table)
        if "suppressed" in df.columns:
            assert not df["suppressed"].any(), table
        # A unit hidden in 2025 may be published in 2024 (and in the trend's 2024 row), but
        # not in this year's table nor in the change, which needs both years.
        if table.stem in ("estimates_2025", "change"):
            assert not set(df.filter(pl.col("level") == 2)["enhet"]) & set(hidden), table


def test_stored_waves_are_reused_and_outputs_are_complete(tmp_path):
    out = run(tmp_path, 5)
    names = {p.name for p in out.iterdir()}
    assert {"trend.csv", "change.parquet", "targets.csv", "trend.png", "change.png"} <= names
    stored = tmp_path / "store" / "epl-staff" / "year=2024.parquet"
    before = stored.stat().st_mtime_ns
    run(tmp_path, 5)
    assert stored.stat().st_mtime_ns == before  # the old wave was read, not recomputed
    status = pl.read_csv(out / "targets.csv")["status"].to_list()
    assert status == ["met"]  # the 2025 EPL index is 71.2, the target 70


def test_bad_config_names_the_file(tmp_path, capsys):
    config = tmp_path / "followup.toml"
    config.write_text('instrument = "epl-staff"\n', encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 2
    assert "followup.toml: the config needs `by`" in capsys.readouterr().err
