"""Words and numbers for outputs meant for people: one language per output (Swedish by
default for Swedish instruments), decimal comma in Swedish, singular and plural, the named
total row, and a bare "–" for a blank."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import polars as pl

from .._args import choice, resolve_instrument
from .._lyhord import Instrument
from .._types import Lang

#: A blanked number in a published output: nothing else about it is shown.
BLANK = "–"

_WORDS = {
    "sv": {
        "total": "Hela kommunen",
        "whole": "Hela {name}",
        "missing": "({column} saknas)",
        "n": "Antal svar",
        "response_rate": "Svarsfrekvens",
        "mean": "Medel",
        "ci": "95 % konfidensintervall",
        "change": "Förändring",
        "last_year": "Förra året",
        "positive": "Positiva",
        "neutral": "Neutrala",
        "negative": "Negativa",
        "unit": "Enhet",
        "measure": "Mått",
        "statement": "Påstående",
        "blank_note": "– = visas inte: för få svar för att skydda de svarandes anonymitet.",
        "group": ("grupp", "grupper"),
        "answer": ("svar", "svar"),
        "respondent": ("svarande", "svarande"),
        "unit_noun": ("enhet", "enheter"),
        "and": "och",
    },
    "en": {
        "total": "Whole organisation",
        "whole": "All of {name}",
        "missing": "({column} missing)",
        "n": "Answers",
        "response_rate": "Response rate",
        "mean": "Mean",
        "ci": "95 % confidence interval",
        "change": "Change",
        "last_year": "Last year",
        "positive": "Positive",
        "neutral": "Neutral",
        "negative": "Negative",
        "unit": "Unit",
        "measure": "Measure",
        "statement": "Statement",
        "blank_note": "– = not shown: too few answers to protect the respondents' anonymity.",
        "group": ("group", "groups"),
        "answer": ("answer", "answers"),
        "respondent": ("respondent", "respondents"),
        "unit_noun": ("unit", "units"),
        "and": "and",
    },
}


@dataclass(frozen=True)
class Words:
    """The words and number format of one output language."""

    lang: Lang

    @classmethod
    def of(cls, instrument: Instrument | str | None, lang: str | None = None) -> Words:
        """The language asked for, else the instrument's (Swedish for the Swedish ones, and
        without an instrument)."""
        default = resolve_instrument(instrument).language if instrument is not None else "sv"
        return cls(cast(Lang, choice("Lang", lang or default)))

    def __getitem__(self, key: str) -> str:
        return cast(str, _WORDS[self.lang][key])

    def number(self, value: float | None, decimals: int = 1, sign: bool = False) -> str:
        """``71,2`` in Swedish, ``71.2`` in English; the blank mark for a missing value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return BLANK
        text = f"{value:+,.{decimals}f}" if sign else f"{value:,.{decimals}f}"
        if self.lang == "sv":
            # Swedish: a (narrow no-break) space between thousands, a decimal comma, a real
            # minus sign.
            text = text.replace(",", "\u202f").replace(".", ",").replace("-", "−")
        return text

    def percent(self, value: float | None, decimals: int = 0) -> str:
        return BLANK if value is None else f"{self.number(value, decimals)}\u00a0%"

    def count(self, n: int, noun: str) -> str:
        """``1 grupp``, ``2 grupper``."""
        one, many = _WORDS[self.lang][noun]
        return f"{n} {one if n == 1 else many}"

    def whole(self, name: str) -> str:
        return self["whole"].format(name=name)

    def missing(self, column: str) -> str:
        return self["missing"].format(column=column.lower())


def measure_labels(instrument: Instrument | str, words: Words) -> dict[str, str]:
    """measure id → its name for people (statements for items) in the output language."""
    inst = resolve_instrument(instrument)
    labels = inst.labels(lang=words.lang)
    return dict(zip(labels["measure"], labels["label"], strict=True))


def unit_label(row: dict, by: list[str], words: Words) -> str:
    """A row's group for people: the total named, a blank key as "(enhet saknas)"."""
    level = row.get("level", len(by))
    if level == 0:
        return words["total"]
    value = row[by[level - 1]]
    return words.missing(by[level - 1]) if value is None else str(value)


def labelled(table: pl.DataFrame, instrument: Instrument | str, words: Words) -> pl.DataFrame:
    """``table`` with a ``label`` column beside ``measure``: the name people read."""
    labels = measure_labels(instrument, words)
    return table.with_columns(pl.col("measure").replace_strict(labels, default=None).alias("label"))


def measured_waves(fx: pl.DataFrame, row: dict) -> str:
    """The waves after the start the effect is over: "2026" or "2025–2026" (empty for an
    action's starts together, which have no one first wave)."""
    if row["first_wave"] is None:
        return ""
    after = fx.filter(
        (pl.col("view") == "event")
        & (pl.col("action") == row["action"])
        & (pl.col("first_wave") == row["first_wave"])
        & (pl.col("event_time") >= 0)
    )["wave"]
    last = int(after.max()) if after.len() else row["first_wave"]  # type: ignore[arg-type]
    return str(row["first_wave"]) if last == row["first_wave"] else f"{row['first_wave']}–{last}"


_ACTION_NOTE = {
    "sv": {
        "text": "Förändringen efter åtgärden jämförs med enheter utan den{adjusted}, i poäng "
        "0–100. Intervall {conf} %; de enskilda enheternas gäller alla enheter med samma start "
        "samtidigt. Bara publicerade värden används.",
        "level_size": ", med hänsyn till nivå och storlek före start",
        "level_size_trend": ", med hänsyn till nivå, storlek och tidigare trend före start",
        "trend": ", med hänsyn till tidigare trend före start",
        "none": "",
    },
    "en": {
        "text": "The change after the action is compared with units without it{adjusted}, in "
        "points 0–100. {conf} % intervals; single units' hold for all units with the same "
        "start at once. Only published values are used.",
        "level_size": ", allowing for level and size before the start",
        "level_size_trend": ", allowing for level, size and earlier trend before the start",
        "trend": ", allowing for the earlier trend before the start",
        "none": "",
    },
}


def action_note(effects: pl.DataFrame, words: Words) -> str:
    """What the action effects compare, as the effects table says it was done (its
    ``adjustment`` and ``confidence``): one note for the pages and the workbook."""
    texts = _ACTION_NOTE[words.lang]
    adjustment = effects["adjustment"][0] if effects.height else "none"
    confidence = effects["confidence"][0] if effects.height else 0.95
    percent = round(100 * confidence, 6)
    conf = words.number(percent, 0 if percent.is_integer() else 1)
    return texts["text"].format(adjusted=texts[adjustment], conf=conf)
