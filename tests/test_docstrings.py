"""The public API's docstrings pass numpydoc's validation.

Every name in ``sk_scratchnet.__all__`` and every public method our classes
define is validated with ``numpydoc.validate.validate``. All of numpydoc's checks
are enforced except the ones scikit-learn does not enforce on its own API either:

- RT02 (the first line of Returns names the type only): we name returned objects;
- GL01, GL02 (where the summary starts, blank lines around it);
- ES01, SA01, EX01 (extended summary, See Also, Examples) on methods: required on
  classes and functions only;
- PR02 and GL08 on properties (they have no parameters to match).
"""

import inspect
import itertools
import re

import pytest

import sk_scratchnet

validate = pytest.importorskip(
    "numpydoc.validate", reason="numpydoc (test extra) is not installed"
).validate

IGNORED_EVERYWHERE = {"RT02", "GL01", "GL02"}
IGNORED_ON_METHODS = {"ES01", "SA01", "EX01"}
IGNORED_ON_PROPERTIES = {"PR02", "GL08"}


def our_method_names(cls):
    """Public methods and properties that ``sk_scratchnet`` itself defines."""
    names = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        # Through descriptors (available_if, classmethod) to the function.
        func = attr.fget if isinstance(attr, property) else getattr(cls, name)
        func = getattr(func, "__func__", func)
        module = getattr(func, "__module__", "") or ""
        if callable(func) and module.split(".")[0] == "sk_scratchnet":
            names.append(name)
    return names


def public_targets():
    targets = []
    for name in sk_scratchnet.__all__:
        obj = getattr(sk_scratchnet, name)
        if not callable(obj):
            continue  # __version__
        targets.append((name, None))
        if inspect.isclass(obj):
            targets.extend((name, method) for method in our_method_names(obj))
    return targets


def enforced_errors(name, method):
    obj = getattr(sk_scratchnet, name)
    path = f"sk_scratchnet.{name}" + (f".{method}" if method else "")
    ignored = set(IGNORED_EVERYWHERE)
    if method is not None:
        ignored |= IGNORED_ON_METHODS
        if isinstance(inspect.getattr_static(obj, method), property):
            ignored |= IGNORED_ON_PROPERTIES
    return [
        f"{path}: {code} {message}"
        for code, message in validate(path)["errors"]
        if code not in ignored
    ]


def target_id(target):
    name, method = target
    return name if method is None else f"{name}.{method}"


TARGETS = public_targets()


def test_every_public_name_and_method_is_validated():
    ids = {target_id(target) for target in TARGETS}
    assert {"ScratchMLPClassifier", "to_onnx", "partial_fit_chunks"} <= ids
    assert {"ScratchMLPClassifier.fit", "ScratchMLPClassifier.partial_fit"} <= ids
    assert "ScratchMLPClassifier.get_params" not in ids  # scikit-learn's own


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_docstring_passes_numpydoc_validation(target):
    assert enforced_errors(*target) == []


def indentation(line):
    return len(line) - len(line.lstrip())


def continuation_lines_at_column_0(docstring):
    """Lines left of the section headers (continuations that lost their indent)."""
    lines = inspect.cleandoc(docstring).splitlines()
    headers = [
        previous
        for previous, line in itertools.pairwise(lines)
        if previous.strip() and re.fullmatch(r"\s*-{3,}", line)
    ]
    left = min(map(indentation, headers), default=0)
    return [line for line in lines[1:] if line.strip() and indentation(line) < left]


def test_continuation_detector():
    head = "Summary.\n\n    Parameters\n    ----------\n"
    good = head + "    a : int\n        Text.\n"
    bad = head + "    a : {1, \\\n2}\n        Text.\n"
    assert continuation_lines_at_column_0(good) == []
    assert continuation_lines_at_column_0(bad) == ["2}"]


@pytest.mark.parametrize("name", ["ScratchMLPClassifier", "ScratchMLPRegressor"])
def test_class_docstring_is_evenly_indented(name):
    # help() shows inspect.cleandoc(__doc__): with a line at column 0 inside an
    # indented block, the whole docstring is shifted and that line sticks out.
    docstring = getattr(sk_scratchnet, name).__doc__
    assert continuation_lines_at_column_0(docstring) == []
    assert re.search(r"^Parameters\n----------$", inspect.cleandoc(docstring), re.M)
