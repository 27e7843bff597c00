"""ly.read_export: every export format and dialect, the import report, bad input.

Reference for the scores: the generator's own data (`lyhord._exports.example_answers`)
scored directly; every fixture under tests/data/exports must give identical scores. The
.sav files are cross-checked against pyreadstat (ReadStat, an independent reader/writer).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest
from conftest import hme_codes
from hypothesis import given, settings
from hypothesis import strategies as st
from lyhord._exports import example_answers
from polars.testing import assert_frame_equal

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
INST = "epl-staff"
MEASURES = ["engagement", "participation", "learning", "epl"]
ID_OF = {
    "cp1252": "Respondent",
    "qualtrics": "ResponseId",
    "qualtrics-2017": "ResponseID",
    "qualtrics-legacy": "ResponseID",
    "qualtrics-xlsx": "ResponseId",
    "surveymonkey": "Respondent ID",
    "surveymonkey-2015": "RespondentID",
    "surveymonkey-xlsx": "Respondent ID",
}
# Each survey tool's layouts and the name the import report gives them.
LAYOUTS = {
    "qualtrics": "qualtrics (3 header rows)",
    "qualtrics-2017": "qualtrics (3 header rows, 2016–17 ImportIds in single quotes)",
    "qualtrics-legacy": "qualtrics (legacy V-columns)",
    "qualtrics-xlsx": "qualtrics (3 header rows)",
    "surveymonkey": "surveymonkey (2 header rows)",
    "surveymonkey-2015": "surveymonkey (older RespondentID layout, 2 header rows)",
    "surveymonkey-xlsx": "surveymonkey (2 header rows)",
}


INST_ONE = ly.Instrument.from_toml_str(
    """
id = "one"
name = { sv = "Ett item" }
[scale]
min = 1
max = 5
positive = [4, 5]
dont_know = [6]
labels = [{ code = 5, sv = "Stämmer helt", en = "Strongly agree" }, { code = 6, sv = "Vet ej" }]
[index]
id = "index"
label = { sv = "Index" }
rule = "mean_of_items"
min_answered = 1
[[items]]
id = "eng1"
text = { sv = "Jag känner mig engagerad i mitt arbete", en = "I feel engaged in my work" }
"""
)


def fixture(kind: str) -> Path:
    return next(EXPORTS.glob(f"exempelkommun-{kind}.*"))


def fixture_kind(path: Path) -> str:
    return path.stem.removeprefix("exempelkommun-")


def scores_by_respondent(data: pl.DataFrame, id_column: str) -> pl.DataFrame:
    scored = ly.score(data.rename({id_column: "rid"}), INST)
    return scored.select("rid", *MEASURES).sort("rid")


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return scores_by_respondent(example_answers(300), "respondent_id")


@pytest.mark.parametrize("kind", ["cp1252", *LAYOUTS, "xlsx", "sav", "parquet", "utf16"])
def test_every_export_gives_identical_scores(kind, reference):
    data, report = ly.read_export(fixture(kind), INST, sheet="Svar" if kind == "xlsx" else None)
    assert report.rows_read == report.rows_kept == 300
    assert report.items().height == 14
    assert report.problems() == []
    assert_frame_equal(scores_by_respondent(data, ID_OF.get(kind, "respondent_id")), reference)


def test_text_fixtures_are_what_the_generator_writes(tmp_path):
    fresh = ly.write_example_exports(tmp_path)
    text_kinds = [k for k in fresh if fresh[k].suffix in (".csv", ".txt")]
    assert len(text_kinds) == 8
    for kind in text_kinds:
        assert fresh[kind].read_bytes() == fixture(kind).read_bytes(), kind
    # Every fixture is one the generator writes.
    assert {fixture_kind(p) for p in EXPORTS.glob("exempelkommun-*")} == set(fresh)


@pytest.mark.parametrize("kind", sorted(LAYOUTS))
def test_tool_layout_is_named_in_the_report(kind):
    data, report = ly.read_export(fixture(kind), INST)
    assert report.source["header"] == LAYOUTS[kind]
    # No header row is left among the answers.
    assert (report.rows_read, data.height) == (300, 300)
    assert data[ID_OF[kind]][0] == "EK25-00001"
    eng1 = report.columns.filter(pl.col("item") == "eng1").row(0, named=True)
    assert eng1["matched_by"] == "text" and eng1["question"]


def test_undecidable_header_asks_for_header(tmp_path):
    # SurveyMonkey's first columns, then a row blank under the respondent id that has no
    # sub-question: the question row or an answer without its id?
    path = write(tmp_path, "m.csv", b"RespondentID,CollectorID,eng1\r\n,6123,4\r\n1,6123,5\r\n")
    message = r'm\.csv: the header layout cannot be decided: .*Pass header="surveymonkey"'
    with pytest.raises(ly.DataError, match=message):
        ly.read_export(path, INST_ONE)
    data, report = ly.read_export(path, INST_ONE, header="single")
    assert data["eng1"].to_list() == [4, 5]
    # A blank second row is as undecidable; said to be the sub-question row, it is one.
    path = write(tmp_path, "b.csv", b"RespondentID,CollectorID,eng1\r\n,,\r\n1,6123,5\r\n")
    with pytest.raises(ly.DataError, match="cannot be decided"):
        ly.read_export(path, INST_ONE)
    data, report = ly.read_export(path, INST_ONE, header="surveymonkey")
    assert report.source["header"].startswith("surveymonkey (older")
    assert data["eng1"].to_list() == [5]
    legacy = b"V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,eng1\r\n" + b"x," * 10 + b"4\r\n"
    path = write(tmp_path, "l.csv", legacy + b"R_1dA8bC9eF0gH1iJ," * 10 + b"5\r\n")
    with pytest.raises(ly.DataError, match='Pass header="qualtrics-legacy" if row 2 holds'):
        ly.read_export(path, INST_ONE)
    data, report = ly.read_export(path, INST_ONE, header="qualtrics-legacy")
    assert report.source["header"] == "qualtrics (legacy V-columns)"
    assert data.columns[:2] == ["x", "x (2)"] and data["eng1"].to_list() == [5]


def test_cp1252_dialect_is_sniffed_and_background_kept():
    data, report = ly.read_export(fixture("cp1252"), INST)
    assert report.source["encoding"] == "windows-1252"
    assert report.source["delimiter"] == '";"'
    assert report.source["decimal"] == ","
    # Swedish headers decoded, decimal comma read as numbers, free text untouched.
    assert data["Sysselsättningsgrad"].to_list()[:4] == [1.0, 0.75, 0.5, 0.8]
    assert data["Förvaltning"][0] == "Socialförvaltningen"
    comment = 'Bra chef; men "stressigt" ibland.\nMer tid för planering behövs.'
    assert data["Övriga synpunkter"][0] == comment
    assert set(report.items()["matched_by"]) == {"text"}
    # Answers were labels: 3,851 valid + 133 "vet ej" mapped through the value labels.
    assert report.items()["n_labels_mapped"].sum() == 3851 + 133


def test_qualtrics_and_surveymonkey_headers_are_flattened():
    _, q = ly.read_export(fixture("qualtrics"), INST)
    assert q.source["header"].startswith("qualtrics")
    row = q.columns.filter(pl.col("column") == "Q3_1").row(0, named=True)
    assert row["item"] == "eng1"
    assert row["question"].endswith("- I feel engaged in my work")
    assert q.id_column == "ResponseId"
    _, m = ly.read_export(fixture("surveymonkey"), INST)
    assert m.source["header"].startswith("surveymonkey")
    names = m.columns["column"].to_list()
    assert "Vilken enhet arbetar du på?" in names
    eng1 = m.columns.filter(pl.col("item") == "eng1")["column"][0]
    assert eng1.endswith(" - Jag känner mig engagerad i mitt arbete")


def test_sav_labels_and_user_missing_codes():
    data, report = ly.read_export(fixture("sav"), INST)
    f1 = report.columns.filter(pl.col("column") == "F1").row(0, named=True)
    # F1 (eng1) in the generator's data: 11 no answer (written as 9, user-missing) and
    # "vet ej" 6 (user-missing in SPSS, "don't know" in the instrument, so kept as 6).
    base = example_answers(300)["eng1"]
    assert f1["n_user_missing"] == base.is_null().sum() == 11
    assert f1["n_dont_know"] == (base == 6).sum()
    assert data["eng1"].to_list() == base.to_list()


def test_sav_matches_pyreadstat():
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, meta = pyreadstat.read_sav(str(fixture("sav")), user_missing=True)
    data, _ = ly.read_export(fixture("sav"), INST)
    assert meta.column_labels[6] == "Jag känner mig engagerad i mitt arbete"
    assert meta.variable_value_labels["F1"][9.0] == "Ej svar"
    assert meta.missing_ranges["F1"] == [{"lo": 6.0, "hi": 6.0}, {"lo": 9.0, "hi": 9.0}]
    ours = data["enhet"].to_list()
    assert ours == frame["enhet"].tolist()
    theirs = pl.from_pandas(frame[["F1", "F14"]]).cast(pl.Int64)
    assert theirs["F1"].replace(9, None).to_list() == data["eng1"].to_list()


def test_reads_sav_written_by_pyreadstat(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    pd = pytest.importorskip("pandas")
    long_text = "Lång kommentar. " * 40  # 640 bytes: a "very long string" in SPSS terms
    df = pd.DataFrame({"eng1": [5.0, 6.0, 99.0, 2.0], "kommentar": [long_text, "kort", "", "å"]})
    path = tmp_path / "pyreadstat.sav"
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels={"eng1": "Jag känner mig engagerad i mitt arbete"},
        missing_ranges={"eng1": [{"lo": 90.0, "hi": 99.0}]},
    )
    data, report = ly.read_export(path, INST_ONE)
    assert data["eng1"].to_list() == [5, 6, None, 2]
    assert data["kommentar"].to_list() == [long_text.rstrip(), "kort", None, "å"]
    eng1 = report.columns.filter(pl.col("item") == "eng1").row(0, named=True)
    assert (eng1["n_user_missing"], eng1["n_dont_know"]) == (1, 1)


def test_problem_file_report():
    with pytest.raises(ly.DataError, match=r"eng1 .*column \"Jag känner mig engagerad i arbetet\""):
        ly.read_export(fixture("problems"), INST)
    data, report = ly.read_export(
        fixture("problems"), INST, mapping={"Jag känner mig engagerad i arbetet": "eng1"}
    )
    # 40 respondents + a repeated row + an empty row written by the generator.
    assert (report.rows_read, report.rows_kept, report.empty_rows) == (42, 41, [23])
    assert report.n_duplicate_rows == 1
    assert report.duplicate_ids.row(0) == ("EK25-00012", 2, [13, 43])
    assert report.straightliners == [11]
    cols = report.columns
    eng3 = cols.filter(pl.col("item") == "eng3").row(0, named=True)
    assert (eng3["n_out_of_range"], eng3["out_of_range"]) == (1, "7: 1 (rows 7)")
    eng2 = cols.filter(pl.col("item") == "eng2").row(0, named=True)
    assert eng2["unknown_labels"] == "Instämmer delvis: 1 (rows 10)"
    assert data["eng3"][5] is None and data["eng2"][8] is None
    assert cols.filter(pl.col("item") == "eng1")["matched_by"][0] == "mapping"
    text = repr(report)
    assert "41 kept" in text and "Instämmer delvis" in text
    # An extra label fixes the unknown one.
    _, fixed = ly.read_export(
        fixture("problems"),
        INST,
        mapping={"Jag känner mig engagerad i arbetet": "eng1"},
        labels={"Instämmer delvis": 3},
    )
    assert fixed.columns.filter(pl.col("item") == "eng2")["n_unknown_label"][0] == 0


def test_strict_mode_names_column_and_row():
    with pytest.raises(ly.DataError, match=r"column `eng2` \(item eng2\), row 10: the answer"):
        ly.read_export(
            fixture("problems"),
            INST,
            mapping={"Jag känner mig engagerad i arbetet": "eng1"},
            strict=True,
        )


def test_mapping_from_toml_and_near_miss_report(tmp_path):
    toml = tmp_path / "mapping.toml"
    toml.write_text('[columns]\n"Fråga 1" = "eng1"\n[labels]\n"Instämmer helt" = 5\n')
    raw = pl.DataFrame({"Fråga 1": ["Instämmer helt", "5"], "Jag känner mig engagerad": [1, 2]})
    data, report = ly.read_export(raw, INST_ONE, toml)
    assert data["eng1"].to_list() == [5, 5]
    assert report.near_misses.is_empty()
    raw2 = pl.DataFrame({"eng1": [1], "Jag känner mig engagerad i mitt arbetet": ["x"]})
    _, r2 = ly.read_export(raw2, INST_ONE)
    assert r2.near_misses.row(0)[:2] == ("Jag känner mig engagerad i mitt arbetet", "eng1")
    assert r2.columns.filter(pl.col("column") != "eng1")["role"][0] == "unmapped"


def test_two_columns_for_one_item_is_an_error():
    raw = pl.DataFrame({"eng1": [1], "Jag känner mig engagerad i mitt arbete": [2]})
    with pytest.raises(
        ly.DataError, match=r"columns \"eng1\" and \"Jag känner .*both match item eng1"
    ):
        ly.read_export(raw, INST_ONE)
    raw = pl.DataFrame(
        {"I feel engaged in my work": [1], "jag känner mig engagerad i mitt arbete": [2]}
    )
    with pytest.raises(ly.DataError, match="both match item eng1"):
        ly.read_export(raw, INST_ONE)
    same_id = pl.DataFrame({"eng1": [1], "ENG1": [2]})
    with pytest.raises(ly.DataError, match=r"columns \"eng1\" and \"ENG1\" both match item eng1"):
        ly.read_export(same_id, INST_ONE)
    # Mapping one of them settles it; the other is kept as a background column.
    data, report = ly.read_export(raw, INST_ONE, {"I feel engaged in my work": "eng1"})
    assert data["eng1"].to_list() == [1]
    assert data["jag känner mig engagerad i mitt arbete"].to_list() == [2]


def test_pandas_and_lazy_frames():
    pd = pytest.importorskip("pandas")
    raw = pd.DataFrame({"id": [1, 2, 3], "eng1": ["Strongly agree", None, "vet ej "]})
    data, _ = ly.read_export(raw, INST_ONE)
    assert data["eng1"].to_list() == [5, None, 6]
    data, _ = ly.read_export(pl.LazyFrame({"eng1": [1, 2]}), INST_ONE)
    assert data["eng1"].to_list() == [1, 2]


def test_input_frame_is_not_modified():
    raw = pl.DataFrame({"id": ["a", "b"], "eng1": ["Stämmer helt", "9"]})
    before = raw.clone()
    ly.read_export(raw, INST_ONE)
    assert_frame_equal(raw, before)


# ---- bad input: each a lyhord.DataError naming the file and the place -------------------


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", r"empty\.csv: the file is empty"),
        ("blank.csv", b"\r\n\r\n", r"blank\.csv: the file is empty"),
        ("header.csv", b"id;eng1\r\n", r"header\.csv: only the header"),
        ("ragged.csv", b"id;eng1\n1;2\n2;3;4\n", r"ragged\.csv: line 3 has 3 field\(s\)"),
        ("quote.csv", b'id;eng1\n1;"2\n', r"quote\.csv: line 2: a quoted field is never closed"),
        ("garbage.csv", bytes(range(256)) * 4, r"garbage\.csv: byte 0 is a NUL byte"),
        ("garbage.sav", b"\x00\x01binary", r"garbage\.sav: not an SPSS system file"),
        ("notzip.xlsx", b"id;eng1\n1;2\n", r"notzip\.xlsx: cannot open as a workbook"),
        ("export.pdf", b"%PDF", r"unknown export format \.pdf"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(ly.DataError, match=message):
        ly.read_export(write(tmp_path, name, content), INST_ONE)


def test_missing_file_and_wrong_encoding(tmp_path):
    with pytest.raises(ly.DataError, match=r"nosuch\.csv: no such file"):
        ly.read_export(tmp_path / "nosuch.csv", INST_ONE)
    with pytest.raises(ly.DataError, match=r"line 1 \(byte 11\) is not valid UTF-8"):
        ly.read_export(fixture("cp1252"), INST, encoding="utf-8")
    with pytest.raises(ly.DataError, match="unknown encoding"):
        ly.read_export(fixture("cp1252"), INST, encoding="klingon")


def test_parquet_errors_name_the_file(tmp_path):
    path = tmp_path / "answers.parquet"
    pl.DataFrame({"x": [1]}).write_parquet(path)
    message = r"answers\.parquet: no column answers any item of instrument one; the columns found"
    message += r" are \"x\""
    with pytest.raises(ly.DataError, match=message):
        ly.read_export(path, INST_ONE)


def test_truncated_sav(tmp_path):
    whole = fixture("sav").read_bytes()
    for cut in (100, 1000, len(whole) - 3):
        path = write(tmp_path, f"cut{cut}.sav", whole[:cut])
        with pytest.raises(ly.DataError, match=rf"cut{cut}\.sav: .*truncated"):
            ly.read_export(path, INST)


def test_workbook_without_the_sheet(tmp_path):
    with pytest.raises(
        ly.DataError, match=r"no sheet \"Answers\"; the workbook has 0: \"Om enkäten\", 1: \"Svar\""
    ):
        ly.read_export(fixture("xlsx"), INST, sheet="Answers")
    with pytest.raises(ly.DataError, match="no sheet 5"):
        ly.read_export(fixture("xlsx"), INST, sheet=5)
    # The first sheet holds no answers.
    with pytest.raises(ly.DataError, match="only a header row, no answers; choose the sheet"):
        ly.read_export(fixture("xlsx"), INST)
    with zipfile.ZipFile(fixture("xlsx")) as z:
        assert "xl/workbook.xml" in z.namelist()


def test_unknown_parameters():
    with pytest.raises(ly.DataError, match='mapping names column "nope"'):
        ly.read_export(pl.DataFrame({"eng1": [1]}), INST_ONE, mapping={"nope": "eng1"})
    with pytest.raises(ly.DataError, match="not an item of instrument one"):
        ly.read_export(pl.DataFrame({"x": [1]}), INST_ONE, mapping={"x": "eng9"})
    with pytest.raises(ly.DataError, match="parameter `id`"):
        ly.read_export(pl.DataFrame({"eng1": [1]}), INST_ONE, id="rid")
    with pytest.raises(ly.ArgumentError, match='parameter `header` must be "auto", "single"'):
        ly.read_export(fixture("cp1252"), INST, header="two rows")


# ---- properties ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_either_import_or_raise_a_lyhord_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.csv"
    path.write_bytes(content)
    try:
        data, report = ly.read_export(path, INST_ONE, header="auto")
    except ly.LyhordError:
        return
    assert data.height == report.rows_kept <= report.rows_read


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(40))))
def test_row_order_changes_nothing(order):
    base = pl.read_csv(fixture("problems"), infer_schema=False).slice(0, 40)
    shuffled = base[order]
    mapping = {"Jag känner mig engagerad i arbetet": "eng1"}
    a, ra = ly.read_export(base, INST, mapping)
    b, rb = ly.read_export(shuffled, INST, mapping)
    assert_frame_equal(a.sort("respondent_id"), b.sort("respondent_id"))
    counts = ["n_valid", "n_missing", "n_dont_know", "n_out_of_range", "n_unknown_label"]
    assert_frame_equal(ra.columns.select(counts), rb.columns.select(counts))
    assert ra.n_straightliners == rb.n_straightliners


# ---- exports shaped as tools write them ----------------------------------------------------

ENG1 = "Jag känner mig engagerad i mitt arbete"


@pytest.mark.parametrize(
    "prefix", ["1. ", "1) ", "Fråga 1: ", "Fråga 1. ", "fråga 1 ", "Q1. ", "Q1: ", "Q1 ", "2.3: "]
)
def test_question_number_is_left_off_before_matching(prefix):
    data, report = ly.read_export(pl.DataFrame({prefix + ENG1: ["Stämmer helt"]}), INST_ONE)
    assert data["eng1"].to_list() == [5]
    row = report.items().row(0, named=True)
    assert (row["item"], row["matched_by"], row["question_number"]) == (
        "eng1",
        "text",
        prefix.strip(),
    )
    assert report.near_misses.is_empty()
    assert (
        f"question number {prefix.strip()!r} left off column {prefix + ENG1!r} to match the "
        "text of item eng1" in report.notes()
    )


@pytest.mark.parametrize("prefix", ["1 ", "12 ", "1.5 ", "1.", "1.Jag "])
def test_unclear_numbers_are_not_question_numbers(prefix):
    # A bare number may be part of the text: reported as a near miss, never mapped.
    with pytest.raises(ly.DataError, match=r"eng1 \(.*\) — column .* is close \(\d+ % similar\)"):
        ly.read_export(pl.DataFrame({prefix + ENG1: [5]}), INST_ONE)


def test_numbered_cp1252_export_with_title_block(hme_csv):
    path = hme_csv(title=[["Medarbetarenkät 2025"], []], pad=False)
    data, report = ly.read_export(path, "HME")
    assert_frame_equal(data, hme_codes())
    assert report.source["encoding"] == "windows-1252" and report.source["delimiter"] == '";"'
    assert (report.source["header_row"], report.source["title_block"]) == (3, True)
    assert report.items()["question_number"].to_list() == [f"{i}." for i in range(1, 10)]
    assert report.notes()[:2] == [
        "header taken from row 3; rows 1–2 are a title block",
        "respondent id column: 'Respondent-ID' (recognised by its name; choose another with id=)",
    ]
    assert report.problems() == []
    # Rows are counted in the file, title block included: the first answers are on row 4.
    path.write_bytes(path.read_bytes().replace(b"Vet ej", b"Vet inte", 1))
    with pytest.raises(ly.DataError, match=r"\(item hme5\), row 4: the answer \"Vet inte\""):
        ly.read_export(path, "hme", strict=True)


def test_xlsx_title_block_is_found(hme_xlsx):
    data, report = ly.read_export(hme_xlsx(), "hme")
    assert_frame_equal(data, hme_codes())
    assert report.source["header_row"] == 3 and report.source["sheet"] == "Svar"
    assert report.notes()[0] == "header taken from row 3; rows 1–2 are a title block"
    assert report.items()["question_number"][0] == "Fråga 1:"


def test_header_row_given(hme_csv):
    # Two filled cells above the header are not taken for a title block: header_row says it.
    path = hme_csv(title=[["Medarbetarenkät 2025", "Exempelkommun"], ["Uttag 2025-03-01"]])
    columns = ["Medarbetarenkät 2025", "Exempelkommun"] + [f"column_{i}" for i in range(3, 12)]
    message = (
        f"{path}: no column answers any item of instrument hme; the columns found (header row "
        f"1) are {', '.join(f'{c!r}' for c in columns)}. If the header is on another row, "
        "pass header_row= with its 1-based row number;"
    ).replace("'", '"')
    with pytest.raises(ly.DataError, match=re.escape(message)):
        ly.read_export(path, "hme")
    data, report = ly.read_export(path, "hme", header_row=3)
    assert_frame_equal(data, hme_codes())
    assert report.notes()[0] == "header taken from row 3 (header_row=3); rows 1–2 are left out"
    with pytest.raises(ly.DataError, match=r"row 40 is past the end; the last row is 15"):
        ly.read_export(path, "hme", header_row=40)
    with pytest.raises(ly.DataError, match="rows are counted from 1"):
        ly.read_export(path, "hme", header_row=0)
    with pytest.raises(ly.DataError, match="header_row= is for text and workbook exports"):
        ly.read_export(hme_codes(), "hme", header_row=2)
    with pytest.raises(ly.DataError, match="is an SPSS file, whose variables are named; leave"):
        ly.read_export(fixture("sav"), INST, header_row=2)


@pytest.mark.parametrize(
    "name",
    [
        "Respondent-ID",
        "Respondent ID",
        "RespondentID",
        "Respondent Id",
        "respondent_id",
        "Svars-ID",
        "SvarsID",
        "Löpnummer",
        "löpnummer",
        "ResponseId",
        "Response ID",
        "ID",
    ],
)
def test_respondent_id_recognised_by_name(name):
    raw = pl.DataFrame({"Enhet": ["A", "A", "B"], name: ["r1", "r2", "r1"], "eng1": [1, 2, 3]})
    _, report = ly.read_export(raw, INST_ONE)
    assert (report.id_column, report.id_found_by) == (name, "name")
    assert report.duplicate_ids.row(0) == ("r1", 2, [1, 3])
    assert report.columns.filter(pl.col("column") == name)["role"][0] == "id"
    assert (
        f"respondent id column: {name!r} (recognised by its name; choose another with id="
        ")" in report.notes()
    )


def test_respondent_id_preference_and_absence():
    raw = pl.DataFrame({"ID": ["1"], "Svars-ID": ["s1"], "eng1": [1]})
    assert ly.read_export(raw, INST_ONE).report.id_column == "Svars-ID"
    _, report = ly.read_export(raw, INST_ONE, id="ID")
    assert (report.id_column, report.id_found_by) == ("ID", "given")
    _, none = ly.read_export(pl.DataFrame({"Idnummer": ["1"], "eng1": [1]}), INST_ONE)
    assert none.id_column is None
    assert none.notes() == [
        "no respondent id column recognised, so repeated respondents are not checked; "
        "name it with id="
    ]


def test_instrument_names_ignore_case(staff_2025):
    assert ly.Instrument.builtin(" HME ") == ly.Instrument.builtin("hme")
    assert_frame_equal(ly.estimate(staff_2025, "HME"), ly.estimate(staff_2025, "hme"))
    assert ly.read_export(hme_codes(), "Hme").report.instrument == "hme"
    with pytest.raises(ly.InstrumentError, match="unknown built-in instrument `HMEX`"):
        ly.Instrument.builtin("HMEX")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(ly.DataError, match=rf"{re.escape(str(tmp_path))}: is a directory, not a"):
        ly.read_export(tmp_path, INST_ONE)
    folder = tmp_path / "answers.parquet"
    folder.mkdir()
    with pytest.raises(ly.DataError, match=r"answers\.parquet: is a directory, not a file"):
        ly.read_export(folder, INST_ONE)
    with pytest.raises(ly.LyhordError, match=r"mapping file .*: is a directory, not a file"):
        ly.read_export(pl.DataFrame({"eng1": [1]}), INST_ONE, tmp_path)
