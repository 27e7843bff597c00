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
    done = run("score", str(bad), "--instrument", "hme", "--out", str(tmp_path / "r.csv"))
    assert done.returncode == 2 and "`hme9`, row 1: value 9" in done.stderr


def test_demo_runs(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "Barn- och utbildningsförvaltningen" in done.stdout
    assert (tmp_path / "demo" / "epl-staff_2025.csv").is_file()
