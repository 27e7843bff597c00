"""The same scoring and estimation rules as lyhord, written the way a careful analyst would
write them in pandas/numpy: one float matrix, vectorised recoding, group sums, then the
statistics and the suppression rules on the small table of groups.

Rules (lyhord's, see ``ly.score`` and ``ly.estimate``):

- item codes 1–5 are valid, "don't know" codes are missing, anything else is an error;
  reverse-keyed items become ``min + max − x``; scores are ``(x − min) / (max − min) · 100``
- a dimension is the mean of its answered items when at least ``min_answered`` are answered;
  the index is the mean of the dimensions and needs all of them
- per group and measure: n, mean, SD, SE with finite-population correction ``√(1 − n/N)``,
  t-based CI; percent positive / neutral / negative of the valid answers (for a dimension
  or the index pooled over the answers to its items)
- primary suppression below ``min_group`` answers or respondents, then secondary suppression
  per family until nothing changes (a visible parent with exactly one blanked child, or
  blanked children holding fewer than ``min_group``, loses its smallest visible child; a
  blanked parent keeps at least one blanked child)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomllib
from scipy import stats


@dataclass
class Spec:
    items: list[str]
    reverse: list[bool]
    lo: float
    hi: float
    dont_know: list[int]
    positive: list[int]
    neutral: list[int]
    dimensions: list[tuple[str, list[int], int]]  # id, item positions, min answered
    index_id: str


def load_spec(path: str | Path) -> Spec:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    items = [i["id"] for i in raw["items"]]
    pos = {item: j for j, item in enumerate(items)}
    scale = raw["scale"]
    dims = [
        (d["id"], [pos[i] for i in d["items"]], d.get("min_answered", 1)) for d in raw["dimensions"]
    ]
    return Spec(
        items=items,
        reverse=[bool(i.get("reverse", False)) for i in raw["items"]],
        lo=scale["min"],
        hi=scale["max"],
        dont_know=scale.get("dont_know", []),
        positive=scale["positive"],
        neutral=scale.get("neutral", []),
        dimensions=dims,
        index_id=raw["index"]["id"],
    )


def oriented_codes(df: pd.DataFrame, spec: Spec) -> np.ndarray:
    """Item codes as floats, reverse-keyed items flipped, "don't know" and blanks as NaN."""
    x = df[spec.items].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    x[np.isin(x, spec.dont_know)] = np.nan
    bad = ~np.isnan(x) & ((x < spec.lo) | (x > spec.hi) | (x != np.round(x)))
    if bad.any():
        row, j = np.argwhere(bad)[0]
        raise ValueError(f"column {spec.items[j]!r}, row {row}: {x[row, j]} is outside the scale")
    rev = np.array(spec.reverse)
    x[:, rev] = spec.lo + spec.hi - x[:, rev]
    return x


def score(df: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, np.ndarray]:
    """Respondent scores appended to a copy of ``df``; also returns the oriented codes."""
    codes = oriented_codes(df, spec)
    item_scores = (codes - spec.lo) / (spec.hi - spec.lo) * 100.0
    answered = ~np.isnan(item_scores)
    out = {}
    with np.errstate(invalid="ignore"):
        for dim, cols, min_answered in spec.dimensions:
            n = answered[:, cols].sum(axis=1)
            total = np.nansum(item_scores[:, cols], axis=1)
            out[dim] = np.where(n >= min_answered, total / np.maximum(n, 1), np.nan)
    dims = np.column_stack(list(out.values()))
    out[spec.index_id] = np.where(np.isnan(dims).any(axis=1), np.nan, dims.mean(axis=1))
    return df.assign(**out), codes


def _measure_matrix(scored: pd.DataFrame, codes: np.ndarray, spec: Spec):
    """Per-row contributions whose group sums give every statistic: n, Σy, Σy² per measure,
    then valid / positive / neutral answer counts per measure (pooled for dimensions)."""
    item_scores = (codes - spec.lo) / (spec.hi - spec.lo) * 100.0
    measures = [spec.index_id] + [d[0] for d in spec.dimensions] + spec.items
    values = np.column_stack(
        [scored[spec.index_id].to_numpy()]
        + [scored[d[0]].to_numpy() for d in spec.dimensions]
        + [item_scores]
    )
    present = ~np.isnan(values)
    y = np.where(present, values, 0.0)
    valid = ~np.isnan(codes)
    pos = np.isin(codes, spec.positive)
    neu = np.isin(codes, spec.neutral)

    def pooled(mask: np.ndarray) -> np.ndarray:
        per_dim = [mask[:, cols].sum(axis=1) for _, cols, _ in spec.dimensions]
        dim_items = sorted({j for _, cols, _ in spec.dimensions for j in cols})
        total = mask[:, dim_items].sum(axis=1)
        return np.column_stack([total, *per_dim, mask])

    parts = [present, y, y * y, pooled(valid), pooled(pos), pooled(neu)]
    return measures, np.hstack([p.astype(np.float64) for p in parts])


def estimate(
    scored: pd.DataFrame,
    codes: np.ndarray,
    spec: Spec,
    by: list[str],
    headcounts: pd.DataFrame | None,
    min_group: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    measures, contrib = _measure_matrix(scored, codes, spec)
    m = len(measures)
    leaf = scored[by].copy()
    leaf["_respondents"] = 1.0
    cols = [f"c{i}" for i in range(contrib.shape[1])]
    frame = pd.concat([leaf, pd.DataFrame(contrib, columns=cols, index=scored.index)], axis=1)
    sums = frame.groupby(by, sort=True, observed=True)[["_respondents", *cols]].sum()
    if headcounts is not None:
        sums = sums.join(headcounts.set_index(by)["headcount"], how="left")
    levels = []
    for level in range(len(by) + 1):
        keys = by[:level]
        part = sums.groupby(keys, sort=True).sum() if keys else sums.sum().to_frame().T
        part = part.reset_index() if keys else part
        for k in by[level:]:
            part[k] = None
        part.insert(0, "level", level)
        levels.append(part)
    nodes = pd.concat(levels, ignore_index=True)
    block = lambda b: nodes[cols[b * m : (b + 1) * m]].to_numpy()  # noqa: E731
    n, sy, syy, valid, pos, neu = (block(b) for b in range(6))
    respondents = nodes["_respondents"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sy / n
        var = (syy - n * mean * mean) / (n - 1)
        sd = np.sqrt(np.maximum(var, 0.0))
        fpc = np.ones_like(n)
        if headcounts is not None:
            fpc = np.sqrt(np.clip(1.0 - n / nodes["headcount"].to_numpy()[:, None], 0.0, None))
        se = sd / np.sqrt(n) * fpc
        t = stats.t.ppf(0.5 + confidence / 2, n - 1)
        pct_pos, pct_neu = 100 * pos / valid, 100 * neu / valid
    status = suppress(nodes, by, n, respondents, min_group)
    out = pd.DataFrame(
        {
            "level": np.repeat(nodes["level"].to_numpy(), m),
            **{k: np.repeat(nodes[k].to_numpy(), m) for k in by},
            "measure": np.tile(measures, len(nodes)),
            "n": n.ravel(),
            "mean": mean.ravel(),
            "sd": sd.ravel(),
            "se": se.ravel(),
            "ci_low": (mean - t * se).ravel(),
            "ci_high": (mean + t * se).ravel(),
            "pct_positive": pct_pos.ravel(),
            "pct_neutral": pct_neu.ravel(),
            "pct_negative": (100 - pct_pos - pct_neu).ravel(),
            "suppressed": status.ravel(),
        }
    )
    shown = ["n", "mean", "sd", "se", "ci_low", "ci_high", "pct_positive", "pct_neutral"]
    out.loc[out["suppressed"], [*shown, "pct_negative"]] = np.nan
    return out


def suppress(
    nodes: pd.DataFrame, by: list[str], n: np.ndarray, respondents: np.ndarray, min_group: int
) -> np.ndarray:
    """Primary and secondary suppression, per measure column, on the node table."""
    key = [tuple(r) for r in nodes[by].itertuples(index=False)]
    levels = nodes["level"].to_numpy()
    index_of = {(lv, k): i for i, (lv, k) in enumerate(zip(levels, key, strict=True))}
    children: dict[int, list[int]] = {i: [] for i in range(len(nodes))}
    for i, (lv, k) in enumerate(zip(levels, key, strict=True)):
        if lv > 0:
            parent_key = tuple(k[: lv - 1]) + (None,) * (len(by) - lv + 1)
            children[index_of[(lv - 1, parent_key)]].append(i)
    blank = (n < min_group) | (respondents[:, None] < min_group)
    for j in range(n.shape[1]):
        col = blank[:, j]
        changed = True
        while changed:
            changed = False
            for parent, kids in children.items():
                if not kids:
                    continue
                hidden = [c for c in kids if col[c]]
                visible = sorted((c for c in kids if not col[c]), key=lambda c: n[c, j])
                if col[parent] and not hidden and visible:
                    col[visible[0]] = changed = True
                elif not col[parent] and hidden:
                    if len(hidden) == 1 or sum(n[c, j] for c in hidden) < min_group:
                        if visible:
                            col[visible[0]] = True
                        else:
                            col[parent] = True
                        changed = True
    return blank
