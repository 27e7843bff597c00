"""Bench case: the national bench data (``case_followup_stream``: 10 yearly Parquet files ×
1.2 M employees, 290 kommuner × 5 förvaltningar, the 14 EPL items) through ``lyhord.dask``
on a local cluster, against one machine streaming the same files.

- ``lyhord_dask``: ``lyhord.dask.summarise(files, by=["year", "kommun", "forvaltning"])`` on
  a ``distributed.LocalCluster`` of 2 worker processes × 1 thread: each file is one
  partition, streamed by polars on its worker; the tables of sums are merged in a tree.
  The cluster starts before the clock (its workers load the same extension build).
- ``lyhord_streaming``: ``ly.summarise(pl.scan_parquet(...))`` in this process.

Both then publish the merged sums the same way (``ly.estimate_from_sums`` by year and
förvaltning); ``seconds_summarise`` is the summing alone. The streaming run
(second) checks that its sums and published table equal the cluster's: counts exactly,
sums and estimates to 1e-12 relative. ``speedup`` is streaming time / cluster time. On one
2-core machine the cluster cannot add cores, only overhead (process start-up is not timed,
task and transfer costs are): the case shows the adapter's cost and its equality; the gain
comes from machines that hold data one does not. The cluster's peak memory is that of its
workers (``worker_peak_rss_mb``); ``peak_rss_mb`` is the client's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl
from case_followup_stream import (
    BY,
    DATA,
    EMPLOYEES,
    INSTRUMENT,
    QUICK_EMPLOYEES,
    YEARS,
    folder,
)
from case_followup_stream import prepare as prepare  # the same yearly files, written first

WHAT = "national data (10 yearly Parquet files) summed on a local dask cluster vs one machine"
TOOLS = ["lyhord_dask", "lyhord_streaming"]
TARGET = (
    "the cluster's sums and estimates equal one machine's (counts exact, floats to 1e-12); "
    "time ratio reported"
)
KEYS = ["year", *BY]
NUMERIC = ["mean", "sd", "se", "ci_low", "ci_high", "pct_positive", "pct_neutral", "pct_negative"]


def publish(sums: pl.DataFrame) -> pl.DataFrame:
    """Estimates per year and förvaltning (index, dimensions, items, with suppression) from
    the merged sums. Per kommun is ``case_followup_stream``'s work and does not depend on
    where the sums were made; here the sums themselves are compared, cell by cell."""
    import lyhord as ly

    return ly.estimate_from_sums(sums, INSTRUMENT, by=["year", "forvaltning"])


def timed(summarise) -> tuple[pl.DataFrame, pl.DataFrame, float, float]:
    """Sums, published table, seconds summing, seconds in all."""
    t0 = time.perf_counter()
    sums = summarise()
    t1 = time.perf_counter()
    table = publish(sums)
    return sums, table, t1 - t0, time.perf_counter() - t0


def best(summarise, repeat: int) -> dict:
    runs = [timed(summarise) for _ in range(repeat)]
    sums, table, _, _ = runs[-1]
    return {
        "sums": sums,
        "table": table,
        "seconds_summarise": min(r[2] for r in runs),
        "seconds": min(r[3] for r in runs),
    }


# --------------------------------------------------------------------------- the cluster


def load_extension(path: str) -> None:
    """On a worker, before it imports lyhord: the extension build the client runs (the
    bench's release build), as ``run.use_extension`` does in the client."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.ExtensionFileLoader("lyhord._lyhord", path)
    spec = importlib.util.spec_from_file_location("lyhord._lyhord", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules["lyhord._lyhord"] = module


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def on_cluster(files: list[Path], repeat: int) -> dict:
    import cloudpickle
    import lyhord
    import lyhord.dask
    from distributed import Client, LocalCluster

    # The workers cannot import this file (bench/ is not on their path): send its functions.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        # From sys.modules: an extension loaded by `run.use_extension` (`make bench`'s
        # release build) is not bound as the package's attribute.
        client.run(load_extension, sys.modules["lyhord._lyhord"].__file__)
        out = best(lambda: lyhord.dask.summarise(files, INSTRUMENT, by=KEYS), repeat)
        out["worker_peak_rss_mb"] = sorted(client.run(peak_rss_mb).values())
        out["partitions"] = len(files)
    return out


# --------------------------------------------------------------------------- comparison


def compare(sums: pl.DataFrame, table: pl.DataFrame, employees: int) -> dict:
    """The streamed sums and table against the cluster's (written by its run)."""
    path = DATA / f"dask_sums_{employees}.parquet"
    if not path.exists():
        return {"compared": False}
    theirs = pl.read_parquet(path)
    their_table = pl.read_parquet(DATA / f"dask_table_{employees}.parquet")
    counts = [c for c, t in sums.schema.items() if t != pl.Float64]
    floats = [c for c, t in sums.schema.items() if t == pl.Float64]
    return {
        "compared": True,
        "same_groups_and_counts": sums.select(counts).equals(theirs.select(counts)),
        "max_rel_diff_sums": max_rel_diff(sums.select(floats), theirs.select(floats)),
        "same_suppression_and_n": table.drop(NUMERIC).equals(their_table.drop(NUMERIC)),
        "max_rel_diff_estimates": max_rel_diff(table.select(NUMERIC), their_table.select(NUMERIC)),
    }


def max_rel_diff(a: pl.DataFrame, b: pl.DataFrame) -> float:
    """Largest |a − b| / max(|a|, |b|) over all cells; inf where one is null and not the
    other."""
    worst = 0.0
    for name in a.columns:
        pair = pl.DataFrame({"x": a[name], "y": b[name]})
        if not pair["x"].is_null().equals(pair["y"].is_null()):
            return float("inf")
        x, y = pl.col("x"), pl.col("y")
        rel = ((x - y).abs() / pl.max_horizontal(x.abs(), y.abs(), 1e-300)).max()
        worst = max(worst, pair.select(rel).item() or 0.0)
    return worst


def work(tool: str, quick: bool) -> dict:
    import lyhord as ly

    employees = QUICK_EMPLOYEES if quick else EMPLOYEES
    files = sorted(folder(employees).glob("*.parquet"))
    repeat = 2 if quick else 1
    if tool == "lyhord_dask":
        out = on_cluster(files, repeat)
        out.pop("sums").write_parquet(DATA / f"dask_sums_{employees}.parquet")
        out.pop("table").write_parquet(DATA / f"dask_table_{employees}.parquet")
    else:
        scan = pl.scan_parquet(files)
        out = best(lambda: ly.summarise(scan, INSTRUMENT, by=KEYS), repeat)
        out.update(compare(out.pop("sums"), out.pop("table"), employees))
    return {"respondent_waves": employees * len(YEARS), **out}
