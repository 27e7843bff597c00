"""ly.compare_waves and ly.trend against independent computations."""

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from scipy import stats

BY = ["forvaltning", "enhet"]


@pytest.fixture(scope="module")
def waves():
    data = {y: ly.example_data("staff", year=y) for y in (2024, 2025)}
    tables = {y: ly.estimate(d, "epl-staff", by=BY) for y, d in data.items()}
    return data, tables


def test_welch_t_equals_scipy_ttest_ind_from_stats(waves):
    """Reference: scipy.stats.ttest_ind_from_stats(equal_var=False) on the published n, mean
    and SD of each unit (no headcounts, so no finite-population correction)."""
    _, t = waves
    ch = ly.compare_waves(t[2024], t[2025], adjust="none").filter(
        pl.col("level") == 2, pl.col("measure") == "participation", pl.col("status").is_null()
    )
    assert ch.height > 80
    for r in ch.iter_rows(named=True):
        e = t[2024].filter(pl.col("enhet") == r["enhet"], pl.col("measure") == "participation")
        lat = t[2025].filter(pl.col("enhet") == r["enhet"], pl.col("measure") == "participation")
        ref = stats.ttest_ind_from_stats(
            lat["mean"][0],
            lat["sd"][0],
            lat["n"][0],
            e["mean"][0],
            e["sd"][0],
            e["n"][0],
            equal_var=False,
        )
        assert r["t"] == pytest.approx(ref.statistic, rel=1e-9)
        assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-14)


def test_percent_positive_effect_size_is_cohens_h(waves):
    """Cohen (1988) §6.2: h = φ₂ − φ₁ with φ = 2 arcsin √P (his Table 6.2.1: P = .50 →
    φ = 1.5708, P = .65 → 1.8755, so h(.50 → .65) = 0.3047); recomputed here from the
    published shares of every compared item row."""
    _, t = waves
    ch = ly.compare_waves(t[2024], t[2025]).filter(pl.col("pct_change").is_not_null())
    assert ch.height > 100
    p1 = ch["pct_positive_earlier"].to_numpy() / 100
    p2 = ch["pct_positive_later"].to_numpy() / 100
    want = 2 * np.arcsin(np.sqrt(p2)) - 2 * np.arcsin(np.sqrt(p1))
    np.testing.assert_allclose(ch["pct_effect_size"].to_numpy(), want, rtol=1e-12, atol=1e-14)
    assert 2 * np.arcsin(np.sqrt(0.65)) - 2 * np.arcsin(np.sqrt(0.5)) == pytest.approx(
        0.3047, abs=5e-5
    )
    # Rows without a percent-positive comparison have no h.
    others = ly.compare_waves(t[2024], t[2025]).filter(pl.col("pct_change").is_null())
    assert others["pct_effect_size"].null_count() == others.height


def test_adjustment_matches_scipy_bh_and_holm_by_hand(waves):
    _, t = waves
    raw = ly.compare_waves(t[2024], t[2025], adjust="none")
    fam = pl.col("level") == 2, pl.col("measure") == "engagement", pl.col("p_value").is_not_null()
    p = raw.filter(*fam)["p_value"].to_numpy()
    bh = ly.compare_waves(t[2024], t[2025], adjust="bh").filter(*fam)["p_adjusted"].to_numpy()
    np.testing.assert_allclose(bh, stats.false_discovery_control(p, method="bh"), rtol=1e-12)
    holm = ly.compare_waves(t[2024], t[2025]).filter(*fam)["p_adjusted"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    expected = np.empty(m)
    expected[order] = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1)
    np.testing.assert_allclose(holm, expected, rtol=1e-12)


def test_built_in_changes_are_found(waves):
    """With headcounts (near-census FPC) the built-in changes stand out after Holm."""
    data, _ = waves
    t = {
        y: ly.estimate(d, "epl-staff", by=BY, headcounts=ly.headcounts(year=y))
        for y, d in data.items()
    }
    ch = ly.compare_waves(t[2024], t[2025])
    found = 0
    for enhet, dimension, change in ly.changed_units().iter_rows():
        row = ch.filter(pl.col("enhet") == enhet, pl.col("measure") == dimension)
        assert row["change"][0] * change > 0, enhet
        found += bool(row["significant"][0])
    assert found >= 10


def test_no_suppressed_group_is_compared(waves):
    _, t = waves
    ch = ly.compare_waves(t[2024], t[2025])
    keys = ["level", *BY, "measure"]
    hidden = pl.concat([t[y].filter("suppressed").select(keys) for y in (2024, 2025)]).unique()
    leaked = ch.join(hidden, on=keys, nulls_equal=True).filter(pl.col("change").is_not_null())
    assert leaked.height == 0
    assert ch.filter(pl.col("change").is_null())["status"].null_count() == 0


def test_renamed_unit_round_trips_and_merger_pools_exactly(waves):
    data, t = waves
    later = data[2025].with_columns(pl.col("enhet").replace("Hemtjänst Norr", "Hemtjänst Nord"))
    renamed = ly.compare_waves(
        t[2024],
        ly.estimate(later, "epl-staff", by=BY),
        unit_map={"Hemtjänst Norr": "Hemtjänst Nord"},
    ).filter(pl.col("enhet") == "Hemtjänst Nord")
    plain = ly.compare_waves(t[2024], t[2025]).filter(pl.col("enhet") == "Hemtjänst Norr")
    assert renamed["mapping"][0] == "renamed from Hemtjänst Norr"
    np.testing.assert_allclose(renamed["change"].to_numpy(), plain["change"].to_numpy())

    pair = ["Hemtjänst Norr", "Hemtjänst Söder"]
    merge = pl.col("enhet").replace(pair, ["Hemtjänst Norr-Söder"] * 2)
    merged_later = ly.estimate(data[2025].with_columns(merge), "epl-staff", by=BY)
    merged_earlier = ly.estimate(data[2024].with_columns(merge), "epl-staff", by=BY)
    ch = ly.compare_waves(
        t[2024], merged_later, unit_map={name: "Hemtjänst Norr-Söder" for name in pair}
    ).filter(pl.col("enhet") == "Hemtjänst Norr-Söder", pl.col("measure") == "epl")
    direct = merged_earlier.filter(pl.col("enhet") == "Hemtjänst Norr-Söder", measure="epl")
    assert ch["mapping"][0] == "merged from Hemtjänst Norr + Hemtjänst Söder"
    assert ch["n_earlier"][0] == direct["n"][0]
    assert ch["mean_earlier"][0] == pytest.approx(direct["mean"][0], rel=1e-12)


def test_bad_input_names_what_to_fix(waves):
    data, t = waves
    with pytest.raises(ly.EstimationError, match="grouped differently"):
        ly.compare_waves(t[2024], ly.estimate(data[2025], "epl-staff", by="forvaltning"))
    with pytest.raises(ly.EstimationError, match="not an `ly.estimate` table"):
        ly.compare_waves(data[2024], t[2025])
    with pytest.raises(ly.ArgumentError, match="`adjust`"):
        ly.compare_waves(t[2024], t[2025], adjust="bonferroni")
    with pytest.raises(ly.EstimationError, match="earlier unit `Finns inte`"):
        ly.compare_waves(t[2024], t[2025], unit_map={"Finns inte": "Hemtjänst Norr"})


def test_trend_stacks_years_and_keeps_blanks(waves):
    _, t = waves
    tr = ly.trend(t)
    assert tr.height == t[2024].height + t[2025].height
    assert tr.columns[0] == "year"
    assert tr.filter("suppressed")["mean"].null_count() == tr.filter("suppressed").height
    with pytest.raises(ValueError, match="empty"):
        ly.trend({})


def test_targets_from_the_trend_match_a_numpy_weighted_fit(waves):
    series = ly.trend(waves[1])
    top = series.filter(pl.col("level") == 1, pl.col("measure") == "epl")
    rising = (
        top.sort("year")
        .group_by("forvaltning", maintain_order=True)
        .agg(rise=pl.col("mean").last() - pl.col("mean").first())
    )
    unit = rising.filter(pl.col("rise") > 0)["forvaltning"][0]
    part = top.filter(pl.col("forvaltning") == unit).sort("year")
    x, y, se = (part[c].to_numpy().astype(float) for c in ("year", "mean", "se"))
    slope = np.polyfit(x, y, 1, w=1 / se)[0]  # polyfit weights multiply residuals: w = 1/σ
    projected = np.polyval(np.polyfit(x, y, 1, w=1 / se), 2028)
    latest = y[-1]
    goals = pl.DataFrame(
        {
            "level": [1, 1, 1],
            "forvaltning": [unit] * 3,
            "enhet": [None, None, None],
            "measure": ["epl"] * 3,
            "target": [latest - 1, (latest + projected) / 2, projected + 1],
            "year": [2028] * 3,
        },
        schema_overrides={"enhet": pl.String, "level": pl.UInt32},
    )
    out = ly.targets(series, goals)
    assert out["status"].to_list() == ["met", "on track", "off track"]
    assert out["slope"][0] == pytest.approx(slope, rel=1e-9)
    assert out["projected"][0] == pytest.approx(projected, rel=1e-12)
    with pytest.raises(ValueError, match="missing"):
        ly.targets(series, goals.drop("target"))


def relabel(df: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    return df.with_columns(pl.col("enhet").replace(names))


def test_trend_restates_a_merger_as_if_the_units_had_always_been_one():
    """Reference: the earlier wave estimated directly with the two units relabelled as one
    (independent of the pooling); unweighted, so pooling the published n, mean and SD is
    exact, and with headcounts the finite-population factor uses their sum."""
    pair = ["Hemtjänst Norr", "Hemtjänst Söder"]
    as_one = dict.fromkeys(pair, "Hemtjänst Norr-Söder")
    data = {y: ly.example_data("staff", year=y) for y in (2024, 2025)}
    heads = {y: ly.headcounts(year=y) for y in (2024, 2025)}

    def est(df, hc):
        return ly.estimate(df, "epl-staff", by=BY, headcounts=hc)

    merged_heads = relabel(heads[2024], as_one).group_by(BY).agg(pl.col("headcount").sum())
    t = {2024: est(data[2024], heads[2024]), 2025: est(relabel(data[2025], as_one), None)}
    series = ly.trend(t, unit_map={2025: as_one})
    got = series.filter(pl.col("year") == 2024, pl.col("enhet") == "Hemtjänst Norr-Söder")
    want = (
        est(relabel(data[2024], as_one), merged_heads)
        .filter(pl.col("enhet") == "Hemtjänst Norr-Söder")
        .sort("measure")
    )
    assert got["measure"].to_list() == want["measure"].to_list()
    assert got["n"].to_list() == want["n"].to_list()
    assert got["n_respondents"].to_list() == want["n_respondents"].to_list()
    assert got["headcount"].to_list() == want["headcount"].to_list()
    for c in ("mean", "sd", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-10)
    items = got.filter(kind="item")
    np.testing.assert_allclose(
        items["pct_positive"].to_numpy(),
        want.filter(kind="item")["pct_positive"].to_numpy(),
        rtol=1e-10,
    )
    assert got.filter(kind="index")["pct_positive"].null_count() == 1  # not poolable exactly
    assert set(got["mapping"]) == {"merged from Hemtjänst Norr + Hemtjänst Söder"}
    # the old units no longer have their own lines in 2024; the latest year is untouched
    assert series.filter(pl.col("enhet").is_in(pair)).height == 0
    latest = series.filter(pl.col("year") == 2025).drop("year", "mapping")
    assert latest.sort(["level", *BY, "measure"]).equals(t[2025].sort(["level", *BY, "measure"]))


def test_trend_follows_a_rename_then_a_merger_over_three_waves():
    """2023 → 2024: Björkskolan F-6 renamed Björkskolan; 2024 → 2025: it merges with
    Söderskolan F-6. The 2023 figures of the merged school equal 2023 estimated with both
    schools relabelled as the merged one."""
    years = {2023: 2024, 2024: 2024, 2025: 2025}  # the generator's two models, seeds apart
    data = {y: ly.example_data("staff", year=m, seed=y) for y, m in years.items()}
    rename = {"Björkskolan F-6": "Björkskolan"}
    merge = {"Björkskolan": "Björk-Söder", "Söderskolan F-6": "Björk-Söder"}
    data[2024] = relabel(data[2024], rename)
    data[2025] = relabel(relabel(data[2025], rename), merge)
    t = {y: ly.estimate(d, "epl-staff", by=BY) for y, d in data.items()}
    series = ly.trend(t, unit_map={2024: rename, 2025: merge})
    school = series.filter(pl.col("enhet") == "Björk-Söder", pl.col("measure") == "epl")
    assert school["year"].to_list() == [2023, 2024, 2025]
    assert school["mapping"].to_list()[:2] == ["merged from Björkskolan + Söderskolan F-6"] * 2
    direct = ly.estimate(relabel(relabel(data[2023], rename), merge), "epl-staff", by=BY)
    want = direct.filter(pl.col("enhet") == "Björk-Söder", measure="epl")
    assert school["n"][0] == want["n"][0]
    assert school["mean"][0] == pytest.approx(want["mean"][0], rel=1e-12)
    assert school["sd"][0] == pytest.approx(want["sd"][0], rel=1e-12)


def test_trend_split_and_suppressed_parts(waves):
    data, t = waves
    split = {"Hemtjänst Norr": ["Hemtjänst Norr A", "Hemtjänst Norr B"]}
    halves = pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit(" A")).otherwise(pl.lit(" B"))
    later = data[2025].with_columns(
        pl.when(pl.col("enhet") == "Hemtjänst Norr")
        .then(pl.col("enhet") + halves)
        .otherwise(pl.col("enhet"))
    )
    series = ly.trend({2024: t[2024], 2025: ly.estimate(later, "epl-staff", by=BY)}, unit_map=split)
    old = t[2024].filter(pl.col("enhet") == "Hemtjänst Norr", measure="epl")
    for part in split["Hemtjänst Norr"]:
        row = series.filter(pl.col("enhet") == part, measure="epl", year=2024)
        assert row["mean"][0] == old["mean"][0] and row["n"][0] == old["n"][0]
        assert (
            row["mapping"][0] == "split from Hemtjänst Norr (compared with the whole earlier unit)"
        )
    # A merger with a suppressed part: blank, with the reason; never a number.
    small = (
        t[2024]
        .filter(pl.col("level") == 2, pl.col("measure") == "epl", pl.col("suppressed"))["enhet"]
        .to_list()
    )
    assert small, "the example data has suppressed units"
    pair = {small[0]: "Sammanslagen", "Hemtjänst Norr": "Sammanslagen"}
    later = ly.estimate(relabel(data[2025], pair), "epl-staff", by=BY)
    row = ly.trend({2024: t[2024], 2025: later}, unit_map=pair).filter(
        pl.col("enhet") == "Sammanslagen", measure="epl", year=2024
    )
    assert row["suppressed"][0] and row["mean"][0] is None and row["n"][0] is None
    assert "suppression" not in row.columns  # bare: no reason on a blank
    assert row["mapping"][0] is not None


def test_trend_unit_map_errors_name_the_year_and_unit(waves):
    _, t = waves
    with pytest.raises(ValueError, match="reorganisation in 2024, but the waves are"):
        ly.trend(t, unit_map={2024: {"Hemtjänst Norr": "X"}})
    with pytest.raises(ly.EstimationError, match="earlier unit `Finns inte`"):
        ly.trend(t, unit_map={"Finns inte": "Hemtjänst Norr"})
