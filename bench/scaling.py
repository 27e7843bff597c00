"""How score + grouped estimates scale with the number of respondents: time and peak memory
at 10,000, 100,000, 1,000,000 and 4,000,000 rows × 45 items (the ``score_estimate`` case of
``run.py`` at other sizes), each size in a fresh process so its peak memory is its own.

    python bench/scaling.py [--ext PATH] [--sizes 10000,100000]

Inputs are written to ``bench/.data`` before any size is timed (the same generator as
``run.py``). Prints a Markdown table for ``RESULTS.md``: seconds (best of 3), peak
resident memory of the process, that peak less the process before the call (Python,
polars, lyhord and the input frame), the input frame's own size, and the call's time in
passes over the answers in memory (one pass: polars summing every item column once).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = [10_000, 100_000, 1_000_000, 4_000_000]


def worker(rows: int, ext: str | None) -> dict:
    import run

    run.use_extension(ext)
    import lyhord as ly
    import polars as pl
    from timing import best_of

    paths = run.prepare(rows)
    df, heads = pl.read_parquet(paths["answers"]), pl.read_parquet(paths["headcounts"])
    inst = ly.Instrument.from_toml(run.INSTRUMENT)
    before = run.peak_rss_mb()
    seconds, table = best_of(
        lambda: ly.estimate(ly.score(df, inst), inst, by=run.BY, headcounts=heads), 3
    )
    peak = run.peak_rss_mb()
    # One pass over the answers in memory: polars summing every item column once (on
    # both cores, as polars does). The call's time in such passes says how much more
    # than reading the answers it does.
    items = [c for c in inst.items if c in df.columns]
    one_pass, _ = best_of(lambda: df.select(pl.col(items).sum()), 5)
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_rss_mb": peak,
        "call_mb": peak - before,
        "input_mb": df.estimated_size() / 2**20,
        "cells": table.height,
        "one_pass_seconds": one_pass,
        "passes": seconds / one_pass,
        "items_mb": df.select(items).estimated_size() / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ext", help="path of a release build of lyhord._lyhord")
    ap.add_argument("--sizes", help="comma-separated row counts", default=None)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    if args.worker:
        print(json.dumps(worker(args.worker, args.ext)))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZES
    import run

    run.use_extension(args.ext)
    for rows in sizes:  # inputs first: no timed process makes its own
        run.prepare(rows)
    print(
        "| respondents | seconds | peak memory | of which the call | input frame | cells "
        "| one pass over the answers | passes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for rows in sizes:
        cmd = [sys.executable, __file__, "--worker", str(rows)]
        if args.ext:
            cmd += ["--ext", args.ext]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {rows:,} | {r['seconds']:.3f} | {r['peak_rss_mb']:.0f} MB | "
            f"{r['call_mb']:.0f} MB | {r['input_mb']:.0f} MB | {r['cells']:,} | "
            f"{1000 * r['one_pass_seconds']:.1f} ms ({r['items_mb']:.0f} MB) | {r['passes']:.0f} |"
        )


if __name__ == "__main__":
    main()
