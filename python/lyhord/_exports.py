"""Exempelkommun's staff answers written the way survey tools and SPSS export them.

The same respondents (the first ``n`` of the 2025 staff survey, ``epl-staff`` items) in every
format and dialect :func:`lyhord.read_export` reads, so each file must import to identical
scores. The files under ``tests/data/exports/`` are written by :func:`write_example_exports`.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl

from ._import import write_sav
from ._lyhord import Instrument
from .datasets import DEFAULT_SEED, example_data

BACKGROUND = ("respondent_id", "year", "forvaltning", "enhet", "kon", "aldersgrupp")
COMMENTS = (
    'Bra chef; men "stressigt" ibland.\nMer tid för planering behövs.',
    "Trivs bra, tack!",
    "Önskar fler arbetsplatsträffar, ämnen: schema, lön",
)
QUALTRICS_QUESTION = "How well do the following statements describe your work?"
SURVEYMONKEY_QUESTION = "Hur väl stämmer följande påståenden om ditt arbete?"
# SPSS "no answer" code, declared user-missing in the .sav export.
SAV_NO_ANSWER = 9
KINDS = (
    "cp1252",
    "qualtrics",
    "qualtrics-2017",
    "qualtrics-legacy",
    "qualtrics-xlsx",
    "surveymonkey",
    "surveymonkey-2015",
    "surveymonkey-xlsx",
    "xlsx",
    "sav",
    "parquet",
    "utf16",
    "problems",
)


def example_answers(n: int = 300, seed: int = DEFAULT_SEED) -> pl.DataFrame:
    """The respondents every example export holds: background, ``epl-staff`` items, and a
    ``sysselsattningsgrad`` (employment rate) and free-text ``kommentar`` column."""
    inst = Instrument.builtin("epl-staff")
    staff = example_data("staff", year=2025, seed=seed).head(n)
    rate = [(1.0, 0.75, 0.5, 0.8)[i % 4] for i in range(staff.height)]
    comment = [COMMENTS[i % 3] if i % 7 == 0 else None for i in range(staff.height)]
    return staff.select(*BACKGROUND, *inst.items).with_columns(
        sysselsattningsgrad=pl.Series(rate), kommentar=pl.Series(comment, dtype=pl.String)
    )


def _codebook() -> tuple[list[dict], dict[int, tuple[str, str]]]:
    spec = json.loads(Instrument.builtin("epl-staff").to_json())
    labels = {lab["code"]: (lab["sv"], lab["en"]) for lab in spec["scale"]["labels"]}
    return spec["items"], labels


def _label_cells(codes: list[int | None], labels: dict[int, tuple[str, str]], lang: int) -> list:
    return ["" if c is None else labels[c][lang] for c in codes]


def _csv_text(rows: list[list], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def _cp1252(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """Swedish Excel: Windows-1252, `;`, decimal comma, Swedish item texts and labels."""
    header = ["Respondent", "År", "Förvaltning", "Enhet", "Kön", "Åldersgrupp"]
    header += [it["text"]["sv"] for it in items] + ["Sysselsättningsgrad", "Övriga synpunkter"]
    rows = [header]
    for r in base.iter_rows(named=True):
        row = [r[c] for c in BACKGROUND]
        row += _label_cells([r[it["id"]] for it in items], labels, 0)
        row += [str(r["sysselsattningsgrad"]).replace(".", ","), r["kommentar"] or ""]
        rows.append(row)
    return _csv_text(rows, ";").encode("cp1252")


def _qualtrics_rows(base: pl.DataFrame, items: list[dict], labels) -> list[list]:
    """Qualtrics' current layout (since 2017): export tags, question texts, and ImportIds as
    compact JSON, the dates with their time zone."""
    meta = ["StartDate", "EndDate", "Status", "Progress", "Finished", "ResponseId"]
    tags = meta + ["Q1", "Q2"] + [f"Q3_{i + 1}" for i in range(len(items))] + ["Q4"]
    texts = ["Start Date", "End Date", "Response Type", "Progress", "Finished", "Response ID"]
    texts += ["Which department do you work in?", "Which unit do you work in?"]
    texts += [f"{QUALTRICS_QUESTION} - {it['text']['en']}" for it in items]
    texts += ["Anything else you would like to tell us?"]
    ids = ["startDate", "endDate", "status", "progress", "finished", "_recordId"]
    ids += ["QID1", "QID2"] + [f"QID3_{i + 1}" for i in range(len(items))] + ["QID4_TEXT"]
    zone = {"startDate", "endDate"}
    import_ids = [
        json.dumps({"ImportId": i} | ({"timeZone": "Europe/Stockholm"} if i in zone else {}))
        .replace('": "', '":"')
        .replace('", "', '","')
        for i in ids
    ]
    rows = [tags, texts, import_ids]
    for r in base.iter_rows(named=True):
        row = ["2025-03-03 08:00:00", "2025-03-03 08:09:00", "IP Address", "100", "True"]
        row += [r["respondent_id"], r["forvaltning"], r["enhet"]]
        row += _label_cells([r[it["id"]] for it in items], labels, 1)
        rows.append(row + [r["kommentar"] or ""])
    return rows


def _qualtrics(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """Qualtrics "choice text" CSV: UTF-8 with BOM, three header rows, English labels."""
    return b"\xef\xbb\xbf" + _csv_text(_qualtrics_rows(base, items, labels), ",").encode("utf-8")


def _qualtrics_2017(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """Qualtrics' export of 2016–17: UTF-8 with BOM, three header rows, the ImportIds written
    as Python dicts (``{'ImportId': 'QID3_1'}``), ``ResponseID`` and ``ResponseSet`` first."""
    meta = ["ResponseID", "ResponseSet", "IPAddress", "StartDate", "EndDate", "Finished"]
    tags = meta + ["Q1", "Q2"] + [f"Q3_{i + 1}" for i in range(len(items))] + ["Q4"]
    texts = ["ResponseID", "ResponseSet", "IPAddress", "StartDate", "EndDate", "Finished"]
    texts += ["Which department do you work in?", "Which unit do you work in?"]
    texts += [f"{QUALTRICS_QUESTION} - {it['text']['en']}" for it in items]
    texts += ["Anything else you would like to tell us?"]
    ids = ["ResponseID", "ResponseSet", "IPAddress", "StartDate", "EndDate", "Finished"]
    ids += ["QID1", "QID2"] + [f"QID3_{i + 1}" for i in range(len(items))] + ["QID4_TEXT"]
    rows = [tags, texts, [f"{{'ImportId': '{i}'}}" for i in ids]]
    for r in base.iter_rows(named=True):
        row = [r["respondent_id"], "Default Response Set", "", "2017-03-06 08:00:00"]
        row += ["2017-03-06 08:09:00", "1", r["forvaltning"], r["enhet"]]
        row += _label_cells([r[it["id"]] for it in items], labels, 1)
        rows.append(row + [r["kommentar"] or ""])
    return b"\xef\xbb\xbf" + _csv_text(rows, ",").encode("utf-8")


LEGACY_META = (
    "ResponseID",
    "ResponseSet",
    "Name",
    "ExternalDataReference",
    "EmailAddress",
    "IPAddress",
    "Status",
    "StartDate",
    "EndDate",
    "Finished",
)


def _qualtrics_legacy(base: pl.DataFrame, items: list[dict]) -> bytes:
    """Qualtrics' legacy export (until 2017): UTF-8 without BOM, every field quoted, row 1
    ``V1``…``V10`` and the export tags, row 2 the fixed column names and the question texts
    (a matrix statement joined by a bare "-"), the answers as numeric codes, and the
    location columns last."""
    location = ["LocationLatitude", "LocationLongitude", "LocationAccuracy"]
    tags = [f"V{i + 1}" for i in range(len(LEGACY_META))]
    tags += ["Q1", "Q2"] + [f"Q3_{i + 1}" for i in range(len(items))] + ["Q4"] + location
    texts = [*LEGACY_META, "Which department do you work in?", "Which unit do you work in?"]
    texts += [f"{QUALTRICS_QUESTION}-{it['text']['en']}" for it in items]
    texts += ["Anything else you would like to tell us?", *location]
    rows = [tags, texts]
    for r in base.iter_rows(named=True):
        row = [r["respondent_id"], "Default Response Set", "Anonymous", "", "", "", "0"]
        row += ["2016-03-07 08:00:00", "2016-03-07 08:09:00", "1", r["forvaltning"], r["enhet"]]
        row += ["" if r[it["id"]] is None else r[it["id"]] for it in items]
        rows.append(row + [r["kommentar"] or "", "59.3293", "18.0686", "-1"])
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _surveymonkey_rows(
    base: pl.DataFrame, items: list[dict], labels, meta: list[str], meta_cells: list[str]
) -> list[list]:
    """SurveyMonkey's two header rows (the matrix question written once, "Response" under
    single-answer questions) and the answers as Swedish labels."""
    top = meta + ["Vilken förvaltning arbetar du inom?", "Vilken enhet arbetar du på?"]
    top += [SURVEYMONKEY_QUESTION] + [""] * (len(items) - 1) + ["Övriga synpunkter"]
    second = [""] * len(meta) + ["Response", "Response"]
    second += [it["text"]["sv"] for it in items] + ["Open-Ended Response"]
    rows = [top, second]
    for r in base.iter_rows(named=True):
        row = [r["respondent_id"], *meta_cells, r["forvaltning"], r["enhet"]]
        row += _label_cells([r[it["id"]] for it in items], labels, 0)
        rows.append(row + [r["kommentar"] or ""])
    return rows


SURVEYMONKEY_META = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"]


def _surveymonkey(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """SurveyMonkey (since 2017): UTF-8, two header rows, the matrix question written once."""
    cells = ["431234567", "03/03/2025 08:00:00 AM", "", ""]
    rows = _surveymonkey_rows(base, items, labels, SURVEYMONKEY_META, cells)
    return _csv_text(rows, ",").encode("utf-8")


def _surveymonkey_2015(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """SurveyMonkey's older layout (until 2017): UTF-8, every field quoted, the fixed columns
    ``RespondentID, CollectorID, StartDate, EndDate, IP Address, Email Address, First Name,
    LastName, Custom Data``, then the questions over the same two header rows."""
    meta = ["RespondentID", "CollectorID", "StartDate", "EndDate", "IP Address"]
    meta += ["Email Address", "First Name", "LastName", "Custom Data"]
    cells = ["61234567", "03/02/2015 08:00:00", "03/02/2015 08:09:00", "", "", "", "", ""]
    rows = _surveymonkey_rows(base, items, labels, meta, cells)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _header_workbook(rows: list[list], path: Path, sheet: str, merge_top: bool) -> None:
    """A tool's export as a workbook: the header rows as text, answers as written. With
    ``merge_top`` a question written once over several columns is a merged cell, as
    SurveyMonkey's Excel export has it."""
    import xlsxwriter

    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet(sheet)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value != "":
                    ws.write(r, c, value)
        if merge_top:
            top = rows[0]
            starts = [c for c, v in enumerate(top) if v != ""] + [len(top)]
            for a, b in zip(starts, starts[1:], strict=False):
                if b - a > 1:
                    ws.merge_range(0, a, 0, b - 1, top[a])


def _utf16(base: pl.DataFrame) -> bytes:
    """Excel "Unicode text": UTF-16 little-endian with BOM, tab-separated, item ids."""
    out = io.StringIO()
    base.drop("kommentar").write_csv(out, separator="\t")
    return out.getvalue().replace("\n", "\r\n").encode("utf-16")


def _xlsx(base: pl.DataFrame, path: Path) -> None:
    """A workbook with an information sheet first and the answers (codes) on "Svar"."""
    import xlsxwriter

    with xlsxwriter.Workbook(path) as wb:
        info = wb.add_worksheet("Om enkäten")
        info.write(0, 0, "Medarbetarenkät 2025, Exempelkommun. Svaren finns på bladet Svar.")
        base.write_excel(wb, worksheet="Svar", autofit=False)


def _sav(base: pl.DataFrame, items: list[dict], labels, path: Path) -> None:
    """SPSS: items as F1…F14 with the item text as variable label, value labels, "vet ej"
    (6) and "ej svar" (9) declared user-missing; no answer written as 9."""
    renamed = {it["id"]: f"F{i + 1}" for i, it in enumerate(items)}
    data = base.with_columns(pl.col(list(renamed)).fill_null(SAV_NO_ANSWER)).rename(renamed)
    value_labels = {code: sv for code, (sv, _) in labels.items()} | {SAV_NO_ANSWER: "Ej svar"}
    write_sav(
        data,
        path,
        variable_labels={renamed[it["id"]]: it["text"]["sv"] for it in items}
        | {"sysselsattningsgrad": "Sysselsättningsgrad"},
        value_labels={v: value_labels for v in renamed.values()},
        user_missing={v: [6, SAV_NO_ANSWER] for v in renamed.values()},
        file_label="Medarbetarenkät 2025, Exempelkommun",
    )


def _problems(base: pl.DataFrame, items: list[dict], labels) -> bytes:
    """A UTF-8 export with what real files have: a duplicated respondent, an empty row,
    values outside the scale, a label the instrument does not know, a straight-liner and
    a column whose text differs slightly from its item's."""
    rows_base = base.head(40)
    header = ["respondent_id", "forvaltning", "enhet"]
    header += [it["id"] for it in items]
    header[3] = "Jag känner mig engagerad i arbetet"  # eng1, with a word missing
    rows = [header]
    for i, r in enumerate(rows_base.iter_rows(named=True)):
        codes = [r[it["id"]] for it in items]
        cells = _label_cells(codes, labels, 0) if i % 2 else ["" if c is None else c for c in codes]
        if i == 5:
            cells[2] = 7
        if i == 6:
            cells[4] = 0
        if i == 8:
            cells[1] = "Instämmer delvis"
        if i == 9:
            cells = [4] * len(items)
        rows.append([r["respondent_id"], r["forvaltning"], r["enhet"], *cells])
        if i == 20:
            rows.append([""] * len(header))
    rows.append(rows[12])
    return _csv_text(rows, ",").encode("utf-8")


def write_example_exports(
    folder: str | Path, *, n: int = 300, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write Exempelkommun's staff answers in every export format lyhord reads.

    Parameters
    ----------
    folder : str or Path
        Created if missing; files are named ``exempelkommun-<kind>.<suffix>``.
    n : int
        Respondents (the first ``n`` of the 2025 staff survey).
    seed : int
        Seed of the example data.

    Returns
    -------
    dict
        Kind → path: ``cp1252`` (``;``, decimal comma, Swedish texts and labels),
        ``qualtrics`` (3 header rows, English), ``qualtrics-2017`` (3 header rows with the
        ImportIds of 2016–17 in single quotes), ``qualtrics-legacy`` (the legacy ``V1``…
        ``V10`` layout, numeric codes), ``qualtrics-xlsx`` (the current layout as a
        workbook), ``surveymonkey`` (2 header rows), ``surveymonkey-2015`` (the older
        ``RespondentID`` layout), ``surveymonkey-xlsx`` (the current layout as a workbook,
        the matrix question a merged cell), ``xlsx`` (answers on sheet "Svar"), ``sav``
        (labels, user-missing 6 and 9), ``parquet``, ``utf16`` (Excel "Unicode text") and
        ``problems`` (a file with typical faults).

    Examples
    --------
    >>> import tempfile, lyhord as ly
    >>> paths = ly.write_example_exports(tempfile.mkdtemp(), n=20)
    >>> data, report = ly.read_export(paths["cp1252"], "epl-staff")
    >>> report.source["encoding"], report.source["delimiter"], report.source["decimal"]
    ('windows-1252', '";"', ',')
    >>> data.height
    20
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    base = example_answers(n, seed)
    items, labels = _codebook()
    paths = {kind: out / f"exempelkommun-{kind}" for kind in KINDS}
    suffix = {"sav": ".sav", "parquet": ".parquet", "utf16": ".txt"}
    suffix |= {k: ".xlsx" for k in KINDS if k.endswith("xlsx")}
    paths = {k: p.with_name(p.name + suffix.get(k, ".csv")) for k, p in paths.items()}
    paths["cp1252"].write_bytes(_cp1252(base, items, labels))
    paths["qualtrics"].write_bytes(_qualtrics(base, items, labels))
    paths["qualtrics-2017"].write_bytes(_qualtrics_2017(base, items, labels))
    paths["qualtrics-legacy"].write_bytes(_qualtrics_legacy(base, items))
    paths["surveymonkey"].write_bytes(_surveymonkey(base, items, labels))
    paths["surveymonkey-2015"].write_bytes(_surveymonkey_2015(base, items, labels))
    qualtrics_rows = _qualtrics_rows(base, items, labels)
    _header_workbook(qualtrics_rows, paths["qualtrics-xlsx"], "Sheet0", merge_top=False)
    monkey_cells = ["431234567", "03/03/2025 08:00:00 AM", "", ""]
    monkey_rows = _surveymonkey_rows(base, items, labels, SURVEYMONKEY_META, monkey_cells)
    _header_workbook(monkey_rows, paths["surveymonkey-xlsx"], "Sheet", merge_top=True)
    paths["utf16"].write_bytes(_utf16(base))
    paths["problems"].write_bytes(_problems(base, items, labels))
    base.write_parquet(paths["parquet"])
    _xlsx(base, paths["xlsx"])
    _sav(base, items, labels, paths["sav"])
    return paths
