"""Side-by-side benchmark: our estimators against sklearn's MLPClassifier/Regressor.

Run from the repository root::

    python benchmarks/bench_vs_sklearn.py            # full run, ~15 min on 2 cores
    python benchmarks/bench_vs_sklearn.py --quick    # small-data paths and
                                                     # regressor rows, < 3 min
    python benchmarks/bench_vs_sklearn.py --only partial-fit,grid   # some rows

``--quick`` runs workloads 2, 5, 8 and 9 at reduced sizes on one BLAS thread
and writes ``bench_small.*``; with ``--workloads`` it runs those at reduced
sizes instead (``bench_quick.*``).  ``--only`` keeps the rows whose key
contains one of the given names.

``sk_scratchnet`` is imported from the environment, or from the checkout this
script lives in when it is not installed (or set ``PYTHONPATH=<repo root>``).

Both estimators are fitted in the same run, interleaved (ours, sklearn, ours,
sklearn, ...), with the same parameters and the same number of epochs
(``tol=0``, ``n_iter_no_change=max_iter``, ``ConvergenceWarning`` silenced);
the median of ``--repeats`` fits is reported, for every BLAS thread count of
``--threads`` (set with ``threadpoolctl.threadpool_limits``).

Workloads (``--workloads 1,3,6`` selects some):

1. the CS231n spiral (3 x 100 points, 2-D), sgd, one hidden ReLU layer of 100;
2. ``load_digits``, adam, (100,);
3. ``make_classification`` 100 000 x 100, 10 classes, adam, (256,), float64
   and float32;
4. ``make_classification`` 60 000 x 784, 10 classes, adam, (512, 256),
   float64 and float32;
5. ``load_digits``, lbfgs, (100,);
6. ``predict_proba`` latency on 1 row and on 10 000 rows;
7. peak memory of one fit of workload 4, each estimator in a fresh
   subprocess (its peak RSS during ``fit``, ``VmHWM`` reset just before;
   ``ru_maxrss`` is useless there as Linux carries the parent's peak into a
   child), the fit's own increment over the RSS before ``fit``, and the
   ``tracemalloc`` peak of the arrays allocated during ``fit``);
8. the small-data paths of the classifier on ``load_digits``, timed per call
   (the fixed costs that dominate cross-validation and streaming):
   ``partial_fit`` per 200-row chunk, ``fit`` on 50 rows with ``max_iter=1``,
   ``GridSearchCV`` (4 settings x 3 folds, 50 epochs), ``predict_proba`` of a
   (100,) model on 10 000 rows and on 1 row;
9. the regressor against ``MLPRegressor``: the same small-data paths on
   ``load_diabetes``, and fits of ``make_regression`` 100 000 x 100 (adam,
   (256,), squared error, float64 and float32, few epochs), ``load_diabetes``
   with lbfgs, and Poisson counts with ``loss='poisson'``.  Their "acc"
   columns hold R².

Per workload it reports the median fit time of both, the ratio
ours/sklearn, the test accuracy of both, the achieved GFLOP/s (matmul flops
of forward + backward per epoch: ``2 n fi fo`` forward and ``4 n fi fo``
backward per layer, ``2 n fi fo`` for the first layer which has no ``dX``),
and the roofline fraction: the time numpy needs for exactly those matmuls
alone on preallocated arrays (same shapes, dtype and thread count; best of 3
epochs) divided by our fit time. The "floor" column divides that matmul time
by MLPClassifier's time instead: the lowest ratio reachable without doing
fewer or faster matmuls.

Output: a markdown table on stdout (progress goes to stderr), and
``benchmarks/results/bench.json`` plus, when matplotlib is importable,
``benchmarks/results/bench.png`` (``bench_quick.*`` with ``--quick``).

``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` may be set on some machines and
slow a current numpy's OpenBLAS; the script prints whether they are set and
which BLAS kernel it ran with, and never changes them. To measure without
them, unset both in the command itself::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_vs_sklearn.py

``--profile ours`` (or ``theirs``/``both``) instead prints a cProfile of one
fit (top functions by tottime) for the selected fit workloads.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import _workloads as wl
import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------


def load_ours(sklearn_both):
    """Return ({task: class}, label) for "our" side of the comparison."""
    if sklearn_both:
        return THEIRS, "MLPClassifier/MLPRegressor (--sklearn-both)"
    try:
        from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
    except ImportError:
        # not installed: use the checkout this script belongs to
        sys.path.insert(0, str(REPO_ROOT))
        try:
            from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
        except ImportError as exc:
            sys.exit(
                f"cannot import sk_scratchnet's estimators ({exc}); "
                "run `pip install -e .` or set PYTHONPATH to the repository "
                "root, or pass --sklearn-both to test the harness alone"
            )
    ours = {"classification": ScratchMLPClassifier, "regression": ScratchMLPRegressor}
    return ours, "ScratchMLPClassifier/ScratchMLPRegressor"


THEIRS = {"classification": MLPClassifier, "regression": MLPRegressor}


def timed_fit(cls, params, X, y):
    """Fit a fresh estimator; return (estimator, seconds)."""
    est = cls(**params)
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - t0
    return est, seconds


# --------------------------------------------------------------------------
# Machine
# --------------------------------------------------------------------------


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def numpy_blas():
    """The threadpoolctl record of numpy's own BLAS (first BLAS found)."""
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return blas[0] if blas else {}


def machine_info(ours_label):
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    import scipy

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "ours": ours_label,
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "loadavg_at_start": os.getloadavg(),
        # library file names only: the install paths are the machine's business
        "threadpool_info": [
            {k: Path(v).name if k == "filepath" else v for k, v in info.items()}
            for info in threadpool_info()
        ],
    }
    if "sk_scratchnet" in sys.modules:
        module = sys.modules["sk_scratchnet"]
        info["sk_scratchnet"] = getattr(module, "__version__", "unknown")
        # which state of a work tree was measured (the code changes between runs)
        digest = hashlib.sha1()
        for path in sorted(Path(module.__file__).parent.glob("*.py")):
            digest.update(path.read_bytes())
        info["sk_scratchnet_source_sha1"] = digest.hexdigest()[:12]
    return info


def machine_markdown(info):
    blas = numpy_blas()
    env = info["env"]
    flags = ", ".join(
        f"{k}={'unset' if env[k] is None else repr(env[k])}" for k in ENV_VARS[:2]
    )
    return "\n".join(
        [
            f"Machine: {info['cpu_model']}, {info['nproc']} usable cores, "
            f"{info['platform']}, Python {info['python']}",
            f"numpy {info['numpy']}, scikit-learn {info['sklearn']}, "
            f"ours = {info['ours']} {info.get('sk_scratchnet', '')} "
            f"(sources sha1 {info.get('sk_scratchnet_source_sha1', '-')})",
            f"numpy BLAS: {blas.get('internal_api')} {blas.get('version')} "
            f"kernel {blas.get('architecture')} ({blas.get('threading_layer')}); "
            f"{flags}",
            "load average at start (1/5/15 min): "
            + "/".join(f"{v:.2f}" for v in info["loadavg_at_start"])
            + " (other processes on these cores make timings, above all the "
            "2-thread ones, noisy)",
        ]
    )


# --------------------------------------------------------------------------
# Workloads 1-5: fit
# --------------------------------------------------------------------------


def run_fit(w, data, ours, threads, repeats):
    X_train = np.ascontiguousarray(data.X_train, dtype=w.dtype)
    X_test = np.ascontiguousarray(data.X_test, dtype=w.dtype)
    y_train, y_test = data.y_train, data.y_test
    dims = wl.layer_dims(
        X_train.shape[1], w.params["hidden_layer_sizes"], data.n_outputs
    )
    ours_cls, theirs_cls = ours[w.task], THEIRS[w.task]
    times = {"ours": [], "theirs": []}
    fitted = {}
    load_before = os.getloadavg()[0]
    with threadpool_limits(limits=threads):
        effective = numpy_blas().get("num_threads")
        for _ in range(repeats):
            for side, cls in (("ours", ours_cls), ("theirs", theirs_cls)):
                est, seconds = timed_fit(cls, w.params, X_train, y_train)
                times[side].append(seconds)
                fitted.setdefault(side, est)
        n_iter = {side: int(est.n_iter_) for side, est in fitted.items()}
        solver = w.params["solver"]
        plan = wl.batch_plan(len(X_train), wl.auto_batch_size(len(X_train), solver))
        roof_epoch, roof_times = wl.time_matmul_epoch(plan, dims, w.dtype, repeats=3)
    accuracy = {side: float(est.score(X_test, y_test)) for side, est in fitted.items()}
    median = {side: float(np.median(t)) for side, t in times.items()}
    flops_epoch = wl.train_flops(len(X_train), dims)
    gflops = {side: flops_epoch * n_iter[side] / median[side] / 1e9 for side in median}
    roofline_s = roof_epoch * n_iter["ours"]
    return {
        "kind": "fit",
        "task": w.task,
        "number": w.number,
        "key": w.key,
        "title": w.title,
        "dtype": w.dtype_name,
        "threads": threads,
        "blas_threads_effective": effective,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_features": X_train.shape[1],
        "params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in w.params.items()
        },
        "epochs": w.params["max_iter"],
        "n_iter": n_iter,
        "times_s": times,
        "median_s": median,
        "ratio": median["ours"] / median["theirs"],
        "accuracy": accuracy,
        "flops_per_epoch": flops_epoch,
        "gflops": gflops,
        "matmul_epoch_s": roof_epoch,
        "matmul_epoch_times_s": roof_times,
        "roofline_s": roofline_s,
        "roofline": roofline_s / median["ours"],
        # the ratio ours would reach if it did nothing but the matmuls
        "ratio_floor": roofline_s / median["theirs"],
        "target_ratio": w.target_ratio,
        "target_roofline": w.target_roofline,
        "loadavg_1min": [load_before, os.getloadavg()[0]],
    }


# --------------------------------------------------------------------------
# Workload 6: predict latency
# --------------------------------------------------------------------------


def _call_times(fn, X, n_calls):
    out = []
    for _ in range(n_calls):
        t0 = time.perf_counter()
        fn(X)
        out.append(time.perf_counter() - t0)
    return out


def run_predict(data, ours, threads, mode):
    calls = wl.PREDICT_CALLS[mode]
    params = {
        **wl.PREDICT_PARAMS,
        "max_iter": wl.EPOCHS[mode]["predict_fit"],
        "n_iter_no_change": wl.EPOCHS[mode]["predict_fit"],
        "random_state": 0,
    }
    X_train, y_train = data.X_train, data.y_train
    models = {
        "ours": timed_fit(ours["classification"], params, X_train, y_train)[0],
        "theirs": timed_fit(MLPClassifier, params, X_train, y_train)[0],
    }
    accuracy = {
        side: float(m.score(data.X_test, data.y_test)) for side, m in models.items()
    }
    dims = [w.shape for w in models["ours"].coefs_]
    n_many = calls["many_rows_n"]
    X_many = np.ascontiguousarray(np.resize(data.X_test, (n_many, X_train.shape[1])))
    X_one = np.ascontiguousarray(data.X_test[:1])
    rows = []
    with threadpool_limits(limits=threads):
        for side in models:  # warm-up
            models[side].predict_proba(X_one)
            models[side].predict_proba(X_many)
        for X, n_calls, blocks in (
            (X_one, calls["one_row"], 10),
            (X_many, calls["many_rows"], calls["many_rows"]),
        ):
            times = {"ours": [], "theirs": []}
            per_block = max(1, n_calls // blocks)
            for _ in range(blocks):
                for side, model in models.items():
                    times[side] += _call_times(model.predict_proba, X, per_block)
            median = {side: float(np.median(t)) for side, t in times.items()}
            n_rows = len(X)
            flops = wl.forward_flops(n_rows, dims)
            roof, _ = wl.time_matmul_epoch(
                [(n_rows, 1)],
                dims,
                np.float64,
                backward=False,
                repeats=max(5, min(200, per_block)),
            )
            rows.append(
                {
                    "kind": "predict",
                    "number": 6,
                    "key": f"6-predict-{n_rows}",
                    "title": f"predict_proba on {n_rows} row(s), (256,), 100 feat.",
                    "dtype": "float64",
                    "threads": threads,
                    "n_rows": n_rows,
                    "n_calls": len(times["ours"]),
                    "times_s": times,
                    "median_s": median,
                    "ratio": median["ours"] / median["theirs"],
                    "accuracy": accuracy,
                    "flops": flops,
                    "gflops": {s: flops / t / 1e9 for s, t in median.items()},
                    "roofline_s": roof,
                    "roofline": roof / median["ours"],
                    "ratio_floor": roof / median["theirs"],
                    "target_ratio": wl.TARGETS[f"predict-{n_rows}"]
                    if f"predict-{n_rows}" in wl.TARGETS
                    else None,
                    "target_roofline": None,
                }
            )
    return rows


# --------------------------------------------------------------------------
# Workloads 8-9: small-data paths, timed per call
# --------------------------------------------------------------------------

SMALL_PARAMS = {"hidden_layer_sizes": (100,), "random_state": 0}
GRID = {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(50,), (100,)]}


def _partial_fit_calls(cls, data, classes):
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


def _fit_small_calls(cls, data, n_calls):
    """Seconds of fresh one-epoch fits on the first 50 rows."""
    X, y = data.X_train[:50], data.y_train[:50]
    times = []
    for _ in range(n_calls):
        est = cls(**SMALL_PARAMS, max_iter=1)
        t0 = time.perf_counter()
        est.fit(X, y)
        times.append(time.perf_counter() - t0)
    return times


def _grid_calls(cls, data, epochs):
    """Seconds of one ``GridSearchCV`` fit (4 settings x 3 folds)."""
    base = cls(random_state=0, max_iter=epochs, n_iter_no_change=epochs, tol=0.0)
    search = GridSearchCV(base, GRID, cv=3)
    t0 = time.perf_counter()
    search.fit(data.X_train, data.y_train)
    return [time.perf_counter() - t0]


def _predict_calls(model, X, n_calls):
    predict = getattr(model, "predict_proba", model.predict)
    return _call_times(predict, X, n_calls)


def run_small(paths, data_for, ours, mode, threads):
    """Time the small-data paths, ours and sklearn's interleaved; one row each."""
    calls = wl.SMALL_CALLS[mode]
    rows = []
    for path in paths:
        task = "classification" if path.number == 8 else "regression"
        data = data_for("digits" if task == "classification" else "diabetes")
        classes = np.unique(data.y_train) if task == "classification" else None
        sides = {"ours": ours[task], "theirs": THEIRS[task]}
        if path.kind == "predict":
            models = {}
            for side, cls in sides.items():
                params = {**SMALL_PARAMS, "max_iter": 20}
                models[side] = timed_fit(cls, params, data.X_train, data.y_train)[0]
            X = np.ascontiguousarray(
                np.resize(data.X_test, (path.n_rows, data.X_test.shape[1]))
            )
            n_calls = calls["predict_1" if path.n_rows == 1 else "predict_many"]
        load_before = os.getloadavg()[0]
        times = {"ours": [], "theirs": []}
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if path.kind == "predict":
                for model in models.values():  # warm-up
                    _predict_calls(model, X, 2)
            for _ in range(calls["rounds"]):
                for side, cls in sides.items():
                    gc.collect()
                    if path.kind == "partial_fit":
                        t = _partial_fit_calls(cls, data, classes)
                    elif path.kind == "fit_small":
                        t = _fit_small_calls(cls, data, calls["fit_small"])
                    elif path.kind == "grid":
                        t = _grid_calls(cls, data, wl.EPOCHS[mode]["grid"])
                    else:
                        t = _predict_calls(models[side], X, n_calls)
                    times[side] += t
        median = {side: float(np.median(t)) for side, t in times.items()}
        row = {
            "kind": "small",
            "task": task,
            "number": path.number,
            "key": path.key,
            "title": path.title,
            "dtype": "float64",
            "threads": threads,
            "n_calls": len(times["ours"]),
            "times_s": times,
            "median_s": median,
            "ratio": median["ours"] / median["theirs"],
            "target_ratio": path.target_ratio,
            "target_roofline": None,
            "loadavg_1min": [load_before, os.getloadavg()[0]],
        }
        rows.append(row)
        log(
            f"  {path.key} {threads} thr: ours {_fmt_time(median['ours'])}, "
            f"sklearn {_fmt_time(median['theirs'])}, ratio {row['ratio']:.2f}"
        )
    return rows


# --------------------------------------------------------------------------
# Workload 7: peak memory, one subprocess per estimator
# --------------------------------------------------------------------------


def _proc_status_kib(field):
    """``VmRSS``/``VmHWM`` of this process in KiB (None without /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); True on success.

    ``ru_maxrss`` cannot be used for a child: Linux carries the parent's peak
    RSS over ``fork``/``exec`` into it, so it would report the parent's size.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def memory_child(args):
    """Body of the subprocess: load the data, fit once, print a JSON line."""
    params = json.loads(args.memory_params)
    params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    cls = (
        MLPClassifier
        if args.memory_child == "theirs"
        else load_ours(args.sklearn_both)[0]["classification"]
    )
    X = np.load(Path(args.memory_data) / "X.npy")
    y = np.load(Path(args.memory_data) / "y.npy")
    with threadpool_limits(limits=1):
        # a tiny fit first, so that one-time allocations (BLAS buffers, code
        # caches) are in the baseline and not counted as the fit's memory
        timed_fit(cls, {**params, "max_iter": 1}, X[:50], y[:50])
    gc.collect()
    rss_before = _proc_status_kib("VmRSS")
    reset = _reset_peak_rss()
    with threadpool_limits(limits=1):
        if args.memory_tracemalloc:
            tracemalloc.start()
        est, seconds = timed_fit(cls, params, X, y)
        traced_peak = (
            tracemalloc.get_traced_memory()[1] if args.memory_tracemalloc else None
        )
        tracemalloc.stop()
    peak = _proc_status_kib("VmHWM") if reset else None
    if peak is None:  # no /proc: the lifetime peak, an upper bound
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "peak_rss_during_fit_kib": peak,
                "peak_rss_reset": reset,
                "rss_before_fit_kib": rss_before or 0,
                "tracemalloc_peak_bytes": traced_peak,
                "fit_s": seconds,
                "n_iter": int(est.n_iter_),
                "data_bytes": int(X.nbytes + y.nbytes),
            }
        )
    )


def _spawn_memory_child(side, data_dir, params, sklearn_both, tracemalloc_on):
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--_memory-child",
        side,
        "--_memory-data",
        str(data_dir),
        "--_memory-params",
        json.dumps(params),
    ]
    if sklearn_both:
        cmd.append("--sklearn-both")
    if tracemalloc_on:
        cmd.append("--_memory-tracemalloc")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {side} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_memory(data, mode, sklearn_both):
    epochs = wl.EPOCHS[mode]["memory"]
    params = {
        "hidden_layer_sizes": [512, 256],
        "solver": "adam",
        "max_iter": epochs,
        "n_iter_no_change": epochs,
        "tol": 0.0,
        "random_state": 0,
    }
    rows = []
    for dtype in (np.float64, np.float32):
        with tempfile.TemporaryDirectory(prefix="bench_mem_") as tmp:
            np.save(Path(tmp) / "X.npy", data.X_train.astype(dtype))
            np.save(Path(tmp) / "y.npy", data.y_train)
            res = {}
            for side in ("ours", "theirs"):
                res[side] = _spawn_memory_child(side, tmp, params, sklearn_both, False)
                traced = _spawn_memory_child(side, tmp, params, sklearn_both, True)
                res[side]["tracemalloc_peak_bytes"] = traced["tracemalloc_peak_bytes"]
        name = np.dtype(dtype).name
        mib = 1024.0
        peak = {s: r["peak_rss_during_fit_kib"] / mib for s, r in res.items()}
        incr = {
            s: (r["peak_rss_during_fit_kib"] - r["rss_before_fit_kib"]) / mib
            for s, r in res.items()
        }
        traced = {s: r["tracemalloc_peak_bytes"] / 2**20 for s, r in res.items()}
        common = {
            "kind": "memory",
            "number": 7,
            "dtype": name,
            "threads": 1,
            "epochs": epochs,
            "n_train": len(data.X_train),
            "raw": res,
            "target_roofline": None,
        }
        for metric, values, title, target in (
            (
                "peak",
                peak,
                "peak RSS of the process during fit (VmHWM)",
                wl.TARGETS["memory"],
            ),
            ("increment", incr, "RSS growth during fit (peak - RSS before fit)", None),
            ("tracemalloc", traced, "tracemalloc peak during fit (numpy arrays)", None),
        ):
            rows.append(
                {
                    **common,
                    "key": f"7-memory-{metric}-{name.replace('float', 'f')}",
                    "metric": metric,
                    "title": title,
                    "mib": values,
                    "ratio": values["ours"] / values["theirs"]
                    if values["theirs"]
                    else float("nan"),
                    "target_ratio": target,
                }
            )
        log(
            f"  7 memory {name}: peak ours {peak['ours']:.0f} MiB, "
            f"sklearn {peak['theirs']:.0f} MiB; fit increment "
            f"{incr['ours']:.0f} / {incr['theirs']:.0f} MiB"
        )
    return rows


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def _fmt_time(seconds):
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _met(row):
    """'yes', 'no (...)' or '' if the row has no target."""
    if row.get("target_ratio") is None and row.get("target_roofline") is None:
        return ""
    misses = []
    if row.get("target_ratio") is not None and not row["ratio"] <= row["target_ratio"]:
        misses.append("time" if row["kind"] != "memory" else "memory")
    if row.get("target_roofline") is not None and not (
        row["roofline"] >= row["target_roofline"]
    ):
        misses.append("roofline")
    acc = row.get("accuracy")
    slack = 0.01 if row.get("task") == "regression" else 0.005
    if row["kind"] == "fit" and acc and abs(acc["ours"] - acc["theirs"]) > slack:
        misses.append("acc")
    return "yes" if not misses else "no (" + ", ".join(misses) + ")"


def _target_text(row):
    parts = []
    if row.get("target_ratio") is not None:
        parts.append(f"≤ {row['target_ratio']:.2f}")
    if row.get("target_roofline") is not None:
        parts.append(f"roofline ≥ {row['target_roofline']:.2f}")
    return ", ".join(parts)


def markdown_table(rows):
    head = (
        "| # | workload | dtype | thr | epochs (ours/sk) | ours | sklearn | ratio "
        "| target | met | acc ours | acc sk | GFLOP/s ours | GFLOP/s sk "
        "| roofline | floor |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if r["kind"] == "memory":
            cells = [
                "7",
                r["title"],
                r["dtype"],
                "1",
                f"{r['epochs']}",
                f"{r['mib']['ours']:.0f} MiB",
                f"{r['mib']['theirs']:.0f} MiB",
                f"{r['ratio']:.3f}",
                _target_text(r),
                _met(r),
            ]
        else:
            if r["kind"] == "fit":
                ep = r["n_iter"]
                epochs = (
                    f"{ep['ours']}"
                    if ep["ours"] == ep["theirs"]
                    else f"{ep['ours']}/{ep['theirs']}"
                )
            else:
                epochs = "-"
            if r["kind"] == "small":
                cells = [
                    str(r["number"]),
                    r["title"],
                    r["dtype"],
                    str(r["threads"]),
                    epochs,
                    _fmt_time(r["median_s"]["ours"]),
                    _fmt_time(r["median_s"]["theirs"]),
                    f"{r['ratio']:.2f}",
                    _target_text(r),
                    _met(r),
                ]
                cells += [""] * (head.count("|") - 1 - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                continue
            cells = [
                str(r["number"]),
                r["title"],
                r["dtype"],
                str(r["threads"]),
                epochs,
                _fmt_time(r["median_s"]["ours"]),
                _fmt_time(r["median_s"]["theirs"]),
                f"{r['ratio']:.2f}",
                _target_text(r),
                _met(r),
                f"{r['accuracy']['ours']:.4f}",
                f"{r['accuracy']['theirs']:.4f}",
                f"{r['gflops']['ours']:.1f}",
                f"{r['gflops']['theirs']:.1f}",
                f"{r['roofline']:.2f}",
                f"{r['ratio_floor']:.2f}",
            ]
        cells += [""] * (head.count("|") - 1 - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


TABLE_NOTES = """\
ratio = ours / MLPClassifier or MLPRegressor (median fit time; predict and the \
small-data paths 8-9: median call time; memory: MiB); acc is R² for the \
regressor rows. roofline = time numpy needs for the same matmuls alone \
(preallocated arrays, same shapes, dtype and threads) / our time. floor = that \
matmul time / MLPClassifier's time: the lowest ratio reachable without fewer or \
faster matmuls. met = time (and roofline) target met and test accuracy within \
0.5 points of MLPClassifier. GFLOP/s counts the matmul flops only (lbfgs: one \
forward+backward per iteration, line-search evaluations not counted)."""


def _plot_label(r):
    if r["kind"] == "fit":
        parts = r["key"].split("-")
        if r["number"] in (3, 4):  # "3-cls100-adam-f64" -> "3 cls100 f64"
            parts = [parts[0], parts[1], parts[-1]]
        return " ".join(parts)
    if r["kind"] == "predict":
        return f"6 predict {r['n_rows']}"
    if r["kind"] == "small":
        return r["key"].replace("-", " ")
    return f"7 peak mem {r['dtype'].replace('float', 'f')}"


def plot(rows, threads, path, title):
    """Grouped bars of the ratio per workload and thread count, with targets."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not importable: no plot")
        return None
    rows = [r for r in rows if r["kind"] != "memory" or r["metric"] == "peak"]
    labels = list(dict.fromkeys(_plot_label(r) for r in rows))
    targets = {_plot_label(r): r.get("target_ratio") for r in rows}
    width = 0.8 / max(1, len(threads))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(labels) + 2), 5))
    for j, t in enumerate(threads):
        xs, ys = [], []
        for i, label in enumerate(labels):
            group = [r for r in rows if _plot_label(r) == label]
            for r in group:
                if r["threads"] == t:
                    # a lone bar (memory: 1 thread only) sits at the centre
                    x = i if len(group) == 1 else i - 0.4 + width * (j + 0.5)
                    xs.append(x)
                    ys.append(r["ratio"])
        if xs:
            bars = ax.bar(xs, ys, width, label=f"{t} BLAS thread(s)")
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
    first = True
    for i, label in enumerate(labels):
        if targets[label] is not None:
            ax.hlines(
                targets[label],
                i - 0.45,
                i + 0.45,
                colors="red",
                linestyles="--",
                label="target" if first else None,
            )
            first = False
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("ours / scikit-learn's MLP (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, type):
        return obj.__name__
    return obj


# --------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------


def run_profile(workloads, data_for, ours_cls, threads, which, top):
    """cProfile one fit per side and workload; print and save the top functions."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for w in workloads:
        sides = {
            "ours": [("ours", ours_cls[w.task])],
            "theirs": [("theirs", THEIRS[w.task])],
        }
        sides["both"] = sides["ours"] + sides["theirs"]
        data = data_for(w.dataset)
        X = np.ascontiguousarray(data.X_train, dtype=w.dtype)
        for side, cls in sides[which]:
            with threadpool_limits(limits=threads):
                timed_fit(cls, {**w.params, "max_iter": 1}, X[:500], data.y_train[:500])
                est = cls(**w.params)
                gc.collect()
                prof = cProfile.Profile()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    t0 = time.perf_counter()
                    prof.runcall(est.fit, X, data.y_train)
                    seconds = time.perf_counter() - t0
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime")
            stats.print_stats(top)
            text = (
                f"## profile {side} {w.key}, {threads} thread(s), "
                f"{w.params['max_iter']} epochs, fit {seconds:.2f} s (under cProfile)\n"
                + buf.getvalue()
            )
            print(text)
            (RESULTS_DIR / f"profile_{side}_{w.key}.txt").write_text(text)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time ScratchMLPClassifier against sklearn's MLPClassifier.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller data and fewer epochs; without --workloads only the "
        "small-data paths and the regressor rows (2, 5, 8, 9) on one BLAS "
        "thread (< 3 minutes)",
    )
    p.add_argument(
        "--workloads",
        default=None,
        help="comma-separated workload numbers (default: all, 1-9)",
    )
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated names: keep only the rows whose key contains "
        "one of them (e.g. partial-fit,9-reg100)",
    )
    p.add_argument(
        "--threads",
        default=None,
        help="comma-separated BLAS thread counts (default: 1,2; 1 with --quick alone)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fits per estimator; the median is reported (default: 3)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="output name stem in benchmarks/results/ "
        "(default: bench, or bench_quick with --quick)",
    )
    p.add_argument(
        "--sklearn-both",
        action="store_true",
        help="use MLPClassifier on both sides (checks the harness)",
    )
    p.add_argument(
        "--profile",
        choices=("ours", "theirs", "both"),
        default=None,
        help="instead of timing, cProfile one fit of the selected "
        "fit workloads (first --threads value)",
    )
    p.add_argument("--profile-top", type=int, default=25)
    # the peak-memory subprocess re-runs this script with these
    p.add_argument(
        "--_memory-child", dest="memory_child", default=None, help=argparse.SUPPRESS
    )
    p.add_argument("--_memory-data", dest="memory_data", help=argparse.SUPPRESS)
    p.add_argument("--_memory-params", dest="memory_params", help=argparse.SUPPRESS)
    p.add_argument(
        "--_memory-tracemalloc",
        dest="memory_tracemalloc",
        action="store_true",
        help=argparse.SUPPRESS,
    )
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    args.small = args.quick and args.workloads is None
    workloads = args.workloads or ("2,5,8,9" if args.small else "1,2,3,4,5,6,7,8,9")
    threads = args.threads or ("1" if args.small else "1,2")
    try:
        args.workload_numbers = sorted({int(s) for s in workloads.split(",")})
        args.thread_list = [int(s) for s in threads.split(",")]
    except ValueError:
        p.error("--workloads and --threads take comma-separated integers")
    if not set(args.workload_numbers) <= set(range(1, 10)):
        p.error("workload numbers are 1 to 9")
    args.only_names = [n for n in (args.only or "").split(",") if n]
    return args


def selected(key, args):
    """Whether ``--only`` keeps the row ``key``."""
    return not args.only_names or any(name in key for name in args.only_names)


def warm_up(ours):
    """Pay import and first-call costs before anything is timed."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = np.arange(60) % 3
    for dtype in (np.float64, np.float32):
        for cls in (*ours.values(), *THEIRS.values()):
            for solver in ("sgd", "adam", "lbfgs"):
                timed_fit(
                    cls,
                    {
                        "hidden_layer_sizes": (8,),
                        "solver": solver,
                        "max_iter": 2,
                        "random_state": 0,
                    },
                    X.astype(dtype),
                    y,
                )


def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args)
        return 0
    mode = "quick" if args.quick else "full"
    ours_cls, ours_label = load_ours(args.sklearn_both)
    info = machine_info(ours_label)
    sizes = wl.SIZES[mode]
    cache = {}

    def data_for(name):
        if name not in cache:
            log(f"building data set {name} ...")
            cache[name] = wl.build_dataset(name, sizes)
        return cache[name]

    workloads = [
        w
        for w in wl.fit_workloads(mode)
        if w.number in args.workload_numbers and selected(w.key, args)
    ]
    small = [
        path
        for path in wl.small_paths()
        if path.number in args.workload_numbers and selected(path.key, args)
    ]
    if args.profile:
        run_profile(
            workloads,
            data_for,
            ours_cls,
            args.thread_list[0],
            args.profile,
            args.profile_top,
        )
        return 0

    print(f"## sk_scratchnet vs scikit-learn's MLPs ({mode} mode)\n")
    print(machine_markdown(info).replace("\n", "  \n"))
    epochs = wl.EPOCHS[mode]
    print(
        f"\nRepeats {args.repeats} (median), BLAS threads {args.thread_list}; "
        f"epochs: spiral {epochs['spiral']}, digits adam {epochs['digits']}, "
        f"100k x 100 {epochs['cls100']}, 60k x 784 {epochs['cls784']}, "
        f"lbfgs max_iter {epochs['lbfgs']}, memory fit {epochs['memory']}; "
        f"sizes {sizes}.\n",
        flush=True,
    )
    warm_up(ours_cls)
    rows = []
    started = time.perf_counter()
    for w in workloads:
        data = data_for(w.dataset)
        for t in args.thread_list:
            row = run_fit(w, data, ours_cls, t, args.repeats)
            rows.append(row)
            log(
                f"  {w.key} {t} thr: ours {row['median_s']['ours']:.3f} s, "
                f"sklearn {row['median_s']['theirs']:.3f} s, ratio "
                f"{row['ratio']:.2f}, roofline {row['roofline']:.2f}, acc "
                f"{row['accuracy']['ours']:.4f}/{row['accuracy']['theirs']:.4f}"
            )
    for t in args.thread_list:
        rows += run_small(small, data_for, ours_cls, mode, t)
    if 6 in args.workload_numbers and selected("6-predict", args):
        for t in args.thread_list:
            for row in run_predict(data_for("cls100"), ours_cls, t, mode):
                rows.append(row)
                log(
                    f"  {row['key']} {t} thr: ours "
                    f"{_fmt_time(row['median_s']['ours'])}, sklearn "
                    f"{_fmt_time(row['median_s']['theirs'])}, ratio {row['ratio']:.2f}"
                )
    if 7 in args.workload_numbers and selected("7-memory", args):
        rows += run_memory(data_for("cls784"), mode, args.sklearn_both)
    elapsed = time.perf_counter() - started

    print(markdown_table(rows))
    print()
    print(TABLE_NOTES)
    print(
        f"\nTotal benchmark time {elapsed:.0f} s; load average at the end "
        + "/".join(f"{v:.2f}" for v in os.getloadavg())
        + "."
    )

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = args.out or (
        "bench_small" if args.small else "bench_quick" if args.quick else "bench"
    )
    report = {
        "machine": info,
        "config": {
            "mode": mode,
            "repeats": args.repeats,
            "threads": args.thread_list,
            "workloads": args.workload_numbers,
            "only": args.only_names,
            "epochs": epochs,
            "sizes": sizes,
            "predict_calls": wl.PREDICT_CALLS[mode],
            "elapsed_s": elapsed,
        },
        "rows": rows,
    }
    json_path = RESULTS_DIR / f"{stem}.json"
    json_path.write_text(json.dumps(_jsonable(report), indent=1) + "\n")
    png = plot(
        rows,
        args.thread_list,
        RESULTS_DIR / f"{stem}.png",
        f"sk_scratchnet / scikit-learn's MLPs ({mode}): fit, predict, small-data "
        "paths, peak memory; "
        f"{info['cpu_model']}",
    )
    log(f"wrote {json_path}" + (f" and {png}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
