"""Helpers shared by several test modules."""

import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning


@contextmanager
def strict_warnings():
    """RuntimeWarning becomes an error; ConvergenceWarning is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        yield


def make_data(n_samples=60, n_features=4, n_classes=3, seed=0, scale=3.0):
    """Separable-ish Gaussian blobs, one centre (spread ``scale``) per class."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=scale, size=(n_classes, n_features))
    y = np.arange(n_samples) % n_classes
    X = centres[y] + rng.normal(size=(n_samples, n_features))
    return X, y


def make_regression_data(
    n_samples=60,
    n_features=4,
    n_outputs=1,
    loss="squared_error",
    seed=0,
    amplitude=3.0,
    log_offset=1.0,
):
    """Smooth targets of Gaussian features; counts for the Poisson loss."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    W = rng.normal(scale=0.5, size=(n_features, n_outputs))
    score = np.tanh(X @ W) + 0.1 * rng.normal(size=(n_samples, n_outputs))
    if loss == "poisson":
        Y = rng.poisson(np.exp(score + log_offset)).astype(float)
    else:
        Y = amplitude * score
    return X, (Y.ravel() if n_outputs == 1 else Y)


def all_weights(est):
    """Every coefficient and intercept array of a fitted MLP, in layer order."""
    return [*est.coefs_, *est.intercepts_]


def central_difference(fun, x, eps=1e-6):
    """Central differences ``(fun(x + eps e_i) - fun(x - eps e_i)) / 2 eps``.

    One entry per element ``i`` of the array ``x``, which is perturbed in place
    and restored (so ``fun`` may also read ``x`` through views it holds).
    """
    numeric = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = fun(x)
        x[idx] = old - eps
        down = fun(x)
        x[idx] = old
        numeric[idx] = (up - down) / (2 * eps)
    return numeric
