"""The action register, action effects as a user meets them (Exempelkommun, errors, the
yearly run, the pages) and what they may show of blanked units. The estimator's numbers
against independent references are in test_action_effects_reference.py."""

from __future__ import annotations

import datetime as dt
import re

import lyhord as ly
import polars as pl
import pytest
from lyhord import cli

BY = ["forvaltning", "enhet"]
YEARS = (2023, 2024, 2025, 2026)


@pytest.fixture(scope="module")
def answers() -> dict[int, pl.DataFrame]:
    return {y: ly.example_data("staff", year=y) for y in YEARS}


def estimates_of(answers: dict[int, pl.DataFrame]) -> dict[int, pl.DataFrame]:
    return {
        y: ly.estimate(a, "hme", by=BY, headcounts=ly.headcounts(year=y))
        for y, a in answers.items()
    }


@pytest.fixture(scope="module")
def estimates(answers) -> dict[int, pl.DataFrame]:
    return estimates_of(answers)


@pytest.fixture(scope="module")
def effects(estimates) -> pl.DataFrame:
    return ly.action_effects(estimates, ly.example_data("actions"), "hme")


def register(**row) -> pl.DataFrame:
    base = {
        "enhet": "VA-enheten",
        "action": "Ledarskapsutbildning",
        "start": dt.date(2025, 11, 3),
        "measures": "ledarskap",
    }
    return pl.DataFrame([{**base, **row}])


def check(estimates, reg) -> pl.DataFrame:
    return ly.actions(reg, "hme", units=estimates, waves=YEARS)


# ---- the register


def test_the_example_register_is_checked_and_placed_between_waves(estimates):
    reg = check(estimates, ly.example_data("actions"))
    assert reg.height == 19 and reg["row"].to_list() == list(range(1, 20))
    lead = reg.filter(action="Ledarskapsutbildning")
    # started November 2025 to January 2026: after the 2025 wave (fielded 1 October)
    assert set(lead["base_wave"]) == {2025} and set(lead["first_wave"]) == {2026}
    goals = reg.filter(action="Målbild på APT")
    assert set(goals["base_wave"]) == {2024} and set(goals["first_wave"]) == {2025}
    assert reg.filter(enhet="Bygglov")["forvaltning"].item() == "Samhällsbyggnadsförvaltningen"


def test_a_row_naming_a_forvaltning_covers_its_units_and_labels_are_measures(estimates):
    reg = pl.DataFrame(
        {
            "forvaltning": ["Kultur- och fritidsförvaltningen"],
            "action": ["Medarbetarsamtal"],
            "start": ["2025-03-01"],
            "measures": ["Styrning; hme4, Ledarskap"],
        }
    )
    out = check(estimates, reg)
    # its units published in some wave: one never shown is not revealed by the expansion
    leaf = pl.concat(
        t.filter(pl.col("level") == 2, forvaltning="Kultur- och fritidsförvaltningen")
        for t in estimates.values()
    )
    shown = leaf.filter(~pl.col("suppressed"))["enhet"].unique()
    never = set(leaf["enhet"]) - set(shown)
    assert sorted(out["enhet"]) == sorted(shown) and never  # e.g. Fritidsbanken (3 employees)
    assert not set(out["enhet"]) & never
    assert out["measures"][0].to_list() == ["styrning", "hme4", "ledarskap"]
    assert set(out["first_wave"]) == {2025}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"enhet": "Hemtjänst Östr"},
            "register row 1, column `enhet`: `Hemtjänst Östr` is not a unit of the estimates "
            "(did you mean `Hemtjänst Öster`?)",
        ),
        (
            {"measures": "ledarskapet"},
            "register row 1, column `measures`: `ledarskapet` is not a measure of hme (did you "
            "mean `ledarskap`?); use a dimension (motivation, ledarskap, styrning), `hme` or an "
            "item id",
        ),
        ({"measures": " "}, "register row 1, column `measures`: empty; name the dimension(s)"),
        (
            {"start": "3/11/2025"},
            "register row 1, column `start`: '3/11/2025' is not a date; write it as YYYY-MM-DD",
        ),
        (
            {"start": dt.date(2023, 5, 1)},
            "register row 1, column `start`: 2023-05-01 is before the first wave (2023, fielded "
            "2023-10-01): there is no measurement before the action to compare with",
        ),
        (
            {"start": dt.date(2026, 11, 1)},
            "register row 1, column `start`: 2026-11-01 is after the last wave (2026, fielded "
            "2026-10-01): nothing is measured after it yet",
        ),
        ({"action": ""}, "register row 1, column `action`: empty; name the action"),
        ({"enhet": None}, "register row 1: names no unit; fill in `forvaltning` or `enhet`"),
        (
            {"budget": 3},
            "register column `budget` is neither a unit column (by: forvaltning, enhet) nor one "
            "of action, start, measures, intensity, cost, note",
        ),
    ],
)
def test_a_bad_register_row_is_named_with_its_fix(estimates, row, message):
    with pytest.raises(ly.DataError) as e:
        check(estimates, register(**row))
    assert message in str(e.value)


def test_a_unit_registered_twice_for_one_action_names_both_rows(estimates):
    twice = pl.concat([register(), register(measures="styrning")])
    with pytest.raises(ly.DataError, match=r"register rows 1 and 2 both register"):
        check(estimates, twice)


def test_a_register_without_a_needed_column_says_which(estimates):
    with pytest.raises(ly.DataError, match="the register has no column `start`"):
        check(estimates, register().drop("start"))


def test_fieldwork_is_checked_as_a_keyword(estimates):
    with pytest.raises(ly.ArgumentError, match="parameter `fieldwork` must be the month and day"):
        ly.actions(register(), "hme", units=estimates, waves=YEARS, fieldwork="13-01")
    # a spring survey: the November start is before the 2026 wave, as in autumn
    spring = ly.actions(register(), "hme", units=estimates, waves=YEARS, fieldwork="03-15")
    assert spring.select("base_wave", "first_wave").row(0) == (2025, 2026)
    early = register(start=dt.date(2025, 2, 1))
    assert ly.actions(early, "hme", waves=YEARS, fieldwork="03-15")["first_wave"].item() == 2025


def test_a_register_is_read_from_csv_and_toml(tmp_path, estimates):
    csv = tmp_path / "atgarder.csv"
    ly.example_data("actions").write_csv(csv, separator=";")
    from_csv = check(estimates, csv)
    assert from_csv.equals(check(estimates, ly.example_data("actions")))
    toml = tmp_path / "atgarder.toml"
    toml.write_text(
        '[[action]]\nenhet = "VA-enheten"\naction = "Ledarskapsutbildning"\n'
        'start = 2025-11-03\nmeasures = ["ledarskap"]\ncost = 42000\n',
        encoding="utf-8",
    )
    got = check(estimates, toml)
    assert got.select("enhet", "first_wave", "cost").row(0) == ("VA-enheten", 2026, 42000.0)
    assert got["measures"][0].to_list() == ["ledarskap"]
    (tmp_path / "bad.toml").write_text('[actions]\nenhet = "x"\n', encoding="utf-8")
    with pytest.raises(ly.DataError, match=r"give one \[\[action\]\] table per row"):
        check(estimates, tmp_path / "bad.toml")
    with pytest.raises(ly.LyhordError, match="no such file"):
        check(estimates, tmp_path / "saknas.csv")


def test_the_input_register_is_not_modified(estimates):
    raw = ly.example_data("actions")
    before = raw.clone()
    check(estimates, raw)
    ly.action_effects(estimates, raw, "hme")
    assert raw.equals(before)


# ---- effects on Exempelkommun


def test_every_action_gets_each_view_with_its_comparison(effects):
    views = effects.group_by("action", "view").len().sort("action", "view")
    assert views.rows() == [
        ("Ledarskapsutbildning", "effect", 1),
        ("Ledarskapsutbildning", "event", 3),  # 2023, 2024 (before) and 2026 against 2025
        # motivation and styrning, and their statements hme1–3 and hme7–9
        ("Ledarskapsutbildning", "placebo", 8),
        ("Ledarskapsutbildning", "unit", 9),
        ("Målbild på APT", "effect", 1),
        ("Målbild på APT", "event", 3),
        ("Målbild på APT", "placebo", 8),
        ("Målbild på APT", "unit", 7),
    ]
    lead = effects.filter(action="Ledarskapsutbildning", view="event").sort("wave")
    assert lead["event_time"].to_list() == [-3, -2, 0]
    pooled = effects.filter(action="Ledarskapsutbildning", view="effect").row(0, named=True)
    # the pooled row is the event row of the only wave after the start
    assert pooled["estimate"] == pytest.approx(lead["estimate"][-1], abs=1e-12)
    assert len(pooled["units"]) == pooled["treated_units"] == 9
    assert len(pooled["comparison"]) == pooled["comparison_units"]
    # no unit with a leadership action is its own comparison
    assert not set(pooled["comparison"]) & set(
        ly.example_data("actions").filter(action="Ledarskapsutbildning")["enhet"]
    )


def test_the_sentence_is_swedish_with_decimal_commas_and_english_on_request(estimates, effects):
    row = effects.filter(action="Ledarskapsutbildning", view="effect").row(0, named=True)
    x, lo, hi = (
        f"{v:.1f}".replace(".", ",") for v in (row["estimate"], row["ci_low"], row["ci_high"])
    )
    assert row["sentence"] == f"Ledarskap steg {x} ({lo} till {hi}) mer än i jämförbara enheter"
    null = effects.filter(action="Målbild på APT", view="effect").row(0, named=True)
    assert null["sentence"].startswith("Styrning: ingen säker skillnad mot jämförbara enheter (")
    en = ly.action_effects(estimates, ly.example_data("actions"), "hme", lang="en")
    row = en.filter(action="Ledarskapsutbildning", view="effect").row(0, named=True)
    assert re.fullmatch(
        r"Leadership rose \d+\.\d \(\d+\.\d to \d+\.\d\) more than in comparable units",
        row["sentence"],
    ), row["sentence"]


def test_unit_intervals_hold_jointly_over_the_actions_units(effects):
    """Bonferroni over the action's m units: each interval at 1 − 0.05/m, p times m."""
    from scipy import stats

    units = effects.filter(action="Ledarskapsutbildning", view="unit")
    m = units.height
    for row in units.iter_rows(named=True):
        q = stats.t.ppf(1 - 0.05 / m / 2, row["df"])
        assert row["ci_high"] - row["estimate"] == pytest.approx(q * row["se"], rel=1e-9)
        raw = 2 * stats.t.sf(abs(row["estimate"] / row["se"]), row["df"])
        assert row["p"] == pytest.approx(min(1.0, m * raw), rel=1e-9)


def test_only_units_published_in_every_needed_wave_take_part(estimates, effects):
    """Familjerätten (about six employees) is blanked: it has no row, the note counts it."""
    leaf = {
        y: t.filter(pl.col("level") == 2, ~pl.col("suppressed"), measure="ledarskap")
        for y, t in estimates.items()
    }
    lead = ly.example_data("actions").filter(action="Ledarskapsutbildning")["enhet"].to_list()
    published = [u for u in lead if all(u in set(leaf[y]["enhet"]) for y in (2025, 2026))]
    assert "Familjerätten" not in published and len(published) < len(lead)
    rows = effects.filter(action="Ledarskapsutbildning", view="unit")
    assert sorted(rows["enhet"]) == sorted(published)
    pooled = effects.filter(action="Ledarskapsutbildning", view="effect").row(0, named=True)
    missing = len(lead) - len(published)
    assert pooled["note"] == (
        f"{missing} av åtgärdens {len(lead)} enheter ingår inte (visas inte alla år som behövs)"
    )
    shown = set(leaf[2025]["enhet"]) & set(leaf[2026]["enhet"])
    assert set(pooled["comparison"]) <= shown


def test_the_effects_read_nothing_of_a_blanked_row(estimates, effects):
    """Whatever stood in the blanked rows (numbers the engine never publishes), every
    number and word of the effects stays: they are made of published cells only."""
    garbage = {
        y: t.with_columns(
            pl.when("suppressed").then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
            for c, v in (("mean", 99.0), ("se", 0.01), ("sd", 1.0), ("n", 10_000))
        )
        for y, t in estimates.items()
    }
    assert any(t.filter("suppressed").height for t in garbage.values())
    assert ly.action_effects(garbage, ly.example_data("actions"), "hme").equals(effects)


def test_too_few_comparison_units_is_a_row_with_the_reason(estimates):
    fx = ly.action_effects(estimates, register(), "hme", min_comparison=500, placebo=False)
    row = fx.filter(view="effect").row(0, named=True)
    assert row["estimate"] is None and row["sentence"] is None
    assert row["note"].startswith("inget resultat: 1 enhet med åtgärden och ")
    with pytest.raises(
        ly.ArgumentError, match="`min_comparison` must be a whole number ≥ 2, got 1"
    ):
        ly.action_effects(estimates, register(), "hme", min_comparison=1)
    with pytest.raises(ly.ArgumentError, match="at least two years"):
        ly.action_effects({2026: estimates[2026]}, register(), "hme")


def test_estimates_grouped_differently_are_refused(estimates):
    other = dict(estimates)
    other[2024] = ly.estimate(ly.example_data("staff", year=2024), "hme", by="enhet")
    with pytest.raises(ly.DataError, match=r"the 2024 table is grouped by \[enhet\]"):
        ly.action_effects(other, register(), "hme")


# ---- power before acting


def test_detectable_change_blanks_stay_blank_and_a_census_sees_everything(estimates):
    d = ly.detectable_change(estimates[2025])
    t = estimates[2025]
    assert d.height == t.height
    blank = d.filter(pl.Series(t["suppressed"]))
    assert blank["detectable"].null_count() == blank.height > 0
    assert blank["n"].null_count() == blank.height
    # smaller units need bigger changes to be seen
    units = d.filter(pl.col("level") == 2, measure="hme").drop_nulls("detectable")
    assert units.select(pl.corr("n", "detectable", method="spearman")).item() < -0.8
    census = t.filter(pl.col("level") == 0).with_columns(headcount=pl.col("n"))
    assert ly.detectable_change(census)["detectable"].to_list() == [0.0] * census.height


def test_detectable_change_options_are_checked():
    t = ly.estimate(ly.example_data("staff", year=2025), "hme", by="forvaltning")
    with pytest.raises(ly.ArgumentError, match="`response_rate` needs headcounts"):
        ly.detectable_change(t, response_rate=0.8)
    with pytest.raises(ly.ArgumentError, match="parameter `power` must be between 0 and 1"):
        ly.detectable_change(t, power=80)
    lower = ly.detectable_change(t, power=0.5)["detectable"]
    assert (lower < ly.detectable_change(t)["detectable"]).all()


# ---- the yearly run


FOLLOWUP = """
instrument = "hme"
by = ["forvaltning", "enhet"]
out = "ut"
store = "store"
formats = ["csv", "xlsx"]
{actions}

[waves]
2023 = "example"
2024 = "example"
2025 = "example"
2026 = "example"

[headcounts]
2025 = "example"
2026 = "example"
"""


def followup(tmp_path, actions: str):
    config = tmp_path / "followup.toml"
    config.write_text(FOLLOWUP.format(actions=actions), encoding="utf-8")
    return config


def test_the_yearly_run_writes_effects_pages_and_keeps_the_register(tmp_path):
    ly.example_data("actions").write_csv(tmp_path / "atgarder.csv")
    config = followup(tmp_path, 'actions = "atgarder.csv"')
    assert cli.main(["followup", "--config", str(config)]) == 0
    out = tmp_path / "ut"
    effects = pl.read_csv(out / "action_effects.csv")
    pooled = effects.filter(view="effect", action="Ledarskapsutbildning").row(0, named=True)
    assert pooled["ci_low"] > 0 and pooled["sentence"].startswith("Ledarskap steg")
    assert (out / "actions.csv").is_file() and (out / "action_effects.xlsx").is_file()
    sheet = pl.read_excel(
        out / "rapport_2026.xlsx", sheet_name="Åtgärder och utfall", read_options={"header_row": 4}
    )
    first = sheet.row(0, named=True)
    assert first["Enhet"] == "Alla enheter med åtgärden" and first["Jämfört med"] == "2025"
    assert first["Slutsats"] == pooled["sentence"]
    assert first["Skillnad mot jämförbara enheter"] == pytest.approx(pooled["estimate"], abs=0.051)
    goals = sheet.filter(pl.col("Åtgärd") == "Målbild på APT")
    assert goals["Mätt"][0] == "2025–2026" and goals.height == 1 + 7
    stored = pl.read_parquet(tmp_path / "store" / "hme" / "actions.parquet")
    assert stored.height == 19 and stored.schema["measures"] == pl.List(pl.String)
    page = (out / "html" / "2-socialförvaltningen-hemtjänst-öster.html").read_text("utf-8")
    section = page[page.index("<h2>Åtgärder och utfall</h2>") :]
    assert "Ledarskapsutbildning (9 enheter, 2026 jämfört med 2025): Ledarskap steg" in section
    assert "Hemtjänst Öster: Ledarskap" in section
    assert "Målbild på APT" not in section.split("</ul>")[0]  # not this unit's action
    # power before acting: the published groups' detectable change, and a line per page
    power = pl.read_csv(out / "detectable_change.csv")
    mine = power.filter(enhet="Hemtjänst Öster", measure="hme")["detectable"].item()
    x = f"{mine:.1f}".replace(".", ",")
    assert f"Nästa mätning kan visa en förändring av HME totalindex på {x} poäng" in page
    assert set(power["enhet"].drop_nulls()) <= set(pl.read_csv(out / "estimates_2026.csv")["enhet"])
    # the published tables, not the answers: a unit blanked in the run has no effect row
    blanked = pl.read_csv(out / "estimates_2026.csv").filter(pl.col("level") == 2)["enhet"]
    for name in effects.filter(view="unit")["enhet"]:
        assert name in set(blanked)


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ('[actions]\nfile = "atgarder.csv"\nfieldwork = "10-32"', "[actions] `fieldwork` must"),
        ('[actions]\nfil = "atgarder.csv"', "[actions]: unknown option `fil`; the options are"),
        ("[actions]\nfieldwork = '03-01'", '[actions]: give the register as file = "…"'),
        ("actions = 5", "`actions` must be the action register: a file, or a table"),
        ('actions = "saknas.csv"', "[actions] (saknas.csv): no such file; check the path"),
    ],
)
def test_the_actions_config_is_strict(tmp_path, capsys, actions, message):
    config = followup(tmp_path, actions)
    assert cli.main(["followup", "--config", str(config), "--check"]) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_a_bad_register_row_stops_the_run_before_anything_is_written(tmp_path, capsys):
    register(enhet="VA-enhet").write_csv(tmp_path / "atgarder.csv")
    config = followup(tmp_path, 'actions = "atgarder.csv"')
    assert cli.main(["followup", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert (
        "[actions] (atgarder.csv): register row 1, column `enhet`: `VA-enhet` is not a unit "
        "of the estimates (did you mean `VA-enheten`?)"
    ) in err, err
    assert not (tmp_path / "ut").exists() and not (tmp_path / "store").exists()


def test_the_earlier_trend_is_a_third_covariate(estimates):
    """trend=True: the same HC2 fit with each unit's 2024→2025 change beside its 2025 level
    and ln n (reference: statsmodels OLS(...).fit(cov_type="HC2") on the published cells)."""
    import numpy as np
    import statsmodels.api as sm

    fx = ly.action_effects(estimates, ly.example_data("actions"), "hme", trend=True)
    row = fx.filter(view="effect", action="Ledarskapsutbildning").row(0, named=True)
    cells = {
        y: dict(
            estimates[y]
            .filter(pl.col("level") == 2, ~pl.col("suppressed"), measure="ledarskap")
            .select("enhet", pl.struct("mean", "n"))
            .iter_rows()
        )
        for y in (2024, 2025, 2026)
    }
    lead = set(ly.example_data("actions").filter(action="Ledarskapsutbildning")["enhet"])
    units = [u for u in cells[2025] if u in cells[2024] and u in cells[2026]]
    assert sorted(row["units"]) == sorted(u for u in units if u in lead)
    assert sorted(row["comparison"]) == sorted(u for u in units if u not in lead)
    change = np.array([cells[2026][u]["mean"] - cells[2025][u]["mean"] for u in units])
    covariates = np.array(
        [
            [
                cells[2025][u]["mean"],
                np.log(cells[2025][u]["n"]),
                cells[2025][u]["mean"] - cells[2024][u]["mean"],
            ]
            for u in units
        ]
    )
    treated = np.array([u in lead for u in units], dtype=float)
    x = np.column_stack([np.ones(len(units)), treated, covariates - covariates.mean(0)])
    fit = sm.OLS(change, x).fit(cov_type="HC2")
    assert row["estimate"] == pytest.approx(fit.params[1], rel=1e-10)
    assert row["se"] == pytest.approx(fit.bse[1], rel=1e-10)
    plain = ly.action_effects(estimates, ly.example_data("actions"), "hme")
    assert row["estimate"] != pytest.approx(
        plain.filter(view="effect", action="Ledarskapsutbildning")["estimate"][0], abs=1e-6
    )


def test_units_sharing_a_name_are_told_apart_by_their_whole_key(answers):
    """Two förvaltningar each with a "Kansliet": the comparison names both by their key."""
    rename = pl.col("enhet").replace("Barn- och utbildningskansliet", "Kansliet")
    renamed = {y: ly.estimate(a.with_columns(rename), "hme", by=BY) for y, a in answers.items()}
    fx = ly.action_effects(renamed, ly.example_data("actions"), "hme", placebo=False)
    names = fx.filter(view="effect", action="Ledarskapsutbildning")["comparison"][0].to_list()
    # (Kommunledningsförvaltningen's Kansliet is blanked in 2026, so it takes no part)
    assert "Barn- och utbildningsförvaltningen / Kansliet" in names
    assert all(" / " in name for name in names)


def test_a_renamed_unit_keeps_its_line_through_the_unit_map(answers, estimates, effects):
    """Hemtjänst Öster is Hemtjänst Östra from 2026 (and so in the register): without the
    map it takes no part (the note counts it); with it, every number is as before."""
    rename = pl.col("enhet").replace("Hemtjänst Öster", "Hemtjänst Östra")
    renamed = dict(estimates)
    renamed[2026] = ly.estimate(
        answers[2026].with_columns(rename),
        "hme",
        by=BY,
        headcounts=ly.headcounts(year=2026).with_columns(rename),
    )
    register = ly.example_data("actions").with_columns(rename)
    plain = ly.action_effects(renamed, register, "hme")
    row = plain.filter(view="effect", action="Ledarskapsutbildning").row(0, named=True)
    assert row["treated_units"] == 8 and row["note"].startswith("3 av åtgärdens 11")
    mapped = ly.action_effects(
        renamed, register, "hme", unit_map={2026: {"Hemtjänst Öster": "Hemtjänst Östra"}}
    )
    same = [c for c in effects.columns if c not in ("enhet", "units", "comparison")]
    assert mapped.select(same).equals(effects.select(same))
    assert "Hemtjänst Östra" in mapped.filter(view="unit")["enhet"].to_list()


# ---- registers as municipalities write them, and what the review found


def test_an_excel_register_with_date_cells_and_swedish_headers(tmp_path, estimates):
    import xlsxwriter

    path = tmp_path / "åtgärder.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, name in enumerate(["Enhet", "Åtgärd", "Startdatum", "Mått", "Kostnad"]):
        sheet.write_string(0, col, name)
    sheet.write_string(1, 0, "VA-enheten")
    sheet.write_string(1, 1, "Ledarskapsutbildning")
    sheet.write_datetime(1, 2, dt.datetime(2025, 11, 3), dates)
    sheet.write_string(1, 3, "Ledarskap")
    sheet.write_number(1, 4, 42000)
    book.close()
    reg = ly.actions(path, "hme", units=estimates, by=["forvaltning", "enhet"])
    assert reg.select("enhet", "start", "first_wave", "cost").row(0) == (
        "VA-enheten",
        dt.date(2025, 11, 3),
        2026,
        42000.0,
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[action]]\nenhet = "VA-enheten"\naction = "Kurs"\nstart = 2025-11-03T08:00:00\n'
            'measures = ["ledarskap"]\ncost = "okänd"\n',
            "register row 1, column `cost`: 'okänd' is not a number; write it without units",
        ),
        (
            '[[action]]\nenhet = "VA-enheten"\naction = 5\nstart = 2025-11-03\nmeasures = "x"\n',
            "register row 1, column `action`: 5 is not a text; name the action",
        ),
        (
            '[[action]]\nenhet = "VA-enheten"\naction = "Kurs"\nstart = 2025-11-03\nmeasures = 5\n',
            "register row 1, column `measures`: 5 is not a measure",
        ),
        (
            'titel = "Åtgärder"\n[[action]]\nenhet = "VA-enheten"\n',
            "unknown key `titel`; give one [[action]] table per row",
        ),
        (
            '[[action]]\nenhet = "VA-enhet"\naction = "Kurs"\nstart = 2025-11-03\n'
            'measures = "ledarskap"\n',
            "atgarder.toml: register row 1, column `enhet`: `VA-enhet` is not a unit",
        ),
    ],
)
def test_a_bad_toml_register_names_the_file_row_and_fix(tmp_path, estimates, toml, message):
    path = tmp_path / "atgarder.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ly.DataError) as e:
        check(estimates, path)
    assert message in str(e.value)


def test_a_toml_datetime_is_its_date(tmp_path, estimates):
    path = tmp_path / "atgarder.toml"
    path.write_text(
        '[[action]]\nenhet = "VA-enheten"\naction = "Kurs"\nstart = 2025-11-03T08:00:00\n'
        'measures = "ledarskap"\n',
        encoding="utf-8",
    )
    assert check(estimates, path)["start"].to_list() == [dt.date(2025, 11, 3)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"start": None}, "column `start`: empty; give the date the action started"),
        ({"cost": "42 000 kr"}, "column `cost`: '42 000 kr' is not a number"),
    ],
)
def test_more_bad_rows(estimates, row, message):
    with pytest.raises(ly.DataError, match=re.escape(message)):
        check(estimates, register(**row))


def test_an_enhet_name_two_forvaltningar_share_needs_its_forvaltning(answers):
    rename = pl.col("enhet").replace("Barn- och utbildningskansliet", "Kansliet")
    tables = {y: ly.estimate(a.with_columns(rename), "hme", by=BY) for y, a in answers.items()}
    with pytest.raises(ly.DataError) as e:
        ly.actions(register(enhet="Kansliet"), "hme", units=tables)
    assert str(e.value) == (
        "register row 1: `Kansliet` is a unit of several forvaltning (Barn- och "
        "utbildningsförvaltningen, Kommunledningsförvaltningen); fill in `forvaltning` to say "
        "which"
    )
    named = register(enhet="Kansliet", forvaltning="Kommunledningsförvaltningen")
    assert ly.actions(named, "hme", units=tables).height == 1


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({"fieldwork": "02-29"}, ly.ArgumentError, "(not 02-29)"),
        ({"waves": "2025"}, ly.ArgumentTypeError, "parameter `waves` must be a list of years"),
        ({"waves": ["a"]}, ly.ArgumentError, "parameter `waves` must be a list of years"),
        ({"by": ["enhet"]}, ly.ArgumentError, "parameter `by` must be the first grouping"),
    ],
)
def test_bad_keywords_are_named(estimates, keywords, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ly.actions(register(), "hme", units=estimates, **{"waves": YEARS, **keywords})


def test_units_grouped_differently_are_refused(estimates):
    mixed = {2025: estimates[2025], 2024: ly.estimate(ly.example_data("staff", year=2024), "hme")}
    with pytest.raises(ly.DataError, match="the estimate tables are grouped differently"):
        ly.actions(register(), "hme", units=mixed)


def test_lazy_estimates_are_collected(estimates, effects):
    lazy = {y: t.lazy() for y, t in estimates.items()}
    assert ly.action_effects(lazy, ly.example_data("actions"), "hme").equals(effects)


def test_a_background_breakdown_is_not_a_unit_when_by_says_so(answers, estimates, effects):
    tables = {
        y: ly.estimate(a, "hme", by=BY, background="kon", headcounts=ly.headcounts(year=y))
        for y, a in answers.items()
    }
    fx = ly.action_effects(tables, ly.example_data("actions"), "hme", by=BY)
    # the same as on the unit rows alone (the breakdown changes what is blanked, so not
    # the same numbers as a table without it)
    units = {y: t.filter(pl.col("level") <= 2).drop("kon") for y, t in tables.items()}
    alone = ly.action_effects(units, ly.example_data("actions"), "hme")
    assert "kon" not in fx.columns and fx.equals(alone)


def test_the_event_view_is_not_fitted_away_by_the_trend(estimates):
    fx = ly.action_effects(estimates, ly.example_data("actions"), "hme", trend=True)
    events = fx.filter(view="event", action="Ledarskapsutbildning").sort("wave")
    plain = ly.action_effects(estimates, ly.example_data("actions"), "hme")
    assert events["se"].min() > 0.5  # the 2024 row is a real placebo, not 0 ± 1e-16
    same = plain.filter(view="event", action="Ledarskapsutbildning").sort("wave")
    assert events["estimate"].to_list() == same["estimate"].to_list()


def test_too_few_comparison_units_for_the_fit_is_a_note_not_a_crash(estimates):
    """With the trend the unit fit has 4 coefficients: 5 comparison units are too few."""
    keep = ["VA-enheten", "Gata och park", "Lokalvård", "Kostenheten", "IT-enheten", "SFI"]
    few = {
        y: t.filter((pl.col("level") < 2) | pl.col("enhet").is_in(keep))
        for y, t in estimates.items()
    }
    fx = ly.action_effects(few, register(), "hme", trend=True, placebo=False)
    unit = fx.filter(view="unit").row(0, named=True)
    assert unit["estimate"] is None and unit["comparison_units"] == 5
    assert unit["note"] == (
        "inget resultat: 1 enhet med åtgärden och 5 jämförbara visas; det behövs minst 1 och 6"
    )


def test_the_pages_say_what_the_comparison_was(tmp_path, estimates):
    fx = ly.action_effects(
        estimates, ly.example_data("actions"), "hme", confidence=0.9, adjust=False
    )
    pages = ly.write_pages(estimates[2026], "hme", tmp_path, by=BY, actions=fx, year=2026)
    text = pages[0].read_text(encoding="utf-8")
    assert "jämförs med enheter utan den, i poäng 0–100. Intervall 90 %" in text
    assert "nivå och storlek" not in text


def test_a_response_rate_counts_the_answers_to_the_measure(estimates):
    t = estimates[2025]
    row = t.filter(enhet="Hemtjänst Öster", measure="hme").row(0, named=True)
    rate = row["n_respondents"] / row["headcount"]
    d = ly.detectable_change(t, response_rate=rate).filter(enhet="Hemtjänst Öster", measure="hme")
    # today's response rate again: as many answers to the index as today
    assert d["n_next"].item() == row["n"]


def test_check_reads_the_register_against_by(tmp_path, capsys):
    """`--check` reads no answers but knows `by`: a register column that is not one of
    them is found before the run."""
    register(förvaltning="Samhällsbyggnadsförvaltningen").write_csv(tmp_path / "atgarder.csv")
    config = followup(tmp_path, 'actions = "atgarder.csv"')
    assert cli.main(["followup", "--config", str(config), "--check"]) == 2
    assert (
        "[actions] (atgarder.csv): register column `förvaltning` is neither a unit column (by: "
        "forvaltning, enhet)"
    ) in capsys.readouterr().err


def test_an_action_started_in_two_waves_is_shown_per_start_and_together(tmp_path, estimates):
    """Five units started the programme before the 2025 wave, the rest before 2026: one
    effect row per start, and one for the starts together (units-weighted, the SE as if
    the starts were perfectly correlated, the smaller df: conservative)."""
    reg = ly.example_data("actions").filter(action="Ledarskapsutbildning")
    early = ["Hemtjänst Öster", "Särskilt boende Almen", "Hemsjukvården", "Lindskolan F-6"]
    reg = reg.with_columns(
        start=pl.when(pl.col("enhet").is_in(early))
        .then(pl.lit(dt.date(2024, 11, 4)))
        .otherwise("start")
    )
    fx = ly.action_effects(estimates, reg, "hme", placebo=False)
    starts = fx.filter(view="effect").sort("first_wave", nulls_last=True)
    assert starts["first_wave"].to_list() == [2025, 2026, None]
    (a, b, both) = starts.iter_rows(named=True)
    weights = a["treated_units"], b["treated_units"]
    mean = (weights[0] * a["estimate"] + weights[1] * b["estimate"]) / sum(weights)
    se = (weights[0] * a["se"] + weights[1] * b["se"]) / sum(weights)
    assert both["estimate"] == pytest.approx(mean, rel=1e-12)
    assert both["se"] == pytest.approx(se, rel=1e-12)
    assert both["df"] == min(a["df"], b["df"])
    assert both["treated_units"] == sum(weights)
    assert both["note"].startswith("starterna mätta från 2025, 2026 tillsammans;")
    pages = ly.write_pages(estimates[2026], "hme", tmp_path, by=BY, actions=fx, year=2026)
    index = pages[0].read_text(encoding="utf-8")
    assert "Ledarskapsutbildning, starterna 2025 och 2026 tillsammans (9 enheter): " in index


# ---- the second review


def test_the_yearly_run_checks_the_register_in_the_latest_organisation(tmp_path, answers):
    """Hemtjänst Öster is Hemtjänst Ost from 2026; a row naming only its förvaltning covers
    the unit under its new name, and the old name is refused naming the unit map."""
    from lyhord import _yearly

    rename = pl.col("enhet").replace("Hemtjänst Öster", "Hemtjänst Ost")
    per_year = {
        y: ly.estimate(a.with_columns(rename) if y == 2026 else a, "hme", by=BY)
        for y, a in answers.items()
    }
    register(forvaltning="Socialförvaltningen", enhet=None).write_csv(tmp_path / "a.csv")
    config = tmp_path / "followup.toml"
    config.write_text(
        FOLLOWUP.format(actions='actions = "a.csv"')
        + '\n[unit_map.2026]\n"Hemtjänst Öster" = "Hemtjänst Ost"\n',
        encoding="utf-8",
    )
    reg, fx = _yearly._action_tables(_yearly.load_config(config), per_year)
    assert "Hemtjänst Ost" in reg["enhet"].to_list()
    assert "Hemtjänst Ost" in fx.filter(view="effect")["units"][0].to_list()
    register(enhet="Hemtjänst Öster").write_csv(tmp_path / "a.csv")
    with pytest.raises(ly.DataError) as e:
        _yearly._action_tables(_yearly.load_config(config), per_year)
    assert str(e.value).startswith("[actions] (a.csv): register row 1, column `enhet`: ")
    assert str(e.value).endswith("(units are named as in the latest wave, after [unit_map])")


def test_a_start_without_a_result_is_named_beside_the_starts_together(estimates):
    reg = ly.example_data("actions").filter(action="Ledarskapsutbildning")
    early = ["Hemtjänst Öster", "Särskilt boende Almen", "Hemsjukvården", "Lindskolan F-6"]
    reg = reg.with_columns(
        start=pl.when(pl.col("enhet").is_in(early))
        .then(pl.lit(dt.date(2024, 11, 4)))
        .when(pl.col("enhet") == "VA-enheten")
        .then(pl.lit(dt.date(2023, 11, 6)))
        .otherwise("start")
    )
    fx = ly.action_effects(estimates, reg, "hme", placebo=False)
    both = fx.filter(pl.col("view") == "effect", pl.col("first_wave").is_null()).row(0, named=True)
    assert both["note"] == (
        "starterna mätta från 2025, 2026 tillsammans; intervallet är försiktigt beräknat "
        "eftersom starterna delar jämförbara enheter; starten mätt från 2024 ingår inte "
        "(inget resultat)"
    )


def test_excel_day_numbers_beside_typed_dates_and_numbers_that_are_not_dates(tmp_path, estimates):
    import xlsxwriter

    path = tmp_path / "register.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for col, name in enumerate(["enhet", "action", "start", "measures"]):
        sheet.write_string(0, col, name)
    starts = [dt.datetime(2025, 11, 3), "2025-11-17", 20251103]
    for row, (unit, start) in enumerate(
        zip(["VA-enheten", "IT-enheten", "SFI"], starts, strict=True), 1
    ):
        sheet.write_string(row, 0, unit)
        sheet.write_string(row, 1, "Kurs")
        if isinstance(start, dt.datetime):
            sheet.write_datetime(row, 2, start, book.add_format({"num_format": "yyyy-mm-dd"}))
        elif isinstance(start, str):
            sheet.write_string(row, 2, start)
        else:
            sheet.write_number(row, 2, start)
        sheet.write_string(row, 3, "ledarskap")
    book.close()
    with pytest.raises(ly.DataError) as e:
        check(estimates, path)
    assert str(e.value).endswith(
        "register row 3, column `start`: '20251103' is not a date; write it as YYYY-MM-DD, "
        "e.g. 2025-11-03"
    ) or str(e.value).endswith(
        "register row 3, column `start`: 20251103 is not a date; write it as YYYY-MM-DD, "
        "e.g. 2025-11-03"
    ), str(e.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Kommentar": "a", "Anteckning": "b"}, "columns `Kommentar` and `Anteckning` both say"),
        ({"cost": "42,000"}, "column `cost`: '42,000' is not a number"),
        ({"start": "2025-11-30 till 2025-12-15"}, "column `start`: '2025-11-30 till"),
    ],
)
def test_lenient_reading_stops_where_a_value_is_ambiguous(estimates, changes, message):
    with pytest.raises(ly.DataError, match=re.escape(message)):
        check(estimates, register(**changes))


def test_english_headers_in_any_case(estimates):
    reg = register(cost=42000).rename({"action": "Action", "start": "Start", "cost": "Cost"})
    assert check(estimates, reg).select("action", "cost").row(0) == (
        "Ledarskapsutbildning",
        42000.0,
    )


def test_a_forvaltning_row_with_no_published_unit_stays_as_written(estimates):
    hidden = {
        y: t.with_columns(
            suppressed=pl.col("suppressed")
            | (
                (pl.col("level") == 2)
                & (pl.col("forvaltning") == "Kultur- och fritidsförvaltningen")
            )
        )
        for y, t in estimates.items()
    }
    row = register(forvaltning="Kultur- och fritidsförvaltningen", enhet=None)
    out = ly.actions(row, "hme", units=hidden, waves=YEARS)
    assert out.select("forvaltning", "enhet").rows() == [("Kultur- och fritidsförvaltningen", None)]


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({"unit_map": 5}, ly.ArgumentTypeError, "parameter `unit_map` must be a mapping"),
    ],
)
def test_bad_effect_keywords_are_named(estimates, keywords, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ly.action_effects(estimates, register(), "hme", **keywords)
    with pytest.raises(ly.ArgumentError, match="the key 10000 is not a year"):
        ly.action_effects({**estimates, 10000: estimates[2026]}, register(), "hme")
    with pytest.raises(ly.ArgumentError, match="parameter `waves` must be a list of years"):
        ly.actions(register(), "hme", waves=[2025, 10000])


def test_a_group_where_everyone_answers_is_told_so(tmp_path, estimates):
    t = estimates[2026]
    census = t.with_columns(headcount=pl.col("n"))
    d = ly.detectable_change(census)
    pages = ly.write_pages(census, "hme", tmp_path, by=BY, detectable=d, year=2026)
    assert "Här svarar alla: nästa mätning visar varje förändring av HME totalindex" in (
        pages[0].read_text(encoding="utf-8")
    )
