"""ly.agreement and ly.code_presence against the `krippendorff` package and published values.

Sources: Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability" (4 coders × 12
units: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797); the `krippendorff`
package (Castro, PyPI) computed in the test on the same arrays; R irr::kappa2 /
Wikipedia "Cohen's kappa" for [[20, 5], [10, 15]] = 0.40.
"""

import krippendorff
import lyhord as ly
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

NA = np.nan
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    ]
)


def long(matrix: np.ndarray) -> pl.DataFrame:
    rows = [
        (f"u{u}", f"c{c}", float(v))
        for c, row in enumerate(matrix)
        for u, v in enumerate(row)
        if not np.isnan(v)
    ]
    return pl.DataFrame(rows, schema=["unit", "coder", "value"], orient="row")


def alpha_of(out: pl.DataFrame) -> float:
    return out.filter(pl.col("statistic") == "krippendorff_alpha")["value"][0]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_matches_paper_and_package(level, published):
    out = ly.agreement(long(K2011), level=level, n_boot=0)
    reference = krippendorff.alpha(reliability_data=K2011, level_of_measurement=level)
    assert alpha_of(out) == pytest.approx(reference, abs=1e-12)
    assert round(alpha_of(out), 3) == published


def test_cohen_kappa_textbook_table_and_fixed_output_columns():
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    rows = [(i, coder, v) for i, p in enumerate(pairs) for coder, v in zip("AB", p, strict=True)]
    ratings = pl.DataFrame(rows, schema=["unit", "coder", "value"], orient="row")
    out = ly.agreement(ratings, n_boot=200, seed=1)
    assert out.columns == [
        "statistic", "weights", "level", "value", "se", "ci_low", "ci_high", "z", "p_value",
        "df", "se_method", "n_units", "n_pairable", "n_coders", "n_categories", "n_ratings",
        "n_missing", "note",
    ]  # fmt: skip
    assert out["se_method"].unique().to_list() == ["bootstrap"]
    kappa = out.filter(pl.col("statistic") == "cohen_kappa").row(0, named=True)
    assert kappa["value"] == pytest.approx(0.40, abs=1e-12)
    assert kappa["ci_low"] < 0.40 < kappa["ci_high"]
    # Bootstrap SE close to the large-sample SE of κ (≈ 0.13 for n = 50; Fleiss, Cohen &
    # Everitt 1969 give 0.129 for this table).
    assert 0.09 < kappa["se"] < 0.17
    assert (kappa["n_units"], kappa["n_coders"], kappa["n_categories"]) == (50, 2, 2)


def test_analytic_se_z_and_p_as_irrcac():
    # R irrCAC conger.kappa.raw(cbind(a, b)) on the same 50 pairs (functions sourced from
    # github.com/kgwet/irrCAC, rounding taken out): κ 0.4, se 0.128285396117964, one-sided
    # p 1 − pt(κ/se, 49) = 0.00152256395239703; ours is two-sided. Fleiss, Cohen & Everitt
    # (1969) give 0.129 for this table.
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    rows = [(i, coder, v) for i, p in enumerate(pairs) for coder, v in zip("AB", p, strict=True)]
    ratings = pl.DataFrame(rows, schema=["unit", "coder", "value"], orient="row")
    out = ly.agreement(ratings)
    kappa = out.filter(pl.col("statistic") == "cohen_kappa").row(0, named=True)
    assert kappa["se_method"] == "analytic"
    assert kappa["se"] == pytest.approx(0.128285396117964, abs=1e-13)
    assert kappa["z"] == pytest.approx(0.4 / 0.128285396117964, abs=1e-11)
    assert kappa["p_value"] == pytest.approx(2 * 0.00152256395239703, abs=1e-12)
    assert kappa["df"] == 49
    conger = out.filter(pl.col("statistic") == "conger_kappa").row(0, named=True)
    assert conger["value"] == kappa["value"] and conger["se"] == kappa["se"]
    # Krippendorff's α on the 2011 data: irrCAC krippen.alpha.raw(weights="quadratic").
    alpha = ly.agreement(long(K2011), level="interval")
    row = alpha.filter(pl.col("statistic") == "krippendorff_alpha").row(0, named=True)
    assert row["se"] == pytest.approx(0.129051199944227, abs=1e-12)


def test_se_method_and_n_boot_must_agree():
    data = long(K2011)
    with pytest.raises(ly.EstimationError, match=r"n_boot.*se_method=\"bootstrap\""):
        ly.agreement(data, se_method="analytic", n_boot=100)
    with pytest.raises(ly.ArgumentError, match="se_method"):
        ly.agreement(data, se_method="jackknife")
    boot = ly.agreement(data, se_method="bootstrap", seed=3)
    assert boot["se_method"].unique().to_list() == ["bootstrap"]
    assert boot.filter(pl.col("statistic") == "gwet_ac1")["se"][0] > 0


def test_missing_ratings_are_counted_not_dropped_silently():
    ratings = long(K2011).with_columns(
        pl.when(pl.col("unit") == "u0").then(None).otherwise(pl.col("value")).alias("value")
    )
    out = ly.agreement(ratings, level="interval", n_boot=0)
    row = out.filter(pl.col("statistic") == "krippendorff_alpha").row(0, named=True)
    assert row["n_missing"] == 3
    assert row["n_ratings"] == 38


def test_code_presence_then_agreement_per_code():
    seg = pl.DataFrame(
        {
            "interview": ["i1", "i1", "i1", "i2", "i2", "i3", "i3"],
            "coder": ["A", "A", "B", "A", "B", "A", "B"],
            "code": ["x", "y", "x", "y", "y", "x", "y"],
        }
    )
    presence = ly.code_presence(seg, codes=["x", "y"])
    out = ly.agreement(presence, unit="interview", value="present", by="code", n_boot=0)
    pa = out.filter(pl.col("statistic") == "percent_agreement").sort("code")
    # x: i1 yes/yes, i2 no/no, i3 yes/no → 2 of 3; y: i1 yes/no, i2 yes/yes, i3 no/yes → 1/3.
    assert pa["value"].to_list() == pytest.approx([2 / 3, 1 / 3])


def test_errors_name_the_place():
    dup = pl.DataFrame({"unit": ["s1", "s1", "s1"], "coder": ["A", "B", "A"], "value": [1, 2, 2]})
    with pytest.raises(ly.DataError, match=r"rows 0 and 2"):
        ly.agreement(dup)
    with pytest.raises(ly.DataError, match=r"`segment`"):
        ly.agreement(dup, unit="segment")
    with pytest.raises(ly.ArgumentError, match=r"`level`"):
        ly.agreement(dup.head(2), level="nominalish")
    with pytest.raises(ly.ArgumentError, match=r"`weights`"):
        ly.agreement(dup.head(2), weights="cubic")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 15), st.sampled_from("ABC"), st.integers(1, 4)),
        min_size=2,
        max_size=60,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.randoms(use_true_random=False),
)
def test_row_order_changes_nothing(rows, rnd):
    frame = pl.DataFrame(rows, schema=["unit", "coder", "value"], orient="row")
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    other = pl.DataFrame(shuffled, schema=["unit", "coder", "value"], orient="row")
    a = ly.agreement(frame, level="ordinal", n_boot=20)
    b = ly.agreement(other, level="ordinal", n_boot=20)
    assert a.equals(b)
    values = a["value"].drop_nulls()
    assert values.is_nan().sum() == 0
    assert (values <= 1 + 1e-12).all()


@pytest.mark.parametrize(("level", "published"), [("ordinal", 0.815), ("interval", 0.849)])
def test_alpha_alone_is_the_alpha_of_all_coefficients(level, published):
    """``statistics=`` computes only what is asked: α alone equals α among all rows (value,
    SE, interval), and Krippendorff (2011)'s published value."""
    ratings = long(K2011)
    alone = ly.agreement(ratings, level=level, statistics="krippendorff_alpha")
    every = ly.agreement(ratings, level=level)
    assert alone["statistic"].to_list() == ["krippendorff_alpha"]
    assert alone.equals(every.filter(pl.col("statistic") == "krippendorff_alpha"))
    assert round(alpha_of(alone), 3) == published
    assert alpha_of(alone) == pytest.approx(
        krippendorff.alpha(reliability_data=K2011, level_of_measurement=level), abs=1e-12
    )
    some = ly.agreement(ratings, level=level, statistics=["fleiss_kappa", "gwet_ac2"])
    assert sorted(some["statistic"].to_list()) == ["fleiss_kappa"] * 3 + ["gwet_ac2"] * 2
    assert some.equals(every.filter(pl.col("statistic").is_in(["fleiss_kappa", "gwet_ac2"])))


def test_statistics_keyword_names_what_is_wrong():
    ratings = long(K2011)
    with pytest.raises(ly.ArgumentError, match=r"parameter `statistics` must be .*not \"alpha\""):
        ly.agreement(ratings, statistics="alpha")  # type: ignore[arg-type]
    with pytest.raises(ly.EstimationError, match=r"gwet_ac2.*add \"linear\" or \"quadratic\""):
        ly.agreement(ratings, statistics="gwet_ac2")  # nominal: unweighted only
    with pytest.raises(ly.EstimationError, match=r"statistics.*is empty"):
        ly.agreement(ratings, statistics=[])
