"""Runs the examples in every public docstring (numpydoc `Examples` sections)."""

import doctest
import importlib
import inspect

import pytest

MODULES = [
    "lyhord._api",
    "lyhord._publication",
    "lyhord.datasets",
    "lyhord.expr",
    "lyhord.plot",
    "lyhord.report.html",
    "lyhord._reliability",
    "lyhord._followup",
    "lyhord._actions",
    "lyhord._effects",
    "lyhord._agreement",
    "lyhord._interviews",
    "lyhord._design",
    "lyhord._combine",
    "lyhord._import",
    "lyhord._exports",
    "lyhord.report._wide",
    "lyhord.report.excel",
    "lyhord.dask",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_public_function_has_an_example():
    import lyhord as ly

    functions = [
        name
        for name in ly.__all__
        if inspect.isfunction(getattr(ly, name)) or inspect.isbuiltin(getattr(ly, name))
    ]
    assert {"score", "estimate", "reliability", "compare_waves"} <= set(functions)
    for name in functions:
        assert "Examples" in (getattr(ly, name).__doc__ or ""), name
        # ... and its module's examples are run above (a new module must be listed)
        module = getattr(ly, name).__module__
        assert module in MODULES or module.startswith("lyhord._lyhord"), (name, module)
    assert "Examples" in ly.expr.score.__doc__


def test_docstring_examples_of_the_compiled_classes():
    """The classes written in Rust carry their docstrings (``help(ly.Instrument)``), with
    examples run here: doctest's module search skips classes of an extension module."""
    import lyhord as ly

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for cls in (ly.Instrument, ly.CodingFrame):
        assert "Examples" in (cls.__doc__ or ""), cls
        for test in finder.find(cls, cls.__name__, module=False, globs={}):
            runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 10
    assert "Parameters" in ly.Instrument.labels.__doc__
