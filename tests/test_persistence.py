"""Fitted models survive pickle and skops with every attribute equal.

A round trip keeps ``vars()`` equal (compared recursively, arrays exactly), and
loading with skops trusts no type of ours beyond the estimator and its optimizer
(the training state, with the label codec, early-stopping state and
learning-rate schedule, is pickled as plain data); the six private attributes
that earlier releases kept load into the one training state.
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


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_the_training_state_pickles_as_plain_data(cls, params):
    est, _ = _fitted(cls, params)
    saved = est.__getstate__()["_training_state"]
    assert type(saved) is dict
    plain = type(None) if params["solver"] == "lbfgs" else dict
    assert type(saved["schedule"]) is type(saved["stopper"]) is plain
    labels = dict if cls is ScratchMLPClassifier else type(None)
    assert type(saved["labels"]) is labels
    assert type(vars(est)["_training_state"]).__name__ == "TrainingState"


def _as_earlier_release(state):
    """``state`` as the release before the training state saved it: six attributes."""
    state = dict(state)
    training = state.pop("_training_state")
    state["_loss"] = training.loss
    if training.labels is not None:
        state["_label_binarizer"] = training.labels.binarizer
        if training.labels.class_totals is not None:
            state["_class_totals"] = training.labels.class_totals
    if training.optimizer is not None:
        state["_optimizer"] = training.optimizer
        state["_schedule"] = training.schedule
        state["_stopper"] = training.stopper
    return state


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_the_six_attributes_of_an_earlier_release_load_as_one(cls, params):
    est, X = _fitted(cls, params)
    if cls is ScratchMLPClassifier and params["solver"] != "lbfgs":
        # 'balanced' totals accumulated by partial_fit
        y = est.predict(X)
        est.set_params(class_weight="balanced").partial_fit(X, y)
        assert est._training_state.labels.class_totals is not None
    loaded = cls.__new__(cls)
    loaded.__setstate__(_as_earlier_release(vars(est)))
    _assert_equal(vars(est), vars(loaded))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
