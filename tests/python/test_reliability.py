"""API tests of reliability, item analysis, drivers and the priority matrix.

Reference values are written next to each test with the call that produced them.
"""

import random
import shutil
import subprocess
from pathlib import Path

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(__file__).parents[1] / "data"


def instrument(items, *, lo=1, hi=5, reverse=(), dont_know=()):
    """A one-scale instrument over `items` (index = mean of items, no dimensions)."""
    text = f"""
id = "test"
name = {{ sv = "test" }}
[scale]
min = {lo}
max = {hi}
positive = [{hi}]
dont_know = [{", ".join(map(str, dont_know))}]
[index]
id = "total"
label = {{ sv = "total" }}
rule = "mean_of_items"
min_answered = 1
"""
    for item in items:
        text += f'[[items]]\nid = "{item}"\ntext = {{ sv = "{item}" }}\n'
        if item in reverse:
            text += "reverse = true\n"
    return ly.Instrument.from_toml_str(text)


def synthetic(n=400, seed=1, units=("A", "B", "C")):
    """Staff-like answers on the epl-staff items: one latent level per respondent."""
    rng = random.Random(seed)
    inst = ly.Instrument.builtin("epl-staff")
    rows = {i: [] for i in inst.items}
    enhet = []
    for r in range(n):
        level = rng.gauss(3.4, 0.8)
        enhet.append(units[r % len(units)])
        for i in inst.items:
            x = min(5, max(1, round(level + rng.gauss(0, 0.7))))
            if i in ("eng4", "del5"):
                x = 6 - x  # reverse-keyed items are asked the other way round
            if rng.random() < 0.03:
                x = None
            elif rng.random() < 0.02:
                x = 6  # "vet ej"
            rows[i].append(x)
    return pl.DataFrame({"enhet": enhet, **rows}, schema_overrides={i: pl.Int64 for i in rows})


# --- reference values -------------------------------------------------------------------


def test_pingouin_cronbach_alpha_dataset():
    # pingouin 0.7.0: pg.cronbach_alpha(data=pg.read_dataset("cronbach_alpha"),
    #     items="Items", scores="Scores", subject="Subj") -> (0.5917188485995826, [0.195, 0.84])
    wide = pl.read_csv(DATA / "cronbach_alpha.csv").pivot(on="Items", index="Subj", values="Scores")
    items = [c for c in wide.columns if c != "Subj"]
    r = ly.reliability(wide, instrument(items, lo=0, hi=10)).row(0, named=True)
    assert r["alpha"] == pytest.approx(0.5917188485995826, abs=1e-12)
    assert (round(r["ci_low"], 3), round(r["ci_high"], 3)) == (0.195, 0.840)
    assert r["n"] == 15 and r["k"] == 10 and r["ci_method"] == "feldt"


def test_pingouin_wide_missing():
    # pingouin 0.7.0 docstring: pg.cronbach_alpha(data=pg.read_dataset("cronbach_wide_missing"))
    #     -> (0.732660835214447, [0.435, 0.909]); nan_policy="listwise" -> 0.8016949152542373
    wide = pl.read_csv(DATA / "cronbach_wide_missing.csv")
    inst = instrument(wide.columns, lo=0, hi=1)
    pw = ly.reliability(wide, inst).row(0, named=True)
    assert pw["alpha"] == pytest.approx(0.732660835214447, abs=1e-12)
    assert (round(pw["ci_low"], 3), round(pw["ci_high"], 3)) == (0.435, 0.909)
    lw = ly.reliability(wide, inst, missing="listwise").row(0, named=True)
    assert lw["alpha"] == pytest.approx(0.8016949152542373, abs=1e-12)
    assert lw["n"] == 9  # complete respondents (pingouin's CI uses all 12 rows)
    # 12 respondents, 11 binary items: singular correlations -> documented nulls, not NaN
    assert pw["lambda6"] is None and pw["omega_total"] is None
    assert "singular" in pw["note"]


def test_against_pingouin_live():
    pg = pytest.importorskip(
        "pingouin"
    )  # in the `dev` extra; the hard-coded tests above pin values
    df = synthetic(300, seed=5)
    inst = ly.Instrument.builtin("epl-staff")
    scores = (
        ly.item_analysis(df, inst)  # just to exercise it on the same frame
        .filter(pl.col("scale") == "engagement")
        .get_column("item")
        .to_list()
    )
    table = {
        i: df[i].replace(6, None).cast(pl.Float64).to_numpy() for i in inst.items if i in scores
    }
    table["eng4"] = 6 - table["eng4"]
    want = pg.cronbach_alpha(pl.DataFrame(table).to_pandas())[0]
    got = ly.reliability(df, inst).filter(pl.col("scale") == "engagement")["alpha"][0]
    assert got == pytest.approx(want, abs=1e-10)


BFI = ["A1", "A2", "A3", "A4", "A5"]


@pytest.mark.parametrize(
    ("items", "omega", "reversed_items"),
    [
        (["A1", "A2", "A3", "A4", "A5"], 0.722943136474929, "A1"),
        (["C1", "C2", "C3", "C4", "C5"], 0.731189719945136, "C4, C5"),
    ],
)
def test_omega_reverses_negatively_loading_items_as_psych(items, omega, reversed_items):
    # R, psych 2.2.9 with GPArotation: omega(bfi[items], nfactors = 1)$omega.tot with its
    # default flip = TRUE (the reverse-keyed items are not keyed in the instrument here);
    # with flip = FALSE psych gives 0.5920 and 0.2391.
    bfi = pl.read_csv(DATA / "bfi_ac.csv").select(items)
    inst = instrument(items, lo=1, hi=6)
    r = ly.reliability(bfi, inst).row(0, named=True)
    assert r["omega_total"] == pytest.approx(omega, abs=1e-6)
    assert f"{reversed_items} load negatively" in r["note"]


def test_psych_alpha_on_bfi_agreeableness():
    # R, psych 2.2.9 (R 4.2.2): a <- alpha(bfi[c("A1","A2","A3","A4","A5")], keys = "A1")
    #   a$total: raw_alpha 0.70301845 std.alpha 0.71302858 G6(smc) 0.68276267 average_r 0.33196766
    #   (psych's ?alpha printout: 0.70 0.71 0.68 0.33)
    #   a$alpha.drop$raw_alpha: 0.71851736 0.61718004 0.60025958 0.68580565 0.64295296
    #   a$item.stats$r.drop:    0.30841774 0.56361516 0.58700459 0.39444409 0.48856514
    # omega(bfi A1..A5 with A1 -> 7 - A1, nfactors = 1)$omega.tot = 0.7229431365
    bfi = pl.read_csv(DATA / "bfi_agreeableness.csv")
    inst = instrument(BFI, lo=1, hi=6, reverse={"A1"})
    r = ly.reliability(bfi, inst).row(0, named=True)
    assert r["alpha"] == pytest.approx(0.70301845, abs=1e-8)
    assert r["alpha_std"] == pytest.approx(0.71302858, abs=1e-8)
    assert r["lambda6"] == pytest.approx(0.68276267, abs=1e-8)
    assert r["average_r"] == pytest.approx(0.33196766, abs=1e-8)
    assert r["omega_total"] == pytest.approx(0.7229431365, abs=1e-6)
    items = ly.item_analysis(bfi, inst)
    assert items["alpha_if_deleted"].to_list() == pytest.approx(
        [0.71851736, 0.61718004, 0.60025958, 0.68580565, 0.64295296], abs=1e-8
    )
    assert items["r_drop"].to_list() == pytest.approx(
        [0.30841774, 0.56361516, 0.58700459, 0.39444409, 0.48856514], abs=1e-8
    )
    # R (psych 2.2.9, on tests/data/bfi_agreeableness.csv): a$alpha.drop$std.alpha
    assert items["std_alpha_if_deleted"].to_list() == pytest.approx(
        [0.7255091486, 0.6255798818, 0.6129446570, 0.6935413428, 0.6555301885], abs=1e-9
    )
    # R: alpha(..., keys = "A1", use = "complete.obs")$total -> 0.70375589 0.71350155 0.68317032
    lw = ly.reliability(bfi, inst, missing="listwise").row(0, named=True)
    assert (lw["n"], round(lw["alpha"], 8), round(lw["alpha_std"], 8)) == (
        2709,
        0.70375589,
        0.71350155,
    )


def johnson_numpy(x: np.ndarray, y: np.ndarray):
    """Johnson (2000) relative weights, written out with numpy (complete cases)."""
    r = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = r[:-1, :-1], r[:-1, -1]
    vals, vecs = np.linalg.eigh(rxx)
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    beta_star = np.linalg.solve(lam, rxy)
    raw = (lam**2) @ (beta_star**2)
    beta = np.linalg.solve(rxx, rxy)
    return raw, beta, raw.sum()


def test_relative_weights_match_numpy():
    df = synthetic(500, seed=3)
    inst = ly.Instrument.builtin("epl-staff")
    rng = np.random.default_rng(0)
    complete = df.filter(pl.all_horizontal([pl.col(i).is_in([1, 2, 3, 4, 5]) for i in inst.items]))
    x = complete.select(inst.items).to_numpy().astype(float)
    x[:, inst.items.index("eng4")] = 6 - x[:, inst.items.index("eng4")]
    x[:, inst.items.index("del5")] = 6 - x[:, inst.items.index("del5")]
    y = x[:, :5].mean(axis=1) + rng.normal(0, 0.5, len(x))
    complete = complete.with_columns(outcome=pl.Series(y))
    raw, beta, r2 = johnson_numpy(x, y)
    d = ly.drivers(complete, inst, outcome="outcome", n_boot=0)
    assert d["item"].to_list() == inst.items
    assert d["raw_weight"].to_numpy() == pytest.approx(raw, abs=1e-10)
    assert d["beta"].to_numpy() == pytest.approx(beta, abs=1e-10)
    assert d["r_squared"][0] == pytest.approx(r2, abs=1e-10)
    assert d["rescaled_pct"].sum() == pytest.approx(100.0)
    assert d["note"][0] == "no bootstrap (n_boot = 0)"


# --- behaviour ----------------------------------------------------------------------------


def test_reliability_columns_and_scales():
    df = synthetic()
    r = ly.reliability(df, "epl-staff")
    assert r.columns == [
        "scale", "kind", "k", "n", "alpha", "alpha_std", "ci_low", "ci_high", "lambda6",
        "omega_total", "average_r", "alpha_ordinal", "omega_ordinal", "ci_method",
        "confidence", "missing", "suppressed", "note",
    ]  # fmt: skip
    assert r["scale"].to_list() == ["engagement", "participation", "learning", "epl"]
    assert r["k"].to_list() == [5, 5, 4, 14]
    assert r["kind"].to_list() == ["dimension"] * 3 + ["index"]
    assert (r["alpha"] > 0.7).all() and (r["ci_low"] < r["alpha"]).all()
    assert r["note"].null_count() == 4


def test_reverse_keys_and_dont_know_are_applied():
    df = synthetic()
    items = ly.item_analysis(df, "epl-staff")
    eng4 = items.filter(pl.col("item") == "eng4").row(0, named=True)
    assert eng4["reverse"] and eng4["r_drop"] > 0.3  # turned: correlates positively
    # "vet ej" (6) is counted apart and is not an answer
    assert eng4["share_dont_know"] == pytest.approx((df["eng4"] == 6).sum() / df.height)
    assert eng4["n"] == df["eng4"].is_in([1, 2, 3, 4, 5]).sum()
    assert eng4["codes"] == [1, 2, 3, 4, 5]
    assert sum(eng4["shares"]) == pytest.approx(1.0)
    # raw code 1 on a reverse-keyed item is the ceiling (score 100)
    assert eng4["ceiling"] == pytest.approx(eng4["shares"][0])


def test_by_groups_and_suppression():
    df = pl.concat([synthetic(120), synthetic(3, units=("D",))])
    r = ly.reliability(df, "epl-staff", by="enhet", min_group=5)
    assert r["enhet"].unique(maintain_order=True).to_list() == ["A", "B", "C", "D"]
    d = r.filter(pl.col("enhet") == "D")
    assert d["suppressed"].all() and d["alpha"].null_count() == 4
    assert d["note"][0] is None  # bare: no reason, no count
    items = ly.item_analysis(df, "epl-staff", by="enhet", min_group=5)
    assert items.filter(pl.col("enhet") == "D")["mean"].null_count() == 14


def test_degenerate_input():
    inst = instrument(["x", "y", "z"])
    const = pl.DataFrame({"x": [1, 2, 3, 4], "y": [3, 3, 3, 3], "z": [2, 2, 3, 5]})
    with pytest.raises(ly.EstimationError, match=r"index `total`.*`y`.*zero variance"):
        ly.reliability(const, inst)
    few = pl.DataFrame({"x": [1, 2], "y": [3, 4], "z": [2, 5]})
    with pytest.raises(ly.EstimationError, match="only 2 respondent"):
        ly.reliability(few, inst)
    missing = pl.DataFrame({"x": [None] * 4, "y": [None] * 4, "z": [None] * 4}).cast(pl.Int64)
    with pytest.raises(ly.EstimationError, match="only 0 respondent"):
        ly.reliability(missing, inst)
    # with `by`, the same problem is a documented null with a note
    grouped = const.with_columns(g=pl.lit("a"))
    row = ly.reliability(grouped, inst, by="g", min_group=1).row(0, named=True)
    assert row["alpha"] is None and "zero variance" in row["note"]
    # singular predictors in a driver analysis are named
    dup = pl.DataFrame(
        {"x": [1, 2, 3, 4, 5, 2], "y": [1, 2, 3, 4, 5, 2], "z": [2, 1, 4, 3, 5, 5]}
    ).with_columns(out=pl.Series([1.0, 2.5, 2.0, 4.0, 5.0, 3.0]))
    with pytest.raises(ly.EstimationError, match=r"matrix of x, y is singular"):
        ly.drivers(dup, inst, outcome="out", n_boot=0)
    with pytest.raises(ly.EstimationError, match="outcome `nope`"):
        ly.drivers(dup, inst, outcome="nope")


def test_one_item_dimension_is_a_note():
    text = ly.Instrument.builtin("hme").to_toml()
    text = text.replace('items = ["hme4", "hme5", "hme6"]', 'items = ["hme4"]')
    inst = ly.Instrument.from_toml_str(text)
    df = synthetic().select(
        *[pl.col(c).alias(f"hme{j + 1}") for j, c in enumerate(synthetic().columns[1:10])]
    )
    r = ly.reliability(df, inst).filter(pl.col("scale") == "ledarskap").row(0, named=True)
    assert r["alpha"] is None and "one item" in r["note"]


def test_bad_parameters():
    df = synthetic(50)
    for kwargs, pattern in [
        ({"missing": "all"}, "`missing`"),
        ({"ci": "wald"}, "`ci`"),
    ]:
        with pytest.raises(ly.ArgumentError, match=pattern):
            ly.reliability(df, "epl-staff", **kwargs)
    for kwargs, pattern in [
        ({"confidence": 1.2}, "`confidence`"),
        ({"ci": "bootstrap", "n_boot": 1}, "`n_boot`"),
    ]:
        with pytest.raises(ly.EstimationError, match=pattern):
            ly.reliability(df, "epl-staff", **kwargs)
    with pytest.raises(ValueError, match="`n_boot`"):
        ly.drivers(df, "epl-staff", n_boot=-1)
    with pytest.raises(ly.DataError, match="grouping column `nope`"):
        ly.reliability(df, "epl-staff", by="nope")
    with pytest.raises(ValueError, match="`top`"):
        ly.priority_matrix(df, "epl-staff", top=0)


def test_bootstrap_is_seeded():
    df = synthetic(200)
    a = ly.reliability(df, "epl-staff", ci="bootstrap", n_boot=200, seed=11)
    b = ly.reliability(df, "epl-staff", ci="bootstrap", n_boot=200, seed=11)
    c = ly.reliability(df, "epl-staff", ci="bootstrap", n_boot=200, seed=12)
    assert a.equals(b) and not a.equals(c)
    assert (a["ci_low"] < a["alpha"]).all() and (a["alpha"] < a["ci_high"]).all()
    assert a["ci_method"][0] == "bootstrap"


def test_driver_bootstrap_intervals():
    df = synthetic(300)
    d = ly.drivers(df, "epl-staff", n_boot=100, seed=1)
    assert d["outcome"][0] == "epl"
    assert (d["raw_weight_ci_low"] <= d["raw_weight"]).all()
    assert (d["raw_weight"] <= d["raw_weight_ci_high"]).all()
    assert (d["rescaled_pct_ci_low"] <= d["rescaled_pct_ci_high"]).all()
    assert d["r_squared"][0] <= 1 + 1e-12  # listwise keeps the correlation matrix consistent
    g = ly.drivers(df, "epl-staff", by="enhet", n_boot=0)
    assert g["enhet"].unique().sort().to_list() == ["A", "B", "C"]


def test_priority_matrix_and_suppression():
    df = pl.concat([synthetic(300), synthetic(4, units=("D",))])
    p = ly.priority_matrix(df, "epl-staff", by="enhet", top=3)
    assert p.columns[:3] == ["enhet", "n_respondents", "item"]
    focus = p.filter(pl.col("focus"))
    assert focus.group_by("enhet").len().sort("enhet")["len"].to_list() == [3, 3, 3]
    # focus = the highest priority = importance · (100 − score) / 100
    a = p.filter(pl.col("enhet") == "A").sort("rank")
    assert a["priority"].to_list() == sorted(a["priority"].to_list(), reverse=True)
    assert a["priority"][0] == pytest.approx(a["importance_pct"][0] * (100 - a["score"][0]) / 100)
    d = p.filter(pl.col("enhet") == "D")
    assert d["suppressed"].all()
    assert (
        d.select("n_respondents", "score", "priority", "rank", "focus").null_count().row(0)
        == (14,) * 5
    )
    assert d["note"].null_count() == d.height  # bare: no reason, no count


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.lists(st.integers(0, 10), min_size=4, max_size=4), min_size=6, max_size=40
    ).filter(lambda rows: all(len({r[j] for r in rows}) > 1 for j in range(4))),
    shift=st.integers(1, 10),
    seed=st.integers(0, 2**32),
)
def test_alpha_invariant_to_row_order_and_item_shift(data, shift, seed):
    inst = instrument(["a", "b", "c", "d"], lo=0, hi=20)
    df = pl.DataFrame(data, schema=["a", "b", "c", "d"], orient="row")
    try:
        base = ly.reliability(df, inst)["alpha"][0]
    except ly.EstimationError:
        return  # e.g. a sum score without variance: nothing to compare
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    shuffled = ly.reliability(df[order], inst)["alpha"][0]
    shifted = ly.reliability(df.with_columns(pl.col("b") + shift), inst)["alpha"][0]
    assert shuffled == pytest.approx(base, abs=1e-9)
    assert shifted == pytest.approx(base, abs=1e-9)


# --- the example municipality -------------------------------------------------------------


def test_example_data_reliability_and_drivers(staff_2025):
    r = ly.reliability(staff_2025, "epl-staff")
    assert r.height == 4 and r["alpha"].null_count() == 0
    h = ly.reliability(staff_2025, "hme", by="forvaltning")
    assert h.height == 4 * staff_2025["forvaltning"].n_unique()
    d = ly.drivers(staff_2025, "epl-staff", n_boot=50)
    assert d["rescaled_pct"].sum() == pytest.approx(100.0)


# --- confirmatory check of the dimension structure ----------------------------------------


def bfi_two_factor():
    text = """
id = "bfi-ac"
name = { sv = "bfi" }
[scale]
min = 1
max = 6
positive = [5, 6]
[index]
id = "total"
label = { sv = "total" }
rule = "mean_of_dimensions"
min_answered = 1
[[dimensions]]
id = "A"
label = { sv = "A" }
items = ["A1", "A2", "A3", "A4", "A5"]
min_answered = 1
[[dimensions]]
id = "C"
label = { sv = "C" }
items = ["C1", "C2", "C3", "C4", "C5"]
min_answered = 1
"""
    for item in ["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3", "C4", "C5"]:
        text += f'[[items]]\nid = "{item}"\ntext = {{ sv = "{item}" }}\n'
        if item in ("A1", "C4", "C5"):
            text += "reverse = true\n"
    return ly.Instrument.from_toml_str(text)


def test_dimension_check_matches_lavaan():
    # R, lavaan 0.6-14: d = bfi A1..A5, C1..C5 with A1, C4, C5 -> 7 - x, na.omit (2632 rows);
    #   f <- cfa('A =~ A1 + A2 + A3 + A4 + A5
    #             C =~ C1 + C2 + C3 + C4 + C5', data = d, std.lv = TRUE)
    #   fitMeasures(f, c("chisq","df","cfi","tli","rmsea","srmr"))
    #     503.3404648 34 0.9134811792 0.8854897960 0.0724205133 0.0460225316
    #   standardizedSolution(f): A =~ A1 0.3699417794 ... C =~ C5 0.5952853160; A ~~ C 0.3349168
    bfi = pl.read_csv(DATA / "bfi_ac.csv")
    fit = ly.dimension_check(bfi, bfi_two_factor())
    row = fit.row(0, named=True)
    assert (row["n"], row["df"]) == (2632, 34)
    assert row["chisq"] == pytest.approx(503.3404648, abs=1e-4)
    assert row["cfi"] == pytest.approx(0.9134811792, abs=1e-7)
    assert row["tli"] == pytest.approx(0.8854897960, abs=1e-7)
    assert row["rmsea"] == pytest.approx(0.0724205133, abs=1e-7)
    assert row["srmr"] == pytest.approx(0.0460225316, abs=1e-7)
    assert fit["loading"].to_list() == pytest.approx(
        [0.3699417794, 0.6649821032, 0.7502051456, 0.5024680216, 0.6299043966]
        + [0.5504124329, 0.6177552826, 0.5649169387, 0.6753545154, 0.5952853160],
        abs=5e-6,  # lavaan's own convergence tolerance
    )
    assert fit["max_factor_r"][0] == pytest.approx(0.3349168060, abs=5e-6)


def test_ordinal_dimension_check_matches_lavaans_wlsmv():
    # R, lavaan 0.6-14, the same model and data with the items as ordered (estimator WLSMV):
    #   f <- cfa(model, data = d, ordered = TRUE, std.lv = TRUE); fitMeasures(f)
    #   chisq.scaled 593.495689363, df 34, cfi.scaled 0.946457614836, tli.scaled
    #   0.92913507846, rmsea.scaled 0.0790857959453, srmr 0.0506166302711;
    #   lavInspect(f, "std")$lambda: A1 0.4081686099 ... C5 0.6436451064; psi A~~C 0.3706650721
    fit = ly.dimension_check(pl.read_csv(DATA / "bfi_ac.csv"), bfi_two_factor(), ordinal=True)
    row = fit.row(0, named=True)
    assert (row["n"], row["df"], row["estimator"]) == (2632, 34, "WLSMV")
    assert row["chisq"] == pytest.approx(593.495689363, abs=1e-4)
    assert row["cfi"] == pytest.approx(0.946457614836, abs=1e-7)
    assert row["tli"] == pytest.approx(0.92913507846, abs=1e-7)
    assert row["rmsea"] == pytest.approx(0.0790857959453, abs=1e-7)
    assert row["srmr"] == pytest.approx(0.0506166302711, abs=1e-7)
    assert fit["loading"].to_list() == pytest.approx(
        [0.4081686099, 0.7222350539, 0.7868038625, 0.5699899797, 0.6756753258]
        + [0.5948014129, 0.6635992987, 0.5928762958, 0.7220023276, 0.6436451064],
        abs=1e-6,
    )
    assert row["max_factor_r"] == pytest.approx(0.3706650721, abs=1e-6)
    assert (
        ly.dimension_check(pl.read_csv(DATA / "bfi_ac.csv"), bfi_two_factor())["estimator"][0]
        == "ML"
    )


def test_ordinal_dimension_check_matches_lavaan_when_installed(tmp_path):
    """Differential: lavaan's WLSMV on Exempelkommun's participation and learning items
    (reverse-keyed del5 turned as scoring turns it, "vet ej" missing, complete respondents)."""
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    items = ["del1", "del2", "del3", "del4", "del5", "lar1", "lar2", "lar3", "lar4"]
    staff = ly.example_data("staff", year=2024, n=3000)
    codes = staff.select(
        pl.when(pl.col(c).is_between(1, 5))
        .then(6 - pl.col(c) if c == "del5" else pl.col(c))
        .alias(c)
        for c in items
    ).drop_nulls()
    path = tmp_path / "codes.csv"
    codes.write_csv(path)
    script = f"""
    suppressPackageStartupMessages(library(lavaan))
    d <- read.csv("{path}")
    f <- cfa("P =~ del1 + del2 + del3 + del4 + del5; L =~ lar1 + lar2 + lar3 + lar4",
             data = d, ordered = TRUE, std.lv = TRUE)
    m <- fitMeasures(f, c("chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"))
    cat(sprintf("%.12g", c(m, lavInspect(f, "std")$lambda[lavInspect(f, "std")$lambda != 0])))
    """
    done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
    if "there is no package called" in done.stderr:
        pytest.skip("R's lavaan package is not installed")
    assert done.returncode == 0, done.stderr
    want = [float(x) for x in done.stdout.split()]
    fit = ly.dimension_check(staff, participation_and_learning(), ordinal=True)
    got = [fit["chisq"][0], fit["cfi"][0], fit["tli"][0], fit["rmsea"][0], fit["srmr"][0]]
    assert fit["n"][0] == codes.height
    assert got == pytest.approx(want[:5], abs=2e-6)
    assert fit["loading"].to_list() == pytest.approx(want[5:], abs=2e-6)


def participation_and_learning():
    """epl-staff with its participation and learning dimensions only."""
    text = ly.Instrument.builtin("epl-staff").to_toml()
    start = text.index("[[dimensions]]")
    end = text.index("[[dimensions]]", start + 1)
    return ly.Instrument.from_toml_str(text[:start] + text[end:])


def test_omega_hierarchical_by_schmid_leiman_on_bfi():
    # R: the Schmid–Leiman split of lavaan's solution above (loadings λ, φ_AC = 0.3349168060;
    # two factors: both load √φ on the general factor, psych's option = "equal"):
    #   g <- lam * sqrt(phi); s <- lam * sqrt(1 - phi)
    #   V <- sum(cor(na.omit(d)))                                  # 29.9188608866
    #   omega_h = sum(g)^2 / V                                     # 0.3924778496
    #   omega_t = (sum(g)^2 + sum(s[1:5])^2 + sum(s[6:10])^2) / V  # 0.7822549027
    #   omega_h / omega_t                                          # 0.5017262892
    # psych 2.2.9: schmid(L, nfactors = 2, Phi = ...)$sl gives A1: g 0.2140927, F1* 0.3016973.
    fit = ly.dimension_check(pl.read_csv(DATA / "bfi_ac.csv"), bfi_two_factor())
    row = fit.row(0, named=True)
    assert row["general_loading"] == pytest.approx(0.2140927, abs=5e-6)
    assert row["group_loading"] == pytest.approx(0.3016973, abs=5e-6)
    assert row["omega_hierarchical"] == pytest.approx(0.3924778496, abs=2e-5)
    assert row["omega_total"] == pytest.approx(0.7822549027, abs=2e-5)
    assert row["omega_asymptotic"] == pytest.approx(0.5017262892, abs=2e-5)
    # Each loading splits into its general and its own part: λ² = g² + s².
    squares = fit["general_loading"] ** 2 + fit["group_loading"] ** 2
    assert squares.to_list() == pytest.approx((fit["loading"] ** 2).to_list(), abs=1e-12)


def test_dimension_check_errors():
    df = synthetic(200)
    for ordinal in (False, True):
        with pytest.raises(ly.EstimationError, match="positive degrees of freedom"):
            ly.dimension_check(
                pl.DataFrame({"x": [1, 2, 3], "y": [2, 3, 4], "z": [1, 1, 2]}),
                instrument(["x", "y", "z"]),
                ordinal=ordinal,
            )
    # An item answered in one category only has no thresholds to estimate.
    flat = df.with_columns(pl.lit(3).alias("eng1"))
    with pytest.raises(ly.EstimationError, match="item `eng1` has zero variance"):
        ly.dimension_check(flat, "epl-staff", ordinal=True)
    text = ly.Instrument.builtin("epl-staff").to_toml()
    twice = text.replace('items = ["lar1", "lar2", "lar3", "lar4"]', 'items = ["lar1", "eng1"]')
    with pytest.raises(ly.EstimationError, match="`eng1` belongs to more than one dimension"):
        ly.dimension_check(df, ly.Instrument.from_toml_str(twice))
    fit = ly.dimension_check(df, "epl-staff")
    assert fit.height == 14 and fit["df"][0] == 14 * 15 // 2 - (28 + 3)


def test_large_input_takes_the_threaded_paths():
    # 110,000 rows: recoding and the pairwise sums run on several threads. Replicating the
    # rows leaves the listwise alpha unchanged (every covariance scales by the same factor).
    base = synthetic(1000, seed=9)
    big = pl.concat([base] * 110)
    a = ly.reliability(base, "epl-staff", missing="listwise")["alpha"].to_list()
    b = ly.reliability(big, "epl-staff", missing="listwise")["alpha"].to_list()
    assert b == pytest.approx(a, abs=1e-10)
    bad = big.with_columns(
        pl.when(pl.int_range(pl.len()) == 100_000).then(9).otherwise(pl.col("lar3")).alias("lar3")
    )
    with pytest.raises(ly.DataError, match=r"column `lar3`, row 100001: value 9"):
        ly.reliability(bad, "epl-staff")


def test_a_group_missing_the_same_two_items_everywhere():
    # One respondent without hme1 and hme2: pairwise counts must not underflow (it used to
    # panic); the pair has no common answer, so its item–total statistics are null.
    rows = [[5, 4, 4, 3, 4, 5, 4, 4, 3], [4, 4, 3, 3, 4, 4, 3, 4, 4], [2, 3, 2, 3, 2, 2, 3, 2, 3]]
    df = pl.DataFrame(
        {f"hme{i + 1}": [r[i] for r in rows] + [None if i < 2 else 4] for i in range(9)},
        schema={f"hme{i}": pl.Int64 for i in range(1, 10)},
    ).with_columns(g=pl.Series(["a", "a", "a", "b"]))
    t = ly.item_analysis(df, "hme", by="g", min_group=1)
    b = t.filter(pl.col("g") == "b")
    assert b.filter(item="hme1")["n"].to_list() == [0]
    assert b.filter(item="hme3")["n"].to_list() == [1]


# --- polychoric correlations ------------------------------------------------------------

# R 4.x, psych 2.2.9, mnormt 2.1.1, on tests/data/bfi_ac.csv with A1, C4, C5 -> 7 - x:
# psych's two-step estimate (thresholds from each item's answers, ρ maximising the pair's
# likelihood), with the cells integrated exactly (mnormt::biv.nt.prob, Genz's BVND) and
# optimize(..., tol = 1e-12) instead of polychoric()'s default 1.2e-4 (script beside
# test_polychoric_matches_r_when_installed). Rows A1 and C1 of the 10 × 10 matrix:
BFI_POLYCHORIC_A1 = [
    1.0, 0.40845069586437, 0.32253498592946, 0.17542797536066, 0.22785589960154,
    -0.00338022277375, -0.00823881146246, 0.02371283072655, 0.15360989610558,
    0.06050734541940,
]  # fmt: skip
BFI_POLYCHORIC_C1 = [
    -0.00338022277375, 0.11538271704152, 0.12420773312200, 0.10917668927650,
    0.15721186780021, 1.0, 0.48316091337346, 0.34456227826782, 0.40233909660001,
    0.29263013722869,
]  # fmt: skip
# polychoric(d)$rho[1, ] itself (optimize stops at 1.2e-4, cells to 1e-6):
PSYCH_POLYCHORIC_A1 = [
    1.0, 0.40846379112892, 0.32251743233669, 0.17544242608082, 0.22783953105988,
    -0.00339962130270, -0.00823881161713, 0.02371297948650, 0.15362883500380,
    0.06051013222308,
]  # fmt: skip

POLYCHORIC_R = """
suppressMessages(library(psych))
d <- read.csv("{path}")
tau <- function(x) {{ f <- tabulate(x, nbins = {cats}); qnorm(cumsum(f / sum(f)))[1:{cuts}] }}
cell <- function(rho, rc, cc) {{
  rcut <- c(-Inf, rc, Inf); ccut <- c(-Inf, cc, Inf); S <- matrix(c(1, rho, rho, 1), 2)
  P <- matrix(0, {cats}, {cats})
  for (i in 1:{cats}) for (j in 1:{cats}) P[i, j] <- mnormt::biv.nt.prob(Inf,
      c(rcut[i], ccut[j]), c(rcut[i + 1], ccut[j + 1]), c(0, 0), S)
  P
}}
tight <- function(x, y) {{
  ok <- !is.na(x) & !is.na(y)
  tab <- table(factor(x[ok], 1:{cats}), factor(y[ok], 1:{cats})); tab <- tab / sum(tab)
  rc <- tau(x[!is.na(x)]); cc <- tau(y[!is.na(y)])
  f <- function(rho) {{ P <- cell(rho, rc, cc); ok <- P > 0; -sum(tab[ok] * log(P[ok])) }}
  optimize(f, c(-1, 1), tol = 1e-12)$minimum
}}
k <- ncol(d); R <- diag(k)
for (a in 1:(k - 1)) for (b in (a + 1):k) R[a, b] <- R[b, a] <- tight(d[[a]], d[[b]])
write.table(format(R, digits = 15), quote = FALSE, row.names = FALSE, col.names = FALSE)
"""


def test_polychoric_matches_psych_on_bfi():
    bfi = pl.read_csv(DATA / "bfi_ac.csv")
    r = ly.polychoric(bfi, bfi_two_factor())
    assert r["item"].to_list() == bfi.columns
    assert r["n"].to_list() == [2784, 2773, 2774, 2781, 2784, 2779, 2776, 2780, 2774, 2784]
    assert "thresholds" not in r.columns  # with n, the exact answer counts
    rho = r.select(bfi.columns).to_numpy()
    # Brent's method stops within √ε·|ρ| (as R's optimize): 5e-8 from the exact optimum.
    assert rho[0] == pytest.approx(BFI_POLYCHORIC_A1, abs=5e-8)
    assert rho[5] == pytest.approx(BFI_POLYCHORIC_C1, abs=5e-8)
    assert rho[0] == pytest.approx(PSYCH_POLYCHORIC_A1, abs=5e-5)  # psych's own tolerance
    assert np.allclose(rho, rho.T)


def test_polychoric_of_a_normal_cut_into_categories_recovers_its_correlation():
    # Two normal variables with ρ = 0.6 cut into 5 categories: the polychoric correlation
    # estimates 0.6 (the Pearson correlation of the codes is attenuated, about 0.55).
    rng = np.random.default_rng(7)
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 20_000)
    cuts = [-1.2, -0.4, 0.3, 1.1]
    codes = pl.DataFrame({"x": np.digitize(z[:, 0], cuts) + 1, "y": np.digitize(z[:, 1], cuts) + 1})
    r = ly.polychoric(codes, instrument(["x", "y"], hi=5))
    assert r["y"][0] == pytest.approx(0.6, abs=0.015)
    # Fewer respondents than the instrument's minimum group size: refused, not shown.
    with pytest.raises(ly.EstimationError, match="minimum group size is 5"):
        ly.polychoric(codes.head(4), instrument(["x", "y"], hi=5))


def test_polychoric_matches_r_when_installed(tmp_path):
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    rng = np.random.default_rng(11)
    latent = rng.normal(size=(400, 1))
    z = latent * np.array([0.8, 0.6, 0.4, -0.5]) + rng.normal(size=(400, 4)) * 0.7
    codes = np.digitize(z, [-1.0, 0.0, 0.8]) + 1
    data = pl.DataFrame({f"q{j}": codes[:, j] for j in range(4)}).with_columns(
        pl.when(pl.int_range(pl.len()) % 13 == j)
        .then(None)
        .otherwise(pl.col(f"q{j}"))
        .alias(f"q{j}")
        for j in range(4)
    )
    path = tmp_path / "codes.csv"
    data.write_csv(path)
    script = POLYCHORIC_R.format(path=path, cats=4, cuts=3)
    result = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
    if "there is no package called" in result.stderr:
        pytest.skip("R's psych / mnormt packages are not installed")
    assert result.returncode == 0, result.stderr
    expected = np.array([[float(x) for x in line.split()] for line in result.stdout.splitlines()])
    r = ly.polychoric(data, instrument(data.columns, hi=4))
    assert r.select(data.columns).to_numpy() == pytest.approx(expected, abs=5e-8)


def test_ordinal_alpha_and_omega_match_psych_on_bfi():
    # R, psych 2.2.9 on the polychoric matrix R of test_polychoric_matches_psych_on_bfi
    # (exact cells, optimize tol 1e-12; A = items 1:5, C = 6:10, total = 1:10):
    #   alpha(R[i, i])$total$raw_alpha, omega(R[i, i], nfactors = 1)$omega.tot
    #   A 0.758988924709 0.768610452303   C 0.767408551250 0.768547027353
    #   total 0.775622090574 0.777944415267
    # and on psych's own polychoric(d[, i])$rho:
    #   A 0.758992178622 0.768613243746   C 0.767408351830 0.768546635366
    #   total 0.775622324924 0.777944673782
    bfi = pl.read_csv(DATA / "bfi_ac.csv")
    r = ly.reliability(bfi, bfi_two_factor(), ordinal=True)
    assert r["scale"].to_list() == ["A", "C", "total"]
    tight = [(0.758988924709, 0.768610452303), (0.767408551250, 0.768547027353)]
    tight += [(0.775622090574, 0.777944415267)]
    psych_own = [(0.758992178622, 0.768613243746), (0.767408351830, 0.768546635366)]
    psych_own += [(0.775622324924, 0.777944673782)]
    got = list(zip(r["alpha_ordinal"], r["omega_ordinal"], strict=True))
    for row, exact, own in zip(got, tight, psych_own, strict=True):
        assert row == pytest.approx(exact, abs=1e-7)
        assert row == pytest.approx(own, abs=1e-5)
    # Ordinal α is above the α of the codes here, as for skewed 6-point items generally.
    assert (r["alpha_ordinal"] > r["alpha_std"]).all()
    plain = ly.reliability(bfi, bfi_two_factor())
    assert plain["alpha_ordinal"].null_count() == 3
    assert plain.drop("alpha_ordinal", "omega_ordinal").equals(
        r.drop("alpha_ordinal", "omega_ordinal")
    )


def test_ordinal_reliability_per_group_and_listwise():
    bfi = pl.read_csv(DATA / "bfi_ac.csv").with_columns(
        grupp=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("a")).otherwise(pl.lit("b"))
    )
    inst = bfi_two_factor()
    by_group = ly.reliability(bfi, inst, by="grupp", ordinal=True, min_group=5)
    half = bfi.filter(pl.col("grupp") == "a").drop("grupp")
    alone = ly.reliability(half, inst, ordinal=True)
    first = by_group.filter(pl.col("grupp") == "a")
    assert first["alpha_ordinal"].to_list() == pytest.approx(alone["alpha_ordinal"].to_list())
    # Listwise: the polychoric correlations of the respondents who answered every item of
    # the scale (dimension A: A1–A5; the total: all ten).
    listwise = ly.reliability(bfi, inst, ordinal=True, missing="listwise")
    for scale, complete in [
        ("A", bfi.drop_nulls([f"A{j}" for j in range(1, 6)])),
        ("total", bfi.drop_nulls()),
    ]:
        again = ly.reliability(complete.drop("grupp"), inst, ordinal=True)
        mine = listwise.filter(pl.col("scale") == scale)
        theirs = again.filter(pl.col("scale") == scale)
        assert mine["alpha_ordinal"].item() == pytest.approx(theirs["alpha_ordinal"].item())
    with pytest.raises(ly.ArgumentTypeError, match="ordinal"):
        ly.reliability(bfi, inst, ordinal=1)
