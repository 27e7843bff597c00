"""Figures speak the output language, name units, and never draw a blanked value."""

import lyhord as ly
import matplotlib
import numpy as np
import polars as pl
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BY = ["forvaltning", "enhet"]


@pytest.fixture(scope="module")
def tables():
    latest = ly.estimate(ly.example_data("staff", year=2025), "hme", by=BY)
    earlier = ly.estimate(ly.example_data("staff", year=2024), "hme", by=BY)
    return latest, earlier


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_heatmap_groups_units_and_colours_the_difference_from_the_whole(tables):
    latest, _ = tables
    ax = ly.plot.heatmap(latest, level=2, label="enhet", instrument="hme")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Motivation", "Ledarskap", "Styrning"]
    assert "jämfört med hela kommunen" in ax.get_title()
    units = [t.get_text() for t in ax.get_yticklabels()]
    # sorted by förvaltning, then enhet: each förvaltning's units together
    order = latest.filter(level=2, measure="hme").sort(BY)["enhet"].to_list()
    assert units == order
    # the colour is the difference from the kommun's value: a unit at the kommun's mean
    # is white (0), and blanked cells are masked and marked "–", never a number
    image = ax.get_images()[0]
    data = image.get_array()
    blanked = latest.filter(level=2, measure="ledarskap").sort(BY)["suppressed"].to_numpy()
    assert np.array_equal(np.ma.getmaskarray(data)[:, 1], blanked)
    total = latest.filter(level=0, measure="ledarskap")["mean"].item()
    shown = latest.filter(level=2, measure="ledarskap").sort(BY)["mean"].to_numpy()
    finite = ~blanked
    assert np.allclose(data[finite, 1], shown[finite].astype(float) - total)
    assert texts(ax).count("–") == latest.filter(level=2, kind="dimension", suppressed=True).height
    en = ly.plot.heatmap(latest, level=2, label="enhet", instrument="hme", lang="en")
    assert en.get_xticklabels()[1].get_text() == "Leadership"
    plt.close("all")


def test_change_names_units_colours_direction_or_says_nothing_is_comparable(tables):
    latest, earlier = tables
    change = ly.compare_waves(earlier, latest)
    ax = ly.plot.change(change, label="enhet", instrument="hme")
    units = change.filter(level=2, measure="hme").drop_nulls("change")
    assert len(ax.get_yticklabels()) == units.height
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ingen säker förändring" in legend
    assert ("säker minskning" in legend) == bool(
        units.filter(pl.col("significant") & (pl.col("change") < 0)).height
    )
    with pytest.raises(ly.DataError, match="give measure="):
        ly.plot.change(change, label="enhet")  # no instrument: which measure is not guessed
    by_id = ly.plot.change(change, label="enhet", measure="hme")
    assert by_id.get_title().startswith("Förändring i hme sedan förra året")
    empty = ly.plot.change(change.filter(level=99), label="enhet", instrument="hme", lang="en")
    assert texts(empty) == [
        "No unit can be compared with last year\n(too few answers or new units)."
    ]
    plt.close("all")


def test_distribution_bars_per_statement_in_the_output_language(tables):
    latest, _ = tables
    ax = ly.plot.distribution(latest, "hme")
    assert ax.get_title() == "Svarsfördelning per påstående – Hela kommunen"
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels[0] == "Mitt arbete känns meningsfullt" and len(labels) == 9
    total = latest.filter(level=0, kind="item").sort("measure")
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    for column in ("pct_negative", "pct_neutral", "pct_positive"):
        for v in total[column]:
            assert round(v, 6) in widths
    # a blanked unit's statements: no bars, a "–" each
    unit = latest.filter(level=2, suppressed=True).row(0, named=True)
    where = {"forvaltning": unit["forvaltning"], "enhet": unit["enhet"]}
    blank = ly.plot.distribution(latest, "hme", where=where, lang="en")
    assert all(p.get_width() == 0 for p in blank.patches) and texts(blank).count("–") == 9
    assert blank.get_xlabel() == "Share of answers (%)"
    plt.close("all")
