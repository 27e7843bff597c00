"""Scoring as polars expressions, for use inside your own queries.

They run the same Rust kernel as :func:`lyhord.score`, row by row, so they work in
``with_columns``, ``group_by(...).agg`` and lazy or streaming queries.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.plugins import register_plugin_function

from ._api import resolve_instrument
from ._lyhord import Instrument

_LIB = Path(__file__).parent


def score(instrument: Instrument | str, measure: str | None = None) -> pl.Expr:
    """An expression scoring one dimension, or the index, from the item columns.

    Parameters
    ----------
    instrument : Instrument or str
        The codebook (or a built-in name).
    measure : str, optional
        A dimension id, or the index id (the default).

    Returns
    -------
    polars.Expr
        Float64 0–100, null where too few items were answered; named after the measure.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> df = pl.DataFrame({f"hme{i}": [5, 3] for i in range(1, 10)})
    >>> df.select(ly.expr.score("hme", "ledarskap")).to_series().to_list()
    [100.0, 50.0]
    """
    inst = resolve_instrument(instrument)
    target = measure or inst.index_id
    return register_plugin_function(
        plugin_path=_LIB,
        function_name="lyhord_score",
        args=[pl.col(item) for item in inst.items],
        kwargs={"instrument": inst.to_json(), "measure": target},
        is_elementwise=True,
    ).alias(target)


def scores(instrument: Instrument | str) -> list[pl.Expr]:
    """Expressions for every dimension and the index, in instrument order.

    Examples
    --------
    >>> import polars as pl, lyhord as ly
    >>> df = pl.DataFrame({f"hme{i}": [4] for i in range(1, 10)})
    >>> df.with_columns(ly.expr.scores("hme")).columns[-4:]
    ['motivation', 'ledarskap', 'styrning', 'hme']
    """
    inst = resolve_instrument(instrument)
    return [score(inst, m) for m in [*inst.dimensions, inst.index_id]]
