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
    with pytest.raises(ly.EstimationError, match="`adjust`"):
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
