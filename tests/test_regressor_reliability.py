"""Reliability of ScratchMLPRegressor: generated inputs, persistence, threads, rollback.

* A property-based test draws shapes, dtypes (float32, float64, int), 1-D and 2-D
  targets, dense, CSR, CSC, DataFrame and read-only memmap inputs, sample
  weights, solvers, both losses, dropout, partial_fit and warm start, and checks
  what a bug would break: the prediction's shape and dtype, finiteness,
  non-negative Poisson predictions, integer weights equal to repeated rows, and
  the caller's arrays left untouched.  Hypothesis runs derandomized and without
  an example database, so every run checks the same cases.
* pickle, joblib and skops round trips give bit-identical predictions.
* Eight threads predicting at once get exactly the serial results.
* A failed fit or partial_fit (divergence, bad targets on a warm start) leaves
  every fitted attribute exactly as it was.
"""

import copy
import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import DataConversionWarning

from sk_scratchnet import ScratchMLPRegressor
from tests._helpers import strict_warnings

FUZZ = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": True,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

SOLVERS = ["adam", "sgd", "lbfgs"]
LOSSES = ["squared_error", "poisson"]
CONTAINERS = ["ndarray", "csr", "csc", "dataframe", "memmap"]


def make_data(n_samples, n_features, n_outputs, loss, seed):
    """Gaussian features; smooth targets, Poisson counts for ``loss='poisson'``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    score = np.tanh(X @ rng.normal(size=(n_features, max(n_outputs, 1))))
    if loss == "poisson":
        Y = rng.poisson(np.exp(score)).astype(float)
    else:
        Y = 2.0 * score + 0.1 * rng.normal(size=score.shape)
    return X, (Y[:, 0] if n_outputs == 0 else Y)


def fitted_state(est):
    """Deep copy of every fitted attribute (name ending in ``_``)."""
    return {
        name: copy.deepcopy(value)
        for name, value in vars(est).items()
        if name.endswith("_") and not name.startswith("__")
    }


def _same(a, b):
    """Exact equality of attribute values (arrays bit for bit)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype == object:
            return np.array_equal(a, b)
        return a.tobytes() == b.tobytes()
    if isinstance(a, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, z) for x, z in zip(a, b))
        )
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        return np.isnan(b)
    return type(a) is type(b) and a == b


def assert_same_state(state, expected):
    assert state.keys() == expected.keys()
    for name, value in expected.items():
        assert _same(state[name], value), f"{name} changed"


def as_container(X, kind, dtype, folder):
    """``X`` cast to ``dtype`` in the container ``kind``, and a copy to compare."""
    X = X.astype(dtype)
    if kind == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0))
    elif kind == "csc":
        X = sp.csc_matrix(np.where(np.abs(X) > 0.5, X, 0))
    elif kind == "dataframe":
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    elif kind == "memmap":
        path = folder / f"X{next(_MEMMAPS)}.bin"
        writable = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
        writable[...] = X
        writable.flush()
        del writable
        X = np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)
    else:
        X = X.copy()
        X.setflags(write=False)
    return X


_MEMMAPS = iter(range(10**9))


def snapshot(X):
    if sp.issparse(X):
        return X.toarray(), X.format
    if isinstance(X, pd.DataFrame):
        return X.to_numpy().copy(), list(X.columns)
    return np.array(X, copy=True), X.dtype


def assert_unchanged(X, snap):
    now = snapshot(X)
    assert now[1] == snap[1]
    assert np.array_equal(now[0], snap[0]), "the caller's X was modified"


def dense(X):
    if sp.issparse(X):
        return X.toarray()
    return np.asarray(X)


# --------------------------------------------------------------------------
# property-based
# --------------------------------------------------------------------------


@st.composite
def cases(draw):
    loss = draw(st.sampled_from(LOSSES))
    return {
        "n_samples": draw(st.integers(2, 25)),
        "n_features": draw(st.integers(1, 5)),
        # 0 means a 1-D y, 1 a column y of shape (n, 1)
        "n_outputs": draw(st.integers(0, 3)),
        "loss": loss,
        "dtype": draw(st.sampled_from([np.float64, np.float32, np.int64])),
        "container": draw(st.sampled_from(CONTAINERS)),
        "solver": draw(st.sampled_from(SOLVERS)),
        "dropout": draw(st.sampled_from([0.0, 0.3])),
        "mode": draw(st.sampled_from(["fit", "partial_fit", "warm_start"])),
        "weights": draw(st.sampled_from([None, "counts", "floats"])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _train(est, mode, X, y, sample_weight):
    if mode == "partial_fit" and est.solver != "lbfgs":
        est.partial_fit(X, y, sample_weight=sample_weight)
        est.partial_fit(X, y, sample_weight=sample_weight)
    elif mode == "warm_start":
        est.set_params(warm_start=True)
        est.fit(X, y, sample_weight=sample_weight)
        est.fit(X, y, sample_weight=sample_weight)
    else:
        est.fit(X, y, sample_weight=sample_weight)
    return est


@settings(max_examples=200, **FUZZ)
@given(case=cases())
def test_fuzz_regressor_invariants(case, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp()
    n, k = case["n_samples"], case["n_outputs"]
    X_raw, y = make_data(n, case["n_features"], k, case["loss"], case["seed"])
    if case["dtype"] is np.int64:
        X_raw = np.round(3 * X_raw)
    X = as_container(X_raw, case["container"], case["dtype"], folder)
    rng = np.random.default_rng(case["seed"])
    if case["weights"] == "counts":
        w = rng.integers(0, 4, n).astype(float)
        w[rng.integers(n)] = 1.0  # at least one row counts
    elif case["weights"] == "floats":
        w = rng.uniform(0.1, 2.0, n)
    else:
        w = None
    y_caller = y.copy()
    w_caller = None if w is None else w.copy()
    X_snap = snapshot(X)
    params = {
        "loss": case["loss"],
        "solver": case["solver"],
        "hidden_layer_sizes": (3,),
        "max_iter": 3,
        "dropout": case["dropout"],
        "shuffle": False,
        "learning_rate_init": 0.01,
        "random_state": case["seed"],
    }
    with strict_warnings(), warnings.catch_warnings(record=True) as caught:
        est = _train(ScratchMLPRegressor(**params), case["mode"], X, y, w)
        pred = est.predict(X)
    # A column y warns as in MLPRegressor and is fitted as a 1-D y.
    column = [r for r in caught if issubclass(r.category, DataConversionWarning)]
    assert bool(column) == (k == 1)

    expected_dtype = np.float32 if case["dtype"] is np.float32 else np.float64
    assert pred.shape == ((n,) if k <= 1 else (n, k))
    assert pred.dtype == expected_dtype
    assert all(c.dtype == expected_dtype for c in est.coefs_)
    assert np.isfinite(pred).all()
    if case["loss"] == "poisson":
        assert (pred >= 0).all()
    assert est.n_outputs_ == max(k, 1)
    if case["container"] == "dataframe":
        assert list(est.feature_names_in_) == list(X.columns)
    else:
        assert not hasattr(est, "feature_names_in_")
    assert_unchanged(X, X_snap)
    assert np.array_equal(y, y_caller)
    assert w is None or np.array_equal(w, w_caller)

    if case["weights"] == "counts" and expected_dtype == np.float64:
        # A weight is a number of repetitions (one full batch: n <= 25 rows,
        # at most 75 repeated, and no shuffling).
        counts = w.astype(int)
        X_rep = np.repeat(dense(X), counts, axis=0)
        with strict_warnings(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DataConversionWarning)
            repeated = _train(
                ScratchMLPRegressor(**params),
                case["mode"],
                X_rep,
                np.repeat(y, counts, axis=0),
                None,
            )
        for a, b in zip(
            [*est.coefs_, *est.intercepts_], [*repeated.coefs_, *repeated.intercepts_]
        ):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------
# persistence
# --------------------------------------------------------------------------


def persisted_model(kind):
    """A fitted model and the X to predict on, one per kind of model."""
    params = {"hidden_layer_sizes": (6, 4), "max_iter": 10, "random_state": 0}
    if kind == "adam_1d":
        X, y = make_data(80, 5, 0, "squared_error", 0)
        est = ScratchMLPRegressor(**params)
    elif kind == "lbfgs_multi_output":
        X, y = make_data(80, 5, 3, "squared_error", 1)
        est = ScratchMLPRegressor(solver="lbfgs", **params)
    elif kind == "poisson_sgd_float32_early_stopping":
        X, y = make_data(80, 5, 0, "poisson", 2)
        X = X.astype(np.float32)
        est = ScratchMLPRegressor(
            loss="poisson", solver="sgd", early_stopping=True, **params
        )
    elif kind == "dataframe_dropout":
        X, y = make_data(80, 5, 2, "squared_error", 3)
        X = pd.DataFrame(X, columns=[f"feature {j}" for j in range(5)])
        est = ScratchMLPRegressor(dropout=0.2, **params)
    else:
        raise AssertionError(kind)
    with strict_warnings():
        est.fit(X, y)
    return est, X


PERSISTED_KINDS = [
    "adam_1d",
    "lbfgs_multi_output",
    "poisson_sgd_float32_early_stopping",
    "dataframe_dropout",
]


def _assert_identical_predictions(loaded, est, X):
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    assert_same_state(fitted_state(loaded), fitted_state(est))
    expected, got = est.predict(X), loaded.predict(X)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_pickle_round_trip(kind, tmp_path):
    est, X = persisted_model(kind)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(path.read_bytes())
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_joblib_round_trip(kind, tmp_path):
    est, X = persisted_model(kind)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path, compress=3)
    loaded = joblib.load(path)
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("kind", PERSISTED_KINDS)
def test_skops_round_trip_trusting_only_our_types(kind, tmp_path):
    sio = pytest.importorskip("skops.io")
    est, X = persisted_model(kind)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("sk_scratchnet.") for name in untrusted), untrusted
    loaded = sio.load(path, trusted=untrusted)
    _assert_identical_predictions(loaded, est, X)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_pickled_model_continues_training_identically(solver):
    X, y = make_data(60, 4, 2, "squared_error", 0)
    with strict_warnings():
        est = ScratchMLPRegressor(
            hidden_layer_sizes=(6,), solver=solver, max_iter=5, random_state=0
        ).fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
    with strict_warnings():
        for model in (est, loaded):
            model.partial_fit(X, y)
            model.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert_same_state(fitted_state(loaded), fitted_state(est))


# --------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------


@pytest.mark.parametrize("input_kind", ["float64", "float32", "csr"])
@pytest.mark.parametrize("loss", LOSSES)
def test_concurrent_predictions_match_serial(loss, input_kind):
    X, y = make_data(2000, 20, 3, loss, 0)
    if input_kind == "float32":
        X = X.astype(np.float32)
    elif input_kind == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    with strict_warnings():
        est = ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(32, 16), max_iter=5, random_state=0
        ).fit(X, y)
    # Blocks of different sizes: buffers shared between calls would show up.
    bounds = [(0, 1), (1, 8), (8, 58), (58, 258), (258, 1258), (1258, 2000)]
    blocks = [X[start:stop] for start, stop in bounds] + [X]
    serial = [est.predict(block) for block in blocks]
    n_threads, n_calls = 8, 21
    barrier = threading.Barrier(n_threads)

    def work(thread):
        barrier.wait()
        return [
            (j, est.predict(blocks[j]))
            for j in ((thread + call) % len(blocks) for call in range(n_calls))
        ]

    with strict_warnings(), ThreadPoolExecutor(max_workers=n_threads) as pool:
        outcomes = list(pool.map(work, range(n_threads)))
    assert sum(len(results) for results in outcomes) == n_threads * n_calls
    for results in outcomes:
        for j, value in results:
            assert value.tobytes() == serial[j].tobytes(), f"block {j} differs"


# --------------------------------------------------------------------------
# transactional fit
# --------------------------------------------------------------------------


def _diverging(X, y):
    """Unscaled data and a huge SGD step: certain divergence."""
    return {"solver": "sgd", "learning_rate_init": 1e6}, X * 1e3 + 1e3, y * 1e3


def _negative(y):
    bad = y.copy()
    bad[0] = -1.0
    return bad


FAILURES = {
    "divergence": lambda X, y: (*_diverging(X, y),),
    "nan_y": lambda X, y: ({}, X, np.where(np.arange(len(y))[:, None] == 2, np.nan, y)),
    "other_outputs": lambda X, y: ({}, X, y[:, 0]),
    "negative_poisson_y": lambda X, y: ({}, X, _negative(y)),
    "other_features": lambda X, y: ({}, X[:, :3], y),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("solver", SOLVERS)
def test_failed_fit_leaves_the_model_exactly_as_it_was(solver, warm_start, failure):
    X, y = make_data(80, 4, 2, "poisson", 0)
    est = ScratchMLPRegressor(
        loss="poisson",
        solver=solver,
        hidden_layer_sizes=(5,),
        max_iter=5,
        warm_start=warm_start,
        random_state=0,
    )
    with strict_warnings():
        est.fit(X, y)
    before = fitted_state(est)
    pred = est.predict(X)
    changes, X_bad, y_bad = FAILURES[failure](X, y)
    est.set_params(**changes)
    if failure in ("other_outputs", "other_features") and not warm_start:
        # A cold fit starts afresh: another shape is simply a new model.
        with strict_warnings():
            est.fit(X_bad, y_bad)
        assert est.predict(X_bad).shape == np.shape(y_bad)
        return
    with pytest.raises(ValueError) as info:
        est.fit(X_bad, y_bad)
    if failure == "divergence":
        assert "learning_rate_init" in str(info.value)
    assert_same_state(fitted_state(est), before)
    assert est.predict(X).tobytes() == pred.tobytes()


@pytest.mark.parametrize("failure", ["divergence", "nan_y", "negative_poisson_y"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_failed_partial_fit_leaves_the_model_exactly_as_it_was(solver, failure):
    X, y = make_data(80, 4, 2, "poisson", 0)
    est = ScratchMLPRegressor(
        loss="poisson", solver=solver, hidden_layer_sizes=(5,), random_state=0
    )
    with strict_warnings():
        est.partial_fit(X, y)
    twin = pickle.loads(pickle.dumps(est))
    before = fitted_state(est)
    _, X_bad, y_bad = FAILURES[failure](X, y)
    if failure == "divergence":
        # The learning rate is fixed once partial_fit started: diverge by data.
        X_bad = X_bad * 1e150
    with pytest.raises(ValueError) as info:
        est.partial_fit(X_bad, y_bad)
    if failure == "divergence":
        assert "learning_rate_init" in str(info.value)
    assert_same_state(fitted_state(est), before)
    # The optimizer state was rolled back too: training continues identically.
    with strict_warnings():
        est.partial_fit(X, y)
        twin.partial_fit(X, y)
    assert_same_state(fitted_state(est), fitted_state(twin))
