"""Tables and figures of the tabular benchmark, from its JSON records."""

from __future__ import annotations

import numpy as np
from _tabular_datasets import LOADERS


def summarise(records):
    """Per dataset and model: mean error, wall and CPU fit time, n splits.

    Only the splits every model of a dataset has are averaged, so that the
    models of a row are compared on the same test sets.
    """
    ok = [r for r in records if "failed" not in r]
    splits = {}
    for r in ok:
        per_model = splits.setdefault(r["dataset"], {})
        per_model.setdefault(r["model"], set()).add(r["split"])
    common = {d: set.intersection(*m.values()) for d, m in splits.items()}
    table = {}
    for r in ok:
        if r["split"] in common[r["dataset"]]:
            cell = table.setdefault(r["dataset"], {}).setdefault(r["model"], [])
            cell.append((r["error"], r["fit_time"], r.get("cpu_time", np.nan)))
    return {d: {m: (*np.mean(v, axis=0), len(v)) for m, v in row.items()}
            for d, row in table.items()}  # fmt: skip


def geomean_ratio(summary, model, ref="gb"):
    ratios = [row[model][0] / row[ref][0] for row in summary.values()
              if model in row and ref in row and row[ref][0] > 0]  # fmt: skip
    return (float(np.exp(np.mean(np.log(ratios)))), len(ratios)) if ratios else None


def markdown(summary, models):
    head = "| dataset | " + " | ".join(f"{m} error" for m in models)
    head += " | " + " | ".join(f"{m} fit s (CPU)" for m in models) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(models))]
    for name in [d for d in LOADERS if d in summary]:
        row = summary[name]
        errs = [f"{row[m][0]:.4f}" if m in row else "" for m in models]
        times = [f"{row[m][2]:.1f}" if m in row else "" for m in models]
        lines.append(f"| {name} | " + " | ".join(errs + times) + " |")
    lines.append("")
    for m in models:
        total = sum(row[m][2] * row[m][3] for row in summary.values() if m in row)
        lines.append(f"- {m}: {total:.0f} CPU s of fitting over all its splits")
    for m in models:
        g = geomean_ratio(summary, m) if m != "gb" else None
        if g:
            lines.append(f"- geometric mean of {m} / gb error: {g[0]:.3f} "
                         f"({g[1]} datasets)")  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(summary, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [d for d in LOADERS if d in summary]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(models)
    for i, m in enumerate(models):
        x = np.arange(len(names)) + (i - (len(models) - 1) / 2) * width
        row = [summary[d].get(m) for d in names]
        gb = [summary[d].get("gb") for d in names]
        rel = [r[0] / g[0] if r and g and g[0] > 0 else np.nan for r, g in zip(row, gb)]
        ax1.bar(x, rel, width, label=m)
        ax2.bar(x, [r[2] if r else np.nan for r in row], width, label=m)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set_ylabel("test error / gradient boosting's")
    ax2.set_yscale("log")
    ax2.set_ylabel("fit time (CPU s, one thread)")
    for ax in (ax1, ax2):
        ax.set_xticks(np.arange(len(names)), names, rotation=45, ha="right")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
