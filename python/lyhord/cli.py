"""The lyhord command: lyhord demo, lyhord score EXPORT ..., lyhord inspect FILE and
lyhord followup --config followup.toml.

Whatever goes wrong is said in one line, ``lyhord: error: ...`` on stderr with exit code 2,
in the command line's terms: the library writes its advice about keyword arguments as
``name=`` (``mapping={...}``, ``strict=True``, ``encoding="utf-16"``) or ``parameter
`name```, and :func:`cli_voice` says each of those as its flag through the one table
:data:`FLAGS`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import NoReturn, get_args

import polars as pl

from . import _api
from ._args import file_problem
from ._import import _how_read, read_export
from ._import import read_table as read_any_table
from ._lyhord import Instrument, LyhordError, __version__
from ._publication import Publication
from ._tables import OUT_FORMATS, first_line, read_table, write_table
from ._types import Header
from .datasets import example_data, headcounts
from .report import Words, measure_labels, wide
from .report.excel import CSV_DIALECTS, write_csv, write_report

# The library's keyword arguments as the command line spells them.
FLAGS = {
    "mapping": "--mapping",
    "labels": "--mapping",
    "strict": "--strict",
    "id": "--id",
    "sheet": "--sheet",
    "encoding": "--encoding",
    "delimiter": "--sep",
    "decimal": "--decimal",
    "header_row": "--header-row",
    "header": "--header",
    "min_group": "--min-group",
    "confidence": "--confidence",
    "weights": "--weights",
    "headcounts": "--headcounts",
    "by": "--by",
    "lang": "--lang",
    "dialect": "--csv",
}
# Keywords whose Python value (a dict) is a table of the --mapping TOML file instead.
TOML_TABLES = {
    "mapping": "FILE.toml ([columns] table: column = item)",
    "labels": "FILE.toml ([labels] table: label = code)",
}
_KEYS = "|".join(sorted(FLAGS, key=len, reverse=True))
_KEYWORD = re.compile(rf'\b({_KEYS})=(\{{[^}}]*\}}|"[^"]*"|True\b|\d+\b)?')
_PARAMETER = re.compile(rf"parameter `({_KEYS})`")


def _as_flag(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    flag = FLAGS[name]
    if name in TOML_TABLES:
        return f"{flag} {TOML_TABLES[name]}"
    if value is None or value == "True":
        return flag
    return flag + " " + value.strip('"')


def cli_voice(message: str) -> str:
    """A library message as the command line says it: one line, keyword advice as flags."""
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    one_line = _PARAMETER.sub(lambda m: FLAGS[m.group(1)], one_line)
    return _KEYWORD.sub(_as_flag, one_line)


def _describe(error: BaseException) -> str:
    """What to print for an error that reached the command line."""
    if isinstance(error, OSError) and error.filename is not None:
        reason = {
            IsADirectoryError: "is a directory, not a file",
            FileNotFoundError: "no such file or folder",
            PermissionError: "permission denied",
            FileExistsError: "is a file, not a folder",
        }.get(type(error), error.strerror or str(error))
        return f"{error.filename}: {reason}"
    if isinstance(error, pl.exceptions.PolarsError):
        return f"polars: {first_line(error)}"
    return str(error)


def split_by(values: list[str]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def cmd_score(args: argparse.Namespace) -> int:
    inst = args.instrument
    sheet = _sheet(args.sheet)
    answers, report = read_export(
        args.export,
        inst,
        args.mapping,
        id=args.id,
        strict=args.strict,
        sheet=sheet,
        encoding=args.encoding,
        delimiter=args.sep,
        decimal=args.decimal,
        header=args.header,
        header_row=args.header_row,
    )
    for note in report.notes():
        print(f"import: note: {cli_voice(note)}", file=sys.stderr)
    for problem in report.problems():
        print(f"import: {cli_voice(problem)}", file=sys.stderr)
    hc = read_table(args.headcounts) if args.headcounts else None
    table = _api.estimate(
        answers,
        inst,
        by=split_by(args.by),
        min_group=args.min_group,
        confidence=args.confidence,
        weights=args.weights,
        headcounts=hc,
    )
    if args.layout == "report":
        write_report(table, inst, args.out, lang=args.lang)
    elif args.csv == "excel-sv":
        write_csv(table, args.out, dialect="excel-sv")
    else:
        write_table(table, args.out, args.out_sep or ",")
    suppressed = table["suppressed"].sum()
    what = "report of " if args.layout == "report" else ""
    print(
        f"{args.out}: {what}{table.height} rows ({suppressed} suppressed) "
        f"for {answers.height} respondents, instrument {inst.id}"
    )
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    data, report = read_any_table(
        args.file,
        sheet=_sheet(args.sheet),
        encoding=args.encoding,
        delimiter=args.sep,
        decimal=args.decimal,
        header=args.header,
        header_row=args.header_row,
    )
    s = report.source
    where = f" (row {s.header_row})" if s.header_row else ""
    print(f"{s.file}: {_how_read(s)}; header: {s.header}{where}")
    print(f"{report.rows} rows × {report.columns.height} columns")
    for row in report.columns.iter_rows(named=True):
        print("\n".join(_column_lines(row)))
    if args.rows:
        print(f"first {min(args.rows, data.height)} rows:")
        with pl.Config(tbl_hide_dataframe_shape=True):
            print(data.head(args.rows))
    for note in report.notes():
        print(f"note: {cli_voice(note)}")
    return 0


def _shorten(text: str, width: int = 70) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def _column_lines(row: dict) -> list[str]:
    """One line for a column of `lyhord inspect` (name, type, counts, label), and one more
    for what an SPSS dictionary says of it."""
    label = f" — {_shorten(row['label'])}" if row["label"] else ""
    lines = [
        f"  {row['column']} ({row['dtype']}): {row['n_valid']} valid, "
        f"{row['n_missing']} missing{label}"
    ]
    spss = [row["format"], row["measure"]]
    if row["value_labels"]:
        became = {"enum": "an Enum", "kept": "codes kept"}.get(row["labels"] or "", "")
        spss.append(
            f"labels {_shorten(row['value_labels'], 60)}" + (f" ({became})" if became else "")
        )
    if row["user_missing"]:
        spss.append(f"missing {row['user_missing']} ({row['n_user_missing']} set to null)")
    if any(spss):
        lines.append("      " + ", ".join(p for p in spss if p))
    return lines


def _sheet(text: str | None) -> str | int | None:
    """--sheet: a 0-based index when all digits, else a sheet name."""
    return int(text) if text and text.isdigit() else text


def check_score(args: argparse.Namespace) -> str | None:
    """What is wrong with a combination of score's options (None when nothing is)."""
    suffix = args.out.suffix.lower()
    if args.layout == "report" and suffix != ".xlsx":
        return (
            f"argument --layout: report writes a workbook; give --out a .xlsx file, not {args.out}"
        )
    if args.csv is not None and suffix != ".csv":
        return f"argument --csv: is for a .csv output, not {args.out}"
    if args.csv == "excel-sv" and args.out_sep not in (None, ";"):
        return "argument --out-sep: --csv excel-sv separates fields with ; (leave --out-sep out)"
    if args.lang is not None and args.layout != "report":
        return "argument --lang: is for --layout report; the table layout has no words to translate"
    return None


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    answers = example_data("staff", year=args.year)
    hc = headcounts(year=args.year)
    export = out / f"exempelkommun_staff_{args.year}.csv"
    answers.write_csv(export, separator=";")
    print(
        f"Exempelkommun, medarbetarenkät {args.year}: {answers.height} svarande, "
        f"{answers['enhet'].n_unique()} enheter -> {export}"
    )
    for name in ("epl-staff", "hme"):
        inst = _api.resolve_instrument(name)
        # one publication: the estimates and the driver priorities are suppressed together
        pub = Publication(answers, inst)
        table = pub.estimate(by=["forvaltning", "enhet"], headcounts=hc)
        path = out / f"{inst.id}_{args.year}.csv"
        write_table(table, path)
        n_supp = table.filter(pl.col("level") == 2)["suppressed"].sum()
        print(
            f"\n{inst.name}: medelvärde 0–100 per förvaltning "
            f"[{n_supp} enhetsceller visas inte, minsta grupp {inst.min_group}] -> {path}"
        )
        top = wide(table.filter(pl.col("level") <= 1), inst).filter(pl.col("level") <= 1)
        dims = [m for m, kind in inst.measures if kind != "item"]
        labels = measure_labels(inst, Words.of(inst))
        with pl.Config(
            tbl_rows=20,
            tbl_cols=10,
            fmt_str_lengths=40,
            tbl_hide_dataframe_shape=True,
            float_precision=1,
            tbl_hide_column_data_types=True,
            set_decimal_separator=",",
        ):
            print(top.select(top.columns[0], *[labels[m] for m in dims]))
        if inst.id == "hme":
            priorities = pub.priority_matrix(by="enhet")
            _demo_report(table, priorities, inst, args.year, out)
    if args.year == 2025:
        _demo_interviews(out)
    return 0


def _demo_interviews(out: Path) -> None:
    """The coded interviews: exported as REFI-QDA, read back, scored per förvaltning."""
    from ._interviews import read_segments, score_interviews, write_qdpx

    qdpx = out / "exempelkommun_interviews_2025.qdpx"
    write_qdpx(example_data("interviews"), qdpx, name="Exempelkommun")
    imp = read_segments(qdpx)
    scores = score_interviews(imp.segments, by="forvaltning")
    path = out / "interview_scores_2025.csv"
    write_table(scores, path)
    n = imp.segments["interview"].n_unique()
    print(f"\nKodade intervjuer 2025: {n} intervjuer -> {qdpx}; poäng -> {path}")
    # the interviews score the EPL dimensions: named as the staff instrument names them
    labels = measure_labels("epl-staff", Words.of("epl-staff"))
    scored = scores.filter(pl.col("dimension").is_not_null()).with_columns(
        pl.col("dimension").replace(labels), pl.col("forvaltning").alias("Förvaltning")
    )
    table = scored.pivot(
        on="dimension", index="Förvaltning", values="score", aggregate_function=None
    )
    with pl.Config(
        tbl_hide_dataframe_shape=True,
        float_precision=1,
        tbl_hide_column_data_types=True,
        set_decimal_separator=",",
    ):
        print(table)


def _demo_report(
    table: pl.DataFrame, priorities: pl.DataFrame, inst: Instrument, year: int, out: Path
) -> None:
    """What a förvaltningschef gets: manager pages (with last year when there is one) and
    figures, in Swedish."""
    from .report.html import write_pages

    by = ["forvaltning", "enhet"]
    earlier = None
    if year > 2023:
        earlier = _api.estimate(example_data("staff", year=year - 1), inst, by=by)
    pages = write_pages(
        table, inst, out / "sidor", by=by, earlier=earlier, priorities=priorities, year=year
    )
    print(f"\nChefssidor: {len(pages)} -> {pages[0]}")
    missing = [extra for extra, (module, _) in DEMO_EXTRAS.items() if find_spec(module) is None]
    if "excel" not in missing:
        book = write_report(table, inst, out / f"hme_rapport_{year}.xlsx")
        print(f"Excel-rapport -> {book}")
    if "plot" not in missing:
        for path in _demo_figures(table, earlier, inst, year, out):
            print(f"figur -> {path}")
    if missing:
        print(demo_skipped(missing))


# What the demo writes only with an extra installed: extra -> (module, what it gives).
DEMO_EXTRAS = {"excel": ("xlsxwriter", "Excel-rapporten"), "plot": ("matplotlib", "figurerna")}


def demo_skipped(missing: list[str]) -> str:
    """The one line saying what the demo left out for want of which extras.

    >>> print(demo_skipped(["plot"]))
    Figurerna skrevs inte (matplotlib saknas): pip install "lyhord[plot]"
    """
    things = [DEMO_EXTRAS[e][1] for e in missing]
    what = " och ".join(things)
    modules = ", ".join(DEMO_EXTRAS[e][0] for e in missing)
    return (
        f"{what[0].upper()}{what[1:]} skrevs inte ({modules} saknas): "
        f'pip install "lyhord[{",".join(missing)}]"'
    )


def _demo_figures(
    table: pl.DataFrame, earlier: pl.DataFrame | None, inst: Instrument, year: int, out: Path
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    from . import plot
    from ._followup import compare_waves

    figures = {
        f"hme_heatmap_{year}.png": plot.heatmap(
            table, level=2, label="enhet", instrument=inst
        ).figure,
        f"hme_fordelning_{year}.png": plot.distribution(table, inst).figure,
    }
    if earlier is not None:
        change = compare_waves(earlier, table)
        figures[f"hme_forandring_{year}.png"] = plot.change(
            change, label="enhet", instrument=inst
        ).figure
    return plot.save(figures, out)


class _Parser(argparse.ArgumentParser):
    """argparse in lyhord's voice: a usage error is one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("lyhord").strip()
        see = f"lyhord {command} --help" if command else "lyhord --help"
        print(f"lyhord: error: {cli_voice(message)} (see {see})", file=sys.stderr)
        raise SystemExit(2)


def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number ≥ {minimum}, got {text!r}")
        return value

    parse.__name__ = f"whole number ≥ {minimum}"
    return parse


def _share(text: str) -> float:
    """A confidence level: strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.95), got {text!r}")
    return value


def _separator(text: str) -> str:
    if text in ("tab", "\\t", "\t"):
        return "\t"
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"must be one character (or 'tab'), got {text!r}")
    return text


def _input_file(text: str) -> Path:
    path = Path(text)
    problem = file_problem(path)
    if problem:
        raise argparse.ArgumentTypeError(f"{path}: {problem}")
    return path


def _instrument(text: str) -> Instrument:
    try:
        return _api.resolve_instrument(text)
    except LyhordError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _output_file(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in OUT_FORMATS:
        raise argparse.ArgumentTypeError(f"{path}: use one of {', '.join(OUT_FORMATS)}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: is a directory, not a file")
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: {folder} is a file, not a folder")
    return path


MAIN_EPILOG = """\
examples:
  lyhord demo --out lyhord-demo
  lyhord score svar_2025.csv --instrument hme --by forvaltning,enhet --out hme_2025.xlsx
  lyhord followup --config followup.toml
  lyhord inspect svar_2025.csv

lyhord COMMAND --help shows the options and examples of each command.
"""

DEMO_EPILOG = """\
examples:
  lyhord demo                          # 2025, written to ./lyhord-demo
  lyhord demo --year 2024 --out demo   # the 2024 wave, written to ./demo
"""

SCORE_EPILOG = """\
examples:
  lyhord score svar_2025.csv --instrument hme --by forvaltning,enhet --out hme_2025.xlsx
  lyhord score enkat.xlsx --sheet Svar --header-row 3 --instrument HME --out resultat.csv
  lyhord score export.csv --instrument epl-staff --mapping mapping.toml --strict \\
      --id Svars-ID --out resultat.parquet
  lyhord score export.csv --instrument hme --by enhet --headcounts antal.csv \\
      --min-group 8 --confidence 0.9 --out resultat.csv
  lyhord score svar_2025.csv --instrument hme --by forvaltning,enhet --headcounts antal.csv \\
      --layout report --out HME_2025.xlsx      # the workbook for people, in Swedish
  lyhord score svar_2025.csv --instrument hme --by enhet --csv excel-sv --out hme_2025.csv

a mapping file (TOML) names the columns and answer labels the export has its own way:
  [columns]
  "Fråga 1" = "hme1"
  [labels]
  "Instämmer helt" = 5

Columns match items by item id, or by item text (also after a question number such as
"1.", "1)", "Fråga 1:" or "Q1." is left off). A title block above the header is found;
--header-row says where the header is when it is not. What the import found goes to
stderr as "import: ..." lines; an error is one "lyhord: error: ..." line and exit code 2.
"""


FOLLOWUP_EPILOG = """\
examples:
  lyhord followup --config followup.toml --check   # the config checked, nothing read
  lyhord followup --config followup.toml           # the yearly run
"""


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="lyhord",
        description="Engagement / participation / learning index from survey answers.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"lyhord {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_score(sub)
    _add_inspect(sub)
    _add_followup(sub)
    return p


def _add_followup(sub) -> None:
    f = sub.add_parser(
        "followup",
        help="the yearly run: estimates per wave, change, trend, targets, figures, HTML",
        description=_followup_help(),
        epilog=FOLLOWUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    f.add_argument(
        "--config", required=True, type=_input_file, help="follow-up config (TOML), see above"
    )
    f.add_argument(
        "--check",
        action="store_true",
        help="check the config (keys, types, files) without reading any answers",
    )
    f.set_defaults(func=cmd_followup)


def _add_demo(sub) -> None:
    d = sub.add_parser(
        "demo",
        help="score the bundled Exempelkommun example and print the tables",
        description="Writes the Exempelkommun staff survey, scores it with epl-staff and\n"
        "HME per förvaltning and enhet, and prints the tables.",
        epilog=DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("--year", type=int, default=2025, choices=(2023, 2024, 2025, 2026))
    d.add_argument("--out", default="lyhord-demo", help="output folder (default: lyhord-demo)")
    d.set_defaults(func=cmd_demo)


def _add_score(sub) -> None:
    s = sub.add_parser(
        "score",
        help="score an export and write grouped, suppressed estimates",
        description="Reads a survey export, scores it with an instrument and writes the\n"
        "estimates per group, small groups suppressed.",
        epilog=SCORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument(
        "export",
        type=_input_file,
        help="survey export: CSV/TSV (encoding, delimiter, decimal comma and Qualtrics / "
        "SurveyMonkey headers sniffed), .xlsx/.xls/.ods, SPSS .sav or .parquet; columns are "
        "matched to items by id or item text, answers may be codes or labels",
    )
    s.add_argument(
        "--instrument",
        required=True,
        type=_instrument,
        help="built-in name, any case (hme, epl-staff, epl-citizen, uk-engagement, enps) "
        "or a .toml codebook",
    )
    s.add_argument(
        "--by",
        action="append",
        default=[],
        help="grouping column(s), top level first; repeat or comma-separate",
    )
    s.add_argument(
        "--out", required=True, type=_output_file, help="results file: .csv, .xlsx or .parquet"
    )
    s.add_argument(
        "--min-group",
        type=_whole(1),
        default=None,
        metavar="N",
        help="minimum group size (default: the instrument's)",
    )
    s.add_argument(
        "--confidence",
        type=_share,
        default=0.95,
        help="confidence level of the intervals, between 0 and 1 (default 0.95)",
    )
    s.add_argument("--weights", default=None, help="column of positive weights")
    s.add_argument(
        "--headcounts",
        type=_input_file,
        default=None,
        help="table of headcount per unit (the --by columns + headcount)",
    )
    _add_reading_flags(s)
    s.add_argument(
        "--mapping",
        type=_input_file,
        default=None,
        help="TOML file: [columns] column = item, [labels] label = code",
    )
    s.add_argument("--id", default=None, help="respondent id column (default: found by its name)")
    s.add_argument(
        "--strict",
        action="store_true",
        help="fail on values outside the scale or unknown labels (default: missing, reported)",
    )
    s.add_argument(
        "--out-sep", type=_separator, default=None, help="separator of a .csv output (default ,)"
    )
    s.add_argument(
        "--csv",
        choices=tuple(CSV_DIALECTS),
        default=None,
        help="dialect of a .csv output: plain (, and a decimal point; the default) or excel-sv "
        "(; and a decimal comma, UTF-8 with BOM: opens right in Swedish Excel)",
    )
    s.add_argument(
        "--layout",
        choices=("table", "report"),
        default="table",
        help="table: the long analysis table (default); report: a .xlsx workbook for people, "
        "a sheet per level with groups × measures, notes and the published data",
    )
    s.add_argument(
        "--lang",
        choices=("sv", "en"),
        default=None,
        help="language of --layout report (default: the instrument's)",
    )
    s.set_defaults(func=cmd_score, check_usage=check_score, usage_parser=s)


INSPECT_EPILOG = """\
examples:
  lyhord inspect svar_2025.csv                  # layout, encoding, columns, first 5 rows
  lyhord inspect enkat.sav --rows 0             # the SPSS dictionary only
  lyhord inspect enkat.xlsx --sheet Svar --header-row 3 --rows 20

Nothing is mapped or left out: every column and row as the file has it, read the way
`lyhord score` reads it (the same sniffing and the same SPSS dictionary).
"""


def _add_inspect(sub) -> None:
    i = sub.add_parser(
        "inspect",
        help="look at an export without an instrument: layout, encoding, columns, labels",
        description="Reads any export lyhord reads and prints how it was read (format,\n"
        "encoding, delimiter, header layout), one line per column (type, label, valid and\n"
        "missing values, SPSS labels and missing codes) and the first rows.",
        epilog=INSPECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    i.add_argument(
        "file",
        type=_input_file,
        help="CSV/TSV, .xlsx/.xls/.ods, SPSS .sav/.zsav or .parquet",
    )
    i.add_argument(
        "--rows", type=_whole(0), default=5, metavar="N", help="data rows to show (default 5)"
    )
    _add_reading_flags(i)
    i.set_defaults(func=cmd_inspect)


def _add_reading_flags(p: argparse.ArgumentParser) -> None:
    """How to read the file, where sniffing is not what the user wants (score, inspect)."""
    p.add_argument(
        "--sep", type=_separator, default=None, help="input separator (default: sniffed)"
    )
    p.add_argument(
        "--decimal",
        type=_separator,
        default=None,
        help="input decimal separator (default: sniffed)",
    )
    p.add_argument("--encoding", default=None, help="input text encoding (default: sniffed)")
    p.add_argument("--sheet", default=None, help="workbook sheet name or 0-based index")
    p.add_argument(
        "--header",
        choices=get_args(Header),
        default="auto",
        help="header layout of the export (default: recognised; Qualtrics, its legacy V1…V10 "
        "layout and SurveyMonkey are)",
    )
    p.add_argument(
        "--header-row",
        type=_whole(1),
        default=None,
        metavar="N",
        help="row of the header in the file or sheet, counted from 1 (default: the first, "
        "or the first below a title block)",
    )


def _followup_help() -> str:
    from . import _yearly

    return _yearly.__doc__ or ""


def cmd_followup(args: argparse.Namespace) -> int:
    from ._yearly import check, run

    if args.check:
        check(Path(args.config))
        return 0
    written = run(Path(args.config))
    for kind, paths in written.items():
        print(f"{kind}: {len(paths)} written" + (f", e.g. {paths[0]}" if paths else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit code (0, or 2 after a one-line error)."""
    try:
        args = build_parser().parse_args(argv)
        problem = args.check_usage(args) if hasattr(args, "check_usage") else None
        if problem:
            args.usage_parser.error(problem)
    except SystemExit as e:  # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else 2
    try:
        with _tables_for(sys.stdout):
            return args.func(args)
    # The reader stopped reading (`lyhord inspect FILE | head`): not an error of the input.
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    # Bad input can surface from the library (LyhordError, ValueError), from polars reading
    # or writing a table, or from the file system; none of it is a bug to show as a trace.
    except (ValueError, pl.exceptions.PolarsError, OSError) as e:
        print(f"lyhord: error: {cli_voice(_describe(e))}", file=sys.stderr)
        return 2


def _tables_for(stdout) -> contextlib.AbstractContextManager:
    """Output the streams' encodings can carry. Where they cannot hold polars' table lines
    or the Swedish words (Windows writing into a file or a pipe in its code page, cp1252),
    tables are drawn in ASCII and what else is missing is printed as "?", rather than the
    command failing on the first table."""
    narrow = False
    for stream in (stdout, sys.stderr):
        try:
            "│┆─╞åäö–≥".encode(getattr(stream, "encoding", None) or "utf-8")
        except (UnicodeEncodeError, LookupError):
            narrow |= stream is stdout
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(errors="replace")
    return pl.Config(tbl_formatting="ASCII_FULL_CONDENSED") if narrow else contextlib.nullcontext()


if __name__ == "__main__":
    sys.exit(main())
