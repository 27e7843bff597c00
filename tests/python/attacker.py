"""An attacker of our own: everything a publication returned, as an integer programme.

Independent of lyhord's auditor (scipy's HiGHS MILP over every atom, from the published
tables alone): the attacker knows the organisation (which keys exist, from the row layout),
that counts are whole numbers ≥ 0, that a row means at least one respondent, and every
published ``n_respondents``, ``n`` and ``mean`` (so every sum). For each blanked row it
computes the smallest and largest respondent count, answer count and sum of scores that
fit all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass
class Knowledge:
    """Linear facts about atom counts: rows of (atoms, kind, value)."""

    atoms: list[tuple]
    index: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)  # quantity -> list of (atom ids, "eq"/"ge", value)

    def add(self, quantity: str, atom_ids: list[int], relation: str, value: float) -> None:
        self.facts.setdefault(quantity, []).append((atom_ids, relation, value))


def atoms_of(data: pl.DataFrame, columns: list[str]) -> list[tuple]:
    return sorted(set(data.select(columns).iter_rows()), key=str)


def matching(atoms: list[tuple], columns: list[str], keys: dict) -> list[int]:
    """Atoms inside a published group: every key that is not null must match."""
    pos = {c: i for i, c in enumerate(columns)}
    return [
        a
        for a, atom in enumerate(atoms)
        if all(v is None or atom[pos[c]] == v for c, v in keys.items() if c in pos)
    ]


def learn(
    knowledge: Knowledge,
    columns: list[str],
    table: pl.DataFrame,
    by: list[str],
    measures: list[str],
    *,
    measure_column: str = "measure",
) -> None:
    """Adds what one published table says: counts, answers and sums of visible rows."""
    for row in table.iter_rows(named=True):
        keys = {c: row[c] for c in by}
        ids = matching(knowledge.atoms, columns, keys)
        if row.get("n_respondents") is not None:
            knowledge.add("respondents", ids, "eq", row["n_respondents"])
        elif row["suppressed"]:
            knowledge.add("respondents", ids, "ge", 1)
        measure = row.get(measure_column)
        if measure in measures and row.get("n") is not None:
            knowledge.add(f"n:{measure}", ids, "eq", row["n"])
            if row.get("mean") is not None:
                knowledge.add(f"sum:{measure}", ids, "eq", row["mean"] * row["n"])


def interval(knowledge: Knowledge, quantity: str, target: list[int]) -> tuple[float, float]:
    """min and max of Σ target over everything known (sums: 0 ≤ sum ≤ 100·n per atom)."""
    k = len(knowledge.atoms)
    is_sum = quantity.startswith("sum:")
    count_q = quantity.replace("sum:", "n:") if is_sum else quantity
    # variables: counts (k), then sums (k) when sums are asked for
    nvar = 2 * k if is_sum else k
    rows, lo, hi = [], [], []

    def add_fact(q, offset):
        for ids, relation, value in knowledge.facts.get(q, []):
            row = np.zeros(nvar)
            row[[offset + i for i in ids]] = 1
            rows.append(row)
            slack = 1e-7 * max(1.0, abs(value)) if q.startswith("sum:") else 0.0
            lo.append(value - slack)
            hi.append(value + slack if relation == "eq" else np.inf)

    add_fact(count_q, 0)
    if is_sum:
        add_fact(quantity, k)
        for i in range(k):  # 0 ≤ s_i ≤ 100 n_i
            row = np.zeros(nvar)
            row[k + i] = 1
            row[i] = -100
            rows.append(row)
            lo.append(-np.inf)
            hi.append(0)
    constraints = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    integrality = np.r_[np.ones(k), np.zeros(nvar - k)]
    bounds = Bounds(np.zeros(nvar), np.full(nvar, 1e6))
    c = np.zeros(nvar)
    c[[(k if is_sum else 0) + i for i in target]] = 1
    out = []
    for sign in (1, -1):
        res = milp(sign * c, constraints=constraints, integrality=integrality, bounds=bounds)
        if res.status == 4:
            # HiGHS' presolve occasionally fails on these near-degenerate systems (one
            # equality per published sum, each with a 1e-7 slack); without it the same
            # programme solves. The attacker must not give up where a real one would not.
            res = milp(
                sign * c,
                constraints=constraints,
                integrality=integrality,
                bounds=bounds,
                options={"presolve": False},
            )
        assert res.status == 0, res.message
        out.append(sign * res.fun)
    low, high = out
    if high > 1e5:
        high = np.inf
    return low, high


MEASURES = ["hme", "hme1"]


def assert_protected(data, columns, tables, min_group):
    """tables: (frame, by, measure column) published together; checks every blank row."""
    knowledge = Knowledge(atoms_of(data, columns))
    for frame, by, measure_column in tables:
        learn(knowledge, columns, frame, by, MEASURES, measure_column=measure_column)
    checked = 0
    for frame, by, measure_column in tables:
        blanks = frame.filter(pl.col("suppressed"), pl.col(measure_column).is_in(MEASURES))
        for row in blanks.iter_rows(named=True):
            keys = {c: row[c] for c in by}
            members = (
                data.filter(*[pl.col(c) == v for c, v in keys.items() if v is not None])
                if any(v is not None for v in keys.values())
                else data
            )
            ids = [
                i
                for i, atom in enumerate(knowledge.atoms)
                if all(v is None or atom[columns.index(c)] == v for c, v in keys.items())
            ]
            measure = row[measure_column]
            true_n = members[measure].is_not_null().sum() if measure in members.columns else None
            small = members.height < min_group
            if small:
                low, high = interval(knowledge, "respondents", ids)
                assert high - low >= min_group, (keys, "respondents", low, high, members.height)
            if measure in members.columns and small:
                low, high = interval(knowledge, f"n:{measure}", ids)
                assert high - low >= min_group, (keys, measure, "answers", low, high, true_n)
            if measure in members.columns and true_n:
                low, high = interval(knowledge, f"sum:{measure}", ids)
                assert high - low > 1e-6, (keys, measure, "sum", low, high)
            checked += 1
    return checked
