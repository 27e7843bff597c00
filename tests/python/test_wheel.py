"""The wheel in dist/ (`make wheel`), when there is one: what it holds and what it asks pip
to install. Skipped without a wheel; the suite never builds one (a release build takes
15-25 minutes). Installing it in a fresh venv and running `lyhord demo` there is the manual
check the README's install section describes."""

import configparser
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


PYTHONS = ["3.10.12", "3.11.7", "3.14.0"]


def wanted(specs: list[str], extra: str) -> set[tuple]:
    """What `pip install lyhord[extra]` installs from these requirements, per Python version
    (markers are compared by what they select: the wheel may spell them differently)."""
    out = set()
    for spec in specs:
        req = Requirement(spec)
        when = tuple(
            req.marker is None
            or req.marker.evaluate(
                {"python_full_version": v, "python_version": v[: v.rindex(".")], "extra": extra}
            )
            for v in PYTHONS
        )
        if any(when):
            out.add((req.name.lower(), str(req.specifier), when))
    return out


def test_metadata_asks_for_the_runtime_dependencies_only(wheel):
    _, meta = wheel
    fields = Parser().parsestr(meta["METADATA"])
    assert fields["Name"] == "lyhord" and fields["Version"] == PYPROJECT["version"]
    assert fields["Requires-Python"] == PYPROJECT["requires-python"]
    requires = fields.get_all("Requires-Dist")
    # what `pip install lyhord` installs: polars (and tomli before 3.11), nothing else
    runtime = wanted(requires, "")
    assert runtime == wanted(PYPROJECT["dependencies"], "")
    assert {name for name, _, _ in runtime} == {"polars", "tomli"}
    extras = PYPROJECT["optional-dependencies"]
    assert set(fields.get_all("Provides-Extra")) == set(extras)
    for extra, specs in extras.items():
        assert wanted(requires, extra) == wanted(PYPROJECT["dependencies"] + specs, extra), extra
    entry_points = configparser.ConfigParser()
    entry_points.read_string(meta["entry_points.txt"])
    assert dict(entry_points["console_scripts"]) == {"lyhord": "lyhord.cli:main"}
