"""Tabular development benchmark: our tabular MLPs against gradient boosting.

Run from the repository root (needs the ``bench`` extra)::

    python benchmarks/bench_tabular.py                 # all datasets, ~20 min, 2 jobs
    python benchmarks/bench_tabular.py --quick         # smoke test on 600 rows
    python benchmarks/bench_tabular.py --models ours --datasets ames
    python benchmarks/bench_tabular.py --report        # tables from the JSON only

Datasets: ``_tabular_datasets.py``.  Three 75/25 splits (seeds 0, 1, 2;
stratified for classification) per dataset up to 10,000 rows, one above.
Error is 1 - accuracy for classification and RMSE / std(y_test) for
regression.  Models, each fitted on the same splits in the same run:

- ``mlp``: the default ``MLPClassifier`` / ``MLPRegressor`` behind median
  imputation + ``StandardScaler`` for numeric columns and ``OneHotEncoder``
  for categorical ones (regression targets standardised);
- ``gb``: ``HistGradientBoosting*(categorical_features="from_dtype")`` on the
  raw frame (string columns are pandas categories already);
- ``ours``: ``TabularMLPClassifier`` / ``TabularMLPRegressor`` with default
  parameters on the raw frame.

Fits run in ``--jobs`` worker processes with one BLAS thread each.  Records
are merged into ``--out`` (JSON; a rerun replaces the records it redoes),
then the markdown table (``.md``) and the figure (``.png``) are rebuilt from
all records there, with RealMLP-TD's from ``tabular_realmlp.json`` when
present (``bench_tabular_realmlp.py``).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # the datasets, this checkout
from _tabular_datasets import LOADERS, load  # noqa: E402
from _tabular_report import markdown, plot, summarise  # noqa: E402

MODELS = ("ours", "gb", "mlp")
QUICK_ROWS = 600


def make_splits(data, n_splits=3, big=10_000):
    """``(train, test, seed)`` index triples: 75/25, one split above ``big``."""
    from sklearn.model_selection import train_test_split

    n = len(data.y)
    stratify = data.y if data.task == "classification" else None
    splits = []
    for seed in range(n_splits if n <= big else 1):
        train, test = train_test_split(
            np.arange(n), test_size=0.25, random_state=seed, stratify=stratify
        )
        splits.append((np.sort(train), np.sort(test), seed))
    return splits


@lru_cache(maxsize=2)
def _dataset(name, quick):
    from sklearn.model_selection import train_test_split

    data = load(name)
    if quick and len(data.y) > QUICK_ROWS:
        stratify = data.y if data.task == "classification" else None
        keep, _ = train_test_split(
            np.arange(len(data.y)), train_size=QUICK_ROWS, random_state=0,
            stratify=stratify,
        )  # fmt: skip
        data = type(data)(data.name, data.task, data.X.iloc[np.sort(keep)],
                          data.y[np.sort(keep)])  # fmt: skip
    return data


def make_model(model, task, seed, quick=False):
    """The estimator called ``model`` for ``task``, seeded with ``seed``."""
    from sklearn.compose import (
        ColumnTransformer,
        TransformedTargetRegressor,
        make_column_selector,
    )
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    clf = task == "classification"
    if model == "gb":
        cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        return cls(categorical_features="from_dtype", random_state=seed)
    if model == "mlp":
        prep = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             make_column_selector(dtype_exclude="category")),
            ("cat", OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_include="category")),
        ])  # fmt: skip
        if clf:
            return make_pipeline(prep, MLPClassifier(random_state=seed))
        return TransformedTargetRegressor(
            make_pipeline(prep, MLPRegressor(random_state=seed)),
            transformer=StandardScaler(),
        )
    if model == "ours":
        from sk_scratchnet import TabularMLPClassifier, TabularMLPRegressor

        est = (TabularMLPClassifier if clf else TabularMLPRegressor)(random_state=seed)
        return est.set_params(max_epochs=8) if quick else est
    raise ValueError(f"unknown model {model!r}")


def error(task, y_true, y_pred):
    if task == "classification":
        return float(np.mean(np.asarray(y_pred) != y_true))
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2)) / np.std(y_true))


def run_one(name, split, model, quick=False, n_splits=3, params=None):
    """Fit one model on one split; a record (with ``failed`` if it raised)."""
    from threadpoolctl import threadpool_limits

    data = _dataset(name, quick)
    train, test, seed = make_splits(data, n_splits)[split]
    record = {"dataset": name, "task": data.task, "split": split, "model": model,
              "n_train": len(train), "n_features": data.X.shape[1]}  # fmt: skip
    try:
        est = make_model(model, data.task, seed, quick)
        if params:
            est.set_params(**params)
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wall, cpu = time.perf_counter(), time.process_time()
            est.fit(data.X.iloc[train], data.y[train])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pred = est.predict(data.X.iloc[test])
        final = getattr(est, "regressor_", est)
        final = final[-1] if hasattr(final, "steps") else final
        record.update(error=error(data.task, data.y[test], pred), fit_time=wall,
                      cpu_time=cpu, n_iter=getattr(final, "n_iter_", None))  # fmt: skip
        if hasattr(final, "best_epoch_"):
            record["best_epoch"] = int(final.best_epoch_)
    except Exception as exc:  # a fit that raises is a result, not a crash
        record["failed"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    return record


def run_tasks(tasks, sizes, jobs, on_record=None, **kwargs):
    """Run ``(dataset, split, model)`` tasks: split by split, small data first.

    ``on_record(records)`` is called after every finished fit (to save them).
    """
    tasks = sorted(tasks, key=lambda t: (t[1], sizes[t[0]], t[2] != "ours"))
    records = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, *t, **kwargs) for t in tasks]
        for fut in as_completed(futures):
            rec = fut.result()
            records.append(rec)
            print(json.dumps({k: v for k, v in rec.items() if k != "task"}),
                  flush=True)  # fmt: skip
            if on_record is not None:
                on_record(records)
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS))
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=None, help="JSON results file")
    parser.add_argument("--report", action="store_true", help="no fits, tables only")
    args = parser.parse_args()
    for bad, known in ((set(args.datasets) - set(LOADERS), LOADERS),
                       (set(args.models) - set(MODELS), MODELS)):  # fmt: skip
        if bad:
            parser.error(f"unknown {sorted(bad)}; choose from {list(known)}")
    default = "tabular_quick.json" if args.quick else "tabular.json"
    out = Path(args.out or HERE / "results" / default)
    sizes = {d: len(_dataset(d, args.quick).y) for d in args.datasets}
    n_splits = {d: args.splits if n <= 10_000 else 1 for d, n in sizes.items()}
    tasks = [(d, s, m) for d in args.datasets for m in args.models
             for s in range(n_splits[d]) if not args.report]  # fmt: skip
    old = json.loads(out.read_text()) if out.exists() else {"records": [], "runs": []}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    run = {"argv": sys.argv[1:], "commit": commit, "n_fits": len(tasks),
           "machine": platform.processor() or platform.machine(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
    start = time.perf_counter()

    def save(new):
        key = lambda r: (r["dataset"], r["split"], r["model"])  # noqa: E731
        done = {key(r) for r in new}
        records = [r for r in old["records"] if key(r) not in done] + new
        run.update(wall_s=time.perf_counter() - start, n_done=len(new))
        runs = old["runs"] + ([run] if tasks else [])
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"records": records, "runs": runs}, indent=1))
        return records

    new = run_tasks(tasks, sizes, args.jobs, on_record=save, quick=args.quick,
                    n_splits=args.splits)  # fmt: skip
    records = save(new)
    print(f"{len(tasks)} fits in {run['wall_s']:.0f} s wall with {args.jobs} jobs")
    summary = summarise(records)
    models = [m for m in MODELS if any(m in row for row in summary.values())]
    history = json.loads(out.read_text())["runs"]
    text = "Runs merged here (arguments, commit, date, wall time):\n\n" + "".join(
        f"- `{' '.join(r['argv']) or '(defaults)'}` at {r.get('commit', '?')}, "
        f"{r['date']}, {r['wall_s']:.0f} s\n"
        for r in history
    )
    text += "\n" + markdown(summary, models)
    realmlp = out.with_name("tabular_realmlp.json")
    if realmlp.exists() and not args.quick:
        both = records + json.loads(realmlp.read_text())["records"]
        names = {r["dataset"] for r in both if r["model"] == "realmlp_td"}
        summary_r = summarise([r for r in both if r["dataset"] in names])
        text += "\nOn the splits RealMLP-TD was run on:\n\n"
        text += markdown(summary_r, [*models, "realmlp_td"])
    out.with_suffix(".md").write_text(text)
    plot(summary, models, out.with_suffix(".png"))
    print(text)


if __name__ == "__main__":
    main()
