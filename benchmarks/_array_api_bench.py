"""Timing and table code of ``bench_array_api.py`` (``--device cpu`` or ``cuda``).

It times the same fits and ``predict_proba`` calls of our estimators on
two *sides*: NumPy arrays on the CPU (the baseline) and PyTorch tensors on a
device (``cpu`` or ``cuda``), the same data, dtype and parameters on both, and
report per row the median times, the ratio other side / NumPy, the test
accuracy (R² for the regressor) of both models and the largest absolute
difference between their test predictions.

The scripts must set ``SCIPY_ARRAY_API=1`` before scipy or scikit-learn are
imported (scikit-learn refuses ``array_api_dispatch`` otherwise); this module
imports scikit-learn, so import it after that.

Workloads (sizes and epochs from ``_workloads.py``):

* ``make_classification`` 100 features, 10 classes, (256,), adam and sgd, and
  ``make_regression`` 100 features, (256,), adam and sgd: 20 000 training rows
  with ``--quick``, 100 000 otherwise, a few epochs each;
* ``load_digits``, adam, (100,): the small-data reference, where the fixed cost
  per batch of the non-NumPy side shows;
* ``predict_proba`` on 10 000 rows of a (256,) model of the 100-feature data.

Within a row the sides alternate (NumPy, PyTorch, PyTorch, NumPy, ...) so that
both see the same load; the median of ``--repeats`` fits (or calls) is reported.
The NumPy side runs with ``array_api_dispatch`` off (what a NumPy user runs),
the PyTorch side with it on.  Thread counts: ``threadpoolctl`` limits NumPy's
BLAS (and every OpenMP pool, PyTorch's included) and ``torch.set_num_threads``
sets PyTorch's intra-op pool.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import _harness as h
import _workloads as wl
import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

RESULTS_DIR = h.RESULTS_DIR
DTYPES = ("float64", "float32")
log = h.log
fmt_time = h.fmt_time


def import_torch():
    """Return the ``torch`` module, or ``None`` when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------
# Sides: an array library on a device
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One array library on one device.

    ``library`` is ``'numpy'`` or ``'torch'``; ``device`` is a torch device
    name (``'cpu'``, ``'cuda'``) and ``'cpu'`` for NumPy.
    """

    library: str
    device: str = "cpu"

    @property
    def name(self) -> str:
        return "numpy" if self.library == "numpy" else f"torch-{self.device}"

    @property
    def label(self) -> str:
        return "NumPy" if self.library == "numpy" else f"PyTorch ({self.device})"

    @property
    def dispatch(self) -> bool:
        return self.library != "numpy"

    def convert(self, a, dtype=None):
        """``a`` (a NumPy array) on this side; ``dtype`` None keeps integer labels."""
        a = np.ascontiguousarray(a if dtype is None else a.astype(dtype))
        if self.library == "numpy":
            return a
        import torch

        return torch.from_numpy(a).to(self.device)

    def sync(self):
        """Wait for the device's queued work (CUDA runs asynchronously)."""
        if self.library == "torch" and self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()

    def context(self):
        """scikit-learn's configuration for calls on this side."""
        return sklearn.config_context(array_api_dispatch=self.dispatch)


def to_host(a):
    """A float64 NumPy copy of ``a`` (a NumPy array or a torch tensor)."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


@contextlib.contextmanager
def thread_limits(n_threads, torch=None):
    """Limit NumPy's BLAS, the OpenMP pools and PyTorch's pool to ``n_threads``."""
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=n_threads):
        if torch is not None:
            torch.set_num_threads(n_threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def effective_threads(torch=None):
    """The thread counts in force: NumPy's BLAS and PyTorch's intra-op pool."""
    out = {"numpy_blas": h.numpy_blas().get("num_threads")}
    if torch is not None:
        out["torch"] = torch.get_num_threads()
    return out


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One timed row family: a fit (``kind='fit'``) or ``predict_proba`` calls."""

    key: str
    title: str
    dataset: str
    task: str
    params: dict = field(hash=False)
    kind: str = "fit"
    n_rows: int | None = None


def cases(mode):
    """The cases of ``mode`` ('quick' or 'full'), in the order they run."""
    sizes, ep = wl.SIZES[mode], wl.EPOCHS[mode]
    epochs = ep["reg100"]  # a few epochs on the large data sets: 2 or 5
    common = {"tol": 0.0, "random_state": 0}

    def stochastic(n_epochs, **kw):
        return {**common, "max_iter": n_epochs, "n_iter_no_change": n_epochs, **kw}

    solvers = {"adam": {}, "sgd": {"learning_rate_init": 0.01}}
    out = []
    for dataset, task, what in (
        ("cls100", "classification", "make_classification {n} x 100, 10 cl."),
        ("reg100", "regression", "make_regression {n} x 100"),
    ):
        n_train = sizes[dataset][0]
        for solver, extra in solvers.items():
            if task == "regression":
                extra = {}  # the default rate: sgd at 0.01 can diverge there
            out.append(
                Case(
                    f"{dataset}-{solver}",
                    f"{what.format(n=n_train)}, {solver}, (256,), {epochs} ep.",
                    dataset,
                    task,
                    stochastic(
                        epochs, hidden_layer_sizes=(256,), solver=solver, **extra
                    ),
                )
            )
    out.append(
        Case(
            "digits-adam",
            f"load_digits, adam, (100,), {ep['digits']} ep.",
            "digits",
            "classification",
            stochastic(ep["digits"], hidden_layer_sizes=(100,), solver="adam"),
        )
    )
    n_rows = wl.PREDICT_CALLS[mode]["many_rows_n"]
    out.append(
        Case(
            f"predict-proba-{n_rows}",
            f"predict_proba on {n_rows} rows, (256,) model of cls100",
            "cls100",
            "classification",
            stochastic(ep["predict_fit"], **wl.PREDICT_PARAMS),
            kind="predict",
            n_rows=n_rows,
        )
    )
    return out


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


def timed_fit(cls, params, X, y, side):
    """Fit a fresh estimator on ``side``; return (estimator, seconds)."""
    est = cls(**params)
    gc.collect()
    with side.context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        side.sync()
        t0 = time.perf_counter()
        est.fit(X, y)
        side.sync()
        seconds = time.perf_counter() - t0
    return est, seconds


def timed_call(fn, X, side):
    """Seconds of one ``fn(X)`` on ``side``."""
    with side.context():
        side.sync()
        t0 = time.perf_counter()
        fn(X)
        side.sync()
        return time.perf_counter() - t0


def _outputs(est, X, side):
    """Test predictions (probabilities for a classifier) on the host."""
    with side.context():
        predict = getattr(est, "predict_proba", est.predict)
        return to_host(predict(X))


def _score(est, X, y, side):
    with side.context():
        return float(est.score(X, y))


def run_case(case, data, estimators, sides, dtype, threads, repeats, mode, torch):
    """Time ``case`` on every side; return one row (a dict)."""
    cls = estimators[case.task]
    label_dtype = None if case.task == "classification" else dtype
    arrays = {}
    for side in sides:
        arrays[side.name] = (
            side.convert(data.X_train, dtype),
            side.convert(data.y_train, label_dtype),
            side.convert(data.X_test, dtype),
            side.convert(data.y_test, label_dtype),
        )
    times = {side.name: [] for side in sides}
    fitted = {}
    load_before = os.getloadavg()[0]
    with thread_limits(threads, torch):
        effective = effective_threads(torch)
        if case.kind == "fit":
            for r in range(repeats):
                for side in h.interleaved(sides, r):
                    X, y, _, _ = arrays[side.name]
                    est, seconds = timed_fit(cls, case.params, X, y, side)
                    times[side.name].append(seconds)
                    fitted.setdefault(side.name, est)
        else:
            X_many = {}
            for side in sides:
                X, y, _, _ = arrays[side.name]
                fitted[side.name] = timed_fit(cls, case.params, X, y, side)[0]
                many = np.resize(data.X_test, (case.n_rows, data.X_test.shape[1]))
                X_many[side.name] = side.convert(many, dtype)
                timed_call(fitted[side.name].predict_proba, X_many[side.name], side)
            n_calls = max(repeats, wl.PREDICT_CALLS[mode]["many_rows"])
            for r in range(n_calls):
                for side in h.interleaved(sides, r):
                    times[side.name].append(
                        timed_call(
                            fitted[side.name].predict_proba, X_many[side.name], side
                        )
                    )
    score, outputs = {}, {}
    for side in sides:
        _, _, X_test, y_test = arrays[side.name]
        score[side.name] = _score(fitted[side.name], X_test, y_test, side)
        outputs[side.name] = _outputs(fitted[side.name], X_test, side)
    base, other = sides[0].name, sides[1].name
    median = {name: float(np.median(t)) for name, t in times.items()}
    return {
        "key": case.key,
        "title": case.title,
        "kind": case.kind,
        "task": case.task,
        "dtype": dtype,
        "threads": threads,
        "threads_effective": effective,
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
        "params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in case.params.items()
        },
        "n_iter": {name: int(est.n_iter_) for name, est in fitted.items()},
        "times_s": times,
        "median_s": median,
        "ratio": median[other] / median[base],
        "score": score,
        "max_abs_diff": float(np.max(np.abs(outputs[other] - outputs[base]))),
        "loadavg_1min": [load_before, os.getloadavg()[0]],
    }


def warm_up(estimators, sides):
    """Pay import and first-call costs (kernels, allocators) before timing."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = {"classification": np.arange(60) % 3, "regression": X[:, 0]}
    for side in sides:
        for dtype in DTYPES:
            for task, cls in estimators.items():
                labels = y[task] if task == "classification" else y[task].astype(dtype)
                for solver in ("sgd", "adam"):
                    est, _ = timed_fit(
                        cls,
                        {"hidden_layer_sizes": (8,), "solver": solver, "max_iter": 2},
                        side.convert(X, dtype),
                        side.convert(labels),
                        side,
                    )
                    _outputs(est, side.convert(X, dtype), side)


def run_all(mode, sides, thread_list, repeats, only, estimators, torch):
    """Run every selected case for every dtype and thread count; return rows."""
    cache = {}
    rows = []
    for case in cases(mode):
        if only and not any(name in case.key for name in only):
            continue
        if case.dataset not in cache:
            log(f"building data set {case.dataset} ...")
            cache[case.dataset] = wl.build_dataset(case.dataset, wl.SIZES[mode])
        for dtype in DTYPES:
            for threads in thread_list:
                row = run_case(
                    case,
                    cache[case.dataset],
                    estimators,
                    sides,
                    dtype,
                    threads,
                    repeats,
                    mode,
                    torch,
                )
                rows.append(row)
                base, other = sides[0].name, sides[1].name
                log(
                    f"  {case.key} {dtype} {threads} thr: "
                    f"{base} {fmt_time(row['median_s'][base])}, "
                    f"{other} {fmt_time(row['median_s'][other])}, "
                    f"ratio {row['ratio']:.2f}, score "
                    f"{row['score'][base]:.4f}/{row['score'][other]:.4f}, "
                    f"max|diff| {row['max_abs_diff']:.1e}"
                )
    return rows


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def markdown_table(rows, sides):
    """The rows as a markdown table (sides[1] / sides[0] is the ratio)."""
    base, other = sides
    head = (
        f"| workload | dtype | threads | epochs | {base.label} | {other.label} "
        f"| ratio {other.label} / {base.label} | score {base.label} "
        f"| score {other.label} | max abs diff | load (1 min) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        n_iter = r["n_iter"]
        epochs = (
            "-"
            if r["kind"] == "predict"
            else (
                str(n_iter[base.name])
                if n_iter[base.name] == n_iter[other.name]
                else f"{n_iter[base.name]}/{n_iter[other.name]}"
            )
        )
        cells = [
            r["title"],
            r["dtype"],
            str(r["threads"]),
            epochs,
            fmt_time(r["median_s"][base.name]),
            fmt_time(r["median_s"][other.name]),
            f"{r['ratio']:.2f}",
            f"{r['score'][base.name]:.4f}",
            f"{r['score'][other.name]:.4f}",
            f"{r['max_abs_diff']:.1e}",
            "/".join(f"{v:.1f}" for v in r["loadavg_1min"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


TABLE_NOTES = """\
Times are medians over the repeats (fits) or calls (predict_proba); the sides \
alternate within a row. ratio < 1: the second side is faster. score = test \
accuracy (classifier) or R² (regressor) of each side's model; max abs diff = \
the largest absolute difference between the two models' test predictions \
(probabilities for the classifier), after the same fit from the same \
random_state. load = the 1-minute load average before/after the row (other \
processes on the cores make timings, above all the all-thread ones, noisy)."""


def header_markdown(info, title, sides, mode, repeats, thread_list):
    """The heading, the machine and the configuration, as markdown lines."""
    ep = wl.EPOCHS[mode]
    lines = [
        f"## {title} ({mode} mode)",
        "",
        h.machine_markdown(info).replace("\n", "  \n"),
        "",
        f"Sides: {', '.join(s.label for s in sides)}; PyTorch "
        f"{info.get('torch', '-')}{info.get('torch_device_note', '')}. "
        f"Repeats {repeats} (median), threads {thread_list}; sizes "
        f"{wl.SIZES[mode]}; epochs: large data sets {ep['reg100']}, digits "
        f"{ep['digits']}, predict model {ep['predict_fit']}.",
    ]
    return "\n".join(lines)


def write_report(out_path, info, config, rows, markdown):
    """Write ``<out>.json`` and ``<out>.md``; return both paths."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    json_path = out_path.with_suffix(".json")
    md_path = out_path.with_suffix(".md")
    report = {"machine": info, "config": config, "rows": rows}
    json_path.write_text(json.dumps(h.jsonable(report), indent=1) + "\n")
    md_path.write_text(markdown + "\n")
    return json_path, md_path


def parse_thread_list(text, n_cores):
    """``'1,all'`` -> ``[1, n_cores]`` (duplicates dropped, order kept)."""
    out = []
    for item in text.split(","):
        n = n_cores if item.strip() == "all" else int(item)
        if n < 1:
            raise ValueError("thread counts are >= 1")
        if n not in out:
            out.append(n)
    return out


def usable_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv, description):
    """The options of ``bench_array_api.py``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="the PyTorch side's device (default: cpu); cuda skips, with "
        "status 0, where no CUDA device is usable",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="20 000-row data sets and fewer epochs (a few minutes on 2 cores)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fits per side and row; the median is reported (default: 3)",
    )
    p.add_argument(
        "--threads",
        default=None,
        help="comma-separated thread counts, 'all' = every usable core "
        "(default: 1,all on the cpu, all with cuda)",
    )
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated names: keep the workloads whose key contains one "
        "(keys: cls100-adam, cls100-sgd, reg100-adam, reg100-sgd, digits-adam, "
        "predict-proba)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="output path; <out>.json and <out>.md are written (default: "
        "benchmarks/results/array_api.json, array_api_quick.json with --quick; "
        "array_api_cuda* with --device cuda)",
    )
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    default_threads = "1,all" if args.device == "cpu" else "all"
    default_stem = "array_api" if args.device == "cpu" else "array_api_cuda"
    try:
        args.thread_list = parse_thread_list(
            args.threads or default_threads, usable_cores()
        )
    except ValueError:
        p.error("--threads takes comma-separated integers >= 1 or 'all'")
    args.only_names = [n for n in (args.only or "").split(",") if n]
    mode = "quick" if args.quick else "full"
    args.mode = mode
    stem = default_stem if mode == "full" else f"{default_stem}_quick"
    args.out_path = Path(args.out) if args.out else RESULTS_DIR / f"{stem}.json"
    return args


def main(args, sides, title, torch, extra_info=None):
    """Run, print the table on stdout, write the JSON and markdown files."""
    estimators, ours_label = h.load_ours(False)
    info = h.machine_info(ours_label)
    info["torch"] = torch.__version__
    info.update(extra_info or {})
    header = header_markdown(
        info, title, sides, args.mode, args.repeats, args.thread_list
    )
    print(header + "\n", flush=True)
    log("warm-up ...")
    warm_up(estimators, sides)
    started = time.perf_counter()
    rows = run_all(
        args.mode,
        sides,
        args.thread_list,
        args.repeats,
        args.only_names,
        estimators,
        torch,
    )
    elapsed = time.perf_counter() - started
    footer = (
        f"Total benchmark time {elapsed:.0f} s; load average at the end "
        + "/".join(f"{v:.2f}" for v in os.getloadavg())
        + "."
    )
    table = markdown_table(rows, sides)
    print(table + "\n\n" + TABLE_NOTES + "\n\n" + footer)
    config = {
        "mode": args.mode,
        "repeats": args.repeats,
        "threads": args.thread_list,
        "only": args.only_names,
        "sides": [s.name for s in sides],
        "sizes": wl.SIZES[args.mode],
        "epochs": wl.EPOCHS[args.mode],
        "elapsed_s": elapsed,
    }
    markdown = "\n\n".join([header, table, TABLE_NOTES, footer])
    paths = write_report(args.out_path, info, config, rows, markdown)
    log("wrote " + " and ".join(str(p) for p in paths))
    return 0
