"""Bench case: Krippendorff's α (ordinal and interval) on 100,000 units × 5 coders, lyhord
against the ``krippendorff`` package (Castro), the tool a Python user would pick.

Each tool gets its natural input, built before the clock starts: lyhord the long table
(unit, coder, value) that coding exports give, ``krippendorff`` its coders × units array
with NaN for missing. The ratio is lyhord asked for α alone (``statistics=
"krippendorff_alpha"``, with its analytic SE), as the package computes it; the time of
lyhord's call with all coefficients (percent agreement, Cohen, Fleiss, Gwet,
Brennan–Prediger with three weightings, α, each with its SE) and with a 1,000-resample
bootstrap interval is reported too.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from timing import best_of

WHAT = "Krippendorff's α, ordinal + interval, units × 5 coders (10 % missing)"
TOOLS = ["lyhord", "krippendorff"]
TARGET = "lyhord ≥ 10× faster than the krippendorff package at 100,000 units"
UNITS, QUICK_UNITS, CODERS = 100_000, 10_000, 5


def make_matrix(units: int, seed: int = 20261123) -> np.ndarray:
    """Coders × units ratings 1–5: a latent value per unit plus coder noise and coder bias."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.0, 1.0, units)
    bias = rng.normal(0.0, 0.2, CODERS)[:, None]
    x = np.clip(np.rint(truth + bias + rng.normal(0.0, 0.6, (CODERS, units))), 1, 5)
    x[rng.random((CODERS, units)) < 0.10] = np.nan
    return x


def to_long(matrix: np.ndarray) -> pl.DataFrame:
    coders, units = matrix.shape
    frame = pl.DataFrame(
        {
            "unit": np.tile(np.arange(units), coders),
            "coder": np.repeat(np.arange(coders), units),
            "value": matrix.ravel(),
        }
    )
    return frame.filter(pl.col("value").is_not_nan()).with_columns(pl.col("value").cast(pl.Int64))


def work(tool: str, quick: bool) -> dict:
    matrix = make_matrix(QUICK_UNITS if quick else UNITS)
    levels = ("ordinal", "interval")
    if tool == "lyhord":
        import lyhord as ly

        ratings = to_long(matrix)

        def job(statistics):
            return [
                ly.agreement(ratings, level=lv, n_boot=0, statistics=statistics) for lv in levels
            ]

        seconds, outs = best_of(lambda: job("krippendorff_alpha"), 5)
        seconds_all, all_outs = best_of(lambda: job(None), 3)
        alphas = [o.filter(pl.col("statistic") == "krippendorff_alpha")["value"][0] for o in outs]
        alphas_all = [
            o.filter(pl.col("statistic") == "krippendorff_alpha")["value"][0] for o in all_outs
        ]
        assert alphas == alphas_all, "α alone must equal α among all coefficients"
        boot_s, _ = best_of(lambda: ly.agreement(ratings, level="ordinal", n_boot=1000), 1)
        return {
            "seconds": seconds,
            "seconds_all_coefficients": seconds_all,
            "alpha_ordinal": alphas[0],
            "alpha_interval": alphas[1],
            "seconds_ordinal_with_1000_bootstrap": boot_s,
            "units": matrix.shape[1],
        }
    import krippendorff

    def job():
        return [
            krippendorff.alpha(reliability_data=matrix, level_of_measurement=lv) for lv in levels
        ]

    seconds, alphas = best_of(job, 2)
    return {
        "seconds": seconds,
        "alpha_ordinal": float(alphas[0]),
        "alpha_interval": float(alphas[1]),
        "units": matrix.shape[1],
    }
