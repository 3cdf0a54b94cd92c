"""The seed's toy data set: interleaved spirals, one arm per class."""

from __future__ import annotations

import numpy as np


def make_spiral(n_per_class=100, n_classes=3, *, noise=0.2, random_state=0):
    """Generate the seed's 2-D spiral (CS231n's "neural networks case study").

    Parameters
    ----------
    n_per_class : int, default=100
        Points per arm.
    n_classes : int, default=3
        Number of arms, one class each.
    noise : float, default=0.2
        Standard deviation of the angular noise.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_per_class * n_classes, 2)
    y : ndarray of shape (n_per_class * n_classes,)
    """
    rng = np.random.default_rng(random_state)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    radius = np.linspace(0.0, 1.0, n_per_class)
    for k in range(n_classes):
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class)
        angle += rng.normal(scale=noise, size=n_per_class)
        rows = slice(k * n_per_class, (k + 1) * n_per_class)
        X[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return X, y
