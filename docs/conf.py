"""Sphinx configuration of lyhord's documentation site (`make docs`).

The API pages are generated from the docstrings of the installed module (numpydoc), the
notebooks are copied from ``notebooks/`` and executed while building, so the site shows
their outputs, and the privacy page is the README's section, included, not copied.
Warnings are errors (``sphinx-build -W``): a broken reference or docstring fails the build.
"""

import shutil
from pathlib import Path

import lyhord

DOCS = Path(__file__).parent
NOTEBOOKS = DOCS.parent / "notebooks"

project = "lyhord"
author = "lyhord developers"
copyright = "2026, lyhord developers"
release = lyhord.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "img"]
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The notebooks are executed here, on the bundled example data: the site shows their output.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True

html_theme = "furo"
html_title = f"lyhord {release}"
html_static_path = []
language = "en"


def copy_notebooks(app):
    """The notebooks live in notebooks/ (executed by the test suite); the site renders copies."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copyfile(notebook, target / notebook.name)


def setup(app):
    app.connect("builder-inited", copy_notebooks)
