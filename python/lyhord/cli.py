"""The ``lyhord`` command: ``lyhord demo``, ``lyhord score EXPORT ...`` and
``lyhord followup --config followup.toml``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from . import _api
from ._import import read_export
from ._lyhord import LyhordError
from .datasets import example_data, headcounts

OUT_FORMATS = (".csv", ".xlsx", ".parquet")


def sniff_separator(path: Path) -> str:
    """The most frequent of ``;``, ``,`` and tab on the header line."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda s: counts[s])


def read_table(
    path: Path, separator: str | None = None, sheet: str | int | None = None
) -> pl.DataFrame:
    """Reads a CSV/TSV (separator sniffed), Parquet or Excel file, naming the file on failure.
    ``sheet``: a workbook's sheet name or 0-based index (default the first)."""
    if not path.is_file():
        raise LyhordError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".xlsx", ".xls", ".ods"):
            _require("fastexcel", "reading Excel files")
            if isinstance(sheet, int):
                return pl.read_excel(path, sheet_id=sheet + 1)
            return pl.read_excel(path, sheet_name=sheet) if sheet else pl.read_excel(path)
        sep = separator or sniff_separator(path)
        return pl.read_csv(path, separator=sep, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise LyhordError(f"{path}: cannot read as a table: {e}") from e


def write_table(table: pl.DataFrame, out: Path, separator: str = ",") -> None:
    suffix = out.suffix.lower()
    if suffix not in OUT_FORMATS:
        raise LyhordError(f"--out {out}: use one of {', '.join(OUT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.write_csv(out, separator=separator)
    elif suffix == ".parquet":
        table.write_parquet(out)
    else:
        _require("xlsxwriter", "writing .xlsx")
        table.write_excel(out, worksheet="lyhord")


def _require(module: str, purpose: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise LyhordError(
            f"{purpose} needs the `{module}` package: pip install 'lyhord[excel]'"
        ) from None


def split_by(values: list[str]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def cmd_score(args: argparse.Namespace) -> int:
    inst = _api.resolve_instrument(args.instrument)
    sheet = int(args.sheet) if args.sheet and args.sheet.isdigit() else args.sheet
    answers, report = read_export(
        Path(args.export),
        inst,
        args.mapping,
        id=args.id,
        strict=args.strict,
        sheet=sheet,
        encoding=args.encoding,
        delimiter=args.sep,
    )
    for problem in report.problems():
        print(f"import: {problem}", file=sys.stderr)
    hc = read_table(Path(args.headcounts)) if args.headcounts else None
    table = _api.estimate(
        answers,
        inst,
        by=split_by(args.by),
        min_group=args.min_group,
        confidence=args.confidence,
        weights=args.weights,
        headcounts=hc,
    )
    write_table(table, Path(args.out), args.out_sep)
    suppressed = table["suppressed"].sum()
    print(
        f"{args.out}: {table.height} rows ({suppressed} suppressed) "
        f"for {answers.height} respondents, instrument {inst.id}"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    answers = example_data("staff", year=args.year)
    hc = headcounts(year=args.year)
    export = out / f"exempelkommun_staff_{args.year}.csv"
    answers.write_csv(export, separator=";")
    print(
        f"Exempelkommun staff survey {args.year}: {answers.height} respondents, "
        f"{answers['enhet'].n_unique()} enheter -> {export}"
    )
    for name in ("epl-staff", "hme"):
        inst = _api.resolve_instrument(name)
        table = _api.estimate(answers, inst, by=["forvaltning", "enhet"], headcounts=hc)
        path = out / f"{inst.id}_{args.year}.csv"
        write_table(table, path)
        top = table.filter((pl.col("level") <= 1) & (pl.col("kind") != "item"))
        wide = top.pivot(
            on="measure", index=["level", "forvaltning"], values="mean", aggregate_function=None
        )
        n_supp = table.filter(pl.col("level") == 2)["suppressed"].sum()
        print(
            f"\n{inst.name} ({inst.id}), mean 0–100 by förvaltning "
            f"[{n_supp} unit cells suppressed, min_group {inst.min_group}] -> {path}"
        )
        with pl.Config(
            tbl_rows=20,
            tbl_cols=10,
            fmt_str_lengths=45,
            tbl_hide_dataframe_shape=True,
            float_precision=1,
            tbl_hide_column_data_types=True,
        ):
            print(wide.drop("level"))
        if inst.id == "epl-staff":
            _demo_heatmap(table, out / f"epl_heatmap_{args.year}.png")
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
    print(f"\nCoded interviews 2025: {n} interviews -> {qdpx}; scores -> {path}")
    wide = scores.filter(pl.col("dimension").is_not_null()).pivot(
        on="dimension", index="forvaltning", values="score", aggregate_function=None
    )
    with pl.Config(
        tbl_hide_dataframe_shape=True, float_precision=1, tbl_hide_column_data_types=True
    ):
        print(wide)


def _demo_heatmap(table: pl.DataFrame, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from .plot import heatmap
    except ImportError:
        return
    ax = heatmap(table, level=2, label="enhet")
    ax.figure.savefig(path, dpi=110, bbox_inches="tight")
    print(f"heatmap -> {path}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lyhord",
        description="Engagement / participation / learning index from survey answers.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="score the bundled Exempelkommun example and print the tables")
    d.add_argument("--year", type=int, default=2025, choices=(2024, 2025))
    d.add_argument("--out", default="lyhord-demo", help="output folder (default: lyhord-demo)")
    d.set_defaults(func=cmd_demo)
    s = sub.add_parser("score", help="score an export and write grouped, suppressed estimates")
    s.add_argument(
        "export",
        help="survey export: CSV/TSV (encoding, delimiter, decimal comma and Qualtrics / "
        "SurveyMonkey headers sniffed), .xlsx/.xls/.ods, SPSS .sav or .parquet; columns are "
        "matched to items by id or item text, answers may be codes or labels",
    )
    s.add_argument(
        "--instrument",
        required=True,
        help="built-in name (hme, epl-staff, epl-citizen, uk-engagement) or a .toml codebook",
    )
    s.add_argument(
        "--by",
        action="append",
        default=[],
        help="grouping column(s), top level first; repeat or comma-separate",
    )
    s.add_argument("--out", required=True, help="results file: .csv, .xlsx or .parquet")
    s.add_argument(
        "--min-group", type=int, default=None, help="minimum group size (default: the instrument's)"
    )
    s.add_argument("--confidence", type=float, default=0.95)
    s.add_argument("--weights", default=None, help="column of positive weights")
    s.add_argument(
        "--headcounts",
        default=None,
        help="table of headcount per unit (the --by columns + headcount)",
    )
    s.add_argument("--sep", default=None, help="input separator (default: sniffed)")
    s.add_argument("--encoding", default=None, help="input text encoding (default: sniffed)")
    s.add_argument("--sheet", default=None, help="workbook sheet name or 0-based index")
    s.add_argument(
        "--mapping", default=None, help="TOML file: [columns] column = item, [labels] label = code"
    )
    s.add_argument("--id", default=None, help="respondent id column (checked for duplicates)")
    s.add_argument(
        "--strict",
        action="store_true",
        help="fail on values outside the scale or unknown labels (default: missing, reported)",
    )
    s.add_argument("--out-sep", default=",", help="separator of a .csv output (default ,)")
    s.set_defaults(func=cmd_score)
    f = sub.add_parser(
        "followup",
        help="the yearly run: estimates per wave, change, trend, targets, figures, HTML",
        description=_followup_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    f.add_argument("--config", required=True, help="follow-up config (TOML), see above")
    f.add_argument(
        "--check",
        action="store_true",
        help="check the config (keys, types, files) without reading any answers",
    )
    f.set_defaults(func=cmd_followup)
    return p


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
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LyhordError as e:
        print(f"lyhord: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
