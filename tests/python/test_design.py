"""Citizen surveys: design-based estimates, raking and calibration.

Reference values: R package survey (Lumley), its documented examples on the `api` data
(tests/data/api*.csv are columns of apistrat, apiclus1, apisrs; see tests/data/README.md):

    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    svymean(~api00, dstrat)      # 662.29  SE 9.4089
    svytotal(~enroll, dstrat)    # 3687178 SE 114642
    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    svymean(~api00, dclus1)      # 644.17  SE 23.542
    svytotal(~enroll, dclus1)    # 3404940 SE 932235
    dsrs <- svydesign(id=~1, weights=~pw, data=apisrs, fpc=~fpc)
    svymean(~api00, dsrs)        # 656.58  SE 9.2497

(the survey package vignette "A survey analysis example" and ?svydesign). Post-
stratification and raking are checked against an independent numpy implementation of the
textbook formulas below (Särndal, Swensson & Wretman 1992, §6.6; Lumley 2010, §7.4).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from attacker import Knowledge, atoms_of, interval, learn, matching
from hypothesis import given, settings
from hypothesis import strategies as st
from rsurvey import cluster_sample, run_r

DATA = Path(__file__).parents[1] / "data"
STRAT = pl.read_csv(DATA / "apistrat.csv")
CLUS1 = pl.read_csv(DATA / "apiclus1.csv")
SRS = pl.read_csv(DATA / "apisrs.csv")
POP_TYPES = pl.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421.0, 755.0, 1018.0]})
POP_SCHWIDE = pl.DataFrame({"sch.wide": ["No", "Yes"], "Freq": [1072.0, 5122.0]})
DCLUS1 = ly.Design(weights="pw", psu="dnum", fpc="fpc")


def one(df, variable, design, statistic="mean", **kw):
    out = ly.design_estimate(df, design, variable, statistic=statistic, min_group=1, **kw)
    return out.filter(pl.col("level") == 0).select("estimate", "se").row(0)


@pytest.mark.parametrize(
    ("data", "design", "variable", "statistic", "estimate", "se", "tol"),
    [
        (STRAT, ly.Design("pw", "stype", fpc="fpc"), "api00", "mean", 662.29, 9.4089, (5e-3, 1e-4)),
        (STRAT, ly.Design("pw", "stype", fpc="fpc"), "enroll", "total", 3687178, 114642, (1, 1)),
        (CLUS1, DCLUS1, "api00", "mean", 644.17, 23.542, (5e-3, 1e-3)),
        (CLUS1, DCLUS1, "enroll", "total", 3404940, 932235, (1, 1)),
        (SRS, ly.Design("pw", fpc="fpc"), "api00", "mean", 656.58, 9.2497, (5e-3, 1e-4)),
    ],
)
def test_r_survey_published_values(data, design, variable, statistic, estimate, se, tol):
    got = one(data, variable, design, statistic)
    assert got[0] == pytest.approx(estimate, abs=tol[0])
    assert got[1] == pytest.approx(se, abs=tol[1])


def numpy_variance(z, strata, psu, fraction):
    """Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (t_hj − t̄_h)², t_hj the cluster totals of z."""
    total = 0.0
    for h in np.unique(strata):
        in_h = strata == h
        clusters = np.unique(psu[in_h])
        t = np.array([z[in_h & (psu == c)].sum() for c in clusters])
        n_h = len(t)
        total += (1 - fraction[in_h][0]) * n_h / (n_h - 1) * ((t - t.mean()) ** 2).sum()
    return total


def numpy_rake(d, cats, targets, sweeps=500):
    w = d.copy()
    for _ in range(sweeps):
        for c, t in zip(cats, targets, strict=True):
            for k, value in t.items():
                w[c == k] *= value / w[c == k].sum()
    return w


def numpy_calibrated_se(y, d, w, cats, strata, psu, fraction):
    """GREG variance: u = (y − ȳ)/Σw, e = u − X B with B from Σ d x x' B = Σ d x u,
    variance of Σ w e."""
    mean = (w * y).sum() / w.sum()
    u = (y - mean) / w.sum()
    x = np.column_stack([(c == k).astype(float) for c in cats for k in np.unique(c)])
    b = np.linalg.lstsq(x * np.sqrt(d)[:, None], u * np.sqrt(d), rcond=None)[0]
    e = u - x @ b
    return mean, np.sqrt(numpy_variance(w * e, strata, psu, fraction))


def cluster_arrays(df):
    strata = np.zeros(df.height)
    psu = df["dnum"].to_numpy()
    fraction = np.full(df.height, 15 / 757)  # 15 of 757 districts (apiclus1$fpc = 757)
    return strata, psu, fraction


def test_post_stratification_matches_an_independent_calibration_variance():
    raked = ly.rake(CLUS1, {"stype": POP_TYPES}, design=DCLUS1)
    assert raked.iterations == 1 and raked.max_error < 1e-12
    y = CLUS1["api00"].to_numpy().astype(float)
    d = CLUS1["pw"].to_numpy()
    w = raked.data["weight"].to_numpy()
    mean, se = numpy_calibrated_se(y, d, w, [CLUS1["stype"].to_numpy()], *cluster_arrays(CLUS1))
    got = one(raked.data, "api00", raked.design)
    assert got[0] == pytest.approx(mean, rel=1e-12)
    assert got[1] == pytest.approx(se, rel=1e-9)
    assert got == pytest.approx((642.31, 23.92), abs=5e-3)
    # svytotal(~enroll, postStratify(dclus1, ~stype, pop.types)): the SE falls from 932,235
    # to about 406,000 (survey package demonstration in the Coursera course "Dealing with
    # Missing Data", lecture "Software for poststratification").
    total = one(raked.data, "enroll", raked.design, "total")
    assert total[1] == pytest.approx(406_000, abs=1_000)


def test_raking_to_two_margins_matches_independent_ipf_and_greg_variance():
    cats = [CLUS1["stype"].to_numpy(), CLUS1["sch.wide"].to_numpy()]
    targets = [dict(POP_TYPES.iter_rows()), dict(POP_SCHWIDE.iter_rows())]
    raked = ly.rake(
        CLUS1, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, design=DCLUS1, tolerance=1e-12
    )
    d = CLUS1["pw"].to_numpy()
    w_ref = numpy_rake(d, cats, targets)
    w = raked.data["weight"].to_numpy()
    np.testing.assert_allclose(w, w_ref, rtol=1e-9)
    report = raked.report
    assert report["relative_error"].abs().max() < 1e-6
    assert report.filter(pl.col("category") == "Yes")["achieved"][0] == pytest.approx(5122)
    y = CLUS1["enroll"].to_numpy().astype(float)
    mean, se = numpy_calibrated_se(y, d, w, cats, *cluster_arrays(CLUS1))
    got = one(raked.data, "enroll", raked.design)
    assert got[0] == pytest.approx(mean, rel=1e-12)
    assert got[1] == pytest.approx(se, rel=1e-8)


def test_domain_estimates_match_an_independent_linearisation():
    out = ly.design_estimate(CLUS1, DCLUS1, "api00", by="stype", min_group=1)
    strata, psu, fraction = cluster_arrays(CLUS1)
    y = CLUS1["api00"].to_numpy().astype(float)
    w = CLUS1["pw"].to_numpy()
    for stype in ["E", "H", "M"]:
        inside = CLUS1["stype"].to_numpy() == stype
        mean = (w * y)[inside].sum() / w[inside].sum()
        z = np.where(inside, w * (y - mean) / w[inside].sum(), 0.0)
        se = np.sqrt(numpy_variance(z, strata, psu, fraction))
        row = out.filter(pl.col("stype") == stype).row(0, named=True)
        assert row["estimate"] == pytest.approx(mean, rel=1e-12)
        assert row["se"] == pytest.approx(se, rel=1e-9)
    # apiclus1 has one weight for all schools, so a domain mean is the plain mean.
    plain = CLUS1.group_by("stype").agg(pl.col("api00").mean()).sort("stype")
    got = out.filter(pl.col("level") == 1).sort("stype")["estimate"]
    np.testing.assert_allclose(got.to_numpy(), plain["api00"].to_numpy(), rtol=1e-12)


def test_raking_errors_name_what_to_fix():
    with pytest.raises(ly.DataError, match=r"margin stype: row \d+ has `M`"):
        ly.rake(CLUS1, {"stype": POP_TYPES.filter(pl.col("stype") != "M")})
    with pytest.raises(ly.DataError, match="different populations"):
        ly.rake(
            CLUS1,
            {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE.with_columns(pl.col("Freq") * 2)},
        )
    empty = pl.DataFrame({"stype": ["E", "H", "M", "X"], "Freq": [4421.0, 755.0, 1000.0, 18.0]})
    with pytest.raises(ly.DataError, match="`X` has 18 people in the population but no"):
        ly.rake(CLUS1, {"stype": empty})
    with pytest.raises(ly.EstimationError, match="did not converge in 2 iterations"):
        ly.rake(CLUS1, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, max_iterations=2)
    with pytest.raises(ly.EstimationError, match="`cap`"):
        ly.rake(CLUS1, {"stype": POP_TYPES}, cap=0.5)
    with pytest.raises(ly.DataError, match="column `pw`, row 3: weight -1"):
        ly.rake(
            CLUS1.with_row_index().with_columns(
                pw=pl.when(pl.col("index") == 3).then(-1.0).otherwise(pl.col("pw"))
            ),
            {"stype": POP_TYPES},
            design=ly.Design("pw"),
        )


def test_trimming_keeps_bounds_and_margins():
    sample = ly.example_data("citizens")
    pop = ly.example_data("citizen_population")
    margins = {
        ("age_group", "sex"): pop.group_by("age_group", "sex").agg(pl.col("population").sum()),
        "district": pop.group_by("district").agg(pl.col("population").sum()),
    }
    free = ly.rake(sample, margins, design=ly.Design("design_weight"))
    capped = ly.rake(sample, margins, design=ly.Design("design_weight"), cap=2.5, tolerance=1e-6)
    w = capped.data["weight"]
    assert w.max() <= 2.5 * w.mean() * (1 + 1e-9)
    assert free.data["weight"].max() > 2.5 * free.data["weight"].mean()
    assert capped.report["relative_error"].abs().max() <= 1e-6
    ratio = lambda r: r.data["weight"].max() / r.data["weight"].min()  # noqa: E731
    assert ratio(capped) < ratio(free)
    assert capped.trimmed > 0


def test_lonely_cluster_and_bad_design_columns():
    one_cluster = CLUS1.filter(pl.col("dnum") == pl.col("dnum").first())
    design = ly.Design("pw", strata="stype", psu="dnum")
    two = pl.concat([one_cluster, CLUS1.filter(pl.col("stype") == "H")])
    with pytest.raises(ly.EstimationError, match="stratum `E` has a single sampled cluster"):
        ly.design_estimate(two, design, "api00", min_group=1)
    adjusted = ly.design_estimate(
        two, ly.Design("pw", strata="stype", psu="dnum", lonely_psu="adjust"), "api00", min_group=1
    )
    assert adjusted["se"][0] > 0
    with pytest.raises(ly.DataError, match="fpc.*population size 2 is smaller than the"):
        ly.design_estimate(CLUS1.with_columns(fpc=pl.lit(2)), DCLUS1, "api00", min_group=1)
    with pytest.raises(ly.DataError, match="the stratum column `nope`"):
        ly.design_estimate(CLUS1, ly.Design(strata="nope"), "api00")
    with pytest.raises(ly.DataError, match="proportion needs 0/1"):
        ly.design_estimate(CLUS1, DCLUS1, "api00", statistic="proportion")


# Reference: R survey 4.1.1, one school per stratum in district 413 of apiclus1:
#   ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)
#   options(survey.lonely.psu=o); SE(svymean(~api00, ds)); SE(svytotal(~api00, ds))
#   remove / certainty: 5.8057775782763, 35960.9882023625
#   average: 6.0095507279558, 37223.1591575507 (the others' variance times 15/14)
#   adjust: 5.82805790164853, 40509.305039602 (the lone school's total uncentred)
@pytest.mark.parametrize(
    ("option", "mean_se", "total_se"),
    [
        ("remove", 5.8057775782763, 35960.9882023625),
        ("certainty", 5.8057775782763, 35960.9882023625),
        ("average", 6.0095507279558, 37223.1591575507),
        ("adjust", 5.82805790164853, 40509.305039602),
    ],
)
def test_lonely_psu_options_match_r(option, mean_se, total_se):
    design = ly.Design("pw", strata="dnum", lonely_psu=option)
    mean = one(CLUS1, "api00", design)
    assert mean[1] == pytest.approx(mean_se, rel=1e-12)
    if total_se is not None:
        assert one(CLUS1, "api00", design, "total")[1] == pytest.approx(total_se, rel=1e-12)


def test_citizen_example_weighting_corrects_the_response_skew():
    sample = ly.example_data("citizens")
    pop = ly.example_data("citizen_population")
    assert 2_500 < sample.height < 3_500
    older = sample.filter(pl.col("age_group") == "65–84").height / sample.height
    older_pop = (
        pop.filter(pl.col("age_group") == "65–84")["population"].sum() / pop["population"].sum()
    )
    assert older > older_pop + 0.08  # the old answer more
    margins = {
        ("age_group", "sex"): pop.group_by("age_group", "sex").agg(pl.col("population").sum()),
        "district": pop.group_by("district").agg(pl.col("population").sum()),
    }
    raked = ly.rake(
        sample,
        margins,
        design=ly.Design("design_weight", strata="district", fpc="district_population"),
    )
    weighted = ly.design_estimate(raked.data, raked.design, instrument="epl-citizen")
    plain = ly.design_estimate(sample, ly.Design(), instrument="epl-citizen")
    w_index = weighted.filter(pl.col("variable") == "epl")["estimate"][0]
    p_index = plain.filter(pl.col("variable") == "epl")["estimate"][0]
    # The old are more positive, so weighting them down lowers the index.
    assert w_index < p_index - 0.5
    assert weighted.columns[:4] == ["level", "variable", "statistic", "estimate"]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 60))
def test_suppressed_domains_never_leak_and_row_order_changes_nothing(seed, min_group):
    sample = ly.example_data("citizens").sample(n=400, seed=seed)
    design = ly.Design("design_weight", strata="district", fpc="district_population")
    out = ly.design_estimate(
        sample, design, instrument="epl-citizen", by=["district", "sex"], min_group=min_group
    )
    blanked = out.filter(pl.col("suppressed"))
    hidden = blanked.select(
        "estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "deff_replace", "df", "flag"
    )
    assert hidden.null_count().sum_horizontal()[0] == 10 * blanked.height
    sizes = sample.group_by("district", "sex").len()
    small = sizes.filter(pl.col("len") < min_group)
    shown = out.filter(~pl.col("suppressed"), pl.col("level") == 1)
    assert shown.join(small, on=["district", "sex"]).height == 0
    # Blanks are bare, and an integer programme over the published answer counts (whole
    # numbers ≥ 0, the total) cannot narrow a small domain's count to within min_group.
    assert blanked["note"].null_count() == blanked.height
    variables = out["variable"].unique().to_list()
    columns = ["district", "sex"]
    knowledge = Knowledge(atoms_of(sample, columns))
    learn(knowledge, columns, out, columns, variables, measure_column="variable")
    scored = ly.score(sample, "epl-citizen")
    for row in blanked.filter(pl.col("level") == 1).iter_rows(named=True):
        members = scored.filter(district=row["district"], sex=row["sex"])
        true_n = members[row["variable"]].is_not_null().sum()
        if 0 < true_n < min_group:
            ids = matching(knowledge.atoms, columns, {c: row[c] for c in columns})
            low, high = interval(knowledge, f"n:{row['variable']}", ids)
            assert high - low >= min_group, (row, low, high)
    shuffled = sample.sample(fraction=1.0, shuffle=True, seed=seed)
    again = ly.design_estimate(
        shuffled, design, instrument="epl-citizen", by=["district", "sex"], min_group=min_group
    )
    floats = ["estimate", "se", "ci_low", "ci_high", "n_eff", "deff", "deff_replace", "flag"]
    assert again.drop(floats).equals(out.drop(floats))
    np.testing.assert_allclose(
        again["estimate"].fill_null(-1).to_numpy(),
        out["estimate"].fill_null(-1).to_numpy(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        again["se"].fill_null(-1).to_numpy(), out["se"].fill_null(-1).to_numpy(), rtol=1e-8
    )


def test_epl_citizen_maps_one_to_ten_onto_0_100_and_dont_know_to_missing():
    inst = ly.Instrument.builtin("epl-citizen")
    assert inst.dimensions == ["engagement", "participation", "learning"]
    items = [i for d in ("del", "eng", "lar") for i in inst.items if i.startswith(d)]
    answers = pl.DataFrame({i: [1, 10, 4, 11] for i in items})
    scores = ly.score(answers, inst)
    # (x − 1) · 100 / 9: 1 → 0, 10 → 100, 4 → 33.33…; 11 ("vet ej") → missing.
    assert scores["participation"].to_list()[:3] == pytest.approx([0.0, 100.0, 100 / 3])
    assert scores["participation"][3] is None
    sample = ly.example_data("citizens")
    assert sample.equals(ly.example_data("citizens"))
    assert set(items) <= set(sample.columns)


# ---- intervals of shares (ci_method) ------------------------------------------------------
# Reference: R survey 4.1.1, `svyciprop` (and `svyby(..., svyciprop, vartype="ci")` for the
# domain), on apiclus1 with
#     dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
#     dclus1 <- update(dclus1, hs=as.numeric(stype=="H"))
#     svyciprop(~hs, dclus1, method=m)
#     svyby(~hs, ~I(stype == "E"), dclus1, svyciprop, method=m, vartype="ci")  # row FALSE
# Wilson has no svyciprop method: its reference is the formula (Wilson 1927 with
# n* = p(1-p)/vcov(svymean(~hs, d)) and t = qt(0.975, degf(d)); Dean & Pagano 2015)
# computed in R from svymean's variance. R's "logit" fits a quasibinomial glm (converged to
# ~1e-13 of the closed form), hence its looser tolerance.
SHARE_ALL = {  # method: (ci_low, ci_high) of the whole sample, p = 0.0765027322404372
    "mean": (0.0190005313201836, 0.134004933160691),
    "logit": (0.0354088346206707, 0.157501118284708),
    "xlogit": (0.0354088346206289, 0.157501118284652),
    "beta": (0.0296381062071703, 0.156022548788452),
    "asin": (0.0293194971089835, 0.143428939706756),
    "wilson": (0.0361310120657031, 0.154742489943814),
}
SHARE_NOT_E = {  # the domain stype != "E" (39 schools), p = 0.358974358974359
    "mean": (0.185464063654473, 0.532484654294245),
    "logit": (0.208524123751146, 0.543442107764181),
    "xlogit": (0.20852412375114, 0.543442107764177),
    "beta": (0.196362832338107, 0.549360154086748),
    "asin": (0.198347962888032, 0.537851039363705),
    "wilson": (0.211311802788057, 0.539268782279099),
}


def share_table(method: str | None) -> pl.DataFrame:
    df = CLUS1.with_columns(hs=(pl.col("stype") == "H").cast(pl.Float64), e=pl.col("stype") == "E")
    design = ly.Design(psu="dnum", weights="pw", fpc="fpc")
    return ly.design_estimate(
        df, design, "hs", by="e", statistic="proportion", ci_method=method, min_group=1
    )


@pytest.mark.parametrize("method", sorted(SHARE_ALL))
def test_share_intervals_match_svyciprop(method):
    table = share_table(method)
    tolerance = 1e-9 if method == "logit" else 1e-11
    whole = table.filter(pl.col("level") == 0).row(0, named=True)
    assert whole["estimate"] == pytest.approx(0.0765027322404372, abs=1e-14)
    assert (whole["ci_low"], whole["ci_high"]) == pytest.approx(SHARE_ALL[method], abs=tolerance)
    not_e = table.filter(pl.col("e") == False).row(0, named=True)  # noqa: E712
    assert not_e["n"] == 39
    assert (not_e["ci_low"], not_e["ci_high"]) == pytest.approx(SHARE_NOT_E[method], abs=tolerance)


def test_share_at_zero_has_no_logit_interval_and_a_korn_graubard_one():
    # No high school among the elementary schools: R gives NaN for every method but "mean".
    e_logit = share_table("logit").filter(pl.col("e") == True).row(0, named=True)  # noqa: E712
    assert (e_logit["estimate"], e_logit["ci_low"], e_logit["ci_high"]) == (0.0, None, None)
    assert "no interval" in e_logit["note"] and 'ci_method="beta"' in e_logit["note"]
    e_beta = share_table("beta").filter(pl.col("e") == True).row(0, named=True)  # noqa: E712
    # Korn & Graubard (1998): n = 144 rows as the effective size; R qbeta(0.975, 1, 144).
    assert e_beta["ci_low"] == 0.0
    assert e_beta["ci_high"] == pytest.approx(1 - 0.025 ** (1 / 144), abs=1e-12)
    assert e_beta["note"] is None


def test_presentation_flags_and_degrees_of_freedom_per_domain():
    # Degrees of freedom: R `degf(dclus1)` 14, `degf(subset(dclus1, stype == "E"))` 14,
    # `stype != "E"` 11, `"H"` 7, `"M"` 11. Flags by the NCHS rules on the Korn–Graubard
    # intervals of SHARE_ALL / SHARE_NOT_E: the whole sample's width 0.1264 is 165 % of p =
    # 0.0765 (Px); not-E's width 0.353 ≥ 0.30 (Px); E's share is 0 of 144 rows (P0).
    shares = share_table("logit").sort("level", "e", nulls_last=True)
    assert shares["df"].to_list() == [14.0, 11.0, 14.0]
    whole, not_e, e = shares.rows(named=True)
    assert (whole["flag"], e["flag"], not_e["flag"]) == ("Px", "P0", "Px")
    # Means (no NCHS standard; its 30/30 rule): 14 high schools and 25 middle schools are
    # under 30 rows (Mx); the elementary schools' RSE is 22.36 / 648.87 = 3 %.
    means = ly.design_estimate(
        CLUS1, ly.Design(psu="dnum", weights="pw", fpc="fpc"), "api00", by="stype", min_group=1
    )
    assert means["df"].to_list() == [14.0, 14.0, 7.0, 11.0]
    assert means["flag"].to_list() == [None, None, "Mx", "Mx"]
    assert means["se"][1] == pytest.approx(22.36241, abs=1e-5)  # svyby(~api00, ~stype, ...)


ONE_IN_40 = {  # R: d40 <- svydesign(id=~1, weights=~w, data=data.frame(y=c(1, rep(0,39)), w=1))
    "logit": (0.00321048876989677, 0.169523671137736),  # svyciprop(~y, d40, method="logit")
    "beta": (0.000583322339679093, 0.133745709883334),
    # R's lower limit is sin² of a negative angle (1.00150820533962e-05); lyhord stops at 0.
    "asin": (0.0, 0.0993855666555599),
    "wilson": (0.00415806463560641, 0.136039180843379),  # the formula, as above
    "mean": (-0.025567273000919, 0.075567273000919),  # the issue's [-0.026, 0.076]
}


@pytest.mark.parametrize("method", sorted(ONE_IN_40))
def test_one_yes_in_forty(method):
    df = pl.DataFrame({"y": [1.0] + [0.0] * 39, "w": [1.0] * 40})
    row = ly.design_estimate(
        df, ly.Design(weights="w"), "y", statistic="proportion", ci_method=method, min_group=1
    ).row(0, named=True)
    tolerance = 1e-9 if method == "logit" else 1e-11
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ONE_IN_40[method], abs=tolerance)


def test_zero_of_forty_korn_graubard_upper_limit():
    df = pl.DataFrame({"y": [0.0] * 40, "w": [1.0] * 40})
    row = ly.design_estimate(
        df, ly.Design(weights="w"), "y", statistic="proportion", ci_method="beta", min_group=1
    ).row(0, named=True)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.0, 0.0880973028788024), abs=1e-12)


def test_share_interval_is_the_default_for_shares_and_refused_for_means():
    df = pl.DataFrame({"y": [1.0] + [0.0] * 39, "w": [1.0] * 40})
    design = ly.Design(weights="w")
    default = ly.design_estimate(df, design, "y", statistic="proportion", min_group=1)
    assert default["ci_low"][0] == pytest.approx(ONE_IN_40["logit"][0], abs=1e-9)
    # A method that does not go with the statistic, as a bad confidence level: the estimate
    # cannot be made as asked (EstimationError); a value not on the list: ArgumentError.
    with pytest.raises(ly.EstimationError, match='ci_method.*"beta" is an interval for shares'):
        ly.design_estimate(df, design, "y", ci_method="beta", min_group=1)
    with pytest.raises(ly.ArgumentError, match="ci_method"):
        ly.design_estimate(df, design, "y", statistic="proportion", ci_method="exact")


@settings(max_examples=60, deadline=None)
@given(
    answers=st.lists(st.tuples(st.booleans(), st.floats(0.2, 5.0)), min_size=2, max_size=60),
    method=st.sampled_from(["logit", "xlogit", "beta", "asin", "wilson"]),
)
def test_share_intervals_stay_in_zero_one_around_the_share(answers, method):
    df = pl.DataFrame({"y": [float(a) for a, _ in answers], "w": [w for _, w in answers]})
    row = ly.design_estimate(
        df, ly.Design(weights="w"), "y", statistic="proportion", ci_method=method, min_group=1
    ).row(0, named=True)
    p, low, high = row["estimate"], row["ci_low"], row["ci_high"]
    if low is None:  # no interval at 0 or 1 on this scale, and the note says so
        assert p in (0.0, 1.0) and method != "beta" and "no interval" in row["note"]
        return
    assert 0.0 <= low <= p + 1e-12 and p - 1e-12 <= high <= 1.0


def test_design_effects_match_svymean_deff():
    # R survey 4.1.1: svymean(~api00, dclus1, deff=TRUE) and deff="replace";
    # svyby(~api00, ~stype, dclus1, svymean, deff=TRUE); svytotal(~api00, dclus1, deff=TRUE);
    # svymean(~hs, update(dclus1, hs=as.numeric(stype=="H")), deff=TRUE).
    design = ly.Design(psu="dnum", weights="pw", fpc="fpc")
    means = ly.design_estimate(CLUS1, design, "api00", by="stype", min_group=1)
    assert means["deff"].to_list() == pytest.approx(
        [9.34586945059095, 6.58367352502780, 2.22825931686862, 2.16389972008046], rel=1e-12
    )
    assert means["deff_replace"][0] == pytest.approx(9.06974836245306, rel=1e-12)
    total = ly.design_estimate(CLUS1, design, "api00", statistic="total", min_group=1)
    assert total["deff"][0] == pytest.approx(354.720271474775, rel=1e-12)
    shares = CLUS1.with_columns(hs=(pl.col("stype") == "H").cast(pl.Float64))
    share = ly.design_estimate(shares, design, "hs", statistic="proportion", min_group=1)
    assert share["deff"][0] == pytest.approx(1.90802483952695, rel=1e-12)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
@pytest.mark.parametrize("seed", [1, 2])
def test_share_intervals_against_r_when_installed(tmp_path, seed):
    """Differential check on a fresh stratified cluster sample: R survey's svyciprop (run
    here when R and its survey package are installed) against lyhord, every method but
    Wilson (not in svyciprop), whole sample and each domain."""
    rng = np.random.default_rng(seed)
    rows = 300
    y = (rng.uniform(size=rows) < 0.15).astype(float)
    df = cluster_sample(rng, rows, strata=3, clusters=8, y=y, domains=2)
    script = """
suppressMessages(library(survey))
x <- read.csv("{path}")
des <- svydesign(id=~psu, strata=~stratum, weights=~w, data=x, nest=TRUE)
for (m in c("mean", "logit", "xlogit", "beta", "asin")) {
  r <- svyciprop(~y, des, method=m)
  cat(m, "all", sprintf("%.17g", attr(r, "ci")), "\\n")
  for (g in 0:1) {
    r <- svyciprop(~y, subset(des, d == g), method=m)
    cat(m, g, sprintf("%.17g", attr(r, "ci")), "\\n")
  }
}
"""
    output = run_r(script, df, tmp_path)
    design = ly.Design(weights="w", strata="stratum", psu="psu")
    for line in output.splitlines():
        method, where, low, high = line.split()
        table = ly.design_estimate(
            df, design, "y", by="d", statistic="proportion", ci_method=method, min_group=1
        )
        row = table.filter(
            pl.col("level") == 0 if where == "all" else pl.col("d") == int(where)
        ).row(0, named=True)
        tolerance = 1e-8 if method == "logit" else 1e-10
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (float(low), float(high)), abs=tolerance
        ), (method, where)


@pytest.mark.parametrize("convention", ["survey", "people_survey"])
def test_one_convention_across_estimate_and_design_estimate(convention):
    # The same 43 positive answers of 100 from a headcount of 200, as an item of ly.estimate
    # and as a 0/1 variable of a simple random sample: one standard error and one interval
    # (survey: p(1−p)/(n−1) · (1 − n/N), t(99); people_survey: p(1−p)/n · (N−n)/(N−1), z).
    codes = [5] * 43 + [2] * 57
    answers = pl.DataFrame({"enhet": ["A"] * 100, **{f"hme{i}": codes for i in range(1, 10)}})
    hc = pl.DataFrame({"enhet": ["A"], "headcount": [200]})
    t = ly.estimate(answers, "hme", by="enhet", headcounts=hc, convention=convention)
    item = t.filter(pl.col("level") == 1, pl.col("measure") == "hme1").row(0, named=True)
    sample = pl.DataFrame({"y": [c >= 4 for c in codes], "N": [200.0] * 100})
    d = ly.design_estimate(
        sample,
        ly.Design(fpc="N"),
        "y",
        statistic="proportion",
        min_group=1,
        convention=convention,
    ).row(0, named=True)
    expected = {
        "survey": math.sqrt(0.43 * 0.57 / 99 * (1 - 100 / 200)),
        "people_survey": math.sqrt(0.43 * 0.57 / 100 * 100 / 199),
    }[convention]
    assert d["se"] == pytest.approx(expected, rel=1e-12)
    assert item["pct_positive_se"] == pytest.approx(100 * expected, rel=1e-12)
    assert item["pct_positive_ci_low"] == pytest.approx(100 * d["ci_low"], rel=1e-12)
    assert item["pct_positive_ci_high"] == pytest.approx(100 * d["ci_high"], rel=1e-12)
    assert d["df"] == (99.0 if convention == "survey" else None)


# ---- comparisons between domains ---------------------------------------------------------
# Reference: R survey 4.1.1 on the api data:
#   b <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE)
#   svycontrast(b, c(E=1, H=-1)) → 30.2966269841270, SE 30.0276061918454
#   svycontrast(b, c(E=1, M=-1)) → 17.4280555555555, SE 14.3373902342168
#   svycontrast(b, c(H=1, M=-1)) → −12.8685714285715, SE 33.5862440075793
#   summary(svyglm(api00 ~ stype, dclus1)): df.residual 12, p 0.332906532390382 (H − E),
#     0.247523692152177 (M − E)
#   svyttest(api00 ~ sch.wide, dstrat) with dstrat <- svydesign(id=~1, strata=~stype,
#     weights=~pw, data=apistrat, fpc=~fpc): t 3.86838190810270, df 196,
#     p 1.49054470775805e-04; svycontrast(svyby(~api00, ~sch.wide, dstrat, svymean,
#     covmat=TRUE), c(No=-1, Yes=1)) → 82.7835854421888, SE 21.4000549606520
#   svycontrast(svyby(~hs, ~stype, dclus1, svymean, covmat=TRUE), c(E=1, H=-1)) with
#     hs = sch.wide == "Yes" → 0.130952380952381, SE 0.101612030982526
#   r <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop),
#             control=list(maxit=200, epsilon=1e-13))
#   summary(svyglm(enroll ~ stype, r)): stypeH 671.652310677388, SE 340.3122081616306,
#     p 7.18994048194442e-02, df 12
def test_domain_differences_match_svycontrast_svyglm_and_svyttest():
    pairs = ly.design_compare(CLUS1, DCLUS1, "api00", by="stype", min_group=1)
    assert pairs.select("stype", "stype_versus").rows() == [("E", "H"), ("E", "M"), ("H", "M")]
    np.testing.assert_allclose(
        pairs["difference"].to_numpy(),
        [30.2966269841270, 17.4280555555555, -12.8685714285715],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        pairs["se"].to_numpy(),
        [30.0276061918454, 14.3373902342168, 33.5862440075793],
        rtol=1e-11,
    )
    assert pairs["df"].to_list() == [12.0, 12.0, 12.0]
    assert pairs["p_value"][0] == pytest.approx(0.332906532390382, abs=1e-12)
    assert pairs["p_value"][1] == pytest.approx(0.247523692152177, abs=1e-12)
    # Holm over the three: the largest adjusted p is max of the step-down values.
    assert pairs["p_adjusted"].max() == pytest.approx(3 * pairs["p_value"].min(), rel=1e-12)
    schwide = ly.design_compare(
        STRAT,
        ly.Design("pw", "stype", fpc="fpc"),
        "api00",
        by="sch.wide",
        reference="No",
        min_group=1,
    ).row(0, named=True)
    assert (schwide["sch.wide"], schwide["sch.wide_versus"]) == ("Yes", "No")
    assert schwide["difference"] == pytest.approx(82.7835854421888, rel=1e-12)
    assert schwide["se"] == pytest.approx(21.4000549606520, rel=1e-11)
    assert schwide["t"] == pytest.approx(3.86838190810270, rel=1e-11)
    assert schwide["df"] == 196.0
    assert schwide["p_value"] == pytest.approx(1.49054470775805e-04, rel=1e-9)
    shares = CLUS1.with_columns(hs=pl.col("sch.wide") == "Yes")
    e_h = ly.design_compare(
        shares, DCLUS1, "hs", by="stype", statistic="proportion", min_group=1
    ).row(0, named=True)
    assert (e_h["difference"], e_h["se"]) == pytest.approx(
        (0.130952380952381, 0.101612030982526), rel=1e-11
    )
    raked = ly.rake(
        CLUS1, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, design=DCLUS1, tolerance=1e-13
    )
    calibrated = ly.design_compare(
        raked.data, raked.design, "enroll", by="stype", reference="E", min_group=1
    ).row(0, named=True)
    assert (calibrated["stype"], calibrated["stype_versus"]) == ("H", "E")
    assert calibrated["difference"] == pytest.approx(671.652310677388, rel=1e-10)
    assert calibrated["se"] == pytest.approx(340.3122081616306, rel=1e-9)
    assert calibrated["p_value"] == pytest.approx(7.18994048194442e-02, abs=1e-9)
    assert calibrated["df"] == 12.0


def test_domain_comparisons_leave_blanked_domains_out():
    # 14 high schools < min_group 20: blanked, and with it another domain so that the whole
    # sample minus the shown domains does not give it back. No shown comparison may involve
    # a domain design_estimate blanks.
    estimates = ly.design_estimate(CLUS1, DCLUS1, "api00", by="stype", min_group=20)
    blanked = set(estimates.filter(pl.col("suppressed"))["stype"].to_list())
    assert "H" in blanked and len(blanked) >= 2
    pairs = ly.design_compare(CLUS1, DCLUS1, "api00", by="stype", min_group=20)
    for row in pairs.iter_rows(named=True):
        involved = {row["stype"], row["stype_versus"]}
        assert row["suppressed"] == bool(involved & blanked)
        if row["suppressed"]:
            numbers = [row[c] for c in ("estimate", "difference", "se", "t", "p_value")]
            assert numbers == [None] * 5


def test_domain_comparison_errors_name_the_parameter():
    with pytest.raises(ly.LyhordError, match='`reference`: "X" is not a value of `stype`'):
        ly.design_compare(CLUS1, DCLUS1, "api00", by="stype", reference="X", min_group=1)
    with pytest.raises(ly.LyhordError, match="`reference`.*single `by` column"):
        ly.design_compare(
            CLUS1, DCLUS1, "api00", by=["stype", "sch.wide"], reference="E", min_group=1
        )
    with pytest.raises(ly.ArgumentError, match="adjust"):
        ly.design_compare(CLUS1, DCLUS1, "api00", by="stype", adjust="bonferroni")


# ---- Rao–Scott test of independence ------------------------------------------------------
# Reference: R survey 4.1.1,
#   svychisq(~sch.wide + stype, dclus1): F 5.1933695414748771, ndf 1.4946397777074554,
#     ddf 20.9249568879043757, p 0.0217474623707969
#   svychisq(~sch.wide + stype, dclus1, statistic="Chisq"): X-squared 11.94089208074533914
#     (R prints Pearson's X² and the p of X² / mean(diag(Δ))), df 2, p 0.00555326330311322
#   svychisq(~sch.wide + stype, dstrat): F 17.2474439638888, ndf 1.82867150416358,
#     ddf 360.248286320226, p 2.03504635946512e-07; "Chisq": X² 26.7535340358908,
#     p 3.23243841628859e-08
@pytest.mark.parametrize(
    ("data", "design", "expected"),
    [
        (
            CLUS1,
            DCLUS1,
            (
                11.94089208074534,
                5.193369541474877,
                1.4946397777074554,
                20.924956887904376,
                0.0217474623707969,
                0.00555326330311322,
            ),
        ),
        (
            STRAT,
            ly.Design("pw", "stype", fpc="fpc"),
            (
                26.7535340358908,
                17.2474439638888,
                1.82867150416358,
                360.248286320226,
                2.03504635946512e-07,
                3.23243841628859e-08,
            ),
        ),
    ],
)
def test_rao_scott_matches_svychisq(data, design, expected):
    row = ly.design_chisq(data, design, "sch.wide", "stype", min_group=1).row(0, named=True)
    got = tuple(row[c] for c in ("pearson", "f", "ndf", "ddf", "p_value", "p_chisq"))
    assert got == pytest.approx(expected, rel=1e-9)
    # First order: X² · (r−1)(c−1) / tr Δ, and F = X² / tr Δ, so chisq = 2 F here.
    assert row["chisq"] == pytest.approx(2 * row["f"], rel=1e-12)
    assert (row["n"], row["n_excluded"], row["df"]) == (data.height, 0, 2.0)


def test_rao_scott_test_is_blank_when_a_cell_is_small_and_counts_no_answers():
    # 14 high schools: with min_group 20 a category of the table is too small to publish.
    blank = ly.design_chisq(CLUS1, DCLUS1, "sch.wide", "stype", min_group=20).row(0, named=True)
    assert blank["suppressed"] is True
    assert [v for k, v in blank.items() if k not in ("row", "column", "suppressed")] == [None] * 11
    # A null answer leaves the table and is counted, not dropped silently.
    holes = CLUS1.with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(None)
        .otherwise(pl.col("sch.wide"))
        .alias("sch.wide")
    )
    row = ly.design_chisq(holes, DCLUS1, "sch.wide", "stype", min_group=1).row(0, named=True)
    assert (row["n"], row["n_excluded"]) == (180, 3)
    one = CLUS1.with_columns(stype=pl.lit("E"))
    flat = ly.design_chisq(one, DCLUS1, "sch.wide", "stype", min_group=1).row(0, named=True)
    assert flat["f"] is None and "fewer than two answered categories" in flat["note"]


# ---- quantiles -----------------------------------------------------------------------------
# Reference: R survey 4.1.1, svyquantile(~api00, d, c(0.25, 0.5, 0.9)) (Woodruff, "math" rule):
#   dclus1: 0.25 → 552 [492, 627] se 31.4716612053995; 0.5 → 652 [561, 714] se
#           35.6678826994527; 0.9 → 781 [745, 836] se 21.2142308866026
#   dstrat: 0.25 → 565 [535, 597] se 15.7194511320391; 0.5 → 668 [642, 694] se
#           13.1840557881618; 0.9 → 836 [806, 865] se 14.9588325288759
#   per stype, svyquantile(~api00, subset(dclus1, stype == s), 0.5): E 652 [561, 717] se
#   36.3672529484616; M 642 [528, 720] se 43.6168320171695; H 608 [478, 724] — R's lower
#   end there is its qrule_math's `last()` of no match (1, so the second smallest answer):
#   the share's lower end is below the first school's weight share, and the rule's own
#   definition (the smallest answer reaching it) gives the smallest, 443.
@pytest.mark.parametrize(
    ("data", "design", "expected"),
    [
        (
            CLUS1,
            DCLUS1,
            [
                (0.25, 552, 492, 627, 31.4716612053995),
                (0.5, 652, 561, 714, 35.6678826994527),
                (0.9, 781, 745, 836, 21.2142308866026),
            ],
        ),
        (
            STRAT,
            ly.Design("pw", "stype", fpc="fpc"),
            [
                (0.25, 565, 535, 597, 15.7194511320391),
                (0.5, 668, 642, 694, 13.1840557881618),
                (0.9, 836, 806, 865, 14.9588325288759),
            ],
        ),
    ],
)
def test_quantiles_match_svyquantile(data, design, expected):
    for p, q, low, high, se in expected:
        row = ly.design_estimate(
            data, design, "api00", statistic="quantile", quantile=p, min_group=1
        ).row(0, named=True)
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == (q, low, high)
        assert row["se"] == pytest.approx(se, rel=1e-11)
        assert row["deff"] is None and row["flag"] is None


def test_domain_medians_and_quantile_errors():
    medians = ly.design_estimate(
        CLUS1, DCLUS1, "api00", by="stype", statistic="quantile", min_group=1
    ).filter(pl.col("level") == 1)
    e, h, m = medians.rows(named=True)
    assert (e["estimate"], e["ci_low"], e["ci_high"]) == (652, 561, 717)
    assert e["se"] == pytest.approx(36.3672529484616, rel=1e-11)
    assert (m["estimate"], m["ci_low"], m["ci_high"]) == (642, 528, 720)
    assert (h["estimate"], h["ci_low"], h["ci_high"], h["df"]) == (608, 443, 724, 7.0)
    with pytest.raises(ly.LyhordError, match="`quantile`: must be between 0 and 1"):
        ly.design_estimate(CLUS1, DCLUS1, "api00", statistic="quantile", quantile=50)
    with pytest.raises(ly.LyhordError, match="`statistic`.*quantile"):
        ly.design_compare(CLUS1, DCLUS1, "api00", by="stype", statistic="quantile")


# ---- calibration (GREG, raking, logit) -----------------------------------------------------
# Reference: R survey 4.1.1 (with MASS), the ?calibrate example on apiclus1:
#   pop.totals <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)
#   g <- calibrate(dclus1, ~stype+api99, c(pop.totals, api99=3914069), <calfun, bounds>,
#                  epsilon=1e-13, maxit=100); svymean(~api00, g)
#   linear:                    665.30907116578, SE 3.44175311640481 (g from 14.168/pw …)
#                              svytotal(~enroll, g): 3638487.20413188, SE 385524.427352479
#   logit, bounds (0.7, 1.7):  665.460969428538, SE 3.41998372156945
#   raking:                    665.39379600015, SE 3.43775353983483
#   linear, bounds (0.6, 1.6): 665.48494593063, SE 3.41838740287254 (g spans [0.6, 1.6])
#   calibrate(dclus1, ~api99, c(`(Intercept)`=6194, api99=3914069)):
#                              666.71773625027, SE 3.29588091215716
TYPES = {"stype": POP_TYPES}


@pytest.mark.parametrize(
    ("options", "mean", "se"),
    [
        ({}, 665.30907116578, 3.44175311640481),
        ({"method": "logit", "bounds": (0.7, 1.7)}, 665.460969428538, 3.41998372156945),
        ({"method": "raking"}, 665.39379600015, 3.43775353983483),
        ({"method": "linear", "bounds": (0.6, 1.6)}, 665.48494593063, 3.41838740287254),
    ],
)
def test_calibration_matches_r_calibrate(options, mean, se):
    g = ly.calibrate(CLUS1, TYPES, {"api99": 3914069}, design=DCLUS1, **options)
    got = one(g.data, "api00", g.design)
    assert got[0] == pytest.approx(mean, rel=1e-11)
    assert got[1] == pytest.approx(se, rel=1e-9)
    assert g.report["relative_error"].abs().max() < 1e-10
    ratio = g.data["weight"] / g.data["pw"]
    if "bounds" in options:
        low, high = options["bounds"]
        assert low - 1e-9 <= ratio.min() and ratio.max() <= high + 1e-9
    assert CLUS1.columns == g.data.columns[:-1]  # the input is not changed


def test_calibration_to_numeric_totals_and_greg_totals():
    greg = ly.calibrate(CLUS1, TYPES, {"api99": 3914069}, design=DCLUS1)
    assert greg.iterations == 1
    total = one(greg.data, "enroll", greg.design, "total")
    assert total == pytest.approx((3638487.20413188, 385524.427352479), rel=1e-10)
    only = ly.calibrate(CLUS1, totals={"api99": 3914069}, design=DCLUS1, population_size=6194)
    assert one(only.data, "api00", only.design) == pytest.approx(
        (666.71773625027, 3.29588091215716), rel=1e-10
    )
    assert only.report.filter(pl.col("margin") == "api99")["category"][0] == "(total)"


def test_calibration_errors_name_the_parameter():
    with pytest.raises(ly.LyhordError, match="`bounds`.*logit"):
        ly.calibrate(CLUS1, TYPES, method="logit", design=DCLUS1)
    with pytest.raises(ly.LyhordError, match="`bounds`: need 0 < L < 1 < U"):
        ly.calibrate(CLUS1, TYPES, method="linear", bounds=(1.2, 3), design=DCLUS1)
    with pytest.raises(ly.LyhordError, match="`population_size`"):
        ly.calibrate(CLUS1, totals={"api99": 3914069}, design=DCLUS1)
    with pytest.raises(ly.LyhordError, match="`max_iterations`: calibration did not converge"):
        ly.calibrate(CLUS1, TYPES, {"api99": 3914069}, design=DCLUS1, bounds=(0.9, 1.1))
    with pytest.raises(ly.ArgumentError, match="method"):
        ly.calibrate(CLUS1, TYPES, method="greg")


# ---- nonresponse adjustment by class -------------------------------------------------------
def test_nonresponse_adjustment_carries_each_class_and_reports_it():
    # Independent reference: numpy, w = d · Σ_class d / Σ_class,responded d.
    rng = np.random.default_rng(5)
    n = 400
    sampled = pl.DataFrame(
        {
            "district": rng.choice(["A", "B", "C"], n),
            "age": rng.choice(["young", "old"], n),
            "d": rng.uniform(5, 15, n),
            "responded": rng.random(n) < 0.4,
        }
    )
    out = ly.adjust_nonresponse(
        sampled, responded="responded", classes=["district", "age"], design=ly.Design("d")
    )
    pdf = sampled.to_pandas()
    key = pdf["district"] + "/" + pdf["age"]
    factor = pdf.groupby(key)["d"].sum() / pdf[pdf["responded"]].groupby(key)["d"].sum()
    expected = (pdf["d"] * key.map(factor))[pdf["responded"]].to_numpy()
    np.testing.assert_allclose(out.data["weight"].to_numpy(), expected, rtol=1e-13)
    assert out.data["weight"].sum() == pytest.approx(sampled["d"].sum(), rel=1e-13)
    assert out.report["n_sampled"].sum() == n
    assert out.report["n_responded"].sum() == out.data.height == sampled["responded"].sum()
    assert out.design.weights == "weight" and sampled.columns == [
        "district",
        "age",
        "d",
        "responded",
    ]
    rates = out.report.select(pl.col("response_rate") * pl.col("factor"))
    assert rates.to_series().to_list() == pytest.approx([1.0] * out.report.height)


def test_nonresponse_adjustment_errors_name_the_class_and_column():
    sampled = pl.DataFrame(
        {"district": ["A", "A", "B"], "responded": [True, False, False], "d": [1.0, 1.0, 1.0]}
    )
    with pytest.raises(ly.LyhordError, match="class `B` has 1 sampled and no respondents"):
        ly.adjust_nonresponse(sampled, responded="responded", classes="district")
    bad = sampled.with_columns(responded=pl.Series([1, None, 0]))
    with pytest.raises(ly.DataError, match="`responded`.*true/false"):
        ly.adjust_nonresponse(bad, responded="responded", classes="district")


def test_review_cases_no_infinite_tests_no_leaky_counts_no_lost_weights():
    # A census (fpc = population = sample) has no sampling variance: no t, no p, no inf.
    census = CLUS1.with_columns(everyone=pl.len().over("stype").cast(pl.Float64))
    pairs = ly.design_compare(
        census,
        ly.Design("pw", strata="stype", fpc="everyone"),
        "api00",
        by="sch.wide",
        min_group=1,
    )
    assert pairs["se"][0] == 0.0 and pairs["t"][0] is None and pairs["p_value"][0] is None
    # n_excluded counts the rows without an answer: a small such group blanks the test,
    # as design_estimate(by=row) would blank it as a domain of its own.
    holes = CLUS1.with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(None)
        .otherwise(pl.col("sch.wide"))
        .alias("sch.wide")
    )
    small = ly.design_chisq(holes, DCLUS1, "sch.wide", "stype", min_group=5).row(0, named=True)
    assert small["suppressed"] and small["n"] is None and small["n_excluded"] is None
    # The new weights may not overwrite the ones they start from; bounds keep g above 0.
    with pytest.raises(ly.ArgumentError, match="name='pw' is the design's weight column"):
        ly.calibrate(CLUS1, TYPES, design=DCLUS1, name="pw")
    with pytest.raises(ly.LyhordError, match="need 0 < L < 1 < U"):
        ly.calibrate(CLUS1, TYPES, design=DCLUS1, bounds=(0.0, 2.0))
    with pytest.raises(ly.LyhordError, match="exclusive"):
        ly.design_estimate(CLUS1, DCLUS1, "api00", statistic="quantile", quantile=1.0)
    # A stratum sampled in full is not lonely: "average" leaves it out of H₁.
    full = CLUS1.with_columns(fpc_by=pl.when(pl.col("dnum") == 413).then(1.0).otherwise(1000.0))
    average = ly.Design("pw", strata="dnum", fpc="fpc_by", lonely_psu="average")
    remove = ly.Design("pw", strata="dnum", fpc="fpc_by", lonely_psu="remove")
    assert one(full, "api00", average)[1] == pytest.approx(one(full, "api00", remove)[1])


def test_attacker_cannot_pin_the_no_answer_group_from_estimates_and_the_chisq_test():
    # Three schools without sch.wide: design_estimate(by="sch.wide") blanks that domain (and a
    # partner). The Rao–Scott test's n and n_excluded would give it back (n_excluded = 3
    # exactly); our own integer programme over everything published must not pin it.
    holes = CLUS1.with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(None)
        .otherwise(pl.col("sch.wide"))
        .alias("sch.wide")
    )
    estimates = ly.design_estimate(holes, DCLUS1, "api00", by="sch.wide", min_group=5)
    test = ly.design_chisq(holes, DCLUS1, "sch.wide", "stype", min_group=5).row(0, named=True)
    atoms = [("Yes",), ("No",), (None,)]

    def published(with_test: dict | None) -> Knowledge:
        knowledge = Knowledge(atoms)
        for row in estimates.iter_rows(named=True):
            ids = [0, 1, 2] if row["level"] == 0 else [atoms.index((row["sch.wide"],))]
            if row["n"] is not None:
                knowledge.add("n:api00", ids, "eq", row["n"])
            else:
                knowledge.add("n:api00", ids, "ge", 1)
        if with_test is not None and with_test["n"] is not None:
            knowledge.add("n:api00", [0, 1], "eq", with_test["n"])  # stype has no nulls
            knowledge.add("n:api00", [2], "eq", with_test["n_excluded"])
        return knowledge

    assert estimates.filter(pl.col("sch.wide").is_null(), pl.col("level") == 1)["suppressed"][0]
    low, high = interval(published(test), "n:api00", [2])
    assert high - low >= 5, (low, high)
    # The attacker is not toothless: the counts a test would show without the check pin it.
    leaky = {"n": 180, "n_excluded": 3}
    assert interval(published(leaky), "n:api00", [2]) == (3.0, 3.0)


def test_collapsed_strata_equal_the_strata_merged_by_hand():
    # 15 districts in strata of two by district number; the last stratum has one district
    # and is merged with the one before it (labels in order), as if labelled so from the
    # start. Each stratum stands for 100 districts, the merged one for 200.
    districts = sorted(CLUS1["dnum"].unique().to_list())
    label = {d: f"s{i // 2:02d}" for i, d in enumerate(districts)}
    data = CLUS1.with_columns(s=pl.col("dnum").replace_strict(label), N=pl.lit(100.0)).with_columns(
        merged=pl.when(pl.col("s") == "s07").then(pl.lit("s06")).otherwise(pl.col("s")),
        merged_N=pl.when(pl.col("s").is_in(["s06", "s07"])).then(200.0).otherwise(100.0),
    )
    collapsed = ly.Design("pw", "s", psu="dnum", fpc="N", lonely_psu="collapse")
    by_hand = ly.Design("pw", "merged", psu="dnum", fpc="merged_N")
    for statistic, variable in [("mean", "api00"), ("total", "enroll")]:
        a = ly.design_estimate(data, collapsed, variable, statistic=statistic, by="stype")
        b = ly.design_estimate(data, by_hand, variable, statistic=statistic, by="stype")
        for column in ("estimate", "se", "df"):
            # Equal up to the order of the sums (the merged stratum is numbered differently).
            assert a[column].to_list() == pytest.approx(b[column].to_list(), rel=1e-13)
    with pytest.raises(ly.EstimationError, match="s07.*collapse"):
        ly.design_estimate(data, ly.Design("pw", "s", psu="dnum"), "api00")
