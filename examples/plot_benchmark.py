"""
Speed and memory against MLPClassifier
======================================

The repository's benchmark (``benchmarks/bench_vs_sklearn.py``) fits
:class:`~sk_scratchnet.ScratchMLPClassifier` and scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` on the same workloads, with the
same parameters and the same number of epochs, interleaved in one run, and
saves the measurements to ``benchmarks/results/bench.json``. This example only
reads that file (it runs no benchmark) and plots, per workload, our time (or
memory) divided by MLPClassifier's: below 1 means we are faster (or smaller).

What to see: the small, latency-bound workloads (the spiral, one-row
``predict_proba``) are where a lean NumPy loop gains most, 2 to 4 times faster;
large float64 workloads are bound by the matrix products that both do alike, so
the ratio approaches 1 there; float32 halves the work of those products.
Peak memory is the same as MLPClassifier's.
"""

# %%
# Find and read the results
# -------------------------
# The path is taken relative to this file when run as a script; the documentation
# build (sphinx-gallery) defines no ``__file__`` and runs each example from its
# own folder, ``examples/``, so the working directory is the fallback.
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery, notebooks
    here = Path.cwd()
candidates = [
    folder / "benchmarks" / "results" / "bench.json"
    for folder in (here.parent, here, Path.cwd().parent, Path.cwd())
]
path = next(p for p in candidates if p.is_file())
results = json.loads(path.read_text())
machine = results["machine"]
print(
    f"{machine['cpu_model']}, {machine['nproc']} cores, Python {machine['python']}, "
    f"numpy {machine['numpy']}, scikit-learn {machine['sklearn']}"
)

# %%
# Time ratios per workload, and peak memory
# -----------------------------------------
# ``rows`` holds one entry per workload, dtype and BLAS thread count; fit and
# predict rows carry a time ``ratio``, memory rows a memory ``ratio``.
timed = [r for r in results["rows"] if r["kind"] in ("fit", "predict")]
memory = [r for r in results["rows"] if r["kind"] == "memory"]


def time_label(row):
    """Return the y-axis label of a fit or predict row."""
    dtype = "f32" if row["dtype"] == "float32" else "f64"
    return f"{row['number']}. {row['title']} [{dtype}]"


labels = list(dict.fromkeys(time_label(r) for r in timed))
fig, (ax, mem_ax) = plt.subplots(
    2, 1, figsize=(10, 8.5), height_ratios=[2 * len(labels), len(memory)]
)
positions = np.arange(len(labels))
height = 0.38
for offset, threads, color in [(-height / 2, 1, "tab:blue"), (height / 2, 2, "c")]:
    ratios = {time_label(r): r["ratio"] for r in timed if r["threads"] == threads}
    values = [ratios.get(label, np.nan) for label in labels]
    bars = ax.barh(
        positions + offset, values, height, color=color, label=f"{threads} BLAS thr."
    )
    ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
ax.axvline(1.0, color="k", lw=1)
ax.set_yticks(positions, labels, fontsize=8)
ax.invert_yaxis()
ax.set(
    xlabel="time ours / time MLPClassifier (lower is better)",
    title="Fit and predict time relative to MLPClassifier",
)
ax.legend(loc="upper right")

mem_labels = [f"{r['title']} [{r['dtype']}]" for r in memory]
mem_ratios = [r["ratio"] for r in memory]
bars = mem_ax.barh(np.arange(len(memory)), mem_ratios, color="tab:green")
mem_ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
mem_ax.axvline(1.0, color="k", lw=1)
mem_ax.set_yticks(np.arange(len(memory)), mem_labels, fontsize=8)
mem_ax.invert_yaxis()
mem_ax.set(
    xlabel="memory ours / memory MLPClassifier (lower is better)",
    title="Memory of one fit of workload 4 (784 features, (512, 256))",
)
fig.tight_layout()
plt.show()
