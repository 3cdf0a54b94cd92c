"""Warnings point at the user's line (sk_scratchnet._warnings)."""

import os
import sys
import types
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sk_scratchnet
from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._warnings import warn_at_caller


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    return X, y


def _line_of(marker):
    """Line number in this file of the line that ends with ``# <marker>``."""
    with open(__file__, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if line.rstrip().endswith(f"# {marker}"):
                return number
    raise AssertionError(marker)


def _only(record, category):
    found = [w for w in record if issubclass(w.category, category)]
    assert len(found) == 1, [str(w.message) for w in record]
    return found[0]


def _assert_here(warning, marker):
    assert warning.filename == __file__
    assert warning.lineno == _line_of(marker)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_convergence_warning_points_at_fit(solver):
    X, y = _data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(3,), solver=solver, max_iter=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)  # fit-line
    _assert_here(_only(record, ConvergenceWarning), "fit-line")


def test_regressor_convergence_warning_points_at_fit():
    X, y = _data()
    reg = ScratchMLPRegressor(hidden_layer_sizes=(3,), max_iter=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        reg.fit(X, y.astype(float))  # regressor-line
    _assert_here(_only(record, ConvergenceWarning), "regressor-line")


def test_warning_through_a_pipeline_points_at_the_pipeline_fit():
    X, y = _data()
    pipe = make_pipeline(
        StandardScaler(), ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=2)
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        pipe.fit(X, y)  # pipeline-line
    _assert_here(_only(record, ConvergenceWarning), "pipeline-line")


def test_warnings_through_a_search_point_at_the_search_fit():
    X, y = _data()
    search = GridSearchCV(
        ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=2),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search.fit(X, y)  # search-line
    found = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    assert found
    for warning in found:
        _assert_here(warning, "search-line")


def test_batch_size_and_x_val_warnings_point_at_fit():
    X, y = _data()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ScratchMLPClassifier(batch_size=500, max_iter=1).fit(X, y)  # batch-line
    clipped = [w for w in record if "batch_size" in str(w.message)]
    assert len(clipped) == 1
    _assert_here(clipped[0], "batch-line")
    lbfgs = ScratchMLPClassifier(solver="lbfgs", max_iter=50)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        lbfgs.fit(X, y, X_val=X, y_val=y)  # x-val-line
    ignored = [w for w in record if "X_val" in str(w.message)]
    assert len(ignored) == 1
    _assert_here(ignored[0], "x-val-line")


def test_warn_at_caller_outside_the_package_is_the_direct_caller():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warn_at_caller("hello", UserWarning)  # direct-line
    _assert_here(_only(record, UserWarning), "direct-line")


def _caller_in(filename):
    """A function defined in source file ``filename`` that calls warn_at_caller."""
    namespace = {"warn_at_caller": warn_at_caller}
    source = "def call():\n    warn_at_caller('from a library', UserWarning)\n"
    exec(compile(source, filename, "exec"), namespace)
    return namespace["call"]


def _warning_of(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()  # call-line
    return _only(record, UserWarning)


def test_internal_folders_follow_a_library_imported_later(tmp_path, monkeypatch):
    library_file = str(tmp_path / "joblib" / "parallel.py")
    call = _caller_in(library_file)
    assert _warning_of(call).filename == library_file  # not a library we skip
    fake = types.ModuleType("joblib")
    fake.__file__ = str(tmp_path / "joblib" / "__init__.py")
    monkeypatch.setitem(sys.modules, "joblib", fake)
    _assert_here(_warning_of(call), "call-line")


def test_relative_source_names_follow_the_working_directory(tmp_path, monkeypatch):
    call = _caller_in("_module_of_a_relative_name.py")
    monkeypatch.chdir(tmp_path)
    assert _warning_of(call).filename == "_module_of_a_relative_name.py"
    monkeypatch.chdir(os.path.dirname(sk_scratchnet.__file__))
    _assert_here(_warning_of(call), "call-line")  # now a file of the package
