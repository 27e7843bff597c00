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
        ("pct_positive_se", F), ("pct_positive_ci_low", F), ("pct_positive_ci_high", F),
        ("headcount", pl.Int64), ("suppressed", B), ("confidence", F), ("convention", S),
        ("min_group", pl.UInt32),
    ],
    "item_analysis": [
        ("enhet", S), ("scale", S), ("item", S), ("reverse", B), ("n_respondents", U),
        ("n", U), ("mean", F), ("sd", F), ("r_drop", F), ("alpha_if_deleted", F),
        ("std_alpha_if_deleted", F), ("share_missing", F), ("share_dont_know", F),
        ("floor", F), ("ceiling", F),
        ("codes", pl.List(pl.Int64)), ("shares", pl.List(F)), ("suppressed", B), ("note", S),
    ],
    "reliability": [
        ("enhet", S), ("scale", S), ("kind", S), ("k", U), ("n", U), ("alpha", F),
        ("alpha_std", F), ("ci_low", F), ("ci_high", F), ("lambda6", F), ("omega_total", F),
        ("average_r", F), ("alpha_ordinal", F), ("omega_ordinal", F), ("ci_method", S),
        ("confidence", F), ("missing", S), ("suppressed", B), ("note", S),
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
    "invariance": [
        ("across", S), ("dimension", S), ("step", S), ("outcome", S), ("groups", U), ("n", U),
        ("chisq", F), ("df", U), ("p_value", F), ("cfi", F), ("tli", F), ("rmsea", F),
        ("rmsea_low", F), ("rmsea_high", F), ("srmr", F), ("aic", F), ("bic", F),
        ("delta_chisq", F), ("delta_df", U), ("delta_p", F), ("delta_cfi", F),
        ("delta_rmsea", F), ("freed", S), ("level", S), ("comparable", B), ("verdict", S),
        ("estimator", S), ("note", S),
    ],
    "design_estimate": [
        ("level", pl.UInt32), ("district", S), ("variable", S), ("statistic", S),
        ("estimate", F), ("se", F), ("ci_low", F), ("ci_high", F), ("n", U), ("n_eff", F),
        ("deff", F), ("deff_replace", F), ("df", F), ("flag", S), ("suppressed", B),
        ("note", S),
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
        "invariance": pub.invariance("forvaltning"),
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
        # The audit's rows are blanks, invariance's rows models (blanked groups stay out).
        if name not in ("audit", "invariance"):
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


# --- The outputs of the other capabilities: full schemas, and integer keys ---------------

FOLLOWUP_SCHEMAS = {
    "compare_waves": [
        ("level", pl.UInt32), ("forvaltning", S), ("measure", S), ("kind", S), ("mapping", S),
        ("n_earlier", U), ("mean_earlier", F), ("n_later", U), ("mean_later", F),
        ("change", F), ("se", F), ("df", F), ("ci_low", F), ("ci_high", F), ("t", F),
        ("p_value", F), ("p_adjusted", F), ("effect_size", F), ("pct_positive_earlier", F),
        ("pct_positive_later", F), ("pct_change", F), ("pct_ci_low", F), ("pct_ci_high", F),
        ("pct_z", F), ("pct_p_value", F), ("pct_p_adjusted", F),
        ("pct_effect_size", F), ("significant", B),
        ("status", S),
    ],
    "trend": [("year", pl.Int32), *SCHEMAS["estimate"][:1], ("forvaltning", S),
              *SCHEMAS["estimate"][3:], ("mapping", S)],
    "combine": [
        ("enhet", S), ("dimension", S), ("score", F), ("se", F), ("ci_low", F),
        ("ci_high", F), ("sources", S), ("staff", F), ("n_staff", U), ("interviews", F),
        ("n_interviews", U), ("disagreement", S),
    ],
}  # fmt: skip


def coded(df: pl.DataFrame, column: str, name: str, dtype=pl.Int64) -> pl.DataFrame:
    """``column`` as integer codes 9, 10, 11, … in its sorted order (text would sort "10"
    before "9"), its first value missing (null)."""
    values = sorted(df[column].drop_nulls().unique())
    codes = {v: (None if i == 0 else 8 + i) for i, v in enumerate(values)}
    return df.with_columns(pl.col(column).replace_strict(codes, return_dtype=dtype).alias(name))


def assert_typed_keys(table: pl.DataFrame, column: str, dtype=pl.Int64) -> list:
    """The key keeps its dtype, its groups come in numeric order (9 before 10) and the
    null key is one group, sorted last. Returns the keys in order."""
    assert table.schema[column] == dtype
    keys = table[column].unique(maintain_order=True).to_list()
    assert keys[-1] is None and keys.count(None) == 1
    assert keys[:-1] == sorted(keys[:-1]) and keys[:2] == [9, 10]
    return keys


@pytest.fixture(scope="module")
def waves():
    by = "forvaltning"
    return {y: ly.estimate(ly.example_data("staff", year=y), "hme", by=by) for y in (2024, 2025)}


@pytest.fixture(scope="module")
def coded_waves():
    return {
        y: ly.estimate(
            coded(ly.example_data("staff", year=y), "forvaltning", "fv", pl.Int32), "hme", by="fv"
        )
        for y in (2024, 2025)
    }


def test_followup_and_combine_schemas(waves):
    interviews = ly.score_interviews(ly.example_data("interviews"), by="enhet")
    staff = ly.estimate(ly.example_data("staff", year=2025), "epl-staff", by="enhet")
    outputs = {
        "compare_waves": ly.compare_waves(waves[2024], waves[2025]),
        "trend": ly.trend(waves, unit_map={}),
        "combine": ly.combine(staff=staff, interviews=interviews, on="enhet"),
    }
    for name, schema in FOLLOWUP_SCHEMAS.items():
        assert list(outputs[name].schema.items()) == schema, name


def test_design_estimate_integer_keys():
    citizens = coded(ly.example_data("citizens"), "district", "district_code")
    design = ly.Design("design_weight", strata="district", fpc="district_population")
    out = ly.design_estimate(citizens, design, instrument="epl-citizen", by="district_code")
    domains = out.filter(level=1)
    keys = assert_typed_keys(domains, "district_code")
    assert keys == [9, 10, 11, 12, 13, None]
    # The null domain is the rows without a code (Centrum), estimated as that domain is.
    by_name = ly.design_estimate(citizens, design, instrument="epl-citizen", by="district")
    numbers = ["variable", "estimate", "se", "n"]
    centrum = by_name.filter(district="Centrum").select(numbers)
    assert centrum.height == 4  # three dimensions and the index
    assert domains.filter(pl.col("district_code").is_null()).select(numbers).equals(centrum)
    assert (
        domains.filter(district_code=13)
        .select(numbers)
        .equals(by_name.filter(district="Östra").select(numbers))
    )
    # The whole sample (level 0) has null keys too, told apart by its level, first per variable.
    assert out["level"].to_list()[:7] == [0, 1, 1, 1, 1, 1, 1]
    assert out.filter(level=0).select(numbers).equals(by_name.filter(level=0).select(numbers))


def test_score_interviews_and_code_counts_integer_keys():
    segments = coded(ly.example_data("interviews"), "enhet", "enhet_kod")
    per_unit = segments.group_by("enhet_kod").agg(pl.col("interview").n_unique())
    n_null = per_unit.filter(pl.col("enhet_kod").is_null())["interview"][0]
    units = ly.score_interviews(segments, by="enhet_kod", min_interviews=1)
    assert assert_typed_keys(units, "enhet_kod")[-2] == 8 + per_unit.height - 1
    assert units.filter(pl.col("enhet_kod").is_null())["n_interviews"].unique().to_list() == [
        n_null
    ]
    interviews = ly.score_interviews(segments, by="enhet_kod", level="interview")
    assert_typed_keys(interviews, "enhet_kod")
    counts, _ = ly.code_counts(segments, by="enhet_kod", min_interviews=1)
    assert_typed_keys(counts, "enhet_kod")
    null_codings = counts.filter(pl.col("enhet_kod").is_null())["n_codings"].sum()
    assert null_codings == segments.filter(pl.col("enhet_kod").is_null()).height


def test_cooccurrence_integer_keys():
    """Two codes on one segment, in units 10, 9 and a unit without a code."""
    segments = pl.DataFrame(
        {
            "interview": ["I1", "I1", "I2", "I2", "I3", "I3"],
            "enhet": [10, 10, 9, 9, None, None],
            "segment": [1, 1, 1, 1, 1, 1],
            "code": ["eng_stolthet", "eng_motivation"] * 3,
        }
    )
    counts, pairs = ly.code_counts(segments, coder=None, min_interviews=1)
    assert pairs["enhet"].to_list() == [9, 10, None]
    assert pairs["n_segments"].to_list() == [1, 1, 1]
    assert counts.schema["enhet"] == pl.Int64 and counts["enhet"].to_list()[-1] is None


def test_compare_waves_integer_keys(coded_waves):
    out = ly.compare_waves(coded_waves[2024], coded_waves[2025])
    assert_typed_keys(out.filter(level=1), "fv", pl.Int32)
    # The null unit is compared with the null unit of the earlier wave.
    null = out.filter(pl.col("fv").is_null(), measure="hme", level=1)
    earlier = coded_waves[2024].filter(pl.col("fv").is_null(), measure="hme", level=1)
    assert null["status"].to_list() == [None]
    assert null["mean_earlier"].to_list() == earlier["mean"].to_list()


def test_unit_map_on_integer_keys(coded_waves):
    later = coded_waves[2025].with_columns(pl.col("fv").replace(9, 99))
    as_int = ly.compare_waves(coded_waves[2024], later, unit_map={9: 99})
    as_text = ly.compare_waves(coded_waves[2024], later, unit_map={"09": "99"})
    assert as_int.equals(as_text)
    renamed = as_int.filter(fv=99, measure="hme")
    assert renamed["mapping"].to_list() == ["renamed from 9"]
    assert renamed["mean_earlier"].to_list() == (
        coded_waves[2024].filter(fv=9, measure="hme")["mean"].to_list()
    )
    with pytest.raises(ly.DataError, match=r"unit_map value `Nine`.*key column `fv` \(i32\)"):
        ly.compare_waves(coded_waves[2024], later, unit_map={"Nine": "99"})
    as_text_keys = coded_waves[2024].with_columns(pl.col("fv").cast(pl.String))
    with pytest.raises(ly.DataError, match=r"key column `fv` is str in the earlier table but i32"):
        ly.compare_waves(as_text_keys, later)


def test_trend_integer_keys(coded_waves):
    later = coded_waves[2025].with_columns(pl.col("fv").replace(9, 99))
    series = ly.trend({2024: coded_waves[2024], 2025: later}, unit_map={2025: {9: 99}})
    units = series.filter(level=1)
    keys = units["fv"].unique(maintain_order=True).to_list()
    assert series.schema["fv"] == pl.Int32
    assert keys == [10, 11, 12, 99, None]
    # The renamed unit's line starts in 2024 under its new code; the null unit has both years.
    hme = units.filter(measure="hme")
    assert hme.filter(fv=99)["year"].to_list() == [2024, 2025]
    assert hme.filter(pl.col("fv").is_null())["year"].to_list() == [2024, 2025]
    assert hme["n"].dtype == pl.UInt64


def test_combine_integer_keys():
    staff = ly.estimate(
        coded(ly.example_data("staff", year=2025), "enhet", "enhet_kod"),
        "epl-staff",
        by="enhet_kod",
    )
    interviews = ly.score_interviews(
        coded(ly.example_data("interviews"), "enhet", "enhet_kod").with_columns(
            pl.col("enhet_kod").cast(pl.Int32)
        ),
        by="enhet_kod",
        min_interviews=1,
    )
    out = ly.combine(staff=staff, interviews=interviews, on="enhet_kod")
    assert_typed_keys(out, "enhet_kod")
    null = out.filter(pl.col("enhet_kod").is_null(), dimension="engagement")
    expected = staff.filter(pl.col("enhet_kod").is_null(), measure="engagement", level=1)
    assert null["staff"].to_list() == expected["mean"].to_list()
    with pytest.raises(ly.DataError, match=r"unit column `enhet_kod` is Int64 in `staff`"):
        ly.combine(
            staff=staff,
            interviews=interviews.with_columns(pl.col("enhet_kod").cast(pl.String)),
            on="enhet_kod",
        )
