"""lyhord followup: the scripted yearly run, its store, and that nothing suppressed leaks."""

import re

import lyhord as ly
import polars as pl
import pytest
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
    sums = pl.read_parquet(out.parent / "store" / "epl-staff" / "year=2025.parquet")
    latest = ly.estimate_from_sums(
        sums, "epl-staff", by=["forvaltning", "enhet"], min_group=min_group
    )
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
    change = pl.read_parquet(out / "change.parquet")
    assert change.height > 1000 and change["change"].null_count() == 0
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    assert pages.count("<li>") >= 5  # the significant changes are listed
    stored = tmp_path / "store" / "epl-staff" / "year=2024.parquet"
    before = stored.stat().st_mtime_ns
    run(tmp_path, 5)
    assert stored.stat().st_mtime_ns == before  # the old wave was read, not recomputed
    status = pl.read_csv(out / "targets.csv")["status"].to_list()
    assert status == ["met"]  # the 2025 EPL index is 71.2, the target 70


def test_stored_sums_publish_a_new_grouping_without_the_answers(tmp_path, capsys):
    run(tmp_path, 5)
    # The answers are gone (an unreadable source): the stored sums are enough for a
    # coarser grouping and another minimum group size.
    config = tmp_path / "followup.toml"
    text = CONFIG.format(min_group=12).replace(
        'by = ["forvaltning", "enhet"]', 'by = ["forvaltning"]'
    )
    config.write_text(text.replace('= "example"', '= "gone.csv"'), encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    est = pl.read_csv(tmp_path / "out" / "estimates_2025.csv")
    assert "enhet" not in est.columns and set(est["min_group"]) == {12}
    direct = ly.estimate(ly.example_data("staff", year=2025), "epl-staff", by="forvaltning")
    got = est.filter(pl.col("measure") == "epl", pl.col("level") == 1).sort("forvaltning")
    want = direct.filter(pl.col("measure") == "epl", pl.col("level") == 1).sort("forvaltning")
    assert got["mean"].to_list() == pytest.approx(want["mean"].to_list(), abs=1e-9)
    # a finer grouping than the store holds cannot be made from it, and the error says so
    config.write_text(
        text.replace('by = ["forvaltning"]', 'by = ["forvaltning", "enhet", "kon"]'),
        encoding="utf-8",
    )
    assert cli.main(["followup", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "year=2024.parquet" in err and "`by` column `kon`" in err
    assert "Delete the stored year" in err


def test_unit_map_in_the_config_follows_a_renamed_unit(tmp_path):
    renamed = ly.example_data("staff", year=2025).with_columns(
        pl.col("enhet").replace({"Hemtjänst Norr": "Hemtjänst Nord"})
    )
    renamed.write_csv(tmp_path / "staff_2025.csv")
    text = CONFIG.format(min_group=5).replace('2025 = "example"', '2025 = "staff_2025.csv"')
    text += '\n[unit_map.2025]\n"Hemtjänst Norr" = "Hemtjänst Nord"\n'
    (tmp_path / "followup.toml").write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(tmp_path / "followup.toml")]) == 0
    trend = pl.read_parquet(tmp_path / "out" / "trend.parquet")
    nord = trend.filter(pl.col("enhet") == "Hemtjänst Nord", pl.col("measure") == "epl")
    assert nord["year"].to_list() == [2024, 2025]
    assert nord["mapping"].to_list() == ["renamed from Hemtjänst Norr", None]
    change = pl.read_parquet(tmp_path / "out" / "change.parquet")
    row = change.filter(pl.col("enhet") == "Hemtjänst Nord", pl.col("measure") == "epl")
    assert row["mapping"].to_list() == ["renamed from Hemtjänst Norr"]


def test_bad_config_names_the_file(tmp_path, capsys):
    config = tmp_path / "followup.toml"
    config.write_text('instrument = "epl-staff"\n', encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 2
    assert "followup.toml: the config needs `by`" in capsys.readouterr().err
