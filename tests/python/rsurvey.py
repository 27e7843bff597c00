"""Shared pieces of the differential tests against R survey: a fresh stratified cluster
sample, and running an R script on it (skipped when R or its survey package is missing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest


def cluster_sample(
    rng: np.random.Generator, rows: int, strata: int, clusters: int, y: np.ndarray, domains: int
) -> pl.DataFrame:
    """``rows`` rows in ``strata`` strata of up to ``clusters`` clusters each (nested ids
    ``stratum * 100 + cluster``), weights in [1, 4], the variable ``y`` and a domain ``d``."""
    return pl.DataFrame(
        {
            "stratum": rng.integers(0, strata, rows),
            "psu": rng.integers(0, clusters, rows),
            "w": rng.uniform(1.0, 4.0, rows),
            "y": y,
            "d": rng.integers(0, domains, rows),
        }
    ).with_columns(psu=pl.col("stratum") * 100 + pl.col("psu"))


def run_r(script: str, data: pl.DataFrame, tmp_path: Path) -> str:
    """``script`` run by Rscript with ``{path}`` replaced by a CSV of ``data``; its output."""
    path = tmp_path / "sample.csv"
    data.write_csv(path)
    result = subprocess.run(
        ["Rscript", "-e", script.replace("{path}", str(path))],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and "there is no package called" in result.stderr:
        pytest.skip("R's survey package is not installed")
    assert result.returncode == 0, result.stderr
    return result.stdout
