"""What the features beyond MLPClassifier do on real data (issue 5's figures).

Run from the repository root::

    python benchmarks/bench_features.py

Each block fits with and without one feature on data that ships with
scikit-learn (or is generated) and prints the metric the feature is about.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier


def _digits(train_size):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=train_size, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def class_weight():
    X, y = make_classification(
        n_samples=4000, n_features=20, n_informative=5, weights=[0.95, 0.05],
        flip_y=0.02, random_state=0,
    )  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    print("class_weight on make_classification(weights=[0.95, 0.05]):")
    for cw in (None, "balanced"):
        clf = ScratchMLPClassifier((32,), class_weight=cw, random_state=0)
        clf.fit(X_train, y_train)
        bacc = balanced_accuracy_score(y_test, clf.predict(X_test))
        print(f"  class_weight={cw!s:9s} balanced accuracy = {bacc:.4f}")


def dropout():
    X_train, X_test, y_train, y_test = _digits(train_size=500)
    # 25% of the training labels replaced at random: a net without dropout
    # memorises the noise.
    rng = np.random.default_rng(0)
    noisy = rng.random(len(y_train)) < 0.25
    y_noisy = y_train.copy()
    y_noisy[noisy] = rng.integers(0, 10, noisy.sum())
    print(
        "dropout on load_digits, 500 training rows with 25% noisy labels, "
        "(256, 256) relu, 150 epochs, alpha=0:"
    )
    for rate in (0.0, 0.5):
        clf = ScratchMLPClassifier(
            (256, 256), dropout=rate, max_iter=150, tol=0, n_iter_no_change=150,
            alpha=0.0, random_state=0,
        )  # fmt: skip
        clf.fit(X_train, y_noisy)
        print(
            f"  dropout={rate:.1f}  train acc (noisy labels) = "
            f"{clf.score(X_train, y_noisy):.4f}  test acc = "
            f"{clf.score(X_test, y_test):.4f}  test log-loss = "
            f"{log_loss(y_test, clf.predict_proba(X_test)):.4f}"
        )


def validation_curves():
    X_train, X_test, y_train, y_test = _digits(train_size=0.5)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
    )
    print("validation set and early stopping on validation log-loss (digits):")
    for metric in ("accuracy", "log_loss"):
        clf = ScratchMLPClassifier(
            (256,), early_stopping=True, early_stopping_metric=metric,
            n_iter_no_change=10, max_iter=500, random_state=0,
        )  # fmt: skip
        clf.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
        print(
            f"  metric={metric:8s} epochs = {clf.n_iter_:3d}  best val log-loss = "
            f"{clf.best_validation_loss_:.4f}  test acc = "
            f"{clf.score(X_test, y_test):.4f}  test log-loss = "
            f"{log_loss(y_test, clf.predict_proba(X_test)):.4f}"
        )


def activations_and_init():
    X_train, X_test, y_train, y_test = _digits(train_size=0.5)
    print("activations and init on digits, (128, 128, 128), adam, 100 epochs:")
    for activation, init in (
        ("relu", "glorot"), ("relu", "he"), ("gelu", "glorot"), ("elu", "he"),
        ("leaky_relu", "he"), ("softplus", "glorot"),
    ):  # fmt: skip
        clf = ScratchMLPClassifier(
            (128, 128, 128), activation=activation, init=init, max_iter=100,
            random_state=0,
        )  # fmt: skip
        clf.fit(X_train, y_train)
        print(
            f"  {activation:10s} init={init:6s} test acc = "
            f"{clf.score(X_test, y_test):.4f}  final train loss = {clf.loss_:.5f}"
        )


def schedules():
    X_train, X_test, y_train, y_test = _digits(train_size=0.5)
    print("learning-rate schedules with adam (lr 0.01), digits, 60 epochs:")
    for schedule in ("constant", "invscaling", "cosine"):
        kw = {"power_t": 0.25} if schedule == "invscaling" else {}
        clf = ScratchMLPClassifier(
            (128,), learning_rate=schedule, learning_rate_init=0.01, max_iter=60,
            tol=0, n_iter_no_change=60, random_state=0, **kw,
        )  # fmt: skip
        clf.fit(X_train, y_train)
        print(
            f"  {schedule:10s} final train loss = {clf.loss_:.5f}  test log-loss = "
            f"{log_loss(y_test, clf.predict_proba(X_test)):.4f}  test acc = "
            f"{clf.score(X_test, y_test):.4f}"
        )


def log_proba():
    X_train, X_test, y_train, _ = _digits(train_size=0.5)
    ours = ScratchMLPClassifier((64,), solver="lbfgs", alpha=0, random_state=0)
    ref = MLPClassifier((64,), solver="lbfgs", alpha=0, random_state=0)
    ours.fit(X_train, y_train)
    ref.fit(X_train, y_train)
    # inputs far outside the training range make confident scores
    X_far = X_test * 20
    with np.errstate(divide="ignore"):
        ref_log = ref.predict_log_proba(X_far)
    ours_log = ours.predict_log_proba(X_far)
    print(
        "predict_log_proba of an lbfgs fit (digits) on 20 x X_test: "
        f"non-finite entries ours = {np.sum(~np.isfinite(ours_log))}, "
        f"MLPClassifier = {np.sum(~np.isfinite(ref_log))} of {ref_log.size}"
    )


def main():
    """Run every block and print its figures."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    for block in (
        class_weight, dropout, validation_curves, activations_and_init, schedules,
        log_proba,
    ):  # fmt: skip
        start = time.perf_counter()
        block()
        print(f"  ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
