"""Outputs for people: manager pages (HTML), the Excel report, figures — in the
instrument's language (Swedish for the Swedish built-ins) or the one asked for."""

from ._format import BLANK, Words, labelled, measure_labels
from ._wide import wide
from .excel import write_csv, write_report
from .html import write_pages

__all__ = [
    "BLANK",
    "Words",
    "labelled",
    "measure_labels",
    "wide",
    "write_csv",
    "write_pages",
    "write_report",
]
