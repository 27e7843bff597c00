"""Prints Python requirements of pyproject.toml, one per line: the runtime dependencies and
those of the named extras (`deps.py excel plot`), or with `--build-system` only what builds
the wheel (the build-system requires: maturin)."""

import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: the copy pip carries (a fresh venv has nothing else)
    from pip._vendor import tomli as tomllib

pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
if sys.argv[1:] == ["--build-system"]:
    requirements = list(pyproject["build-system"]["requires"])
else:
    project = pyproject["project"]
    requirements = list(project["dependencies"])
    for extra in sys.argv[1:]:
        requirements += project["optional-dependencies"][extra]
print("\n".join(requirements))
