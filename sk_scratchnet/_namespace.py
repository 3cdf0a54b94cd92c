"""The per-batch array operations, one ``ops`` object per array library.

The math modules (activations, losses, network, optimizers, training loops) are
written once, as NumPy-style calls with ``out=`` buffers on an ``ops`` object:
``ops.maximum(z, 0, out=z)``.  :func:`ops_for` returns that object for an array:

* for NumPy arrays (and SciPy sparse matrices), :data:`NUMPY_OPS`, whose members
  *are* NumPy's ufuncs and functions: the NumPy path runs the same calls as
  before, with its in-place fast paths and bitwise the same results;
* for PyTorch tensors, a :class:`TorchOps` whose members are torch's own
  functions, writing into ``out=`` on the tensor's device;
* for any other array API namespace (CuPy, array-api-strict), an
  :class:`ArrayAPIOps` with the same signatures that computes a new array in that
  namespace, on the array's device, and assigns it into ``out``.

The namespace of an array is found with ``array_api_compat``
(:mod:`sk_scratchnet._devices`, which also holds the host transfers, the dtype
and device helpers and pickling).  A namespace qualifies when its arrays can be
written in place through views (slices and reshapes): the flat parameter vector
and its per-layer views rely on it.  Arrays that cannot are rejected with a
clear error.
"""

from __future__ import annotations

import numpy as np
import scipy.special
from scipy import sparse

from sk_scratchnet._devices import (
    foreign_namespace,
    from_host,
    namespace_name,
    namespace_of,
    numpy_dtype,
    to_host,
)

__all__ = [
    "NUMPY_OPS",
    "ArrayAPIOps",
    "TorchOps",
    "foreign_ops",
    "ops_for",
]


class _NumpyOps:
    """NumPy's own functions under the names the math modules call.

    Every member is the NumPy (or SciPy) function itself, or a one-line wrapper
    that makes the same call, so the NumPy path is unchanged bit for bit.
    """

    name = "numpy"
    is_numpy = True

    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    greater = staticmethod(np.greater)
    less = staticmethod(np.less)
    add = staticmethod(np.add)
    subtract = staticmethod(np.subtract)
    multiply = staticmethod(np.multiply)
    divide = staticmethod(np.divide)
    negative = staticmethod(np.negative)
    tanh = staticmethod(np.tanh)
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    logaddexp = staticmethod(np.logaddexp)
    clip = staticmethod(np.clip)
    matmul = staticmethod(np.matmul)
    copyto = staticmethod(np.copyto)
    expit = staticmethod(scipy.special.expit)
    erf = staticmethod(scipy.special.erf)
    xlogy = staticmethod(scipy.special.xlogy)
    finfo = staticmethod(np.finfo)
    result_type = staticmethod(np.result_type)
    empty_like = staticmethod(np.empty_like)
    argmax = staticmethod(np.argmax)

    @staticmethod
    def max(a, axis=None, keepdims=False):
        """Maximum along ``axis``."""
        return a.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        """Sum along ``axis``."""
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(a):
        """Mean of all entries."""
        return a.mean()

    @staticmethod
    def column_sums(a, out):
        """``out = a.sum(axis=0)``, as the product ``ones @ a``.

        BLAS's matrix-vector product is about twice as fast as NumPy's reduction
        over the rows, which adds one row at a time (no more accurate).  Past
        ``_ONES_MAX`` rows (full-batch L-BFGS on big data) the reduction is used,
        so that the shared vector of ones stays small.
        """
        n = a.shape[0]
        if n > _ONES_MAX:
            return np.add.reduce(a, axis=0, out=out)
        return np.matmul(_ones(n, a.dtype), a, out=out)

    @staticmethod
    def maximum_zero(z):
        """``z = max(z, 0)`` in place.

        Against a row of zeros, broadcast: NumPy's maximum with a scalar operand
        runs no vectorised loop and takes about 1.2-2 times as long.
        """
        return np.maximum(z, _zero_row(z.shape[-1], z.dtype), out=z)

    @staticmethod
    def multiply_mask(a, mask):
        """Multiply ``a`` in place by a bool ``mask`` (factors 0 and 1)."""
        return np.multiply(a, mask, out=a)

    @staticmethod
    def row_dot(a, b):
        """Per-row dot products, ``sum_j a_ij b_ij``."""
        return np.einsum("ij,ij->i", a, b)

    @staticmethod
    def take_rows(X, rows, out):
        """Gather ``X[rows]`` into ``out`` (no fresh copy)."""
        return X.take(rows, 0, out, "clip")

    @staticmethod
    def take(a, index):
        """``a[index]`` for a slice or an integer index array."""
        return a[index]

    @staticmethod
    def hstack(arrays):
        """Concatenate along the columns."""
        return np.hstack(arrays)

    @staticmethod
    def reshape(a, shape):
        """Return a view of ``a`` with ``shape``."""
        return a.reshape(shape)

    @staticmethod
    def copy(a):
        """Return a copy of ``a``."""
        return a.copy()

    @staticmethod
    def astype(a, dtype):
        """Return ``a`` converted to ``dtype`` (a new array)."""
        return a.astype(dtype)

    @staticmethod
    def empty(shape, dtype, like=None):
        """Return an uninitialised array (``like`` gives the device elsewhere)."""
        return np.empty(shape, dtype=dtype)

    @staticmethod
    def zeros(shape, dtype, like=None):
        """Return an array of zeros."""
        return np.zeros(shape, dtype=dtype)

    @staticmethod
    def empty_by_columns(shape, dtype, like=None):
        """Return an uninitialised ``(rows, columns)`` array stored by columns.

        For the few columns of an output layer: reductions along a row (softmax's
        maximum and sum) then run over contiguous memory, several times faster.
        Its first rows, ``out[:n, :]``, are still a matrix BLAS writes into.
        """
        rows, columns = shape
        return np.empty((columns, rows), dtype=dtype).T

    @staticmethod
    def row_major(a):
        """Return ``a`` stored row by row (a copy only when it is not)."""
        return np.ascontiguousarray(a)

    @staticmethod
    def all_finite(a):
        """Whether every entry is finite."""
        return bool(np.isfinite(a).all())

    @staticmethod
    def dense(a):
        """Return ``a`` as an ndarray (a sparse product may be a matrix)."""
        return np.asarray(a)


NUMPY_OPS = _NumpyOps()

# A read-only vector of ones per dtype, grown to the longest column summed so far
# (column_sums multiplies by a prefix of it).
_ONES = {}
_ONES_MAX = 1 << 16
# Read-only rows of zeros per (length, dtype), for maximum_zero.
_ZERO_ROWS = {}


def _zero_row(n, dtype):
    row = _ZERO_ROWS.get((n, dtype))
    if row is None:
        row = np.zeros(n, dtype=dtype)
        row.flags.writeable = False
        _ZERO_ROWS[n, dtype] = row
    return row


def _ones(n, dtype):
    ones = _ONES.get(dtype)
    if ones is None or ones.shape[0] < n:
        ones = np.ones(max(n, 256), dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:n]


def _is_scalar(value):
    return isinstance(value, int | float | bool | np.number)


def _binary_method(name):
    """``ops.name(a, b, out=None)`` computed with the namespace's ``name``."""

    def method(self, a, b, out=None):
        return self._binary(getattr(self.xp, name), a, b, out)

    method.__name__ = name
    return method


def _unary_method(name):
    """``ops.name(a, out=None)`` computed with the namespace's ``name``."""

    def method(self, a, out=None):
        return self._out(getattr(self.xp, name)(a), out)

    method.__name__ = name
    return method


class ArrayAPIOps:
    """The same calls as :data:`NUMPY_OPS` for another array API namespace.

    Each function computes a new array with the namespace's own functions, on the
    device of its input, and assigns it into ``out`` when one is given: the
    namespace has no ``out=``, so buffers are refilled rather than written by
    the kernels.

    Parameters
    ----------
    xp : module
        The namespace (``array_api_compat``'s wrapper for PyTorch and CuPy).
    """

    is_numpy = False

    def __init__(self, xp):
        self.xp = xp
        self.name = namespace_name(xp)
        self._special = _special_functions(self.name)

    # -- element-wise, with an optional output buffer ------------------------
    def _out(self, value, out):
        if out is None:
            return value
        if value.dtype != out.dtype:
            value = self.xp.astype(value, out.dtype)
        out[...] = value
        return out

    def _binary(self, fn, a, b, out):
        # A Python scalar becomes a 0-d array of the other operand's dtype and
        # device, as NumPy treats it (not every namespace takes scalars).
        if _is_scalar(a):
            a = self.xp.asarray(a, dtype=b.dtype, device=b.device)
        elif _is_scalar(b):
            b = self.xp.asarray(b, dtype=a.dtype, device=a.device)
        return self._out(fn(a, b), out)

    # NumPy's element-wise functions with ``out=``, by name
    maximum = _binary_method("maximum")
    minimum = _binary_method("minimum")
    greater = _binary_method("greater")
    less = _binary_method("less")
    add = _binary_method("add")
    subtract = _binary_method("subtract")
    multiply = _binary_method("multiply")
    divide = _binary_method("divide")
    logaddexp = _binary_method("logaddexp")
    negative = _unary_method("negative")
    tanh = _unary_method("tanh")
    exp = _unary_method("exp")
    expm1 = _unary_method("expm1")
    log = _unary_method("log")
    sqrt = _unary_method("sqrt")

    def clip(self, a, low, high, out=None):
        return self._out(self.xp.clip(a, min=float(low), max=float(high)), out)

    def expit(self, a, out=None):
        """Logistic sigmoid from ``exp(-|z|)``: no overflow, no early rounding."""
        xp = self.xp
        e = xp.exp(-xp.abs(a))
        value = xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self._out(value, out)

    def erf(self, a, out=None):
        """Compute the error function: the library's own, else SciPy's on the host."""
        if self._special is not None:
            value = self._special(a)
        else:
            value = from_host(scipy.special.erf(to_host(a)), like=a)
        return self._out(value, out)

    def xlogy(self, a, b):
        """Return ``a * log(b)``, 0 where ``a == 0``."""
        xp = self.xp
        safe = xp.where(a == 0, xp.ones_like(b), b)
        return xp.where(a == 0, xp.zeros_like(a), a * xp.log(safe))

    def matmul(self, a, b, out=None):
        return self._out(a @ b, out)

    def copyto(self, dst, src):
        self._out(src, dst)

    # -- reductions and shapes ------------------------------------------------
    def finfo(self, dtype):
        # NumPy's, for the same names (tiny, epsneg) and values in every namespace.
        return np.finfo(numpy_dtype(dtype))

    def max(self, a, axis=None, keepdims=False):
        return self.xp.max(a, axis=axis, keepdims=keepdims)

    def sum(self, a, axis=None, keepdims=False):
        return self.xp.sum(a, axis=axis, keepdims=keepdims)

    def mean(self, a):
        return self.xp.mean(a)

    def argmax(self, a, axis=None):
        return self.xp.argmax(a, axis=axis)

    def column_sums(self, a, out):
        return self._out(self.xp.sum(a, axis=0), out)

    def row_dot(self, a, b):
        return self.xp.sum(a * b, axis=1)

    def take_rows(self, X, rows, out):
        return self._out(self.xp.take(X, rows, axis=0), out)

    def take(self, a, index):
        if isinstance(index, slice):
            return a[index]
        return self.xp.take(a, index, axis=0)

    def hstack(self, arrays):
        return self.xp.concat(list(arrays), axis=1)

    def reshape(self, a, shape):
        return self.xp.reshape(a, shape)

    def copy(self, a):
        return self.xp.asarray(a, copy=True)

    def astype(self, a, dtype):
        return self.xp.astype(a, dtype)

    def empty_like(self, a):
        return self.xp.empty_like(a)

    def empty(self, shape, dtype, like):
        return self.xp.empty(shape, dtype=dtype, device=like.device)

    def zeros(self, shape, dtype, like):
        return self.xp.zeros(shape, dtype=dtype, device=like.device)

    def empty_by_columns(self, shape, dtype, like):
        return self.empty(shape, dtype, like)

    def result_type(self, *dtypes):
        return self.xp.result_type(*dtypes)

    def maximum_zero(self, z):
        return self.maximum(z, 0, out=z)

    def multiply_mask(self, a, mask):
        a *= self.xp.astype(mask, a.dtype)
        return a

    def row_major(self, a):
        return a

    def all_finite(self, a):
        return bool(self.xp.all(self.xp.isfinite(a)))

    def dense(self, a):
        return a


def _torch_method(name, torch_name):
    """``ops.name(a, b, out=None)`` through torch's own ``torch_name`` with ``out=``."""

    def method(self, a, b, out=None):
        return self._native(torch_name, a, b, out)

    method.__name__ = name
    return method


class TorchOps(ArrayAPIOps):
    """PyTorch's own ``out=``: the kernels write into the buffers (no temporary).

    The generic :class:`ArrayAPIOps` computes a new tensor and copies it into
    ``out``: a second kernel launch and an allocation per call, which is most of
    the element-wise time of small batches.  Torch's functions take ``out=``
    (and Python scalars, but for ``maximum``, ``minimum`` and ``logaddexp``).
    """

    def __init__(self, xp):
        super().__init__(xp)
        import torch

        self.torch = torch

    def _native(self, name, a, b, out):
        fn = getattr(self.torch, name)
        return fn(a, b) if out is None else fn(a, b, out=out)

    def maximum(self, a, b, out=None):
        if _is_scalar(b):
            return self._clamp(a, b, None, out)
        return self._native("maximum", a, b, out)

    def minimum(self, a, b, out=None):
        if _is_scalar(b):
            return self._clamp(a, None, b, out)
        return self._native("minimum", a, b, out)

    def _clamp(self, a, low, high, out):
        clamp = self.torch.clamp
        return clamp(a, low, high) if out is None else clamp(a, low, high, out=out)

    def clip(self, a, low, high, out=None):
        return self._clamp(a, float(low), float(high), out)

    greater = _torch_method("greater", "gt")
    less = _torch_method("less", "lt")
    add = _torch_method("add", "add")
    subtract = _torch_method("subtract", "sub")
    multiply = _torch_method("multiply", "mul")
    divide = _torch_method("divide", "div")
    matmul = _torch_method("matmul", "matmul")

    def column_sums(self, a, out):
        return self.torch.sum(a, 0, out=out)

    def take_rows(self, X, rows, out):
        return self.torch.index_select(X, 0, rows, out=out)

    def copyto(self, dst, src):
        dst.copy_(src)


def _torch_unary(name):
    def method(self, a, out=None):
        fn = getattr(self.torch, name)
        return fn(a) if out is None else fn(a, out=out)

    method.__name__ = name
    return method


for _name in ("negative", "tanh", "exp", "expm1", "log", "sqrt"):
    setattr(TorchOps, _name, _torch_unary(_name))


def _special_functions(name):
    """Return the namespace's own ``erf``, where it has one."""
    if name == "torch":
        import torch

        return torch.special.erf
    if name == "cupy":  # pragma: no cover - needs a GPU
        import cupyx.scipy.special

        return cupyx.scipy.special.erf
    return None


_OPS_BY_TYPE: dict[type, object] = {np.ndarray: NUMPY_OPS}


def ops_for(a):
    """Return the ``ops`` of array ``a``'s namespace (NumPy's for sparse input)."""
    ops = _OPS_BY_TYPE.get(type(a))
    if ops is not None:
        return ops
    if isinstance(a, np.ndarray) or sparse.issparse(a):
        return NUMPY_OPS
    xp = namespace_of(a)
    if xp is None:
        ops = NUMPY_OPS
    else:
        ops = TorchOps(xp) if namespace_name(xp) == "torch" else ArrayAPIOps(xp)
    _OPS_BY_TYPE[type(a)] = ops
    return ops


def foreign_ops(a):
    """Return the ``ops`` of ``a`` when it is an array of another namespace.

    ``None`` for NumPy arrays, sparse matrices and anything that is not an array
    (lists, data frames), which scikit-learn's validation turns into NumPy.
    """
    return None if foreign_namespace(a) is None else ops_for(a)
