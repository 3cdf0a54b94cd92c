"""The report of ``bench_paired.py``: per-path medians and the markdown table."""

from __future__ import annotations

import statistics

import _harness as h
import numpy as np
from _paired_cases import SIDES


def summarise(case, times):
    """Medians of the times and of the per-round ratios; digest agreement."""
    s = {side: times[side]["s"] for side in SIDES}

    def ratios(a, b):
        return [x / y for x, y in zip(s[a], s[b], strict=True)]

    new_old = ratios("new", "old")
    return {
        "key": case.key,
        "title": case.title,
        "mlp": "MLPClassifier" if case.task == "classification" else "MLPRegressor",
        "goal": case.goal,
        "median_s": {side: statistics.median(t) for side, t in s.items()},
        "old_over_mlp": statistics.median(ratios("old", "mlp")),
        "new_over_mlp": statistics.median(ratios("new", "mlp")),
        "new_over_old": statistics.median(new_old),
        "new_over_old_iqr": [float(q) for q in np.percentile(new_old, [25, 75])],
        "bitwise_equal": len({*times["old"]["digest"], *times["new"]["digest"]}) == 1,
    }


def markdown(rows, labels, meta):
    """The table of ``rows`` (from :func:`summarise`) with its method and notes."""
    old, new = labels["old"], labels["new"]
    loads = ["/".join(f"{v:.2f}" for v in meta[k]) for k in ("load_start", "load_end")]
    lines = [
        f"## Issue 16 paths before ({old}) and after ({new}), paired in one process",
        "",
        f"{meta['rounds']} rounds. Both packages imported side by side in one "
        "process (renamed copies) and timed with scikit-learn's MLP back to "
        "back, path by path, the order of the three sides rotated every round; "
        "one BLAS thread, `gc.collect()` before each timing. A per-call path's "
        "time in a round is the median of its calls, a fit's is one fit. Times "
        "are medians over the rounds; each ratio is the median over the rounds "
        "of the same-round ratio, new / old with its interquartile range. Load "
        f"average (1/5/15 min) at the start {loads[0]}, at the end {loads[1]}; "
        f"{meta['elapsed_s']:.0f} s in all. numpy {meta['numpy']}, scikit-learn "
        f"{meta['sklearn']}, {meta['cpu']}."
        + (" `--quick` sizes: a smoke test, not a measurement." * meta["quick"]),
        "",
        f"| path | {old} | {new} | MLP | {old} / MLP | {new} / MLP "
        f"| {new} / {old} (IQR) | goal ({new} / MLP) | same weights |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m, (q1, q3), goal = r["median_s"], r["new_over_old_iqr"], r["goal"]
        met = "met" if goal and r["new_over_mlp"] <= goal else "not met"
        cells = [
            f"{r['title']} (vs {r['mlp']})",
            *(h.fmt_time(m[side]) for side in SIDES),
            f"{r['old_over_mlp']:.2f}",
            f"{r['new_over_mlp']:.2f}",
            f"{r['new_over_old']:.3f} ({q1:.3f}-{q3:.3f})",
            f"<= {goal:.2f} ({met})" if goal else "-",
            "bitwise" if r["bitwise_equal"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "MLP = scikit-learn's MLPClassifier or MLPRegressor; a ratio below 1: "
        f"faster than its denominator ({new} / {old} > 1: the new tree is "
        "slower). same weights: the fitted `coefs_`/`intercepts_` of both trees "
        "have equal bytes in every round (for the predict paths, those of the "
        "predicting model and its predictions; for the grid search, those of the "
        "refitted best model).",
    ]
    return "\n".join(lines)
