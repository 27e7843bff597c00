"""Every bad argument raises a lyhord error that is also the builtin class code expects.

One representative bad argument per public function: ``except ly.LyhordError`` catches it,
and so does ``except ValueError`` (a bad value) or ``except TypeError`` (a wrong type).
Options with a fixed set of values are parsed by the core; their ``Literal`` types in
``lyhord._types`` must list the same values.
"""

import sys
from typing import get_args

import lyhord as ly
import polars as pl
import pytest
from lyhord import _lyhord, _types

STAFF = ly.example_data("staff", year=2025)
SEGMENTS = ly.example_data("interviews")
TABLE = ly.estimate(STAFF, "hme", by="forvaltning")
WAVES = {y: ly.estimate(ly.example_data("staff", year=y), "hme") for y in (2024, 2025)}
RATINGS = pl.DataFrame({"unit": [1, 1, 2, 2], "coder": ["a", "b"] * 2, "value": [1, 1, 2, 1]})
CITIZENS = ly.example_data("citizens")
POPULATION = ly.example_data("citizen_population")
MARGINS = {"district": POPULATION.group_by("district").agg(pl.col("population").sum())}
GOALS = pl.DataFrame(
    {"level": [0], "measure": ["hme"], "target": [60.0], "year": [2027], "direction": ["up"]}
)


def _calls(tmp):
    """(name, call, builtin class) for a bad argument of each public function."""
    return [
        ("score", lambda: ly.score("answers.csv", "hme"), TypeError),
        ("estimate", lambda: ly.estimate(STAFF, "hme", min_group=0), ValueError),
        ("summarise", lambda: ly.summarise(STAFF.lazy(), "hme", batch_rows=0), ValueError),
        ("merge_sums", lambda: ly.merge_sums(), ValueError),
        ("estimate_from_sums", lambda: ly.estimate_from_sums("sums", "hme"), TypeError),
        ("reliability", lambda: ly.reliability(STAFF, "hme", missing="both"), ValueError),
        ("reliability ci", lambda: ly.reliability(STAFF, "hme", ci="exact"), ValueError),
        ("item_analysis", lambda: ly.item_analysis(STAFF, "hme", min_group=0), ValueError),
        ("drivers", lambda: ly.drivers(STAFF, "hme", missing="all"), ValueError),
        ("priority_matrix", lambda: ly.priority_matrix(STAFF, "hme", top=0), ValueError),
        ("dimension_check", lambda: ly.dimension_check([1, 2], "hme"), TypeError),
        ("agreement", lambda: ly.agreement(RATINGS, level="nominalish"), ValueError),
        ("agreement weights", lambda: ly.agreement(RATINGS, weights="cubic"), ValueError),
        ("code_presence", lambda: ly.code_presence("segments"), TypeError),
        ("compare_waves", lambda: ly.compare_waves(*WAVES.values(), adjust="x"), ValueError),
        ("trend", lambda: ly.trend({}), ValueError),
        ("targets", lambda: ly.targets(ly.trend(WAVES), GOALS), ValueError),
        ("combine", lambda: ly.combine(), ValueError),
        ("rake", lambda: ly.rake(CITIZENS, MARGINS, tolerance="tight"), TypeError),
        (
            "design_estimate",
            lambda: ly.design_estimate(CITIZENS, ly.Design(), "trust", statistic="median"),
            ValueError,
        ),
        (
            "Design",
            lambda: ly.design_estimate(CITIZENS, ly.Design(lonely_psu="drop"), "trust"),
            ValueError,
        ),
        ("read_export", lambda: ly.read_export(42, "hme"), TypeError),
        (
            "read_export header",
            lambda: ly.read_export(tmp / "x.csv", "hme", header="two"),
            ValueError,
        ),
        (
            "write_sav",
            lambda: ly.write_sav(STAFF, tmp / "x.sav", variable_labels={"nope": "x"}),
            ValueError,
        ),
        ("score_interviews", lambda: ly.score_interviews(SEGMENTS, level="team"), ValueError),
        ("code_counts", lambda: ly.code_counts(SEGMENTS, min_interviews=0), ValueError),
        ("read_segments", lambda: ly.read_segments(tmp / "x.csv", frame=None), ValueError),
        ("write_qdpx", lambda: ly.write_qdpx("segments", tmp / "x.qdpx"), TypeError),
        ("example_data", lambda: ly.example_data("pets"), ValueError),
        ("wide", lambda: ly.wide("table", "hme"), TypeError),
        ("write_csv", lambda: ly.write_csv(TABLE, tmp / "x.csv", dialect="excel"), ValueError),
        ("write_report", lambda: ly.write_report(TABLE, "hme", tmp / "x.csv"), ValueError),
        ("Publication", lambda: ly.Publication(STAFF, "hme", min_group=0), ValueError),
        ("Instrument.builtin", lambda: ly.Instrument.builtin("nope"), ValueError),
        ("Instrument.labels", lambda: ly.Instrument.builtin("hme").labels(lang="de"), ValueError),
        ("CodingFrame.builtin", lambda: ly.CodingFrame.builtin("nope"), ValueError),
    ]


def test_every_bad_argument_is_a_lyhord_error_and_the_builtin_class(tmp_path):
    (tmp_path / "x.csv").write_text("hme1\n1\n")
    for name, call, builtin in _calls(tmp_path):
        with pytest.raises(ly.LyhordError) as caught:
            call()
        assert isinstance(caught.value, builtin), f"{name}: {caught.value!r}"


def test_a_bad_choice_names_the_keyword_and_the_values():
    with pytest.raises(ly.ArgumentError) as caught:
        ly.reliability(STAFF, "hme", missing="both")
    assert str(caught.value) == ('parameter `missing` must be "pairwise" or "listwise", not "both"')


def test_a_wrong_type_names_the_keyword():
    with pytest.raises(ly.ArgumentTypeError, match="parameter `tolerance`"):
        ly.rake(CITIZENS, MARGINS, tolerance="tight")


def test_literal_types_list_the_values_the_core_parses():
    for name, keyword, values in _lyhord._choices():
        assert get_args(getattr(_types, name)) == tuple(values), keyword
    assert len(_lyhord._choices()) == len(_types.__all__)


@pytest.mark.parametrize(
    ("module", "extra", "purpose"),
    [("xlsxwriter", "excel", "writing .xlsx"), ("matplotlib.pyplot", "plot", "lyhord.plot")],
)
def test_a_missing_optional_dependency_names_its_extra(monkeypatch, module, extra, purpose):
    from lyhord._args import require

    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled package looks like
    with pytest.raises(ly.MissingDependencyError) as caught:
        require(module, extra, purpose)
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, ly.LyhordError)
    top = module.split(".")[0]
    expected = f"{purpose} needs the `{top}` package: pip install 'lyhord[{extra}]'"
    assert str(caught.value) == expected


def test_a_figure_without_matplotlib_names_the_plot_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    table = ly.estimate(ly.example_data("staff", year=2025), "hme", by="forvaltning")
    with pytest.raises(ly.MissingDependencyError, match=r"lyhord\[plot\]"):
        ly.plot.heatmap(table, level=1, label="forvaltning", instrument="hme")
