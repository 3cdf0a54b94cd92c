"""The registry of workloads: data sets, workload definitions and their sizes.

Every benchmark script takes its data sets (:func:`build_dataset`), fit
workloads (:func:`fit_workloads`, :func:`regression_workloads`), small-data
paths (:func:`small_paths` and their per-call bodies :func:`partial_fit_calls`,
:func:`fit_small_calls`, :func:`grid_calls`, :func:`predict_calls`), sizes and
epochs from here, so that the same key means the same work everywhere.  It also
holds the flop counts and :func:`time_matmul_epoch`, which times the bare
``np.matmul`` calls an epoch of mini-batch training needs (the "roofline" the
fit times are compared with).  Timing policy and reports are in ``_harness.py``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.model_selection import GridSearchCV, train_test_split

# --------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------


@dataclass
class Dataset:
    """A train/test split in float64 (cast per workload)."""

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    task: str = "classification"

    @property
    def n_classes(self) -> int:
        return int(np.unique(self.y_train).size)

    @property
    def n_outputs(self) -> int:
        """Output units of the network (one logistic unit for two classes)."""
        if self.task == "regression":
            return 1 if self.y_train.ndim == 1 else self.y_train.shape[1]
        return 1 if self.n_classes == 2 else self.n_classes


def make_spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """The seed's spiral, from the package (imported late: see the path fallback)."""
    from sk_scratchnet._datasets import make_spiral as package_spiral

    return package_spiral(n_per_class, n_classes, noise=noise, random_state=seed)


def _split(name, X, y, test_size, task="classification"):
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=test_size,
        random_state=0,
        stratify=y if task == "classification" else None,
    )
    return Dataset(
        name,
        np.ascontiguousarray(X_train, dtype=np.float64),
        np.ascontiguousarray(X_test, dtype=np.float64),
        y_train,
        y_test,
        task,
    )


def make_counts(n_samples=5000, n_features=20, seed=0):
    """Counts drawn from a Poisson law whose log-rate is linear in ``X``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    log_rate = X @ rng.uniform(-0.3, 0.3, n_features) + 0.5
    return X, rng.poisson(np.exp(log_rate)).astype(np.float64)


def build_dataset(name, sizes):
    """Build data set ``name`` ('spiral', 'digits', 'cls100', 'cls784')."""
    if name == "spiral":
        X, y = make_spiral()
        return _split(name, X, y, test_size=0.25)
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        # pixel values are 0..16; an MLP wants inputs of order one
        return _split(name, X / 16.0, y, test_size=0.25)
    if name == "cls100":
        n_train, n_test = sizes["cls100"]
        X, y = make_classification(
            n_samples=n_train + n_test,
            n_features=100,
            n_informative=20,
            n_redundant=10,
            n_classes=10,
            random_state=0,
        )
        return _split(name, X, y, test_size=n_test)
    if name == "cls784":
        n_train, n_test = sizes["cls784"]
        X, y = make_classification(
            n_samples=n_train + n_test,
            n_features=784,
            n_informative=50,
            n_redundant=20,
            n_classes=10,
            random_state=0,
        )
        return _split(name, X, y, test_size=n_test)
    if name == "reg100":
        n_train, n_test = sizes["reg100"]
        X, y = make_regression(
            n_samples=n_train + n_test,
            n_features=100,
            n_informative=30,
            noise=10.0,
            random_state=0,
        )
        # targets of order one, as for the classification workloads' inputs
        return _split(name, X, y / y.std(), test_size=n_test, task="regression")
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
        return _split(name, X, y / 100.0, test_size=0.25, task="regression")
    if name == "counts":
        X, y = make_counts()
        return _split(name, X, y, test_size=0.2, task="regression")
    raise ValueError(f"unknown data set {name!r}")


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

# Train and test sizes and epochs. "quick" keeps the whole run under ~3 minutes
# on 2 cores; "full" stays within ~20 minutes.
SIZES = {
    "full": {
        "cls100": (100_000, 20_000),
        "cls784": (60_000, 10_000),
        "reg100": (100_000, 20_000),
    },
    "quick": {
        "cls100": (20_000, 5_000),
        "cls784": (6_000, 2_000),
        "reg100": (20_000, 5_000),
    },
}
EPOCHS = {
    "full": {
        "spiral": 300,
        "digits": 200,
        "cls100": 10,
        "cls784": 5,
        "lbfgs": 200,
        "predict_fit": 2,
        "memory": 2,
        "reg100": 5,
        "reg_lbfgs": 200,
        "poisson": 100,
        "grid": 50,
    },
    "quick": {
        "spiral": 100,
        "digits": 50,
        "cls100": 3,
        "cls784": 2,
        "lbfgs": 50,
        "predict_fit": 1,
        "memory": 1,
        "reg100": 2,
        "reg_lbfgs": 200,
        "poisson": 50,
        "grid": 50,
    },
}
PREDICT_CALLS = {
    "full": {"one_row": 2000, "many_rows": 21, "many_rows_n": 10_000},
    "quick": {"one_row": 500, "many_rows": 7, "many_rows_n": 10_000},
}


@dataclass(frozen=True)
class FitWorkload:
    """One timed ``fit`` comparison."""

    number: int
    key: str
    title: str
    dataset: str
    dtype: type
    params: dict = field(hash=False)
    target_ratio: float | None = None
    target_roofline: float | None = None
    task: str = "classification"

    @property
    def dtype_name(self) -> str:
        return np.dtype(self.dtype).name


def fit_workloads(mode):
    """Return the fit workloads (1 to 5) for ``mode`` ('quick' or 'full')."""
    ep = EPOCHS[mode]
    common = {"tol": 0.0, "random_state": 0}

    def stochastic(epochs, **kw):
        return {**common, "max_iter": epochs, "n_iter_no_change": epochs, **kw}

    out = [
        FitWorkload(
            1,
            "1-spiral-sgd",
            "spiral 3x100 2-D, sgd, (100,) relu",
            "spiral",
            np.float64,
            stochastic(
                ep["spiral"],
                hidden_layer_sizes=(100,),
                activation="relu",
                solver="sgd",
                learning_rate_init=0.1,
            ),
        ),
        FitWorkload(
            2,
            "2-digits-adam",
            "load_digits, adam, (100,)",
            "digits",
            np.float64,
            stochastic(ep["digits"], hidden_layer_sizes=(100,), solver="adam"),
            target_ratio=0.40,
        ),
    ]
    for dtype in (np.float64, np.float32):
        suffix = np.dtype(dtype).name.replace("float", "f")
        out.append(
            FitWorkload(
                3,
                f"3-cls100-adam-{suffix}",
                "make_classification 100 feat., 10 cl., adam, (256,)",
                "cls100",
                dtype,
                stochastic(ep["cls100"], hidden_layer_sizes=(256,), solver="adam"),
                target_ratio=0.50,
            )
        )
    for dtype in (np.float64, np.float32):
        suffix = np.dtype(dtype).name.replace("float", "f")
        out.append(
            FitWorkload(
                4,
                f"4-cls784-adam-{suffix}",
                "make_classification 784 feat., 10 cl., adam, (512, 256)",
                "cls784",
                dtype,
                stochastic(ep["cls784"], hidden_layer_sizes=(512, 256), solver="adam"),
                target_ratio=0.60,
                target_roofline=0.70,
            )
        )
    out.append(
        FitWorkload(
            5,
            "5-digits-lbfgs",
            "load_digits, lbfgs, (100,)",
            "digits",
            np.float64,
            {
                **common,
                "max_iter": ep["lbfgs"],
                "hidden_layer_sizes": (100,),
                "solver": "lbfgs",
            },
            target_ratio=0.70,
        )
    )
    return out + regression_workloads(mode)


def regression_workloads(mode):
    """Return the regressor fit workloads (9), against ``MLPRegressor``."""
    ep = EPOCHS[mode]
    common = {"tol": 0.0, "random_state": 0}

    def stochastic(epochs, **kw):
        return {**common, "max_iter": epochs, "n_iter_no_change": epochs, **kw}

    out = []
    for dtype in (np.float64, np.float32):
        suffix = np.dtype(dtype).name.replace("float", "f")
        out.append(
            FitWorkload(
                9,
                f"9-reg100-adam-{suffix}",
                "make_regression 100 feat., adam, (256,), squared_error",
                "reg100",
                dtype,
                stochastic(ep["reg100"], hidden_layer_sizes=(256,), solver="adam"),
                target_ratio=0.50,
                task="regression",
            )
        )
    out.append(
        FitWorkload(
            9,
            "9-diabetes-lbfgs",
            "load_diabetes, lbfgs, (100,), alpha=10, squared_error",
            "diabetes",
            np.float64,
            {
                **common,
                "max_iter": ep["reg_lbfgs"],
                "hidden_layer_sizes": (100,),
                "solver": "lbfgs",
                # 331 rows: without a strong penalty lbfgs overfits (R² < 0)
                "alpha": 10.0,
            },
            target_ratio=0.75,
            task="regression",
        )
    )
    out.append(
        FitWorkload(
            9,
            "9-counts-poisson-adam",
            "Poisson counts 5000 x 20, adam, (100,), poisson",
            "counts",
            np.float64,
            stochastic(
                ep["poisson"], hidden_layer_sizes=(100,), solver="adam", loss="poisson"
            ),
            task="regression",
        )
    )
    return out


PREDICT_PARAMS = {"hidden_layer_sizes": (256,), "solver": "adam", "tol": 0.0}
TARGETS = {
    "predict-1": 0.50,
    "predict-10000": 0.80,
    "memory": 1.0,
}


# --------------------------------------------------------------------------
# Flop counts and the matmul roofline
# --------------------------------------------------------------------------


def layer_dims(n_features, hidden_layer_sizes, n_outputs):
    """``[(fan_in, fan_out), ...]`` of every weight matrix."""
    sizes = [n_features, *hidden_layer_sizes, n_outputs]
    return list(itertools.pairwise(sizes))


def train_flops(n_rows, dims):
    """Matmul flops of one forward+backward pass over ``n_rows`` rows.

    Forward ``2 n fi fo`` per layer; backward ``2 n fi fo`` for ``dW`` and
    another ``2 n fi fo`` for ``dX`` except in the first layer (no ``dX``).
    """
    total = 0
    for i, (fi, fo) in enumerate(dims):
        total += 2 * n_rows * fi * fo  # forward
        total += 2 * n_rows * fi * fo  # dW
        if i > 0:
            total += 2 * n_rows * fi * fo  # dX
    return total


def forward_flops(n_rows, dims):
    """Matmul flops of one forward pass over ``n_rows`` rows."""
    return sum(2 * n_rows * fi * fo for fi, fo in dims)


def batch_plan(n_rows, batch_size):
    """``[(rows, count), ...]``: the mini-batches of one epoch."""
    if batch_size >= n_rows:
        return [(n_rows, 1)]
    full, rest = divmod(n_rows, batch_size)
    plan = [(batch_size, full)]
    if rest:
        plan.append((rest, 1))
    return plan


def auto_batch_size(n_rows, solver):
    """``batch_size='auto'`` as MLPClassifier resolves it (lbfgs: full batch)."""
    return n_rows if solver == "lbfgs" else min(200, n_rows)


def time_matmul_epoch(plan, dims, dtype, *, backward=True, repeats=3):
    """Seconds numpy needs for the matmuls of one epoch alone (best of repeats).

    For every batch of ``plan`` it calls, on preallocated arrays of the batch
    shapes, ``np.matmul(A, W, out=Z)`` per layer (forward) and, if
    ``backward``, ``np.matmul(A.T, D, out=dW)`` and (except the first layer)
    ``np.matmul(D, W.T, out=dA)``: exactly the products a fit must do.
    The minimum over ``repeats`` is taken: other processes on the cores can
    only make a run slower, and one slow run must not inflate the roofline.
    Returns ``(best, all_times)``.
    """
    rng = np.random.default_rng(0)
    buffers = []
    for rows, count in plan:
        layers = []
        for fi, fo in dims:
            A = rng.standard_normal((rows, fi)).astype(dtype)
            W = rng.standard_normal((fi, fo)).astype(dtype)
            Z = np.empty((rows, fo), dtype=dtype)
            D = rng.standard_normal((rows, fo)).astype(dtype)
            dW = np.empty((fi, fo), dtype=dtype)
            dA = np.empty((rows, fi), dtype=dtype)
            layers.append((A, W, Z, D, dW, dA))
        buffers.append((layers, count))

    def one_epoch():
        for layers, count in buffers:
            for _ in range(count):
                for A, W, Z, _D, _dW, _dA in layers:
                    np.matmul(A, W, out=Z)
                if backward:
                    for i in range(len(layers) - 1, -1, -1):
                        A, W, _Z, D, dW, dA = layers[i]
                        np.matmul(A.T, D, out=dW)
                        if i > 0:
                            np.matmul(D, W.T, out=dA)

    one_epoch()  # warm-up: BLAS threads, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        one_epoch()
        times.append(time.perf_counter() - t0)
    return float(min(times)), times


# --------------------------------------------------------------------------
# Small-data paths (8: classifier on load_digits, 9: regressor on load_diabetes)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallPath:
    """One small-data path timed per call: the fixed costs of the estimator."""

    number: int
    key: str
    title: str
    kind: str  # 'partial_fit', 'fit_small', 'grid', 'predict'
    target_ratio: float | None = None
    n_rows: int | None = None


def small_paths():
    """Return the small-data paths: partial_fit, tiny fits, grid search, predict."""
    out = []
    for number, task, data in ((8, "cls", "digits"), (9, "reg", "diabetes")):
        predict = "predict_proba" if task == "cls" else "predict"
        out += [
            SmallPath(
                number,
                f"{number}-{task}-partial-fit-200",
                f"{data}: partial_fit per 200-row chunk, (100,)",
                "partial_fit",
                0.50,
            ),
            SmallPath(
                number,
                f"{number}-{task}-fit-50-rows",
                f"{data}: fit on 50 rows, max_iter=1 (fixed cost)",
                "fit_small",
                0.60,
            ),
            SmallPath(
                number,
                f"{number}-{task}-grid-4x3",
                f"{data}: GridSearchCV 4 settings x 3 folds, 50 epochs",
                "grid",
                0.50,
            ),
            SmallPath(
                number,
                f"{number}-{task}-{predict}-10000",
                f"{data} model (100,): {predict} on 10000 rows",
                "predict",
                0.80,
                10_000,
            ),
            SmallPath(
                number,
                f"{number}-{task}-{predict}-1",
                f"{data} model (100,): {predict} on 1 row",
                "predict",
                0.30,
                1,
            ),
        ]
    return out


SMALL_CALLS = {
    "full": {"fit_small": 40, "predict_1": 400, "predict_many": 20, "rounds": 5},
    "quick": {"fit_small": 20, "predict_1": 200, "predict_many": 8, "rounds": 3},
}


# --------------------------------------------------------------------------
# The small-data paths' bodies, timed call by call
# --------------------------------------------------------------------------

SMALL_PARAMS = {"hidden_layer_sizes": (100,), "random_state": 0}
GRID = {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(50,), (100,)]}


def partial_fit_calls(cls, data, classes):
    """Seconds of each ``partial_fit`` call on 200-row chunks after the first."""
    # 8 chunks, the rows repeated cyclically when the data set is smaller
    X = np.resize(data.X_train, (1600, data.X_train.shape[1]))
    y = np.resize(data.y_train, 1600)
    est = cls(**SMALL_PARAMS)
    extra = {} if classes is None else {"classes": classes}
    est.partial_fit(X[:200], y[:200], **extra)
    times = []
    for start in range(200, len(X), 200):
        t0 = time.perf_counter()
        est.partial_fit(X[start : start + 200], y[start : start + 200])
        times.append(time.perf_counter() - t0)
    return times


def fit_small_calls(cls, data, n_calls):
    """Seconds of fresh one-epoch fits on the first 50 rows."""
    X, y = data.X_train[:50], data.y_train[:50]
    times = []
    for _ in range(n_calls):
        est = cls(**SMALL_PARAMS, max_iter=1)
        t0 = time.perf_counter()
        est.fit(X, y)
        times.append(time.perf_counter() - t0)
    return times


def grid_search(cls, data, epochs):
    """One ``GridSearchCV`` fit (4 settings x 3 folds): (search, seconds)."""
    base = cls(random_state=0, max_iter=epochs, n_iter_no_change=epochs, tol=0.0)
    search = GridSearchCV(base, GRID, cv=3)
    t0 = time.perf_counter()
    search.fit(data.X_train, data.y_train)
    return search, time.perf_counter() - t0


def grid_calls(cls, data, epochs):
    """Seconds of one ``GridSearchCV`` fit, as a one-element list."""
    return [grid_search(cls, data, epochs)[1]]


def predict_calls(model, X, n_calls):
    """Seconds of ``n_calls`` calls of ``predict_proba`` (``predict``: regressor)."""
    predict = getattr(model, "predict_proba", model.predict)
    times = []
    for _ in range(n_calls):
        t0 = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - t0)
    return times
