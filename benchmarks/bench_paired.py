"""Issue 16's small-data paths, two trees of sk_scratchnet paired in one process.

Run from the repository root, naming a checkout of an older commit (for
instance ``mkdir OLD && git archive <commit> | tar -x -C OLD``; a folder that
is no git checkout labels the report by its name)::

    python benchmarks/bench_paired.py --old OLD --out benchmarks/results/paired.md

``--new`` defaults to this repository, ``--rounds`` to 9; ``--only
partial,grid`` times the paths whose key contains one of the names;
``--quick`` shrinks epochs, iterations and calls (a smoke test, not a
measurement); a ``.json`` of every round is written beside the ``--out`` file.
``--old .`` times this tree against itself: the noise floor of new/old.

Why one process: on a shared machine whose speed drifts by tens of percent
within minutes, trees timed in separate processes are measured at different
moments and their ratio carries the drift.  Here each tree's ``sk_scratchnet/``
is copied to a temporary folder under another name (``sk_scratchnet_old``,
``sk_scratchnet_new``, its own imports and string module paths rewritten), both
are imported side by side, and every module is checked to come from its copy.
For every round and path the three sides (old, new, and scikit-learn's
``MLPClassifier``/``MLPRegressor``) run back to back, their order rotated every
round, so that the times of one round share one moment of the machine; the
report gives the medians over rounds of the times and of the same-round ratios
(new/old with its interquartile range), and whether old and new fitted bitwise
equal weights in every round (SHA-1 of ``coefs_`` and ``intercepts_``).

One BLAS thread (``threadpoolctl``); ``gc.collect()`` before each timing, on a
heap frozen after the warm-up (``gc.freeze``) so that it costs microseconds;
``SCIPY_ARRAY_API=1`` before any import.  The workloads are those of
``bench_vs_sklearn.py`` and ``_workloads.py``, on ``load_digits`` (classifier)
and ``load_diabetes`` (regressor); a per-call path's time in a round is the
median of its calls there.
"""

from __future__ import annotations

import os

# the same scipy configuration as the test suite's array API runs
os.environ["SCIPY_ARRAY_API"] = "1"

import argparse
import gc
import hashlib
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import _harness as h
import _paired_import as twin
import _workloads as wl
import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

PACKAGE = twin.PACKAGE
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
    h = hashlib.sha1()
    for a in (*est.coefs_, *est.intercepts_, *more):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


class _Recorder:
    """Builds estimators of ``cls`` like ``cls`` and keeps the last one."""

    def __init__(self, cls):
        self.cls, self.last = cls, None

    def __call__(self, **params):
        self.last = self.cls(**params)
        return self.last


def per_call(calls, *args):
    """A path timed call by call by ``calls(cls, *args)``: the median call."""

    def run(cls):
        recorder = _Recorder(cls)
        seconds = statistics.median(calls(recorder, *args))
        return seconds, weights_digest(recorder.last)

    return run


def one_fit(data, params):
    def run(cls):
        est, seconds = h.timed_fit(cls, params, data.X_train, data.y_train)
        return seconds, weights_digest(est)

    return run


def grid_search(data, epochs):
    # the search is kept for the digest of its refitted model
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


def measure(cases, estimators, rounds):
    """Every round, every path: the three sides back to back, order rotated."""
    raw = {c.key: {side: {"s": [], "digest": []} for side in SIDES} for c in cases}
    started = time.perf_counter()
    for r in range(rounds):
        order = SIDES[r % 3 :] + SIDES[: r % 3]
        for case in cases:
            for side in order:
                gc.collect()
                seconds, digest = case.run(estimators[side][case.task])
                raw[case.key][side]["s"].append(seconds)
                raw[case.key][side]["digest"].append(digest)
        elapsed = time.perf_counter() - started
        h.log(f"round {r + 1}/{rounds}: load {os.getloadavg()[0]:.2f}, {elapsed:.0f} s")
    return raw


def summarise(case, times):
    """Medians of the times and of the per-round ratios; digest agreement."""
    s = {side: times[side]["s"] for side in SIDES}

    def ratios(a, b):
        return [x / y for x, y in zip(s[a], s[b], strict=True)]

    new_old = ratios("new", "old")
    return {
        "key": case.key,
        "title": case.title,
        "mlp": "MLPClassifier" if case.task == "classification" else "MLPRegressor",
        "goal": case.goal,
        "median_s": {side: statistics.median(t) for side, t in s.items()},
        "old_over_mlp": statistics.median(ratios("old", "mlp")),
        "new_over_mlp": statistics.median(ratios("new", "mlp")),
        "new_over_old": statistics.median(new_old),
        "new_over_old_iqr": [float(q) for q in np.percentile(new_old, [25, 75])],
        "bitwise_equal": len({*times["old"]["digest"], *times["new"]["digest"]}) == 1,
    }


def markdown(rows, labels, meta):
    old, new = labels["old"], labels["new"]
    loads = ["/".join(f"{v:.2f}" for v in meta[k]) for k in ("load_start", "load_end")]
    lines = [
        f"## Issue 16 paths before ({old}) and after ({new}), paired in one process",
        "",
        f"{meta['rounds']} rounds. Both packages imported side by side in one "
        "process (renamed copies) and timed with scikit-learn's MLP back to "
        "back, path by path, the order of the three sides rotated every round; "
        "one BLAS thread, `gc.collect()` before each timing. A per-call path's "
        "time in a round is the median of its calls, a fit's is one fit. Times "
        "are medians over the rounds; each ratio is the median over the rounds "
        "of the same-round ratio, new / old with its interquartile range. Load "
        f"average (1/5/15 min) at the start {loads[0]}, at the end {loads[1]}; "
        f"{meta['elapsed_s']:.0f} s in all. numpy {meta['numpy']}, scikit-learn "
        f"{meta['sklearn']}, {meta['cpu']}."
        + (" `--quick` sizes: a smoke test, not a measurement." * meta["quick"]),
        "",
        f"| path | {old} | {new} | MLP | {old} / MLP | {new} / MLP "
        f"| {new} / {old} (IQR) | goal ({new} / MLP) | same weights |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m, (q1, q3), goal = r["median_s"], r["new_over_old_iqr"], r["goal"]
        met = "met" if goal and r["new_over_mlp"] <= goal else "not met"
        cells = [
            f"{r['title']} (vs {r['mlp']})",
            *(h.fmt_time(m[side]) for side in SIDES),
            f"{r['old_over_mlp']:.2f}",
            f"{r['new_over_mlp']:.2f}",
            f"{r['new_over_old']:.3f} ({q1:.3f}-{q3:.3f})",
            f"<= {goal:.2f} ({met})" if goal else "-",
            "bitwise" if r["bitwise_equal"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "MLP = scikit-learn's MLPClassifier or MLPRegressor; a ratio below 1: "
        f"faster than its denominator ({new} / {old} > 1: the new tree is "
        "slower). same weights: the fitted `coefs_`/`intercepts_` of both trees "
        "have equal bytes in every round (for the predict paths, those of the "
        "predicting model and its predictions; for the grid search, those of the "
        "refitted best model).",
    ]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", required=True, help="the older tree (a checkout)")
    p.add_argument("--new", default=str(h.REPO_ROOT), help="default: this repository")
    p.add_argument("--rounds", type=int, default=9, help="rounds (default: 9)")
    p.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    p.add_argument("--only", default="", help="comma-separated parts of path keys")
    p.add_argument("--out", help="markdown output; the raw rounds go to a .json beside")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    labels = {side: h.tree_label(path) for side, path in trees.items()}
    only = [name for name in args.only.split(",") if name]
    cases = [
        c
        for c in build_cases("quick" if args.quick else "full")
        if not only or any(name in c.key for name in only)
    ]
    if not cases:
        sys.exit(f"--only {args.only!r} matches no path")
    warnings.simplefilter("ignore", ConvergenceWarning)
    estimators = {"mlp": {"classification": MLPClassifier, "regression": MLPRegressor}}
    with tempfile.TemporaryDirectory(prefix="bench_paired_") as tmp:
        folder = Path(tmp).resolve()
        sys.path.insert(0, str(folder))
        folders = {f"{PACKAGE}_{side}": folder / f"{PACKAGE}_{side}" for side in trees}
        for side, tree in trees.items():
            package = twin.import_copy(tree, f"{PACKAGE}_{side}", folder)
            estimators[side] = {
                "classification": package.ScratchMLPClassifier,
                "regression": package.ScratchMLPRegressor,
            }
        load_start, started = os.getloadavg(), time.perf_counter()
        with threadpool_limits(limits=1):
            blas_threads = h.numpy_blas().get("num_threads")
            if blas_threads != 1:
                h.log(f"warning: numpy's BLAS reports {blas_threads} threads")
            h.warm_up({f"{s}-{t}": c for s in trees for t, c in estimators[s].items()})
            twin.check_origins(folders)
            gc.collect()
            gc.freeze()  # what exists now is no garbage: collections skip it
            raw = measure(cases, estimators, args.rounds)
        twin.check_origins(folders)
    meta = {
        "rounds": args.rounds,
        "quick": args.quick,
        "trees": {side: str(path) for side, path in trees.items()},
        "labels": labels,
        "blas_threads": blas_threads,
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "elapsed_s": time.perf_counter() - started,
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "cpu": h.cpu_model(),
        "env": {v: os.environ.get(v) for v in h.ENV_VARS},
    }
    rows = [summarise(c, raw[c.key]) for c in cases]
    text = markdown(rows, labels, meta)
    print(text)
    if args.out:
        h.write_report(args.out, text, {"meta": meta, "rows": rows, "rounds": raw})
    return 0


if __name__ == "__main__":
    sys.exit(main())
