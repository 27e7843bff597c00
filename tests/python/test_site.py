"""The documentation site lists every public name (the API pages are built from this list)."""

import re
from pathlib import Path

import lyhord as ly

API_INDEX = Path(__file__).parents[2] / "docs" / "api" / "index.md"
MODULES = {"expr", "plot", "dask"}  # documented function by function


def test_every_public_name_has_an_api_page():
    listed = set(re.findall(r"^   ([\w.]+)$", API_INDEX.read_text(), re.MULTILINE))
    public = {n for n in ly.__all__ if not n.startswith("__")} - MODULES
    assert public - listed == set()
    assert {n for n in listed if "." not in n} - public == set()
