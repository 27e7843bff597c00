"""The wheel in dist/ (`make wheel`), when there is one: what it holds and what it asks pip
to install. Skipped without a wheel; the suite never builds one (a release build takes
15-25 minutes). Installing it in a fresh venv and running `lyhord demo` there is the manual
check the README's install section describes."""

import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: lyhord depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "lyhord"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
WHEELS = sorted((ROOT / "dist").glob("lyhord-*.whl"))
REBUILD = "(an old wheel? run `make wheel`)"

pytestmark = pytest.mark.skipif(not WHEELS, reason="no wheel in dist/ (make wheel builds one)")


@pytest.fixture(scope="module")
def wheel():
    assert len(WHEELS) == 1, f"one wheel expected in dist/, found {[w.name for w in WHEELS]}"
    with zipfile.ZipFile(WHEELS[0]) as zf:
        names = zf.namelist()
        dist_info = f"lyhord-{PYPROJECT['version']}.dist-info"
        assert f"{dist_info}/METADATA" in names, f"{WHEELS[0].name} is not {dist_info} {REBUILD}"
        meta = {
            name: zf.read(f"{dist_info}/{name}").decode()
            for name in ("METADATA", "WHEEL", "entry_points.txt")
        }
    return names, meta


def test_one_abi3_wheel_per_platform(wheel):
    _, meta = wheel
    tags = Parser().parsestr(meta["WHEEL"]).get_all("Tag")
    assert tags and all(tag.startswith("cp310-abi3-") for tag in tags), tags
    assert "-cp310-abi3-" in WHEELS[0].name


def test_package_files(wheel):
    names, _ = wheel
    assert len(names) == len(set(names)), "a file is in the wheel twice"
    extensions = [
        n for n in names if n.startswith("lyhord/_lyhord.") and n.endswith((".so", ".pyd"))
    ]
    assert extensions in (["lyhord/_lyhord.abi3.so"], ["lyhord/_lyhord.pyd"]), extensions
    assert {"lyhord/py.typed", "lyhord/_lyhord.pyi"} <= set(names)
    # every module of the source tree (datasets/, report/ ...), and nothing else
    sources = {
        p.relative_to(PACKAGE.parent).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    packaged = {n for n in names if n.endswith(".py")}
    assert sources == packaged, f"{sources ^ packaged} {REBUILD}"
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    assert "lyhord/datasets/__init__.py" in names and "lyhord/report/html.py" in names


def requirements(meta: str) -> dict[str | None, set[str]]:
    """Requires-Dist by extra (None: always), each requirement in a canonical spelling."""
    out: dict[str | None, set[str]] = {}
    for line in Parser().parsestr(meta).get_all("Requires-Dist") or []:
        req = Requirement(line)
        extra = None
        marker = str(req.marker) if req.marker else ""
        if "extra ==" in marker:
            extra = marker.split("extra ==")[1].strip().strip("'\"")
            marker = marker.split(" and extra ==")[0] if " and " in marker else ""
        req.marker = None
        key = f"{req}; {marker}".rstrip("; ").replace('"', "'")
        out.setdefault(extra, set()).add(key)
    return out


def canonical(specs: list[str]) -> set[str]:
    keys = set()
    for spec in specs:
        req = Requirement(spec)
        marker = str(req.marker) if req.marker else ""
        req.marker = None
        keys.add(f"{req}; {marker}".rstrip("; ").replace('"', "'"))
    return keys


def test_metadata_asks_for_the_runtime_dependencies_only(wheel):
    _, meta = wheel
    fields = Parser().parsestr(meta["METADATA"])
    assert fields["Name"] == "lyhord" and fields["Version"] == PYPROJECT["version"]
    assert fields["Requires-Python"] == PYPROJECT["requires-python"]
    by_extra = requirements(meta["METADATA"])
    # what `pip install lyhord` installs: polars (and tomli on 3.10), nothing else
    assert by_extra[None] == canonical(PYPROJECT["dependencies"])
    assert {r.split(">")[0].split(";")[0] for r in by_extra[None]} == {"polars", "tomli"}
    extras = PYPROJECT["optional-dependencies"]
    assert set(fields.get_all("Provides-Extra")) == set(extras)
    for extra, specs in extras.items():
        assert by_extra[extra] == canonical(specs), extra
    assert "lyhord = lyhord.cli:main" in meta["entry_points.txt"]
