"""Figures for estimate tables (matplotlib, imported lazily)."""

from __future__ import annotations

import polars as pl

from ._args import require
from ._types import Lang

_FIG = {
    "sv": {
        "heatmap": "{measures} per {unit} (0–100), färg: jämfört med hela kommunen",
        "scale": "Skillnad mot hela kommunen (poäng)",
        "trend": "{measure} (0–100), 95 % konfidensintervall",
        "year": "År",
        "change": "Förändring i {measure} sedan förra året, 95 % konfidensintervall",
        "nothing": "Ingen enhet kan jämföras med förra året\n(för få svar eller nya enheter).",
        "up": "säker ökning",
        "down": "säker minskning",
        "same": "ingen säker förändring",
        "distribution": "Svarsfördelning per påstående – {group}",
        "share": "Andel av svaren (%)",
        "dimension": "delindex",
        "item": "påståenden",
        "index": "index",
    },
    "en": {
        "heatmap": "{measures} per {unit} (0–100), colour: compared with the whole organisation",
        "scale": "Difference from the whole organisation (points)",
        "trend": "{measure} (0–100), 95 % confidence interval",
        "year": "Year",
        "change": "Change in {measure} since last year, 95 % confidence interval",
        "nothing": "No unit can be compared with last year\n(too few answers or new units).",
        "up": "significant increase",
        "down": "significant decrease",
        "same": "no significant change",
        "distribution": "Answers per statement – {group}",
        "share": "Share of answers (%)",
        "dimension": "sub-indices",
        "item": "statements",
        "index": "index",
    },
}


def _pyplot():
    # matplotlib is the `plot` extra: imported when a figure is drawn, not with lyhord
    return require("matplotlib.pyplot", "plot", "lyhord.plot")


def save(figures: dict, folder) -> list:
    """Writes ``{file name: figure}`` into ``folder`` as PNG and closes them; returns the
    paths (one way for the demo and the yearly run)."""
    from pathlib import Path

    plt = _pyplot()

    paths = []
    for name, fig in figures.items():
        paths.append(Path(folder) / name)
        fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close("all")
    return paths


def _words(instrument, lang):
    """The output language's words, the figure texts and the measure names (ids when no
    instrument is given)."""
    from .report._format import Words, measure_labels

    words = Words.of(instrument, lang)
    labels = measure_labels(instrument, words) if instrument is not None else {}
    return words, _FIG[words.lang], labels


def heatmap(
    table: pl.DataFrame,
    *,
    level: int,
    label: str,
    kind: str = "dimension",
    instrument=None,
    lang: Lang | None = None,
    ax=None,
):
    """Units × measures heatmap of means from an :func:`lyhord.estimate` table, grouped by
    the level above (e.g. enheter under their förvaltning), coloured by the difference from
    the whole organisation's value (diverging scale), measures named in the output language.

    Blanked cells stay grey and are marked "–", so the figure never shows a value the table
    does not publish.

    Parameters
    ----------
    table : polars.DataFrame
        Output of :func:`lyhord.estimate`.
    level : int
        Which level of the hierarchy to show (e.g. 2 for enheter under
        ``by=[forvaltning, enhet]``).
    label : str
        The grouping column naming the rows (e.g. ``"enhet"``).
    kind : {"dimension", "index", "item"}
        Which measures to show as columns.
    instrument : Instrument or str, optional
        For the measure names; without it the ids are shown.
    lang : {"sv", "en"}, optional
        Default: the instrument's language (Swedish without an instrument).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import lyhord as ly
    >>> t = ly.estimate(ly.example_data("staff", year=2025), "hme", by=["forvaltning", "enhet"])
    >>> ax = ly.plot.heatmap(t, level=2, label="enhet", instrument="hme")
    >>> ax.get_xticklabels()[0].get_text()
    'Motivation'
    """
    plt = _pyplot()
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    words, text, labels = _words(instrument, lang)
    rows = table.filter((pl.col("level") == level) & (pl.col("kind") == kind))
    keys = table.columns[1 : table.columns.index(label) + 1]
    parent = keys[-2] if len(keys) > 1 else None
    wide = rows.pivot(on="measure", index=keys, values="mean", aggregate_function="first")
    wide = wide.sort([*keys], nulls_last=True)
    measures = [c for c in wide.columns if c not in keys]
    values = wide.select(measures).to_numpy().astype(float)
    total = table.filter(pl.col("level") == 0, pl.col("kind") == kind, ~pl.col("suppressed"))
    centre = dict(zip(total["measure"], total["mean"], strict=True))
    # colour = difference from the whole organisation's value of the same measure
    reference = np.array([centre.get(m, np.nan) for m in measures])
    diff = values - reference
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * len(measures) + 6, 0.24 * len(wide) + 2.5))
    cmap = plt.get_cmap("RdBu").copy()
    cmap.set_bad("#dddddd")
    finite = np.abs(diff[np.isfinite(diff)])
    spread = max(5.0, float(finite.max()) if finite.size else 5.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-spread, vmax=spread)
    image = ax.imshow(np.ma.masked_invalid(diff), cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(
        range(len(measures)), [labels.get(m, m) for m in measures], rotation=30, ha="right"
    )
    names = [words.missing(label) if v is None else str(v) for v in wide[label]]
    ax.set_yticks(range(len(wide)), names, fontsize=7)
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", labelrotation=30)
    for (i, j), v in np.ndenumerate(values):
        dark = np.isfinite(diff[i, j]) and abs(diff[i, j]) > 0.6 * spread
        shown = "–" if np.isnan(v) else words.number(v, 0)
        ax.text(
            j, i, shown, ha="center", va="center", fontsize=6, color="white" if dark else "black"
        )
    if parent is not None:  # a line and a name per group of the level above
        groups = wide[parent].to_list()
        starts = [i for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]]
        for i in starts[1:]:
            ax.axhline(i - 0.5, color="black", lw=0.8)
        for n, i in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(groups)
            ax.text(
                len(measures) - 0.4,
                (i + end - 1) / 2,
                str(groups[i]),
                fontsize=7,
                va="center",
                ha="left",
            )
    what = text[kind] if kind in text else kind
    title = text["heatmap"].format(measures=what.capitalize(), unit=label.lower())
    ax.set_title(title, fontsize=9, pad=40)
    ax.figure.colorbar(
        image,
        ax=ax,
        label=text["scale"],
        orientation="horizontal",
        fraction=0.03,
        pad=0.02,
        shrink=0.6,
    )
    return ax


def trend_lines(
    series: pl.DataFrame,
    *,
    measure: str,
    level: int = 1,
    label: str = "forvaltning",
    instrument=None,
    lang: Lang | None = None,
    ax=None,
):
    """One line per group across years with its confidence interval, from :func:`lyhord.trend`.

    Suppressed years are left out, so a line has a gap rather than a value the table does
    not publish.

    Parameters
    ----------
    series : polars.DataFrame
        Output of :func:`lyhord.trend`.
    measure : str
        The measure to draw (e.g. the index id ``"epl"``).
    level : int
        Hierarchy level of the groups (1 = the top grouping column).
    label : str
        The column naming the groups.
    instrument, lang : optional
        For the measure's name and the axis labels (Swedish by default).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()

    words, text, labels = _words(instrument, lang)
    name = labels.get(measure, measure)
    rows = series.filter(
        pl.col("level") == level, pl.col("measure") == measure, ~pl.col("suppressed")
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for (name,), part in rows.group_by([label], maintain_order=True):
        err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
        ax.errorbar(part["year"], part["mean"], yerr=err, marker="o", capsize=3, label=name)
    ax.set_xticks(sorted(rows["year"].unique().to_list()))
    ax.set_xlabel(text["year"])
    ax.set_ylabel(text["trend"].format(measure=name))
    # below the plot, never over the lines
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    return ax


def intervals(rows: pl.DataFrame, *, value: str, label: str | None = None, ax=None):
    """One dot per row at ``value`` with its interval (``ci_low``–``ci_high``), stacked
    vertically in row order (sort ``rows`` first); ``label`` names the rows on the axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()

    if ax is None:
        _, ax = plt.subplots(figsize=(7, max(3.0, 0.12 * rows.height + 1.5)))
    err = [rows[value] - rows["ci_low"], rows["ci_high"] - rows[value]]
    ax.errorbar(rows[value], range(rows.height), xerr=err, fmt="o", ms=4, capsize=3)
    if label is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(rows.height), rows[label])
    return ax


def change(
    table: pl.DataFrame,
    *,
    label: str,
    measure: str | None = None,
    instrument=None,
    lang: Lang | None = None,
    ax=None,
):
    """The change of one measure per unit since the previous wave (a :func:`compare_waves`
    table), units named on the axis, coloured by direction: a significant increase, a
    significant decrease, or no significant change. With nothing comparable the figure says
    so in a sentence.

    Parameters
    ----------
    table : polars.DataFrame
        Output of :func:`lyhord.compare_waves`; the rows of its finest level are drawn.
    label : str
        The column naming the units (e.g. ``"enhet"``).
    measure : str, optional
        Default: the instrument's index.
    instrument, lang : optional
        For names and labels (Swedish by default).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import lyhord as ly
    >>> by = ["forvaltning", "enhet"]
    >>> a = ly.estimate(ly.example_data("staff", year=2024), "hme", by=by)
    >>> b = ly.estimate(ly.example_data("staff", year=2025), "hme", by=by)
    >>> ax = ly.plot.change(ly.compare_waves(a, b), label="enhet", instrument="hme")
    >>> ax.get_title().startswith("Förändring i HME totalindex")
    True
    """
    plt = _pyplot()

    words, text, labels = _words(instrument, lang)
    if measure is None:
        from ._args import resolve_instrument
        from ._lyhord import DataError

        if instrument is None:
            raise DataError("plot.change: give measure= (or instrument= for its index)")
        measure = resolve_instrument(instrument).index_id
    rows = table.filter(
        pl.col("level") == table["level"].max(),
        pl.col("measure") == measure,
        pl.col("change").is_not_null(),
    ).sort("change")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, max(2.5, 0.16 * rows.height + 1.6)))
    name = labels.get(measure, measure)
    ax.set_title(text["change"].format(measure=name), fontsize=9)
    if rows.height == 0:
        ax.text(0.5, 0.5, text["nothing"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    colours = {"up": "#2166ac", "down": "#b2182b", "same": "#8c8c8c"}
    for key, cond in (
        ("up", pl.col("significant") & (pl.col("change") > 0)),
        ("down", pl.col("significant") & (pl.col("change") < 0)),
        ("same", ~pl.col("significant")),
    ):
        part = rows.with_row_index("y").filter(cond)
        if part.height:
            err = [part["change"] - part["ci_low"], part["ci_high"] - part["change"]]
            ax.errorbar(
                part["change"],
                part["y"],
                xerr=err,
                fmt="o",
                ms=4,
                capsize=2,
                color=colours[key],
                label=text[key],
            )
    names = [words.missing(label) if v is None else str(v) for v in rows[label]]
    ax.set_yticks(range(rows.height), names, fontsize=6)
    ax.axvline(0, color="grey", lw=0.8)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def distribution(
    table: pl.DataFrame,
    instrument,
    *,
    where: dict | None = None,
    lang: Lang | None = None,
    ax=None,
):
    """Stacked negative / neutral / positive bars per statement for one group of an
    estimate table (default: the whole organisation), statements in the output language.
    A blanked statement has no bar and is marked "–".

    Parameters
    ----------
    table : polars.DataFrame
        Output of :func:`lyhord.estimate`.
    instrument : Instrument or str
    where : dict, optional
        The group's keys, e.g. ``{"forvaltning": "Socialförvaltningen", "enhet": None}``
        (columns not given must be null: a unit's own row, not its breakdown).
    lang : {"sv", "en"}, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import lyhord as ly
    >>> t = ly.estimate(ly.example_data("staff", year=2025), "hme", by=["forvaltning"])
    >>> ax = ly.plot.distribution(t, "hme", where={"forvaltning": "Socialförvaltningen"})
    >>> ax.get_yticklabels()[0].get_text()
    'Mitt arbete känns meningsfullt'
    """
    import textwrap

    plt = _pyplot()

    words, text, labels = _words(instrument, lang)
    where = where or {}
    keys = [c for c in table.columns[1 : table.columns.index("measure")]]
    cond = pl.col("level") == len(where)
    for c in keys:
        value = where.get(c)
        cond &= pl.col(c).is_null() if value is None else pl.col(c) == value
    rows = table.filter(cond, pl.col("kind") == "item")
    group = ", ".join(str(v) for v in where.values()) if where else words["total"]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * rows.height + 1.5))
    colours = (
        ("pct_negative", "#c0504d", "negative"),
        ("pct_neutral", "#bfbfbf", "neutral"),
        ("pct_positive", "#4f81bd", "positive"),
    )
    y = list(range(rows.height))[::-1]
    left = [0.0] * rows.height
    for column, colour, key in colours:
        values = [0.0 if v is None else v for v in rows[column]]
        ax.barh(y, values, left=left, color=colour, label=words[key])
        for i, (v, start) in enumerate(zip(values, left, strict=True)):
            if v >= 6:
                ax.text(
                    start + v / 2,
                    y[i],
                    words.number(v, 0),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if key != "neutral" else "black",
                )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for i, blank in enumerate(rows["pct_positive"].is_null()):
        if blank:
            ax.text(50, y[i], "–", ha="center", va="center")
    names = [textwrap.fill(labels.get(m, m), 45) for m in rows["measure"]]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(text["share"])
    ax.set_title(text["distribution"].format(group=group), fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    return ax
