"""The Excel report a förvaltningschef opens, and CSV that Swedish Excel opens right.

:func:`write_report` writes a workbook with a sheet per level (units × measures, statements
as headers, one decimal), a sheet of notes and the long analysis table (published rows
only). :func:`write_csv` writes a table as Swedish Excel reads CSV: ``;`` between fields,
a decimal comma, UTF-8 with a byte order mark.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from .._args import one_of, require, resolve_instrument
from .._lyhord import ArgumentError, ArgumentTypeError, Instrument, __version__
from .._types import Lang
from ._format import BLANK, Words, action_note, labelled, measured_waves
from ._wide import column_title, group_name_column, key_columns, wide

#: CSV dialects of :func:`write_csv`: separator, decimal comma, byte order mark, line end.
CSV_DIALECTS: dict[str, dict[str, Any]] = {
    "excel-sv": {"separator": ";", "decimal_comma": True, "include_bom": True, "crlf": True},
    "plain": {"separator": ",", "decimal_comma": False, "include_bom": False, "crlf": False},
}

_TEXT = {
    "sv": {
        "notes": "Förklaringar",
        "comparability": "Jämförbarhet – {dimension}",
        "actions": "Åtgärder och utfall",
        "action_all": "Alla enheter med åtgärden",
        "date": "Datum",
        "source": "Källa",
        "respondents": "Antal svarande",
        "values_mean": "Medelvärden på skalan 0–100.",
        "see_notes": "Mer på bladet Förklaringar.",
        "values": "Värden",
        "mean_text": (
            "Varje ruta är gruppens medelvärde på skalan 0–100{ends}. Värdena är avrundade "
            "till en decimal."
        ),
        "ends": ": 0 = alla svarade {low}, 100 = alla svarade {high}",
        "scale": "Skala",
        "scale_text": "Svaren ges på en skala från {min} till {max}{labels}.",
        "recode": " Svaret räknas om till 0–100 som (svar − {min}) · {factor}.",
        "dont_know": " {labels} räknas inte med.",
        "positive": "Positiva svar",
        "positive_text": (
            "{positive} räknas som positiva svar{neutral}; andelarna finns på bladet Data "
            "(pct_positive, pct_neutral, pct_negative, i procent)."
        ),
        "neutral_text": ", {neutral} som neutrala",
        "blank": "– eller tom ruta",
        "blank_text": "En tom ruta betyder detsamma.",
        "min_group": "Minsta gruppstorlek",
        "min_group_text": (
            "Resultat visas bara för grupper med minst {n} svarande. Ibland döljs också en "
            "större grupp, så att en dold grupp inte kan räknas fram ur de andra."
        ),
        "confidence": "Konfidensnivå",
        "confidence_text": "{level} (konfidensintervallen ci_low–ci_high på bladet Data).",
        "respondents_text": "Antal personer i gruppen som har svarat på enkäten.",
        "response_rate_text": "Antal svarande delat med antal anställda i gruppen.",
        "data": "Bladet Data",
        "data_text": (
            "Hela analystabellen, bara de grupper och mått som visas: level = nivå (0 = hela "
            "organisationen), measure = mått, label = måttets namn, n_respondents = antal "
            "svarande, n = antal svar på måttet, mean = medelvärde 0–100, sd = "
            "standardavvikelse, se = medelfel, ci_low och ci_high = konfidensintervall, "
            "pct_positive, pct_neutral och pct_negative = andel svar i procent, headcount "
            "= antal anställda."
        ),
        "measures": "Mått",
        "what": "Vad det är",
        "index_text": "Totalindex på skalan 0–100, sammanvägt av {parts}.",
        "dimension_text": "Delindex på skalan 0–100, sammanvägt av påståendena {parts}.",
        "item_text": "Påstående{parent}. Svaren omräknade till 0–100 (se Skala).",
        "item_parent": " i {parent}",
        "and": "och",
        "statements": "{n} påståenden",
    },
    "en": {
        "notes": "Notes",
        "comparability": "Comparability – {dimension}",
        "actions": "Actions and outcomes",
        "action_all": "All units with the action",
        "date": "Date",
        "source": "Source",
        "respondents": "Respondents",
        "values_mean": "Means on a 0–100 scale.",
        "see_notes": "More on the Notes sheet.",
        "values": "Values",
        "mean_text": (
            "Each cell is the group's mean on a 0–100 scale{ends}. Values are rounded to one "
            "decimal."
        ),
        "ends": ": 0 = everyone answered {low}, 100 = everyone answered {high}",
        "scale": "Scale",
        "scale_text": "Answers are given on a scale from {min} to {max}{labels}.",
        "recode": " An answer is scored 0–100 as (answer − {min}) · {factor}.",
        "dont_know": " {labels} is not counted.",
        "positive": "Positive answers",
        "positive_text": (
            "{positive} count as positive answers{neutral}; the shares are on the Data sheet "
            "(pct_positive, pct_neutral, pct_negative, in percent)."
        ),
        "neutral_text": ", {neutral} as neutral",
        "blank": "– or empty cell",
        "blank_text": "An empty cell means the same.",
        "min_group": "Minimum group size",
        "min_group_text": (
            "Results are shown only for groups of at least {n} respondents. Sometimes a "
            "larger group is hidden as well, so that a hidden group cannot be worked out "
            "from the others."
        ),
        "confidence": "Confidence level",
        "confidence_text": "{level} (the confidence intervals ci_low–ci_high on the Data sheet).",
        "respondents_text": "Number of people in the group who answered the survey.",
        "response_rate_text": "Respondents divided by the number of staff in the group.",
        "data": "The Data sheet",
        "data_text": (
            "The whole analysis table, only the groups and measures shown: level = level (0 "
            "= the whole organisation), measure = measure, label = its name, n_respondents "
            "= respondents, n = answers to the measure, mean = mean 0–100, sd = standard "
            "deviation, se = standard error, ci_low and ci_high = confidence interval, "
            "pct_positive, pct_neutral and pct_negative = share of answers in percent, "
            "headcount = number of staff."
        ),
        "measures": "Measure",
        "what": "What it is",
        "index_text": "Total index on a 0–100 scale, combining {parts}.",
        "dimension_text": "Sub-index on a 0–100 scale, combining the statements {parts}.",
        "item_text": "Statement{parent}. Answers scored 0–100 (see Scale).",
        "item_parent": " in {parent}",
        "and": "and",
        "statements": "{n} statements",
    },
}

# Rows of a level sheet: title, date and source, a note line, an empty row, then the table.
_HEADER_ROW = 4
_MEASURE_WIDTH = 16
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def write_csv(table: pl.DataFrame, path: str | Path, *, dialect: str = "excel-sv") -> Path:
    """Writes a table as CSV that Swedish Excel opens right.

    Parameters
    ----------
    table : polars.DataFrame
        Any table: an estimate table, :func:`lyhord.wide`'s view, ...
    path : str or Path
        The .csv file to write (its folder is made when missing).
    dialect : {"excel-sv", "plain"}, default "excel-sv"
        ``"excel-sv"``: ``;`` between fields, a decimal comma (``71,2``), UTF-8 with a byte
        order mark and Windows line ends, as Swedish Excel reads and writes CSV.
        ``"plain"``: ``,`` between fields, a decimal point, UTF-8 without a mark.

    Returns
    -------
    Path
        The file written. Missing values are empty fields.

    Examples
    --------
    >>> import pathlib, tempfile, polars as pl, lyhord as ly
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "hme.csv"
    >>> table = pl.DataFrame({"enhet": ["Ekbacken", "Solrosen"], "mean": [71.2, None]})
    >>> ly.write_csv(table, path).read_bytes()
    b'\\xef\\xbb\\xbfenhet;mean\\r\\nEkbacken;71,2\\r\\nSolrosen;\\r\\n'
    >>> pl.read_csv(path, separator=";", decimal_comma=True).equals(table)
    True
    """
    if not isinstance(table, pl.DataFrame):
        raise ArgumentTypeError(f"`table` must be a polars DataFrame, not {type(table).__name__}")
    options = CSV_DIALECTS[one_of("dialect", dialect, list(CSV_DIALECTS))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.write_csv(
        path,
        separator=options["separator"],
        decimal_comma=options["decimal_comma"],
        include_bom=options["include_bom"],
        line_terminator="\r\n" if options["crlf"] else "\n",
    )
    return path


#: The columns of the actions sheet, per language.
_ACTION_HEAD = {
    "sv": [
        "Åtgärd",
        "Enhet",
        "Mått",
        "Mätt",
        "Jämfört med",
        "Skillnad mot jämförbara enheter",
        "Intervall, lägsta",
        "Intervall, högsta",
        "Enheter med åtgärden",
        "Jämförbara enheter",
        "Slutsats",
        "Anmärkning",
    ],
    "en": [
        "Action",
        "Unit",
        "Measure",
        "Measured",
        "Compared with",
        "Difference from comparable units",
        "Interval, low",
        "Interval, high",
        "Units with the action",
        "Comparable units",
        "Conclusion",
        "Note",
    ],
}


def write_report(
    tables_or_table: pl.DataFrame | Sequence[pl.DataFrame] | Mapping[str, pl.DataFrame],
    instrument: Instrument | str | Path,
    path: str | Path,
    *,
    lang: Lang | None = None,
    title: str | None = None,
    source: str | None = None,
    by: Mapping[str, str] | None = None,
    invariance: pl.DataFrame | None = None,
    actions: pl.DataFrame | None = None,
) -> Path:
    """Writes the Excel report people read: a sheet per level, units × measures.

    Each level of each table gets a sheet (``Hela kommunen``, then one named after its
    ``by`` column: ``Förvaltning``, ``Enhet``, ...) with a title, the date and the source
    above the table, one row per group and one column per measure (index, dimensions, then
    the statements as headers) from :func:`lyhord.wide`, numbers with one decimal (written
    as numbers: Swedish Excel shows them with a decimal comma), the header row and the
    first column frozen. A blanked cell shows ``–`` and nothing else: no count, no reason.
    Then a ``Förklaringar`` sheet (``Notes`` in English) says once what the measures, the
    scale and ``–`` mean, the minimum group size and the confidence level; and a last
    sheet ``Data`` holds the long analysis table, only its published rows.

    Parameters
    ----------
    tables_or_table : polars.DataFrame, list of them, or dict of name → table
        Estimate tables from :func:`lyhord.estimate` or
        :meth:`lyhord.Publication.estimate`. With a dict, each name heads its sheets.
    instrument : Instrument or str
        The instrument the tables were estimated with.
    path : str or Path
        The .xlsx file to write (its folder is made when missing).
    lang : {"sv", "en"}, optional
        Output language; default the instrument's (Swedish for the Swedish built-ins).
    title : str, optional
        Default: the instrument's name, and the year when the table has one ``year``.
    source : str, optional
        Default: ``"lyhord <version>, <instrument name>"``.
    by : dict of str → str, optional
        Names for people of the grouping columns, e.g. ``{"enhet": "Enheter"}``; default
        the column name capitalised (``forvaltning`` spelt ``Förvaltning``).
    invariance : polars.DataFrame, optional
        The table of :func:`lyhord.invariance`: the notes sheet then says, per dimension,
        whether it is comparable between the groups and which statements work differently
        (the verdict).
    actions : polars.DataFrame, optional
        The table of :func:`lyhord.action_effects`: a sheet ``Åtgärder och utfall`` then
        gives each action's effect, for all its units and unit by unit, with its interval,
        the number of comparison units and the conclusion in words.

    Returns
    -------
    Path
        The workbook written.

    Examples
    --------
    >>> import pathlib, tempfile, polars as pl, lyhord as ly
    >>> staff = ly.example_data("staff", year=2025)
    >>> table = ly.estimate(staff, "hme", by=["forvaltning", "enhet"],
    ...                     headcounts=ly.headcounts(year=2025))
    >>> path = ly.write_report(table, "hme", pathlib.Path(tempfile.mkdtemp()) / "hme.xlsx")
    >>> list(pl.read_excel(path, sheet_id=0, has_header=False))
    ['Hela kommunen', 'Förvaltning', 'Enhet', 'Förklaringar', 'Data']
    >>> units = pl.read_excel(path, sheet_name="Förvaltning", read_options={"header_row": 4})
    >>> units.select("Förvaltning", "HME totalindex").row(0)
    ('Barn- och utbildningsförvaltningen', 77.9)
    """
    tables = _named_tables(tables_or_table)
    if by is not None and not isinstance(by, Mapping):
        raise ArgumentTypeError(
            "`by` names the grouping columns for people: a dict of column → name, e.g. "
            f'{{"enhet": "Enheter"}}, not {type(by).__name__}'
        )
    inst = resolve_instrument(instrument)
    words = Words.of(inst, lang)
    text = _TEXT[words.lang]
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ArgumentError(f"{path}: write_report writes an .xlsx workbook, not {path.suffix!r}")
    spec = json.loads(inst.to_json())
    name = _instrument_name(spec, inst, words.lang)
    if title is None:
        years = _years(tables)
        title = f"{name} {years}" if years else name
    if source is None:
        source = f"lyhord {__version__}, {name}"
    today = datetime.date.today().isoformat()
    meta = f"{text['date']}: {today}   {text['source']}: {source}"
    note = f"{text['values_mean']} {words['blank_note']} {text['see_notes']}"

    # Every sheet's table first: a table that cannot be shown is refused before any file.
    taken = {text["notes"].lower(), "data"}
    pages = []
    for table_name, table in tables:
        keys = key_columns(table)
        levels = sorted(table["level"].unique().to_list())
        for level in levels:
            base = _level_title(level, keys, words, by)
            if table_name is not None:
                base = table_name if len(levels) == 1 else f"{table_name} {base}"
            units = wide(table, inst, lang=words.lang, level=level)
            pages.append((_sheet_name(base, taken), units, level, keys))
    has_rate = any("svarsfrekvens" in units.columns for _, units, _, _ in pages)

    require("xlsxwriter", "excel", "writing .xlsx")
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    formats = _formats(workbook)
    for sheet_name, units, level, keys in pages:
        sheet = workbook.add_worksheet(sheet_name)
        # Texts as texts: a title starting with "=" or "http" stays what it says.
        sheet.write_string(0, 0, title, formats["title"])
        sheet.write_string(1, 0, meta, formats["meta"])
        sheet.write_string(2, 0, note, formats["meta"])
        _write_level(sheet, units, level, keys, inst, words, by, formats)
    _write_notes(
        workbook.add_worksheet(text["notes"]),
        tables,
        inst,
        spec,
        words,
        title,
        today,
        source,
        has_rate,
        formats,
        _comparability(invariance, inst, words),
    )
    if actions is not None:
        _write_actions(workbook.add_worksheet(text["actions"]), actions, words, title, formats)
    _write_data(workbook.add_worksheet("Data"), tables, inst, words, formats)
    workbook.close()
    return path


def _write_actions(sheet, effects: pl.DataFrame, words: Words, title: str, formats) -> None:
    """Each action's effect (all its units, then each unit shown), numbers as numbers."""
    text = _TEXT[words.lang]
    sheet.write_string(0, 0, text["actions"], formats["title"])
    sheet.write_string(1, 0, title, formats["meta"])
    sheet.write_string(2, 0, action_note(effects, words), formats["meta"])
    head = _ACTION_HEAD[words.lang]
    for col, name in enumerate(head):
        sheet.write_string(4, col, name, formats["header"])
    shown = effects.filter(pl.col("view").is_in(["effect", "unit"]))
    row_number = 5
    for row in shown.iter_rows(named=True):
        unit = row["units"][0] if row["view"] == "unit" else text["action_all"]
        first = measured_waves(effects, row)
        base = "" if row["base_wave"] is None else str(row["base_wave"])
        cells = [row["action"], unit, row["label"], first, base]
        for col, value in enumerate(cells):
            sheet.write_string(row_number, col, value, formats["text"])
        for col, key in enumerate(("estimate", "ci_low", "ci_high"), start=len(cells)):
            value = row[key]
            if _is_blank(value):
                sheet.write_string(row_number, col, BLANK, formats["blank"])
            else:
                sheet.write_number(row_number, col, value, formats["one"])
        sheet.write_number(row_number, 8, row["treated_units"], formats["int"])
        sheet.write_number(row_number, 9, row["comparison_units"], formats["int"])
        sheet.write_string(row_number, 10, row["sentence"] or "", formats["text"])
        sheet.write_string(row_number, 11, row["note"] or "", formats["text"])
        row_number += 1
    sheet.set_column(0, 2, 24)
    sheet.set_column(3, 9, 12)
    sheet.set_column(10, 10, 70)
    sheet.set_column(11, 11, 50)
    sheet.freeze_panes(5, 2)


def _named_tables(
    tables_or_table: pl.DataFrame | Sequence[pl.DataFrame] | Mapping[str, pl.DataFrame],
) -> list[tuple[str | None, pl.DataFrame]]:
    if isinstance(tables_or_table, pl.DataFrame):
        tables: list[tuple[str | None, object]] = [(None, tables_or_table)]
    elif isinstance(tables_or_table, Mapping):
        tables = [(str(k), v) for k, v in tables_or_table.items()]
    elif isinstance(tables_or_table, Sequence) and not isinstance(tables_or_table, str):
        tables = [(None, t) for t in tables_or_table]
    else:
        raise ArgumentTypeError(
            "`tables_or_table` must be an estimate table (a polars DataFrame), a list of "
            f"them or a dict of name → table, not {type(tables_or_table).__name__}"
        )
    if not tables:
        raise ArgumentError("`tables_or_table` holds no table; give at least one estimate table")
    for i, (_, table) in enumerate(tables, 1):
        if not isinstance(table, pl.DataFrame):
            raise ArgumentTypeError(
                f"table {i} is a {type(table).__name__}, not a polars DataFrame"
            )
        key_columns(table)
    return tables  # type: ignore[return-value]


def _instrument_name(spec: dict, inst: Instrument, lang: str) -> str:
    name = spec.get("name")
    if isinstance(name, dict):
        return name.get(lang) or name.get("sv") or name.get("en") or inst.name
    return str(name or inst.name)


def _years(tables: list[tuple[str | None, pl.DataFrame]]) -> str | None:
    """The year(s) the tables are of, when they say: ``2025`` or ``2024–2025``."""
    values = sorted(
        {y for _, t in tables if "year" in t.columns for y in t["year"].drop_nulls().to_list()}
    )
    if not values:
        return None
    return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"


def _level_title(level: int, keys: list[str], words: Words, by: Mapping[str, str] | None) -> str:
    if level == 0 or not keys:
        return words["total"]
    return column_title(keys[min(level, len(keys)) - 1], dict(by or {}))


def _sheet_name(base: str, taken: set[str]) -> str:
    """A valid, unused sheet name: no ``[]:*?/\\``, at most 31 characters."""
    clean = _SHEET_NAME_BAD.sub(" ", base).strip().strip("'") or "Blad"
    name, k = clean[:31], 2
    while name.lower() in taken:
        suffix = f" ({k})"
        name, k = clean[: 31 - len(suffix)] + suffix, k + 1
    taken.add(name.lower())
    return name


def _formats(workbook) -> dict:
    base = {"font_name": "Calibri", "font_size": 11}
    header = {**base, "text_wrap": True, "valign": "bottom", "bottom": 1, "bg_color": "#F2F2F2"}
    return {
        "title": workbook.add_format({**base, "bold": True, "font_size": 14}),
        "meta": workbook.add_format({**base, "font_color": "#595959"}),
        "header": workbook.add_format({**header, "bold": True}),
        "header_item": workbook.add_format(header),
        "text": workbook.add_format(base),
        "total": workbook.add_format({**base, "bold": True}),
        "int": workbook.add_format({**base, "num_format": "0"}),
        "one": workbook.add_format({**base, "num_format": "0.0"}),
        "two": workbook.add_format({**base, "num_format": "0.00"}),
        "share": workbook.add_format({**base, "num_format": "0%"}),
        "blank": workbook.add_format({**base, "align": "right", "font_color": "#7F7F7F"}),
        "bold": workbook.add_format({**base, "bold": True, "valign": "top"}),
        "wrap": workbook.add_format({**base, "text_wrap": True, "valign": "top"}),
    }


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _write_level(sheet, units, level, keys, inst, words, by, formats) -> None:
    """One level's units × measures below the title block."""
    text = _TEXT[words.lang]
    names = dict(by or {})
    group = group_name_column(words)
    first = group if level == 0 else _level_title(level, keys, words, names)
    parents = keys[: max(level - 1, 0)]
    fixed = [group, "level", *keys, "n_respondents", "svarsfrekvens"]
    measures = [c for c in units.columns if c not in fixed]
    kinds = dict(zip(*inst.labels(lang=words.lang).select("label", "kind"), strict=True))

    columns = [(group, first, "name"), *[(k, column_title(k, names), "parent") for k in parents]]
    columns.append(("n_respondents", text["respondents"], "int"))
    if "svarsfrekvens" in units.columns:
        columns.append(("svarsfrekvens", words["response_rate"], "share"))
    columns += [(m, m, "item" if kinds.get(m) == "item" else "measure") for m in measures]

    row0 = _HEADER_ROW
    for c, (column, header, kind) in enumerate(columns):
        style = formats["header_item"] if kind == "item" else formats["header"]
        sheet.write_string(row0, c, header, style)
        values = units[column].to_list()
        if kind in ("name", "parent"):
            missing = words.missing(column_title(column, names))
            shown = [missing if v is None else str(v) for v in values]
            width = min(max(12, len(header) + 2, *(len(s) + 2 for s in shown)), 45)
            sheet.set_column(c, c, width)
            for r, v in enumerate(shown, row0 + 1):
                bold = kind == "name" and units["level"][r - row0 - 1] == 0
                sheet.write_string(r, c, v, formats["total" if bold else "text"])
            continue
        number = formats["one"] if kind in ("item", "measure") else formats[kind]
        sheet.set_column(c, c, _MEASURE_WIDTH if kind in ("item", "measure") else 12)
        for r, v in enumerate(values, row0 + 1):
            if _is_blank(v):
                sheet.write_string(r, c, BLANK, formats["blank"])
            else:
                sheet.write_number(r, c, v, number)
    longest = max(len(h) for _, h, _ in columns)
    lines = min(max(2, math.ceil(longest / (_MEASURE_WIDTH - 2))), 8)
    sheet.set_row(row0, 15 * lines + 3)
    sheet.freeze_panes(row0 + 1, 1)


def _scale_label(labels: list[dict], code: int, lang: str) -> str | None:
    for label in labels:
        if label.get("code") == code:
            return label.get(lang) or label.get("sv") or label.get("en")
    return None


def _quote(text: str, lang: str) -> str:
    return f"”{text}”" if lang == "sv" else f"“{text}”"


def _join(parts: list[str], word: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _comparability(
    invariance: pl.DataFrame | None, inst: Instrument, words: Words
) -> list[tuple[str, str]]:
    """(term, verdict) per dimension of an invariance table, for the notes sheet."""
    if invariance is None:
        return []
    from .._followup import _invariance_flags

    labels = dict(inst.labels(lang=words.lang).select("measure", "label").iter_rows())
    text = _TEXT[words.lang]["comparability"]
    return [
        (text.format(dimension=labels.get(dimension, dimension)), verdict)
        for dimension, (_, verdict) in _invariance_flags(invariance).items()
        if verdict
    ]


def _write_notes(
    sheet, tables, inst, spec, words, title, today, source, has_rate, formats, comparability
) -> None:
    """The notes sheet: what the values, the scale and a blank mean, once; then whether
    each dimension compares between groups, when an invariance table was given."""
    text = _TEXT[words.lang]
    lang = words.lang
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 100)
    sheet.write_string(0, 0, text["notes"], formats["title"])
    sheet.write_string(1, 0, title, formats["meta"])

    scale = spec.get("scale", {})
    low, high = scale.get("min"), scale.get("max")
    labels = scale.get("labels", [])
    skipped = set(scale.get("dont_know", [])) | set(scale.get("not_applicable", []))
    low_label, high_label = _scale_label(labels, low, lang), _scale_label(labels, high, lang)
    ends = (
        text["ends"].format(low=_quote(low_label, lang), high=_quote(high_label, lang))
        if low_label and high_label
        else ""
    )
    rows = [(text["values"], text["mean_text"].format(ends=ends))]
    if low is not None and high is not None:
        named = [
            f"{label['code']} = {label.get(lang) or label.get('sv')}"
            for label in labels
            if label.get("code") not in skipped and (label.get(lang) or label.get("sv"))
        ]
        scale_text = text["scale_text"].format(
            min=low, max=high, labels=f" ({', '.join(named)})" if named else ""
        )
        if spec.get("scoring", "linear") == "linear" and high > low:
            factor = 100 / (high - low)
            factor_text = f"{factor:g}" if factor == int(factor) else f"100/{high - low}"
            scale_text += text["recode"].format(min=low, factor=factor_text)
        dont_know = [
            _quote(label.get(lang) or label.get("sv"), lang)
            for label in labels
            if label.get("code") in skipped and (label.get(lang) or label.get("sv"))
        ]
        if dont_know:
            scale_text += text["dont_know"].format(labels=_join(dont_know, text["and"]))
        rows.append((text["scale"], scale_text))
    positive = [
        _quote(_scale_label(labels, c, lang) or str(c), lang) for c in scale.get("positive", [])
    ]
    neutral = [
        _quote(_scale_label(labels, c, lang) or str(c), lang) for c in scale.get("neutral", [])
    ]
    if positive:
        rows.append(
            (
                text["positive"],
                text["positive_text"].format(
                    positive=_join(positive, text["and"]),
                    neutral=text["neutral_text"].format(neutral=_join(neutral, text["and"]))
                    if neutral
                    else "",
                ),
            )
        )
    rows.append((text["blank"], f"{words['blank_note']} {text['blank_text']}"))
    thresholds = _settings(tables, "min_group") or [inst.min_group]
    rows.append(
        (
            text["min_group"],
            text["min_group_text"].format(n=_join([str(t) for t in thresholds], text["and"])),
        )
    )
    confidence = _settings(tables, "confidence")
    if confidence:
        level = _join([words.percent(c * 100, 0) for c in confidence], text["and"])
        rows.append((text["confidence"], text["confidence_text"].format(level=level)))
    rows.append((text["respondents"], text["respondents_text"]))
    if has_rate:
        rows.append((words["response_rate"], text["response_rate_text"]))
    rows.extend(comparability)
    rows.append((text["data"], text["data_text"]))
    rows.append((text["date"], today))
    rows.append((text["source"], source))

    r = 3
    for term, explanation in rows:
        sheet.write_string(r, 0, term, formats["bold"])
        sheet.write_string(r, 1, explanation, formats["wrap"])
        r += 1
    r += 1
    sheet.write_string(r, 0, text["measures"], formats["header"])
    sheet.write_string(r, 1, text["what"], formats["header"])
    present = {m for _, t in tables for m in t["measure"].unique().to_list()}
    for measure, explanation in _measure_notes(inst, words, present):
        r += 1
        sheet.write_string(r, 0, measure, formats["wrap"])
        sheet.write_string(r, 1, explanation, formats["wrap"])


def _settings(tables, column: str) -> list:
    values = {v for _, t in tables if column in t.columns for v in t[column].drop_nulls()}
    return sorted(values)


def _measure_notes(inst: Instrument, words: Words, present: set[str]) -> list[tuple[str, str]]:
    """Each measure's label and what it is, in instrument order."""
    text, lang = _TEXT[words.lang], words.lang
    labels = inst.labels(lang=lang)
    label_of = dict(zip(labels["measure"], labels["label"], strict=True))
    rows = labels.rows(named=True)
    notes = []
    for row in rows:
        if row["measure"] not in present:
            continue
        children = [r for r in rows if r["parent"] == row["measure"]]
        if row["kind"] == "index":
            dims = [_quote(r["label"], lang) for r in children if r["kind"] != "item"]
            items = [r for r in rows if r["kind"] == "item"]
            parts = dims if dims else [text["statements"].format(n=len(items))]
            explanation = text["index_text"].format(parts=_join(parts, text["and"]))
        elif row["kind"] == "dimension":
            parts = [_quote(r["label"], lang) for r in children] or ["–"]
            explanation = text["dimension_text"].format(parts=_join(parts, text["and"]))
        else:
            parent = label_of.get(row["parent"]) if row["parent"] else None
            where = text["item_parent"].format(parent=_quote(parent, lang)) if parent else ""
            explanation = text["item_text"].format(parent=where)
        notes.append((row["label"], explanation))
    return notes


def _write_data(sheet, tables, inst, words, formats) -> None:
    """The long analysis table, published rows only (never a blanked value)."""
    published = pl.concat(
        [t.filter(~pl.col("suppressed").fill_null(True)) for _, t in tables],
        how="diagonal_relaxed",
    )
    published = labelled(published, inst, words)
    columns = [c for c in published.columns if c not in ("suppressed", "confidence", "min_group")]
    columns.remove("label")
    columns.insert(columns.index("measure") + 1, "label")
    published = published.select(columns)
    styles = {"se": formats["two"]}
    for c, (column, dtype) in enumerate(published.schema.items()):
        sheet.write_string(0, c, column, formats["header"])
        if dtype.is_float():
            style = styles.get(column, formats["one"])
            width = 10
        elif dtype.is_integer():
            style, width = formats["int"], 10
        else:
            style = formats["text"]
            longest = max((len(str(v)) for v in published[column].drop_nulls()), default=0)
            width = min(max(10, longest + 2), 40)
        sheet.set_column(c, c, width)
        for r, v in enumerate(published[column].to_list(), 1):
            if _is_blank(v):
                continue
            if isinstance(v, bool):
                sheet.write_boolean(r, c, v, style)
            elif isinstance(v, int | float):
                sheet.write_number(r, c, v, style)
            else:
                sheet.write_string(r, c, str(v), style)
    sheet.freeze_panes(1, 0)
