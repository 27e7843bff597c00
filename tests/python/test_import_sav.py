"""SPSS .sav / .zsav read by ly.read_export, compared value by value with pyreadstat 1.3
(ReadStat, an independent C reader), on files other tools wrote: SPSS itself (pyreadstat's
test data), R haven / ReadStat (haven's test data) and pyreadstat's writer (the
``pyreadstat-features*`` seeds of tests/data/sav/make_seeds.py, one per storage: bytecode,
none, zlib). tests/data/sav/README.md says where each file comes from.

What lyhord does differently from pyreadstat, on purpose, and checked as such:
- background columns whose every value has a label become a polars Enum of the labels
  (pyreadstat: codes plus a label dict; compared through the dict);
- TIME / DTIME are Durations (pyreadstat: ``datetime.time``; compared in seconds);
- MOYR / QYR / WKYR are Dates (pyreadstat leaves them seconds since 1582; compared so);
- empty strings are null (pyreadstat: "").
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest

pyreadstat = pytest.importorskip("pyreadstat")

SAV = Path(__file__).parents[1] / "data" / "sav"
EPOCH_1582 = dt.datetime(1582, 10, 14)

INST = ly.Instrument.from_toml_str(
    """
id = "one"
name = { sv = "Ett item" }
[scale]
min = 1
max = 5
positive = [4, 5]
[index]
id = "index"
label = { sv = "Index" }
rule = "mean_of_items"
min_answered = 1
[[items]]
id = "eng1"
text = { sv = "Jag känner mig engagerad i mitt arbete" }
"""
)

# File → the numeric column mapped to the instrument's one item (read_export needs one);
# every other column is a background column, compared with pyreadstat.
FILES = {
    "pyreadstat-features.sav": "eng1",
    "pyreadstat-features-plain.sav": "eng1",
    "pyreadstat-features.zsav": "eng1",
    "pyreadstat-sample.sav": "mynum",
    "pyreadstat-sample.zsav": "mynum",
    "pyreadstat-sample_missing.sav": "mynum",
    "pyreadstat-simple_alltypes.sav": "bool1",
    "pyreadstat-test_width.sav": "Duration__in_seconds_",
    "pyreadstat-tegulu.sav": "record",
    "haven-iris.sav": "Sepal.Length",
}


def missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd_nat() or v == ""


def pd_nat() -> object:
    import pandas as pd

    return pd.NaT


def expected_value(v: object, fmt: str, labels: dict | None, dtype: pl.DataType) -> object:
    """pyreadstat's value as lyhord gives it (see the module docstring)."""
    if missing(v):
        return None
    if dtype == pl.Enum:
        return labels[v] if labels else v
    if dtype == pl.Duration:
        return (
            dt.timedelta(hours=v.hour, minutes=v.minute, seconds=v.second)
            if isinstance(v, dt.time)
            else dt.timedelta(seconds=v)
        )
    if dtype == pl.Date and not isinstance(v, dt.date):  # QYR / MOYR / WKYR: seconds
        return (EPOCH_1582 + dt.timedelta(seconds=v)).date()
    if dtype == pl.Datetime:
        return v.to_pydatetime()
    if isinstance(v, str):
        return v.rstrip()
    if dtype == pl.Int64:
        return int(v)
    return v


@pytest.mark.parametrize("name", sorted(FILES))
def test_background_columns_match_pyreadstat(name):
    path = SAV / name
    frame, meta = pyreadstat.read_sav(str(path), user_missing=False)
    data, report = ly.read_export(path, INST, mapping={FILES[name]: "eng1"})
    spss = {r["column"]: r for r in report.spss().iter_rows(named=True)}
    assert report.source.format == path.suffix[1:]
    for column in frame.columns:
        if column == FILES[name]:
            continue
        fmt = meta.original_variable_types[column]
        ours = data[column]
        labels = meta.variable_value_labels.get(column)
        expected = [expected_value(v, fmt, labels, ours.dtype) for v in frame[column]]
        assert ours.to_list() == expected, column
        row = spss[column]
        assert row["format"] == fmt, column
        measure = meta.variable_measure[column]
        assert row["measure"] == (None if measure == "unknown" else measure), column
        assert row["variable_label"] == meta.column_names_to_labels[column], column
        if labels:
            assert report.value_labels[column] == labels, column
            assert row["labels"] in ("enum", "kept"), column
        if ours.dtype == pl.Enum:
            # Categories: every label of a code not declared missing, in code order.
            assert row["labels"] == "enum"
            assert set(ours.dtype.categories) <= set(labels.values())


def test_user_missing_counts_match_pyreadstat():
    """n_user_missing = the values pyreadstat turns to NaN only when user_missing=False."""
    path = SAV / "pyreadstat-features.sav"
    kept, _ = pyreadstat.read_sav(str(path), user_missing=True)
    applied, _ = pyreadstat.read_sav(str(path), user_missing=False)
    _, report = ly.read_export(path, INST)
    counts = dict(report.columns.select("column", "n_user_missing").iter_rows())
    for column in ("alder", "inkomst", "kon", "kommun", "eng1"):
        before = kept[column].map(lambda v: not missing(v)).sum()
        after = applied[column].map(lambda v: not missing(v)).sum()
        assert counts[column] == before - after, column
    spss = {r["column"]: r for r in report.spss().iter_rows(named=True)}
    assert spss["alder"]["user_missing"] == "LO THRU 17"
    assert spss["inkomst"]["user_missing"] == "99 THRU HI, -5"
    assert spss["kon"]["user_missing"] == "'X'"
    assert spss["kommun"]["user_missing"] == "'Okänd'"


def test_features_typed_and_reported():
    data, report = ly.read_export(SAV / "pyreadstat-features.zsav", INST)
    assert data.schema["forvaltning"] == pl.Enum(
        ["Socialförvaltningen", "Utbildningsförvaltningen", "Kulturförvaltningen"]
    )
    assert data["forvaltning"].to_list()[:3] == [
        "Socialförvaltningen",
        "Utbildningsförvaltningen",
        "Kulturförvaltningen",
    ]
    # "Vill ej uppge" labels the missing code X: not a category of the answers left.
    assert data.schema["kon"] == pl.Enum(["Kvinna", "Man"])
    assert data["enhet"].dtype == pl.Int64  # 12 and 13 have no label
    spss = {r["column"]: r for r in report.spss().iter_rows(named=True)}
    assert spss["enhet"]["labels"] == "kept"
    assert spss["enhet"]["labels_note"].startswith("value(s) 12, 13 have no label")
    # Items keep their codes; the instrument maps them (9 is user-missing: null).
    assert data["eng1"].to_list() == [5, 4, None, 1, 3, 2]
    assert spss["eng1"]["labels"] == "codes"
    assert (data["datum"].dtype, data["tidpunkt"].dtype, data["tid"].dtype) == (
        pl.Date,
        pl.Datetime("us"),
        pl.Duration("us"),
    )
    assert data["datum"][1] == dt.date(1583, 1, 1)
    notes = report.notes()
    assert "column 'forvaltning': value labels applied (an Enum of them)" in notes
    assert "column 'alder': 1 user-missing value(s) (LO THRU 17) set to null" in notes


def test_haven_datetime_matches_haven():
    """haven's tests/testthat/test-haven-spss.R ("datetime values correctly imported"):
    date[1] is 2014-09-22 and date.posix[2] 2014-09-23 15:59:20 UTC. pyreadstat refuses
    date.posix[1] (a date in the year 201,799); polars holds it, as haven does."""
    data, report = ly.read_export(SAV / "haven-datetime.sav", INST, mapping={"time": "eng1"})
    assert data["date"][0] == dt.date(2014, 9, 22)
    assert data["date.posix"][1] == dt.datetime(2014, 9, 23, 15, 59, 20)
    assert data["date.posix"].dtype == pl.Datetime("us")
    raw, _ = pyreadstat.read_sav(str(SAV / "haven-datetime.sav"), disable_datetime_conversion=True)
    seconds = raw["date.posix"][0] - (dt.datetime(1970, 1, 1) - EPOCH_1582).total_seconds()
    assert data["date.posix"].dt.epoch("s")[0] == round(seconds)
    assert report.source.encoding == "windows-1252"


def test_damaged_sav_is_a_data_error(tmp_path):
    whole = (SAV / "pyreadstat-features.sav").read_bytes()
    # The very long string's width (7/14 "KOMMENTA=00680") made absurd, same length.
    at = whole.index(b"KOMMENTA=00680")
    path = tmp_path / "huge.sav"
    path.write_bytes(whole[:at] + b"KOMMENTA=99999" + whole[at + 14 :])
    with pytest.raises(ly.DataError, match=r"huge\.sav: byte \d+: very long string record"):
        ly.read_export(path, INST)
