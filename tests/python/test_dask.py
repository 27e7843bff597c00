"""lyhord.dask: sums per partition on a local dask cluster, merged in a tree, equal to one
machine's ly.summarise / ly.estimate_from_sums on the same rows."""

import importlib
import subprocess
import sys

import lyhord as ly
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
lyd = importlib.import_module("lyhord.dask")

BY = ["year", "forvaltning", "enhet"]
NUMERIC = ["mean", "sd", "se", "ci_low", "ci_high", "pct_positive", "pct_neutral", "pct_negative"]
# Partition sums are added in another order than one machine adds rows: equal to rounding.
REL = 1e-12


def local_cluster(processes: bool):
    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=":0"
    )


@pytest.fixture(scope="module")
def client():
    # Workers as threads start in a fraction of a second; the tables of sums still go
    # through the scheduler as tasks. test_worker_processes_... crosses a process boundary.
    with local_cluster(processes=False) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def two_years() -> pl.DataFrame:
    return pl.concat([ly.example_data("staff", year=y) for y in (2024, 2025)])


def partitioned(frame: pl.DataFrame, bounds: list[int]) -> list[pl.DataFrame]:
    return [frame[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def as_dask(parts: list[pl.DataFrame]):
    """Exactly these partitions (from_pandas would choose its own)."""
    pandas = [p.to_pandas() for p in parts]
    return dd.from_delayed([dask.delayed(p) for p in pandas], meta=pandas[0].iloc[:0])


def awkward_partitions(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """An empty partition, one holding the only rows of one unit, and the rest cut into
    three slices that split other units between them."""
    only = frame["enhet"].unique().sort()[0]
    alone = frame.filter(pl.col("enhet") == only)
    rest = frame.filter(pl.col("enhet") != only)
    third = rest.height // 3
    return [frame.clear(), *partitioned(rest, [0, third, 2 * third, rest.height]), alone]


def assert_same_sums(a: pl.DataFrame, b: pl.DataFrame) -> None:
    """Same rows, keys and counts exactly; sums to ~1e-12 relative."""
    assert_frame_equal(a.select(pl.exclude(pl.Float64)), b.select(pl.exclude(pl.Float64)))
    assert_frame_equal(a, b, check_exact=False, rel_tol=REL, abs_tol=0.0)


def assert_same_estimates(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert_frame_equal(a.drop(NUMERIC), b.drop(NUMERIC))
    assert_frame_equal(a.select(NUMERIC), b.select(NUMERIC), check_exact=False, rel_tol=REL)


def test_sums_over_awkward_partitions_equal_one_machine(client, two_years):
    parts = awkward_partitions(two_years)
    assert parts[0].height == 0 and parts[-1]["enhet"].n_unique() == 1
    sums = lyd.summarise(as_dask(parts), "epl-staff", by=BY, split_every=2)
    assert_same_sums(sums, ly.summarise(two_years, "epl-staff", by=BY))
    # the unit of the last partition is there, with its own counts
    unit = parts[-1]["enhet"][0]
    assert sums.filter(enhet=unit, measure="epl")["n_respondents"].sum() == parts[-1].height


def test_worker_processes_give_the_same_sums(two_years, tmp_path):
    # As between machines: the task (instrument as JSON, functions by reference) and each
    # table of sums are pickled from one process to another.
    with local_cluster(processes=True) as cluster, distributed.Client(cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        parts = awkward_partitions(two_years)
        sums = lyd.summarise(as_dask(parts), "epl-staff", by=BY, split_every=2)
        paths = [tmp_path / f"part{i}.parquet" for i in range(len(parts))]
        for part, path in zip(parts, paths, strict=True):
            part.write_parquet(path)
        from_files = lyd.summarise(paths, "epl-staff", by=BY)
    expected = ly.summarise(two_years, "epl-staff", by=BY)
    assert_same_sums(sums, expected)
    assert_same_sums(from_files, expected)


def test_estimates_equal_one_machine_per_year_with_headcounts_and_background(client, two_years):
    data = as_dask(awkward_partitions(two_years))
    one = ly.summarise(two_years, "hme", by=[*BY, "kon"])
    cases = {
        2024: dict(by=["forvaltning", "enhet"], headcounts=ly.headcounts(year=2024)),
        2025: dict(by="forvaltning", background="kon"),
    }
    for year, kwargs in cases.items():
        expected = ly.estimate_from_sums(one.filter(year=year), "hme", min_group=5, **kwargs)
        got = lyd.estimate(data[data["year"] == year], "hme", min_group=5, **kwargs)
        assert_same_estimates(got, expected)
        assert got["suppressed"].any()  # the publication had small groups to blank


def test_parquet_files_are_partitions(client, two_years, tmp_path):
    paths = []
    for i, part in enumerate(awkward_partitions(two_years)):
        paths.append(tmp_path / f"part{i}.parquet")
        part.write_parquet(paths[-1])
    sums = lyd.summarise(paths, "epl-staff", by=BY)
    assert_same_sums(sums, ly.summarise(two_years, "epl-staff", by=BY))
    weighted = two_years.with_columns(w=1.0 + (pl.int_range(pl.len()) % 3) / 2)
    weighted.write_parquet(tmp_path / "weighted.parquet")
    got = lyd.estimate([tmp_path / "weighted.parquet"], "hme", by="forvaltning", weights="w")
    assert_same_estimates(got, ly.estimate(weighted, "hme", by="forvaltning", weights="w"))


def test_all_partitions_empty_gives_the_sums_of_no_rows(client, two_years):
    empty = two_years.clear()
    sums = lyd.summarise(as_dask([empty, empty]), "hme", by="enhet")
    assert_frame_equal(sums, ly.summarise(empty, "hme", by="enhet"))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    cuts=st.lists(st.integers(0, 4698), max_size=7),
    seed=st.integers(0, 2**16),
    split_every=st.integers(2, 5),
)
def test_any_partitioning_gives_the_same_table(client, staff_2025, cuts, seed, split_every):
    shuffled = staff_2025.sample(fraction=1.0, shuffle=True, seed=seed)
    # repeated cuts make empty partitions
    parts = partitioned(shuffled, [0, *sorted(cuts), shuffled.height])
    data = as_dask(parts)
    sums = lyd.summarise(data, "hme", by=["forvaltning", "enhet"], split_every=split_every)
    assert_same_sums(sums, ly.summarise(staff_2025, "hme", by=["forvaltning", "enhet"]))


def test_bad_input_is_reported_before_anything_runs(staff_2025):
    data = dd.from_pandas(staff_2025.drop("hme2").to_pandas(), npartitions=2)
    with pytest.raises(ly.DataError, match="hme2"):
        lyd.summarise(data, "hme")
    with pytest.raises(ly.DataError, match="kommun"):
        lyd.estimate(data, "epl-staff", by="kommun")
    with pytest.raises(ValueError, match="split_every"):
        lyd.summarise(data, "epl-staff", split_every=1)
    with pytest.raises(TypeError, match="as a list"):
        lyd.summarise("data/*.parquet", "hme")
    with pytest.raises(TypeError, match="dask DataFrame or a list of Parquet paths"):
        lyd.summarise(staff_2025, "hme")
    with pytest.raises(ValueError, match="min_group"):
        lyd.estimate(data, "epl-staff", min_group=0)


def test_a_bad_file_is_reported_by_its_worker(client, staff_2025, tmp_path):
    path = tmp_path / "bad.parquet"
    staff_2025.drop("hme2").write_parquet(path)
    with pytest.raises(ly.DataError, match="hme2"):
        lyd.summarise([path], "hme")


def test_without_dask_the_import_says_what_to_install(monkeypatch):
    # None in sys.modules makes `import dask` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    monkeypatch.delitem(sys.modules, "lyhord.dask", raising=False)  # restored afterwards
    with pytest.raises(ImportError, match=r"pip install 'lyhord\[dask\]'") as caught:
        importlib.import_module("lyhord.dask")
    assert isinstance(caught.value, ly.LyhordError)


def test_importing_lyhord_does_not_import_dask():
    code = "import sys, lyhord; print(sorted(m for m in sys.modules if m.startswith('dask')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
