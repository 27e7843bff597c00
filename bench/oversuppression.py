"""Share of cells blanked on Exempelkommun: the old family rule against the engine.

The old rule (lyhord before issue 15, `estimate/suppression.rs`) is re-implemented here on
the same counts: per measure, primary under ``min_group``, then per family (a node and its
children) a second blank when one child is blanked or the blanked ones hold fewer than
``min_group``, the smallest visible sibling first. Run with the extension built:

    .venv/bin/python bench/oversuppression.py
"""

from __future__ import annotations

import lyhord as ly
import polars as pl

BY = ["forvaltning", "enhet"]
MIN_GROUP = 5


def old_rule(children: list[list[int]], n: list[int], respondents: list[int]) -> list[bool]:
    blank = [n[i] == 0 or n[i] < MIN_GROUP or respondents[i] < MIN_GROUP for i in range(len(n))]
    changed = True
    while changed:
        changed = False
        for node, kids in enumerate(children):
            if not kids:
                continue
            blanked = [c for c in kids if blank[c]]
            visible = [c for c in kids if not blank[c]]
            smallest = min(visible, key=lambda c: (n[c], c)) if visible else None
            if blank[node]:
                if not blanked and smallest is not None:
                    blank[smallest] = changed = True
                continue
            if len(blanked) == 1 or (blanked and sum(n[c] for c in blanked) < MIN_GROUP):
                blank[smallest if smallest is not None else node] = changed = True
    return blank


def shares(year: int, name: str) -> tuple[float, float]:
    staff = ly.example_data("staff", year=year)
    inst = ly.Instrument.builtin(name)
    table = ly.estimate(staff, inst, by=BY, min_group=MIN_GROUP)
    scored = ly.score(staff, inst)
    nodes = table.filter(measure=inst.index_id).select("level", *BY).rows()
    index = {node: i for i, node in enumerate(nodes)}
    children: list[list[int]] = [[] for _ in nodes]
    for i, (level, forv, _) in enumerate(nodes):
        if level:
            children[index[(0, None, None) if level == 1 else (1, forv, None)]].append(i)

    def members(level, forv, enhet):
        d = scored
        if level >= 1:
            d = d.filter(pl.col("forvaltning") == forv)
        if level >= 2:
            d = d.filter(pl.col("enhet") == enhet)
        return d

    groups = [members(*node) for node in nodes]
    respondents = [g.height for g in groups]
    blanked = cells = 0
    for measure, kind in inst.measures:
        if kind == "item":  # valid answers: on the scale, not "vet ej"
            n = [int(g[measure].is_between(1, 5).sum()) for g in groups]
        else:
            n = [int(g[measure].is_not_null().sum()) for g in groups]
        blanked += sum(old_rule(children, n, respondents))
        cells += len(nodes)
    return blanked / cells, float(table["suppressed"].mean())


if __name__ == "__main__":
    for year in (2024, 2025):
        for name in ("epl-staff", "hme"):
            old, new = shares(year, name)
            print(f"{year} {name:10s} cells blanked: old rule {old:.1%}, engine {new:.1%}")
