"""Demo: ``python -m sk_scratchnet`` trains ours beside MLPClassifier, prints a table.

Real data that ships with scikit-learn (``load_digits``) and the seed's spiral,
the same settings for both estimators, fit times as medians of a few repeats.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._datasets import make_spiral


def _tasks():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    digits = (scaler.transform(X_train), scaler.transform(X_test), y_train, y_test)
    X, y = make_spiral()
    spiral = (X, X, y, y)  # the seed reports training accuracy
    return [
        ("digits, adam (100,)", digits, {"solver": "adam", "max_iter": 200}),
        ("digits, sgd (100,)", digits, {"solver": "sgd", "learning_rate_init": 0.1}),
        ("digits, lbfgs (100,)", digits, {"solver": "lbfgs", "max_iter": 200}),
        (
            "spiral (train), sgd (100,)",
            spiral,
            {
                "solver": "sgd",
                "learning_rate_init": 0.5,
                "max_iter": 1000,
                "n_iter_no_change": 50,
            },
        ),
    ]


def _fit_time(cls, params, X, y, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = cls(**params).fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), model


def main(argv=None):
    """Run the demo and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    header = (
        f"{'task':28s} {'acc ours':>9s} {'acc sklearn':>11s} {'fit ours':>9s} "
        f"{'fit sklearn':>11s} {'ratio':>6s} {'epochs':>7s}"
    )
    print("ScratchMLPClassifier vs sklearn.neural_network.MLPClassifier")
    print(f"(same parameters, random_state=0; fit time = median of {args.repeats})")
    print(header)
    print("-" * len(header))
    for name, (X_train, X_test, y_train, y_test), params in _tasks():
        params = {"hidden_layer_sizes": (100,), "random_state": 0, **params}
        t_ours, ours = _fit_time(
            ScratchMLPClassifier, params, X_train, y_train, args.repeats
        )
        t_ref, ref = _fit_time(MLPClassifier, params, X_train, y_train, args.repeats)
        print(
            f"{name:28s} {ours.score(X_test, y_test):9.4f} "
            f"{ref.score(X_test, y_test):11.4f} {t_ours:8.3f}s {t_ref:10.3f}s "
            f"{t_ours / t_ref:6.2f} {ours.n_iter_:7d}"
        )


if __name__ == "__main__":
    main()
