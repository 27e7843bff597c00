import math

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from attacker import assert_protected
from conftest import people_survey_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats


@pytest.mark.parametrize(
    ("dist", "index", "negative", "neutral"),
    [([10, 40, 10, 16, 24], 49.0, 40.0, 10.0), ([22, 28, 34, 12, 4], 63.0, 16.0, 34.0)],
)
def test_people_survey_worked_example(dist, index, negative, neutral):
    # UK Civil Service People Survey technical guide: both distributions are 50 % positive,
    # but their engagement indices are 49 and 63. The second is quoted in DESIGN.md as
    # 22/28/34/12/6, which sums to 102 %; "strongly disagree" scores 0, so the published
    # 63 = Σ share · score holds either way, and with shares summing to 100 % it is 4 %.
    t = ly.estimate(people_survey_frame(dist), "uk-engagement")
    row = t.filter(pl.col("measure") == "uk_engagement").row(0, named=True)
    assert row["mean"] == pytest.approx(index, abs=1e-9)
    assert row["pct_positive"] == pytest.approx(50.0)
    assert row["pct_negative"] == pytest.approx(negative)
    assert row["pct_neutral"] == pytest.approx(neutral)
    assert row["n"] == 100 and row["min_group"] == 10


def test_fpc_and_t_interval_match_hand_computation():
    # One unit, 6 respondents out of a headcount of 8; every item answered alike so the
    # index equals the item score. y = 0, 25, 50, 75, 100, 100 (codes 1..5, 5).
    codes = [1, 2, 3, 4, 5, 5]
    df = pl.DataFrame({"enhet": ["A"] * 6, **{f"hme{i}": codes for i in range(1, 10)}})
    hc = pl.DataFrame({"enhet": ["A"], "headcount": [8]})
    t = ly.estimate(df, "hme", by="enhet", headcounts=hc)
    row = t.filter((pl.col("level") == 1) & (pl.col("measure") == "hme")).row(0, named=True)
    y = np.array([0, 25, 50, 75, 100, 100.0])
    s = y.std(ddof=1)
    se = s / math.sqrt(6) * math.sqrt(1 - 6 / 8)
    t_crit = 2.570581835636314  # R: qt(0.975, 5)
    assert row["mean"] == pytest.approx(y.mean())
    assert row["sd"] == pytest.approx(s)
    assert row["se"] == pytest.approx(se)
    assert row["ci_low"] == pytest.approx(y.mean() - t_crit * se)
    assert row["headcount"] == 8


def test_weighted_mean_and_se_match_linearisation_formula():
    # Independent numpy computation of R survey's svymean SE with ids=~1, weights=~w:
    # var = n/(n−1) Σ w²(y−ȳ)² / (Σw)².
    rng = np.random.default_rng(7)
    codes = rng.integers(1, 6, size=40)
    w = rng.uniform(0.5, 3.0, size=40)
    df = pl.DataFrame({"w": w, **{f"hme{i}": codes for i in range(1, 10)}})
    row = ly.estimate(df, "hme", weights="w").filter(pl.col("measure") == "hme").row(0, named=True)
    y = (codes - 1) * 25.0
    mean = (w * y).sum() / w.sum()
    se = math.sqrt(40 / 39 * ((w**2) * (y - mean) ** 2).sum()) / w.sum()
    assert row["mean"] == pytest.approx(mean)
    assert row["se"] == pytest.approx(se)
    assert row["pct_positive"] == pytest.approx(100 * w[codes >= 4].sum() / w.sum())


def test_hierarchy_levels_and_parent_totals(staff_2025, headcounts_2025):
    t = ly.estimate(
        staff_2025, "epl-staff", by=["forvaltning", "enhet"], headcounts=headcounts_2025
    )
    idx = t.filter(pl.col("measure") == "epl")
    assert idx.filter(pl.col("level") == 0)["n_respondents"].to_list() == [staff_2025.height]
    assert idx.filter(pl.col("level") == 1).height == staff_2025["forvaltning"].n_unique()
    assert (
        idx.filter(pl.col("level") == 2).height
        == staff_2025.select("forvaltning", "enhet").n_unique()
    )
    # small units exist in the example data and are blanked, yet their respondents are in
    # their förvaltning's total
    sizes = staff_2025.group_by("forvaltning", "enhet").len()
    small = idx.filter(level=2).join(sizes.filter(pl.col("len") < 5), on=["forvaltning", "enhet"])
    assert small.height >= 6 and small["suppressed"].all()
    per_forv = staff_2025.group_by("forvaltning").len()
    lvl1 = idx.filter(pl.col("level") == 1).join(per_forv, on="forvaltning")
    assert (lvl1["n_respondents"] == lvl1["len"]).all()
    assert t.columns[:3] == ["level", "forvaltning", "enhet"]


def test_row_order_changes_nothing(staff_2025, headcounts_2025):
    kwargs = dict(by=["forvaltning", "enhet"], headcounts=headcounts_2025)
    a = ly.estimate(staff_2025, "hme", **kwargs)
    b = ly.estimate(staff_2025.sample(fraction=1.0, shuffle=True, seed=3), "hme", **kwargs)
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


unit_sizes = st.lists(st.lists(st.integers(1, 14), min_size=1, max_size=5), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=unit_sizes, seed=st.integers(0, 1000), min_group=st.integers(3, 8))
def test_suppression_never_leaks(sizes, seed, min_group):
    rng = np.random.default_rng(seed)
    f, e = [], []
    for i, units in enumerate(sizes):
        for j, n in enumerate(units):
            f += [f"F{i}"] * n
            e += [f"E{i}{j}"] * n
    m = len(f)
    items = {}
    for k in range(1, 10):
        v = rng.integers(1, 6, size=m).astype(float)
        v[rng.random(m) < 0.15] = np.nan  # missing answers make per-measure n differ
        items[f"hme{k}"] = pl.Series(v).cast(pl.Int64, strict=False).fill_nan(None)
    df = pl.DataFrame({"forvaltning": f, "enhet": e, **items})
    t = ly.estimate(df, "hme", by=["forvaltning", "enhet"], min_group=min_group)
    # an integer programme over the published table pins no blanked group (attacker.py)
    assert_protected(
        df, ["forvaltning", "enhet"], [(t, ["forvaltning", "enhet"], "measure")], min_group
    )
    blanked = t.filter(pl.col("suppressed"))
    assert blanked["mean"].null_count() == blanked.height
    assert blanked["pct_positive"].null_count() == blanked.height


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 6)), min_size=14, max_size=14),
        min_size=1,
        max_size=30,
    )
)
def test_scores_and_estimates_stay_in_range(rows):
    items = ly.Instrument.builtin("epl-staff").items
    df = pl.DataFrame(
        {item: [r[j] for r in rows] for j, item in enumerate(items)},
        schema={i: pl.Int64 for i in items},
    )
    scored = ly.score(df, "epl-staff")
    for c in ["engagement", "participation", "learning", "epl"]:
        vals = scored[c].drop_nulls()
        assert ((vals >= 0) & (vals <= 100)).all()
    t = ly.estimate(df, "epl-staff", min_group=1)
    for c in ["mean", "pct_positive", "pct_neutral", "pct_negative"]:
        vals = t[c].drop_nulls()
        assert ((vals >= -1e-9) & (vals <= 100 + 1e-9)).all()


def test_bad_parameters_name_what_to_fix(staff_2025, headcounts_2025):
    with pytest.raises(ly.DataError, match="grouping column `avdelning`"):
        ly.estimate(staff_2025, "hme", by="avdelning")
    with pytest.raises(ValueError, match="min_group"):
        ly.estimate(staff_2025, "hme", min_group=0)
    with pytest.raises(ly.EstimationError, match="`confidence`"):
        ly.estimate(staff_2025, "hme", confidence=95)
    unit = staff_2025.row(0, named=True)
    missing = headcounts_2025.filter(pl.col("enhet") != unit["enhet"])
    with pytest.raises(
        ly.EstimationError,
        match=f"no headcount for unit forvaltning={unit['forvaltning']}, enhet={unit['enhet']}",
    ):
        ly.estimate(staff_2025, "hme", by=["forvaltning", "enhet"], headcounts=missing)
    too_small = headcounts_2025.with_columns(pl.lit(1).alias("headcount"))
    with pytest.raises(ly.EstimationError, match="headcount 1 but"):
        ly.estimate(staff_2025, "hme", by=["forvaltning", "enhet"], headcounts=too_small)
    weighted = staff_2025.with_columns(pl.lit(1.0).alias("w")).with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(-1.0).otherwise(pl.col("w")).alias("w")
    )
    with pytest.raises(ly.EstimationError, match="`w`, row 5"):
        ly.estimate(weighted, "hme", weights="w")


def enps_answers(promoters: int, passives: int, detractors: int) -> pl.DataFrame:
    """A 0–10 recommend question: 9–10 promoters, 7–8 passives, 0–6 detractors (spread over
    their codes so that only the grouping matters)."""
    codes = [9, 10] * (promoters // 2) + [9] * (promoters % 2)
    codes += [7, 8] * (passives // 2) + [7] * (passives % 2)
    codes += [0, 3, 6] * (detractors // 3) + [6] * (detractors % 3)
    return pl.DataFrame({"rek1": codes})


@pytest.mark.parametrize(
    ("shares", "enps"),
    # Worked examples of eNPS = % promoters − % detractors (Reichheld 2003, "The One Number
    # You Need to Grow", HBR; employee form as in Bain & Company's eNPS guidance):
    # 60 % promoters, 25 % passives, 15 % detractors → 45; 25 / 55 / 20 → +5.
    [((60, 25, 15), 45.0), ((25, 55, 20), 5.0)],
)
def test_enps_reproduces_the_worked_examples_with_its_margin(shares, enps):
    data = enps_answers(*shares)  # 100 respondents, so counts are percentages
    row = ly.estimate(data, "enps", min_group=1).filter(measure="enps").row(0, named=True)
    assert row["mean"] == pytest.approx(enps, abs=1e-12)
    assert (row["pct_positive"], row["pct_negative"]) == pytest.approx((shares[0], shares[2]))
    # the margin, computed independently: the sample variance of the 100 / 0 / −100 scores
    p, q, n = shares[0] / 100, shares[2] / 100, 100
    se = 100 * np.sqrt((p + q - (p - q) ** 2) * n / (n - 1) / n)
    t = stats.t.ppf(0.975, n - 1)
    assert row["se"] == pytest.approx(se, rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((enps - t * se, enps + t * se))


def test_enps_is_suppressed_like_every_other_number():
    data = enps_answers(6, 2, 2).with_columns(enhet=pl.lit("A"))
    data = pl.concat([data, enps_answers(2, 1, 0).with_columns(enhet=pl.lit("B"))])
    data = pl.concat([data, enps_answers(4, 3, 3).with_columns(enhet=pl.lit("C"))])
    table = ly.estimate(data, "enps", by="enhet", min_group=5)
    rows = table.filter(measure="enps").select("enhet", "suppressed", "mean").rows()
    # B (3 people) is small; its partner is A or C, so B's −100…100 sum cannot be recovered
    # the total: 12 promoters and 5 detractors of 23
    assert rows[0] == (None, False, pytest.approx((12 - 5) / 23 * 100))
    assert [r[1] for r in rows[1:]].count(True) == 2


# ---- percent positive: standard error and interval ----------------------------------------
# Twelve respondents answering the nine HME items (codes 1–5, positive 4–5), three answers
# missing, with weights. Reference: R survey 4.1.1 on the same rows (d, with per respondent
# pos_* = answers 4–5 and ans_* = answers given, over all items or hme4–hme6):
#   svyratio(~pos_all, ~ans_all, svydesign(ids=~1, fpc=~N, data=d))      # N = 30
#     → 0.4476190476190476, SE 0.0297478114878089; logit interval on qt(0.975, 11):
#       [0.3834099451801385, 0.5136238266157503]
#   svyratio(~pos_led, ~ans_led, svydesign(ids=~1, weights=~w, data=d))
#     → 0.495327102803738, SE 0.111510480173542
#   a <- d[!is.na(d$hme4), ]; a$y <- a$hme4 >= 4
#   svyciprop(~y, svydesign(ids=~1, weights=~w, data=a), method="logit")
#     → 0.575757575757576, SE 0.179688839797750, [0.204442013555627, 0.877559832308328]
HME12 = {
    "hme1": [5, 4, None, 5, 3, 4, 5, 2, 1, 2, 2, 5],
    "hme2": [5, 1, 3, 5, 1, 4, 1, 3, 5, 2, 2, 2],
    "hme3": [4, 2, 5, 3, 3, 3, 3, 3, 3, 5, 5, 4],
    "hme4": [4, 4, 2, 5, 3, None, 5, None, 5, 4, 1, 1],
    "hme5": [3, 1, 1, 3, 5, 3, 5, 5, 5, 4, 3, 3],
    "hme6": [2, 3, 2, 2, 5, 1, 1, 1, 5, 4, 5, 2],
    "hme7": [4, 2, 3, 1, 4, 5, 4, 1, 3, 2, 5, 5],
    "hme8": [1, 3, 5, 5, 4, 4, 1, 4, 3, 1, 2, 3],
    "hme9": [4, 3, 4, 5, 4, 2, 4, 3, 1, 1, 4, 2],
    "w": [1.0, 2.0, 1.5, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.5, 1.0, 1.5],
}


def hme12_row(measure: str, **options) -> dict:
    answers = pl.DataFrame(HME12).with_columns(enhet=pl.lit("A"))
    t = ly.estimate(answers, "hme", by="enhet", min_group=1, **options)
    return t.filter(pl.col("level") == 1, pl.col("measure") == measure).row(0, named=True)


def test_percent_positive_se_is_the_ratio_variance_over_respondents():
    # The index pools nine answers per respondent: R's svyratio of positives over answers.
    hc = pl.DataFrame({"enhet": ["A"], "headcount": [30]})
    row = hme12_row("hme", headcounts=hc)
    assert row["pct_positive"] == pytest.approx(44.76190476190476, abs=1e-12)
    assert row["pct_positive_se"] == pytest.approx(2.97478114878089, abs=1e-12)
    low, high = row["pct_positive_ci_low"], row["pct_positive_ci_high"]
    assert (low, high) == pytest.approx((38.34099451801385, 51.36238266157503), abs=1e-11)
    dim = hme12_row("ledarskap", weights="w")
    assert dim["pct_positive"] == pytest.approx(49.5327102803738, abs=1e-11)
    assert dim["pct_positive_se"] == pytest.approx(11.1510480173542, abs=1e-11)
    item = hme12_row("hme4", weights="w")
    assert item["pct_positive_se"] == pytest.approx(17.968883979775, abs=1e-11)
    low, high = item["pct_positive_ci_low"], item["pct_positive_ci_high"]
    assert (low, high) == pytest.approx((20.4442013555627, 87.7559832308328), abs=1e-10)
    beta = hme12_row("hme4", weights="w", ci_method="beta")
    assert beta["pct_positive_ci_low"] < low and beta["convention"] == "survey"


def test_people_survey_convention_reproduces_its_margin():
    # People Survey margin: 1.96 · √(p(1−p)/n · (N−n)/(N−1)); 43 of 100 positive on an item,
    # headcount 200 → ±6.88 points (by hand: 1.959964 · √(0.43·0.57/100 · 100/199)).
    codes = [5] * 43 + [2] * 57
    answers = pl.DataFrame({"enhet": ["A"] * 100, **{f"hme{i}": codes for i in range(1, 10)}})
    hc = pl.DataFrame({"enhet": ["A"], "headcount": [200]})
    t = ly.estimate(answers, "hme", by="enhet", headcounts=hc, convention="people_survey")
    row = t.filter(pl.col("level") == 1, pl.col("measure") == "hme1").row(0, named=True)
    margin = stats.norm.ppf(0.975) * math.sqrt(0.43 * 0.57 / 100 * 100 / 199) * 100
    assert margin == pytest.approx(6.8785, abs=5e-5)
    assert row["pct_positive_ci_high"] - 43.0 == pytest.approx(margin, abs=1e-10)
    assert 43.0 - row["pct_positive_ci_low"] == pytest.approx(margin, abs=1e-10)
    # Means (indices): the sample SD with (N−n)/(N−1) and t on n − 1 (its t tests).
    sd = row["sd"]
    se = sd / math.sqrt(100) * math.sqrt(100 / 199)
    assert row["se"] == pytest.approx(se, rel=1e-12)
    assert row["ci_high"] - row["mean"] == pytest.approx(stats.t.ppf(0.975, 99) * se, rel=1e-12)
    assert row["convention"] == "people_survey"
    survey = ly.estimate(answers, "hme", by="enhet", headcounts=hc)
    s_row = survey.filter(pl.col("level") == 1, pl.col("measure") == "hme1").row(0, named=True)
    # R's factor 1 − n/N and t(n − 1): svymean(~y, svydesign(ids=~1, fpc=~N, data=...)).
    assert s_row["se"] == pytest.approx(sd / math.sqrt(100) * math.sqrt(1 - 100 / 200), rel=1e-12)
    half = s_row["ci_high"] - s_row["mean"]
    assert half == pytest.approx(stats.t.ppf(0.975, 99) * s_row["se"], rel=1e-12)


def test_compare_waves_follows_the_tables_convention():
    by = ["forvaltning"]
    hc = {
        y: ly.headcounts(year=y).group_by("forvaltning").agg(pl.col("headcount").sum())
        for y in (2024, 2025)
    }
    tables = {
        (y, c): ly.estimate(
            ly.example_data("staff", year=y), "epl-staff", by=by, headcounts=hc[y], convention=c
        )
        for y in (2024, 2025)
        for c in ("survey", "people_survey")
    }
    survey = ly.compare_waves(tables[2024, "survey"], tables[2025, "survey"])
    people = ly.compare_waves(tables[2024, "people_survey"], tables[2025, "people_survey"])
    # Dimensions now have a percent-positive test too, from the published SEs.
    dim = survey.filter(pl.col("level") == 0, pl.col("measure") == "engagement").row(0, named=True)
    e24 = tables[2024, "survey"].filter(pl.col("level") == 0, pl.col("measure") == "engagement")
    e25 = tables[2025, "survey"].filter(pl.col("level") == 0, pl.col("measure") == "engagement")
    se = math.hypot(e24["pct_positive_se"][0], e25["pct_positive_se"][0])
    assert dim["pct_change"] == pytest.approx(
        e25["pct_positive"][0] - e24["pct_positive"][0], abs=1e-12
    )
    assert dim["pct_z"] == pytest.approx(dim["pct_change"] / se, rel=1e-12)
    # Means: Welch's t under both (the People Survey's t tests for indices); shares: the
    # People Survey's by z on its own SEs, p(1−p)/n · (N−n)/(N−1).
    compared = people.filter(pl.col("status").is_null())
    assert compared["df"].null_count() == 0 and survey["df"].drop_nulls().len() > 0
    top = (pl.col("level") == 0, pl.col("measure") == "engagement")
    p_dim = people.filter(*top).row(0, named=True)
    q24 = tables[2024, "people_survey"].filter(*top)["pct_positive_se"][0]
    q25 = tables[2025, "people_survey"].filter(*top)["pct_positive_se"][0]
    z = p_dim["pct_change"] / math.hypot(q24, q25)
    assert p_dim["pct_p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    with pytest.raises(ly.LyhordError, match="same convention"):
        ly.compare_waves(tables[2024, "survey"], tables[2025, "people_survey"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), n=st.integers(40, 400))
def test_unweighted_counts_equal_weights_of_one(seed, n):
    """Without weights the items' sums are made from counts per (group, answer); with
    weights every answer is added one by one. Weights of 1 must give the same table."""
    df = ly.example_data("staff", year=2025, n=n, seed=seed)
    ones = df.with_columns(pl.lit(1.0).alias("w"))
    by = ["forvaltning", "enhet"]
    plain = ly.estimate(df, "epl-staff", by=by, min_group=3)
    weighted = ly.estimate(ones, "epl-staff", by=by, min_group=3, weights="w")
    assert plain.height > 0
    assert_frame_equal(plain, weighted, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
