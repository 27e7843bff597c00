"""lyhord followup: the scripted yearly run, its store, and that nothing suppressed leaks."""

import json
import re
from pathlib import Path

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from attacker import MEASURES, Knowledge, atoms_of, interval, matching
from hypothesis import HealthCheck, example, given, settings
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
        # listed on its förvaltning's page with nothing but blank marks, never its own page
        for row in re.findall(rf"<tr><th scope='row'>{re.escape(name)}</th>(.*?)</tr>", pages):
            assert set(re.findall(r"<td>(.*?)</td>", row)) == {"–"}, (name, row)
        assert not re.search(rf"<h1>{re.escape(name)}", pages)
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
    assert re.search(r"<td>[+−]\d+,\d\*</td>", pages)  # a significant change, starred
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


# ---- real exports: Swedish labels, Förvaltning/Enhet headers, a mapping -----------------------

HME_TEXTS = {
    f"hme{i + 1}": t
    for i, t in enumerate(
        [
            "Mitt arbete känns meningsfullt",
            "Jag lär nytt och utvecklas i mitt dagliga arbete",
            "Jag ser fram emot att gå till arbetet",
            "Min närmaste chef visar uppskattning för mina arbetsinsatser",
            "Min närmaste chef visar förtroende för mig som medarbetare",
            "Min närmaste chef ger mig förutsättningar att ta ansvar i mitt arbete",
            "Jag är insatt i min arbetsplats mål",
            "Jag tycker att vår verksamhet följs upp och utvärderas på ett bra sätt",
            "Jag vet vad som förväntas av mig i mitt arbete",
        ]
    )
}
LABELS = {
    1: "Stämmer mycket dåligt",
    2: "Stämmer ganska dåligt",
    3: "Stämmer varken bra eller dåligt",
    4: "Stämmer ganska bra",
    5: "Stämmer mycket bra",
}
#: A local header the instrument does not know: mapped in mapping.toml.
LOCAL_HEADER = "Chefen visar uppskattning"


def swedish_export(year: int, path, *, blank_unit: str | None = None) -> pl.DataFrame:
    """Exempelkommun's staff survey as a survey tool exports it: semicolons, cp1252, Swedish
    headers and item texts, answers as labels, "Vet ej" for some. Returns the answers as
    lyhord's own columns (for the reference estimate)."""
    data = ly.example_data("staff", year=year)
    if blank_unit:
        data = data.with_columns(
            pl.when(pl.col("enhet") == blank_unit).then(None).otherwise("enhet").alias("enhet")
        )
    rng = np.random.default_rng(year)
    dont_know = pl.Series(rng.random(data.height) < 0.03)
    export = data.select(
        pl.col("respondent_id").alias("Respondent-ID"),
        pl.col("forvaltning").alias("Förvaltning"),
        pl.col("enhet").alias("Enhet"),
        pl.col("kon").alias("Kön"),
        *[
            pl.col(item).replace_strict(LABELS, default=None).alias(text)
            for item, text in HME_TEXTS.items()
        ],
    )
    export = export.with_columns(
        pl.when(dont_know)
        .then(pl.lit("Vet ej"))
        .otherwise(pl.col(HME_TEXTS["hme9"]))
        .alias(HME_TEXTS["hme9"])
    ).rename({HME_TEXTS["hme4"]: LOCAL_HEADER})
    path.write_bytes(export.write_csv(separator=";").encode("cp1252"))
    answers = data.with_columns(
        pl.when(dont_know).then(None).otherwise(pl.col("hme9")).alias("hme9")
    )
    return answers.rename({"forvaltning": "Förvaltning", "enhet": "Enhet"})


SWEDISH = """
instrument = "HME"
by = ["Förvaltning", "Enhet"]
out = "uppfoljning"
store = "store"
formats = ["csv", "parquet"]
mapping = "mapping.toml"

[waves]
2024 = "medarbetarenkat_2024.csv"
2025 = {{ file = "medarbetarenkat_2025.csv", id = "Respondent-ID", encoding = "cp1252" }}
{extra}
"""


def swedish_setup(tmp_path, extra="", blank_unit=None):
    answers = {
        y: swedish_export(y, tmp_path / f"medarbetarenkat_{y}.csv", blank_unit=blank_unit)
        for y in (2024, 2025)
    }
    (tmp_path / "mapping.toml").write_text(
        f'[columns]\n"{LOCAL_HEADER}" = "hme4"\n', encoding="utf-8"
    )
    config = tmp_path / "followup.toml"
    config.write_text(SWEDISH.format(extra=extra), encoding="utf-8")
    return config, answers


def test_a_swedish_label_export_runs_with_no_hand_conversion(tmp_path, capsys):
    config, answers = swedish_setup(tmp_path)
    assert cli.main(["followup", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    # each wave's import report, naming the year and file
    assert "2024: medarbetarenkat_2024.csv: 4" in err and "2025: medarbetarenkat_2025.csv" in err
    out = tmp_path / "uppfoljning"
    got = pl.read_parquet(out / "estimates_2025.parquet")
    want = ly.estimate(answers[2025], "hme", by=["Förvaltning", "Enhet"])
    key = ["level", "Förvaltning", "Enhet", "measure"]
    joined = got.join(published_rows(want), on=key, how="full", nulls_equal=True)
    assert joined.height == published_rows(want).height == got.height
    assert joined["mean"].to_list() == pytest.approx(joined["mean_right"].to_list(), abs=1e-9)
    pages = {p.name for p in (out / "html").glob("*.html")}
    assert {"index.html", "1-socialförvaltningen.html"} <= pages
    # with xlsx among the formats, the workbook people read: a sheet per year and level
    text = config.read_text(encoding="utf-8").replace(
        'formats = ["csv", "parquet"]', 'formats = ["xlsx"]'
    )
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    book = pl.read_excel(tmp_path / "uppfoljning" / "rapport_2025.xlsx", sheet_id=0)
    assert any(name.startswith("2025") for name in book) and any("2024" in n for n in book)
    assert (tmp_path / "store" / "hme" / "released.json").exists()


def published_rows(table):
    return table.filter(~pl.col("suppressed"))


def test_a_wave_that_cannot_be_read_names_its_year_and_file(tmp_path, capsys):
    config, _ = swedish_setup(tmp_path)
    (tmp_path / "mapping.toml").write_text("[columns]\n", encoding="utf-8")  # hme4 unmapped
    assert cli.main(["followup", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lyhord: error: [waves] 2024 (medarbetarenkat_2024.csv): ")
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("by", [["Enhet"], ["Förvaltning", "Enhet", "Kön"]])
def test_any_grouping_columns_and_a_blank_unit_name(tmp_path, by):
    config, answers = swedish_setup(tmp_path, blank_unit="Hemtjänst Norr")
    text = config.read_text(encoding="utf-8").replace(
        'by = ["Förvaltning", "Enhet"]', f"by = {json.dumps(by, ensure_ascii=False)}"
    )
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    out = tmp_path / "uppfoljning"
    est = pl.read_parquet(out / "estimates_2025.parquet")
    assert est.columns[: len(by) + 1] == ["level", *by]
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "html").glob("*.html"))
    # Hemtjänst Norr's answers (a large unit) are published under a readable label
    assert "(enhet saknas)" in pages
    assert "Hemtjänst Norr" not in pages
    if by == ["Enhet"]:
        names = [p.name for p in (out / "html").glob("*.html")]
        assert "index.html" in names and all(n.startswith(("index", "1-")) for n in names)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("min_grupp = 3", "unknown key `min_grupp`; the keys are instrument, by, waves"),
        ('format = ["xlsx"]', "unknown key `format`;"),
        ('formats = ["xls"]', "`formats`: unknown format 'xls'; use csv, xlsx, parquet"),
        ('min_group = "5"', "`min_group` must be a whole number ≥ 1, got '5'"),
        ("min_group = 0", "`min_group` must be a whole number ≥ 1, got 0"),
        ('invariance = "yes"', "`invariance` must be true or false, got 'yes'"),
        ('[periods]\n"2024-25" = [2024]', '[periods] "2024-25" must list at least two years'),
        ('[periods]\n"2023-25" = [2023, 2025]', '[periods] "2023-25" names 2023, not a wave'),
    ],
)
def test_the_config_is_strict(tmp_path, capsys, line, message):
    config, _ = swedish_setup(tmp_path)
    text = config.read_text(encoding="utf-8")
    if line.startswith("formats"):
        text = text.replace('formats = ["csv", "parquet"]', line)
    else:
        text = text.replace("[waves]", line + "\n[waves]", 1)
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config), "--check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lyhord: error: {config}: ") and message in err, err


def test_a_wave_option_is_checked_by_name(tmp_path, capsys):
    config, _ = swedish_setup(tmp_path)
    text = config.read_text(encoding="utf-8").replace('id = "Respondent-ID"', 'idd = "x"')
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config), "--check"]) == 2
    assert "[waves] 2025: unknown option `idd`; the options are file, mapping" in (
        capsys.readouterr().err
    )


def test_check_validates_without_running(tmp_path, capsys):
    config, _ = swedish_setup(tmp_path)
    assert cli.main(["followup", "--config", str(config), "--check"]) == 0
    assert "config OK — instrument hme, by Förvaltning, Enhet, 2 wave(s)" in capsys.readouterr().out
    assert not (tmp_path / "uppfoljning").exists() and not (tmp_path / "store").exists()
    (tmp_path / "medarbetarenkat_2025.csv").unlink()
    assert cli.main(["followup", "--config", str(config), "--check"]) == 2
    assert "[waves] 2025 (medarbetarenkat_2025.csv): no such file" in capsys.readouterr().err


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_run_leaves_the_output_and_the_store_as_they_were(tmp_path, capsys):
    config, _ = swedish_setup(tmp_path)
    assert cli.main(["followup", "--config", str(config)]) == 0
    before = snapshot(tmp_path)
    # a headcount smaller than the answers fails late, after the waves were read
    hc = ly.headcounts(year=2025).rename({"forvaltning": "Förvaltning", "enhet": "Enhet"})
    small = pl.when(pl.col("Enhet") == "Hemtjänst Norr").then(1).otherwise(pl.col("headcount"))
    hc.with_columns(small.alias("headcount")).write_csv(tmp_path / "hc.csv")
    text = config.read_text(encoding="utf-8") + '\n[headcounts]\n2025 = "hc.csv"\n'
    config.write_text(text, encoding="utf-8")
    before[config.relative_to(tmp_path)] = config.read_bytes()
    before[Path("hc.csv")] = (tmp_path / "hc.csv").read_bytes()
    assert cli.main(["followup", "--config", str(config)]) == 2
    assert "Hemtjänst Norr" in capsys.readouterr().err
    assert snapshot(tmp_path) == before  # nothing half-written, no temporary folder left
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_the_store_has_a_version(tmp_path, capsys):
    config, _ = swedish_setup(tmp_path)
    assert cli.main(["followup", "--config", str(config)]) == 0
    record = tmp_path / "store" / "hme" / "released.json"
    raw = json.loads(record.read_text(encoding="utf-8"))
    assert raw["version"] == 2 and len(raw["record"]["tables"]) == 2
    # a rerun publishes the same tables: the record does not grow
    assert cli.main(["followup", "--config", str(config)]) == 0
    assert len(json.loads(record.read_text(encoding="utf-8"))["record"]["tables"]) == 2
    raw["version"] = 3
    record.write_text(json.dumps(raw), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["followup", "--config", str(config)]) == 2
    assert "store version 3 was written by a newer lyhord" in capsys.readouterr().err
    record.unlink()  # a store of an older lyhord: sums only
    assert cli.main(["followup", "--config", str(config)]) == 0
    assert "has no record of what earlier runs published" in capsys.readouterr().err


# ---- releases over time: the union of every run's outputs, attacked ---------------------------

RUNS = """
instrument = "HME"
by = ["forvaltning", "enhet"]
out = "out"
store = "store"
formats = ["parquet"]
min_group = {min_group}

[waves]
{waves}

[periods]
{periods}

{unit_map}
"""


def yearly_answers(rng, org, year, renamed):
    """One year's answers: unit sizes drawn around the organisation's, a renamed unit in
    the third year (the reorganisation the config's unit_map describes)."""
    units = []
    for i, sizes in enumerate(org):
        for j, n in enumerate(sizes):
            name = f"E{i}{j}"
            if year == 2025 and name in renamed:
                name = renamed[name]
            units.append((f"F{i}", name, max(0, n + int(rng.integers(-2, 3)))))
    return hme_answers(rng, units)


def hme_answers(rng, units):
    rows = []
    for forv, enhet, n in units:
        for _ in range(n):
            level = rng.integers(1, 6)
            row = {"forvaltning": forv, "enhet": enhet}
            for i in range(1, 10):
                v = int(min(5, max(1, level + rng.integers(-1, 2))))
                row[f"hme{i}"] = None if rng.random() < 0.1 else v
            rows.append(row)
    schema = {"forvaltning": pl.String, "enhet": pl.String}
    schema.update({f"hme{i}": pl.Int64 for i in range(1, 10)})
    return pl.DataFrame(rows, schema=schema)


def followup_runs(tmp_path, answers, min_group, renamed):
    """Three yearly runs (2023; 2023–24 with a pooled period; 2023–25 with another period
    and the reorganisation); every table each run published, as (frame, years)."""
    for year, data in answers.items():
        data.write_csv(tmp_path / f"staff_{year}.csv")
    plan = [
        ([2023], []),
        ([2023, 2024], [[2023, 2024]]),
        ([2023, 2024, 2025], [[2023, 2024], [2024, 2025]]),
    ]
    published = []
    for years, periods in plan:
        config = tmp_path / "followup.toml"
        unit_map = (
            "[unit_map.2025]\n" + "\n".join(f'"{a}" = "{b}"' for a, b in renamed.items())
            if 2025 in years and renamed
            else ""
        )
        config.write_text(
            RUNS.format(
                min_group=min_group,
                waves="\n".join(f'{y} = "staff_{y}.csv"' for y in years),
                periods="\n".join(f'"{p[0]}-{p[1]}" = {p}' for p in periods),
                unit_map=unit_map,
            ),
            encoding="utf-8",
        )
        assert cli.main(["followup", "--config", str(config)]) == 0
        for y in years:
            published.append((pl.read_parquet(tmp_path / "out" / f"estimates_{y}.parquet"), [y]))
        for p in periods:
            # a period the store's releases leave no room for is left out (and said so)
            path = tmp_path / "out" / f"estimates_{p[0]}-{p[1]}.parquet"
            if path.exists():
                published.append((pl.read_parquet(path), p))
    return published


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    org=st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=4), min_size=1, max_size=3),
    seed=st.integers(0, 10_000),
    min_group=st.integers(3, 7),
)
# HiGHS' presolve failed on this one's programme; the attacker now solves it without.
@example(org=[[7, 3, 11, 7]], seed=743, min_group=6)
def test_no_blank_is_pinned_by_everything_three_yearly_runs_published(
    tmp_path_factory, org, seed, min_group
):
    tmp_path = tmp_path_factory.mktemp("runs")
    rng = np.random.default_rng(seed)
    answers = {y: yearly_answers(rng, org, y, {}) for y in (2023, 2024)}
    # the reorganisation: E00 is renamed in 2025 (when it has someone in 2024 to rename)
    renamed = {"E00": "E00 ny"} if "E00" in answers[2024]["enhet"].to_list() else {}
    answers[2025] = yearly_answers(rng, org, 2025, renamed)
    if "E00 ny" not in answers[2025]["enhet"].to_list():
        renamed = {}  # nobody left in the renamed unit: no reorganisation to describe
    if any(a.height == 0 for a in answers.values()):
        return
    published = followup_runs(tmp_path, answers, min_group, renamed)
    data = pl.concat([a.with_columns(year=pl.lit(y)) for y, a in answers.items()])
    assert_nothing_pinned(data, published, min_group)


def assert_nothing_pinned(data, published, min_group):
    """Every (years, group) that has respondents but no published row, attacked with the
    union of all published rows: integer counts ≥ 0, ≥ 1 respondent in every group that
    exists (the attacker knows the organisation), every published n and sum."""
    columns = ["year", "forvaltning", "enhet"]
    knowledge = Knowledge(atoms_of(data, columns))
    by = ["forvaltning", "enhet"]
    visible = set()
    for table, years in published:
        for row in table.filter(pl.col("measure").is_in(MEASURES)).iter_rows(named=True):
            keys = {c: row[c] for c in by}
            ids = within_years(knowledge, columns, keys, years)
            visible.add((tuple(years), row["level"], *keys.values(), row["measure"]))
            knowledge.add("respondents", ids, "eq", row["n_respondents"])
            if row["n"] is not None:
                knowledge.add(f"n:{row['measure']}", ids, "eq", row["n"])
                if row["mean"] is not None:
                    knowledge.add(f"sum:{row['measure']}", ids, "eq", row["mean"] * row["n"])
    for a in range(len(knowledge.atoms)):
        knowledge.add("respondents", [a], "ge", 1)
    checked = 0
    for years in {tuple(y) for _, y in published}:
        members = data.filter(pl.col("year").is_in(list(years)))
        for (forv, enhet), group in members.group_by(["forvaltning", "enhet"]):
            for measure in MEASURES:
                if (years, 2, forv, enhet, measure) in visible:
                    continue
                ids = within_years(knowledge, columns, {"forvaltning": forv, "enhet": enhet}, years)
                true_n = group[measure].is_not_null().sum() if measure != "hme" else None
                if group.height < min_group:
                    low, high = interval(knowledge, "respondents", ids)
                    assert high - low >= min_group, (years, enhet, "respondents", low, high)
                if true_n:
                    low, high = interval(knowledge, f"sum:{measure}", ids)
                    assert high - low > 1e-6, (years, enhet, measure, "sum", low, high)
                checked += 1
    return checked


def within_years(knowledge, columns, keys, years):
    return [a for a in matching(knowledge.atoms, columns, keys) if knowledge.atoms[a][0] in years]


def test_pooled_years_published_apart_give_a_blank_back_and_the_followup_does_not(tmp_path, capsys):
    """The issue's finding: a pooled period minus one year's table gave back the other
    year's blanks. Seed 1, org [[5, 6, 9], [11, 0, 1]]: published as separate tables, E00's
    2024 respondents are pinned at 4 (min_group 5); through the follow-up's store, not."""
    rng = np.random.default_rng(1)
    org = [[int(x) for x in rng.integers(0, 12, size=3)] for _ in range(2)]
    assert org == [[5, 6, 9], [11, 0, 1]]
    answers = {y: yearly_answers(rng, org, y, {}) for y in (2023, 2024)}
    data = pl.concat([a.with_columns(year=pl.lit(y)) for y, a in answers.items()])

    def apart(frame):
        return ly.estimate(frame, "hme", by=["forvaltning", "enhet"], min_group=5).filter(
            ~pl.col("suppressed")
        )

    separate = [(apart(a), [y]) for y, a in answers.items()]
    separate.append((apart(pl.concat(list(answers.values()))), [2023, 2024]))
    with pytest.raises(AssertionError, match=r"\(2024,\), 'E00', 'respondents', 4.0, 4.0"):
        assert_nothing_pinned(data, separate, 5)
    answers[2025] = yearly_answers(rng, org, 2025, {})
    published = followup_runs(tmp_path, answers, 5, {})
    # every year in every run, each period (its blanks chosen with the new year's)
    assert [y for _, y in published] == [[2023], [2023], [2024], [2023, 2024]] + [
        [2023],
        [2024],
        [2025],
        [2023, 2024],
        [2024, 2025],
    ]
    assert "is not published" not in capsys.readouterr().err
    data = pl.concat([a.with_columns(year=pl.lit(y)) for y, a in answers.items()])
    assert assert_nothing_pinned(data, published, 5) > 20


def test_followup_help_shows_a_real_export_config_without_markup(capsys):
    assert cli.main(["followup", "--help"]) == 0
    text = capsys.readouterr().out
    assert 'by = ["Förvaltning", "Enhet"]' in text and "header_row = 3" in text
    assert '"2024-2025" = [2024, 2025]' in text and "--check" in text
    assert "``" not in text and ":func:" not in text


def test_an_excel_wave_with_a_title_block_and_numbered_questions(tmp_path, capsys):
    """2025 arrives as a report tool's workbook: a title in A1, an empty row, the header on
    row 3 with numbered questions ("1. Mitt arbete …"); read with the wave's options."""
    xlsxwriter = pytest.importorskip("xlsxwriter")
    config, answers = swedish_setup(tmp_path)
    csv = tmp_path / "medarbetarenkat_2025.csv"
    export = pl.read_csv(csv, separator=";", encoding="cp1252", infer_schema_length=0)
    numbered = {
        c: f"{i}. {c}"
        for i, c in enumerate([c for c in export.columns if c in HME_TEXTS.values()], 1)
    }
    export = export.rename(numbered)
    book = xlsxwriter.Workbook(tmp_path / "medarbetarenkat_2025.xlsx")
    sheet = book.add_worksheet("Svar")
    sheet.write(0, 0, "Medarbetarenkät 2025, Exempelkommun")
    for col, name in enumerate(export.columns):
        sheet.write(2, col, name)
        for row, value in enumerate(export[name].to_list(), start=3):
            if value is not None:
                sheet.write(row, col, value)
    book.close()
    text = config.read_text(encoding="utf-8").replace(
        'file = "medarbetarenkat_2025.csv", id = "Respondent-ID", encoding = "cp1252"',
        'file = "medarbetarenkat_2025.xlsx", sheet = "Svar", header_row = 3',
    )
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "2025: medarbetarenkat_2025.xlsx: 4698 respondents, 9 items" in err
    got = pl.read_parquet(tmp_path / "uppfoljning" / "estimates_2025.parquet")
    want = published_rows(ly.estimate(answers[2025], "hme", by=["Förvaltning", "Enhet"]))
    assert got.filter(level=0, measure="hme")["mean"].item() == pytest.approx(
        want.filter(level=0, measure="hme")["mean"].item(), abs=1e-9
    )


def test_a_period_that_cannot_be_protected_is_left_out_and_reported(tmp_path, capsys):
    """The years are always published; a period whose every partner would be a cell that
    is out already (org [[11, 7, 10]], min_group 5, third run: 2023's E01 hme mean would
    follow from 2023–24, 2024–25 and the years) is left out with a note, and nothing
    published pins a blank."""
    rng = np.random.default_rng(1000)
    n_forv = int(rng.integers(1, 4))
    org = [
        [int(x) for x in rng.integers(0, 13, size=int(rng.integers(2, 5)))] for _ in range(n_forv)
    ]
    min_group = int(rng.integers(3, 8))
    assert (org, min_group) == ([[11, 7, 10]], 5)
    answers = {y: yearly_answers(rng, org, y, {}) for y in (2023, 2024, 2025)}
    published = followup_runs(tmp_path, answers, min_group, {})
    err = capsys.readouterr().err
    assert 'note: period "2024-2025" is not published: the estimate table cannot be' in err
    assert "blanking the mean of hme of year=2023, forvaltning=F0, enhet=E01" in err
    assert [y for _, y in published] == [[2023], [2023], [2024], [2023, 2024]] + [
        [2023],
        [2024],
        [2025],
        [2023, 2024],
    ]
    data = pl.concat([a.with_columns(year=pl.lit(y)) for y, a in answers.items()])
    assert assert_nothing_pinned(data, published, min_group) > 0


def test_invariance_in_the_yearly_run_reaches_the_pages_and_the_workbook(tmp_path):
    """`invariance = true`: the latest wave's top-level groups (only those published) are
    tested, the table is written, and the pages and the workbook carry the verdicts."""
    text = CONFIG.format(min_group=5).replace(
        'formats = ["csv", "parquet"]', 'formats = ["csv", "xlsx"]\ninvariance = true'
    )
    config = tmp_path / "followup.toml"
    config.write_text(text, encoding="utf-8")
    assert cli.main(["followup", "--config", str(config)]) == 0
    out = tmp_path / "out"
    table = pl.read_csv(out / "invariance.csv")
    learning = table.filter(pl.col("dimension") == "learning")
    assert learning["verdict"][0].startswith("delvis jämförbar: ”Det finns tid")
    assert set(table["groups"]) == {5}
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    assert "Jämförbarhet mellan grupper – Lärande: delvis jämförbar" in index
    notes = pl.read_excel(out / "rapport_2025.xlsx", sheet_name="Förklaringar", has_header=False)
    assert "Jämförbarhet – Lärande" in notes[:, 0].to_list()
    # Read from the store the second time: no answers, so no invariance, said so.
    config.write_text(text, encoding="utf-8")
    lines = []
    ly._yearly.run(config, lines.append)
    assert any("invariance is not tested: 2025 was read from the store" in x for x in lines)
