"""Bench case: what the publication layer costs where it has work to do.

The 1,000,000-respondent case has no small groups (its units hold thousands), so its
suppression and audit are nearly free. Here Exempelkommun 2025 as it is (4,698 staff in
120 units, 24 of them under 5) is published three ways, each timed against plain
``ly.score`` + ``ly.estimate`` on the same answers:

- ``one_table``: ``ly.estimate`` by förvaltning and enhet (suppression, no audit);
- ``with_audit``: the same through ``ly.Publication`` and ``pub.audit()``;
- ``crossed``: a publication of the unit table and a table by kön, then the audit (a
  crossed margin: the auditor's hardest shape).

No other tool is timed: τ-ARGUS and sdcTable (R) are not installed here, and neither
audits a publication of several tables of survey means.
"""

from __future__ import annotations

from timing import best_of

WHAT = "publication layer on Exempelkommun 2025 (4,698 staff, 120 units, small units)"
TOOLS = ["lyhord"]
TARGET = "suppression + audit within 1.5× of score + estimate on the 1,000,000-row case"
BY = ["forvaltning", "enhet"]


def work(tool: str, quick: bool) -> dict:
    import lyhord as ly

    staff = ly.example_data("staff", year=2025)
    inst = ly.Instrument.builtin("epl-staff")
    repeat = 3

    def plain():
        return ly.estimate(ly.score(staff, inst), inst, by=BY, min_group=5)

    def with_audit():
        pub = ly.Publication(ly.score(staff, inst), inst, min_group=5)
        pub.estimate(by=BY)
        return pub.audit()

    def crossed():
        pub = ly.Publication(ly.score(staff, inst), inst, min_group=5)
        pub.estimate(by=BY)
        pub.estimate(by="kon")
        return pub.audit()

    seconds, table = best_of(plain, repeat)
    audited, audit = best_of(with_audit, repeat)
    crossed_seconds, crossed_audit = best_of(crossed, 1)
    units = table.filter(level=2, measure="epl")
    return {
        "seconds": seconds,
        "seconds_with_audit": audited,
        "seconds_crossed_with_audit": crossed_seconds,
        "units": units.height,
        "units_blanked": int(units["suppressed"].sum()),
        "cells_blanked_share": float(table["suppressed"].mean()),
        "audit_rows": audit.height,
        "audit_passed": bool(audit["passed"].all() and crossed_audit["passed"].all()),
    }
