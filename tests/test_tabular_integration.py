"""The tabular MLPs with scikit-learn's clients: pipelines, searches, persistence."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sk_scratchnet import TabularMLPClassifier, TabularMLPRegressor

pd = pytest.importorskip("pandas")

FAST = {"hidden_layer_sizes": (16,), "max_epochs": 8, "random_state": 0}


def table(n=90, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n)
    X = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "colour": pd.Categorical(colour),
            "note": rng.choice(["a", "b", None], size=n),
        }
    )
    X.loc[rng.random(n) < 0.1, "size"] = np.nan
    labels = np.where(colour == "red", "red", "other")
    target = (colour == "red") + np.nan_to_num(X["size"].to_numpy())
    return X, labels, target


def fitted_models():
    X, labels, target = table()
    return [
        (TabularMLPClassifier(**FAST).fit(X, labels), X, "predict_proba"),
        (TabularMLPRegressor(**FAST).fit(X, target), X, "predict"),
    ]


def test_pipeline_with_column_transformer():
    X, labels, _ = table()
    numeric = make_column_transformer(
        (FunctionTransformer(np.square), ["size"]),
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = make_pipeline(numeric, TabularMLPClassifier(**FAST)).fit(X, labels)
    assert pipe.predict(X).shape == (len(X),)
    assert pipe[-1].is_categorical_.sum() == 2


def test_pipeline_on_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] - X[:, 1]
    pipe = make_pipeline(StandardScaler(), TabularMLPRegressor(**FAST)).fit(X, y)
    assert pipe.predict(X).shape == (80,)


def test_cross_val_score_on_a_dataframe():
    X, labels, _ = table()
    scores = cross_val_score(TabularMLPClassifier(**FAST), X, labels, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))


def test_grid_search_over_recipe_pieces():
    X, _, target = table()
    grid = {"numeric_embedding": [None, "pbld"], "smooth_clip": [True, False]}
    search = GridSearchCV(TabularMLPRegressor(**FAST), grid, cv=2).fit(X, target)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.n_features_in_ == 3


def test_clone_keeps_parameters_drops_fit():
    clf = fitted_models()[0][0]
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "params_")


@pytest.mark.parametrize("index", [0, 1], ids=["classifier", "regressor"])
def test_pickle_and_joblib_round_trips(index, tmp_path):
    est, X, method = fitted_models()[index]
    expected = getattr(est, method)(X)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(getattr(loaded, method)(X), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(getattr(loaded, method)(X), expected)


@pytest.mark.parametrize("index", [0, 1], ids=["classifier", "regressor"])
def test_skops_round_trip(index):
    sio = pytest.importorskip("skops.io")
    est, X, method = fitted_models()[index]
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(name.startswith("sk_scratchnet.") for name in untrusted), untrusted
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))
