"""Data sets, workload definitions, flop counts and the matmul roofline.

Helper module of ``bench_vs_sklearn.py``; it holds no timing policy of its own
except :func:`time_matmul_epoch`, which times the bare ``np.matmul`` calls an
epoch of mini-batch training needs (the "roofline" the fit times are compared
with).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

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

    @property
    def n_classes(self) -> int:
        return int(np.unique(self.y_train).size)


def make_spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """The seed's spiral, from the package (imported late: see the path fallback)."""
    from sk_scratchnet._datasets import make_spiral as package_spiral

    return package_spiral(n_per_class, n_classes, noise=noise, random_state=seed)


def _split(name, X, y, test_size):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=0, stratify=y
    )
    return Dataset(
        name,
        np.ascontiguousarray(X_train, dtype=np.float64),
        np.ascontiguousarray(X_test, dtype=np.float64),
        y_train,
        y_test,
    )


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
    raise ValueError(f"unknown data set {name!r}")


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

# Train and test sizes and epochs. "quick" keeps the whole run under ~3 minutes
# on 2 cores; "full" stays within ~20 minutes.
SIZES = {
    "full": {"cls100": (100_000, 20_000), "cls784": (60_000, 10_000)},
    "quick": {"cls100": (20_000, 5_000), "cls784": (6_000, 2_000)},
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
    },
    "quick": {
        "spiral": 100,
        "digits": 50,
        "cls100": 3,
        "cls784": 2,
        "lbfgs": 50,
        "predict_fit": 1,
        "memory": 1,
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


def layer_dims(n_features, hidden_layer_sizes, n_classes):
    """``[(fan_in, fan_out), ...]`` of every weight matrix."""
    n_out = 1 if n_classes == 2 else n_classes
    sizes = [n_features, *hidden_layer_sizes, n_out]
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
