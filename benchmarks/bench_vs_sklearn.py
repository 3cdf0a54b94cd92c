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
import sys
import time

import _harness as h
import _vs_sklearn_report as report
import _vs_sklearn_runs as runs
import _workloads as wl


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
    runs.add_memory_child_options(p)  # the peak-memory subprocess's options
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


def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        runs.memory_child(args)
        return 0
    mode = "quick" if args.quick else "full"
    ours_cls, ours_label = h.load_ours(args.sklearn_both)
    info = h.machine_info(ours_label)
    sizes, epochs = wl.SIZES[mode], wl.EPOCHS[mode]
    data_for = runs.dataset_loader(sizes)
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
    threads = args.thread_list
    if args.profile:
        top = args.profile_top
        runs.run_profile(workloads, data_for, ours_cls, threads[0], args.profile, top)
        return 0

    print(report.header(mode, info, args.repeats, threads, epochs, sizes), flush=True)
    h.warm_up(ours_cls)
    rows = []
    started = time.perf_counter()
    for w in workloads:
        data = data_for(w.dataset)
        rows += [runs.run_fit(w, data, ours_cls, t, args.repeats) for t in threads]
    for t in threads:
        rows += runs.run_small(small, data_for, ours_cls, mode, t)
    if 6 in args.workload_numbers and selected("6-predict", args):
        for t in threads:
            rows += runs.run_predict(data_for("cls100"), ours_cls, t, mode)
    if 7 in args.workload_numbers and selected("7-memory", args):
        rows += runs.run_memory(data_for("cls784"), mode, args.sklearn_both)
    elapsed = time.perf_counter() - started
    print(report.results_text(rows, elapsed))

    stem = args.out or (
        "bench_small" if args.small else "bench_quick" if args.quick else "bench"
    )
    config = {
        "mode": mode,
        "repeats": args.repeats,
        "threads": threads,
        "workloads": args.workload_numbers,
        "only": args.only_names,
        "epochs": epochs,
        "sizes": sizes,
        "predict_calls": wl.PREDICT_CALLS[mode],
        "elapsed_s": elapsed,
    }
    report.write_results(stem, info, config, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
