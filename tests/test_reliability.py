"""Reliability: divergence, transactional fit, determinism, threads, persistence.

The divergence policy under test: when training produces non-finite weights,
``fit``/``partial_fit`` raise a ``ValueError`` that says to lower
``learning_rate_init`` or to scale the data, and the estimator is left exactly
as it was before the call (unfitted if it was unfitted). A fitted model never
holds NaN or infinite weights.

Run with ``-W error::RuntimeWarning``; the tests that feed extreme values also
turn RuntimeWarning into an error themselves.
"""

import copy
import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import sk_scratchnet
from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._activations import ACTIVATIONS as ALL_ACTIVATIONS
from tests._helpers import strict_warnings

SOLVERS = ["adam", "sgd", "lbfgs"]
ACTIVATIONS = sorted(ALL_ACTIVATIONS)
# units that neither die nor saturate, so a huge step makes the weights blow up
LINEAR_UNITS = ["identity", "leaky_relu"]
BOUNDED_UNITS = ["logistic", "tanh"]

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_data(n_samples=150, n_features=5, n_classes=3, seed=0):
    """Gaussian features, labels from a random linear map (learnable)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    if n_classes == "multilabel":
        y = (X @ rng.normal(size=(n_features, 3)) > 0).astype(np.int64)
    else:
        y = np.argmax(X @ rng.normal(size=(n_features, n_classes)), axis=1)
    return X, y


def fitted_state(est):
    """Deep copy of every public fitted attribute (name ending in ``_``)."""
    return {
        name: copy.deepcopy(value)
        for name, value in vars(est).items()
        if name.endswith("_") and not name.startswith("_")
    }


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:  # e.g. feature_names_in_: compare the values
        return np.array_equal(a, b)
    return a.tobytes() == b.tobytes()


def _same(a, b):
    """Exact equality of fitted attribute values (arrays bit for bit)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_bits(a, b)
    if isinstance(a, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, z) for x, z in zip(a, b, strict=True))
        )
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        return np.isnan(b)
    return type(a) is type(b) and a == b


def assert_same_state(state, expected):
    """Exact equality of two fitted_state() snapshots."""
    assert state.keys() == expected.keys()
    for name, value in expected.items():
        assert _same(state[name], value), f"{name} changed"


def assert_finite_model(est):
    for W in [*est.coefs_, *est.intercepts_]:
        assert np.isfinite(W).all(), "fitted model holds non-finite weights"


def assert_divergence_message(exc):
    message = str(exc)
    assert "learning_rate_init" in message or "scal" in message.lower(), (
        f"divergence error does not say what to change: {message!r}"
    )


def assert_valid_outputs(est, X):
    """Finite probabilities and log-probabilities, consistent with predict."""
    proba = est.predict_proba(X)
    log_proba = est.predict_log_proba(X)
    pred = est.predict(X)
    atol = 1e-5 if proba.dtype == np.float32 else 1e-12
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.isfinite(log_proba).all(), "predict_log_proba is not finite"
    assert (log_proba <= 0).all()
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=0, atol=10 * atol)
    if pred.ndim == 1:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)
        np.testing.assert_array_equal(pred, est.classes_[np.argmax(proba, axis=1)])
    else:  # multilabel: one independent probability per label
        np.testing.assert_array_equal(pred, (proba > 0.5).astype(pred.dtype))
    return proba, log_proba


# --------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------

# Settings checked to diverge on ``unscaled_data``: sgd with a huge step and a
# hidden layer whose units neither die nor saturate, and adam with a step so
# large that one update already overflows the scores.
DIVERGENT = {
    "sgd_lr1e3": ({"solver": "sgd", "learning_rate_init": 1e3}, LINEAR_UNITS),
    "sgd_lr1e3_no_momentum": (
        {"solver": "sgd", "learning_rate_init": 1e3, "momentum": 0.0},
        LINEAR_UNITS,
    ),
    "adam_lr1e300": ({"solver": "adam", "learning_rate_init": 1e300}, ACTIVATIONS),
}
DIVERGENT_CASES = [
    (config, activation)
    for config, (_, activations) in sorted(DIVERGENT.items())
    for activation in activations
]
# The same huge steps with units that saturate or die: the weights stop moving
# before they overflow, so these fits must end with a finite model.
BOUNDED_CASES = [
    (config, activation)
    for config in ("sgd_lr1e3", "sgd_lr1e3_no_momentum")
    for activation in ACTIVATIONS
    if activation not in LINEAR_UNITS
] + [("adam_lr1e3", activation) for activation in ACTIVATIONS]
HUGE_STEP = {
    "sgd_lr1e3": {"solver": "sgd", "learning_rate_init": 1e3},
    "sgd_lr1e3_no_momentum": {
        "solver": "sgd",
        "learning_rate_init": 1e3,
        "momentum": 0.0,
    },
    "adam_lr1e3": {"solver": "adam", "learning_rate_init": 1e3},
}


def unscaled_data(n_classes, seed=0):
    X, y = make_data(n_samples=200, n_features=6, n_classes=n_classes, seed=seed)
    return X * 1e6 + 3e6, y


def _huge_step_estimator(activation, params):
    return ScratchMLPClassifier(
        hidden_layer_sizes=(8,),
        activation=activation,
        batch_size=16,
        max_iter=30,
        n_iter_no_change=100,  # do not stop early on the rising loss
        random_state=0,
        **params,
    )


@pytest.mark.parametrize("n_classes", [2, 4, "multilabel"])
@pytest.mark.parametrize(("config", "activation"), DIVERGENT_CASES)
def test_divergence_raises_and_leaves_no_model(config, activation, n_classes):
    X, y = unscaled_data(n_classes)
    est = _huge_step_estimator(activation, DIVERGENT[config][0])
    with strict_warnings(), pytest.raises(ValueError) as excinfo:
        est.fit(X, y)
    assert_divergence_message(excinfo.value)
    # a failed first fit leaves an unfitted estimator, not NaN weights
    assert not hasattr(est, "coefs_")
    with pytest.raises(NotFittedError):
        est.predict_proba(X)


@pytest.mark.parametrize(("config", "activation"), DIVERGENT_CASES)
def test_divergent_refit_restores_the_previous_model(config, activation):
    X, y = unscaled_data(4)
    X_scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    est = _huge_step_estimator(activation, {"solver": "adam"})
    with strict_warnings():
        est.fit(X_scaled, y)
    before = fitted_state(est)
    proba_before = est.predict_proba(X_scaled)
    assert before["loss_curve_"]  # the curves are part of what must survive
    est.set_params(**DIVERGENT[config][0])
    with strict_warnings(), pytest.raises(ValueError) as excinfo:
        est.fit(X, y)
    assert_divergence_message(excinfo.value)
    assert_same_state(fitted_state(est), before)
    assert _same_bits(est.predict_proba(X_scaled), proba_before)


@pytest.mark.parametrize("n_classes", [2, 4, "multilabel"])
@pytest.mark.parametrize(("config", "activation"), BOUNDED_CASES)
def test_huge_steps_with_bounded_units_fit_finitely(config, activation, n_classes):
    X, y = unscaled_data(n_classes)
    est = _huge_step_estimator(activation, HUGE_STEP[config])
    with strict_warnings():
        est.fit(X, y)
    assert_finite_model(est)
    assert np.isfinite(est.loss_curve_).all()
    assert_valid_outputs(est, X)


@pytest.mark.parametrize("activation", LINEAR_UNITS)
def test_divergence_in_partial_fit_keeps_previous_model(activation):
    # partial_fit keeps its optimizer, and the default step is already too large
    # for unscaled features when the units are linear: sgd overflows after a few
    # chunks. Each failed call must leave the model of the previous call.
    X, y = make_data(n_classes=3)
    X_big = X * 1e6 + 3e6
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        activation=activation,
        batch_size=16,
        random_state=0,
    )
    with strict_warnings():
        est.partial_fit(X, y, classes=np.unique(y))
        est.partial_fit(X, y)
        for _ in range(20):
            before = fitted_state(est)
            try:
                est.partial_fit(X_big, y)
            except ValueError as exc:
                assert_divergence_message(exc)
                break
            assert_finite_model(est)
        else:
            pytest.fail("partial_fit on unscaled data never diverged")
    assert len(before["loss_curve_"]) >= 2  # a model fitted by earlier calls
    assert_same_state(fitted_state(est), before)
    assert_finite_model(est)
    assert_valid_outputs(est, X)


@pytest.mark.parametrize(
    ("solver", "activation"), [("sgd", "relu"), ("adam", "relu"), ("adam", "identity")]
)
def test_partial_fit_on_unscaled_chunks_stays_finite(solver, activation):
    # dying ReLUs stop sgd's weights; adam's steps are bounded by its step size
    X, y = make_data(n_classes=3)
    X_big = X * 1e6 + 3e6
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(8,),
        solver=solver,
        activation=activation,
        batch_size=16,
        random_state=0,
    )
    with strict_warnings():
        est.partial_fit(X, y, classes=np.unique(y))
        for _ in range(20):
            est.partial_fit(X_big, y)
    assert_finite_model(est)
    assert len(est.loss_curve_) == 21
    assert np.isfinite(est.loss_curve_).all()
    assert_valid_outputs(est, X_big)


# --------------------------------------------------------------------------
# transactional fit
# --------------------------------------------------------------------------


def _bad_fits(X, y):
    """name -> (params to set, X, y, fit kwargs) that fit must refuse."""
    rng = np.random.default_rng(1)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    y_mixed = y.astype(object)
    y_mixed[0] = "a"
    return {
        "nan_X": ({}, X_nan, y, {}),
        "inf_X": ({}, X_inf, y, {}),
        "mixed_label_types": ({}, X, y_mixed, {}),
        "continuous_y": ({}, X, y + rng.random(y.size), {}),
        "one_class": ({}, X, np.zeros_like(y), {}),
        "n_samples_mismatch": ({}, X, y[:-1], {}),
        "sample_weight_length": ({}, X, y, {"sample_weight": np.ones(3)}),
        "negative_alpha": ({"alpha": -1.0}, X, y, {}),
        "unknown_activation": ({"activation": "nope"}, X, y, {}),
        # a linear hidden layer cannot die or saturate: sgd with this step
        # size on unscaled data overflows within a few updates
        "divergent_sgd": (
            {
                "solver": "sgd",
                "activation": "identity",
                "learning_rate_init": 1e3,
                "batch_size": 16,
                "max_iter": 30,
                "n_iter_no_change": 100,
            },
            X * 1e6 + 3e6,
            y,
            {},
        ),
    }


def _assert_refused_and_intact(est, X_check, params, X_bad, y_bad, fit_kwargs):
    before = fitted_state(est)
    proba_before = est.predict_proba(X_check)
    original = est.get_params()
    est.set_params(**params)
    with strict_warnings(), pytest.raises((ValueError, TypeError)):
        est.fit(X_bad, y_bad, **fit_kwargs)
    est.set_params(**original)
    assert_same_state(fitted_state(est), before)
    assert _same_bits(est.predict_proba(X_check), proba_before)


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "case",
    [
        "nan_X",
        "inf_X",
        "mixed_label_types",
        "continuous_y",
        "one_class",
        "n_samples_mismatch",
        "sample_weight_length",
        "negative_alpha",
        "unknown_activation",
        "divergent_sgd",
    ],
)
def test_failed_fit_leaves_model_intact(case, solver, warm_start):
    X, y = make_data(n_classes=3)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=10,
        warm_start=warm_start,
        random_state=0,
    )
    with strict_warnings():
        est.fit(X, y)
    params, X_bad, y_bad, fit_kwargs = _bad_fits(X, y)[case]
    _assert_refused_and_intact(est, X, params, X_bad, y_bad, fit_kwargs)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_refuses_other_shapes_and_classes(solver):
    X, y = make_data(n_classes=3)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=10,
        warm_start=True,
        random_state=0,
    )
    with strict_warnings():
        est.fit(X, y)
    X_wide = np.hstack([X, X[:, :1]])
    _assert_refused_and_intact(est, X, {}, X_wide, y, {})
    _assert_refused_and_intact(est, X, {}, X[:, :-1], y, {})
    y_new_class = y.copy()
    y_new_class[:5] = 7
    _assert_refused_and_intact(est, X, {}, X, y_new_class, {})


@pytest.mark.parametrize(
    ("first", "second"),
    [(a, b) for a in SOLVERS for b in SOLVERS if a != b],
)
def test_warm_start_solver_switch_continues_from_previous_weights(first, second):
    # warm_start promises to continue from the previous weights, whichever
    # solver trained them: the switch trains on, it is not refused.
    X, y = make_data(n_classes=3)
    params = {"hidden_layer_sizes": (6,), "max_iter": 10, "random_state": 0}
    est = ScratchMLPClassifier(solver=first, warm_start=True, **params)
    with strict_warnings():
        est.fit(X, y)
        start = [W.copy() for W in est.coefs_]
        est.set_params(solver=second)
        est.fit(X, y)
        cold = ScratchMLPClassifier(solver=second, **params).fit(X, y)
    assert_finite_model(est)
    assert_valid_outputs(est, X)
    assert est.n_iter_ == 10
    assert not np.array_equal(est.coefs_[0], start[0])  # it trained
    assert not np.array_equal(est.coefs_[0], cold.coefs_[0])  # not from scratch
    # starting from trained weights, it ends below the cold start's loss
    assert est.loss_ < cold.loss_


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_failed_partial_fit_leaves_model_intact(solver):
    X, y = make_data(n_classes=3)
    est = ScratchMLPClassifier(hidden_layer_sizes=(6,), solver=solver, random_state=0)
    with strict_warnings():
        est.partial_fit(X, y, classes=np.unique(y))
    X_nan = X.copy()
    X_nan[5, 2] = np.nan
    y_unknown = y.copy()
    y_unknown[0] = 9
    for X_bad, y_bad in [(X_nan, y), (X, y_unknown), (X[:, :-1], y)]:
        before = fitted_state(est)
        with strict_warnings(), pytest.raises(ValueError):
            est.partial_fit(X_bad, y_bad)
        assert_same_state(fitted_state(est), before)


# --------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------

DETERMINISM_CONFIGS = {
    "sgd": {"solver": "sgd"},
    "sgd_no_shuffle": {"solver": "sgd", "shuffle": False},
    "sgd_plain_momentum": {"solver": "sgd", "nesterovs_momentum": False},
    "sgd_adaptive": {"solver": "sgd", "learning_rate": "adaptive"},
    "adam": {"solver": "adam"},
    "adam_no_shuffle": {"solver": "adam", "shuffle": False},
    "adam_small_batches": {"solver": "adam", "batch_size": 7},
    "lbfgs": {"solver": "lbfgs"},
    "sgd_early_stopping": {"solver": "sgd", "early_stopping": True},
    "adam_early_stopping": {"solver": "adam", "early_stopping": True},
    "adam_early_stopping_no_shuffle": {
        "solver": "adam",
        "early_stopping": True,
        "shuffle": False,
    },
}


def _assert_same_model(a, b, X):
    for Wa, Wb in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_]):
        assert _same_bits(Wa, Wb), "weights differ"
    assert a.n_iter_ == b.n_iter_
    if hasattr(a, "loss_curve_"):
        assert _same_bits(a.loss_curve_, b.loss_curve_)
    assert _same_bits(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("input_kind", ["float64", "float32", "csr"])
@pytest.mark.parametrize("config", sorted(DETERMINISM_CONFIGS))
def test_same_random_state_gives_bitwise_identical_models(config, input_kind):
    X, y = make_data(n_samples=120, n_classes=3)
    if input_kind == "float32":
        X = X.astype(np.float32)
    elif input_kind == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    params = {
        "hidden_layer_sizes": (7, 5),
        "max_iter": 15,
        "random_state": 0,
        **DETERMINISM_CONFIGS[config],
    }
    with strict_warnings():
        first = ScratchMLPClassifier(**params).fit(X, y)
        reference = copy.deepcopy(first)
        second = ScratchMLPClassifier(**params).fit(X, y)
        cloned = clone(first).fit(X, y)
        first.fit(X, y)  # refitting the same instance starts afresh
    _assert_same_model(second, reference, X)
    _assert_same_model(cloned, reference, X)
    _assert_same_model(first, reference, X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_random_state_is_used(solver):
    X, y = make_data(n_classes=3)
    with strict_warnings():
        a = ScratchMLPClassifier(
            hidden_layer_sizes=(5,), solver=solver, max_iter=10, random_state=0
        ).fit(X, y)
        b = clone(a).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


# --------------------------------------------------------------------------
# thread safety
# --------------------------------------------------------------------------


@pytest.mark.parametrize("input_kind", ["float64", "float32", "csr"])
@pytest.mark.parametrize("n_classes", [2, 5])
def test_concurrent_predictions_match_serial(n_classes, input_kind):
    X, y = make_data(n_samples=2000, n_features=20, n_classes=n_classes)
    if input_kind == "float32":
        X = X.astype(np.float32)
    elif input_kind == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    with strict_warnings():
        est = ScratchMLPClassifier(
            hidden_layer_sizes=(32, 16), max_iter=5, random_state=0
        ).fit(X, y)
    # blocks of different sizes, so a workspace shared between calls (sized
    # for one call, used by another) shows up as a mismatch
    bounds = [(0, 1), (1, 8), (8, 58), (58, 258), (258, 1258), (1258, 2000)]
    blocks = [X[start:stop] for start, stop in bounds] + [X]
    methods = ["predict_proba", "predict_log_proba", "predict"]
    serial = {
        (method, j): getattr(est, method)(block)
        for method in methods
        for j, block in enumerate(blocks)
    }
    n_threads, n_calls = 8, 24
    barrier = threading.Barrier(n_threads)

    def work(thread):
        barrier.wait()
        results = []
        for call in range(n_calls):
            j = (thread + call) % len(blocks)
            method = "predict_proba" if call % 3 else methods[(call // 3) % 3]
            results.append(((method, j), getattr(est, method)(blocks[j])))
        return results

    with strict_warnings(), ThreadPoolExecutor(max_workers=n_threads) as pool:
        outcomes = list(pool.map(work, range(n_threads)))
    assert sum(len(results) for results in outcomes) == n_threads * n_calls
    for results in outcomes:
        for key, value in results:
            assert np.array_equal(value, serial[key]), f"{key} differs from serial"


# --------------------------------------------------------------------------
# persistence
# --------------------------------------------------------------------------


def persisted_model(kind):
    """A fitted model and the X to predict on, one per kind of model."""
    params = {"hidden_layer_sizes": (6, 4), "max_iter": 10, "random_state": 0}
    if kind == "multiclass_adam":
        X, y = make_data(n_classes=4)
        est = ScratchMLPClassifier(solver="adam", **params)
    elif kind == "binary_strings_sgd":
        X, y = make_data(n_classes=2)
        y = np.array(["no", "yes"])[y]
        est = ScratchMLPClassifier(solver="sgd", activation="tanh", **params)
    elif kind == "multilabel_lbfgs":
        X, y = make_data(n_classes="multilabel")
        est = ScratchMLPClassifier(solver="lbfgs", **params)
    elif kind == "float32_early_stopping":
        X, y = make_data(n_classes=3)
        X = X.astype(np.float32)
        est = ScratchMLPClassifier(early_stopping=True, **params)
    elif kind == "dataframe":
        X, y = make_data(n_classes=3)
        X = pd.DataFrame(X, columns=[f"feature {j}" for j in range(X.shape[1])])
        est = ScratchMLPClassifier(**params)
    else:
        raise AssertionError(kind)
    with strict_warnings():
        est.fit(X, y)
    return est, X, y


PERSISTED_KINDS = [
    "multiclass_adam",
    "binary_strings_sgd",
    "multilabel_lbfgs",
    "float32_early_stopping",
    "dataframe",
]


def _assert_identical_predictions(loaded, est, X):
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    assert_same_state(fitted_state(loaded), fitted_state(est))
    with strict_warnings():
        for method in ("predict_proba", "predict_log_proba", "predict"):
            expected = getattr(est, method)(X)
            got = getattr(loaded, method)(X)
            assert got.dtype == expected.dtype
            assert np.array_equal(got, expected), method


@contextmanager
def no_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]


@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_pickle_round_trip_through_disk(kind, tmp_path):
    est, X, _ = persisted_model(kind)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    # loaded by the same version: no version warning, nothing else either
    with no_warnings():
        loaded = pickle.loads(path.read_bytes())
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("compress", [0, 3])
@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_joblib_round_trip(kind, compress, tmp_path):
    est, X, _ = persisted_model(kind)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path, compress=compress)
    with no_warnings():
        loaded = joblib.load(path)
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_skops_round_trip_trusting_only_our_types(kind, tmp_path):
    sio = pytest.importorskip("skops.io")
    est, X, _ = persisted_model(kind)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    # the package's own types are all a user should have to trust
    assert all(name.startswith("sk_scratchnet.") for name in untrusted), untrusted
    loaded = sio.load(path, trusted=untrusted)
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_pickled_model_continues_training_identically(solver, tmp_path):
    X, y = make_data(n_classes=3)
    with strict_warnings():
        est = ScratchMLPClassifier(
            hidden_layer_sizes=(6,), solver=solver, max_iter=5, random_state=0
        ).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est))
    loaded = pickle.loads(path.read_bytes())
    with strict_warnings():
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
        est.set_params(warm_start=True, max_iter=3).fit(X, y)
        loaded.set_params(warm_start=True, max_iter=3).fit(X, y)
    _assert_same_model(loaded, est, X)


def test_unfitted_pickle_round_trip(tmp_path):
    est = ScratchMLPClassifier(hidden_layer_sizes=(4, 3), alpha=0.5, random_state=3)
    path = tmp_path / "unfitted.pkl"
    path.write_bytes(pickle.dumps(est))
    loaded = pickle.loads(path.read_bytes())
    assert loaded.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        loaded.predict(np.zeros((1, 2)))


def test_version_is_exposed():
    assert isinstance(sk_scratchnet.__version__, str)
    assert sk_scratchnet.__version__


# --------------------------------------------------------------------------
# warnings clean on extreme inputs
# --------------------------------------------------------------------------


def _fitted_for_extremes(activation, n_classes, dtype=np.float64):
    X, y = make_data(n_samples=100, n_features=5, n_classes=n_classes)
    X = X.astype(dtype)
    with strict_warnings():
        est = ScratchMLPClassifier(
            hidden_layer_sizes=(10,),
            activation=activation,
            max_iter=50,
            random_state=0,
        ).fit(X, y)
    return est, X


@pytest.mark.parametrize("scale", [1e300, -1e300, 1e150, 1e5, 1e-300])
@pytest.mark.parametrize("n_classes", [2, 3, "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predict_on_extreme_inputs_is_finite_and_warning_free(
    activation, n_classes, scale
):
    est, X = _fitted_for_extremes(activation, n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert_valid_outputs(est, X * scale)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predict_near_float64_max_is_finite_or_clear_error(activation, n_classes):
    # finite inputs whose sums and products overflow to +-inf (inf - inf = nan):
    # bounded units (tanh, logistic) absorb them and give valid outputs; with
    # unbounded units the scores are not finite and predict says to scale.
    est, X = _fitted_for_extremes(activation, n_classes)
    X_max = np.clip(X, -1, 1) * np.finfo(np.float64).max
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if activation in BOUNDED_UNITS:
            assert_valid_outputs(est, X_max)
        else:
            for method in (est.predict, est.predict_proba, est.predict_log_proba):
                with pytest.raises(ValueError, match="Scale the features"):
                    method(X_max)


@pytest.mark.parametrize("n_classes", [2, 3, "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float32_predict_on_extreme_inputs(activation, n_classes):
    est, X = _fitted_for_extremes(activation, n_classes, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba, _ = assert_valid_outputs(est, X * np.float32(1e30))
        assert proba.dtype == np.float32
        # float64 values beyond float32's range are predicted in float64
        proba, _ = assert_valid_outputs(est, X.astype(np.float64) * 1e300)
        assert proba.dtype == np.float64


@pytest.mark.parametrize("n_classes", [2, 3, "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_log_proba_finite_for_huge_scores(activation, n_classes):
    est, X = _fitted_for_extremes(activation, n_classes)
    # scale the output layer in place: scores of order 1e4-1e200, whose
    # naive exp overflows and whose naive log(proba) is -inf
    for factor in (1e4, 1e100):
        est.coefs_[-1] *= factor
        est.intercepts_[-1] *= factor
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            _, log_proba = assert_valid_outputs(est, X)
        # the extreme regime was reached (exact or clipped at log(tiny))
        assert log_proba.min() <= np.log(1e-300)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("scale", [1e300, 1e150, 1e-300])
def test_fit_on_extreme_inputs_is_warning_free(solver, scale):
    # Tiny inputs always fit. Huge inputs make sgd and lbfgs overflow, which the
    # divergence policy turns into a clear error; adam's steps are bounded by
    # its step size, and it ends with a finite model.
    X, y = make_data(n_samples=60, n_features=4, n_classes=3)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, max_iter=20, random_state=0
    )
    with strict_warnings():
        if scale > 1 and solver != "adam":
            with pytest.raises(ValueError) as excinfo:
                est.fit(X * scale, y)
            assert_divergence_message(excinfo.value)
            assert not hasattr(est, "coefs_")
        else:
            est.fit(X * scale, y)
            assert_finite_model(est)
            assert_valid_outputs(est, X * scale)
