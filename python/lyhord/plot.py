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
