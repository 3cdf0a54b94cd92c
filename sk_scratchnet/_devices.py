"""Where an array lives: its namespace, its device, its dtypes, the host.

Which library an array belongs to and which device it sits on is asked of
``array_api_compat`` (``array_namespace``, ``device``, ``is_torch_namespace``,
...): scikit-learn ships a copy of it from version 1.7 on; with scikit-learn 1.6
the package itself is used when it is installed (array API dispatch needs it
there anyway).  Without either, every input is a host array-like, which
scikit-learn's validation turns into NumPy.

What stays here is what the estimators need on top of it: the check that a
namespace's arrays can be written through views (the flat parameter vector's
layer views rely on it), the host transfers :func:`to_host` and
:func:`from_host` (a NumPy array in, an array on ``like``'s device out, in the
dtype the network uses), the float dtypes a device supports (the array API's
own inspection), the check that ``predict``'s input is where the fitted weights
are, and pickling: :func:`host_state` turns the arrays of a fitted estimator
into NumPy arrays with the name of their library and device,
:func:`restore_state` puts them back there.  Random numbers, row hashes and
label bookkeeping stay on the host as NumPy arrays and are moved to the device
where the math needs them.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
from scipy import sparse
from sklearn import get_config

try:  # scikit-learn >= 1.7 ships array_api_compat
    from sklearn.externals import array_api_compat as _compat
except ImportError:  # pragma: no cover - scikit-learn 1.6
    try:
        import array_api_compat as _compat
    except ImportError:
        _compat = None

__all__ = [
    "array_namespace",
    "check_same_namespace",
    "float_dtypes",
    "foreign_namespace",
    "from_host",
    "host_state",
    "is_moved",
    "namespace_name",
    "namespace_of",
    "numpy_dtype",
    "restore_state",
    "same_place",
    "take_rows",
    "to_host",
]


def array_namespace(a):
    """Return the array API namespace of ``a`` (``array_api_compat``'s wrapper).

    Raises ``TypeError`` for what is not an array of a known library.
    """
    if _compat is None:  # scikit-learn 1.6 without the package
        raise TypeError(
            f"Arrays of type {type(a).__name__} need the array_api_compat package "
            "(pip install array-api-compat)."
        )
    return _compat.array_namespace(a)


def namespace_name(xp) -> str:
    """Return a short name: 'numpy', 'torch', 'cupy', 'array_api_strict'.

    The name of the module with the library's name in it, as error messages and
    pickles spell it (a namespace whose module name has 'numpy' in it counts as
    NumPy).
    """
    name = xp.__name__
    for short in ("torch", "cupy", "array_api_strict", "jax", "numpy", "dask"):
        if short in name:
            return short
    return name


class _ReadOnlyViews(str):
    """The name of a namespace whose arrays cannot be updated through views."""


# The namespace of each array type seen (None: NumPy's), once checked.
_CHECKED: dict[type, object] = {}


def namespace_of(a):
    """Return the namespace of array ``a``, ``None`` for NumPy and sparse input.

    Raises ``TypeError`` for what is not an array, and, under array API
    dispatch, for a namespace whose arrays cannot be updated in place through
    views (JAX's); without dispatch such arrays are array-likes that
    validation turns into NumPy, so the answer is ``None``.
    """
    if isinstance(a, np.ndarray) or sparse.issparse(a):
        return None
    try:
        xp = _CHECKED[type(a)]
    except KeyError:
        xp = array_namespace(a)
        name = namespace_name(xp)
        if name == "numpy":
            xp = None
        elif not _writable_views(xp, a):
            xp = _ReadOnlyViews(name)
        _CHECKED[type(a)] = xp
    if isinstance(xp, _ReadOnlyViews):
        if not get_config()["array_api_dispatch"]:
            return None
        raise TypeError(
            f"Arrays of the {str(xp)!r} namespace cannot be updated in place "
            "through views, which the network's flat parameter vector relies on; "
            "use NumPy, PyTorch, CuPy or array-api-strict arrays."
        )
    return xp


def _writable_views(xp, a):
    """Whether a write through a reshaped slice of an ``xp`` array reaches it.

    ``array_api_compat.is_writeable_array`` tells whether ``a[...] = v`` is
    allowed; the flat parameter vector also needs the write to reach the array
    a reshaped slice was taken from (Dask allows the first, not the second).
    """
    try:
        base = xp.zeros((4,), dtype=a.dtype, device=a.device)
        view = xp.reshape(base[1:3], (2, 1))
        view[...] = 1.0
        return bool(base[1] == 1.0)
    except Exception:
        return False


def foreign_namespace(a):
    """Return the namespace of ``a`` when it is an array of another library.

    ``None`` for NumPy arrays, sparse matrices and anything that is not an array
    (lists, data frames), which scikit-learn's validation turns into NumPy.
    """
    if a is None or isinstance(a, np.ndarray) or sparse.issparse(a):
        return None
    if type(a) in _CHECKED:
        return namespace_of(a)
    if _compat is None or not (
        hasattr(a, "__dlpack__") or hasattr(a, "__array_namespace__")
    ):
        return None
    try:
        array_namespace(a)
    except TypeError:
        return None
    return namespace_of(a)


def numpy_dtype(dtype):
    """Return the NumPy dtype of the same name as ``dtype`` (of any namespace)."""
    if isinstance(dtype, np.dtype) or (
        isinstance(dtype, type) and issubclass(dtype, np.generic)
    ):
        return np.dtype(dtype)
    return np.dtype(str(dtype).rsplit(".", 1)[-1].strip("'>)"))


def float_dtypes(a):
    """Return the float dtypes of ``a``'s namespace on its device, widest first."""
    xp = namespace_of(a)
    if xp is None:
        return (np.float64, np.float32)
    found = xp.__array_namespace_info__().dtypes(
        kind="real floating", device=_compat.device(a)
    )
    return tuple(found[name] for name in ("float64", "float32") if name in found)


# -- host transfers ---------------------------------------------------------------
def to_host(a):
    """Return ``a`` as a NumPy array on the host (NumPy, sparse, lists: as is).

    A device array is copied to host memory (a transfer).  A torch tensor that
    records gradients is detached first.
    """
    if a is None or isinstance(a, np.ndarray) or sparse.issparse(a):
        return a
    if _compat is None or not (
        hasattr(a, "__dlpack__") or hasattr(a, "__array_namespace__")
    ):
        return a  # a list or another array-like: NumPy reads it as it is
    xp = _compat.array_namespace(a)
    if _compat.is_torch_namespace(xp):
        return a.detach().cpu().numpy()
    if _compat.is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
        return a.get()
    try:
        return np.from_dlpack(a)
    except (TypeError, BufferError, RuntimeError, ValueError):
        return np.asarray(a)


def from_host(a, like, dtype=None):
    """NumPy ``a`` moved to the namespace and device of ``like``.

    ``dtype`` is a NumPy-side name ('float32') or the target namespace's dtype;
    ``None`` keeps ``a``'s kind (a float array takes ``like``'s dtype).  For a
    NumPy ``like`` this is ``a`` itself, untouched.
    """
    if a is None:
        return None
    xp = namespace_of(like)
    if xp is None:
        return a
    a = np.asarray(a)
    if dtype is None and a.dtype.kind == "f":
        dtype = like.dtype
    elif dtype is None and a.dtype.kind == "b":
        dtype = xp.bool
    elif dtype is None:
        dtype = xp.int64
    elif not _is_namespace_dtype(xp, dtype):
        dtype = getattr(xp, np.dtype(dtype).name)
    return xp.asarray(np.ascontiguousarray(a), dtype=dtype, device=_compat.device(like))


def _is_namespace_dtype(xp, dtype):
    if isinstance(dtype, np.dtype | str) or (
        isinstance(dtype, type) and issubclass(dtype, np.generic)
    ):
        return False
    try:
        return dtype in (xp.float32, xp.float64, xp.bool, xp.int64, xp.int32)
    except TypeError:
        return False


def take_rows(a, rows):
    """``a[rows]`` for host integer ``rows``, in ``a``'s namespace."""
    xp = namespace_of(a)
    if xp is None:
        return a[rows]
    return xp.take(a, from_host(rows, like=a), axis=0)


# -- the same place as the fit ----------------------------------------------------
def same_place(a, b) -> bool:
    """Whether two arrays share one namespace and device (NumPy and sparse: yes)."""
    xp_a, xp_b = namespace_of(a), namespace_of(b)
    if xp_a is None and xp_b is None:
        return True
    return xp_a is xp_b and _compat.device(a) == _compat.device(b)


def _name(a):
    xp = namespace_of(a)
    return "numpy" if xp is None else namespace_name(xp)


def check_same_namespace(X, fitted, estimator, method):
    """Raise when ``X`` is not in the namespace and on the device of ``fitted``.

    ``fitted`` is a fitted array of ``estimator`` (its first weight matrix).  The
    message follows scikit-learn's ``check_same_namespace``.
    """
    if same_place(X, fitted):
        return
    fit_ns, x_ns = _name(fitted), _name(X)
    where = (
        f"Array namespaces used during fit ({fit_ns}) and {method} ({x_ns}) differ."
        if fit_ns != x_ns
        else f"Devices used during fit ({_compat.device(fitted)}) and {method} "
        f"({_compat.device(X)}) differ."
    )
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the same "
        f"namespace and the same device as those passed to fit(). {where} Move X "
        "there (arrays other than NumPy's need "
        "sklearn.set_config(array_api_dispatch=True)), or refit the model on data "
        "of the new namespace and device."
    )


# -- pickling: arrays of other namespaces travel as NumPy arrays ------------------
# The marker key of an array that host_state moved to the host: a plain dict of
# a NumPy array and two strings, so that skops needs no extra trusted type.
_MOVED = "__sk_scratchnet_moved_array__"


def _convert(value, fn, seen):
    """Return ``value`` with ``fn`` applied to its arrays.

    Walks containers and our own objects (optimizers, early-stopping state);
    the originals are not modified.
    """
    if isinstance(value, dict) and not is_moved(value):
        return {k: _convert(v, fn, seen) for k, v in value.items()}
    if isinstance(value, list | tuple):
        converted = [_convert(v, fn, seen) for v in value]
        return converted if isinstance(value, list) else type(value)(converted)
    converted = fn(value)
    if converted is not value:
        return converted
    if type(value).__module__.startswith("sk_scratchnet.") and hasattr(
        value, "__dict__"
    ):
        if id(value) in seen:
            return seen[id(value)]
        twin = copy.copy(value)
        seen[id(value)] = twin
        twin.__dict__.update(_convert(dict(value.__dict__), fn, seen))
        return twin
    return value


def is_moved(value) -> bool:
    """Tell whether ``value`` is an array that :func:`host_state` moved to the host."""
    return isinstance(value, dict) and value.get(_MOVED) is True


def _to_moved(value):
    xp = foreign_namespace(value)
    if xp is None:
        return value
    return {
        _MOVED: True,
        "array": to_host(value),
        "namespace": namespace_name(xp),
        "device": str(_compat.device(value)),
    }


def host_state(state):
    """Return a copy of an estimator's state with device arrays as NumPy arrays."""
    return _convert(state, _to_moved, {})


def _device_like(namespace, device, dtype):
    """Return an empty array on ``namespace``/``device``, or None if unavailable."""
    try:
        if namespace == "torch":
            import torch

            return torch.empty(0, dtype=getattr(torch, dtype.name), device=device)
        if namespace == "array_api_strict":
            import array_api_strict as xp

            names = {str(d): d for d in xp.__array_namespace_info__().devices()}
            return xp.empty(0, dtype=getattr(xp, dtype.name), device=names[device])
        if namespace == "cupy":  # pragma: no cover - needs a GPU
            import cupy

            with cupy.cuda.Device(int(device.rsplit(" ", 1)[-1].strip(">"))):
                return cupy.empty(0, dtype=dtype)
    except Exception:  # the library or the device is not here
        return None
    return None


def restore_state(state):
    """Undo :func:`host_state`: arrays back to their namespace and device.

    Where that library or device is missing, they stay NumPy arrays (a warning
    says so).
    """
    missing = set()

    def back(value):
        if not is_moved(value):
            return value
        array, namespace, device = value["array"], value["namespace"], value["device"]
        like = _device_like(namespace, device, array.dtype)
        if like is None:
            missing.add(f"{namespace} ({device})")
            return array
        return from_host(array, like=like, dtype=like.dtype)

    restored = _convert(state, back, {})
    if missing:
        warnings.warn(
            f"The model was fitted on {', '.join(sorted(missing))} arrays, which "
            "are not available here; its arrays are NumPy arrays instead.",
            UserWarning,
            stacklevel=3,
        )
    return restored
