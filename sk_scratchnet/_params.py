"""Cheaper scikit-learn parameter bookkeeping, the same results.

scikit-learn's ``BaseEstimator`` introspects ``__init__``'s signature on every
``get_params`` and checks every parameter against its constraints on every
``fit``; for a one-epoch fit on a few rows that was most of the time.  Here the
parameter names are kept per class (recomputed when ``__init__`` changes), and
values that already passed a class's constraints are not checked again; every
other value goes through scikit-learn's own ``validate_parameter_constraints``,
so an invalid value raises the same ``InvalidParameterError`` with the same
message.
"""

from __future__ import annotations

import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

from sk_scratchnet._activations import ACTIVATIONS

# The parameters that the classifier and the regressor share, and what each accepts
# (scikit-learn checks them at fit time, see validate_params).
MLP_PARAMETER_CONSTRAINTS: dict = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "init": [StrOptions({"glorot", "he"})],
}

# Exact types whose instances are immutable and whose validity under a
# constraint depends on their value only: a value that passed once passes again.
_MEMO_TYPES = frozenset(
    [
        bool,
        int,
        float,
        str,
        type(None),
        np.bool_,
        np.int32,
        np.int64,
        np.float32,
        np.float64,
    ]
)
# Most accepted values remembered per class (a search tries many alphas).
_MEMO_SIZE = 256


def _memo_key(name, value):
    """Key of a parameter value in the memo of accepted values, or ``None``."""
    kind = type(value)
    if kind in _MEMO_TYPES:
        return name, kind, value
    if kind is tuple and all(type(v) in _MEMO_TYPES for v in value):
        return name, kind, value, tuple(type(v) for v in value)
    return None


class _AcceptedValues:
    """Parameter values that passed one class's constraints.

    Tied to the constraints dict it was filled under: a class given another
    ``_parameter_constraints`` starts a new memo.
    """

    def __init__(self, constraints):
        self.constraints = constraints
        self.keys = set()


# Per class: its parameter names with a weak reference to the __init__ they
# come from, and the memo of accepted parameter values.
_PARAM_NAMES = weakref.WeakKeyDictionary()
_ACCEPTED = weakref.WeakKeyDictionary()


def param_names(cls, compute):
    """Return ``compute()`` (the parameter names of ``cls``), cached per class.

    The cache holds a weak reference to the ``__init__`` the names came from and
    is refreshed when ``cls.__init__`` is another function.
    """
    init = cls.__init__
    cached = _PARAM_NAMES.get(cls)
    if cached is None or cached[0]() is not init:
        # weakly: an __init__ using super() refers to its class
        cached = (weakref.ref(init), tuple(compute()))
        _PARAM_NAMES[cls] = cached
    return list(cached[1])


def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    Only the values not yet accepted for the estimator's class are checked, by
    ``validate_parameter_constraints``; the memo holds immutable scalars and
    tuples of them, keyed by parameter name, exact type and value.
    """
    constraints = estimator._parameter_constraints
    accepted = _ACCEPTED.get(type(estimator))
    if accepted is None or accepted.constraints is not constraints:
        accepted = _AcceptedValues(constraints)
        _ACCEPTED[type(estimator)] = accepted
    unchecked = {}
    new_keys = []
    for name, value in estimator.get_params(deep=False).items():
        key = _memo_key(name, value)
        if key is None or key not in accepted.keys:
            unchecked[name] = value
            if key is not None:
                new_keys.append(key)
    if not unchecked:
        return
    validate_parameter_constraints(
        constraints, unchecked, caller_name=type(estimator).__name__
    )
    if len(accepted.keys) + len(new_keys) > _MEMO_SIZE:
        accepted.keys.clear()
    accepted.keys.update(new_keys)
