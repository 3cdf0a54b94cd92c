"""The report of ``bench_vs_sklearn.py``: header, markdown table, notes, JSON, plot."""

from __future__ import annotations

import json
import os

import _harness as h


def header(mode, info, repeats, threads, epochs, sizes):
    """The lines above the table: the machine, the repeats, epochs and sizes."""
    return (
        f"## sk_scratchnet vs scikit-learn's MLPs ({mode} mode)\n\n"
        + h.machine_markdown(info).replace("\n", "  \n")
        + f"\n\nRepeats {repeats} (median), BLAS threads {threads}; "
        f"epochs: spiral {epochs['spiral']}, digits adam {epochs['digits']}, "
        f"100k x 100 {epochs['cls100']}, 60k x 784 {epochs['cls784']}, "
        f"lbfgs max_iter {epochs['lbfgs']}, memory fit {epochs['memory']}; "
        f"sizes {sizes}.\n"
    )


def results_text(rows, elapsed):
    """The table, its notes, the total time and the load average now."""
    return (
        f"{markdown_table(rows)}\n\n{TABLE_NOTES}\n\n"
        f"Total benchmark time {elapsed:.0f} s; load average at the end "
        + "/".join(f"{v:.2f}" for v in os.getloadavg())
        + "."
    )


def write_results(stem, info, config, rows):
    """``benchmarks/results/<stem>.json`` and, with matplotlib, ``<stem>.png``."""
    h.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result = {"machine": info, "config": config, "rows": rows}
    json_path = h.RESULTS_DIR / f"{stem}.json"
    json_path.write_text(json.dumps(h.jsonable(result), indent=1) + "\n")
    png = plot(
        rows,
        config["threads"],
        h.RESULTS_DIR / f"{stem}.png",
        f"sk_scratchnet / scikit-learn's MLPs ({config['mode']}): fit, predict, "
        f"small-data paths, peak memory; {info['cpu_model']}",
    )
    h.log(f"wrote {json_path}" + (f" and {png}" if png else ""))


def _met(row):
    """'yes', 'no (...)' or '' if the row has no target."""
    if row.get("target_ratio") is None and row.get("target_roofline") is None:
        return ""
    misses = []
    if row.get("target_ratio") is not None and not row["ratio"] <= row["target_ratio"]:
        misses.append("time" if row["kind"] != "memory" else "memory")
    if row.get("target_roofline") is not None and not (
        row["roofline"] >= row["target_roofline"]
    ):
        misses.append("roofline")
    acc = row.get("accuracy")
    slack = 0.01 if row.get("task") == "regression" else 0.005
    if row["kind"] == "fit" and acc and abs(acc["ours"] - acc["theirs"]) > slack:
        misses.append("acc")
    return "yes" if not misses else "no (" + ", ".join(misses) + ")"


def _target_text(row):
    parts = []
    if row.get("target_ratio") is not None:
        parts.append(f"≤ {row['target_ratio']:.2f}")
    if row.get("target_roofline") is not None:
        parts.append(f"roofline ≥ {row['target_roofline']:.2f}")
    return ", ".join(parts)


def markdown_table(rows):
    head = (
        "| # | workload | dtype | thr | epochs (ours/sk) | ours | sklearn | ratio "
        "| target | met | acc ours | acc sk | GFLOP/s ours | GFLOP/s sk "
        "| roofline | floor |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if r["kind"] == "memory":
            cells = [
                "7",
                r["title"],
                r["dtype"],
                "1",
                f"{r['epochs']}",
                f"{r['mib']['ours']:.0f} MiB",
                f"{r['mib']['theirs']:.0f} MiB",
                f"{r['ratio']:.3f}",
                _target_text(r),
                _met(r),
            ]
        else:
            if r["kind"] == "fit":
                ep = r["n_iter"]
                epochs = (
                    f"{ep['ours']}"
                    if ep["ours"] == ep["theirs"]
                    else f"{ep['ours']}/{ep['theirs']}"
                )
            else:
                epochs = "-"
            cells = [
                str(r["number"]),
                r["title"],
                r["dtype"],
                str(r["threads"]),
                epochs,
                h.fmt_time(r["median_s"]["ours"]),
                h.fmt_time(r["median_s"]["theirs"]),
                f"{r['ratio']:.2f}",
                _target_text(r),
                _met(r),
            ]
            if r["kind"] != "small":  # the small-data paths have no accuracy
                cells += [
                    f"{r['accuracy']['ours']:.4f}",
                    f"{r['accuracy']['theirs']:.4f}",
                    f"{r['gflops']['ours']:.1f}",
                    f"{r['gflops']['theirs']:.1f}",
                    f"{r['roofline']:.2f}",
                    f"{r['ratio_floor']:.2f}",
                ]
        cells += [""] * (head.count("|") - 1 - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


TABLE_NOTES = """\
ratio = ours / MLPClassifier or MLPRegressor (median fit time; predict and the \
small-data paths 8-9: median call time; memory: MiB); acc is R² for the \
regressor rows. roofline = time numpy needs for the same matmuls alone \
(preallocated arrays, same shapes, dtype and threads) / our time. floor = that \
matmul time / MLPClassifier's time: the lowest ratio reachable without fewer or \
faster matmuls. met = time (and roofline) target met and test accuracy within \
0.5 points of MLPClassifier. GFLOP/s counts the matmul flops only (lbfgs: one \
forward+backward per iteration, line-search evaluations not counted)."""


def _plot_label(r):
    if r["kind"] == "fit":
        parts = r["key"].split("-")
        if r["number"] in (3, 4):  # "3-cls100-adam-f64" -> "3 cls100 f64"
            parts = [parts[0], parts[1], parts[-1]]
        return " ".join(parts)
    if r["kind"] == "predict":
        return f"6 predict {r['n_rows']}"
    if r["kind"] == "small":
        return r["key"].replace("-", " ")
    return f"7 peak mem {r['dtype'].replace('float', 'f')}"


def plot(rows, threads, path, title):
    """Grouped bars of the ratio per workload and thread count, with targets."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        h.log("matplotlib not importable: no plot")
        return None
    rows = [r for r in rows if r["kind"] != "memory" or r["metric"] == "peak"]
    labels = list(dict.fromkeys(_plot_label(r) for r in rows))
    targets = {_plot_label(r): r.get("target_ratio") for r in rows}
    width = 0.8 / max(1, len(threads))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(labels) + 2), 5))
    for j, t in enumerate(threads):
        xs, ys = [], []
        for i, label in enumerate(labels):
            group = [r for r in rows if _plot_label(r) == label]
            for r in group:
                if r["threads"] == t:
                    # a lone bar (memory: 1 thread only) sits at the centre
                    x = i if len(group) == 1 else i - 0.4 + width * (j + 0.5)
                    xs.append(x)
                    ys.append(r["ratio"])
        if xs:
            bars = ax.bar(xs, ys, width, label=f"{t} BLAS thread(s)")
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
    first = True
    for i, label in enumerate(labels):
        if targets[label] is not None:
            ax.hlines(
                targets[label],
                i - 0.45,
                i + 0.45,
                colors="red",
                linestyles="--",
                label="target" if first else None,
            )
            first = False
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_ylabel("ours / scikit-learn's MLP (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
