"""The paths that ``bench_paired.py`` times, and how one path is timed once.

Each :class:`Case` runs one path for one estimator class and returns its
seconds and a digest of the fitted weights, so that the script can tell
whether two trees fitted bitwise equal models.  The workloads are those of
``bench_vs_sklearn.py`` (``_workloads.py``), on ``load_digits`` (classifier)
and ``load_diabetes`` (regressor).
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import _harness as h
import _workloads as wl
import numpy as np

SIDES = ("old", "new", "mlp")
# epochs, iterations and calls per path: full size, and --quick (smoke test)
SIZES = {
    "full": {"adam": 200, "lbfgs": 200, "grid": 50, "fit_small": 20,
             "predict_many": 8, "predict_1": 200},
    "quick": {"adam": 20, "lbfgs": 30, "grid": 5, "fit_small": 5,
              "predict_many": 3, "predict_1": 50},
}  # fmt: skip


@dataclass
class Case:
    """One path of the table; ``run(cls)`` times it once for that class."""

    key: str
    title: str
    task: str  # 'classification' or 'regression'
    run: Callable[[type], tuple[float, str]]
    goal: float | None = None


def weights_digest(est, *more):
    """Equal digests = bitwise equal ``coefs_``, ``intercepts_`` (and ``more``)."""
    digest = hashlib.sha1()
    for a in (*est.coefs_, *est.intercepts_, *more):
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:16]


class Recorder:
    """Builds estimators of ``cls`` like ``cls`` and keeps the last one."""

    def __init__(self, cls):
        self.cls, self.last = cls, None

    def __call__(self, **params):
        self.last = self.cls(**params)
        return self.last


def per_call(calls, *args):
    """A path timed call by call by ``calls(cls, *args)``: the median call."""

    def run(cls):
        recorder = Recorder(cls)
        seconds = statistics.median(calls(recorder, *args))
        return seconds, weights_digest(recorder.last)

    return run


def one_fit(data, params):
    """A path timed as one ``fit`` on the training rows."""

    def run(cls):
        est, seconds = h.timed_fit(cls, params, data.X_train, data.y_train)
        return seconds, weights_digest(est)

    return run


def grid_search(data, epochs):
    """A ``GridSearchCV``, its digest that of the refitted best model."""

    def run(cls):
        search, seconds = wl.grid_search(cls, data, epochs)
        return seconds, weights_digest(search.best_estimator_)

    return run


def predictions(data, n_rows, n_calls, models):
    """Predictions of a (100,) model (fitted once per class, in ``models``)."""
    X = np.ascontiguousarray(np.resize(data.X_test, (n_rows, data.X_test.shape[1])))

    def run(cls):
        if cls not in models:
            params = {**wl.SMALL_PARAMS, "max_iter": 20}
            models[cls] = h.timed_fit(cls, params, data.X_train, data.y_train)[0]
        model = models[cls]
        seconds = statistics.median(wl.predict_calls(model, X, n_calls))
        output = getattr(model, "predict_proba", model.predict)(X)
        return seconds, weights_digest(model, output)

    return run


def build_cases(mode):
    """The paths of issue 16's table: classifier on digits, regressor on diabetes."""
    n = SIZES[mode]
    common = {"hidden_layer_sizes": (100,), "random_state": 0, "tol": 0.0}
    [diabetes_lbfgs] = [
        w for w in wl.regression_workloads("full") if w.key == "9-diabetes-lbfgs"
    ]
    lbfgs = {
        "digits": {**common, "solver": "lbfgs", "max_iter": n["lbfgs"]},
        "diabetes": {**diabetes_lbfgs.params, "max_iter": n["lbfgs"]},
    }
    adam = {**common, "solver": "adam", "max_iter": n["adam"]}
    sgd = {**adam, "solver": "sgd", "learning_rate_init": 0.1}
    models = {}  # the predicting models, one per estimator class
    cases = []
    for tag, task, name in (
        ("cls", "classification", "digits"),
        ("reg", "regression", "diabetes"),
    ):
        data = wl.build_dataset(name, wl.SIZES["quick"])
        is_cls = task == "classification"
        classes = np.unique(data.y_train) if is_cls else None
        predict = "predict_proba" if is_cls else "predict"
        alpha = "" if is_cls else ", alpha=10"
        rows = [  # (key, title, run, goal); "is_cls and": classifier only
            ("partial-fit-200", f"`partial_fit` per 200-row chunk of {name}",
             per_call(wl.partial_fit_calls, data, classes), 0.50),
            ("fit-50-rows", f"`fit` on 50 rows of {name}, `max_iter=1`",
             per_call(wl.fit_small_calls, data, n["fit_small"]), 0.60),
            ("predict-10000-rows", f"`{predict}`, 10 000 rows, {name} model (100,)",
             predictions(data, 10_000, n["predict_many"], models), 0.80),
            is_cls and ("predict-1-row", "`predict_proba`, 1 row, digits model "
                        "(100,)", predictions(data, 1, n["predict_1"], models), 0.30),
            (f"{name}-lbfgs", f"`fit` {name}, lbfgs{alpha}, {n['lbfgs']} iterations",
             one_fit(data, lbfgs[name]), 0.75),
            is_cls and ("digits-adam", f"`fit` digits, adam, {n['adam']} epochs",
                        one_fit(data, {**adam, "n_iter_no_change": n["adam"]}), 0.45),
            is_cls and ("digits-sgd", f"`fit` digits, sgd, {n['adam']} epochs",
                        one_fit(data, {**sgd, "n_iter_no_change": n["adam"]}), None),
            ("grid-4x3", f"`GridSearchCV` {name}, 4 settings x 3 folds, "
             f"{n['grid']} epochs", grid_search(data, n["grid"]), 0.50),
        ]  # fmt: skip
        cases += [
            Case(f"{tag}-{k}", t, task, run, g) for k, t, run, g in filter(None, rows)
        ]
    return cases


def select(cases, only):
    """The cases whose key contains one of the names ``only`` (all if empty)."""
    return [c for c in cases if not only or any(name in c.key for name in only)]
