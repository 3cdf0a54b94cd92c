"""The BLAS thread count our estimators choose, against one thread and all threads.

Run from the repository root::

    python benchmarks/bench_threads.py              # 5 rounds, 0/1/3 busy processes
    python benchmarks/bench_threads.py --rounds 3 --busy 0,1 --only digits

Each workload (a fit or a predict, small and large) runs in three modes:

* ``chosen``: the default, the count ``sk_scratchnet._threads`` chooses from
  the problem's size (one BLAS thread below its threshold, the process's
  threads above it);
* ``one``: the whole call inside ``threadpool_limits(1)``, as
  ``OPENBLAS_NUM_THREADS=1`` runs it;
* ``all``: the choice switched off, so every product may use all the
  threads (what a fit did before the choice existed).

and under three loads: no other process, one and three other busy processes
(``python -c "while True: pass"``; one process per busy core), started before
the rounds of that load and stopped after them.  The modes of a round run in
rotated order; the table gives median wall times and the ratios to ``one``
(below 1: faster than one thread) and the CPU seconds the process used.
Output: the markdown table on stdout (progress on stderr) and
``benchmarks/results/threads.md`` and ``.json`` (``--out`` elsewhere).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import warnings

import _harness as h
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

MODES = ("chosen", "one", "all")


def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _wide(n_rows, n_features=784, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features))
    return X, rng.integers(0, 10, n_rows)


def workloads(classifier):
    """``name -> (description, make)``; ``make()`` returns the call to time."""

    def fit(X, y, **params):
        def call():
            return classifier(random_state=0, **params).fit(X, y)

        return call

    def predict(X, y, n_calls, **params):
        model = classifier(random_state=0, max_iter=2, **params).fit(X, y)

        def call():
            for _ in range(n_calls):
                model.predict_proba(X)

        return call

    return {
        "digits-fit": (
            "load_digits, (100,), 40 epochs (tol=0), batch 200: products of 1.3 M",
            lambda: fit(*_digits(), max_iter=40, tol=0.0),
        ),
        "digits-predict": (
            "predict_proba of 1 797 rows, (100,), 50 calls: products of 8.4 M",
            lambda: predict(*_digits(), 50),
        ),
        "mid-fit": (
            "4 000 x 784, (256,), 3 epochs, batch 200: products of 40 M "
            "(the largest below the threshold)",
            lambda: fit(*_wide(4000), hidden_layer_sizes=(256,), max_iter=3, tol=0),
        ),
        "large-fit": (
            "4 000 x 784, (1024,), 3 epochs, batch 200: products of 161 M",
            lambda: fit(*_wide(4000), hidden_layer_sizes=(1024,), max_iter=3, tol=0),
        ),
        "large-predict": (
            "predict_proba of 20 000 x 784 rows, (1024,), 2 calls: products of 103 M",
            lambda: predict(*_wide(20_000), 2, hidden_layer_sizes=(1024,)),
        ),
    }


def run_mode(call, mode, threads_module):
    """Wall and CPU seconds of ``call()`` in ``mode``."""
    saved = threads_module.SERIAL_BELOW
    if mode == "all":
        threads_module.SERIAL_BELOW = 0  # never one thread
    try:
        with threadpool_limits(limits=1 if mode == "one" else None, user_api="blas"):
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        threads_module.SERIAL_BELOW = saved


def busy_processes(n):
    code = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def measure(calls, busy_counts, rounds, threads_module):
    rows = []
    for n_busy in busy_counts:
        others = busy_processes(n_busy)
        try:
            time.sleep(0.5)  # let them start spinning
            for name, call in calls.items():
                times = {m: [] for m in MODES}
                for r in range(rounds):
                    for mode in h.rotated(list(MODES), r):
                        times[mode].append(run_mode(call, mode, threads_module))
                med = {
                    m: (
                        statistics.median(w for w, _ in times[m]),
                        statistics.median(c for _, c in times[m]),
                    )
                    for m in MODES
                }
                rows.append({"busy": n_busy, "workload": name, "median": med})
                h.log(
                    f"busy {n_busy} {name}: "
                    + ", ".join(f"{m} {h.fmt_time(med[m][0])}" for m in MODES)
                )
        finally:
            for p in others:
                p.kill()
                p.wait()
    return rows


def table(rows, descriptions):
    lines = [
        "| other busy processes | workload | chosen | one thread | all threads "
        "| chosen / one | all / one | CPU s chosen / one / all |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        med = row["median"]
        one = med["one"][0]
        lines.append(
            f"| {row['busy']} | {row['workload']} | {h.fmt_time(med['chosen'][0])} "
            f"| {h.fmt_time(one)} | {h.fmt_time(med['all'][0])} "
            f"| {med['chosen'][0] / one:.2f} | {med['all'][0] / one:.2f} "
            f"| {' / '.join(f'{med[m][1]:.2f}' for m in MODES)} |"
        )
    lines.append("")
    lines += [f"* {name}: {text}" for name, text in descriptions.items()]
    lines.append(
        "* CPU s: the process's CPU time during the call, median; the BLAS's "
        "threads count too, also while they spin on after the mode before"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--busy", default="0,1,3", help="busy-process counts")
    parser.add_argument("--only", default="", help="comma-separated name parts")
    parser.add_argument("--out", default=str(h.RESULTS_DIR / "threads.md"))
    args = parser.parse_args(argv)
    ours, label = h.load_ours(False)
    from sk_scratchnet import _threads

    specs = workloads(ours["classification"])
    wanted = [w for w in args.only.split(",") if w]
    specs = {
        k: v for k, v in specs.items() if not wanted or any(w in k for w in wanted)
    }
    if not specs:
        sys.exit(f"--only {args.only!r} matches none of {sorted(workloads(None))}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    info = h.machine_info(label)
    calls = {name: make() for name, (_, make) in specs.items()}
    for call in calls.values():  # first-call costs out of the timings
        call()
    busy = [int(b) for b in args.busy.split(",")]
    rows = measure(calls, busy, args.rounds, _threads)
    descriptions = {name: text for name, (text, _) in specs.items()}
    text = "\n\n".join(
        [
            f"# BLAS threads: chosen by size, one, all ({args.rounds} rounds, medians)",
            h.machine_markdown(info),
            f"Threshold: one BLAS thread below {_threads.SERIAL_BELOW:,} "
            "multiply-adds in a call's largest matrix product (and above "
            f"{_threads.ALREADY_SERIAL:,}).",
            table(rows, descriptions),
        ]
    )
    print(text)
    h.write_report(
        args.out, text, {"machine": info, "rounds": args.rounds, "rows": rows}
    )


if __name__ == "__main__":
    main()
