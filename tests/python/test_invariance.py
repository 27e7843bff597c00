"""Measurement invariance (``ly.invariance``) against R lavaan, its privacy and its errors.

The multi-group kernel itself is checked on lavaan's ``HolzingerSwineford1939`` in
``tests/reliability.rs`` (the tutorial's configural, metric, scalar and strict models and a
partial model). Here the polars edge is checked: grouping, recoding, listwise complete
respondents, the table, the search for partial invariance, the verdicts, and that a
blanked group leaves no trace.
"""

from __future__ import annotations

import random
import shutil
import subprocess

import lyhord as ly
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

LEARNING = ["lar1", "lar2", "lar3", "lar4"]
FIT = ["chisq", "df", "cfi", "tli", "rmsea", "rmsea_low", "rmsea_high", "srmr"]


@pytest.fixture(scope="module")
def staff_2025() -> pl.DataFrame:
    return ly.example_data("staff", year=2025)


@pytest.fixture(scope="module")
def by_forvaltning(staff_2025) -> pl.DataFrame:
    return ly.invariance(staff_2025, "epl-staff", group="forvaltning")


def rows_of(table: pl.DataFrame, dimension: str) -> dict[tuple[str, str], dict]:
    rows = table.filter(dimension=dimension).iter_rows(named=True)
    return {(r["step"], r["outcome"]): r for r in rows}


# lavaan 0.6-14 (R 4.2.2) on the Exempelkommun answers of 2025 (ly.example_data("staff",
# year=2025)): the learning items' codes 1-5 ("vet ej" = 6 and skipped answers removed,
# complete respondents, 3,347 of them) with the förvaltning:
#   m <- "learning =~ lar1 + lar2 + lar3 + lar4"
#   cfa(m, data = d, group = "forvaltning", group.equal = e) for e in "", "loadings",
#   c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"), and the last two
#   with group.partial = "lar3~1";
#   sprintf("%.10g", fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea",
#     "rmsea.ci.lower", "rmsea.ci.upper", "srmr")))
# ML is invariant to each item's linear 1-5 → 0-100 scoring, so the fit is the same.
LAVAAN_LEARNING = {
    ("configural", "holds"): (4.700804894, 10, 1, 1.003377857, 0, 0, 0.01649683255, 0.004476960364),
    ("metric", "holds"): (15.03485482, 22, 1, 1.002018082, 0, 0, 0.01766336792, 0.01348794786),
    ("scalar", "fails"): (
        244.0624916,
        34,
        0.9553667428,
        0.9606177142,
        0.0960709187,
        0.08493476249,
        0.1075852376,
        0.05115116547,
    ),
    ("scalar", "partial"): (21.96336947, 30, 1, 1.001707592, 0, 0, 0.01645852467, 0.0166637343),
    ("strict", "holds"): (
        60.07984052,
        46,
        0.9970083705,
        0.9980489373,
        0.02138341664,
        0,
        0.03524400109,
        0.02518394375,
    ),
}


def test_learning_across_forvaltningar_matches_lavaan(by_forvaltning):
    rows = rows_of(by_forvaltning, "learning")
    assert list(rows) == list(LAVAAN_LEARNING)
    for key, want in LAVAAN_LEARNING.items():
        got = rows[key]
        assert got["n"] == 3347 and got["groups"] == 5
        for column, value in zip(FIT, want, strict=True):
            # lavaan's optimiser and uniroot leave ~1e-7 in the fit measures' last digits.
            assert got[column] == pytest.approx(value, abs=2e-7), (key, column)
    # The search freed lar3's intercept, as the generator planted it (Socialförvaltningen).
    assert rows[("scalar", "partial")]["freed"] == "lar3"
    assert rows[("scalar", "fails")]["freed"] is None
    scalar = rows[("scalar", "fails")]
    assert scalar["delta_df"] == 12
    assert scalar["delta_chisq"] == pytest.approx(244.0624916 - 15.03485482, abs=1e-6)
    assert scalar["delta_cfi"] == pytest.approx(0.9553667428 - 1, abs=1e-9)
    assert scalar["delta_p"] < 1e-30


def test_verdicts_name_the_item_and_where_it_differs(by_forvaltning):
    summary = by_forvaltning.unique("dimension", maintain_order=True)
    assert summary.select("dimension", "level", "comparable").rows() == [
        ("engagement", "strict", True),
        ("participation", "strict", True),
        ("learning", "partial strict", False),
    ]
    assert summary["verdict"].to_list() == [
        "jämförbar mellan grupperna",
        "jämförbar mellan grupperna",
        "delvis jämförbar: ”Det finns tid för reflektion i arbetsgruppen” fungerar olika "
        "(mest i Socialförvaltningen)",
    ]
    assert set(by_forvaltning["estimator"]) == {"ML"}
    assert by_forvaltning["across"].unique().to_list() == ["forvaltning"]


def test_english_verdicts_and_between_waves(staff_2025):
    both = pl.concat([ly.example_data("staff", year=2024), staff_2025])
    inv = ly.invariance(both, "epl-staff", group="forvaltning", waves="year", lang="en")
    assert inv["across"].unique(maintain_order=True).to_list() == ["forvaltning", "year"]
    years = inv.filter(across="year").unique("dimension", maintain_order=True)
    # The planted item differs between förvaltningar, not between years.
    assert years["comparable"].to_list() == [True, True, True]
    assert years["verdict"].to_list() == ["comparable across the groups"] * 3
    units = inv.filter(across="forvaltning", dimension="learning")
    assert units["verdict"][0] == (
        "partly comparable: “There is time for reflection in the team” works differently "
        "(most in Socialförvaltningen)"
    )


def test_lavaan_agrees_on_fresh_data_when_installed(tmp_path, staff_2025):
    """Differential: lavaan on the participation items of 2025 by kön (a different
    dimension, grouping and number of groups from the recorded test)."""
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    items = ["del1", "del2", "del3", "del4", "del5"]
    # Reverse keying (del5) and 0-100 scoring are linear per item: the ML fit is the same
    # on the raw codes.
    codes = staff_2025.select(
        "kon", *[pl.when(pl.col(c).is_between(1, 5)).then(pl.col(c)).alias(c) for c in items]
    ).drop_nulls()
    path = tmp_path / "d.csv"
    codes.write_csv(path)
    script = f"""
    suppressPackageStartupMessages(library(lavaan))
    d <- read.csv("{path}")
    m <- "f =~ del1 + del2 + del3 + del4 + del5"
    for (e in list("", "loadings", c("loadings", "intercepts"),
                   c("loadings", "intercepts", "residuals"))) {{
      f <- cfa(m, data = d, group = "kon", group.equal = e)
      cat(sprintf("%.12g", fitMeasures(f, c("chisq", "df", "cfi", "rmsea", "srmr"))), "\\n")
    }}
    """
    result = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
    if "there is no package called" in result.stderr:
        pytest.skip("R's lavaan package is not installed")
    assert result.returncode == 0, result.stderr
    want = [[float(x) for x in line.split()] for line in result.stdout.splitlines()]
    # Every kön group enters, as in R (the default asks 10 complete respondents per item).
    inv = ly.invariance(
        staff_2025, "epl-staff", group="kon", max_cfi_drop=1.0, min_respondents=1
    ).filter(dimension="participation")
    assert inv["n"][0] == codes.height and inv["groups"][0] == codes["kon"].n_unique()
    got = inv.filter(outcome="holds").select("chisq", "df", "cfi", "rmsea", "srmr").rows()
    assert len(got) == 4
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(tuple(w), abs=2e-7)


def test_a_blanked_group_leaves_no_trace(staff_2025):
    """A group the publication layer blanks is left out of every model: changing its
    answers (not which are given) leaves the whole table unchanged."""
    small = staff_2025.filter(pl.col("forvaltning") == "Kommunledningsförvaltningen").head(3)
    small = small.with_columns(forvaltning=pl.lit("Liten förvaltning"))
    data = pl.concat([staff_2025, small])
    flipped = pl.concat(
        [
            staff_2025,
            small.with_columns(
                pl.when(pl.col(c).is_between(1, 5)).then(6 - pl.col(c)).otherwise(c).alias(c)
                for c in LEARNING
            ),
        ]
    )
    first = ly.invariance(data, "epl-staff", group="forvaltning")
    second = ly.invariance(flipped, "epl-staff", group="forvaltning")
    assert first.equals(second)
    assert set(first["groups"]) == {5}
    assert "Liten förvaltning: blanked by the publication layer" in first["note"][0]
    # In a publication, a group blanked for another table's sake stays out here too: the
    # estimate table with its total blanks Kultur- och fritid beside Liten förvaltning.
    pub = ly.Publication(data, "epl-staff")
    table = pub.estimate(by="forvaltning")
    blanked = table.filter("suppressed", level=1)["forvaltning"].unique()
    assert sorted(blanked) == ["Kultur- och fritidsförvaltningen", "Liten förvaltning"]
    together = pub.invariance("forvaltning")
    assert set(together["groups"]) == {4}
    assert together["note"][0] == "left out: " + "; ".join(
        f"{g}: blanked by the publication layer" for g in sorted(blanked)
    )


def test_groups_with_too_few_complete_respondents_are_left_out(staff_2025):
    # Kommunledningsförvaltningen: 237 respondents (published at min_group=200), fewer of
    # them answered all four learning items; Kultur och fritid (205 respondents) has its
    # learning blanked by the publication layer (fewer than 200 answered it).
    inv = ly.invariance(staff_2025, "epl-staff", group="forvaltning", min_group=200)
    learning = inv.filter(dimension="learning")
    assert learning["note"][0] == (
        "left out: Kommunledningsförvaltningen: fewer complete respondents than the 200 a "
        "group needs; Kultur- och fritidsförvaltningen: blanked by the publication layer"
    )
    assert learning["groups"][0] == 3


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(staff_2025, seed):
    order = list(range(staff_2025.height))
    random.Random(seed).shuffle(order)
    shuffled = staff_2025[order]
    a = ly.invariance(staff_2025, "epl-staff", group="forvaltning").filter(dimension="learning")
    b = ly.invariance(shuffled, "epl-staff", group="forvaltning").filter(dimension="learning")
    assert a.select("step", "outcome", "freed", "verdict").equals(
        b.select("step", "outcome", "freed", "verdict")
    )
    assert a["chisq"].to_list() == pytest.approx(b["chisq"].to_list(), rel=1e-8)


def test_compare_waves_and_trend_carry_the_flag(staff_2025):
    both = pl.concat([ly.example_data("staff", year=2024), staff_2025])
    units = ly.invariance(both.filter(year=2025), "epl-staff", group="forvaltning")
    tables = {y: ly.estimate(both.filter(year=y), "epl-staff") for y in (2024, 2025)}
    change = ly.compare_waves(tables[2024], tables[2025], invariance=units)
    flags = dict(change.select("measure", "comparable").iter_rows())
    assert (flags["engagement"], flags["learning"], flags["epl"], flags["lar3"]) == (
        True,
        False,
        False,
        None,
    )
    assert change.filter(measure="learning")["invariance"][0].startswith("delvis jämförbar")
    series = ly.trend(tables, invariance=units)
    assert series.filter(measure="learning")["comparable"].to_list() == [False, False]
    with pytest.raises(ly.ArgumentError, match="lacks column `comparable`"):
        ly.trend(tables, invariance=units.drop("comparable"))


def test_bad_input_gets_clear_errors(staff_2025):
    with pytest.raises(ly.ArgumentError, match='group="forvaltning"'):
        ly.invariance(staff_2025, "epl-staff")
    with pytest.raises(ly.LyhordError, match="forvaltnig"):
        ly.invariance(staff_2025, "epl-staff", group="forvaltnig")
    with pytest.raises(ly.ArgumentError, match="parameter `model`"):
        ly.invariance(staff_2025, "epl-staff", group="forvaltning", model="items")
    with pytest.raises(ly.EstimationError, match="parameter `max_cfi_drop`"):
        ly.invariance(staff_2025, "epl-staff", group="forvaltning", max_cfi_drop=-0.01)
    with pytest.raises(ly.ArgumentTypeError, match="parameter `max_rmsea_rise`"):
        ly.invariance(staff_2025, "epl-staff", group="forvaltning", max_rmsea_rise="a lot")
    one = staff_2025.filter(pl.col("forvaltning") == "Socialförvaltningen")
    with pytest.raises(ly.EstimationError, match="invariance needs at least 2"):
        ly.invariance(one, "epl-staff", group="forvaltning")


def test_the_instrument_model_tests_all_dimensions_together(staff_2025):
    inv = ly.invariance(
        staff_2025, "epl-staff", group="forvaltning", model="instrument", min_respondents=50
    )
    assert inv["dimension"].unique().to_list() == ["epl"]
    configural = inv.filter(step="configural").row(0, named=True)
    assert configural["groups"] == 5
    # 14 items on 3 correlated factors in 5 groups: 5 · (14·15/2 + 14) moments minus
    # 5 · (14 loadings + 14 intercepts + 14 residuals + 3 factor correlations).
    assert configural["df"] == 5 * (105 + 14) - 5 * (14 * 3 + 3)
    assert inv.filter(step="scalar", outcome="partial")["freed"][0].split(", ")[0] == "lar3"
    # Socialförvaltningen (a third of the respondents) is named, not a group the large
    # deviating one pulls the average away from.
    assert inv["verdict"][0].endswith("fungerar olika (mest i Socialförvaltningen)")


def test_manager_pages_say_which_dimension_does_not_compare(tmp_path, staff_2025, by_forvaltning):
    table = ly.estimate(staff_2025, "epl-staff", by="forvaltning")
    pages = ly.write_pages(
        table, "epl-staff", tmp_path, by="forvaltning", invariance=by_forvaltning
    )
    note = (
        "<p class='note'>Jämförbarhet mellan grupper – Lärande: delvis jämförbar: ”Det finns "
        "tid för reflektion i arbetsgruppen” fungerar olika (mest i Socialförvaltningen).</p>"
    )
    assert all(note in page.read_text(encoding="utf-8") for page in pages)
    # Without the table, no such note.
    plain = ly.write_pages(table, "epl-staff", tmp_path / "plain", by="forvaltning")
    assert "Jämförbarhet" not in plain[0].read_text(encoding="utf-8")


def test_not_comparable_when_too_many_items_differ(staff_2025):
    """Three of the four learning items shifted in Socialförvaltningen (by -1, +2 and +1
    codes, clipped to 1-5): partial invariance may free only two intercepts (two must stay
    equal), so scalar invariance fails and strict is not tested."""
    social = pl.col("forvaltning") == "Socialförvaltningen"
    shifted = staff_2025.with_columns(
        pl.when(social & pl.col(c).is_between(1, 5))
        .then((pl.col(c) + step).clip(1, 5))
        .otherwise(pl.col(c))
        .alias(c)
        for c, step in (("lar1", -1), ("lar2", 2), ("lar4", 1))
    )
    inv = ly.invariance(shifted, "epl-staff", group="forvaltning").filter(dimension="learning")
    assert inv.select("step", "outcome").rows() == [
        ("configural", "holds"),
        ("metric", "fails"),
        ("metric", "partial"),
        ("scalar", "fails"),
        ("scalar", "fails"),
        ("strict", "not tested"),
    ]
    # The second scalar row is the search's last model: two intercepts free, still rejected.
    searched = inv.row(4, named=True)
    assert len(searched["freed"].split(", ")) == 2 and searched["delta_cfi"] < -0.01
    assert inv.row(3, named=True)["freed"] is None
    assert inv["chisq"][5] is None
    assert (inv["level"][0], inv["comparable"][0]) == ("partial metric", False)
    assert inv["verdict"][0].startswith("inte jämförbar: ”")
    assert "Socialförvaltningen" in inv["verdict"][0]


def test_the_excel_report_carries_the_verdicts(tmp_path, staff_2025, by_forvaltning):
    table = ly.estimate(staff_2025, "epl-staff", by="forvaltning")
    path = ly.write_report(table, "epl-staff", tmp_path / "r.xlsx", invariance=by_forvaltning)
    notes = pl.read_excel(path, sheet_name="Förklaringar", has_header=False)
    rows = {r[0]: r[1] for r in notes.rows() if r[0] is not None}
    assert rows["Jämförbarhet – Engagemang"] == "jämförbar mellan grupperna"
    assert rows["Jämförbarhet – Lärande"].startswith("delvis jämförbar: ”Det finns tid")


def test_respondents_without_a_group_are_a_group_named_in_words(staff_2025):
    social = pl.col("forvaltning") == "Socialförvaltningen"
    unnamed = staff_2025.with_columns(
        pl.when(social).then(None).otherwise(pl.col("forvaltning")).alias("forvaltning")
    )
    inv = ly.invariance(unnamed, "epl-staff", group="forvaltning").filter(dimension="learning")
    assert inv["groups"][0] == 5
    assert inv["verdict"][0].endswith("fungerar olika (mest i gruppen utan uppgift)")


def test_a_configural_model_that_fits_poorly_is_not_comparable(staff_2025):
    inv = ly.invariance(staff_2025, "epl-staff", group="forvaltning", min_configural_cfi=0.9995)
    engagement = inv.filter(dimension="engagement")  # configural CFI 0.9993
    assert engagement.select("step", "outcome").rows() == [
        ("configural", "fails"),
        ("metric", "not tested"),
        ("scalar", "not tested"),
        ("strict", "not tested"),
    ]
    assert (engagement["level"][0], engagement["comparable"][0]) == ("none", False)
    assert engagement["verdict"][0].startswith("inte jämförbar: frågorna hänger inte ihop")
    with pytest.raises(ly.EstimationError, match="parameter `min_configural_cfi`"):
        ly.invariance(staff_2025, "epl-staff", group="forvaltning", min_configural_cfi=1.5)


def test_not_comparable_in_one_grouping_stays_not_comparable():
    from lyhord._followup import _invariance_flags

    table = pl.DataFrame(
        {
            "dimension": ["learning", "learning", "engagement"],
            "comparable": [False, None, True],
            "verdict": ["delvis jämförbar: x", None, "jämförbar mellan grupperna"],
        },
        schema_overrides={"comparable": pl.Boolean},
    )
    assert _invariance_flags(table) == {
        "learning": (False, "delvis jämförbar: x"),
        "engagement": (True, "jämförbar mellan grupperna"),
    }


def test_keyword_types_are_checked(staff_2025):
    with pytest.raises(ly.ArgumentError, match='group="forvaltning"'):
        ly.invariance(staff_2025, "epl-staff", waves=[])
    with pytest.raises(ly.ArgumentTypeError, match="parameter `ordinal`"):
        ly.dimension_check(staff_2025, "epl-staff", ordinal="false")
