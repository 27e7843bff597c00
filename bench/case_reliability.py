"""Bench case: ``ly.reliability`` against ``pingouin.cronbach_alpha`` on 1,000,000 × 45.

``run(data_path, quick)`` returns a dict of timings and the two alphas. ``data_path`` may name
a Parquet/CSV file with integer item columns ``q1`` … ``q45`` (1–5, null = no answer); when it
is ``None`` or missing, the same shape is generated here (seeded). ``quick`` uses 50,000 rows.
Target: lyhord at least 10× faster than pingouin, same α to 1e-10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from timing import best_of

ROWS = 1_000_000
ITEMS = 45


def instrument(k: int = ITEMS):
    import lyhord as ly

    text = """
id = "bench45"
name = { sv = "bench" }
[scale]
min = 1
max = 5
positive = [4, 5]
[index]
id = "total"
label = { sv = "total" }
rule = "mean_of_items"
min_answered = 1
"""
    for j in range(1, k + 1):
        text += f'[[items]]\nid = "q{j}"\ntext = {{ sv = "q{j}" }}\n'
    return ly.Instrument.from_toml_str(text)


def make_data(rows: int, k: int = ITEMS, seed: int = 20250101) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    level = rng.normal(3.3, 0.8, rows)
    cols = {}
    for j in range(1, k + 1):
        x = np.clip(np.rint(level + rng.normal(0, 0.8, rows)), 1, 5).astype(np.int64)
        missing = rng.random(rows) < 0.02
        cols[f"q{j}"] = pl.Series(x).scatter(np.flatnonzero(missing), None)
    return pl.DataFrame(cols)


def load(data_path: str | Path | None, rows: int) -> pl.DataFrame:
    if data_path is not None and Path(data_path).exists():
        p = Path(data_path)
        df = pl.read_parquet(p) if p.suffix == ".parquet" else pl.read_csv(p)
        items = [f"q{j}" for j in range(1, ITEMS + 1)]
        if all(c in df.columns for c in items):
            return df.select(items).head(rows)
    return make_data(rows)


def run(data_path: str | Path | None = None, quick: bool = False) -> dict:
    import lyhord as ly

    rows = 50_000 if quick else ROWS
    df = load(data_path, rows)
    inst = instrument()
    t_ly, r = best_of(lambda: ly.reliability(df, inst), 3)
    alpha_ly = r["alpha"][0]
    result = {
        "case": "reliability",
        "rows": df.height,
        "items": ITEMS,
        "lyhord_s": t_ly,
        "lyhord_alpha": alpha_ly,
    }
    try:
        import pingouin as pg
    except ImportError:
        result["pingouin"] = "not installed (pip install pingouin)"
        return result
    pdf = df.to_pandas()  # conversion not timed: pingouin's own input format
    t_pg, (alpha_pg, _) = best_of(lambda: pg.cronbach_alpha(pdf), 1 if not quick else 3)
    result.update(
        pingouin_s=t_pg,
        pingouin_alpha=float(alpha_pg),
        speedup=t_pg / t_ly,
        same_alpha=abs(float(alpha_pg) - alpha_ly) < 1e-10,
    )
    return result


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    print(json.dumps(run(a.data, a.quick), indent=2))
