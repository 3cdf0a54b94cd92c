"""Leave-one-out ablation of the tabular recipe.

Run from the repository root (needs the ``bench`` extra)::

    python benchmarks/bench_tabular_ablation.py --datasets mlc_churn credit_data ames \
        --splits 1 --max-epochs 64

Each variant switches off one piece of the recipe through the estimator's
parameters (the rest at their defaults) and is fitted on the same splits as
``bench_tabular.py``.  Pieces that do not apply to a task (label smoothing for
regression) are skipped there.  ``--max-epochs`` shortens every fit,
including the full recipe's, to fit a time budget.  Writes
``benchmarks/results/tabular_ablation.json`` and ``.md``: per dataset the
error of the full recipe and each variant's relative change,
``error(variant) / error(full) - 1``, and their geometric mean over datasets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _tabular_datasets import LOADERS, load  # noqa: E402
from bench_tabular import run_tasks  # noqa: E402

VARIANTS = {
    "full recipe": {},
    "no PBLD numeric embedding": {"numeric_embedding": None},
    "no robust scaling": {"robust_scale": False},
    "no smooth clipping": {"smooth_clip": False},
    "no missing indicators": {"missing_indicators": False},
    "one-hot only (no embeddings)": {"max_one_hot": 1000},
    "no scaling layer": {"feature_scaling": False},
    "no parametric activation": {"parametric_activation": False},
    "constant learning rate": {"lr_schedule": "constant"},
    "no dropout": {"dropout": 0.0},
    "no weight decay": {"weight_decay": 0.0},
    "no label smoothing": {"label_smoothing": 0.0},
    "Adam beta_2 = 0.999": {"beta_2": 0.999},
}
CLASSIFICATION_ONLY = {"no label smoothing"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS))
    parser.add_argument("--splits", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--out", default=str(HERE / "results" / "tabular_ablation.json")
    )
    args = parser.parse_args()
    bad = (set(args.datasets) - set(LOADERS)) | (set(args.variants) - set(VARIANTS))
    if bad:
        parser.error(f"unknown datasets or variants: {sorted(bad)}")
    variants = ["full recipe", *(v for v in args.variants if v != "full recipe")]
    start = time.perf_counter()
    records = []
    for variant in variants:
        params = dict(VARIANTS[variant])
        if args.max_epochs:
            params["max_epochs"] = args.max_epochs
        names = [d for d in args.datasets if variant not in CLASSIFICATION_ONLY
                 or load(d).task == "classification"]  # fmt: skip
        sizes = {d: len(load(d).y) for d in names}
        tasks = [(d, s, "ours") for d in names
                 for s in range(args.splits if sizes[d] <= 10_000 else 1)]  # fmt: skip
        for rec in run_tasks(tasks, sizes, args.jobs, n_splits=args.splits,
                             params=params):  # fmt: skip
            records.append({**rec, "variant": variant, "params": params})
    total = time.perf_counter() - start
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    run = {"argv": sys.argv[1:], "wall_s": total, "n_fits": len(records)}
    out.write_text(json.dumps({"records": records, "run": run}, indent=1))
    budget = (
        f"Budget: datasets {' '.join(args.datasets)}; {args.splits} split(s); "
        f"max_epochs={args.max_epochs or 'default (256)'}; {total:.0f} s wall."
    )
    text = budget + "\n\n" + table(records)
    out.with_suffix(".md").write_text(text)
    print(text)
    print(f"{len(records)} fits in {total:.0f} s")


def table(records):
    """Markdown: full-recipe error, then each variant's relative change."""
    err = {}
    for r in records:
        if "failed" not in r:
            err.setdefault((r["variant"], r["dataset"]), []).append(r["error"])
    err = {k: float(np.mean(v)) for k, v in err.items()}
    datasets = [d for d in LOADERS if ("full recipe", d) in err]
    variants = list(dict.fromkeys(r["variant"] for r in records))
    lines = ["| variant | " + " | ".join(datasets) + " | geometric mean |",
             "|---" * (len(datasets) + 2) + "|"]  # fmt: skip
    for v in variants:
        cells, ratios = [], []
        for d in datasets:
            if (v, d) not in err:
                cells.append("")
            elif v == "full recipe":
                cells.append(f"{err[v, d]:.4f}")
            else:
                ratio = err[v, d] / err["full recipe", d]
                ratios.append(ratio)
                cells.append(f"{ratio - 1:+.1%}")
        g = f"{np.exp(np.mean(np.log(ratios))) - 1:+.1%}" if ratios else ""
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {g} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
