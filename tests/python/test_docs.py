"""Runs the examples in every public docstring (numpydoc `Examples` sections)."""

import doctest
import importlib

import pytest

MODULES = ["lyhord._api", "lyhord.datasets", "lyhord.expr", "lyhord.plot", "lyhord._reliability"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_public_function_has_an_example():
    import lyhord as ly

    for name in [
        "score",
        "estimate",
        "example_data",
        "headcounts",
        "changed_units",
        "reliability",
        "item_analysis",
        "drivers",
        "priority_matrix",
        "dimension_check",
    ]:
        assert "Examples" in getattr(ly, name).__doc__, name
    assert "Examples" in ly.expr.score.__doc__
