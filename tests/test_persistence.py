"""Fitted models survive pickle and skops with every attribute equal.

A round trip keeps ``vars()`` equal (compared recursively, arrays exactly), and
loading with skops trusts no type of ours beyond the estimator and its optimizer
(early-stopping state and learning-rate schedule are pickled as plain data).
"""

import pickle

import numpy as np
import pytest

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from tests._helpers import make_data, make_regression_data

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CASES = [
    (ScratchMLPClassifier, {"solver": "adam"}),
    (ScratchMLPClassifier, {"solver": "sgd", "early_stopping": True}),
    (ScratchMLPClassifier, {"solver": "lbfgs"}),
    (ScratchMLPRegressor, {"solver": "adam"}),
    (ScratchMLPRegressor, {"solver": "lbfgs"}),
]


def _fitted(cls, params):
    X, y = make_data() if cls is ScratchMLPClassifier else make_regression_data()
    est = cls(hidden_layer_sizes=(4,), max_iter=8, random_state=0, **params)
    return est.fit(X, y), X


def _assert_equal(a, b, path="vars"):
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_equal(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_equal(x, y, f"{path}[{i}]")
    elif hasattr(a, "__dict__"):
        _assert_equal(vars(a), vars(b), f"{path}.__dict__")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_a_pickle_round_trip_keeps_every_attribute(cls, params):
    est, X = _fitted(cls, params)
    loaded = pickle.loads(pickle.dumps(est))
    _assert_equal(vars(est), vars(loaded))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_skops_needs_no_private_type_beyond_the_estimator_and_optimizer(cls, params):
    sio = pytest.importorskip("skops.io", reason="skops is an optional extra")
    est, X = _fitted(cls, params)
    dumped = sio.dumps(est)
    untrusted = set(sio.get_untrusted_types(data=dumped))
    expected = {f"{cls.__module__}.{cls.__name__}"}
    if params["solver"] != "lbfgs":
        name = "Adam" if params["solver"] == "adam" else "SGD"
        expected.add(f"sk_scratchnet._optimizers.{name}")
    assert untrusted == expected
    loaded = sio.loads(dumped, trusted=sorted(untrusted))
    _assert_equal(vars(est), vars(loaded))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
