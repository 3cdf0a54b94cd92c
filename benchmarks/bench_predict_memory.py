"""Peak memory of predict_proba on a large input, ours beside MLPClassifier.

Each measurement runs in a fresh subprocess, so one estimator's allocations
cannot hide or inflate the other's. The child fits a small model (on 5 000
rows), fills X (default 2 000 000 x 100) in place block by block, resets the
kernel's peak-RSS counter (``/proc/self/clear_refs``; on systems without it the
lifetime peak ``ru_maxrss`` is used and the figure is an upper bound), then
calls ``predict_proba`` once and reports:

* extra peak RSS: peak resident memory during the call minus the resident
  memory just before it (this includes the returned probabilities);
* the same as a percentage of the input's size;
* the peak of NumPy/Python allocations during the call (tracemalloc), which
  leaves out BLAS's internal buffers.

The table is printed and, with the settings and library versions, written as
JSON to ``benchmarks/results/predict_memory.json`` (``--out`` to change it).

    python benchmarks/bench_predict_memory.py
    python benchmarks/bench_predict_memory.py --n-samples 200000 --dtype float32
"""

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import _harness as h
import numpy as np

ESTIMATORS = ["sk_scratchnet", "sklearn"]
MB = 1024**2
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "predict_memory.json"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2_000_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100])
    parser.add_argument(
        "--dtype", nargs="+", default=["float64", "float32"], help="X dtypes"
    )
    parser.add_argument("--estimators", nargs="+", default=ESTIMATORS)
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="JSON file for the results (default: results/predict_memory.json)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# child: one estimator, one dtype
# --------------------------------------------------------------------------


def _make_estimator(name, hidden):
    params = {"hidden_layer_sizes": tuple(hidden), "max_iter": 5, "random_state": 0}
    if name == "sk_scratchnet":
        from sk_scratchnet import ScratchMLPClassifier

        return ScratchMLPClassifier(**params)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(**params)


def run_child(args):
    from sklearn.exceptions import ConvergenceWarning

    (name,) = args.estimators
    (dtype,) = args.dtype
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(args.n_features, args.n_classes))
    X_fit = rng.standard_normal((5_000, args.n_features), dtype=dtype)
    y_fit = np.argmax(X_fit @ teacher, axis=1)
    est = _make_estimator(name, args.hidden)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_fit, y_fit)

    X = np.empty((args.n_samples, args.n_features), dtype=dtype)
    block = 100_000
    for start in range(0, args.n_samples, block):
        rng.standard_normal(out=X[start : start + block], dtype=dtype)
    del X_fit, y_fit
    gc.collect()

    rss_before_kb = h.proc_status_kib("VmRSS")
    exact = h.reset_peak_rss() and rss_before_kb is not None
    if not exact:
        rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    proba = est.predict_proba(X)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_kb = h.peak_rss_kib(exact)

    result = {
        "estimator": name,
        "dtype": dtype.name,
        "input_bytes": X.nbytes,
        "output_bytes": proba.nbytes,
        "output_dtype": proba.dtype.name,
        "extra_peak_rss_bytes": (peak_kb - rss_before_kb) * 1024,
        "traced_peak_bytes": traced_peak,
        "seconds": seconds,
        "exact_peak": exact,
        "finite": bool(np.isfinite(proba).all()),
    }
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# parent: one child per (estimator, dtype), then a table
# --------------------------------------------------------------------------


def run_one(args, name, dtype):
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--estimators",
        name,
        "--dtype",
        dtype,
        "--n-samples",
        str(args.n_samples),
        "--n-features",
        str(args.n_features),
        "--n-classes",
        str(args.n_classes),
        "--hidden",
        *map(str, args.hidden),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    return {"estimator": name, "dtype": dtype, "error": " | ".join(tail)}


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        run_child(args)
        return
    print(
        f"predict_proba on {args.n_samples:,} x {args.n_features} "
        f"(hidden={tuple(args.hidden)}, {args.n_classes} classes), "
        "one subprocess per row"
    )
    header = (
        f"{'estimator':<14}{'X dtype':<9}{'input MB':>10}{'output MB':>11}"
        f"{'extra peak MB':>15}{'% of input':>12}{'traced MB':>11}{'seconds':>9}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for dtype in args.dtype:
        for name in args.estimators:
            res = run_one(args, name, dtype)
            results.append(res)
            if "error" in res:
                print(f"{name:<14}{dtype:<9}  failed: {res['error']}")
                continue
            extra = res["extra_peak_rss_bytes"]
            mark = "" if res["exact_peak"] else " (upper bound)"
            print(
                f"{name:<14}{dtype:<9}{res['input_bytes'] / MB:>10.0f}"
                f"{res['output_bytes'] / MB:>11.0f}{extra / MB:>15.0f}"
                f"{100 * extra / res['input_bytes']:>11.1f}%"
                f"{res['traced_peak_bytes'] / MB:>11.0f}{res['seconds']:>9.2f}{mark}"
            )
    by_key = {(r["estimator"], r["dtype"]): r for r in results if "error" not in r}
    for dtype in args.dtype:
        ours = by_key.get(("sk_scratchnet", dtype))
        theirs = by_key.get(("sklearn", dtype))
        if ours and theirs and ours["extra_peak_rss_bytes"] > 0:
            ratio = theirs["extra_peak_rss_bytes"] / ours["extra_peak_rss_bytes"]
            print(f"{dtype}: MLPClassifier needs {ratio:.1f}x our extra peak memory")
    write_results(args, results)


def write_results(args, results):
    """Store the settings, the library versions and every row of the table."""
    import sklearn

    import sk_scratchnet

    record = {
        "benchmark": "predict_proba peak memory",
        "settings": {
            "n_samples": args.n_samples,
            "n_features": args.n_features,
            "n_classes": args.n_classes,
            "hidden": list(args.hidden),
            "dtypes": list(args.dtype),
            "estimators": list(args.estimators),
        },
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "sk_scratchnet": sk_scratchnet.__version__,
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
