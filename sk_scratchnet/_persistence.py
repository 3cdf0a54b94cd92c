"""How a fitted estimator pickles (pickle, joblib, skops).

:func:`saved_state` is the estimator's ``__getstate__`` and :func:`loaded_state`
its ``__setstate__``: arrays of another namespace (PyTorch, CuPy,
array-api-strict) are saved as NumPy arrays with the name of their namespace
and device and moved back on loading when that library and device are here;
the private :class:`~sk_scratchnet._fit_state.TrainingState` is saved as a
tagged plain dict (its optimizer as it is), so that loading with skops trusts
no type of ours but the estimator and its optimizer; and models saved by
earlier releases, which kept that state in six private attributes, load into
one.
"""

from __future__ import annotations

from dataclasses import fields

from sk_scratchnet._devices import host_state, is_moved, restore_state
from sk_scratchnet._early_stopping import EarlyStopping
from sk_scratchnet._fit_state import TrainingState
from sk_scratchnet._heads import head_of_output
from sk_scratchnet._labels import LabelCodec
from sk_scratchnet._namespace import foreign_ops
from sk_scratchnet._optimizers import LearningRateSchedule

_PLAIN_TAG = "sk_scratchnet plain object"
# Our objects pickled as tagged dicts of their attributes.
_BY_ATTRIBUTES = {cls.__name__: cls for cls in (EarlyStopping, LearningRateSchedule)}
# The private attributes of earlier releases, now fields of TrainingState.
_EARLIER = {
    "_loss": "loss",
    "_optimizer": "optimizer",
    "_schedule": "schedule",
    "_stopper": "stopper",
}


def _plain(obj):
    """``obj`` as a tagged dict if it is one of our plain objects, else as it is."""
    if isinstance(obj, TrainingState):
        plain = {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
        return {_PLAIN_TAG: "TrainingState", **plain}
    if isinstance(obj, LabelCodec):
        totals = obj.class_totals
        return {_PLAIN_TAG: "LabelCodec", "binarizer": obj.binarizer, "totals": totals}
    if isinstance(obj, tuple(_BY_ATTRIBUTES.values())):
        return {_PLAIN_TAG: type(obj).__name__, **vars(obj)}
    return obj


def _rebuilt(value):
    """Undo :func:`_plain` (objects pickled as such load as they are)."""
    if not isinstance(value, dict) or _PLAIN_TAG not in value:
        return value
    name = value[_PLAIN_TAG]
    plain = {k: _rebuilt(v) for k, v in value.items() if k != _PLAIN_TAG}
    if name == "TrainingState":
        return TrainingState(**plain)
    if name == "LabelCodec":
        return LabelCodec(plain["binarizer"], plain["totals"])
    cls = _BY_ATTRIBUTES[name]
    obj = cls.__new__(cls)
    obj.__dict__.update(plain)
    return obj


def _from_earlier_release(state):
    """Gather the six private attributes of an earlier release's model into one."""
    state = dict(state)
    found = {field: _rebuilt(state.pop(key, None)) for key, field in _EARLIER.items()}
    if found["loss"] is None:
        # Saved before the loss name was stored: the one place that reads the
        # head back from the output activation's name.
        found["loss"] = head_of_output(state["out_activation_"]).loss
    binarizer = state.pop("_label_binarizer", None)
    totals = state.pop("_class_totals", None)
    if binarizer is not None:
        found["labels"] = LabelCodec(binarizer, totals)
    state["_training_state"] = TrainingState(**found)
    return state


def saved_state(state):
    """Return the estimator's state ``vars()`` as it is pickled.

    A model fitted on PyTorch, CuPy or array-api-strict arrays pickles (and
    saves with joblib or skops) as NumPy arrays plus the name of their
    namespace and device.
    """
    if "_seeded_rng" in state:  # kept by models of earlier releases
        state = {k: v for k, v in state.items() if k != "_seeded_rng"}
    if "_training_state" in state:
        state = {**state, "_training_state": _plain(state["_training_state"])}
    coefs = state.get("coefs_")
    if coefs and foreign_ops(coefs[0]) is not None:
        state = host_state(state)
    return state


def loaded_state(state):
    """Return the estimator's state from a pickled one (undo :func:`saved_state`).

    Arrays go back to their namespace and device when that library and device
    are available, and stay NumPy arrays otherwise (a warning says so).
    """
    coefs = state.get("coefs_")
    if coefs and is_moved(coefs[0]):
        state = restore_state(state)
    if "_training_state" in state:
        return {**state, "_training_state": _rebuilt(state["_training_state"])}
    if "out_activation_" in state:
        return _from_earlier_release(state)
    return state
