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
