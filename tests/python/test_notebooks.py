"""Executes every notebook on the bundled example data."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors


def test_there_is_a_quickstart():
    assert any(p.name == "01_quickstart.ipynb" for p in NOTEBOOKS)


def test_committed_notebooks_are_what_the_builder_writes():
    """The builder is the notebooks' source: an edit made in an .ipynb by hand would be lost
    the next time it runs, so it must fail here instead."""
    builder = NOTEBOOKS[0].parent / "_build_notebooks.py"
    done = subprocess.run([sys.executable, str(builder), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_notebook_check_finds_a_hand_edit(tmp_path):
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS[0].parent, copy)
    shutil.copy(NOTEBOOKS[0].parents[1] / "pyproject.toml", tmp_path)
    edited = copy / "01_quickstart.ipynb"
    edited.write_text(edited.read_text().replace("quickstart", "quick start", 1))
    done = subprocess.run(
        [sys.executable, str(copy / "_build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "notebooks/01_quickstart.ipynb differs" in done.stderr
