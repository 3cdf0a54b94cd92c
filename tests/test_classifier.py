"""Estimator-level behaviour of ScratchMLPClassifier (issue 3).

Accuracy on the seed's spiral and on load_digits, the scikit-learn clients
(Pipeline, GridSearchCV, cross_val_score, clone, pickle), fitted attributes,
dtypes, sparse input, input validation and the prediction methods.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    check_cv,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._datasets import make_spiral
from tests import _helpers
from tests._helpers import make_data

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["adam", "sgd", "lbfgs"]


def small(**params):
    """A small, fast network; ``params`` override the defaults below."""
    defaults = {
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.01,
        "max_iter": 30,
        "random_state": 0,
    }
    return ScratchMLPClassifier(**{**defaults, **params})


all_weights = _helpers.all_weights


def assert_same_weights(a, b, rtol=1e-7, atol=1e-10):
    assert len(a.coefs_) == len(b.coefs_)
    for wa, wb in zip(all_weights(a), all_weights(b)):
        assert_allclose(wa, wb, rtol=rtol, atol=atol)


# ------------------------------------------------------------------- accuracy
@pytest.mark.parametrize(
    "params",
    [
        # Adam, lr 0.01, up to 1000 epochs (stops on tol=1e-4 before that).
        {"solver": "adam", "learning_rate_init": 0.01, "max_iter": 1000},
        # SGD with Nesterov momentum 0.9, lr 0.5, all 1000 epochs (no tol stop).
        {
            "solver": "sgd",
            "learning_rate_init": 0.5,
            "max_iter": 1000,
            "n_iter_no_change": 1000,
        },
    ],
    ids=["adam-lr0.01", "sgd-lr0.5"],
)
def test_spiral_reaches_98_percent_training_accuracy(params):
    X, y = make_spiral()
    assert X.shape == (300, 2)
    assert_array_equal(np.bincount(y), [100, 100, 100])
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(100,), activation="relu", random_state=0, **params
    ).fit(X, y)
    assert clf.score(X, y) >= 0.98


def test_digits_test_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, stratify=y, random_state=0
    )
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=50, random_state=0
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95


# ---------------------------------------------------------------- integration
def test_is_classifier_and_gets_stratified_folds():
    clf = ScratchMLPClassifier()
    assert is_classifier(clf)
    _, y = make_data()
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)


def test_grid_search_uses_stratified_folds():
    X, y = make_data(n_samples=90)
    # Sorted labels: unstratified 3-fold CV would hold out one whole class per
    # fold and score 0 on every split; stratified folds score well.
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    grid = GridSearchCV(
        small(solver="lbfgs", max_iter=50),
        {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]},
        cv=3,
    ).fit(X, y)
    assert set(grid.best_params_) == {"alpha", "hidden_layer_sizes"}
    for split in range(3):
        assert grid.cv_results_[f"split{split}_test_score"].min() > 0.5
    assert grid.best_score_ > 0.8
    assert isinstance(grid.best_estimator_, ScratchMLPClassifier)
    assert grid.score(X, y) > 0.8


def test_pipeline_with_standard_scaler():
    X, y = make_data()
    X = X * 100.0 + 50.0
    pipe = make_pipeline(StandardScaler(), small(solver="lbfgs", max_iter=100))
    assert isinstance(pipe, Pipeline)
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    proba = pipe.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert_array_equal(pipe.classes_, [0, 1, 2])


def test_cross_val_score():
    X, y = make_data(n_samples=90)
    scores = cross_val_score(small(solver="lbfgs", max_iter=50), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.8


def test_clone_is_unfitted_with_equal_params():
    clf = small(solver="sgd", alpha=0.3, activation=["tanh"], dropout=0.2)
    X, y = make_data()
    clf.fit(X, y)
    copy = clone(clf)
    assert copy is not clf
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "coefs_")
    with pytest.raises(NotFittedError):
        copy.predict(X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_round_trip_gives_identical_predict_proba(solver):
    X, y = make_data()
    clf = small(solver=solver).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.get_params() == clf.get_params()


# ---------------------------------------------------------- fitted attributes
FITTED_ATTRIBUTES = [
    "classes_",
    "coefs_",
    "intercepts_",
    "n_features_in_",
    "n_iter_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
    "loss_",
    "t_",
]
STOCHASTIC_ATTRIBUTES = ["loss_curve_", "best_loss_"]


def _targets():
    rng = np.random.default_rng(1)
    n = 60
    return {
        "binary": np.arange(n) % 2,
        "multiclass": np.arange(n) % 3,
        "multilabel": (rng.random((n, 4)) > 0.5).astype(int),
    }


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_fitted_attributes_match_mlpclassifier(solver, target):
    X, _ = make_data()
    y = _targets()[target]
    params = {
        "hidden_layer_sizes": (6, 5),
        "solver": solver,
        "max_iter": 7,
        "random_state": 0,
    }
    ours = ScratchMLPClassifier(**params).fit(X, y)
    ref = MLPClassifier(**params).fit(X, y)
    expected = FITTED_ATTRIBUTES + (STOCHASTIC_ATTRIBUTES if solver != "lbfgs" else [])
    for name in expected:
        assert hasattr(ours, name), name
    assert not hasattr(ours, "feature_names_in_")
    assert [c.shape for c in ours.coefs_] == [c.shape for c in ref.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in ref.intercepts_]
    assert all(b.ndim == 1 for b in ours.intercepts_)
    assert_array_equal(ours.classes_, ref.classes_)
    for name in ["n_features_in_", "n_layers_", "n_outputs_", "out_activation_"]:
        assert getattr(ours, name) == getattr(ref, name), name
    assert ours.n_layers_ == 4
    assert ours.out_activation_ == ("softmax" if target == "multiclass" else "logistic")
    assert ours.n_outputs_ == {"binary": 1, "multiclass": 3, "multilabel": 4}[target]
    assert np.isfinite(ours.loss_)
    if solver == "lbfgs":
        assert ours.n_iter_ <= 7
        assert ours.t_ == ref.t_
    else:
        assert ours.n_iter_ == 7
        assert ours.t_ == 7 * len(X)
        assert len(ours.loss_curve_) == 7
        assert ours.loss_ == ours.loss_curve_[-1]
        assert ours.best_loss_ == min(ours.loss_curve_)
        assert ours.validation_scores_ is None
        assert ours.best_validation_score_ is None


def test_feature_names_in_for_a_dataframe():
    X, y = make_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = small().fit(frame, y)
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.n_features_in_ == 4
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert_array_equal(clf.predict(frame), clf.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"a": "z"}))


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_input_keeps_float32(solver):
    X, y = make_data()
    clf = small(solver=solver).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in clf.coefs_)
    assert all(b.dtype == np.float32 for b in clf.intercepts_)
    X32 = X.astype(np.float32)
    assert clf.predict_proba(X32).dtype == np.float32
    assert clf.predict_log_proba(X32).dtype == np.float32
    assert clf.score(X32, y) > 0.5


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32])
def test_float64_and_int_input_give_float64(solver, dtype):
    X, y = make_data()
    X = np.round(X * 10).astype(dtype) if dtype != np.float64 else X
    clf = small(solver=solver).fit(X, y)
    assert all(c.dtype == np.float64 for c in clf.coefs_)
    assert all(b.dtype == np.float64 for b in clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float64


@pytest.mark.parametrize(
    ("solver", "extra"),
    [
        ("adam", {}),
        ("sgd", {}),
        ("lbfgs", {}),
        ("sgd", {"shuffle": False, "batch_size": 16}),
        ("adam", {"early_stopping": True}),
        ("sgd", {"dropout": 0.2}),
    ],
    ids=["adam", "sgd", "lbfgs", "sgd-noshuffle", "adam-early-stopping", "sgd-dropout"],
)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_same_model_as_dense(fmt, solver, extra):
    X, y = make_data()
    X[np.abs(X) < 1.0] = 0.0  # make it actually sparse
    X_sparse = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    dense = small(solver=solver, **extra).fit(X, y)
    sparse_fit = small(solver=solver, **extra).fit(X_sparse, y)
    assert_same_weights(sparse_fit, dense, rtol=1e-7, atol=1e-9)
    assert_allclose(
        sparse_fit.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-7
    )
    assert_array_equal(dense.predict(X_sparse), dense.predict(X))
    # The caller's sparse matrix is untouched and still sparse.
    assert sparse.issparse(X_sparse)
    assert X_sparse.format == fmt
    assert_array_equal(X_sparse.toarray(), X)


# ------------------------------------------------------------ bad input
def _with(X, y, **fit_kwargs):
    return X, y, fit_kwargs


def _nan(X, y):
    X = X.copy()
    X[3, 1] = np.nan
    return _with(X, y)


def _inf(X, y):
    X = X.copy()
    X[3, 1] = np.inf
    return _with(X, y)


def _mixed_labels(X, y):
    labels = y.astype(object)
    labels[0] = "a"
    return _with(X, labels)


BAD_FITS = [
    ("nan", {}, _nan, ValueError, "NaN"),
    ("inf", {}, _inf, ValueError, "infinity"),
    ("1-D X", {}, lambda X, y: _with(X[:, 0], y), ValueError, "Expected 2D array"),
    (
        "continuous y",
        {},
        lambda X, y: _with(X, X[:, 0]),
        ValueError,
        "Unknown label type",
    ),
    (
        "single class",
        {},
        lambda X, y: _with(X, np.zeros(len(y))),
        ValueError,
        "only one class",
    ),
    (
        "hidden_layer_sizes=(0,)",
        {"hidden_layer_sizes": (0,)},
        _with,
        ValueError,
        "hidden_layer_sizes must be > 0",
    ),
    (
        "negative hidden layer",
        {"hidden_layer_sizes": (4, -2)},
        _with,
        ValueError,
        "hidden_layer_sizes must be > 0",
    ),
    ("negative alpha", {"alpha": -1.0}, _with, ValueError, "'alpha' parameter"),
    ("unknown solver", {"solver": "newton"}, _with, ValueError, "'solver' parameter"),
    (
        "unknown activation",
        {"activation": "swish"},
        _with,
        ValueError,
        "'activation' parameter",
    ),
    (
        "unknown activation in list",
        {"activation": ["swish"]},
        _with,
        ValueError,
        "Unknown activation 'swish'",
    ),
    ("batch_size=0", {"batch_size": 0}, _with, ValueError, "'batch_size' parameter"),
    (
        "activation list of wrong length",
        {"activation": ["relu", "tanh"], "hidden_layer_sizes": (4,)},
        _with,
        ValueError,
        "activation has 2 entries but there are 1 hidden layers",
    ),
    ("dropout=1", {"dropout": 1.0}, _with, ValueError, "'dropout' parameter"),
    (
        "dropout list with 1",
        {"dropout": [0.5, 1.0], "hidden_layer_sizes": (4, 4)},
        _with,
        ValueError,
        r"dropout must be a float in \[0, 1\)",
    ),
    (
        "negative sample_weight",
        {},
        lambda X, y: _with(X, y, sample_weight=-np.ones(len(y))),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "all-zero sample_weight",
        {},
        lambda X, y: _with(X, y, sample_weight=np.zeros(len(y))),
        ValueError,
        "at least one non-zero",
    ),
    (
        "sample_weight of wrong length",
        {},
        lambda X, y: _with(X, y, sample_weight=np.ones(len(y) - 1)),
        ValueError,
        "sample_weight.shape",
    ),
    (
        "NaN sample_weight",
        {},
        lambda X, y: _with(X, y, sample_weight=np.full(len(y), np.nan)),
        ValueError,
        "sample_weight contains NaN",
    ),
    (
        "positive weight on one class only",
        {},
        lambda X, y: _with(X, y, sample_weight=(y == 1).astype(float)),
        ValueError,
        "at least 2 classes",
    ),
    ("mixed-type labels", {}, _mixed_labels, ValueError, "mixes label types"),
    (
        "X_val without y_val",
        {},
        lambda X, y: _with(X, y, X_val=X),
        ValueError,
        "X_val and y_val must be given together",
    ),
    (
        "y_val without X_val",
        {},
        lambda X, y: _with(X, y, y_val=y),
        ValueError,
        "X_val and y_val must be given together",
    ),
    (
        "class_weight with an unknown label",
        {"class_weight": {7: 2.0}},
        _with,
        ValueError,
        "class_weight has labels",
    ),
    (
        "learning_rate_init=0",
        {"learning_rate_init": 0.0},
        _with,
        ValueError,
        "'learning_rate_init' parameter",
    ),
    ("max_iter=0", {"max_iter": 0}, _with, ValueError, "'max_iter' parameter"),
    ("unknown init", {"init": "zeros"}, _with, ValueError, "'init' parameter"),
    (
        "unknown early_stopping_metric",
        {"early_stopping_metric": "f1"},
        _with,
        ValueError,
        "'early_stopping_metric' parameter",
    ),
]


@pytest.mark.parametrize(
    ("params", "make_args", "error", "match"),
    [case[1:] for case in BAD_FITS],
    ids=[case[0] for case in BAD_FITS],
)
def test_bad_fit_input_raises_a_clear_error(params, make_args, error, match):
    X, y = make_data()
    X_bad, y_bad, fit_kwargs = make_args(X, y)
    with pytest.raises(error, match=match):
        small(**params).fit(X_bad, y_bad, **fit_kwargs)


def test_bad_predict_input_raises_a_clear_error():
    X, y = make_data()
    clf = small().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but ScratchMLPClassifier"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="expecting 4 features"):
        clf.predict_proba(np.c_[X, X])
    with pytest.raises(ValueError, match="Expected 2D array"):
        clf.predict(X[0])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(X_nan)
    with pytest.raises(ValueError, match="infinity"):
        clf.predict_log_proba(np.where(np.isnan(X_nan), np.inf, X_nan))
    with pytest.raises(NotFittedError):
        ScratchMLPClassifier().predict_proba(X)


# ------------------------------------------------- caller arrays untouched
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam"},
        {"solver": "sgd", "early_stopping": True, "class_weight": "balanced"},
        {"solver": "lbfgs", "class_weight": {0: 2.0}},
        {"solver": "adam", "dropout": 0.3, "batch_size": 7},
    ],
)
def test_caller_arrays_are_never_modified(params):
    X, y = make_data()
    sample_weight = np.linspace(0.5, 2.0, len(y))
    X_copy, y_copy, w_copy = X.copy(), y.copy(), sample_weight.copy()
    clf = small(**params).fit(X, y, sample_weight=sample_weight)
    clf.predict(X)
    clf.predict_proba(X)
    clf.predict_log_proba(X)
    clf.score(X, y, sample_weight=sample_weight)
    if params["solver"] != "lbfgs":
        clf.partial_fit(X, y, sample_weight=sample_weight)
    assert_array_equal(X, X_copy)
    assert_array_equal(y, y_copy)
    assert_array_equal(sample_weight, w_copy)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", SOLVERS)
def test_read_only_input_works(solver, dtype):
    X, y = make_data()
    X = X.astype(dtype)
    sample_weight = np.linspace(0.5, 2.0, len(y))
    for array in (X, y, sample_weight):
        array.setflags(write=False)
    clf = small(solver=solver, class_weight="balanced")
    clf.fit(X, y, sample_weight=sample_weight)
    if solver != "lbfgs":
        clf.partial_fit(X, y, sample_weight=sample_weight)
        small(solver=solver, early_stopping=True, shuffle=True).fit(X, y)
    assert clf.predict_proba(X).shape == (len(y), 3)
    assert clf.score(X, y, sample_weight=sample_weight) > 0.5


def test_a_new_fit_counts_the_balanced_totals_afresh():
    # The totals of earlier partial_fit calls belong to the model a new fit
    # replaces, even when the classes change.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y3, y2 = np.arange(30) % 3, np.arange(30) % 2
    clf = small(solver="sgd", class_weight="balanced")
    clf.partial_fit(X, y3, classes=[0, 1, 2]).partial_fit(X, y3)
    clf.fit(X, y3).partial_fit(X[:10], y3[:10])
    assert_array_equal(clf._labels.class_totals, [4, 3, 3])
    clf.fit(X, y2).partial_fit(X, y2)
    assert_array_equal(clf._labels.class_totals, [15, 15])


# ---------------------------------------------------------------- predicting
def _extreme_rows(n_features):
    rng = np.random.default_rng(2)
    return np.vstack(
        [
            rng.normal(size=(5, n_features)) * 1e6,
            np.full((1, n_features), 1e8),
            np.full((1, n_features), -1e8),
            np.zeros((1, n_features)),
        ]
    )


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_log_proba_finite_and_equal_to_log_proba(target, dtype):
    X, _ = make_data()
    y = _targets()[target]
    clf = small(solver="lbfgs", max_iter=50, alpha=1e-5).fit(X.astype(dtype), y)
    X_all = np.vstack([X, _extreme_rows(X.shape[1])]).astype(dtype)
    proba = clf.predict_proba(X_all)
    log_proba = clf.predict_log_proba(X_all)
    assert proba.dtype == log_proba.dtype == dtype
    assert np.isfinite(log_proba).all()
    assert (proba > 0).all()
    assert (proba <= 1).all()
    # log(exp(x)) near x = 0 is exact only to an absolute rounding error.
    eps = np.finfo(dtype).eps
    assert_allclose(np.log(proba), log_proba, rtol=100 * eps, atol=4 * eps)
    if target != "multilabel":
        assert_allclose(proba.sum(axis=1), 1.0, rtol=10 * eps)
        assert_array_equal(clf.predict(X_all), clf.classes_[proba.argmax(axis=1)])
    pred = clf.predict(X_all)
    assert pred.shape == ((len(X_all),) if y.ndim == 1 else (len(X_all), y.shape[1]))


# Reference forward pass and output layer, written here from the equations so
# that predict_proba / predict_log_proba are checked against something other
# than themselves.
HIDDEN = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}


def _raw_scores(clf, X):
    h = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = HIDDEN[clf.activation](h @ W + b)
    return h @ clf.coefs_[-1] + clf.intercepts_[-1]


def _log_sigmoid(z):
    # log(1 / (1 + exp(-z))) = min(z, 0) - log(1 + exp(-|z|)): exact for any z
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def _log_softmax(z):
    # log p_j = (z_j - max) - log(1 + sum over the other classes of exp(z_k - max))
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    e[np.arange(len(z)), np.argmax(z, axis=1)] = 0.0
    return shifted - np.log1p(e.sum(axis=1, keepdims=True))


def _reference_log_proba(clf, X):
    score = _raw_scores(clf, X)
    info = np.finfo(np.float64)
    if clf.out_activation_ == "softmax":
        log_proba, upper = _log_softmax(score), 0.0
    else:
        if score.shape[1] == 1:  # binary: columns (P(classes_[0]), P(classes_[1]))
            score = np.hstack([-score, score])
        log_proba, upper = _log_sigmoid(score), np.log1p(-info.epsneg)
    # the documented clip: finite, and exp of it strictly inside (0, 1)
    return np.clip(log_proba, np.log(info.tiny), upper)


@pytest.mark.parametrize("factor", [1.0, 1e3])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_log_proba_matches_reference_log_softmax_of_raw_scores(
    target, activation, factor
):
    X, _ = make_data()
    y = _targets()[target]
    clf = small(
        hidden_layer_sizes=(7, 5), activation=activation, solver="lbfgs", max_iter=50
    ).fit(X, y)
    # scale the output layer: scores in the thousands, where log(predict_proba)
    # is no longer the log-probability
    clf.coefs_[-1] *= factor
    clf.intercepts_[-1] *= factor
    expected = _reference_log_proba(clf, X)
    if factor > 1:
        assert np.abs(_raw_scores(clf, X)).max() > 1e3
    # softmax's largest class is exact only to an absolute rounding error
    atol = 4 * np.finfo(np.float64).eps if clf.out_activation_ == "softmax" else 0.0
    log_proba = clf.predict_log_proba(X)
    assert log_proba.dtype == np.float64
    assert_allclose(log_proba, expected, rtol=1e-12, atol=atol)
    assert_allclose(clf.predict_proba(X), np.exp(expected), rtol=1e-12, atol=0)


@pytest.mark.parametrize("labels", [["no", "yes"], ["yes", "no"]])
def test_binary_proba_columns_follow_classes(labels):
    # 'yes' is the obvious class wherever the first feature is large; the string
    # labels sort as ['no', 'yes'] whichever order they first appear in
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    order = np.argsort(y != labels[0], kind="stable")
    X, y = X[order], y[order]
    clf = small(solver="lbfgs", max_iter=200).fit(X, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    is_yes = y == "yes"
    assert (proba[is_yes, 1] > 0.5).mean() > 0.9
    assert (proba[~is_yes, 0] > 0.5).mean() > 0.9
    # column 1 is sigmoid of the single output unit, column 0 its complement
    score = _raw_scores(clf, X)[:, 0]
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-score)), rtol=1e-12)
    assert_allclose(proba[:, 0], 1 / (1 + np.exp(score)), rtol=1e-12)
    assert_array_equal(clf.predict(X), np.where(proba[:, 1] > 0.5, "yes", "no"))


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "emu"]),
        np.array([-3, 10, 42]),
        np.array([False, True]),
        np.array(["no", "yes"], dtype=object),
        np.array([1.0, 2.0, 3.0]),
    ],
    ids=["str", "int", "bool", "object-str", "integral-float"],
)
def test_string_int_and_bool_labels(labels):
    X, codes = make_data(n_classes=len(labels))
    y = labels[codes]
    clf = small(solver="lbfgs", max_iter=100).fit(X, y)
    assert_array_equal(clf.classes_, np.unique(labels))
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype
    assert set(pred.tolist()) <= set(labels.tolist())
    assert_array_equal(pred, clf.classes_[clf.predict_proba(X).argmax(axis=1)])
    assert clf.score(X, y) > 0.9
    assert_array_equal(clf.classes_, MLPClassifier().fit(X[:6], y[:6]).classes_)


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_the_loss_of_each_iteration(solver, capsys):
    X, y = make_data()
    small(solver=solver, verbose=True, max_iter=3).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    assert "Iteration 2, loss = " in out
    small(solver=solver, max_iter=3).fit(X, y)
    assert capsys.readouterr().out == ""


def test_score_is_weighted_accuracy():
    X, y = make_data()
    clf = small(max_iter=3).fit(X, y)
    w = np.linspace(0.0, 1.0, len(y))
    correct = clf.predict(X) == y
    assert clf.score(X, y) == pytest.approx(correct.mean())
    assert clf.score(X, y, sample_weight=w) == pytest.approx(
        (w * correct).sum() / w.sum()
    )


def test_max_iter_warning_is_a_convergence_warning():
    X, y = make_data()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        small(max_iter=2).fit(X, y)


def test_lbfgs_warns_that_it_ignores_a_validation_set():
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0)
    with pytest.warns(UserWarning, match="lbfgs"):
        clf.fit(X, y, X_val=X[:10], y_val=y[:10])
    assert clf.validation_loss_curve_ is None


# ---------------------------------------------------------- target encoding
@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 1, 2, 3, 1, 2, 2]),
        np.array([0, 1, 1, 0, 1, 0, 0]),
        np.array([2.0, -1.0, 2.0, -1.0, 5.0, 5.0, 2.0]),
        np.array(["cat", "dog", "cat", "bird", "dog", "cat", "bird"], dtype="<U8"),
        np.array([True, False, True, True, False, False, True]),
    ],
    ids=["int", "binary", "float", "str", "bool"],
)
def test_fast_label_encoding_matches_label_binarizer(labels):
    from sklearn.preprocessing import LabelBinarizer

    from sk_scratchnet._base import _FitCall
    from sk_scratchnet._fit_state import TrainingState

    X = np.random.default_rng(0).standard_normal((len(labels), 3))
    clf = ScratchMLPClassifier(hidden_layer_sizes=(2,), max_iter=1)
    call = _FitCall(False, False, None, (None, None), None)
    _, Y, _, codec = clf._validate_targets(
        X, labels, incremental=False, first_pass=True, call=call
    )
    reference = LabelBinarizer().fit(labels)
    assert_array_equal(codec.classes_, reference.classes_)
    assert codec.classes_.dtype == reference.classes_.dtype
    assert codec.binarizer.y_type_ == reference.y_type_
    assert_array_equal(Y, reference.transform(labels).astype(bool))
    # later calls (partial_fit, warm start) encode against the same classes
    clf._training_state = TrainingState(codec.loss, codec)
    clf.classes_ = codec.classes_
    call = _FitCall(True, True, None, (None, None), None)
    _, Y_again, _, _ = clf._validate_targets(
        X, labels[::-1], incremental=True, first_pass=False, call=call
    )
    assert_array_equal(Y_again, reference.transform(labels[::-1]).astype(bool))


@pytest.mark.parametrize(
    ("y", "kind", "loss"),
    [
        (np.array([0, 1, 1, 0]), "binary", "binary_log_loss"),
        (np.array(["a", "b", "c", "a"]), "multiclass", "log_loss"),
        (np.array([[0, 1], [1, 1], [1, 0], [0, 0]]), "multilabel", "binary_log_loss"),
    ],
)
def test_the_label_codec_knows_the_kind_of_target_and_the_loss(y, kind, loss):
    X = np.random.default_rng(0).standard_normal((len(y), 3))
    clf = ScratchMLPClassifier(hidden_layer_sizes=(2,), max_iter=2).fit(X, y)
    assert clf._labels.kind == kind
    assert clf._labels.loss == loss == clf._training_state.loss
    assert_array_equal(clf._labels.classes_, clf.classes_)


def test_early_stopping_metric_loss_is_log_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    kwargs = {"early_stopping": True, "max_iter": 15, "random_state": 0}
    a = ScratchMLPClassifier(early_stopping_metric="loss", **kwargs).fit(X, y)
    b = ScratchMLPClassifier(early_stopping_metric="log_loss", **kwargs).fit(X, y)
    assert a.n_iter_ == b.n_iter_
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.validation_scores_ == b.validation_scores_
