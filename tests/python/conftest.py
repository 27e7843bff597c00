import json
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest


def pytest_report_header(config):
    # CI runs the suite under the newest and the lowest supported polars: say which this is
    return f"polars {pl.__version__} from {Path(pl.__file__).parent}"


@pytest.fixture(scope="session")
def staff_2025() -> pl.DataFrame:
    return ly.example_data("staff", year=2025)


@pytest.fixture(scope="session")
def headcounts_2025() -> pl.DataFrame:
    return ly.headcounts(year=2025)


def people_survey_frame(dist_sa_to_sd: list[int]) -> pl.DataFrame:
    """100 respondents answering the five engagement items alike (5 = strongly agree)."""
    codes = [5 - k for k, count in enumerate(dist_sa_to_sd) for _ in range(count)]
    return pl.DataFrame({item: codes for item in ["b47", "b48", "b49", "b50", "b51"]})


HME = ly.Instrument.builtin("hme")
HME_SPEC = json.loads(HME.to_json())
HME_TEXTS = [item["text"]["sv"] for item in HME_SPEC["items"]]
HME_LABELS = {label["code"]: label["sv"] for label in HME_SPEC["scale"]["labels"]}


def hme_codes(n: int = 12) -> pl.DataFrame:
    """The answers an HME export below holds, as codes (6 = "Vet ej")."""
    return pl.DataFrame(
        {
            "Respondent-ID": [f"R{r:03}" for r in range(n)],
            "Förvaltning": ["Kultur" if r % 2 else "Skola" for r in range(n)],
            **{f"hme{i}": [(r + i) % 6 + 1 for r in range(n)] for i in range(1, 10)},
        }
    )


def hme_rows(title: list[list[str]], numbers: str | None, n: int = 12) -> list[list[str]]:
    """An HME export as a survey tool lays it out: an optional title block, a header of
    question texts (numbered ``numbers.format(i)`` when given) and answers as labels."""
    codes = hme_codes(n)
    header = ["Respondent-ID", "Förvaltning"] + [
        (numbers.format(i) if numbers else "") + text for i, text in enumerate(HME_TEXTS, 1)
    ]
    body = [
        [row["Respondent-ID"], row["Förvaltning"]]
        + [HME_LABELS[row[f"hme{i}"]] for i in range(1, 10)]
        for row in codes.iter_rows(named=True)
    ]
    return [*title, header, *body]


@pytest.fixture
def hme_csv(tmp_path):
    """Writes an HME export as Swedish Excel saves CSV: semicolons, Windows-1252, CRLF."""

    def write(name="svar.csv", title=(), numbers="{}. ", pad=True) -> Path:
        # Excel pads every row to the table's width; some tools write a title line bare.
        width = len(HME_TEXTS) + 2
        rows = hme_rows([list(t) + [""] * (width - len(t)) if pad else t for t in title], numbers)
        path = tmp_path / name
        text = "\r\n".join(";".join(r) for r in rows) + "\r\n"
        path.write_bytes(text.encode("cp1252"))
        return path

    return write


@pytest.fixture
def hme_xlsx(tmp_path):
    """Writes an HME export as a workbook with a title in A1, an empty row, then the table
    (the layout of report tools' Excel exports), with xlsxwriter."""
    xlsxwriter = pytest.importorskip("xlsxwriter")

    def write(name="svar.xlsx", numbers="Fråga {}: ") -> Path:
        path = tmp_path / name
        book = xlsxwriter.Workbook(path)
        sheet = book.add_worksheet("Svar")
        for r, row in enumerate(hme_rows([["Medarbetarenkät 2025"], []], numbers)):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        book.close()
        return path

    return write
