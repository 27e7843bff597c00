"""ly.combine: sources matched per unit, suppressed rows left out, coarse sources spread."""

import lyhord as ly
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

Z = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def staff_table(rows):
    return pl.DataFrame(
        {
            "level": [1] * len(rows),
            "enhet": [r[0] for r in rows],
            "kind": ["dimension"] * len(rows),
            "measure": [r[1] for r in rows],
            "mean": [r[2] for r in rows],
            "se": [r[3] for r in rows],
            "n": [40] * len(rows),
            "suppressed": [r[4] for r in rows],
        }
    )


def interview_table(rows):
    return pl.DataFrame(
        {
            "enhet": [r[0] for r in rows],
            "dimension": [r[1] for r in rows],
            "score": [r[2] for r in rows],
            "ci_low": [r[2] - Z * r[3] for r in rows],
            "ci_high": [r[2] + Z * r[3] for r in rows],
            "n_interviews": [4] * len(rows),
            "suppressed": [False] * len(rows),
        }
    )


def test_weights_suppression_and_a_municipality_wide_source():
    staff = staff_table(
        [("A", "participation", 72.0, 2.0, False), ("B", "participation", 90.0, 1.0, True)]
    )
    interviews = interview_table(
        [("A", "participation", 48.0, 8.0), ("B", "participation", 60.0, 5.0)]
    )
    citizens = pl.DataFrame(
        {
            "level": [0],
            "variable": ["participation"],
            "estimate": [57.0],
            "se": [1.0],
            "n": [3000],
            "suppressed": [False],
        }
    )
    out = ly.combine(
        staff=staff,
        interviews=interviews,
        citizens=citizens,
        on="enhet",
        weights={"staff": 2, "interviews": 1, "citizens": 1},
    ).sort("enhet")
    a, b = out.rows(named=True)
    # A: (2·72 + 57 + 48)/4 = 62.25; SE² = (0.5·2)² + (0.25·1)² + (0.25·8)².
    assert a["score"] == pytest.approx(62.25)
    assert a["se"] == pytest.approx((1 + 0.0625 + 4) ** 0.5)
    assert a["sources"] == "staff+citizens+interviews"
    # B's staff cell is suppressed: it neither contributes nor shows.
    assert b["staff"] is None and b["sources"] == "citizens+interviews"
    assert b["score"] == pytest.approx((57 + 60) / 2)
    with pytest.raises(ly.DataError, match=r"`staff` lacks the columns \['kind'\]; .*ly\.estimate"):
        ly.combine(staff=staff.drop("kind"), on="enhet")
    with pytest.raises(ValueError, match="unknown sources"):
        ly.combine(staff=staff, on="enhet", weights={"survey": 1})


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 100), st.floats(0.1, 10), st.floats(0, 100), st.floats(0.1, 10)),
        min_size=1,
        max_size=8,
    )
)
def test_combined_score_lies_between_the_sources(values):
    units = [f"U{i}" for i in range(len(values))]
    staff = staff_table(
        [(u, "learning", v[0], v[1], False) for u, v in zip(units, values, strict=True)]
    )
    interviews = interview_table(
        [(u, "learning", v[2], v[3]) for u, v in zip(units, values, strict=True)]
    )
    out = ly.combine(staff=staff, interviews=interviews, on="enhet")
    given_se = {u: (v[1], v[3]) for u, v in zip(units, values, strict=True)}
    for row in out.iter_rows(named=True):
        lo, hi = sorted([row["staff"], row["interviews"]])
        assert lo - 1e-9 <= row["score"] <= hi + 1e-9
        # Averaging two independent estimates never widens beyond the wider one.
        assert row["se"] <= max(given_se[row["enhet"]]) * (1 + 1e-9)
    shuffled = ly.combine(staff=staff.reverse(), interviews=interviews.reverse(), on="enhet")
    assert shuffled.equals(out)
