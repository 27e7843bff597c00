"""lyhord benchmarks, side by side with the tools people use instead, as ratios in one run.

Every (case, tool) runs in its own Python process, so the peak memory (``ru_maxrss``) of one
tool is not inflated by another. Inputs are prepared once, written to ``bench/.data`` and read
by every worker before the clock starts; each worker reports the best of a few runs.

    python bench/run.py [--quick] [--case score_estimate|reliability] [--ext PATH]

``--ext`` points at a release build of the extension module (``make bench`` builds one);
without it the development build is used, which is several times slower. ``--quick`` uses
50,000 respondents instead of 1,000,000.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

from timing import best_of

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
INSTRUMENT = HERE / "bench45.toml"
BY = ["forvaltning", "enhet"]
EXTRA_ITEMS = [f"x{i:02d}" for i in range(1, 18)]
FULL_ROWS, QUICK_ROWS = 1_000_000, 50_000


def use_extension(path: str | None) -> None:
    """Make ``import lyhord`` load the extension at ``path`` (a release build)."""
    if not path:
        return
    loader = importlib.machinery.ExtensionFileLoader("lyhord._lyhord", path)
    spec = importlib.util.spec_from_file_location("lyhord._lyhord", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules["lyhord._lyhord"] = module


# --------------------------------------------------------------------------- inputs


def rotated(series, k: int):
    return series.slice(k).append(series.slice(0, k))


def prepare(rows: int) -> dict[str, Path]:
    """Exempelkommun answers at ``rows`` respondents × 45 items, and matching headcounts."""
    import lyhord as ly
    import polars as pl

    DATA.mkdir(exist_ok=True)
    answers, heads = DATA / f"staff_{rows}.parquet", DATA / f"headcounts_{rows}.parquet"
    if answers.exists() and heads.exists():
        return {"answers": answers, "headcounts": heads}
    df = ly.example_data("staff", year=2025, n=rows)
    base = [c for c in df.columns if c not in ("respondent_id", "year", "kon", "aldersgrupp", *BY)]
    # The 17 extra items are earlier items read from other respondents (rotated rows), so
    # they have realistic distributions and missingness without repeating a column.
    extra = [
        rotated(df[base[j % len(base)]], 7919 * (j + 1) % rows).alias(name)
        for j, name in enumerate(EXTRA_ITEMS)
    ]
    df = df.with_columns(extra)
    df.write_parquet(answers)
    # Near-census: a unit's headcount is its respondents over a 78 % response rate.
    counts = df.group_by(BY).len()
    counts.select(
        *BY, (pl.col("len") / 0.78).ceil().cast(pl.Int64).alias("headcount")
    ).write_parquet(heads)
    return {"answers": answers, "headcounts": heads}


# --------------------------------------------------------------------------- workers


def worker_score_estimate_lyhord(paths: dict, repeat: int) -> dict:
    import lyhord as ly
    import polars as pl

    df, heads = pl.read_parquet(paths["answers"]), pl.read_parquet(paths["headcounts"])
    inst = ly.Instrument.from_toml(INSTRUMENT)

    def job():
        return ly.estimate(ly.score(df, inst), inst, by=BY, headcounts=heads)

    def job_with_audit():
        # the same table through a publication, and the auditor's intervals of every blank
        pub = ly.Publication(ly.score(df, inst), inst)
        table = pub.estimate(by=BY, headcounts=heads)
        return table, pub.audit()

    seconds, table = best_of(job, repeat)
    audited_seconds, (_, audit) = best_of(job_with_audit, repeat)
    table.write_parquet(DATA / "out_lyhord.parquet")
    return {
        "seconds": seconds,
        "seconds_with_audit": audited_seconds,
        "audit_rows": audit.height,
        "audit_passed": bool(audit["passed"].all()),
        "rows": df.height,
        "cells": table.height,
    }


def worker_score_estimate_pandas(paths: dict, repeat: int) -> dict:
    import pandas as pd

    sys.path.insert(0, str(HERE))
    import pandas_reference as ref

    df, heads = pd.read_parquet(paths["answers"]), pd.read_parquet(paths["headcounts"])
    spec = ref.load_spec(INSTRUMENT)

    def job():
        scored, codes = ref.score(df, spec)
        return ref.estimate(scored, codes, spec, BY, heads)

    seconds, table = best_of(job, repeat)
    table.to_parquet(DATA / "out_pandas.parquet")
    return {"seconds": seconds, "rows": len(df), "cells": len(table)}


def compare_tables() -> dict:
    """Largest differences between the two tables on the cells both publish."""
    import polars as pl

    a = pl.read_parquet(DATA / "out_lyhord.parquet")
    b = pl.read_parquet(DATA / "out_pandas.parquet").with_columns(
        pl.col("level").cast(pl.UInt32), pl.col("n").cast(pl.UInt64)
    )
    keys = ["level", *BY, "measure"]
    j = a.join(b, on=keys, how="inner", nulls_equal=True, suffix="_pd")
    both = j.filter(~pl.col("suppressed") & ~pl.col("suppressed_pd"))
    diff = {
        f"max_abs_diff_{c}": both.select((pl.col(c) - pl.col(f"{c}_pd")).abs().max()).item()
        for c in ["mean", "sd", "se", "ci_low", "pct_positive"]
    }
    return {
        "cells_matched": j.height,
        "cells_lyhord": a.height,
        "same_n": both.select((pl.col("n") == pl.col("n_pd")).all()).item(),
        "suppressed_lyhord": int(a["suppressed"].sum()),
        "suppressed_pandas": int(b["suppressed"].sum()),
        **diff,
    }


def worker_reliability(tool: str, paths: dict, quick: bool) -> dict:
    import case_reliability as rel

    rows = QUICK_ROWS if quick else FULL_ROWS
    df = rel.load(None, rows)
    repeat = 3
    if tool == "lyhord":
        import lyhord as ly

        inst = rel.instrument()
        seconds, r = best_of(lambda: ly.reliability(df, inst), repeat)
        return {"seconds": seconds, "alpha": r["alpha"][0], "rows": df.height}
    import pingouin as pg

    pdf = df.to_pandas()  # pingouin's input format; conversion not timed
    seconds, (alpha, _) = best_of(lambda: pg.cronbach_alpha(pdf), 1 if not quick else repeat)
    return {"seconds": seconds, "alpha": float(alpha), "rows": len(pdf)}


def worker(case: str, tool: str, quick: bool, ext: str | None) -> dict:
    use_extension(ext)
    sys.path.insert(0, str(HERE))
    paths = {k: Path(v) for k, v in json.loads(os.environ["LYHORD_BENCH_PATHS"]).items()}
    repeat = 3 if tool == "lyhord" else 2
    if case == "score_estimate":
        fn = worker_score_estimate_lyhord if tool == "lyhord" else worker_score_estimate_pandas
        out = fn(paths, repeat)
    elif case == "reliability":
        out = worker_reliability(tool, paths, quick)
    else:
        out = importlib.import_module(f"case_{case}").work(tool, quick)
    # A tool run as a child process (R) reports the child's peak.
    out["peak_rss_mb"] = max(peak_rss_mb(), out.pop("child_peak_rss_mb", 0.0))
    return out


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec, unlike
    ``ru_maxrss``, which Linux carries over from the parent that forked the worker."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- driver

CASES = {
    "score_estimate": {
        "what": "score + grouped estimates (FPC, suppression), respondents × 45 items",
        "tools": ["lyhord", "pandas"],
        "targets": "lyhord ≥ 5× faster than pandas and < 1 s at 1,000,000 rows",
    },
    "reliability": {
        "what": "Cronbach's α (lyhord: with Feldt CI, item statistics), respondents × 45 items",
        "tools": ["lyhord", "pingouin"],
        "targets": "lyhord ≥ 10× faster than pingouin.cronbach_alpha",
    },
}


def discover_cases() -> None:
    """Adds every ``bench/case_<name>.py`` that defines ``WHAT``, ``TOOLS`` (lyhord first),
    ``TARGET`` and ``work(tool, quick) -> dict`` (with ``seconds``) to ``CASES``. A case
    whose inputs are files defines ``prepare(quick)`` to write them: it runs in this process
    before any worker, so no worker's time or peak memory includes making its input (the
    first run on a fresh checkout gives the figures later runs give)."""
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("case_*.py")):
        name = path.stem.removeprefix("case_")
        if name in CASES:
            continue
        module = importlib.import_module(path.stem)
        if all(hasattr(module, a) for a in ("WHAT", "TOOLS", "TARGET", "work")):
            CASES[name] = {"what": module.WHAT, "tools": module.TOOLS, "targets": module.TARGET}


def case_module(case: str):
    """The module ``bench/case_<case>.py``; ``None`` for the cases defined in this file."""
    if not (HERE / f"case_{case}.py").exists():
        return None
    return importlib.import_module(f"case_{case}")


def run_worker(case: str, tool: str, args, paths: dict) -> dict:
    cmd = [sys.executable, __file__, "--worker", case, tool]
    cmd += ["--quick"] if args.quick else []
    cmd += ["--ext", args.ext] if args.ext else []
    env = dict(os.environ, LYHORD_BENCH_PATHS=json.dumps({k: str(v) for k, v in paths.items()}))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict:
    import lyhord as ly
    import polars as pl

    versions = {
        "python": platform.python_version(),
        "lyhord": ly.__version__,
        "polars": pl.__version__,
    }
    for name in ["pandas", "numpy", "scipy", "pingouin"]:
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), **versions}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of 1M")
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    ap.add_argument("--ext", help="path of a release build of lyhord._lyhord")
    ap.add_argument("--worker", nargs=2, metavar=("CASE", "TOOL"), help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results to this file")
    discover_cases()
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.quick, args.ext)))
        return
    use_extension(args.ext)
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    paths = prepare(rows)
    report = {"machine": machine(), "rows": rows, "ext": args.ext or "dev build", "cases": {}}
    for case in args.case or list(CASES):
        if case not in CASES:
            sys.exit(f"unknown --case {case!r}; known: {', '.join(sorted(CASES))}")
        spec = CASES[case]
        prepare_inputs = getattr(case_module(case), "prepare", None)
        if prepare_inputs is not None:
            prepare_inputs(args.quick)
        results = {tool: run_worker(case, tool, args, paths) for tool in spec["tools"]}
        base = results[spec["tools"][0]]
        others = [results[t] for t in spec["tools"][1:] if "seconds" in results[t]]
        entry = {"what": spec["what"], "targets": spec["targets"], **results}
        if "seconds" in base and others:
            # Against the fastest of the other tools.
            other = min(others, key=lambda r: r["seconds"])
            entry["speedup"] = other["seconds"] / base["seconds"]
            entry["memory_ratio"] = other["peak_rss_mb"] / base["peak_rss_mb"]
        if case == "score_estimate" and "speedup" in entry:
            entry["agreement"] = compare_tables()
        agree = getattr(case_module(case), "agreement", None)
        if agree is not None and "speedup" in entry:
            entry["agreement"] = agree(results)
        report["cases"][case] = entry
        print(f"\n== {case}: {spec['what']}")
        for tool in spec["tools"]:
            print(f"  {tool:9s} {json.dumps(results[tool])}")
        for k in ("speedup", "memory_ratio", "agreement"):
            if k in entry:
                print(f"  {k}: {entry[k] if isinstance(entry[k], dict) else round(entry[k], 2)}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
