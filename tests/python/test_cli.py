import io
import subprocess
import sys
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest
from conftest import hme_codes
from lyhord import cli
from polars.testing import assert_frame_equal

LYHORD = str(Path(sys.executable).parent / "lyhord")


def run(*args, cwd=None):
    return subprocess.run([LYHORD, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_score_semicolon_export_matches_python_api(tmp_path, staff_2025, suffix):
    export = tmp_path / "export.csv"
    staff_2025.write_csv(export, separator=";")
    out = tmp_path / f"results{suffix}"
    done = run(
        "score", str(export), "--instrument", "hme", "--by", "forvaltning,enhet", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    api = ly.estimate(staff_2025, "hme", by=["forvaltning", "enhet"])
    if suffix == ".csv":
        cli = pl.read_csv(out, schema=api.schema)
    elif suffix == ".parquet":
        cli = pl.read_parquet(out)
    else:
        cli = pl.read_excel(out).cast(api.schema)
    assert_frame_equal(cli, api, check_exact=False, rel_tol=1e-12)


def test_score_reports_bad_input_and_exits_2(tmp_path):
    done = run(
        "score", str(tmp_path / "nope.csv"), "--instrument", "hme", "--out", str(tmp_path / "r.csv")
    )
    assert done.returncode == 2 and "nope.csv: no such file" in done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "enhet;"
        + ";".join(f"hme{i}" for i in range(1, 10))
        + "\nA;"
        + ";".join(["3"] * 8 + ["9"])
        + "\n"
    )
    # By default a value outside the scale becomes missing and is reported; --strict fails.
    done = run("score", str(bad), "--instrument", "hme", "--out", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert "hme9 (hme9): 1 value(s) outside the scale set to missing — 9: 1 (rows 2)" in (
        done.stderr
    )
    strict = run(
        "score", str(bad), "--instrument", "hme", "--strict", "--out", str(tmp_path / "r.csv")
    )
    assert strict.returncode == 2 and "column `hme9` (item hme9), row 2: value 9" in strict.stderr


EXPORTS = Path(__file__).parents[1] / "data" / "exports"
UNIT_COLUMN = {
    "cp1252.csv": "Förvaltning",
    "qualtrics.csv": "Q1",
    "surveymonkey.csv": "Vilken förvaltning arbetar du inom?",
    "xlsx.xlsx": "forvaltning",
    "sav.sav": "forvaltning",
    "parquet.parquet": "forvaltning",
    "utf16.txt": "forvaltning",
}


@pytest.mark.parametrize("kind", sorted(UNIT_COLUMN))
def test_score_accepts_every_export_format(tmp_path, kind):
    out = tmp_path / "r.parquet"
    sheet = ["--sheet", "Svar"] if kind.endswith("xlsx") else []
    export = str(EXPORTS / f"exempelkommun-{kind}")
    by = UNIT_COLUMN[kind]
    done = run("score", export, "--instrument", "epl-staff", "--by", by, "--out", str(out), *sheet)
    assert done.returncode == 0, done.stderr
    table = pl.read_parquet(out).rename({by: "forvaltning"}).sort("forvaltning", "measure")
    reference = ly.estimate(
        ly.read_export(EXPORTS / "exempelkommun-parquet.parquet", "epl-staff").data,
        "epl-staff",
        by=["forvaltning"],
    ).sort("forvaltning", "measure")
    assert_frame_equal(table, reference)


def test_demo_runs(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "Barn- och utbildningsförvaltningen" in done.stdout
    assert (tmp_path / "demo" / "epl-staff_2025.csv").is_file()
    # in Swedish, the whole kommun named (never null), what a förvaltningschef gets written
    assert "│ Hela kommunen" in done.stdout and "null" not in done.stdout
    assert "│ Hela kommunen                      ┆ 75,0           ┆ 77,6" in done.stdout
    demo = tmp_path / "demo"
    assert (demo / "sidor" / "index.html").is_file() and len(list((demo / "sidor").iterdir())) > 100
    for name in (
        "hme_rapport_2025.xlsx",
        "hme_heatmap_2025.png",
        "hme_fordelning_2025.png",
        "hme_forandring_2025.png",
    ):
        assert (demo / name).stat().st_size > 10_000, name


def test_demo_without_the_extras_says_what_it_left_out(tmp_path, capsys, monkeypatch):
    """Installed from the wheel without [excel,plot], the demo still runs: the tables and
    pages are written, and one line names what was left out and the install that gives it."""
    real = cli.find_spec
    absent = {"xlsxwriter", "matplotlib"}
    monkeypatch.setattr(cli, "find_spec", lambda name: None if name in absent else real(name))
    assert cli.main(["demo", "--year", "2024", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "Excel-rapporten och figurerna skrevs inte (xlsxwriter, matplotlib saknas): "
        'pip install "lyhord[excel,plot]"\n'
    ) in out
    assert (tmp_path / "sidor" / "index.html").is_file() and (tmp_path / "hme_2024.csv").is_file()
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.png"))
    assert cli.demo_skipped(["plot"]) == (
        'Figurerna skrevs inte (matplotlib saknas): pip install "lyhord[plot]"'
    )


def test_output_in_a_narrow_code_page_is_ascii_tables_not_a_crash():
    """Windows writing into a file or a pipe uses its code page (cp1252), which has å, ä, ö
    but not polars' table lines: `lyhord demo > log.txt` used to fail on the first table."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252")
    table = pl.DataFrame({"Förvaltning": ["Socialförvaltningen"], "minst ≥ 5": [1.5]})
    with cli._tables_for(out):
        print(table, file=out)
    out.flush()
    text = raw.getvalue().decode("cp1252")
    assert "| Socialförvaltningen |" in text and "minst ? 5" in text and "│" not in text
    assert "│ Socialförvaltningen" in str(table)  # polars' own config is left as it was


# ---- the command line's voice: one line per error, in flag terms ---------------------------


def cli_run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_voice_says_keyword_advice_as_flags():
    said = {
        "pass mapping={column: item} to say which one answers it": "pass --mapping FILE.toml "
        "([columns] table: column = item) to say which one answers it",
        "map it with mapping= if it is": "map it with --mapping FILE.toml ([columns] table: "
        "column = item) if it is",
        "map the label with labels={...}, or leave out strict=True to set": "map the label "
        "with --mapping FILE.toml ([labels] table: label = code), or leave out --strict to set",
        'pass encoding="windows-1252" (or "utf-8")': 'pass --encoding windows-1252 (or "utf-8")',
        "parameter `id`: column": "--id: column",
        "choose another with id=)": "choose another with --id)",
        "(sheet=, names: Svar)": "(--sheet, names: Svar)",
        "header taken from row 3 (header_row=3)": "header taken from row 3 (--header-row 3)",
        "parameter `min_group`: too small": "--min-group: too small",
        # Only the two forms are advice: a column called `id` or a value "id=3" stays.
        "column `id` (item hme1)": "column `id` (item hme1)",
        "ResponseId=3": "ResponseId=3",
        "first line\n  second line": "first line second line",
    }
    assert {message: cli.cli_voice(message) for message in said} == said


def test_library_errors_read_as_flags(capsys, tmp_path, hme_csv):
    path = hme_csv()
    out = tmp_path / "r.csv"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(path.read_bytes().replace(b"Vet ej", b"Vet inte", 1))
    code, stdout, err = cli_run(
        capsys, "score", bad, "--instrument", "hme", "--strict", "--out", out
    )
    assert (code, stdout) == (2, "")
    assert err == (
        f"lyhord: error: {bad}: column `5. Min närmaste chef visar förtroende för mig som "
        'medarbetare` (item hme5), row 2: the answer "Vet inte" is no label of the item\'s '
        "scale. Correct the value, map the label with --mapping FILE.toml ([labels] table: "
        "label = code), or leave out --strict to set such values to missing (the import "
        "report lists them)\n"
    )
    code, _, err = cli_run(
        capsys, "score", path, "--instrument", "hme", "--id", "Svars-ID", "--out", out
    )
    assert (code, err) == (
        2,
        f'lyhord: error: --id: column "Svars-ID" is not in {path}; closest columns: '
        '"Respondent-ID", "Förvaltning", "1. Mitt arbete känns meningsfullt"\n',
    )
    code, _, err = cli_run(
        capsys, "score", path, "--instrument", "hme", "--encoding", "utf-8", "--out", out
    )
    assert code == 2 and err.endswith(
        "is not valid UTF-8; pass the file's encoding as --encoding windows-1252 (or "
        '"utf-8", "utf-16"), or re-save the export as UTF-8\n'
    )
    twice = tmp_path / "twice.csv"
    twice.write_text("hme1;Mitt arbete känns meningsfullt\n1;2\n", encoding="utf-8")
    code, _, err = cli_run(capsys, "score", twice, "--instrument", "hme", "--out", out)
    assert (code, err) == (
        2,
        f'lyhord: error: {twice}: columns "hme1" and "Mitt arbete känns meningsfullt" both '
        'match item hme1 ("Mitt arbete känns meningsfullt"); pass --mapping FILE.toml '
        "([columns] table: column = item) to say which one answers it\n",
    )


def test_undecidable_header_asks_for_the_header_flag(capsys, tmp_path):
    monkey = tmp_path / "monkey.csv"
    monkey.write_bytes(b"RespondentID,CollectorID,hme1\r\n,,\r\n1,6123,5\r\n")
    out = tmp_path / "r.csv"
    code, _, err = cli_run(capsys, "score", monkey, "--instrument", "hme", "--out", out)
    assert code == 2 and err.endswith(
        "Pass --header surveymonkey if row 2 holds the sub-questions, or --header single if "
        "it holds answers\n"
    )
    code, _, err = cli_run(
        capsys, "score", monkey, "--instrument", "hme", "--header", "surveymonkey", "--out", out
    )
    assert "cannot be decided" not in err


def test_estimate_errors_read_as_flags(capsys, tmp_path, hme_csv):
    counts = tmp_path / "antal.csv"
    counts.write_text("Förvaltning;headcount\nKultur;40\n", encoding="utf-8")
    code, _, err = cli_run(
        capsys,
        "score",
        hme_csv(),
        "--instrument",
        "hme",
        "--by",
        "Förvaltning",
        "--headcounts",
        counts,
        "--out",
        tmp_path / "r.csv",
    )
    assert code == 2
    assert err.splitlines()[-1] == (
        "lyhord: error: headcount table: no headcount for unit Förvaltning=Skola; add a row "
        "for it or leave out --headcounts"
    )


@pytest.mark.parametrize(
    "argv, line",
    [
        (["--min-group", "0"], "argument --min-group: must be a whole number ≥ 1, got '0'"),
        (["--min-group", "-3"], "argument --min-group: must be a whole number ≥ 1, got '-3'"),
        (["--min-group", "2.5"], "argument --min-group: must be a whole number ≥ 1, got '2.5'"),
        (
            ["--confidence", "1"],
            "argument --confidence: must be between 0 and 1 (e.g. 0.95), got '1'",
        ),
        (
            ["--confidence", "0"],
            "argument --confidence: must be between 0 and 1 (e.g. 0.95), got '0'",
        ),
        (
            ["--confidence", "95%"],
            "argument --confidence: must be between 0 and 1 (e.g. 0.95), got '95%'",
        ),
        (["--header-row", "0"], "argument --header-row: must be a whole number ≥ 1, got '0'"),
        (["--sep", ";;"], "argument --sep: must be one character (or 'tab'), got ';;'"),
        (
            ["--instrument", "hmex"],
            "argument --instrument: unknown built-in instrument `hmex`; "
            "available: hme, epl-staff, epl-citizen, uk-engagement, enps",
        ),
    ],
)
def test_argparse_checks_ranges_in_one_line(capsys, tmp_path, hme_csv, argv, line):
    path = hme_csv()
    code, out, err = cli_run(
        capsys, "score", path, "--instrument", "hme", "--out", tmp_path / "r.csv", *argv
    )
    assert (code, out, err) == (2, "", f"lyhord: error: {line} (see lyhord score --help)\n")
    assert not (tmp_path / "r.csv").exists()


def test_bad_codebook_is_one_line(capsys, tmp_path, hme_csv):
    codebook = tmp_path / "lokal.toml"
    codebook.write_text('id = "lokal"\n[scale]\n', encoding="utf-8")
    code, _, err = cli_run(
        capsys, "score", hme_csv(), "--instrument", codebook, "--out", tmp_path / "r.csv"
    )
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(
        f"lyhord: error: argument --instrument: instrument {codebook}: cannot parse TOML: "
        "TOML parse error at line 2, column 1 | 2 | [scale] | ^^^^^^^ missing field `min`"
    )


def test_usage_errors_of_every_command_are_one_line(capsys, tmp_path):
    assert cli_run(capsys, "demo", "--year", "2022") == (
        2,
        "",
        "lyhord: error: argument --year: invalid choice: 2022 (choose from 2023, 2024, 2025, "
        "2026) "
        "(see lyhord demo --help)\n",
    )
    code, _, err = cli_run(capsys, "followup")
    assert (code, err) == (
        2,
        "lyhord: error: the following arguments are required: --config "
        "(see lyhord followup --help)\n",
    )
    code, _, err = cli_run(capsys, "nonsense")
    assert code == 2 and err.startswith("lyhord: error: argument command: invalid choice")
    assert err.endswith("(see lyhord --help)\n") and err.count("\n") == 1


def test_paths_directory_or_missing(capsys, tmp_path, hme_csv):
    path = hme_csv()
    folder = tmp_path / "exports"
    folder.mkdir()
    out = tmp_path / "r.csv"
    cases = {
        (folder, "--out", out): f"argument export: {folder}: is a directory, not a file",
        (tmp_path / "nope.csv", "--out", out): (
            f"argument export: {tmp_path / 'nope.csv'}: no such file; check the path"
        ),
        (path, "--headcounts", folder, "--out", out): (
            f"argument --headcounts: {folder}: is a directory, not a file"
        ),
        (path, "--mapping", tmp_path / "m.toml", "--out", out): (
            f"argument --mapping: {tmp_path / 'm.toml'}: no such file; check the path"
        ),
        (path, "--out", folder / "r.txt"): f"argument --out: {folder / 'r.txt'}: use one of "
        ".csv, .xlsx, .parquet",
    }
    for argv, line in cases.items():
        code, _, err = cli_run(capsys, "score", "--instrument", "hme", *argv)
        assert (code, err) == (2, f"lyhord: error: {line} (see lyhord score --help)\n")
    code, _, err = cli_run(capsys, "followup", "--config", folder)
    assert err == (
        f"lyhord: error: argument --config: {folder}: is a directory, not a file "
        "(see lyhord followup --help)\n"
    )


def test_version(capsys):
    assert cli_run(capsys, "--version") == (0, f"lyhord {ly.__version__}\n", "")


@pytest.mark.parametrize("command", [[], ["demo"], ["score"]])
def test_help_has_examples_and_no_markup(capsys, command):
    code, out, _ = cli_run(capsys, *command, "--help")
    assert code == 0
    head = " ".join(["lyhord", *command])
    assert f"\nexamples:\n  {head} " in out
    for markup in ("``", ":func:", ":class:", ":data:"):
        assert markup not in out


def test_unreadable_inputs_are_one_line_not_a_traceback(capsys, tmp_path, hme_csv):
    path = hme_csv()
    workbook = tmp_path / "antal.xlsx"
    workbook.write_bytes(b"not a zip")
    code, _, err = cli_run(
        capsys,
        "score",
        path,
        "--instrument",
        "hme",
        "--headcounts",
        workbook,
        "--out",
        tmp_path / "r.csv",
    )
    # The import's notes come first; then the error, alone on its line.
    errors = [line for line in err.splitlines() if not line.startswith("import: ")]
    assert code == 2 and len(errors) == 1
    # Read by the export readers (as ly.read_table reads it): the file and what it is not.
    assert errors[0].startswith(f"lyhord: error: {workbook}: cannot open as a workbook: ")
    assert "not a CSV renamed .xlsx" in errors[0]
    ragged = tmp_path / "antal.csv"
    ragged.write_text('Förvaltning,headcount\n"Kultur,12\n', encoding="utf-8")
    code, _, err = cli_run(
        capsys,
        "score",
        path,
        "--instrument",
        "hme",
        "--by",
        "Förvaltning",
        "--headcounts",
        ragged,
        "--out",
        tmp_path / "r.csv",
    )
    errors = [line for line in err.splitlines() if not line.startswith("import: ")]
    assert code == 2 and len(errors) == 1
    assert errors[0] == (
        f"lyhord: error: {ragged}: line 2: a quoted field is never closed "
        '(missing " before the end of the file)'
    )
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli_run(capsys, "score", path, "--instrument", "hme", "--out", blocker / "r.csv")
    assert (code, err) == (
        2,
        f"lyhord: error: argument --out: {blocker / 'r.csv'}: {blocker} is a file, not a "
        "folder (see lyhord score --help)\n",
    )


def test_os_errors_are_described_by_path():
    assert cli._describe(IsADirectoryError(21, "Is a directory", "out")) == (
        "out: is a directory, not a file"
    )
    assert cli._describe(PermissionError(13, "Permission denied", "/srv/r.csv")) == (
        "/srv/r.csv: permission denied"
    )
    # mkdir(exist_ok=True) says "File exists" when a file is where the folder would be.
    assert cli._describe(FileExistsError(17, "File exists", "lyhord-demo")) == (
        "lyhord-demo: is a file, not a folder"
    )
    assert cli._describe(OSError(28, "No space left on device", "r.csv")) == (
        "r.csv: No space left on device"
    )


# ---- exports shaped as tools write them ----------------------------------------------------


def test_score_numbered_cp1252_export_with_title_block(capsys, tmp_path, hme_csv):
    path = hme_csv(title=[["Medarbetarenkät 2025"], []])
    out = tmp_path / "r.parquet"
    code, stdout, err = cli_run(
        capsys,
        "score",
        path,
        "--instrument",
        "HME",
        "--by",
        "Förvaltning",
        "--min-group",
        "3",
        "--out",
        out,
    )
    assert code == 0, err
    assert stdout == f"{out}: 39 rows (6 suppressed) for 12 respondents, instrument hme\n"
    lines = err.splitlines()
    assert lines[:3] == [
        "import: note: header taken from row 3; rows 1–2 are a title block",
        "import: note: respondent id column: 'Respondent-ID' (recognised by its name; "
        "choose another with --id)",
        "import: note: question number '1.' left off column '1. Mitt arbete känns "
        "meningsfullt' to match the text of item hme1",
    ]
    assert len(lines) == 11
    expected = ly.estimate(hme_codes(), "hme", by=["Förvaltning"], min_group=3)
    assert_frame_equal(pl.read_parquet(out), expected)


def test_score_header_row_and_no_item_error(capsys, tmp_path, hme_csv):
    path = hme_csv(title=[["Medarbetarenkät 2025", "Exempelkommun"], ["Uttag 2025-03-01"]])
    out = tmp_path / "r.csv"
    code, _, err = cli_run(capsys, "score", path, "--instrument", "hme", "--out", out)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(
        f"lyhord: error: {path}: no column answers any item of instrument hme; the columns "
        'found (header row 1) are "Medarbetarenkät 2025", "Exempelkommun", "column_3", '
    )
    assert err.endswith(
        '"column_11". If the header is on another row, pass --header-row with its 1-based '
        "row number; else name the columns by item id or item text, or pass --mapping "
        "FILE.toml ([columns] table: column = item)\n"
    )
    code, _, err = cli_run(
        capsys, "score", path, "--instrument", "hme", "--header-row", "3", "--out", out
    )
    assert code == 0, err
    assert err.splitlines()[0] == (
        "import: note: header taken from row 3 (--header-row 3); rows 1–2 are left out"
    )
    expected = ly.estimate(hme_codes(), "hme")
    assert_frame_equal(pl.read_csv(out, schema=expected.schema), expected)


def test_score_workbook_with_title_block(capsys, tmp_path, hme_xlsx):
    out = tmp_path / "r.csv"
    code, _, err = cli_run(
        capsys, "score", hme_xlsx(), "--instrument", "hme", "--sheet", "Svar", "--out", out
    )
    assert code == 0, err
    assert "import: note: question number 'Fråga 1:' left off column 'Fråga 1: Mitt arbete " in err
    expected = ly.estimate(hme_codes(), "hme")
    assert_frame_equal(pl.read_csv(out, schema=expected.schema), expected)
