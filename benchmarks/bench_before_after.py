"""NumPy-path timings of two source trees of sk_scratchnet, measured in one run.

Run from the repository root, naming a checkout of an older commit (for
instance one made with ``git worktree add OLD_TREE <commit>``)::

    python benchmarks/bench_before_after.py --old OLD_TREE --rounds 5 \
        --out benchmarks/results/before_after.md

``--new`` defaults to the repository this script lives in.  Only the package
of each tree is imported from it (``sk_scratchnet/``); the old tree needs no
benchmark files of its own.  Every round starts
one subprocess per tree, alternating their order from round to round, with
``PYTHONPATH=<tree>`` so that ``import sk_scratchnet`` loads that tree (the
child checks it).  Each subprocess runs on one BLAS thread
(``threadpoolctl``) and times, on NumPy arrays, our estimator and
scikit-learn's ``MLPClassifier``/``MLPRegressor`` interleaved in the same
process:

* ``load_digits`` fits, (100,): adam and sgd (100 epochs), lbfgs (200
  iterations), the best of ``--fits`` fits;
* ``partial_fit`` per 200-row chunk and ``fit`` on 50 rows with
  ``max_iter=1`` (the fixed costs), ``predict_proba`` on 10 000 rows and
  ``predict_proba``/``predict`` on 1 row of a (100,) digits model: medians of
  the calls;
* the regressor: ``load_diabetes`` lbfgs and ``make_friedman1`` adam.

The report gives per path the medians over the rounds of both trees' times
and of the per-round ratios ours / scikit-learn (same process, same moment)
and new / old, and whether the fitted weights of the two trees are bitwise
equal.  ``SCIPY_ARRAY_API=1`` is set in every subprocess (both trees see the
same scipy).  The harness (data, parameters, timing) is this script and
``_workloads.py``/``bench_vs_sklearn.py`` beside it, the same for both trees.
"""

from __future__ import annotations

import os

# the same scipy configuration in both trees (the array API tree's tests set it)
os.environ["SCIPY_ARRAY_API"] = "1"

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD_FLAG = "--_child"

# (key, title, MLP name of the comparison)
PATHS = (
    ("digits-adam", "`fit` digits, adam (100,), 100 epochs", "MLPClassifier"),
    ("digits-sgd", "`fit` digits, sgd (100,), 100 epochs", "MLPClassifier"),
    ("digits-lbfgs", "`fit` digits, lbfgs (100,), 200 iterations", "MLPClassifier"),
    ("partial-fit-200", "`partial_fit` per 200-row chunk of digits", "MLPClassifier"),
    ("fit-50-rows", "`fit` on 50 rows, `max_iter=1`", "MLPClassifier"),
    ("predict-proba-10000", "`predict_proba`, 10 000 rows, (100,)", "MLPClassifier"),
    ("predict-proba-1", "`predict_proba`, 1 row, (100,)", "MLPClassifier"),
    ("predict-1", "`predict`, 1 row, (100,)", "MLPClassifier"),
    ("diabetes-lbfgs", "regressor `fit` diabetes, lbfgs (100,)", "MLPRegressor"),
    ("friedman-adam", "regressor `fit` friedman1, adam (100,)", "MLPRegressor"),
)


# --------------------------------------------------------------------------
# Child: one tree, one round
# --------------------------------------------------------------------------


def _digest(est):
    """SHA-1 of the fitted weights: equal digests = bitwise equal models."""
    h = hashlib.sha1()
    for a in (*est.coefs_, *est.intercepts_):
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _friedman():
    """make_friedman1 (1000 rows), split, standardised with the training stats."""
    from sklearn.datasets import make_friedman1
    from sklearn.model_selection import train_test_split

    X, y = make_friedman1(n_samples=1000, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    y_mu, y_sd = y_train.mean(), y_train.std()
    return (
        (X_train - mu) / sd,
        (X_test - mu) / sd,
        (y_train - y_mu) / y_sd,
        (y_test - y_mu) / y_sd,
    )


def child(n_fits):
    """Time every path for ours and scikit-learn's MLP; print one JSON line."""
    import _workloads as wl
    import bench_vs_sklearn as bvs
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from threadpoolctl import threadpool_limits

    import sk_scratchnet
    from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)
    sides = {
        "classification": {"ours": ScratchMLPClassifier, "theirs": MLPClassifier},
        "regression": {"ours": ScratchMLPRegressor, "theirs": MLPRegressor},
    }
    sizes = wl.SIZES["quick"]
    digits = wl.build_dataset("digits", sizes)
    diabetes = wl.build_dataset("diabetes", sizes)
    friedman = _friedman()
    common = {"hidden_layer_sizes": (100,), "random_state": 0, "tol": 0.0}

    def stochastic(epochs, **kw):
        return {**common, "max_iter": epochs, "n_iter_no_change": epochs, **kw}

    [diabetes_params] = [
        w.params for w in wl.regression_workloads("full") if w.key == "9-diabetes-lbfgs"
    ]
    fits = {
        "digits-adam": ("classification", digits, stochastic(100, solver="adam")),
        "digits-sgd": (
            "classification",
            digits,
            stochastic(100, solver="sgd", learning_rate_init=0.1),
        ),
        "digits-lbfgs": (
            "classification",
            digits,
            {**common, "solver": "lbfgs", "max_iter": 200},
        ),
        "diabetes-lbfgs": ("regression", diabetes, diabetes_params),
        "friedman-adam": (
            "regression",
            friedman,
            stochastic(100, solver="adam", learning_rate_init=0.01),
        ),
    }
    out = {"module": str(Path(sk_scratchnet.__file__).resolve()), "paths": {}}
    with threadpool_limits(limits=1):
        out["blas_threads"] = bvs.numpy_blas().get("num_threads")
        bvs.warm_up(
            {"classification": ScratchMLPClassifier, "regression": ScratchMLPRegressor}
        )
        for key, (task, data, params) in fits.items():
            if isinstance(data, tuple):
                X, X_test, y, y_test = data
            else:
                X, X_test, y, y_test = (
                    data.X_train,
                    data.X_test,
                    data.y_train,
                    data.y_test,
                )
            times = {"ours": [], "theirs": []}
            models = {}
            for _ in range(n_fits):
                for side, cls in sides[task].items():
                    est, seconds = bvs.timed_fit(cls, params, X, y)
                    times[side].append(seconds)
                    models[side] = est
            out["paths"][key] = {
                "s": {side: min(t) for side, t in times.items()},
                "score": {s: float(m.score(X_test, y_test)) for s, m in models.items()},
                "digest": _digest(models["ours"]),
                "n_iter": {s: int(m.n_iter_) for s, m in models.items()},
            }
        cls_sides = sides["classification"]
        classes = np.unique(digits.y_train)
        per_call = {key: {"ours": [], "theirs": []} for key, _, _ in PATHS[3:8]}
        models = {}
        for side, cls in cls_sides.items():
            params = {**bvs.SMALL_PARAMS, "max_iter": 20}
            models[side] = bvs.timed_fit(cls, params, digits.X_train, digits.y_train)[0]
        X_many = np.ascontiguousarray(np.resize(digits.X_test, (10_000, 64)))
        X_one = np.ascontiguousarray(digits.X_test[:1])
        for _ in range(2):  # two blocks per side, interleaved
            for side, cls in cls_sides.items():
                model = models[side]
                per_call["partial-fit-200"][side] += bvs._partial_fit_calls(
                    cls, digits, classes
                )
                per_call["fit-50-rows"][side] += bvs._fit_small_calls(cls, digits, 10)
                per_call["predict-proba-10000"][side] += bvs._call_times(
                    model.predict_proba, X_many, 4
                )
                per_call["predict-proba-1"][side] += bvs._call_times(
                    model.predict_proba, X_one, 100
                )
                per_call["predict-1"][side] += bvs._call_times(
                    model.predict, X_one, 100
                )
        for key, times in per_call.items():
            out["paths"][key] = {
                "s": {side: float(np.median(t)) for side, t in times.items()},
                "score": None,
                "digest": _digest(models["ours"]) if key.startswith("predict") else "",
            }
    print(json.dumps(out))


# --------------------------------------------------------------------------
# Parent: alternate the trees, aggregate, report
# --------------------------------------------------------------------------


def tree_label(tree):
    """The last commit of ``tree`` that changed the package, ``+dirty`` if edited."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "log", "-1", "--format=%h", "--", "sk_scratchnet"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "sk_scratchnet"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return Path(tree).name
    return commit + ("+dirty" if dirty else "")


def run_child(tree, n_fits):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(tree), env.get("PYTHONPATH", "")) if p
    )
    cmd = [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, str(n_fits)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"the subprocess for {tree} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(result["module"]).is_relative_to(Path(tree).resolve()):
        sys.exit(
            f"PYTHONPATH={tree} imported sk_scratchnet from {result['module']}; "
            "is the tree a checkout of this repository?"
        )
    return result


def _fmt(seconds):
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def aggregate(results):
    """Per path: medians over rounds of times and of same-round ratios."""
    rows = []
    for key, title, mlp in PATHS:
        per = {t: [r["paths"][key] for r in results[t]] for t in ("old", "new")}
        med = {
            t: {
                s: statistics.median(p["s"][s] for p in per[t])
                for s in ("ours", "theirs")
            }
            for t in per
        }
        ratio = {
            t: statistics.median(p["s"]["ours"] / p["s"]["theirs"] for p in per[t])
            for t in per
        }
        new_old = statistics.median(
            n["s"]["ours"] / o["s"]["ours"]
            for n, o in zip(per["new"], per["old"], strict=True)
        )
        digests = {p["digest"] for t in per for p in per[t]}
        rows.append(
            {
                "key": key,
                "title": title,
                "mlp": mlp,
                "median_s": med,
                "ratio_vs_mlp": ratio,
                "new_over_old": new_old,
                "bitwise_equal": None if digests == {""} else len(digests) == 1,
                "score": {t: per[t][0]["score"] for t in per},
                "rounds": {t: [p["s"] for p in per[t]] for t in per},
            }
        )
    return rows


def markdown(rows, labels, meta):
    old, new = labels["old"], labels["new"]
    lines = [
        f"## NumPy path before ({old}) and after ({new}), one run",
        "",
        f"{meta['rounds']} rounds, old and new trees alternating in subprocesses "
        f"(order swapped every round), one BLAS thread, best of {meta['fits']} "
        "fits per round for the fits and medians of the calls for the per-call "
        "paths; each subprocess times ours and scikit-learn's MLP interleaved. "
        "Times and ratios are medians over the rounds; a ratio is taken within "
        "one round (same process for ours / MLP, adjacent subprocesses for "
        "new / old). Load average (1/5/15 min) at the start "
        + "/".join(f"{v:.2f}" for v in meta["load_start"])
        + ", at the end "
        + "/".join(f"{v:.2f}" for v in meta["load_end"])
        + f"; {meta['elapsed_s']:.0f} s in all. numpy {meta['numpy']}, "
        f"scikit-learn {meta['sklearn']}, {meta['cpu']}.",
        "",
        f"| path | {old} ours | MLP | ratio {old} | {new} ours | MLP | ratio {new} "
        f"| {new} / {old} | same weights |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["median_s"]
        equal = {True: "bitwise", False: "no", None: "-"}[r["bitwise_equal"]]
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r['title']} (vs {r['mlp']})",
                    _fmt(m["old"]["ours"]),
                    _fmt(m["old"]["theirs"]),
                    f"{r['ratio_vs_mlp']['old']:.2f}",
                    _fmt(m["new"]["ours"]),
                    _fmt(m["new"]["theirs"]),
                    f"{r['ratio_vs_mlp']['new']:.2f}",
                    f"{r['new_over_old']:.2f}",
                    equal,
                ]
            )
            + " |"
        )
    lines += [
        "",
        "ratio = ours / scikit-learn's MLP in the same subprocess (lower is "
        f"better); {new} / {old} = our time in the new tree over the old one "
        "(> 1: slower). same weights: the fitted coefs_/intercepts_ of both trees "
        "(every round) have equal bytes; for the predict paths, those of the model "
        "that predicts.",
    ]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time the NumPy paths of two sk_scratchnet trees in one run."
    )
    p.add_argument("--old", required=True, help="the older tree (a checkout)")
    p.add_argument(
        "--new", default=str(REPO_ROOT), help="the newer tree (default: this one)"
    )
    p.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    p.add_argument(
        "--fits", type=int, default=2, help="fits per round, the best kept (default: 2)"
    )
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated names: report the paths whose key contains one "
        "(keys: " + ", ".join(key for key, _, _ in PATHS) + "); all are timed",
    )
    p.add_argument(
        "--out",
        default=None,
        help="markdown output path; a .json of the raw rounds is written beside it",
    )
    args = p.parse_args(argv)
    if args.rounds < 1 or args.fits < 1:
        p.error("--rounds and --fits must be >= 1")
    return args


def main(argv=None):
    if len(sys.argv) > 1 and sys.argv[1] == CHILD_FLAG:
        child(int(sys.argv[2]))
        return 0
    args = parse_args(argv)
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    labels = {t: tree_label(path) for t, path in trees.items()}
    results = {"old": [], "new": []}
    loads = []
    load_start = os.getloadavg()
    started = time.perf_counter()
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for t in order:
            loads.append(os.getloadavg()[0])
            results[t].append(run_child(trees[t], args.fits))
            print(
                f"round {r + 1}/{args.rounds} {t}: load {loads[-1]:.2f}",
                file=sys.stderr,
                flush=True,
            )
    import numpy as np
    import sklearn
    from bench_vs_sklearn import cpu_model

    meta = {
        "rounds": args.rounds,
        "fits": args.fits,
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "load_per_subprocess": loads,
        "elapsed_s": time.perf_counter() - started,
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "cpu": cpu_model(),
        "labels": labels,
    }
    rows = aggregate(results)
    only = [n for n in (args.only or "").split(",") if n]
    rows = [r for r in rows if not only or any(n in r["key"] for n in only)]
    text = markdown(rows, labels, meta)
    print(text)
    if args.out:
        write_report(args.out, text, {"meta": meta, "rows": rows})
    return 0


def write_report(path, text, report):
    """Write the markdown ``text`` to ``path`` and ``report`` as JSON beside it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
