"""The full schema of every public output that shows groups, and the shared vocabulary:
the same names and dtypes for the same things (``suppressed`` Boolean, ``n`` and
``n_respondents`` UInt64), keys in their original dtype."""

import lyhord as ly
import polars as pl
import pytest

U, F, S, B = pl.UInt64, pl.Float64, pl.String, pl.Boolean

SCHEMAS = {
    "estimate": [
        ("level", pl.UInt32), ("forvaltning", S), ("enhet", S), ("measure", S), ("kind", S),
        ("n_respondents", U), ("n", U), ("mean", F), ("sd", F), ("se", F), ("ci_low", F),
        ("ci_high", F), ("pct_positive", F), ("pct_neutral", F), ("pct_negative", F),
        ("headcount", pl.Int64), ("suppressed", B), ("confidence", F), ("min_group", pl.UInt32),
    ],
    "item_analysis": [
        ("enhet", S), ("scale", S), ("item", S), ("reverse", B), ("n_respondents", U),
        ("n", U), ("mean", F), ("sd", F), ("r_drop", F), ("alpha_if_deleted", F),
        ("share_missing", F), ("share_dont_know", F), ("floor", F), ("ceiling", F),
        ("codes", pl.List(pl.Int64)), ("shares", pl.List(F)), ("suppressed", B), ("note", S),
    ],
    "reliability": [
        ("enhet", S), ("scale", S), ("kind", S), ("k", U), ("n", U), ("alpha", F),
        ("alpha_std", F), ("ci_low", F), ("ci_high", F), ("lambda6", F), ("omega_total", F),
        ("average_r", F), ("ci_method", S), ("confidence", F), ("missing", S),
        ("suppressed", B), ("note", S),
    ],
    "drivers": [
        ("forvaltning", S), ("outcome", S), ("item", S), ("n", U), ("r", F), ("beta", F),
        ("raw_weight", F), ("raw_weight_ci_low", F), ("raw_weight_ci_high", F),
        ("rescaled_pct", F), ("rescaled_pct_ci_low", F), ("rescaled_pct_ci_high", F),
        ("r_squared", F), ("n_used", U), ("confidence", F), ("suppressed", B), ("note", S),
    ],
    "priority_matrix": [
        ("enhet", S), ("n_respondents", U), ("item", S), ("importance_pct", F), ("score", F),
        ("score_all", F), ("n", U), ("priority", F), ("rank", U), ("focus", B),
        ("suppressed", B), ("note", S),
    ],
    "audit": [
        ("table", S), ("group", S), ("layer", S), ("measure", S), ("blank", S),
        ("quantity", S), ("value", F), ("low", F), ("high", F), ("required_width", F),
        ("passed", B), ("tables", S),
    ],
    "design_estimate": [
        ("level", pl.UInt32), ("district", S), ("variable", S), ("statistic", S),
        ("estimate", F), ("se", F), ("ci_low", F), ("ci_high", F), ("n", U), ("n_eff", F),
        ("suppressed", B), ("note", S),
    ],
    "score_interviews": [
        ("enhet", S), ("dimension", S), ("score", F), ("ci_low", F), ("ci_high", F),
        ("positive", F), ("negative", F), ("neutral", F), ("n_interviews", U),
        ("n_coders", U), ("suppressed", B), ("note", S),
    ],
    "code_counts": [
        ("enhet", S), ("code", S), ("dimension", S), ("valence", S), ("n_codings", U),
        ("n_interviews", U), ("suppressed", B),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def outputs(staff_2025):
    pub = ly.Publication(staff_2025, "hme", min_group=5)
    citizens = ly.example_data("citizens")
    design = ly.Design("design_weight", strata="district", fpc="district_population")
    interviews = ly.example_data("interviews")
    return {
        "estimate": pub.estimate(by=["forvaltning", "enhet"]),
        "item_analysis": pub.item_analysis(by="enhet"),
        "reliability": pub.reliability(by="enhet"),
        "drivers": pub.drivers(by="forvaltning", n_boot=0),
        "priority_matrix": pub.priority_matrix(by="enhet"),
        "audit": pub.audit(),
        "design_estimate": ly.design_estimate(
            citizens, design, instrument="epl-citizen", by="district"
        ),
        "score_interviews": ly.score_interviews(interviews),
        "code_counts": ly.code_counts(interviews)[0],
    }


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_full_schema(outputs, name):
    assert list(outputs[name].schema.items()) == SCHEMAS[name]


def test_one_vocabulary(outputs):
    for name, table in outputs.items():
        schema = table.schema
        if name != "audit":
            assert schema["suppressed"] == pl.Boolean, name
        for column in ("n", "n_respondents", "n_interviews"):
            if column in schema:
                assert schema[column] == pl.UInt64, (name, column)


def test_keys_keep_their_dtype_and_nulls(staff_2025):
    """An integer unit code stays an integer, sorted as a number; a missing unit is a group
    of its own, sorted last, in every output of a publication."""
    codes = {u: i for i, u in enumerate(sorted(staff_2025["enhet"].unique()))}
    data = staff_2025.with_columns(
        pl.col("enhet").replace_strict(codes, return_dtype=pl.Int32).alias("enhet_kod")
    ).with_columns(
        pl.when(pl.col("enhet_kod") == 0).then(None).otherwise(pl.col("enhet_kod"))
        .alias("enhet_kod")
    )  # fmt: skip
    pub = ly.Publication(data, "hme", min_group=5)
    for table in (
        pub.estimate(by="enhet_kod").filter(level=1),
        pub.item_analysis(by="enhet_kod"),
        pub.priority_matrix(by="enhet_kod"),
        pub.reliability(by="enhet_kod"),
    ):
        keys = table["enhet_kod"].unique(maintain_order=True)
        assert table.schema["enhet_kod"] == pl.Int32
        assert keys[-1] is None and keys.null_count() == 1
        assert keys.drop_nulls().to_list() == sorted(keys.drop_nulls().to_list())
