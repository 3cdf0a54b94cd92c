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
``SCIPY_ARRAY_API=1`` before any import.  The paths (``_paired_cases.py``)
are workloads of ``bench_vs_sklearn.py`` and ``_workloads.py``, on
``load_digits`` (classifier) and ``load_diabetes`` (regressor); a per-call
path's time in a round is the median of its calls there.
"""

from __future__ import annotations

import os

# the same scipy configuration as the test suite's array API runs
os.environ["SCIPY_ARRAY_API"] = "1"

import argparse
import gc
import sys
import tempfile
import time
import warnings
from pathlib import Path

import _harness as h
import _paired_import as twin
import _paired_report as report
import numpy as np
import sklearn
from _paired_cases import SIDES, build_cases, select
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

PACKAGE = twin.PACKAGE


def measure(cases, estimators, rounds):
    """Every round, every path: the three sides back to back, order rotated."""
    raw = {c.key: {side: {"s": [], "digest": []} for side in SIDES} for c in cases}
    started = time.perf_counter()
    for r in range(rounds):
        for case in cases:
            for side in h.rotated(SIDES, r):
                gc.collect()
                seconds, digest = case.run(estimators[side][case.task])
                raw[case.key][side]["s"].append(seconds)
                raw[case.key][side]["digest"].append(digest)
        elapsed = time.perf_counter() - started
        h.log(f"round {r + 1}/{rounds}: load {os.getloadavg()[0]:.2f}, {elapsed:.0f} s")
    return raw


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
    cases = select(build_cases("quick" if args.quick else "full"), only)
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
    rows = [report.summarise(c, raw[c.key]) for c in cases]
    text = report.markdown(rows, labels, meta)
    print(text)
    if args.out:
        h.write_report(args.out, text, {"meta": meta, "rows": rows, "rounds": raw})
    return 0


if __name__ == "__main__":
    sys.exit(main())
