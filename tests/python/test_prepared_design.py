"""A design prepared once on its data (``Design.prepare``) gives exactly what the design
gives when it is coded in every call, and refuses data that is not what it was prepared on.

The estimates themselves are checked against R survey in ``test_design.py`` (published
``svymean``/``svytotal`` values on the ``api`` data, and ``svyby`` per domain); here the
point is that preparing changes nothing but the time, for every route the estimates take
(per-(domain, cluster) sums for few domains, rows ordered for many, calibration residuals,
replicates, quantiles) and for the comparisons and the Rao–Scott test.
"""

from __future__ import annotations

from pathlib import Path

import lyhord as ly
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(__file__).parents[1] / "data"
CLUS1 = pl.read_csv(DATA / "apiclus1.csv")
STRAT = pl.read_csv(DATA / "apistrat.csv")
DCLUS1 = ly.Design(weights="pw", psu="dnum", fpc="fpc")
DSTRAT = ly.Design("pw", "stype", fpc="fpc")


def both(data, design, *args, fn=ly.design_estimate, **kw):
    plain = fn(data, design, *args, **kw)
    prepared = fn(data, design.prepare(data), *args, **kw)
    return plain, prepared


@pytest.mark.parametrize(
    ("data", "design", "by", "statistic"),
    [
        (CLUS1, DCLUS1, "stype", "mean"),
        (CLUS1, DCLUS1, "dnum", "total"),
        (STRAT, DSTRAT, ["stype", "sch.wide"], "mean"),
        (STRAT, DSTRAT, "stype", "quantile"),
        (CLUS1, DCLUS1, None, "mean"),
    ],
)
def test_prepared_design_gives_the_same_table(data, design, by, statistic):
    plain, prepared = both(data, design, ["api00", "enroll"], by=by, statistic=statistic)
    assert plain.height > 0
    assert plain.equals(prepared)


def test_prepared_calibrated_and_replicate_designs_give_the_same_table():
    raked = ly.rake(STRAT, {"stype": {"E": 4421.0, "H": 755.0, "M": 1018.0}}, design=DSTRAT)
    plain, prepared = both(raked.data, raked.design, "api00", by="sch.wide")
    assert plain.equals(prepared)
    boot = ly.replicate_weights(CLUS1, DCLUS1.prepare(CLUS1), method="jk1")
    plain, prepared = both(boot.data, boot.design, "api00", by="stype")
    assert plain.equals(prepared)


def test_prepared_design_serves_comparisons_and_the_rao_scott_test():
    plain, prepared = both(CLUS1, DCLUS1, "api00", by="stype", fn=ly.design_compare)
    assert plain.equals(prepared)
    plain, prepared = both(
        CLUS1, DCLUS1, fn=ly.design_chisq, row="stype", column="sch.wide", min_group=1
    )
    assert plain.equals(prepared)


def test_prepared_design_refuses_other_rows_and_names_the_fix():
    prepared = DCLUS1.prepare(CLUS1)
    assert prepared.height == CLUS1.height and prepared.design == DCLUS1
    # A frame with the same design columns (another column changed) is the same sample.
    other_answers = CLUS1.with_columns(pl.col("api00") + 1)
    assert ly.design_estimate(other_answers, prepared, "api00")["estimate"][0] == pytest.approx(
        ly.design_estimate(CLUS1, DCLUS1, "api00")["estimate"][0] + 1
    )
    changed = CLUS1.with_columns(pl.col("pw") * 2)
    with pytest.raises(ly.EstimationError, match=r"column `pw` holds other values.*prepare"):
        ly.design_estimate(changed, prepared, "api00")
    with pytest.raises(ly.EstimationError, match=r"it has 183 rows, the data 100"):
        ly.design_estimate(CLUS1.head(100), prepared, "api00")
    with pytest.raises(ly.EstimationError, match=r"no column `dnum`"):
        ly.design_estimate(CLUS1.drop("dnum"), prepared, "api00")
    with pytest.raises(ly.ArgumentError, match=r"collect a LazyFrame first"):
        DCLUS1.prepare(CLUS1.lazy())  # type: ignore[arg-type]
    with pytest.raises(ly.ArgumentError, match=r"design: expected a lyhord.Design"):
        ly.design_estimate(CLUS1, "pw", "api00")  # type: ignore[arg-type]


def test_preparing_checks_the_design_as_a_call_would():
    with pytest.raises(ly.LyhordError, match=r"weight"):
        ly.Design(weights="nope").prepare(CLUS1)


CLUSTERED = ly.Design("w", "h", "psu", lonely_psu="adjust")


def clustered_sample(rng: np.random.Generator, rows: int = 3000, **domains: int) -> pl.DataFrame:
    """8 strata of 100 clusters each (800 in all) and one domain column per keyword with
    that many groups: 400 or more domains make more (domain, cluster) sums than the engine
    allows (it orders the rows then); a few domains take the sums."""
    stratum = rng.integers(0, 8, rows)
    columns = {
        "h": stratum,
        "psu": stratum * 100 + rng.integers(0, 100, rows),
        "w": rng.uniform(1, 5, rows),
        "y": rng.normal(50, 10, rows),
    }
    columns.update({name: rng.integers(0, k, rows) for name, k in domains.items()})
    return pl.DataFrame(columns)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    domains=st.sampled_from([2, 6, 40, 400]),
)
def test_few_and_many_domains_agree_with_one_domain_at_a_time(seed, domains):
    """Few domains take per-(domain, cluster) sums, many take ordered rows: each domain's
    estimate and SE equal those of the domain estimated alone (its own 0/1 indicator,
    ``svyby``'s definition), whichever route the table took."""
    rng = np.random.default_rng(seed)
    df = clustered_sample(rng, d=domains)
    table = ly.design_estimate(df, CLUSTERED.prepare(df), "y", by="d", min_group=1)
    for d in rng.choice(table["d"].drop_nulls().to_numpy(), size=3):
        alone = ly.design_estimate(
            df.with_columns((pl.col("d") == d).alias("inside")),
            CLUSTERED,
            "y",
            by="inside",
            min_group=1,
        ).filter(pl.col("inside") == True)  # noqa: E712
        row = table.filter(pl.col("d") == d)
        assert row["estimate"][0] == pytest.approx(alone["estimate"][0], rel=1e-12)
        assert row["se"][0] == pytest.approx(alone["se"][0], rel=1e-9)
        assert row["df"][0] == alone["df"][0]


def test_the_whole_sample_is_the_same_number_in_every_table():
    """Few domains take per-(domain, cluster) sums, many take ordered rows; the whole
    sample's row is computed alike in both, to the last bit, and without ``by``."""
    df = clustered_sample(np.random.default_rng(7), few=3, many=500)
    design = CLUSTERED
    whole = [
        ly.design_estimate(df, design, "y", by=by, min_group=1)
        .filter(pl.col("level") == 0)
        .select("estimate", "se", "n", "df")
        .row(0)
        for by in (None, "few", "many")
    ]
    assert whole[0] == whole[1] == whole[2]
