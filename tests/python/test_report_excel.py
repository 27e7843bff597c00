"""The report for people: ly.wide (units × measures), the Excel workbook (ly.write_report)
and CSV for Swedish Excel (ly.write_csv), and the CLI's --layout report / --csv excel-sv.

The workbook is read back twice: with ``pl.read_excel`` (fastexcel) as a reader sees it,
and cell by cell from its XML (``read_cells``), which tells a number from a text and lets
the privacy test look at every cell of every sheet.
"""

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import lyhord as ly
import polars as pl
import pytest
from lyhord import cli
from polars.testing import assert_frame_equal

pytest.importorskip("xlsxwriter")
pytest.importorskip("fastexcel")

BY = ["forvaltning", "enhet"]
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


@pytest.fixture(scope="module")
def table(staff_2025, headcounts_2025) -> pl.DataFrame:
    return ly.estimate(staff_2025, "hme", by=BY, headcounts=headcounts_2025)


@pytest.fixture(scope="module")
def unsuppressed(staff_2025, headcounts_2025) -> pl.DataFrame:
    """The true values behind every blank (min_group=1: nothing suppressed)."""
    return ly.estimate(staff_2025, "hme", by=BY, headcounts=headcounts_2025, min_group=1)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory, table) -> Path:
    path = tmp_path_factory.mktemp("report") / "hme_2025.xlsx"
    assert ly.write_report(table, "hme", path) == path
    return path


def read_cells(path: Path) -> dict[str, dict[tuple[int, int], str | float]]:
    """sheet name → {(row, column): value}, 0-based; numbers as float, texts as str."""
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            for si in shared.findall("m:si", NS):
                strings.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        sheets = {}
        for sheet in book.findall("m:sheets/m:sheet", NS):
            target = targets[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
            xml = ElementTree.fromstring(
                z.read(target if target.startswith("xl/") else f"xl/{target}")
            )
            cells = {}
            for c in xml.iter(f"{{{NS['m']}}}c"):
                letters, row = re.fullmatch(r"([A-Z]+)(\d+)", c.get("r")).groups()
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                v = c.find("m:v", NS)
                if v is None:
                    continue
                kind = c.get("t")
                if kind == "s":
                    value = strings[int(v.text)]
                elif kind in ("str", "inlineStr"):
                    value = v.text or ""
                else:
                    value = float(v.text)
                cells[(int(row) - 1, col - 1)] = value
            sheets[sheet.get("name")] = cells
    return sheets


def row_of(cells: dict, row: int) -> list:
    return [v for (r, _), v in sorted(cells.items()) if r == row]


# --- ly.wide ------------------------------------------------------------------------------


def test_wide_names_measures_by_their_statements_in_instrument_order(table):
    units = ly.wide(table, "hme")
    labels = ly.Instrument.builtin("hme").labels()["label"].to_list()
    assert units.columns[:6] == ["Grupp", "level", *BY, "n_respondents", "svarsfrekvens"]
    assert units.columns[6:] == labels
    assert labels[:4] == ["HME totalindex", "Motivation", "Ledarskap", "Styrning"]
    assert "Mitt arbete känns meningsfullt" in units.columns
    # one row per group, in the table's order
    groups = table.select("level", *BY).unique(maintain_order=True)
    assert units.select("level", *BY).equals(groups)
    assert units.row(0, named=True)["Grupp"] == "Hela kommunen"
    assert (
        units.filter(level=1)["Grupp"].to_list() == units.filter(level=1)["forvaltning"].to_list()
    )


def test_wide_values_are_the_long_tables_rounded(table):
    units = ly.wide(table, "hme")
    long = table.filter(enhet="Centralskolan 7-9")
    unit = units.filter(enhet="Centralskolan 7-9").row(0, named=True)
    assert unit["Grupp"] == "Centralskolan 7-9"
    mean = long.filter(measure="hme")["mean"].item()
    assert unit["HME totalindex"] == round(mean, 1)
    item = long.filter(measure="hme1")["mean"].item()
    assert unit["Mitt arbete känns meningsfullt"] == round(item, 1)
    n = long["n_respondents"][0]
    assert unit["n_respondents"] == n
    assert unit["svarsfrekvens"] == round(n / long["headcount"][0], 3)
    total = units.row(0, named=True)
    assert total["HME totalindex"] == 75.0  # 75.027… in the long table
    assert total["Styrning"] == round(table.filter(level=0, measure="styrning")["mean"].item(), 1)


def test_wide_blanked_cells_show_nothing(table):
    units = ly.wide(table, "hme")
    labels = dict(ly.Instrument.builtin("hme").labels().select("measure", "label").rows())
    blanked = table.filter(pl.col("suppressed"))
    assert blanked.height > 0
    for row in blanked.iter_rows(named=True):
        unit = units.filter(level=row["level"], forvaltning=row["forvaltning"], enhet=row["enhet"])
        assert unit[labels[row["measure"]]].to_list() == [None]
    # a group blanked on every measure shows no count and no response rate either
    whole = table.group_by("level", *BY).agg(pl.col("suppressed").all()).filter("suppressed")
    rows = units.join(whole.select("level", *BY), on=["level", *BY], nulls_equal=True)
    assert rows.height == whole.height > 0
    shown = rows.drop("Grupp", "level", *BY)
    assert shown.null_count().row(0) == (rows.height,) * shown.width
    # a group with some blanked measures keeps the count its published rows show
    some = units.filter(enhet="Lantmäteri").row(0, named=True)
    assert some["n_respondents"] == 11 and some["HME totalindex"] is None
    assert some["Styrning"] == 70.5


def test_wide_in_english_and_by_level(table):
    units = ly.wide(table, "hme", lang="en", level=1)
    assert units.columns[0] == "Group"
    assert "My work feels meaningful" in units.columns
    assert units.columns[6:9] == ["HME total index", "Motivation", "Leadership"]
    assert units["level"].unique().to_list() == [1]
    assert units.height == table.filter(level=1)["forvaltning"].n_unique()
    assert ly.wide(table, "hme", lang="en")["Group"][0] == "Whole organisation"


def test_wide_names_a_missing_key_and_shows_percent_positive(staff_2025):
    staff = staff_2025.with_columns(
        enhet=pl.when(pl.col("enhet") == "Centralskolan 7-9").then(None).otherwise("enhet")
    )
    table = ly.estimate(staff, "hme", by="enhet")
    units = ly.wide(table, "hme", value="pct_positive")
    assert "svarsfrekvens" not in units.columns  # no headcounts
    missing = units.filter(pl.col("enhet").is_null() & (pl.col("level") == 1))
    assert missing["Grupp"].to_list() == ["(enhet saknas)"]
    expected = table.filter(pl.col("enhet").is_null(), level=1, measure="hme")["pct_positive"]
    assert missing["HME totalindex"].item() == round(expected.item(), 1)


def test_wide_refuses_what_it_cannot_show(table, staff_2025):
    with pytest.raises(ValueError, match="parameter `value` must be a numeric column"):
        ly.wide(table, "hme", value="median")
    with pytest.raises(ValueError, match="the table has no level 3; its levels are 0, 1, 2"):
        ly.wide(table, "hme", level=3)
    with pytest.raises(ly.InstrumentError, match="does not define"):
        ly.wide(table, "epl-staff")
    with pytest.raises(ly.DataError, match="not an estimate table"):
        ly.wide(staff_2025, "hme")
    with pytest.raises(ly.DataError, match="more than one row for level=0, forvaltning=None"):
        ly.wide(pl.concat([table, table]), "hme")
    with pytest.raises(ly.ArgumentError, match='`lang` must be "sv" or "en"'):
        ly.wide(table, "hme", lang="de")


# --- ly.write_report ----------------------------------------------------------------------


def test_report_sheets_titles_and_headers(workbook, table):
    cells = read_cells(workbook)
    assert list(cells) == ["Hela kommunen", "Förvaltning", "Enhet", "Förklaringar", "Data"]
    units = cells["Enhet"]
    assert units[(0, 0)] == "Hållbart medarbetarengagemang (HME)"
    assert re.fullmatch(
        r"Datum: \d{4}-\d\d-\d\d   Källa: lyhord .+, Hållbart medarbetarengagemang \(HME\)",
        units[(1, 0)],
    )
    assert "– = visas inte: för få svar" in units[(2, 0)]
    header = row_of(units, 4)
    labels = ly.Instrument.builtin("hme").labels()["label"].to_list()
    assert header == ["Enhet", "Förvaltning", "Antal svarande", "Svarsfrekvens", *labels]
    assert row_of(cells["Förvaltning"], 4)[:3] == ["Förvaltning", "Antal svarande", "Svarsfrekvens"]
    read = pl.read_excel(workbook, sheet_name="Enhet", read_options={"header_row": 4})
    assert read.columns == header
    expected = table.filter(level=2).select(BY).unique(maintain_order=True)
    assert read["Enhet"].to_list() == expected["enhet"].to_list()


def test_report_numbers_are_numbers_with_one_decimal(workbook, table):
    cells = read_cells(workbook)
    units = ly.wide(table, "hme", level=2)
    sheet = cells["Enhet"]
    for r, unit in enumerate(units.iter_rows(named=True), 5):
        assert sheet[(r, 0)] == unit["Grupp"]
        shown = row_of(sheet, r)[2:]
        expected = [unit[c] for c in units.columns[4:]]
        assert shown == ["–" if v is None else pytest.approx(v) for v in expected]
        if None not in expected:
            assert all(isinstance(v, float) for v in shown)
    total = row_of(cells["Hela kommunen"], 5)
    assert total[:4] == ["Hela kommunen", 4698.0, pytest.approx(0.777), 75.0]
    with zipfile.ZipFile(workbook) as z:
        styles = z.read("xl/styles.xml").decode()
    assert 'formatCode="0.0"' in styles and 'formatCode="0%"' in styles


def test_report_notes_explain_once(workbook):
    notes = read_cells(workbook)["Förklaringar"]
    text = "\n".join(str(v) for v in notes.values())
    assert notes[(0, 0)] == "Förklaringar"
    assert "– = visas inte: för få svar" in text
    assert "minst 5 svarande" in text
    assert "95\u00a0%" in text
    assert "(svar − 1) · 25" in text
    assert "”Vet ej” räknas inte med" in text
    terms = [v for (r, c), v in sorted(notes.items()) if c == 0]
    for label in ly.Instrument.builtin("hme").labels()["label"]:
        assert label in terms
    assert text.count("minst 5 svarande") == 1


def test_report_data_sheet_holds_only_published_rows(workbook, table):
    data = pl.read_excel(workbook, sheet_name="Data")
    published = table.filter(~pl.col("suppressed"))
    assert data.height == published.height
    assert "suppressed" not in data.columns and "min_group" not in data.columns
    assert data.columns[: len(BY) + 3] == ["level", *BY, "measure", "label"]
    assert_frame_equal(
        data.select("mean", "n"),
        published.select("mean", "n").cast({"n": pl.Int64}),
        check_dtypes=False,
    )


def test_report_shows_no_blanked_value_count_or_reason(workbook, table, unsuppressed):
    cells = read_cells(workbook)
    everything = [v for sheet in cells.values() for v in sheet.values()]
    for word in ("primary", "secondary", "suppress", "audit"):
        assert not any(isinstance(v, str) and word in v.lower() for v in everything), word
    keys = ["level", *BY, "measure"]
    blanked = table.filter(pl.col("suppressed"))
    truth = unsuppressed.join(blanked.select(keys), on=keys, nulls_equal=True)
    assert truth.height == blanked.height > 0
    labels = dict(ly.Instrument.builtin("hme").labels().select("measure", "label").rows())
    sheets = {0: "Hela kommunen", 1: "Förvaltning", 2: "Enhet"}
    data = cells["Data"]
    published = {tuple(data.get((r, c)) for c in range(4)) for r in {r for (r, _) in data} if r > 0}
    whole = set(
        table.group_by("level", *BY).agg(pl.col("suppressed").all()).filter("suppressed")
        .select("level", *BY).rows()
    )  # fmt: skip
    for row in truth.iter_rows(named=True):
        sheet = cells[sheets[row["level"]]]
        name = "Hela kommunen" if row["level"] == 0 else row[BY[row["level"] - 1]]
        r = next(r for (r, c), v in sheet.items() if c == 0 and v == name and r > 4)
        column = row_of(sheet, 4).index(labels[row["measure"]])
        assert sheet[(r, column)] == "–", row
        level, forvaltning, enhet = row["level"], row["forvaltning"], row["enhet"]
        assert (float(level), forvaltning, enhet, row["measure"]) not in published
        if (level, forvaltning, enhet) in whole:
            # nothing about the group: its true means, answers or respondents nowhere in
            # its row
            secret = truth.filter(level=level, forvaltning=forvaltning, enhet=enhet)
            numbers = {round(m, 1) for m in secret["mean"]}
            numbers |= set(secret["n"]) | set(secret["n_respondents"])
            shown = row_of(sheet, r)
            assert not numbers & {v for v in shown if isinstance(v, float)}, row
            assert shown[1 + max(level - 1, 0) :] == ["–"] * (len(shown) - 1 - max(level - 1, 0))


def test_report_in_english_with_names_and_several_tables(tmp_path, staff_2025):
    by_enhet = ly.estimate(staff_2025, "hme", by="enhet")
    by_year = ly.estimate(staff_2025, "hme", by=["year", "forvaltning"])
    path = ly.write_report(
        {"Enheter": by_enhet.filter(level=1), "Per år": by_year},
        "hme",
        tmp_path / "out" / "hme.xlsx",
        lang="en",
        title="Staff survey",
        source="HR, 2025",
        by={"forvaltning": "Department"},
    )
    cells = read_cells(path)
    assert list(cells) == [
        "Enheter",
        "Per år Whole organisation",
        "Per år Year",
        "Per år Department",
        "Notes",
        "Data",
    ]
    assert cells["Enheter"][(0, 0)] == "Staff survey"
    assert cells["Enheter"][(1, 0)].endswith("Source: HR, 2025")
    assert row_of(cells["Per år Department"], 4)[:3] == ["Department", "Year", "Respondents"]
    assert "My work feels meaningful" in row_of(cells["Enheter"], 4)
    notes = "\n".join(str(v) for v in cells["Notes"].values())
    assert "– = not shown: too few answers" in notes and "at least 5 respondents" in notes
    data = pl.read_excel(path, sheet_name="Data")
    assert {"enhet", "year", "forvaltning", "label"} <= set(data.columns)


def test_report_of_an_english_instrument_and_a_background_breakdown(tmp_path, staff_2025):
    uk = ly.estimate(staff_2025, "uk-engagement", by="enhet")
    cells = read_cells(ly.write_report(uk, "uk-engagement", tmp_path / "uk.xlsx"))
    assert list(cells) == ["Whole organisation", "Enhet", "Notes", "Data"]
    notes = dict((v, cells["Notes"].get((r, 1))) for (r, c), v in cells["Notes"].items() if c == 0)
    assert notes["Engagement index"] == ("Total index on a 0–100 scale, combining 5 statements.")
    assert "at least 10 respondents" in notes["Minimum group size"]
    by_sex = ly.Publication(staff_2025, "hme").estimate(by=BY, background="kon")
    cells = read_cells(ly.write_report(by_sex, "hme", tmp_path / "kon.xlsx"))
    assert list(cells)[:4] == ["Hela kommunen", "Förvaltning", "Enhet", "Kön"]
    assert row_of(cells["Kön"], 4)[:4] == ["Kön", "Förvaltning", "Enhet", "Antal svarande"]


def test_report_title_has_the_year(tmp_path, staff_2025):
    table = ly.estimate(staff_2025, "hme", by=["year"])
    path = ly.write_report(table, "hme", tmp_path / "hme.xlsx")
    assert read_cells(path)["Hela kommunen"][(0, 0)] == "Hållbart medarbetarengagemang (HME) 2025"


def test_report_refuses_what_it_cannot_write(tmp_path, table):
    with pytest.raises(ValueError, match="writes an .xlsx workbook"):
        ly.write_report(table, "hme", tmp_path / "r.csv")
    with pytest.raises(ValueError, match="holds no table"):
        ly.write_report([], "hme", tmp_path / "r.xlsx")
    with pytest.raises(TypeError, match="table 1 is a str"):
        ly.write_report(["x"], "hme", tmp_path / "r.xlsx")
    with pytest.raises(TypeError, match="a dict of column → name"):
        ly.write_report(table, "hme", tmp_path / "r.xlsx", by=["enhet"])
    with pytest.raises(ly.InstrumentError, match="does not define"):
        ly.write_report(table, "epl-staff", tmp_path / "r.xlsx")
    assert not list(tmp_path.iterdir())
    path = ly.write_report(table.filter(level=0), "hme", tmp_path / "t.xlsx", title="=1+1")
    assert read_cells(path)["Hela kommunen"][(0, 0)] == "=1+1"


# --- ly.write_csv -------------------------------------------------------------------------


def test_swedish_csv_opens_in_swedish_excel(tmp_path, table):
    path = ly.write_csv(table, tmp_path / "hme.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header = text.split("\r\n")[0]
    assert header == ";".join(table.columns)
    assert ";75,0274263773184;" in text  # the total's mean, with a decimal comma
    back = pl.read_csv(path, separator=";", decimal_comma=True, schema=table.schema)
    assert_frame_equal(back, table)


def test_swedish_csv_of_the_wide_view(tmp_path, table):
    units = ly.wide(table, "hme")
    path = ly.write_csv(units, tmp_path / "hme_wide.csv", dialect="excel-sv")
    text = path.read_bytes().decode("utf-8-sig")
    assert text.startswith(
        "Grupp;level;forvaltning;enhet;n_respondents;svarsfrekvens;HME totalindex"
    )
    assert "\r\nHela kommunen;0;;;4698;0,777;75,0;77,6;" in text
    back = pl.read_csv(path, separator=";", decimal_comma=True, schema=units.schema)
    assert_frame_equal(back, units)


def test_plain_csv_and_a_bad_dialect(tmp_path):
    table = pl.DataFrame({"a": [1.5, None]})
    path = ly.write_csv(table, tmp_path / "plain.csv", dialect="plain")
    assert path.read_bytes() == b"a\n1.5\n\n"
    with pytest.raises(ly.ArgumentError, match='parameter `dialect` must be "excel-sv" or "plain"'):
        ly.write_csv(table, tmp_path / "x.csv", dialect="excel")


# --- CLI ------------------------------------------------------------------------------------


def cli_run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def export(tmp_path_factory, staff_2025, headcounts_2025) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("export")
    staff_2025.write_csv(folder / "svar.csv", separator=";")
    headcounts_2025.write_csv(folder / "antal.csv")
    return folder / "svar.csv", folder / "antal.csv"


def test_cli_layout_report(capsys, tmp_path, export, table):
    answers, counts = export
    out = tmp_path / "HME_2025.xlsx"
    code, said, _ = cli_run(
        capsys, "score", answers, "--instrument", "hme", "--by", "forvaltning,enhet",
        "--headcounts", counts, "--layout", "report", "--out", out,
    )  # fmt: skip
    assert code == 0
    assert said.startswith(f"{out}: report of {table.height} rows")
    cells = read_cells(out)
    assert list(cells) == ["Hela kommunen", "Förvaltning", "Enhet", "Förklaringar", "Data"]
    assert row_of(cells["Hela kommunen"], 5)[:4] == [
        "Hela kommunen",
        4698.0,
        pytest.approx(0.777),
        75.0,
    ]
    code, _, _ = cli_run(
        capsys, "score", answers, "--instrument", "hme", "--by", "enhet", "--layout", "report",
        "--lang", "en", "--out", tmp_path / "en.xlsx",
    )  # fmt: skip
    assert code == 0 and "Notes" in read_cells(tmp_path / "en.xlsx")


def test_cli_swedish_csv_and_out_sep(capsys, tmp_path, export, staff_2025):
    answers, _ = export
    out = tmp_path / "hme.csv"
    code, _, _ = cli_run(
        capsys, "score", answers, "--instrument", "hme", "--by", "enhet", "--csv", "excel-sv",
        "--out", out,
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbflevel;enhet;measure;")
    api = ly.estimate(staff_2025, "hme", by="enhet")
    back = pl.read_csv(out, separator=";", decimal_comma=True, schema=api.schema)
    assert_frame_equal(back, api)
    tabbed = tmp_path / "tab.csv"
    code, _, _ = cli_run(
        capsys, "score", answers, "--instrument", "hme", "--out-sep", "tab", "--out", tabbed
    )
    assert code == 0 and tabbed.read_text().startswith("level\tmeasure\t")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["--layout", "wide", "--out", "r.xlsx"],
            "argument --layout: invalid choice: 'wide' (choose from 'table', 'report')",
        ),
        (
            ["--csv", "excel", "--out", "r.csv"],
            "argument --csv: invalid choice: 'excel' (choose from 'excel-sv', 'plain')",
        ),
        (
            ["--layout", "report", "--out", "r.csv"],
            "argument --layout: report writes a workbook; give --out a .xlsx file, not r.csv",
        ),
        (
            ["--csv", "excel-sv", "--out", "r.xlsx"],
            "argument --csv: is for a .csv output, not r.xlsx",
        ),
        (
            ["--csv", "excel-sv", "--out-sep", ",", "--out", "r.csv"],
            "argument --out-sep: --csv excel-sv separates fields with ; (leave --out-sep out)",
        ),
        (
            ["--lang", "en", "--out", "r.csv"],
            "argument --lang: is for --layout report; the table layout has no words to translate",
        ),
    ],
)
def test_cli_bad_layout_or_dialect_is_one_line(capsys, tmp_path, export, argv, line, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli_run(capsys, "score", export[0], "--instrument", "hme", *argv)
    assert (code, out, err) == (2, "", f"lyhord: error: {line} (see lyhord score --help)\n")
    assert not list(tmp_path.iterdir())
