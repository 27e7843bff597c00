"""Writes the pyreadstat-*-features seeds: one small file per storage (bytecode, none, zlib)
with every SPSS feature lyhord reads. Run from the repository root with pyreadstat installed:

    python tests/data/sav/make_seeds.py

The files are committed; tests/python/test_import.py reads them with lyhord and with
pyreadstat and compares value by value, and tests/import.rs fuzzes them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyreadstat

HERE = Path(__file__).parent
LO = -1.7976931348623155e308  # SPSS's LO: the lowest double above SYSMIS (−DBL_MAX)
HI = 1.7976931348623157e308  # SPSS's HI: DBL_MAX

FRAME = pd.DataFrame(
    {
        # An item: codes with labels, 9 user-missing.
        "eng1": [5.0, 4.0, 9.0, 1.0, 3.0, 2.0],
        # Background, every value labelled → Enum.
        "forvaltning": [1.0, 2.0, 3.0, 1.0, 2.0, None],
        # Background, some values unlabelled → codes kept.
        "enhet": [10.0, 11.0, 12.0, 13.0, 10.0, 11.0],
        # Ranges LO THRU 17 and 99 THRU HI.
        "alder": [34.0, 15.0, 101.0, 45.0, 62.0, 28.0],
        "inkomst": [1.5, 99.0, 250.25, -5.0, 0.0, 12.0],
        # Short strings with labels and a missing value.
        "kon": ["K", "M", "X", "K", "M", "K"],
        # A long string (> 8 bytes: labels in 7/21, missing values in 7/22).
        "kommun": ["Göteborg", "Malmö", "Okänd", "Göteborg", "Umeå", "Malmö"],
        # A very long string (> 255 bytes: 7/14 segments).
        "kommentar": ["Lång kommentar. " * 40, "kort", "", "åäö", "x" * 300, "slut"],
        "datum": [
            dt.date(2024, 3, 1),
            dt.date(1583, 1, 1),
            None,
            dt.date(1970, 1, 1),
            dt.date(2000, 2, 29),
            dt.date(1899, 12, 31),
        ],
        "adatum": [dt.date(2024, 3, 1)] * 6,
        "edatum": [dt.date(1960, 10, 14)] * 6,
        "sdatum": [dt.date(2012, 12, 12)] * 6,
        "jdatum": [dt.date(2023, 7, 9)] * 6,
        "tidpunkt": [
            dt.datetime(2024, 3, 1, 8, 30, 15),
            dt.datetime(1880, 5, 6, 10, 10, 10),
            None,
            dt.datetime(1970, 1, 1),
            dt.datetime(2038, 1, 19, 3, 14, 7),
            dt.datetime(1999, 12, 31, 23, 59, 59),
        ],
        "ymdhms": [dt.datetime(2020, 7, 13, 23, 19, 55)] * 6,
        "tid": [
            dt.time(10, 10, 10),
            dt.time(23, 59, 59),
            None,
            dt.time(0, 0, 0),
            dt.time(12, 0, 1),
            dt.time(6, 30, 0),
        ],
        "vikt": [1.25, 0.5, 2.0, 1.0, 0.75, 3.125],
    }
)

OPTIONS = dict(
    column_labels={
        "eng1": "Jag känner mig engagerad i mitt arbete",
        "forvaltning": "Förvaltning",
        "enhet": "Enhet",
        "alder": "Ålder",
        "kon": "Kön",
        "kommun": "Kommun",
        "datum": "Datum",
    },
    variable_value_labels={
        "eng1": {1.0: "Stämmer mycket dåligt", 5.0: "Stämmer mycket bra", 9.0: "Ej svar"},
        "forvaltning": {
            1.0: "Socialförvaltningen",
            2.0: "Utbildningsförvaltningen",
            3.0: "Kulturförvaltningen",
        },
        "enhet": {10.0: "Enhet A", 11.0: "Enhet B"},
        "kon": {"K": "Kvinna", "M": "Man", "X": "Vill ej uppge"},
        "kommun": {"Göteborg": "Göteborgs stad", "Malmö": "Malmö stad", "Umeå": "Umeå kommun"},
    },
    missing_ranges={
        "eng1": [9.0],
        "alder": [{"lo": LO, "hi": 17.0}],
        "inkomst": [{"lo": 99.0, "hi": HI}, -5.0],
        "kon": ["X"],
        "kommun": ["Okänd"],
    },
    variable_measure={
        "eng1": "ordinal",
        "forvaltning": "nominal",
        "enhet": "nominal",
        "alder": "scale",
        "kon": "nominal",
        "vikt": "scale",
    },
    variable_format={
        "datum": "DATE11",
        "adatum": "ADATE10",
        "edatum": "EDATE10",
        "sdatum": "SDATE10",
        "jdatum": "JDATE7",
        "tidpunkt": "DATETIME20",
        "ymdhms": "YMDHMS19",
        "tid": "TIME8",
        "vikt": "F8.3",
    },
)


def main() -> None:
    pyreadstat.write_sav(FRAME, HERE / "pyreadstat-features.sav", row_compress=True, **OPTIONS)
    pyreadstat.write_sav(FRAME, HERE / "pyreadstat-features-plain.sav", **OPTIONS)
    pyreadstat.write_sav(FRAME, HERE / "pyreadstat-features.zsav", compress=True, **OPTIONS)


if __name__ == "__main__":
    main()
