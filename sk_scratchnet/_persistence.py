"""How a fitted estimator pickles (pickle, joblib, skops).

:func:`saved_state` is the estimator's ``__getstate__`` and :func:`loaded_state`
its ``__setstate__``: arrays of another namespace (PyTorch, CuPy,
array-api-strict) are saved as NumPy arrays with the name of their namespace
and device and moved back on loading when that library and device are here;
our fitted-state objects beyond the optimizer are saved as tagged plain dicts,
so that loading with skops trusts no type of ours but the estimator and its
optimizer; and the state of models saved by earlier releases is brought up to
date.
"""

from __future__ import annotations

from sk_scratchnet._early_stopping import EarlyStopping
from sk_scratchnet._heads import head_of_output
from sk_scratchnet._namespace import foreign_ops, host_state, is_moved, restore_state
from sk_scratchnet._optimizers import LearningRateSchedule

# Our fitted-state objects beyond the optimizer, pickled as plain dicts: loading
# a model (skops) then trusts no type of ours but the estimator and optimizer.
_PLAIN_PICKLED = {"_stopper": EarlyStopping, "_schedule": LearningRateSchedule}
_PLAIN_TAG = "sk_scratchnet plain object"


def plain_objects(state):
    """``state`` with the objects of ``_PLAIN_PICKLED`` as tagged dicts."""
    if not any(isinstance(state.get(k), c) for k, c in _PLAIN_PICKLED.items()):
        return state
    state = dict(state)
    for key, cls in _PLAIN_PICKLED.items():
        if isinstance(state.get(key), cls):
            state[key] = {_PLAIN_TAG: cls.__name__, **vars(state[key])}
    return state


def rebuilt_objects(state):
    """Undo :func:`plain_objects` (objects pickled as such load as they are)."""
    for key, cls in _PLAIN_PICKLED.items():
        value = state.get(key)
        if isinstance(value, dict) and value.get(_PLAIN_TAG) == cls.__name__:
            obj = cls.__new__(cls)
            obj.__dict__.update({k: v for k, v in value.items() if k != _PLAIN_TAG})
            state = {**state, key: obj}
    return state


def saved_state(state):
    """Return the estimator's state ``vars()`` as it is pickled.

    A model fitted on PyTorch, CuPy or array-api-strict arrays pickles (and
    saves with joblib or skops) as NumPy arrays plus the name of their
    namespace and device.
    """
    if "_seeded_rng" in state:  # kept by models of earlier releases
        state = {k: v for k, v in state.items() if k != "_seeded_rng"}
    state = plain_objects(state)
    coefs = state.get("coefs_")
    if coefs and foreign_ops(coefs[0]) is not None:
        state = host_state(state)
    return state


def loaded_state(state):
    """Return the estimator's state from a pickled one (undo :func:`saved_state`).

    Arrays go back to their namespace and device when that library and device
    are available, and stay NumPy arrays otherwise (a warning says so).
    """
    if "out_activation_" in state and "_loss" not in state:
        # Saved before the loss name was stored: the one place that reads
        # the head back from the output activation's name.
        state = {**state, "_loss": head_of_output(state["out_activation_"]).loss}
    coefs = state.get("coefs_")
    if coefs and is_moved(coefs[0]):
        state = restore_state(state)
    return rebuilt_objects(state)
