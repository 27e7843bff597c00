"""ly.read_table and `lyhord inspect`: any export opened without an instrument.

References: the generator's own answers (``lyhord._exports.example_answers``) for the
Exempelkommun exports in every tool's layout (tests/data/exports), pyreadstat 1.3
(ReadStat) value by value for SPSS files other tools wrote (tests/data/sav, as in
test_import_sav.py), polars' own Parquet reader for Parquet.
"""

from __future__ import annotations

from pathlib import Path

import lyhord as ly
import polars as pl
import pytest
from lyhord._exports import example_answers
from lyhord.cli import main
from polars.testing import assert_frame_equal

DATA = Path(__file__).parents[1] / "data"
EXPORTS = DATA / "exports"
SAV = DATA / "sav"
# Layout → the respondent id column the tool writes and the name the report gives it.
LAYOUTS = {
    "qualtrics": ("ResponseId", "qualtrics (3 header rows)"),
    "qualtrics-2017": (
        "ResponseID",
        "qualtrics (3 header rows, 2016–17 ImportIds in single quotes)",
    ),
    "qualtrics-legacy": ("ResponseID", "qualtrics (legacy V-columns)"),
    "surveymonkey": ("Respondent ID", "surveymonkey (2 header rows)"),
    "surveymonkey-2015": (
        "RespondentID",
        "surveymonkey (older RespondentID layout, 2 header rows)",
    ),
    "qualtrics-xlsx": ("ResponseId", "qualtrics (3 header rows)"),
}


def export(kind: str) -> Path:
    return next(EXPORTS.glob(f"exempelkommun-{kind}.*"))


@pytest.fixture(scope="module")
def answers() -> pl.DataFrame:
    return example_answers(300)


@pytest.mark.parametrize("kind", sorted(LAYOUTS))
def test_tool_layouts_read_without_an_instrument(kind, answers):
    id_column, layout = LAYOUTS[kind]
    data, report = ly.read_table(export(kind))
    assert report.source.header == layout
    # Header rows are not data: 300 respondents, the generator's ids in order.
    assert report.rows == data.height == 300
    assert data[id_column].to_list() == answers["respondent_id"].to_list()
    # The question text of each column is its label (Qualtrics' 2nd row, SurveyMonkey's 1st).
    labelled = report.columns.filter(pl.col("label").is_not_null())
    assert labelled.height >= 14
    assert report.columns["n_valid"].sum() + report.columns["n_missing"].sum() == (300 * data.width)


def test_cp1252_export_columns_as_the_file_has_them(answers):
    data, report = ly.read_table(export("cp1252"))
    s = report.source
    assert (s.format, s.encoding, s.delimiter, s.decimal) == ("csv", "windows-1252", '";"', ",")
    assert data["Respondent"].to_list() == answers["respondent_id"].to_list()
    # Background columns keep their text (å, ä, ö decoded), nothing is mapped.
    assert data["Förvaltning"].to_list() == answers["forvaltning"].to_list()
    assert report.columns["column"].to_list() == data.columns


@pytest.mark.parametrize(
    "name",
    [
        "pyreadstat-features.sav",
        "pyreadstat-features.zsav",
        "pyreadstat-sample.sav",
        "pyreadstat-sample_missing.sav",
        "haven-iris.sav",
    ],
)
def test_every_sav_column_matches_pyreadstat(name):
    from test_import_sav import expected_value

    pyreadstat = pytest.importorskip("pyreadstat")
    path = SAV / name
    frame, meta = pyreadstat.read_sav(str(path), user_missing=False)
    data, report = ly.read_table(path)
    assert data.columns == list(frame.columns)
    rows = {r["column"]: r for r in report.columns.iter_rows(named=True)}
    for column in frame.columns:
        labels = meta.variable_value_labels.get(column)
        ours = data[column]
        fmt = meta.original_variable_types[column]
        assert ours.to_list() == [expected_value(v, fmt, labels, ours.dtype) for v in frame[column]]
        assert rows[column]["label"] == meta.column_names_to_labels[column]
        assert rows[column]["format"] == fmt
        assert rows[column]["n_missing"] == ours.null_count()
    assert report.source.header == "spss dictionary"


def test_sav_labels_and_missing_codes_reported():
    data, report = ly.read_table(SAV / "pyreadstat-features.sav")
    declared = report.columns.filter(pl.col("user_missing").is_not_null())
    assert declared.height > 0
    assert (declared["n_user_missing"] >= 0).all()
    assert report.value_labels
    notes = " ".join(report.notes())
    assert "value labels applied" in notes or "codes kept" in notes


def test_parquet_is_read_as_polars_reads_it(tmp_path):
    frame = pl.DataFrame({"enhet": ["A", "B", None], "svar": [4, None, 2]})
    path = tmp_path / "svar.parquet"
    frame.write_parquet(path)
    data, report = ly.read_table(path)
    assert_frame_equal(data, pl.read_parquet(path))
    assert report.source.format == "parquet"
    assert report.columns.select("column", "n_valid", "n_missing").rows() == [
        ("enhet", 2, 1),
        ("svar", 2, 1),
    ]


def test_empty_rows_are_kept_and_counted(tmp_path):
    path = tmp_path / "svar.csv"
    path.write_text("enhet,q1\nA,4\n,\nB,5\n", encoding="utf-8")
    data, report = ly.read_table(path)
    assert data.height == report.rows == 3
    assert (report.n_empty_rows, report.empty_rows) == (1, [3])
    assert report.notes() == ["1 empty row(s), kept: [3]"]


def test_input_file_is_not_modified(tmp_path):
    path = tmp_path / "svar.csv"
    path.write_bytes(b"enhet;q1\nA;4,5\n")
    before = path.read_bytes()
    data, _ = ly.read_table(path)
    assert data["q1"].to_list() == [4.5]
    assert path.read_bytes() == before


def test_bad_input_names_the_file_or_keyword(tmp_path):
    with pytest.raises(ly.DataError, match="nope.csv: no such file"):
        ly.read_table(tmp_path / "nope.csv")
    with pytest.raises(ly.ArgumentTypeError, match="path must be a file path"):
        ly.read_table(pl.DataFrame({"a": [1]}))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ly.DataError, match="empty.csv: the file is empty"):
        ly.read_table(empty)
    ok = tmp_path / "ok.csv"
    ok.write_text("a,b\n1,2\n")
    with pytest.raises(ly.LyhordError, match="delimiter"):
        ly.read_table(ok, delimiter=";;")


def test_inspect_prints_layout_columns_and_rows(capsys):
    assert main(["inspect", str(export("qualtrics")), "--rows", "2"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(str(export("qualtrics")))
    assert "header: qualtrics (3 header rows)" in first
    assert "300 rows × " in out
    assert "first 2 rows:" in out
    assert "ResponseId" in out


def test_inspect_sav_shows_the_dictionary(capsys):
    assert main(["inspect", str(SAV / "pyreadstat-features.sav"), "--rows", "0"]) == 0
    out = capsys.readouterr().out
    assert "spss dictionary" in out
    # One line per column, the dictionary's format, labels and missing codes below it.
    assert "  kon (enum): 5 valid, 1 missing — Kön" in out
    assert "      A1, nominal, labels " in out and "(an Enum), missing 'X' (1 set to null)" in out
    assert "first" not in out


def test_inspect_errors_speak_in_flags(tmp_path, capsys):
    ok = tmp_path / "ok.csv"
    ok.write_text("a,b\n1,2\n")
    assert main(["inspect", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lyhord: error: argument file:") and "nope.csv" in err
    assert main(["inspect", str(ok), "--header-row", "7"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lyhord: error: ") and "\n" not in err
    assert "header_row=" not in err
