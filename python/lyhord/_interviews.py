"""Coded interviews: coding frames, interview scores, code counts (wrappers over Rust)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from . import _lyhord
from ._api import FrameLike, _collect
from ._args import _by_list, _count
from ._lyhord import ArgumentError, CodingFrame, DataError
from ._tables import read_table
from ._types import InterviewLevel, Unmatched

__all__ = [
    "CodingFrame",
    "SegmentImport",
    "code_counts",
    "read_segments",
    "score_interviews",
    "write_qdpx",
]


def _frame(frame: CodingFrame | str | Path) -> CodingFrame:
    if isinstance(frame, CodingFrame):
        return frame
    if isinstance(frame, Path) or str(frame).endswith(".toml"):
        return CodingFrame.from_toml(str(frame))
    return CodingFrame.builtin(str(frame))


def score_interviews(
    segments: FrameLike,
    frame: CodingFrame | str | Path = "epl-interviews",
    *,
    level: InterviewLevel = "unit",
    by: Sequence[str] | str | None = "enhet",
    interview: str = "interview",
    code: str = "code",
    coder: str | None = "coder",
    rating: str | None = "rating",
    prior: float = 2.0,
    confidence: float = 0.95,
    min_interviews: int = 3,
) -> pl.DataFrame:
    """0–100 scores per dimension from coded interview segments.

    ``segments`` is long: one row per coder × segment × code. Each coding is evidence on its
    code's dimension: a positive code counts 1 for, a negative code 1 against, a rated code
    with rating ``r`` on ``min``–``max`` counts ``(r − min)/(max − min)`` for and the rest
    against, neutral codes count as neutral (reported, not scored). When several coders
    coded an interview each coding weighs ``1 / coders``, so the interview counts once.

    With ``p`` for and ``n`` against and prior strength ``a``, the score is
    ``100 (p + a) / (p + n + 2a)``, the mean of Beta(p + a, n + a): few segments are pulled
    toward 50, many approach the share positive. ``ci_low``/``ci_high`` are the Beta's
    central ``confidence`` quantiles.

    Parameters
    ----------
    segments : polars.DataFrame or LazyFrame
        Coded segments, e.g. ``ly.example_data("interviews")``.
    frame : CodingFrame, str or path
        A coding frame, the name of a built-in (``"epl-interviews"``) or a TOML file.
    level : {"unit", "interview"}
        ``"unit"``: interviews pooled per group of ``by``; groups with fewer than
        ``min_interviews`` interviews are blanked by the publication layer's engine, as a
        score would describe too few people; blanks are bare (``suppressed`` True, no
        score, counts, ``n_interviews`` or reason). ``"interview"``: one row per interview.
    by : str or list of str, optional
        Background columns, constant within an interview (unit, role, …).
    interview, code, coder, rating : str
        Column names; ``coder=None`` when one coder coded everything, ``rating`` is needed
        only for rated codes.
    prior : float
        Pseudo-segments on each side (> 0).
    confidence : float
        Interval coverage.
    min_interviews : int
        Smallest number of interviews a published unit score may rest on.

    Returns
    -------
    polars.DataFrame
        ``by`` (and ``interview``), ``dimension`` (null for codes outside the EPL
        dimensions), ``score``, ``ci_low``, ``ci_high``, ``positive``, ``negative``,
        ``neutral``, ``n_interviews``, ``n_coders``, ``suppressed``, ``note``. Rows are
        sorted by ``by`` (and ``interview``); these key columns keep their dtype (an integer
        unit code stays an integer and sorts as a number) and a null key is a group of its
        own, sorted last.

    Examples
    --------
    >>> import lyhord as ly
    >>> seg = ly.example_data("interviews")
    >>> out = ly.score_interviews(seg, by="forvaltning")
    >>> out.columns[:4]
    ['forvaltning', 'dimension', 'score', 'ci_low']
    >>> ly.score_interviews(
    ...     seg.filter(pl.col("interview") == "I001"), level="interview", by=None
    ... ).select("dimension", "positive", "negative").head(1).shape
    (1, 3)
    """
    df = _collect(segments, "segments")
    return _lyhord._score_interviews(
        df,
        _frame(frame),
        interview=interview,
        code=code,
        coder=coder,
        rating=rating if rating in df.columns else None,
        by=_by_list(by),
        prior=float(prior),
        confidence=float(confidence),
        min_interviews=_count(min_interviews, "min_interviews", 1),
        level=level,
    )


def code_counts(
    segments: FrameLike,
    frame: CodingFrame | str | Path = "epl-interviews",
    *,
    by: Sequence[str] | str | None = "enhet",
    interview: str = "interview",
    code: str = "code",
    coder: str | None = "coder",
    rating: str | None = "rating",
    segment: str | None = "segment",
    min_interviews: int = 3,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Code frequencies and code co-occurrence per group.

    Ratings of rated codes are checked against their scale as in :func:`score_interviews`.
    Groups with fewer than ``min_interviews`` interviews are blanked by the publication
    layer's engine: one bare row (``suppressed`` True, no code, no count), and no pairs, as
    which codes a few people's interviews hold describes those people.

    Returns
    -------
    counts : polars.DataFrame
        ``by``, ``code``, ``dimension``, ``valence``, ``n_codings`` (coder × segment
        applications), ``n_interviews`` (interviews where the code occurs) and
        ``suppressed``; sorted by ``by`` and ``code``. The ``by`` columns keep their dtype
        and a null key is a group of its own, sorted last (in both tables).
    cooccurrence : polars.DataFrame or None
        ``by``, ``code_a``, ``code_b``, ``n_segments``: segments where one coder applied
        both codes (each pair once, ``code_a < code_b``); ``None`` without ``segment``.

    Examples
    --------
    >>> import lyhord as ly
    >>> counts, pairs = ly.code_counts(ly.example_data("interviews"), by="forvaltning")
    >>> counts.columns
    ['forvaltning', 'code', 'dimension', 'valence', 'n_codings', 'n_interviews', 'suppressed']
    >>> pairs.columns
    ['forvaltning', 'code_a', 'code_b', 'n_segments']
    """
    df = _collect(segments, "segments")
    counts = _lyhord._code_counts(
        df,
        _frame(frame),
        interview=interview,
        code=code,
        coder=coder,
        rating=rating if rating in df.columns else None,
        by=_by_list(by),
        segment=segment,
        min_interviews=_count(min_interviews, "min_interviews", 1),
    )
    return counts.counts, counts.pairs


@dataclass(frozen=True)
class SegmentImport:
    """Coded segments read from a file, and what became of every code in it.

    Attributes
    ----------
    segments : polars.DataFrame
        One row per coder × segment × code, ready for :func:`score_interviews`,
        :func:`code_counts` and :func:`lyhord.agreement`.
    codes : polars.DataFrame
        Per code name in the file: ``source_code``, ``source_parent``, the frame ``code``
        it was mapped to (null when dropped), ``rating`` (for ratings stored as child
        codes), ``n_codings`` and ``status``. For a ``.qdpx``, what the project holds but
        the segments do not (sets, PDF/picture/audio/video sources, notes, codings of a
        whole source, case selections) follows as rows whose ``status`` starts with
        ``"ignored: "``, named in ``source_code``, with the codings left out.
    path : str
        The file read.
    """

    segments: pl.DataFrame
    codes: pl.DataFrame
    path: str

    def to_frame(self) -> pl.DataFrame:
        """The code report (the same as ``codes``)."""
        return self.codes

    def __repr__(self) -> str:
        ignored = pl.col("status").str.starts_with("ignored: ")
        dropped = self.codes.filter(pl.col("code").is_null(), ~ignored)
        n_codes = self.codes.filter(~ignored).height
        n_interviews = (
            self.segments.get_column("interview").n_unique() if self.segments.height else 0
        )
        lines = [
            f"SegmentImport({self.path!r})",
            f"  {self.segments.height} codings in {n_interviews} interviews",
            f"  {n_codes} distinct codes in the file, {dropped.height} dropped",
        ]
        for row in dropped.iter_rows(named=True):
            lines.append(f"    dropped: {row['source_code']!r} ({row['n_codings']} codings)")
        for row in self.codes.filter(ignored).iter_rows(named=True):
            lines.append(f"    {row['status']} ({row['source_code']!r})")
        return "\n".join(lines)


SHEET_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods", ".parquet")


def read_segments(
    path: str | Path,
    frame: CodingFrame | str | Path | None = "epl-interviews",
    *,
    code: str = "code",
    sheet: str | int | None = None,
    unmatched: Unmatched = "error",
) -> SegmentImport:
    """Read coded interview segments from a QDA export or a spreadsheet.

    * ``.qdpx``: a REFI-QDA project as NVivo, MAXQDA, ATLAS.ti and QualCoder export it.
      One source is one interview; its case variables (unit, role, …) become columns.
      A source's id is its name, or ``"name [guid]"`` when several sources share the name
      (the documents stay apart; the guid is the same in the next export). Values are
      trimmed of the XML's indentation; sets are information, not sources.
      Selections become segments, numbered per interview by their span, so coders who
      marked the same span share a segment; the coder is the coding's user. Ratings
      stored as child codes of a rated code (``del_betyg`` → ``4``) become ``rating``.
      The interview text is never read.
    * ``.csv``/``.tsv`` (delimiter sniffed), ``.xlsx``/``.xls``/``.ods``, ``.parquet``: a
      long table with columns such as ``interview, segment, coder, code, rating``; other
      columns are kept untouched.

    Codes are matched to the frame by id, else by label (Swedish or English, ignoring case
    and spacing). Codes the frame does not know raise :class:`lyhord.DataError` listing
    them with their counts, unless ``unmatched="drop"`` (left out, listed in the report) or
    ``"keep"`` (kept under their own name). With ``frame=None`` (.qdpx only) codes keep
    their names, which is enough for :func:`lyhord.agreement`.

    Parameters
    ----------
    path : str or Path
        The file.
    frame : CodingFrame, str, path or None
        The coding frame to map codes to.
    code : str
        The code column of a spreadsheet.
    sheet : str or int, optional
        Sheet name or 0-based index of a workbook (default: the first).
    unmatched : {"error", "drop", "keep"}
        What to do with codes that are not in the frame.

    Returns
    -------
    SegmentImport
        ``.segments`` (the table) and ``.codes`` (the report of every code).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import lyhord as ly
    >>> seg = ly.example_data("interviews")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "exempelkommun.qdpx"
    >>> ly.write_qdpx(seg, path)
    >>> imp = ly.read_segments(path)
    >>> imp.segments.height == seg.height
    True
    >>> imp.codes.filter(pl.col("source_parent") == "del_betyg").select("code", "rating").row(0)
    ('del_betyg', 1.0)
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() in (".qdpx", ".qde", ".qdc"):
        coding_frame = None if frame is None else _frame(frame)
        read = _lyhord._read_qdpx(str(path), coding_frame, unmatched)
        return SegmentImport(read.segments, read.codes, str(path))
    if frame is None:
        raise ArgumentError("`frame=None` is only for .qdpx files; pass the coding frame")
    if path.suffix.lower() not in SHEET_SUFFIXES:
        raise DataError(
            f"{path}: cannot read coded segments from a {path.suffix or 'suffix-less'} file; "
            "use .qdpx (REFI-QDA), .csv/.tsv, .xlsx/.xls/.ods or .parquet"
        )
    table = read_table(path, sheet=sheet)
    read = _lyhord._map_codes(table, code, _frame(frame), unmatched, str(path))
    return SegmentImport(read.segments, read.codes, str(path))


def write_qdpx(
    segments: FrameLike,
    path: str | Path,
    frame: CodingFrame | str | Path = "epl-interviews",
    *,
    by: Sequence[str] | str | None = ("forvaltning", "enhet", "role"),
    interview: str = "interview",
    segment: str = "segment",
    code: str = "code",
    coder: str | None = "coder",
    rating: str | None = "rating",
    name: str = "lyhord",
) -> None:
    """Write coded segments as a REFI-QDA project (``.qdpx``) for NVivo, MAXQDA, ATLAS.ti
    or QualCoder.

    The codebook is the coding frame (rated codes get one child code per rating), each
    interview is a case with ``by`` as variables and a text source, each segment × coder a
    selection coded by that coder. lyhord holds no interview text, so a source is a
    placeholder line per segment ("Segment 3."). Reading the file back with
    :func:`read_segments` gives the same codings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import lyhord as ly
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.qdpx"
    >>> ly.write_qdpx(ly.example_data("interviews"), path)
    >>> path.stat().st_size > 0
    True
    """
    df = _collect(segments, "segments")
    _lyhord._write_qdpx(
        df,
        _frame(frame),
        str(path),
        interview=interview,
        code=code,
        coder=coder,
        rating=rating if rating in df.columns else None,
        by=_by_list(by),
        segment=segment,
        name=name,
    )
