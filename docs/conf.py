"""Sphinx configuration of the sk_scratchnet documentation.

Build it offline from the repository's root with::

    pip install -e ".[docs]" && python -m sphinx -W -b html docs docs/_build/html

Nothing here needs the network, to build or to read the site (MathJax is copied
into it, not loaded from a CDN): intersphinx is off unless the environment
variable ``SK_SCRATCHNET_INTERSPHINX=1`` is set (then links to numpy, scipy,
scikit-learn and Python are resolved from their online inventories).
"""

import os
import re
import sys
from pathlib import Path

import numpy  # noqa: F401  (loaded first so that threadpool_limits sees its BLAS)
from threadpoolctl import threadpool_limits

import sk_scratchnet

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))  # for gallery_order

# The examples multiply small matrices: a second BLAS thread only adds
# synchronisation, and on a busy two-core machine it made them 10-20 times slower.
threadpool_limits(limits=1)

project = "sk_scratchnet"
author = "the sk_scratchnet developers"
copyright = "the sk_scratchnet developers, BSD-3-Clause"
release = sk_scratchnet.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # copies MathJax into _static: math renders offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.pickle",
    "auto_examples/*.json",
]
root_doc = "index"
default_role = "literal"
math_numfig = True
numfig = True

# API reference: one page per public name, generated from the docstrings.
autosummary_generate = True
autodoc_default_options = {"inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The gallery: examples/ at the repository's top, run at build time.
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "filename_pattern": r"/plot_",
    "doc_module": ("sk_scratchnet",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sk_scratchnet": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
}

if os.environ.get("SK_SCRATCHNET_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "scipy": ("https://docs.scipy.org/doc/scipy/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
    }

html_theme = "pydata_sphinx_theme"
html_title = f"sk_scratchnet {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the benchmark table needs the page's full width
    "secondary_sidebar_items": {"**": ["page-toc"], "user_guide/performance": []},
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "install": []}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["custom.css"]


# Inherited methods (score, get_params, set_fit_request, ...) bring scikit-learn's
# docstrings, whose :ref: and :term: roles point into scikit-learn's own site;
# without intersphinx they cannot resolve, so they are shown as plain text.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]+?)\s*(?:<[^`>]+>)?`")
# "of shape (n_features_in_,)": a bare name ending in "_" is a link target in
# reStructuredText; shown as literal text instead.
_TRAILING_UNDERSCORE = re.compile(r"\((\w+_),\)")


def _clean_docstring(app, what, name, obj, options, lines):
    """Make docstrings render without unresolvable references.

    Also joins a parameter line continued with a single backslash: in a raw
    docstring (used where LaTeX appears) the backslash and the line break stay
    in the text, and numpydoc would read two lines.
    """
    module = getattr(obj, "__module__", "") or ""
    joined = []
    for line in lines:
        last = joined[-1] if joined else ""
        if last.endswith("\\") and not last.endswith("\\\\"):  # not LaTeX's \\
            joined[-1] = joined[-1][:-1] + line.lstrip()
        else:
            joined.append(line)
    for i, line in enumerate(joined):
        if module.startswith("sklearn"):
            line = _SKLEARN_ROLE.sub(r"\1", line)
        joined[i] = _TRAILING_UNDERSCORE.sub(r"(``\1``,)", line)
    lines[:] = joined


def setup(app):
    """Connect the docstring clean-up before numpydoc's own processing."""
    app.connect("autodoc-process-docstring", _clean_docstring, priority=100)
