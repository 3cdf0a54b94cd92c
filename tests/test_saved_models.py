"""Models pickled by an earlier release load, predict and train on the same.

``tests/data/saved_models.pkl`` holds pickles written by the tree before the
fitted state moved into one object (``tests/data/make_pickles.py`` says how),
with their predictions and the predictions after one more ``partial_fit`` (or
warm-start ``fit`` for L-BFGS).  Loading them with today's code must give the
same numbers bit for bit.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.data.make_pickles import fixture_data

_SAVED = pickle.loads(
    (Path(__file__).parent / "data" / "saved_models.pkl").read_bytes()
)


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return [est.predict(X), est.predict_proba(X)]
    return [est.predict(X)]


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(_SAVED))
def test_a_saved_model_predicts_the_same(name):
    entry = _SAVED[name]
    est = pickle.loads(entry["pickle"])
    X, _ = fixture_data(entry["kind"], np.dtype(entry["dtype"]))
    _assert_same(_outputs(est, X), entry["predictions"])


@pytest.mark.parametrize("name", sorted(_SAVED))
def test_a_saved_model_trains_on_the_same(name):
    entry = _SAVED[name]
    est = pickle.loads(entry["pickle"])
    X, y = fixture_data(entry["kind"], np.dtype(entry["dtype"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if est.solver == "lbfgs":
            est.set_params(warm_start=True, max_iter=3).fit(X, y)
        else:
            est.partial_fit(X, y)
    _assert_same(_outputs(est, X), entry["after_more_training"])


@pytest.mark.parametrize("name", sorted(_SAVED))
def test_a_saved_model_pickles_again_to_an_equal_model(name):
    est = pickle.loads(_SAVED[name]["pickle"])
    X, _ = fixture_data(_SAVED[name]["kind"], np.dtype(_SAVED[name]["dtype"]))
    again = pickle.loads(pickle.dumps(est))
    _assert_same(_outputs(again, X), _outputs(est, X))
