import subprocess
import sys
from pathlib import Path

import lyhord as ly
import polars as pl
import pytest
from polars.testing import assert_frame_equal

LYHORD = str(Path(sys.executable).parent / "lyhord")


def run(*args, cwd=None):
    return subprocess.run([LYHORD, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_score_semicolon_export_matches_python_api(tmp_path, staff_2025, suffix):
    export = tmp_path / "export.csv"
    staff_2025.write_csv(export, separator=";")
    out = tmp_path / f"results{suffix}"
    done = run(
        "score", str(export), "--instrument", "hme", "--by", "forvaltning,enhet", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    api = ly.estimate(staff_2025, "hme", by=["forvaltning", "enhet"])
    if suffix == ".csv":
        cli = pl.read_csv(out, schema=api.schema)
    elif suffix == ".parquet":
        cli = pl.read_parquet(out)
    else:
        cli = pl.read_excel(out).cast(api.schema)
    assert_frame_equal(cli, api, check_exact=False, rel_tol=1e-12)


def test_score_reports_bad_input_and_exits_2(tmp_path):
    done = run(
        "score", str(tmp_path / "nope.csv"), "--instrument", "hme", "--out", str(tmp_path / "r.csv")
    )
    assert done.returncode == 2 and "nope.csv: no such file" in done.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "enhet;"
        + ";".join(f"hme{i}" for i in range(1, 10))
        + "\nA;"
        + ";".join(["3"] * 8 + ["9"])
        + "\n"
    )
    # By default a value outside the scale becomes missing and is reported; --strict fails.
    done = run("score", str(bad), "--instrument", "hme", "--out", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert "hme9 (hme9): 1 value(s) outside the scale set to missing — 9: 1 (rows 2)" in (
        done.stderr
    )
    strict = run(
        "score", str(bad), "--instrument", "hme", "--strict", "--out", str(tmp_path / "r.csv")
    )
    assert strict.returncode == 2 and "column `hme9` (item hme9), row 2: value 9" in strict.stderr


EXPORTS = Path(__file__).parents[1] / "data" / "exports"
UNIT_COLUMN = {
    "cp1252.csv": "Förvaltning",
    "qualtrics.csv": "Q1",
    "surveymonkey.csv": "Vilken förvaltning arbetar du inom?",
    "xlsx.xlsx": "forvaltning",
    "sav.sav": "forvaltning",
    "parquet.parquet": "forvaltning",
    "utf16.txt": "forvaltning",
}


@pytest.mark.parametrize("kind", sorted(UNIT_COLUMN))
def test_score_accepts_every_export_format(tmp_path, kind):
    out = tmp_path / "r.parquet"
    sheet = ["--sheet", "Svar"] if kind.endswith("xlsx") else []
    export = str(EXPORTS / f"exempelkommun-{kind}")
    by = UNIT_COLUMN[kind]
    done = run("score", export, "--instrument", "epl-staff", "--by", by, "--out", str(out), *sheet)
    assert done.returncode == 0, done.stderr
    table = pl.read_parquet(out).rename({by: "forvaltning"}).sort("forvaltning", "measure")
    reference = ly.estimate(
        ly.read_export(EXPORTS / "exempelkommun-parquet.parquet", "epl-staff").data,
        "epl-staff",
        by=["forvaltning"],
    ).sort("forvaltning", "measure")
    assert_frame_equal(table, reference)


def test_demo_runs(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "Barn- och utbildningsförvaltningen" in done.stdout
    assert (tmp_path / "demo" / "epl-staff_2025.csv").is_file()
