"""``MLPClassifier`` / ``MLPRegressor``: scikit-learn's names for our estimators."""

import pickle

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import (
    MLPClassifier,
    MLPRegressor,
    ScratchMLPClassifier,
    ScratchMLPRegressor,
)

PAIRS = [
    (MLPClassifier, ScratchMLPClassifier, neural_network.MLPClassifier),
    (MLPRegressor, ScratchMLPRegressor, neural_network.MLPRegressor),
]


def data(classifier):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int) if classifier else X @ [1.0, -2.0, 0.5]
    return X, y


@pytest.mark.parametrize(("ours", "canonical", "theirs"), PAIRS)
def test_names_match_scikit_learn(ours, canonical, theirs):
    assert type(ours()).__name__ == theirs.__name__
    assert issubclass(ours, canonical)
    step_names = [name for name, _ in make_pipeline(StandardScaler(), ours()).steps]
    sk_names = [name for name, _ in make_pipeline(StandardScaler(), theirs()).steps]
    assert step_names == sk_names
    assert ours().get_params() == canonical().get_params()
    assert repr(ours(alpha=1.0)) == f"{theirs.__name__}(alpha=1.0)"


@pytest.mark.parametrize(("ours", "canonical", "theirs"), PAIRS)
def test_grid_with_scikit_learn_step_names(ours, canonical, theirs):
    X, y = data(ours is MLPClassifier)
    pipe = make_pipeline(StandardScaler(), ours(hidden_layer_sizes=(4,), max_iter=5))
    step = type(pipe.steps[-1][1]).__name__.lower()
    pipe.set_params(**{f"{step}__alpha": 1.0})
    assert pipe[-1].alpha == 1.0
    grid = GridSearchCV(pipe, {f"{step}__alpha": [1e-4, 1e-1]}, cv=2)
    with pytest.warns(Warning):  # max_iter=5 does not converge
        grid.fit(X, y)
    assert grid.best_params_[f"{step}__alpha"] in (1e-4, 1e-1)


@pytest.mark.parametrize(("ours", "canonical", "theirs"), PAIRS)
def test_same_model_as_canonical_class(ours, canonical, theirs):
    X, y = data(ours is MLPClassifier)
    kwargs = {"hidden_layer_sizes": (5,), "max_iter": 30, "random_state": 0}
    with pytest.warns(Warning):
        a = ours(**kwargs).fit(X, y)
        b = canonical(**kwargs).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    copy = clone(a)
    assert type(copy) is ours
    assert copy.get_params() == a.get_params()
    loaded = pickle.loads(pickle.dumps(a))
    assert type(loaded) is ours
    np.testing.assert_array_equal(loaded.predict(X), a.predict(X))
