"""The estimators on other array libraries (``array_api_dispatch=True``).

With dispatch on, both estimators train and predict in the namespace and on the
device of ``X``: array-api-strict (float64 on its default device, float32 on a
second device) everywhere, and PyTorch on the CPU where it is installed (an
optional extra; its tests skip with the reason elsewhere).  In float64 the
results equal the NumPy fit with the same ``random_state`` to 1e-10, whatever the
solver and options; in float32 to a float32 tolerance.  Mixed inputs follow
scikit-learn's rule (everything follows ``X``), inputs of another namespace or
device than the fit's raise, and a model fitted on another library survives
pickle, joblib, skops and the ONNX export.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn import config_context
from sklearn.utils import get_tags

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._devices import to_host
from tests._helpers import make_data, make_regression_data

xps = pytest.importorskip("array_api_strict")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TORCH_REASON = "PyTorch is an optional extra: pip install torch"
ATOL = {"float64": 1e-10, "float32": 1e-5}
# 20 L-BFGS iterations amplify float32 rounding (measured: up to 8e-5)
ATOL_LBFGS = {"float64": 1e-10, "float32": 1e-3}


class Place:
    """A namespace, a float dtype and a device; ``to`` moves NumPy arrays there."""

    def __init__(self, namespace, dtype, device):
        self.namespace, self.dtype, self.device = namespace, dtype, device

    def __repr__(self):
        return f"{self.namespace}-{self.dtype}-{self.device}"

    def library(self):
        if self.namespace == "torch":
            return pytest.importorskip("torch", reason=TORCH_REASON)
        return xps

    def to(self, a):
        """NumPy ``a`` here: floats in this dtype, integers and bools as they are."""
        if a is None:
            return None
        xp = self.library()
        a = np.asarray(a)
        device = self.device if self.namespace == "torch" else xps.Device(self.device)
        if a.dtype.kind == "f":
            return xp.asarray(a, dtype=getattr(xp, self.dtype), device=device)
        return xp.asarray(a, device=device)

    def holds(self, a):
        """Whether ``a`` is an array of this namespace and device."""
        like = self.to(np.zeros(1))
        return type(a) is type(like) and a.device == like.device


PLACES = [
    Place("array_api_strict", "float64", "CPU_DEVICE"),
    Place("array_api_strict", "float32", "device1"),
    Place("torch", "float64", "cpu"),
    Place("torch", "float32", "cpu"),
]
STRICT = PLACES[:2]


@pytest.fixture(params=PLACES, ids=repr)
def place(request):
    request.param.library()  # skips the torch places without torch
    return request.param


def dispatch():
    return config_context(array_api_dispatch=True)


# ------------------------------------------------------------------ data
def _classification(kind, n=80):
    X, y = make_data(n, 6, 3, seed=1)
    if kind == "binary":
        y = (y == 0).astype(np.int64)
    elif kind == "multilabel":
        y = np.column_stack([y == 0, y != 1, X[:, 0] > 0]).astype(np.int64)
    elif kind == "imbalanced":
        y = np.where(np.arange(n) % 5 == 0, 1, 0)
    return X, y


def _regression(n_outputs, loss="squared_error", n=80):
    return make_regression_data(n, 6, n_outputs, loss, seed=1)


# One case: (estimator class, its parameters, data, how it is fitted).  Every
# network is small and trains for 5 epochs (L-BFGS: 20 iterations).
SMALL = {"hidden_layer_sizes": (7,), "random_state": 0, "max_iter": 5}
SGD = {"solver": "sgd", "learning_rate_init": 0.05, "momentum": 0.9}
CASES = {
    "sgd-momentum": (ScratchMLPClassifier, {**SGD, "nesterovs_momentum": False}),
    "sgd-nesterov": (ScratchMLPClassifier, {**SGD, "nesterovs_momentum": True}),
    "sgd-no-shuffle": (ScratchMLPClassifier, {**SGD, "shuffle": False}),
    "sgd-invscaling-batches": (
        ScratchMLPClassifier,
        {**SGD, "learning_rate": "invscaling", "batch_size": 16},
    ),
    "adam": (ScratchMLPClassifier, {"learning_rate_init": 0.01}),
    "adam-batches": (ScratchMLPClassifier, {"batch_size": 16}),
    "adam-no-shuffle-batches": (
        ScratchMLPClassifier,
        {"batch_size": 16, "shuffle": False},
    ),
    "lbfgs": (ScratchMLPClassifier, {"solver": "lbfgs", "max_iter": 20}),
    "adam-tanh": (ScratchMLPClassifier, {"activation": "tanh"}),
    "adam-logistic": (ScratchMLPClassifier, {"activation": "logistic"}),
    "adam-gelu-two-layers": (
        ScratchMLPClassifier,
        {"activation": "gelu", "hidden_layer_sizes": (7, 5)},
    ),
    "lbfgs-gelu": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "max_iter": 20, "activation": "gelu"},
    ),
    "adam-binary": (ScratchMLPClassifier, {}, "binary"),
    "lbfgs-binary": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "max_iter": 20},
        "binary",
    ),
    "adam-multilabel": (ScratchMLPClassifier, {}, "multilabel"),
    "lbfgs-multilabel": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "max_iter": 20},
        "multilabel",
    ),
    "adam-sample-weight": (ScratchMLPClassifier, {}, "multiclass", "sample_weight"),
    "sgd-sample-weight": (ScratchMLPClassifier, SGD, "multiclass", "sample_weight"),
    "lbfgs-sample-weight": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "max_iter": 20},
        "multiclass",
        "sample_weight",
    ),
    "adam-balanced": (ScratchMLPClassifier, {"class_weight": "balanced"}, "imbalanced"),
    "lbfgs-balanced": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "max_iter": 20, "class_weight": "balanced"},
        "imbalanced",
    ),
    "adam-dropout": (
        ScratchMLPClassifier,
        {"dropout": 0.3, "hidden_layer_sizes": (9, 5), "batch_size": 32},
    ),
    "adam-early-stopping": (
        ScratchMLPClassifier,
        {"early_stopping": True, "validation_fraction": 0.25, "batch_size": 16},
    ),
    "sgd-early-stopping-log-loss": (
        ScratchMLPClassifier,
        {**SGD, "early_stopping": True, "early_stopping_metric": "log_loss"},
    ),
    "adam-X_val": (
        ScratchMLPClassifier,
        {"early_stopping": True},
        "multiclass",
        "X_val",
    ),
    "adam-warm-start": (
        ScratchMLPClassifier,
        {"warm_start": True},
        "multiclass",
        "twice",
    ),
    "lbfgs-then-adam-warm-start": (
        ScratchMLPClassifier,
        {"solver": "lbfgs", "warm_start": True},
        "multiclass",
        "lbfgs_then_adam",
    ),
    "sgd-partial-fit": (ScratchMLPClassifier, SGD, "multiclass", "partial_fit"),
    "adam-partial-fit-multilabel": (
        ScratchMLPClassifier,
        {},
        "multilabel",
        "partial_fit",
    ),
    "reg-adam": (ScratchMLPRegressor, {"learning_rate_init": 0.01}, 1),
    "reg-adam-3-outputs": (ScratchMLPRegressor, {"batch_size": 16}, 3),
    "reg-sgd-nesterov-3-outputs": (
        ScratchMLPRegressor,
        {**SGD, "learning_rate_init": 0.01},
        3,
    ),
    "reg-lbfgs": (ScratchMLPRegressor, {"solver": "lbfgs", "max_iter": 20}, 1),
    "reg-lbfgs-3-outputs-tanh": (
        ScratchMLPRegressor,
        {"solver": "lbfgs", "max_iter": 20, "activation": "tanh"},
        3,
    ),
    "reg-poisson": (
        ScratchMLPRegressor,
        {"loss": "poisson", "learning_rate_init": 0.01},
        1,
    ),
    "reg-poisson-3-outputs-lbfgs": (
        ScratchMLPRegressor,
        {"loss": "poisson", "solver": "lbfgs", "max_iter": 20},
        3,
    ),
    "reg-adam-sample-weight-logistic": (
        ScratchMLPRegressor,
        {"activation": "logistic"},
        1,
        "sample_weight",
    ),
    "reg-early-stopping-r2": (
        ScratchMLPRegressor,
        {"early_stopping": True, "batch_size": 16},
        1,
    ),
    "reg-X_val-3-outputs": (
        ScratchMLPRegressor,
        {"early_stopping": True, "early_stopping_metric": "loss"},
        3,
        "X_val",
    ),
    "reg-dropout-gelu": (
        ScratchMLPRegressor,
        {"dropout": 0.2, "activation": "gelu", "batch_size": 32},
        1,
    ),
    "reg-warm-start": (ScratchMLPRegressor, {"warm_start": True}, 1, "twice"),
    "reg-partial-fit-3-outputs": (ScratchMLPRegressor, SGD, 3, "partial_fit"),
}


def case_data(case):
    """``(estimator, X, y, sample_weight)`` of a case, NumPy float64."""
    cls, params, *rest = CASES[case]
    data = rest[0] if rest else ("multiclass" if cls is ScratchMLPClassifier else 1)
    if cls is ScratchMLPClassifier:
        X, y = _classification(data)
    else:
        X, y = _regression(data, params.get("loss", "squared_error"))
    procedure = rest[1] if len(rest) > 1 else "fit"
    weights = np.random.default_rng(2).uniform(0.2, 2.0, size=X.shape[0])
    sample_weight = weights if procedure == "sample_weight" else None
    return cls(**{**SMALL, **params}), X, y, sample_weight, procedure


def fit_case(est, X, y, sample_weight, procedure, to):
    """Fit ``est`` on ``to(...)`` of the data as the case's procedure says."""
    if procedure == "partial_fit":
        kwargs = {}
        if isinstance(est, ScratchMLPClassifier) and y.ndim == 1:
            kwargs["classes"] = np.unique(y)  # host labels, as scikit-learn takes
        for rows in (slice(0, 30), slice(30, 55), slice(55, None)):
            est.partial_fit(to(X[rows]), to(y[rows]), **kwargs)
        est.partial_fit(to(X), to(y))
        return est
    if procedure == "X_val":
        return est.fit(to(X[:60]), to(y[:60]), X_val=to(X[60:]), y_val=to(y[60:]))
    est.fit(to(X), to(y), sample_weight=to(sample_weight))
    if procedure == "twice":
        est.fit(to(X[10:]), to(y[10:]))
    elif procedure == "lbfgs_then_adam":
        est.set_params(solver="adam").fit(to(X), to(y))
    return est


def predictions(est, X):
    """What the estimator predicts: probabilities, or regression values."""
    if isinstance(est, ScratchMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def differences(case, place):
    """Max abs differences between the fit at ``place`` and NumPy's (same dtype).

    Returns ``{"weights": ..., "predictions": ..., "loss_curve": ...}`` and the
    two fitted estimators.
    """
    est, X, y, sample_weight, procedure = case_data(case)
    X = X.astype(place.dtype)
    reference = fit_case(
        est.__class__(**est.get_params()), X, y, sample_weight, procedure, lambda a: a
    )
    with dispatch():
        fitted = fit_case(est, X, y, sample_weight, procedure, place.to)
        predicted = predictions(fitted, place.to(X))
    assert all(place.holds(w) for w in [*fitted.coefs_, *fitted.intercepts_])
    assert place.holds(predicted)
    diffs = {
        "weights": max(
            float(np.max(np.abs(to_host(a) - b)))
            for a, b in zip(
                [*fitted.coefs_, *fitted.intercepts_],
                [*reference.coefs_, *reference.intercepts_],
            )
        ),
        "predictions": float(
            np.max(np.abs(to_host(predicted) - predictions(reference, X)))
        ),
    }
    if reference.solver != "lbfgs":
        assert len(fitted.loss_curve_) == len(reference.loss_curve_)
        diffs["loss_curve"] = float(
            np.max(np.abs(np.subtract(fitted.loss_curve_, reference.loss_curve_)))
        )
    return diffs, fitted, reference


@pytest.mark.parametrize("case", list(CASES))
def test_same_results_as_numpy(case, place):
    diffs, fitted, reference = differences(case, place)
    lbfgs = "lbfgs" in (fitted.solver, CASES[case][1].get("solver"))
    atol = (ATOL_LBFGS if lbfgs else ATOL)[place.dtype]
    for name, value in diffs.items():
        assert value <= atol, (name, value)
    assert fitted.n_iter_ == reference.n_iter_
    if reference.solver != "lbfgs":
        assert fitted.t_ == reference.t_
    if reference.early_stopping:
        np.testing.assert_allclose(
            fitted.validation_scores_,
            reference.validation_scores_,
            atol=ATOL[place.dtype],
        )


# ------------------------------------------------------------ the namespace
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_classifier_outputs_live_where_X_is(place, solver):
    X, y = _classification("multiclass")
    Xp, yp = place.to(X), place.to(y)
    clf = ScratchMLPClassifier(**{**SMALL, "solver": solver})
    with dispatch():
        assert clf.fit(Xp, yp) is clf
        for coef in [*clf.coefs_, *clf.intercepts_]:
            assert place.holds(coef)
            assert coef.dtype == Xp.dtype
        labels = clf.predict(Xp)
        proba = clf.predict_proba(Xp)
        log_proba = clf.predict_log_proba(Xp)
        score = clf.score(Xp, yp)
        if solver == "adam":  # partial_fit is for the stochastic solvers
            assert clf.partial_fit(Xp, yp) is clf
            assert all(place.holds(c) for c in clf.coefs_)
    assert place.holds(labels)
    assert labels.dtype == yp.dtype
    for array in (proba, log_proba):
        assert place.holds(array)
        assert array.dtype == Xp.dtype
        assert tuple(array.shape) == (80, 3)
    assert type(score) is float
    assert score == pytest.approx(np.mean(to_host(labels) == y), abs=1e-6)
    np.testing.assert_allclose(
        np.exp(to_host(log_proba)), to_host(proba), rtol=1e-5, atol=1e-7
    )


def test_regressor_outputs_live_where_X_is(place):
    X, y = _regression(3)
    Xp, yp = place.to(X), place.to(y)
    reg = ScratchMLPRegressor(**SMALL)
    with dispatch():
        assert reg.fit(Xp, yp) is reg
        prediction = reg.predict(Xp)
        score = reg.score(Xp, yp)
        assert reg.partial_fit(Xp, yp) is reg
        single = ScratchMLPRegressor(**SMALL).fit(Xp, place.to(y[:, 0]))
        single_prediction = single.predict(Xp)
    for coef in [*reg.coefs_, *reg.intercepts_, *single.coefs_]:
        assert place.holds(coef)
        assert coef.dtype == Xp.dtype
    assert place.holds(prediction)
    assert prediction.dtype == Xp.dtype
    assert tuple(prediction.shape) == (80, 3)
    assert place.holds(single_prediction)
    assert tuple(single_prediction.shape) == (80,)
    assert type(score) is float


def test_string_labels_come_back_as_numpy(place):
    X, y = _classification("multiclass")
    labels = np.array(["ant", "bee", "cat"])[y]
    with dispatch():
        clf = ScratchMLPClassifier(**SMALL).fit(place.to(X), labels)
        predicted = clf.predict(place.to(X))
        score = clf.score(place.to(X), labels)
    assert place.holds(clf.coefs_[0])
    assert isinstance(predicted, np.ndarray)
    assert set(predicted) <= set(labels)
    assert score == pytest.approx(np.mean(predicted == labels))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_device_without_float64(solver):
    """float32 data on a device that has no float64 (like Apple's MPS)."""
    X, y = _classification("multiclass")
    device = xps.Device("no_float64")
    Xp = xps.asarray(X.astype(np.float32), device=device)
    yp = xps.asarray(y, device=device)
    with dispatch():
        clf = ScratchMLPClassifier(**{**SMALL, "solver": solver}).fit(Xp, yp)
        proba = clf.predict_proba(Xp)
    assert clf.coefs_[0].device == device
    assert clf.coefs_[0].dtype == xps.float32
    reference = ScratchMLPClassifier(**{**SMALL, "solver": solver}).fit(
        X.astype(np.float32), y
    )
    np.testing.assert_allclose(
        to_host(proba), reference.predict_proba(X.astype(np.float32)), atol=1e-5
    )


# ------------------------------------------------------------ mixed inputs
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_y_and_sample_weight_follow_X(place, solver):
    X, y = _classification("multiclass")
    X = X.astype(place.dtype)
    weights = np.random.default_rng(2).uniform(0.2, 2.0, size=X.shape[0])
    params = {**SMALL, "solver": solver}
    with dispatch():
        mixed = ScratchMLPClassifier(**params).fit(
            place.to(X), y, sample_weight=weights
        )
        same = ScratchMLPClassifier(**params).fit(
            place.to(X), place.to(y), sample_weight=place.to(weights)
        )
        score = mixed.score(place.to(X), y, sample_weight=weights)
    reference = ScratchMLPClassifier(**params).fit(X, y, sample_weight=weights)
    for a, b, c in zip(mixed.coefs_, same.coefs_, reference.coefs_):
        assert place.holds(a)
        np.testing.assert_array_equal(to_host(a), to_host(b))
        np.testing.assert_allclose(to_host(a), c, atol=ATOL[place.dtype])
    assert score == pytest.approx(
        reference.score(X, y, sample_weight=weights), abs=1e-6
    )


def test_X_val_follows_X(place):
    X, y = _classification("multiclass")
    params = {**SMALL, "early_stopping": True}
    with dispatch():
        mixed = ScratchMLPClassifier(**params).fit(
            place.to(X[:60]), y[:60], X_val=X[60:], y_val=y[60:]
        )
        same = ScratchMLPClassifier(**params).fit(
            place.to(X[:60]),
            place.to(y[:60]),
            X_val=place.to(X[60:]),
            y_val=place.to(y[60:]),
        )
    assert place.holds(mixed.coefs_[0])
    assert mixed.validation_scores_ == same.validation_scores_
    np.testing.assert_array_equal(to_host(mixed.coefs_[0]), to_host(same.coefs_[0]))


def test_regressor_y_follows_X(place):
    X, y = _regression(1)
    X = X.astype(place.dtype)
    with dispatch():
        reg = ScratchMLPRegressor(**SMALL).fit(place.to(X), y)
        prediction = reg.predict(place.to(X))
    reference = ScratchMLPRegressor(**SMALL).fit(X, y)
    assert place.holds(reg.coefs_[0])
    np.testing.assert_allclose(
        to_host(prediction), reference.predict(X), atol=ATOL[place.dtype]
    )


@pytest.mark.parametrize("place", STRICT, ids=repr)
def test_numpy_X_with_strict_y_stays_numpy(place):
    X, y = _classification("multiclass")
    weights = np.random.default_rng(2).uniform(0.2, 2.0, size=X.shape[0])
    weights = weights.astype(place.dtype)  # what place.to(weights) holds
    with dispatch():
        clf = ScratchMLPClassifier(**SMALL).fit(
            X, place.to(y), sample_weight=place.to(weights)
        )
        labels = clf.predict(X)
        reg = ScratchMLPRegressor(**SMALL).fit(X, place.to(X[:, 0] * 2.0))
    reference = ScratchMLPClassifier(**SMALL).fit(X, y, sample_weight=weights)
    assert all(type(c) is np.ndarray for c in [*clf.coefs_, *clf.intercepts_])
    assert type(reg.coefs_[0]) is np.ndarray
    assert type(labels) is np.ndarray
    for a, b in zip(clf.coefs_, reference.coefs_):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ errors
def _elsewhere(place, other):
    """A converter to NumPy, or to another device (strict) or namespace (torch)."""
    if other == "numpy":
        return lambda a: a
    if place.namespace == "array_api_strict":
        other_device = "device1" if place.device == "CPU_DEVICE" else "CPU_DEVICE"
        return Place(place.namespace, place.dtype, other_device).to
    return Place("array_api_strict", place.dtype, "CPU_DEVICE").to


OTHERS = ["numpy", "other-device-or-namespace"]


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "score", "partial_fit"]
)
def test_classifier_rejects_X_from_elsewhere(place, method, other):
    X, y = _classification("multiclass")
    with dispatch():
        clf = ScratchMLPClassifier(**SMALL).fit(place.to(X), place.to(y))
    before = [to_host(c).copy() for c in clf.coefs_]
    to = _elsewhere(place, other)
    args = (to(X), y) if method in ("score", "partial_fit") else (to(X),)
    # score reports the predict() that it calls
    called = "predict" if method == "score" else method
    with dispatch(), pytest.raises(ValueError) as error:
        getattr(clf, method)(*args)
    message = str(error.value)
    assert "must use the same namespace" in message
    assert f"ScratchMLPClassifier.{called}()" in message
    for a, b in zip(clf.coefs_, before):
        assert place.holds(a)
        np.testing.assert_array_equal(to_host(a), b)


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("method", ["predict", "partial_fit"])
def test_regressor_rejects_X_from_elsewhere(place, method, other):
    X, y = _regression(1)
    with dispatch():
        reg = ScratchMLPRegressor(**SMALL).fit(place.to(X), place.to(y))
    to = _elsewhere(place, other)
    args = (to(X), y) if method == "partial_fit" else (to(X),)
    with dispatch(), pytest.raises(ValueError) as error:
        getattr(reg, method)(*args)
    assert "must use the same namespace" in str(error.value)
    assert f"ScratchMLPRegressor.{method}()" in str(error.value)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "partial_fit"]
)
def test_numpy_model_rejects_X_from_elsewhere(place, method):
    """scikit-learn's rule: with dispatch on, X must be where the fit was."""
    X, y = _classification("multiclass")
    clf = ScratchMLPClassifier(**SMALL).fit(X, y)
    args = (place.to(X), y) if method == "partial_fit" else (place.to(X),)
    with dispatch(), pytest.raises(ValueError) as error:
        getattr(clf, method)(*args)
    assert "must use the same namespace" in str(error.value)
    assert f"ScratchMLPClassifier.{method}()" in str(error.value)
    assert type(clf.coefs_[0]) is np.ndarray


@pytest.mark.parametrize(
    "place", [p for p in PLACES if p.device in ("CPU_DEVICE", "cpu")], ids=repr
)
def test_dispatch_off_converts_to_numpy(place):
    """scikit-learn's validation turns the input into NumPy (its float dtype rule)."""
    place.library()
    X, y = _classification("multiclass")
    Xp = place.to(X.astype(place.dtype))
    clf = ScratchMLPClassifier(**SMALL).fit(Xp, place.to(y))
    reg = ScratchMLPRegressor(**SMALL).fit(Xp, place.to(X[:, 0]))
    for c in [*clf.coefs_, *clf.intercepts_, *reg.coefs_]:
        assert type(c) is np.ndarray
    host = to_host(Xp).astype(clf.coefs_[0].dtype)
    reference = ScratchMLPClassifier(**SMALL).fit(host, y)
    proba = clf.predict_proba(Xp)
    assert type(proba) is np.ndarray
    np.testing.assert_array_equal(proba, reference.predict_proba(host))
    labels = clf.predict(Xp)
    assert type(labels) is np.ndarray
    np.testing.assert_array_equal(labels, reference.predict(host))
    assert type(reg.predict(Xp)) is np.ndarray
    assert type(clf.score(Xp, place.to(y))) is float


# ------------------------------------------------------------- persistence
PERSISTED = [PLACES[0], PLACES[1], PLACES[2]]


def _persisted(place, cls):
    if cls is ScratchMLPClassifier:
        X, y = _classification("multiclass")
    else:
        X, y = _regression(3)
    with dispatch():
        est = cls(**{**SMALL, "early_stopping": True}).fit(place.to(X), place.to(y))
    return est, X, y


def _assert_same_model(loaded, est, place, X, y):
    for a, b in zip(
        [*loaded.coefs_, *loaded.intercepts_], [*est.coefs_, *est.intercepts_]
    ):
        assert place.holds(a)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(to_host(a), to_host(b))
    with dispatch():
        np.testing.assert_array_equal(
            to_host(predictions(loaded, place.to(X))),
            to_host(predictions(est, place.to(X))),
        )
        # the optimizer state came back too: training goes on identically
        loaded.partial_fit(place.to(X), place.to(y))
        est.partial_fit(place.to(X), place.to(y))
    assert place.holds(loaded._training_state.optimizer.m)
    for a, b in zip(loaded.coefs_, est.coefs_):
        np.testing.assert_array_equal(to_host(a), to_host(b))


@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
@pytest.mark.parametrize("place", PERSISTED, ids=repr)
def test_pickle_round_trip(place, cls):
    place.library()
    est, X, y = _persisted(place, cls)
    loaded = pickle.loads(pickle.dumps(est))
    _assert_same_model(loaded, est, place, X, y)


@pytest.mark.parametrize("place", PERSISTED, ids=repr)
def test_joblib_round_trip(place, tmp_path):
    place.library()
    est, X, y = _persisted(place, ScratchMLPClassifier)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    _assert_same_model(loaded, est, place, X, y)


@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
@pytest.mark.parametrize("place", PERSISTED, ids=repr)
def test_skops_round_trip(place, cls):
    place.library()
    sio = pytest.importorskip("skops.io")
    est, X, y = _persisted(place, cls)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(name.startswith("sk_scratchnet.") for name in untrusted), untrusted
    loaded = sio.loads(data, trusted=untrusted)
    _assert_same_model(loaded, est, place, X, y)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_onnx_export_of_a_torch_model(dtype):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    pytest.importorskip("onnx", reason="the 'onnx' extra is not installed")
    ort = pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
    from sk_scratchnet import to_onnx

    X, y = _classification("multiclass")
    X = X.astype(dtype)
    with dispatch():
        clf = ScratchMLPClassifier(**SMALL).fit(torch.asarray(X), torch.asarray(y))
        proba = clf.predict_proba(torch.asarray(X)).numpy()
        labels = clf.predict(torch.asarray(X)).numpy()
    onx = to_onnx(clf, X)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    onnx_labels, onnx_proba = session.run(["label", "probabilities"], {"X": X})
    np.testing.assert_allclose(onnx_proba, proba, atol=ATOL[dtype])
    np.testing.assert_array_equal(onnx_labels, labels)
    assert isinstance(clf.coefs_[0], torch.Tensor)


# --------------------------------------------------------------------- tags
@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_array_api_support_tag(cls):
    assert get_tags(cls()).array_api_support is True


def test_jax_arrays_are_rejected_under_dispatch_and_converted_without():
    # JAX arrays are immutable: the flat parameter vector cannot be updated
    # through its views, so dispatch refuses them with a clear TypeError; with
    # dispatch off they are array-likes that validation turns into NumPy.
    jnp = pytest.importorskip("jax.numpy")
    X, y = make_data(60, 4, 2, 0)
    Xj = jnp.asarray(X.astype(np.float32))
    clf = ScratchMLPClassifier(max_iter=3, random_state=0).fit(Xj, y)
    assert isinstance(clf.coefs_[0], np.ndarray)
    assert clf.predict(Xj).shape == (60,)
    with config_context(array_api_dispatch=True):
        with pytest.raises(TypeError, match="'jax' namespace cannot be updated"):
            ScratchMLPClassifier(max_iter=3).fit(Xj, jnp.asarray(y))
