import lyhord as ly
import polars as pl
import pytest
from polars.testing import assert_frame_equal


def hme_rows(*rows):
    return pl.DataFrame({f"hme{i + 1}": [r[i] for r in rows] for i in range(9)})


def test_hme_hand_computed():
    # Row 1: Motivation (3,3,3) → 50, Ledarskap (4,4,4) → 75, Styrning (5,5,5) → 100,
    # index = mean of nine items = 75. Row 2: hme8 "vet ej" (6): Motivation (5,4,4) → 83.33,
    # Ledarskap (3,5,4) → 75; Styrning and the total need every answer (SKR's rule) → null.
    out = ly.score(hme_rows([3, 3, 3, 4, 4, 4, 5, 5, 5], [5, 4, 4, 3, 5, 4, 2, 6, 4]), "hme")
    assert out["motivation"].to_list() == [50.0, pytest.approx(250 / 3)]
    assert out["ledarskap"].to_list() == [75.0, 75.0]
    assert out["styrning"].to_list() == [100.0, None]
    assert out["hme"].to_list() == [75.0, None]


def test_out_of_scale_names_column_row_and_value():
    with pytest.raises(ly.DataError, match=r"`hme3`, row 2: value 7 is outside the scale 1–5"):
        ly.score(hme_rows([3] * 9, [3, 3, 7, 3, 3, 3, 3, 3, 3]), "hme")


def test_text_answers_point_to_read_export():
    df = hme_rows([3] * 9).with_columns(pl.lit("Stämmer mycket bra").alias("hme4"))
    with pytest.raises(ly.DataError, match="`hme4`.*read_export"):
        ly.score(df, "hme")


def test_missing_item_column_is_named():
    with pytest.raises(ly.DataError, match="`hme9`.*missing"):
        ly.score(hme_rows([3] * 9).drop("hme9"), "hme")


def test_input_is_not_modified_and_columns_are_appended(staff_2025):
    before = staff_2025.clone()
    out = ly.score(staff_2025, "epl-staff")
    assert_frame_equal(staff_2025, before)
    assert out.columns == [*staff_2025.columns, "engagement", "participation", "learning", "epl"]


def test_scores_stay_in_range(staff_2025):
    out = ly.score(staff_2025, "epl-staff")
    for c in ["engagement", "participation", "learning", "epl"]:
        assert out[c].min() >= 0 and out[c].max() <= 100
        # 3–8 % missing answers leave most respondents scored
        assert out[c].null_count() < 0.1 * out.height


def test_expression_plugin_matches_score(staff_2025):
    inst = ly.Instrument.builtin("hme")
    direct = ly.score(staff_2025, inst)
    via_expr = staff_2025.lazy().with_columns(ly.expr.scores(inst)).collect()
    assert_frame_equal(direct, via_expr)
    # inside a group_by aggregation too
    by_unit = staff_2025.group_by("forvaltning").agg(ly.expr.score(inst).mean()).sort("forvaltning")
    expected = direct.group_by("forvaltning").agg(pl.col("hme").mean()).sort("forvaltning")
    assert_frame_equal(by_unit, expected)


def test_column_clash_is_refused():
    df = hme_rows([3] * 9).with_columns(pl.lit(1).alias("motivation"))
    with pytest.raises(ly.DataError, match="`motivation` would overwrite"):
        ly.score(df, "hme")
