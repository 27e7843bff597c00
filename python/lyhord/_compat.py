"""The polars versions lyhord is built and tested against, checked at import.

The extension module and its expression plugins are compiled against one polars; under a
polars outside the supported range they fail with obscure symbol or layout errors. The
range is the one pyproject.toml pins (a test keeps the two the same)."""

from __future__ import annotations

import polars

#: Supported polars: at least the first, below the second (as in pyproject.toml).
POLARS_RANGE = ((2, 0), (3, 0))


def _version(text: str) -> tuple[int, int]:
    parts = (text.split("+")[0].split(".") + ["0"])[:2]
    return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in parts)  # type: ignore[return-value]


def check_polars(installed: str) -> None:
    """Raises ImportError naming the installed and the supported polars when they differ."""
    low, high = POLARS_RANGE
    if not low <= _version(installed) < high:
        raise ImportError(
            f"lyhord needs polars >= {low[0]}.{low[1]} and < {high[0]}.{high[1]}, but polars "
            f"{installed} is installed; install a supported one: "
            f"pip install 'polars>={low[0]}.{low[1]},<{high[0]}.{high[1]}'"
        )


check_polars(polars.__version__)
