"""The one way lyhord's Python functions read their common arguments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from . import _lyhord
from ._lyhord import ArgumentError, ArgumentTypeError, Instrument, InstrumentError, LyhordError

FrameLike = pl.DataFrame | pl.LazyFrame


class MissingDependencyError(LyhordError, ImportError):
    """An optional dependency of lyhord is not installed; the message names the extra that
    installs it. An ``ImportError`` too, so ``except ImportError`` works as for any optional
    module."""


def require(module: str, extra: str, purpose: str):
    """Imports an optional dependency, or raises :class:`MissingDependencyError` saying
    what needs it and which extra of lyhord installs it (the one way every optional
    import is made)."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise MissingDependencyError(
            f"{purpose} needs the `{module.split('.')[0]}` package: pip install 'lyhord[{extra}]'"
        ) from None


def resolve_instrument(instrument: Instrument | str | Path) -> Instrument:
    """Accept an Instrument, a built-in name (``"hme"``, any case) or a path to a TOML
    codebook."""
    if isinstance(instrument, Instrument):
        return instrument
    text = str(instrument)
    if Path(text).is_dir():
        raise InstrumentError(f"{text}: is a directory, not a file; give a .toml codebook")
    if text.endswith(".toml") or Path(text).is_file():
        return Instrument.from_toml(text)
    return Instrument.builtin(text)


def _collect(frame: FrameLike, name: str) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    raise ArgumentTypeError(
        f"`{name}` must be a polars DataFrame or LazyFrame, not {type(frame).__name__}"
    )


def _by_list(by: Sequence[str] | str | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ArgumentError(f"`{name}` must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _min_group(value: int | None) -> int | None:
    return None if value is None else _count(value, "min_group", 1)


def choice(name: str, value: object) -> str:
    """The canonical value of option ``name`` (a ``Literal`` of ``lyhord._types``), parsed by
    the core's one parser: a bad value raises :class:`lyhord.ArgumentError` naming the
    keyword and the valid values, as everywhere else."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"option {name}: expected a string, got {type(value).__name__}")
    return _lyhord._choice(name, value)


def one_of(keyword: str, value: object, valid: Sequence[str]) -> str:
    """``value`` if it is one of ``valid`` (options of the Python layer only, such as the
    CSV dialect), else the same error as for the core's options."""
    if value in valid:
        return str(value)
    names = [f'"{v}"' for v in valid]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise ArgumentError(f"parameter `{keyword}` must be {listed}, not {shown}")


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (None when it can): said the same way for
    every file lyhord reads."""
    if path.is_dir():
        return "is a directory, not a file"
    if not path.is_file():
        return "no such file; check the path"
    return None
