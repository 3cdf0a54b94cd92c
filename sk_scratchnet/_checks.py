"""Input checks with messages a user understands (weights, labels, outputs)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target


def all_finite(X) -> bool:
    """Tell whether a float ndarray holds only finite values, without a mask of X.

    ``np.isfinite(X).all()`` allocates a boolean array the size of ``X`` (45 MiB
    for 60 000 x 784): the sum is finite exactly when every value is, unless
    it overflows, and only then is the element-wise check run.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(X.sum()):
            return True
    return bool(np.isfinite(X).all())


def check_weights(sample_weight, n_samples, dtype):
    """Validate ``sample_weight``: 1-D, ``n_samples`` long, finite and >= 0."""
    try:
        weights = np.array(sample_weight, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "sample_weight must be a number or an array-like of numbers, got "
            f"{type(sample_weight).__name__}."
        ) from exc
    if weights.ndim == 0:
        weights = np.full(n_samples, weights, dtype=dtype)
    if weights.ndim != 1:
        raise ValueError("Sample weights must be 1D array or scalar")
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight.shape == {weights.shape}, expected {(n_samples,)}!"
        )
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (weights < 0).any():
        raise ValueError("Negative values in data passed to `sample_weight`.")
    return weights


def checked_target_type(y):
    """Type of target of ``y``, with a clear error for unusable label types."""
    if y.dtype.kind == "O":
        kinds = {type(label) for label in np.ravel(y)}
        if any(label is None for label in np.ravel(y)):
            raise ValueError("y contains None; every sample needs a class label.")
        if any(issubclass(k, str) for k in kinds) and not all(
            issubclass(k, str) for k in kinds
        ):
            raise ValueError(
                "y mixes label types (strings and numbers/bools): "
                f"{sorted(k.__name__ for k in kinds)}. Use labels of one type."
            )
    try:
        check_classification_targets(y)
        return type_of_target(y)
    except TypeError as exc:
        raise ValueError(f"y has labels that cannot be compared: {exc}.") from exc


def check_weighted_classes(labels, weights):
    """Raise unless ``weights`` are positive on samples of 2 or more classes."""
    weighted = np.unique(labels[weights > 0])
    if len(weighted) < 2:
        raise ValueError(
            "sample_weight is zero for every class but "
            f"{weighted.tolist()!r}; a classifier needs positive "
            "weight on samples of at least 2 classes."
        )
