"""Figures for estimate tables (matplotlib, imported lazily)."""

from __future__ import annotations

import polars as pl


def heatmap(table: pl.DataFrame, *, level: int, label: str, kind: str = "dimension", ax=None):
    """Units × measures heatmap of means from an :func:`lyhord.estimate` table.

    Suppressed cells stay blank (grey) and are marked "–", so the figure never shows a value
    the table does not publish.

    Parameters
    ----------
    table : polars.DataFrame
        Output of :func:`lyhord.estimate`.
    level : int
        Which level of the hierarchy to show (e.g. 2 for enheter under ``by=[forvaltning, enhet]``).
    label : str
        The grouping column naming the rows (e.g. ``"enhet"``).
    kind : {"dimension", "index", "item"}
        Which measures to show as columns.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import numpy as np

    rows = table.filter((pl.col("level") == level) & (pl.col("kind") == kind))
    wide = rows.pivot(on="measure", index=label, values="mean", aggregate_function=None)
    measures = [c for c in wide.columns if c != label]
    values = wide.select(measures).to_numpy().astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(measures) + 3, 0.22 * len(wide) + 1.5))
    cmap = plt.get_cmap("RdYlGn").copy()
    cmap.set_bad("#dddddd")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(measures)), measures, rotation=30, ha="right")
    ax.set_yticks(range(len(wide)), [str(v) for v in wide[label]], fontsize=7)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "–" if np.isnan(v) else f"{v:.0f}", ha="center", va="center", fontsize=6)
    ax.figure.colorbar(image, ax=ax, label="0–100")
    return ax


def trend_lines(
    series: pl.DataFrame, *, measure: str, level: int = 1, label: str = "forvaltning", ax=None
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
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    rows = series.filter(
        pl.col("level") == level, pl.col("measure") == measure, ~pl.col("suppressed")
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for (name,), part in rows.group_by([label], maintain_order=True):
        err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
        ax.errorbar(part["year"], part["mean"], yerr=err, marker="o", capsize=3, label=name)
    ax.set_xticks(sorted(rows["year"].unique().to_list()))
    ax.set_ylabel(f"{measure} (0–100), 95 % CI")
    ax.legend(fontsize=7)
    return ax


def intervals(rows: pl.DataFrame, *, value: str, label: str | None = None, ax=None):
    """One dot per row at ``value`` with its interval (``ci_low``–``ci_high``), stacked
    vertically in row order (sort ``rows`` first); ``label`` names the rows on the axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, max(3.0, 0.12 * rows.height + 1.5)))
    err = [rows[value] - rows["ci_low"], rows["ci_high"] - rows[value]]
    ax.errorbar(rows[value], range(rows.height), xerr=err, fmt="o", ms=4, capsize=3)
    if label is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(rows.height), rows[label])
    return ax
