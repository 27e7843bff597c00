"""The polars guard: a readable error under an unsupported polars, and one range."""

import re
from pathlib import Path

import polars as pl
import pytest
from lyhord._compat import POLARS_RANGE, check_polars

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


@pytest.mark.parametrize("version", ["1.33.1", "3.0.0", "0.20.31"])
def test_an_unsupported_polars_is_named_with_the_supported_range(version):
    with pytest.raises(ImportError) as e:
        check_polars(version)
    assert str(e.value) == (
        f"lyhord needs polars >= 2.0 and < 3.0, but polars {version} is installed; install a "
        "supported one: pip install 'polars>=2.0,<3.0'"
    )


@pytest.mark.parametrize("version", ["2.0.0", "2.1.0", "2.9.1rc1", pl.__version__])
def test_a_supported_polars_passes(version):
    check_polars(version)


def test_the_range_is_the_one_pyproject_pins():
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    (pin,) = [d for d in project["project"]["dependencies"] if d.startswith("polars")]
    assert re.fullmatch(r"polars>=\d+\.\d+,<\d+", pin)
    assert pin == f"polars>={POLARS_RANGE[0][0]}.{POLARS_RANGE[0][1]},<{POLARS_RANGE[1][0]}"
