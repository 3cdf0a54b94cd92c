"""The timed rows of ``bench_vs_sklearn.py``: fits, predict, small paths, memory.

Each ``run_*`` times ours and scikit-learn's estimator interleaved and returns
the rows (dicts) that the script reports, logging one progress line per row;
the workloads come from ``_workloads.py`` (built once each by
:func:`dataset_loader`) and the timing and memory helpers from ``_harness.py``.
:func:`run_memory` re-runs the script in a subprocess per estimator with the
hidden options of :func:`add_memory_child_options`, read by :func:`memory_child`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import _harness as h
import _workloads as wl
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

# the script whose hidden --_memory-* options run the peak-memory child
SCRIPT = Path(__file__).resolve().parent / "bench_vs_sklearn.py"
RESULTS_DIR = h.RESULTS_DIR
THEIRS = h.THEIRS
timed_fit = h.timed_fit
numpy_blas = h.numpy_blas
log = h.log
load_ours = h.load_ours


def dataset_loader(sizes):
    """``data_for(name)``: the data set ``name`` at ``sizes``, built on first use."""
    cache = {}

    def data_for(name):
        if name not in cache:
            log(f"building data set {name} ...")
            cache[name] = wl.build_dataset(name, sizes)
        return cache[name]

    return data_for


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
    row = {
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
    log(
        f"  {w.key} {threads} thr: ours {median['ours']:.3f} s, "
        f"sklearn {median['theirs']:.3f} s, ratio {row['ratio']:.2f}, roofline "
        f"{row['roofline']:.2f}, acc {accuracy['ours']:.4f}/{accuracy['theirs']:.4f}"
    )
    return row


# --------------------------------------------------------------------------
# Workload 6: predict latency
# --------------------------------------------------------------------------


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
                    times[side] += h.call_times(model.predict_proba, X, per_block)
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
            log(
                f"  {rows[-1]['key']} {threads} thr: ours "
                f"{h.fmt_time(median['ours'])}, sklearn "
                f"{h.fmt_time(median['theirs'])}, ratio {rows[-1]['ratio']:.2f}"
            )
    return rows


# --------------------------------------------------------------------------
# Workloads 8-9: small-data paths, timed per call
# --------------------------------------------------------------------------


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
                params = {**wl.SMALL_PARAMS, "max_iter": 20}
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
                    wl.predict_calls(model, X, 2)
            for _ in range(calls["rounds"]):
                for side, cls in sides.items():
                    gc.collect()
                    if path.kind == "partial_fit":
                        t = wl.partial_fit_calls(cls, data, classes)
                    elif path.kind == "fit_small":
                        t = wl.fit_small_calls(cls, data, calls["fit_small"])
                    elif path.kind == "grid":
                        t = wl.grid_calls(cls, data, wl.EPOCHS[mode]["grid"])
                    else:
                        t = wl.predict_calls(models[side], X, n_calls)
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
            f"  {path.key} {threads} thr: ours {h.fmt_time(median['ours'])}, "
            f"sklearn {h.fmt_time(median['theirs'])}, ratio {row['ratio']:.2f}"
        )
    return rows


# --------------------------------------------------------------------------
# Workload 7: peak memory, one subprocess per estimator
# --------------------------------------------------------------------------


def add_memory_child_options(parser):
    """The hidden options with which :func:`run_memory` re-runs the script."""
    hidden = {"help": argparse.SUPPRESS}
    parser.add_argument("--_memory-child", dest="memory_child", **hidden)
    parser.add_argument("--_memory-data", dest="memory_data", **hidden)
    parser.add_argument("--_memory-params", dest="memory_params", **hidden)
    parser.add_argument(
        "--_memory-tracemalloc",
        dest="memory_tracemalloc",
        action="store_true",
        **hidden,
    )


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
    rss_before = h.proc_status_kib("VmRSS")
    reset = h.reset_peak_rss()
    with threadpool_limits(limits=1):
        if args.memory_tracemalloc:
            tracemalloc.start()
        est, seconds = timed_fit(cls, params, X, y)
        traced_peak = (
            tracemalloc.get_traced_memory()[1] if args.memory_tracemalloc else None
        )
        tracemalloc.stop()
    peak = h.peak_rss_kib(reset)
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
        str(SCRIPT),
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
# --profile: one fit under cProfile
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
                h.timed_fit(
                    cls, {**w.params, "max_iter": 1}, X[:500], data.y_train[:500]
                )
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
