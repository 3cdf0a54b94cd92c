"""Input validation of the estimators: ``X`` (and ``y``) for fit and predict.

Plain functions of the estimator and the input.  Plain float arrays that
``validate_data`` would return unchanged skip it (its overhead dominates small
fits and predicts), as decided by one predicate, :func:`is_plain_float_matrix`;
anything else, including every input it rejects, goes through ``validate_data``
and its messages.  Inputs of another array namespace must be where the fitted
weights are.
"""

from __future__ import annotations

import numpy as np
from sklearn import get_config
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sk_scratchnet._checks import all_finite
from sk_scratchnet._devices import (
    check_same_namespace,
    float_dtypes,
    from_host,
    to_host,
)
from sk_scratchnet._namespace import foreign_ops


def is_plain_float_matrix(estimator, X, n_features=None) -> bool:
    """Whether ``validate_data`` would return ``X`` unchanged.

    A float64 or float32 ``ndarray`` with at least one row and column (exactly
    ``n_features`` columns when given), finite values, for an estimator fitted
    without feature names.
    """
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in (np.float64, np.float32)
        and X.shape[0] > 0
        and X.shape[1] > 0
        and (n_features is None or X.shape[1] == n_features)
        and "feature_names_in_" not in estimator.__dict__
        and all_finite(X)
    )


def _is_plain_target(X, y) -> bool:
    """Whether ``y`` is an ``ndarray`` of a plain dtype matching ``X``'s rows."""
    return (
        type(y) is np.ndarray
        and y.shape[:1] == X.shape[:1]
        and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] > 0))
        and y.dtype.kind in "biufU"
        and (y.dtype.kind != "f" or np.isfinite(y).all())
    )


def dispatching(X) -> bool:
    """Whether ``X`` stays in its own namespace (array API dispatch is on)."""
    return foreign_ops(X) is not None and get_config()["array_api_dispatch"]


def input_dtypes(X):
    """Return the float dtypes ``validate_data`` keeps (X's namespace, device)."""
    if dispatching(X):
        return float_dtypes(X)
    return (np.float64, np.float32)


def same_place_as_model(estimator, X, method):
    """Return ``X`` after checking it is where the fitted weights are."""
    model = estimator.coefs_[0]
    check_same_namespace(X, model, estimator, method)
    ops = foreign_ops(X)
    if ops is not None and X.dtype != model.dtype:
        X = ops.astype(X, model.dtype)
    return X


def cast_like_model(estimator, X):
    """``X`` in the fitted network's precision (NumPy; others: see above)."""
    dtype = estimator.coefs_[0].dtype
    if foreign_ops(X) is not None or foreign_ops(estimator.coefs_[0]) is not None:
        # Cast by same_place_as_model, once X is known to be where the model is
        # (a dtype of one library means nothing to another).
        return X
    if hasattr(X, "dtype") and X.dtype in (np.float32, np.float64):
        if X.dtype != dtype:
            return X.astype(dtype)
    return X


def validated_input(estimator, X, method="predict"):
    """``X`` of a fitted estimator's ``predict*``, where the model is."""
    if "coefs_" not in estimator.__dict__:
        check_is_fitted(estimator)  # raises NotFittedError
    if is_plain_float_matrix(estimator, X, estimator.n_features_in_):
        if type(estimator.coefs_[0]) is not np.ndarray:
            same_place_as_model(estimator, X, method)
        return X
    # Finite values near the float maximum can make the finiteness check's
    # sum overflow; it then checks element-wise, so the warning is noise.
    with np.errstate(over="ignore", invalid="ignore"):
        X = validate_data(
            estimator,
            X,
            accept_sparse=["csr", "csc"],
            dtype=input_dtypes(X),
            reset=False,
        )
    # NumPy or not, X must be where the model is (under dispatch a NumPy
    # model rejects torch input, as scikit-learn's estimators do).
    return same_place_as_model(estimator, X, method)


def validated_X_y(estimator, X, y, *, reset, y_numeric=False):
    """``validate_data(estimator, X, y, ...)`` for training, fast for plain arrays.

    Plain arrays (:func:`is_plain_float_matrix` X of the fitted width, a
    matching ``ndarray`` y of a plain dtype) are returned as they are; anything
    else goes through ``validate_data``.
    """
    n_features = None if reset else estimator.n_features_in_
    if (
        type(y) is np.ndarray
        and type(X) is np.ndarray
        and is_plain_float_matrix(estimator, X, n_features)
        and _is_plain_target(X, y)
    ):
        if reset:
            estimator.n_features_in_ = X.shape[1]
        return X, y
    # Targets are checked and encoded on the host, whatever X's namespace
    # (scikit-learn's rule: y follows X; here the encoded Y then does).
    y = to_host(y)
    # Finite values near the float maximum can make the finiteness check's
    # sum overflow; it then checks element-wise, so the warning is noise.
    with np.errstate(over="ignore", invalid="ignore"):
        return validate_data(
            estimator,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=y_numeric,
            dtype=input_dtypes(X),
            reset=reset,
        )


def validated_X_val(estimator, X_val, model):
    """``X_val`` validated like training data, where ``model`` (weights) is."""
    X_val = validate_data(
        estimator,
        X_val,
        accept_sparse=["csr", "csc"],
        dtype=input_dtypes(X_val),
        reset=False,
    )
    if foreign_ops(model) is not None or foreign_ops(X_val) is not None:
        # X_val follows X, as y does (scikit-learn's mixed-input rule).
        X_val = from_host(to_host(X_val), like=model, dtype=model.dtype)
    return X_val


def validated_validation_set(estimator, X_val, y_val, model):
    """``(X_val, y_val)`` given to ``fit``, checked; ``None`` when neither is given.

    ``X_val`` is validated like training data and put where ``model`` (the
    weights) is; ``y_val`` comes back as a NumPy array, one column as 1-D.
    """
    if X_val is None and y_val is None:
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together.")
    X_val = validated_X_val(estimator, X_val, model)
    y_val = np.asarray(to_host(y_val))
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = column_or_1d(y_val)
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]}."
        )
    return X_val, y_val
