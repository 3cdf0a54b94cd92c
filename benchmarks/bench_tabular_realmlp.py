"""pytabkit's RealMLP-TD on the tabular development datasets, for reference.

RealMLP-TD ("Better by Default: Strong Pre-Tuned MLPs and Boosted Trees on
Tabular Data", Holzmueller, Grinsztajn and Steinwart, NeurIPS 2024) needs
PyTorch and Lightning, which must never enter the project's environment, so
it runs in a separate virtual environment::

    python3 -m venv VENV
    VENV/bin/pip install "torch==2.13.0+cpu" pytabkit

Then, from the repository root, with the project's own environment::

    python benchmarks/bench_tabular_realmlp.py --python VENV/bin/python \
        --datasets mlc_churn credit_data ames --splits 1

The datasets and splits are those of ``bench_tabular.py`` (same seeds).  This
process prepares each split and hands it to a worker process started with the
other interpreter (``--worker``), which fits ``RealMLP_TD_Classifier`` /
``RealMLP_TD_Regressor`` on the CPU with one torch thread (missing numeric
values imputed by the training medians: it refuses NaN) and reports the test
error, the wall time and the CPU time (``time.process_time``) of ``fit``.
Results go to ``benchmarks/results/tabular_realmlp.json`` (merged with the
records already there, keyed by dataset and split).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _frame_to_columns(frame):
    """A DataFrame as ``{name: (kind, values)}`` of plain NumPy arrays."""
    columns = {}
    for col in frame.columns:
        s = frame[col]
        if str(s.dtype) == "category":
            values = np.array([None if v != v else str(v) for v in s], dtype=object)
            columns[col] = ("category", values)
        else:
            columns[col] = ("numeric", s.to_numpy(dtype=np.float64, na_value=np.nan))
    return columns


def _columns_to_frame(columns):
    import pandas as pd

    data = {}
    for col, (kind, values) in columns.items():
        data[col] = pd.Categorical(values) if kind == "category" else values
    return pd.DataFrame(data)


def worker(path_in, path_out):
    import torch

    torch.set_num_threads(1)
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    with open(path_in, "rb") as f:
        job = pickle.load(f)
    X_train = _columns_to_frame(job["X_train"])
    X_test = _columns_to_frame(job["X_test"])
    # RealMLP-TD refuses NaN in numeric columns: impute the training medians.
    medians = X_train.select_dtypes("number").median()
    X_train, X_test = X_train.fillna(medians), X_test.fillna(medians)
    cls = RealMLP_TD_Classifier if job["task"] == "classification" else None
    model = (cls or RealMLP_TD_Regressor)(
        device="cpu", random_state=job["seed"], n_threads=1, verbosity=0
    )
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, job["y_train"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pred = model.predict(X_test)
    y_test = job["y_test"]
    if job["task"] == "classification":
        error = float(np.mean(np.asarray(pred).astype(str) != y_test))
    else:
        pred = np.asarray(pred, dtype=np.float64).reshape(y_test.shape)
        error = float(np.sqrt(np.mean((pred - y_test) ** 2)) / np.std(y_test))
    out = {"error": error, "fit_time": wall, "cpu_time": cpu}
    out["versions"] = {"torch": torch.__version__}
    Path(path_out).write_text(json.dumps(out))


def main():
    sys.path.insert(0, str(HERE))
    from _tabular_datasets import LOADERS, load
    from bench_tabular import make_splits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the pytabkit interpreter")
    parser.add_argument("--datasets", nargs="+", default=["mlc_churn", "ames"])
    parser.add_argument("--splits", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "tabular_realmlp.json"))
    args = parser.parse_args()
    unknown = set(args.datasets) - set(LOADERS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}")
    out = Path(args.out)
    records = json.loads(out.read_text())["records"] if out.exists() else []
    for name in args.datasets:
        data = load(name)
        for split, (train, test, seed) in enumerate(make_splits(data, args.splits)):
            job = {
                "task": data.task,
                "seed": seed,
                "X_train": _frame_to_columns(data.X.iloc[train]),
                "X_test": _frame_to_columns(data.X.iloc[test]),
                "y_train": data.y[train],
                "y_test": data.y[test],
            }
            with tempfile.TemporaryDirectory() as tmp:
                path_in, path_out = Path(tmp, "job.pkl"), Path(tmp, "out.json")
                path_in.write_bytes(pickle.dumps(job))
                cmd = [args.python, __file__, "--worker", str(path_in), str(path_out)]
                env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
                subprocess.run(cmd, check=True, env=env)
                result = json.loads(path_out.read_text())
            record = {"dataset": name, "split": split, "model": "realmlp_td"}
            record.update(n_train=len(train), **result)
            print(json.dumps(record), flush=True)
            records = [
                r for r in records if (r["dataset"], r["split"]) != (name, split)
            ]
            records.append(record)
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps({"records": records}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
