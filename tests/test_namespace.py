"""The per-batch operations: ``ArrayAPIOps`` must compute what ``NUMPY_OPS`` does.

Every function of :class:`ArrayAPIOps` is run on array-api-strict arrays (float64
on its default device, float32 on a second device) and compared with the same
call of :data:`NUMPY_OPS` on NumPy copies of the inputs; the result must stay in
the input's namespace, dtype and device, and ``out=`` must be filled and returned
even when it is a view into a larger buffer.
"""

import warnings

import numpy as np
import pytest
import scipy.special
from scipy import sparse

from sk_scratchnet import _namespace
from sk_scratchnet._devices import from_host, numpy_dtype, to_host
from sk_scratchnet._namespace import NUMPY_OPS, ArrayAPIOps, foreign_ops, ops_for
from tests._strict_arrays import (
    PLACE_IDS,
    PLACES,
    TORCH_REASON,
    host_values,
    strict_array,
    strict_device,
    xps,
)


def _tolerance(place):
    return {"rtol": 1e-15, "atol": 0} if place[0] == "float64" else {"rtol": 1e-6}


def _assert_same(result, expected, place, like):
    """``result`` is in ``like``'s namespace/device and equals NumPy's ``expected``."""
    assert type(result) is type(like)
    assert result.device == like.device
    host = to_host(result)
    expected = np.asarray(expected)
    assert host.shape == expected.shape
    if expected.dtype.kind == "f":
        assert numpy_dtype(result.dtype) == np.dtype(place[0])
        np.testing.assert_allclose(host, expected, **_tolerance(place))
    else:
        np.testing.assert_array_equal(host, expected)


@pytest.fixture(params=PLACES, ids=PLACE_IDS)
def place(request):
    return request.param


@pytest.fixture
def data(place):
    """Two (5, 3) operands, NumPy and strict, with negative, zero and positive."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 3)).astype(place[0])
    b = rng.normal(size=(5, 3)).astype(place[0])
    a[0, 0] = 0.0
    b[1, 1] = a[1, 1]  # a tie for maximum/minimum/greater/less
    return a, b, strict_array(a, place), strict_array(b, place)


@pytest.fixture
def ops():
    ops = ops_for(xps.asarray([1.0]))
    assert isinstance(ops, ArrayAPIOps)
    return ops


BINARY = [
    "maximum",
    "minimum",
    "greater",
    "less",
    "add",
    "subtract",
    "multiply",
    "divide",
    "logaddexp",
]
UNARY = ["negative", "tanh", "exp", "expm1", "expit", "erf"]
POSITIVE_UNARY = ["log", "sqrt"]


# ----------------------------------------------------------- element-wise ops
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_numpy(ops, data, place, name):
    a, b, A, B = data
    expected = getattr(NUMPY_OPS, name)(a, b)
    _assert_same(getattr(ops, name)(A, B), expected, place, A)


@pytest.mark.parametrize("name", BINARY)
def test_binary_fills_and_returns_out(ops, data, place, name):
    a, b, A, B = data
    expected = getattr(NUMPY_OPS, name)(a, b)
    out = ops.empty(A.shape, A.dtype, like=A)
    result = getattr(ops, name)(A, B, out=out)
    assert result is out
    # bool results (greater, less) are written into the float buffer as 0/1
    _assert_same(out, expected.astype(place[0]), place, A)


@pytest.mark.parametrize("name", BINARY)
def test_binary_writes_into_a_view_of_a_bigger_buffer(ops, data, place, name):
    a, b, A, B = data
    big = ops.zeros((7, 5), A.dtype, like=A)
    view = big[1:6, 1:4]
    result = getattr(ops, name)(A, B, out=view)
    expected = np.zeros((7, 5), dtype=place[0])
    expected[1:6, 1:4] = getattr(NUMPY_OPS, name)(a, b)
    _assert_same(big, expected, place, A)
    _assert_same(result, expected[1:6, 1:4], place, A)


@pytest.mark.parametrize(
    ("name", "scalar"),
    [
        (name, scalar)
        for name in BINARY
        for scalar in (0, 1, 0.5, -2.0, np.float64(1.5))
        if not (name == "divide" and scalar == 0)
    ],
)
def test_python_scalar_operands(ops, data, place, name, scalar):
    a, _, _, _ = data
    a = np.where(a == 0, 0.25, a).astype(place[0])  # no division by zero
    A = strict_array(a, place)
    # NumPy keeps the array's dtype for a Python (weak) scalar; so must we.
    expected = getattr(NUMPY_OPS, name)(a, float(scalar))
    _assert_same(getattr(ops, name)(A, scalar), expected, place, A)
    expected = getattr(NUMPY_OPS, name)(float(scalar), a)
    _assert_same(getattr(ops, name)(scalar, A), expected, place, A)


def test_bool_result_into_float_buffer(ops, data, place):
    a, _, A, _ = data
    out = ops.zeros(A.shape, A.dtype, like=A)
    ops.greater(A, 0, out=out)
    assert numpy_dtype(out.dtype) == np.dtype(place[0])
    _assert_same(out, (a > 0).astype(place[0]), place, A)


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_numpy(ops, data, place, name):
    a, _, A, _ = data
    expected = getattr(NUMPY_OPS, name)(a)
    _assert_same(getattr(ops, name)(A), expected, place, A)
    big = ops.zeros((6, 3), A.dtype, like=A)
    view = big[1:, :]
    assert getattr(ops, name)(A, out=view) is view
    _assert_same(big[1:, :], expected, place, A)
    _assert_same(big[:1, :], np.zeros((1, 3), place[0]), place, A)


@pytest.mark.parametrize("name", POSITIVE_UNARY)
def test_unary_of_positive_values_matches_numpy(ops, data, place, name):
    a, _, _, _ = data
    a = np.abs(a) + 0.5
    A = strict_array(a, place)
    out = ops.empty(A.shape, A.dtype, like=A)
    result = getattr(ops, name)(A, out=out)
    assert result is out
    _assert_same(out, getattr(NUMPY_OPS, name)(a), place, A)


def test_clip_matches_numpy(ops, data, place):
    a, _, A, _ = data
    expected = NUMPY_OPS.clip(a, -0.5, 0.25)
    _assert_same(ops.clip(A, -0.5, 0.25), expected, place, A)
    out = ops.empty(A.shape, A.dtype, like=A)
    assert ops.clip(A, np.float64(-0.5), 0.25, out=out) is out
    _assert_same(out, expected, place, A)


# Far tails of the sigmoid: exp(-z) overflows for z below about -709 (float64)
# and -88 (float32); the sigmoid itself is a normal or subnormal number there.
TAILS = {
    "float64": [-1000.0, -745.0, -740.0, -708.0, -40.0, 0.0, 40.0, 708.0, 1000.0],
    "float32": [-120.0, -103.0, -100.0, -87.0, -17.0, 0.0, 17.0, 87.0, 120.0],
}


def test_expit_in_the_far_tails(ops, place):
    z = np.array(TAILS[place[0]], dtype=place[0])
    Z = strict_array(z, place)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = ops.expit(Z)
    assert result.device == Z.device
    assert result.dtype == Z.dtype
    result = to_host(result)
    assert np.isfinite(result).all()
    assert result[0] == 0.0  # below the smallest subnormal
    # tiny values are not rounded to 0 before the dtype forces it: below 0,
    # expit(z) = exp(z) / (1 + exp(z)) = exp(z) to the last (subnormal) bit
    assert (result[1:-1] > 0).all()
    np.testing.assert_array_equal(result[1:4], np.exp(z[1:4]))
    assert result[-1] == 1.0
    # where SciPy's expit does not underflow early, the two agree
    np.testing.assert_allclose(
        result[3:], scipy.special.expit(z[3:]), **_tolerance(place)
    )


def test_erf_on_strict_arrays_uses_scipy_on_the_host(ops, place):
    z = np.linspace(-4, 4, 17).astype(place[0])
    Z = strict_array(z, place)
    _assert_same(ops.erf(Z), scipy.special.erf(z), place, Z)


def test_erf_on_torch_uses_torch(monkeypatch):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    z = np.linspace(-4, 4, 17)
    Z = torch.asarray(z)
    ops = ops_for(Z)

    def no_host(a):
        raise AssertionError("erf went through the host")

    monkeypatch.setattr(_namespace, "to_host", no_host)
    result = ops.erf(Z)
    assert isinstance(result, torch.Tensor)
    assert result.dtype == torch.float64
    np.testing.assert_allclose(result.numpy(), scipy.special.erf(z), rtol=1e-15)


def test_xlogy_is_zero_where_x_is_zero(ops, place):
    x = np.array([[0.0, 0.0, 0.0, 1.0, 2.0, 0.5]], dtype=place[0])
    y = np.array([[0.0, 1.0, 3.0, 0.5, 3.0, 1e-30]], dtype=place[0])
    X, Y = strict_array(x, place), strict_array(y, place)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = ops.xlogy(X, Y)
    expected = scipy.special.xlogy(x, y)
    assert expected[0, 0] == 0.0
    _assert_same(result, expected, place, X)


def test_matmul_and_copyto(ops, data, place):
    a, b, A, B = data
    expected = a @ b.T
    Bt = strict_array(b.T, place)
    _assert_same(ops.matmul(A, Bt), expected, place, A)
    big = ops.zeros((6, 6), A.dtype, like=A)
    out = big[1:, 1:]
    assert ops.matmul(A, Bt, out=out) is out
    _assert_same(big[1:, 1:], expected, place, A)
    dst = ops.zeros(A.shape, A.dtype, like=A)
    ops.copyto(dst, B)
    _assert_same(dst, b, place, A)


# ----------------------------------------------------------- reductions, shapes
def test_finfo_is_numpys(ops, place):
    dtype = getattr(xps, place[0])
    assert ops.finfo(dtype).eps == np.finfo(place[0]).eps
    assert ops.finfo(dtype).tiny == np.finfo(place[0]).tiny


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_and_sum(ops, data, place, axis, keepdims):
    a, _, A, _ = data
    for name in ("max", "sum"):
        expected = getattr(NUMPY_OPS, name)(a, axis=axis, keepdims=keepdims)
        _assert_same(
            getattr(ops, name)(A, axis=axis, keepdims=keepdims), expected, place, A
        )


def test_mean_argmax_row_dot(ops, data, place):
    a, b, A, B = data
    _assert_same(ops.mean(A), NUMPY_OPS.mean(a), place, A)
    _assert_same(ops.argmax(A, axis=1), NUMPY_OPS.argmax(a, axis=1), place, A)
    _assert_same(ops.row_dot(A, B), NUMPY_OPS.row_dot(a, b), place, A)


def test_column_sums_fills_out(ops, data, place):
    a, _, A, _ = data
    expected = np.zeros(5, dtype=place[0])
    expected[1:4] = a.sum(axis=0)
    big = ops.zeros((5,), A.dtype, like=A)
    out = big[1:4]
    assert ops.column_sums(A, out) is out
    _assert_same(big, expected, place, A)
    np.testing.assert_allclose(
        NUMPY_OPS.column_sums(a, np.empty(3, place[0])), expected[1:4]
    )


def test_column_sums_of_many_rows_and_of_a_column_major_view():
    # NumPy's column sums are a product with a shared vector of ones: it must
    # grow for longer columns, stay read-only and follow the dtype
    rng = np.random.default_rng(1)
    for n, dtype in [(3, np.float64), (1000, np.float64), (700, np.float32)]:
        a = rng.normal(size=(n, 4)).astype(dtype)
        out = np.empty(4, dtype)
        assert NUMPY_OPS.column_sums(a, out) is out
        np.testing.assert_allclose(
            out, a.sum(axis=0), rtol=1e-12 if dtype == np.float64 else 1e-4
        )
    buffer = NUMPY_OPS.empty_by_columns((6, 3), np.float64)
    buffer[...] = np.arange(18.0).reshape(6, 3)
    np.testing.assert_array_equal(
        NUMPY_OPS.column_sums(buffer[:4, :], np.empty(3)),
        np.arange(18.0).reshape(6, 3)[:4].sum(axis=0),
    )
    assert not _namespace._ONES[np.dtype(np.float64)].flags.writeable
    # past the cap, a plain reduction: the shared vector of ones does not grow
    many = rng.normal(size=(_namespace._ONES_MAX + 3, 2))
    np.testing.assert_allclose(
        NUMPY_OPS.column_sums(many, np.empty(2)), many.sum(axis=0), rtol=1e-12
    )
    assert _namespace._ONES[np.dtype(np.float64)].shape[0] <= _namespace._ONES_MAX


def test_maximum_zero_and_multiply_mask(ops, data, place):
    a, b, A, _ = data
    for array_ops, x in ((ops, ops.copy(A)), (NUMPY_OPS, a.copy())):
        assert array_ops.maximum_zero(x) is x
        expected = np.maximum(a, 0)
        if array_ops is ops:
            _assert_same(x, expected, place, A)
        else:
            np.testing.assert_array_equal(x, expected)
    # a view into a bigger buffer, as the workspace passes them
    big = ops.zeros((7, 3), A.dtype, like=A)
    big[1:6, :] = A
    ops.maximum_zero(big[1:6, :])
    _assert_same(big[1:6, :], np.maximum(a, 0), place, A)
    mask = b > 0
    y = ops.copy(A)
    assert ops.multiply_mask(y, strict_array(mask, place)) is y
    _assert_same(y, a * mask, place, A)
    x = a.copy()
    assert NUMPY_OPS.multiply_mask(x, mask) is x
    np.testing.assert_array_equal(x, a * mask)
    # NaN stays NaN through the ReLU, as with np.maximum(z, 0)
    nan = np.array([[np.nan, -1.0, 2.0]])
    NUMPY_OPS.maximum_zero(nan)
    assert np.isnan(nan[0, 0]) and nan[0, 1:].tolist() == [0.0, 2.0]


def test_empty_by_columns_and_row_major(ops, data, place):
    _, _, A, _ = data
    columns = NUMPY_OPS.empty_by_columns((5, 3), np.float32)
    assert columns.shape == (5, 3) and columns.dtype == np.float32
    assert columns.flags.f_contiguous
    rows = NUMPY_OPS.row_major(columns)
    assert rows.flags.c_contiguous and rows.shape == (5, 3)
    same = np.zeros((2, 2))
    assert NUMPY_OPS.row_major(same) is same
    strict = ops.empty_by_columns((5, 3), A.dtype, like=A)
    assert strict.shape == (5, 3) and strict.device == A.device
    assert ops.row_major(strict) is strict
    assert ops.result_type(A.dtype, A.dtype) == A.dtype
    assert NUMPY_OPS.result_type(np.float32, np.float64) == np.float64


def test_take_rows_and_take(ops, data, place):
    a, _, A, _ = data
    rows = np.array([4, 0, 0, 2])
    rows_dev = from_host(rows, like=A)
    expected = NUMPY_OPS.take_rows(a, rows, np.empty((4, 3), place[0]))
    big = ops.zeros((6, 3), A.dtype, like=A)
    out = big[1:5, :]
    assert ops.take_rows(A, rows_dev, out) is out
    _assert_same(big[1:5, :], expected, place, A)
    _assert_same(ops.take(A, rows_dev), a[rows], place, A)
    weights = strict_array(a[:, 0], place)
    _assert_same(ops.take(weights, rows_dev), a[rows, 0], place, A)
    _assert_same(ops.take(weights, slice(1, 3)), a[1:3, 0], place, A)


def test_hstack_reshape_copy_astype(ops, data, place):
    a, b, A, B = data
    _assert_same(ops.hstack([A, B]), NUMPY_OPS.hstack([a, b]), place, A)
    _assert_same(ops.hstack((-A, A)), np.hstack([-a, a]), place, A)
    flat = ops.zeros((15,), A.dtype, like=A)
    # the flat parameter vector relies on reshapes being views
    matrix = ops.reshape(flat, (5, 3))
    matrix[...] = A
    _assert_same(flat, a.reshape(-1), place, A)
    copy = ops.copy(A)
    copy[...] = 0.0
    _assert_same(A, a, place, A)
    other = "float32" if place[0] == "float64" else "float64"
    cast = ops.astype(A, getattr(xps, other))
    assert numpy_dtype(cast.dtype) == np.dtype(other)
    np.testing.assert_allclose(to_host(cast), a.astype(other), rtol=1e-6)


def test_allocation_on_the_device(ops, data, place):
    _, _, A, _ = data
    for array in (
        ops.empty_like(A),
        ops.empty((2, 4), A.dtype, like=A),
        ops.zeros((2, 4), A.dtype, like=A),
    ):
        assert type(array) is type(A)
        assert array.device == A.device
        assert array.dtype == A.dtype
    _assert_same(
        ops.zeros((2, 4), A.dtype, like=A), np.zeros((2, 4), place[0]), place, A
    )
    assert ops.empty_like(A).shape == A.shape


def test_all_finite_and_dense(ops, data, place):
    a, _, A, _ = data
    assert ops.all_finite(A) is True
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[2, 1] = bad
        assert ops.all_finite(strict_array(b, place)) is False
        assert NUMPY_OPS.all_finite(b) is False
    assert ops.dense(A) is A


def test_numpy_ops_are_numpys_own_functions():
    assert NUMPY_OPS.maximum is np.maximum
    assert NUMPY_OPS.expit is scipy.special.expit
    assert NUMPY_OPS.is_numpy is True
    assert NUMPY_OPS.name == "numpy"


# ----------------------------------------------------------- finding the ops
def test_ops_for_numpy_memmap_and_sparse(tmp_path):
    a = np.arange(6.0).reshape(3, 2)
    path = tmp_path / "a.dat"
    memmap = np.memmap(path, dtype=np.float64, mode="w+", shape=(3, 2))
    memmap[:] = a
    for array in (
        a,
        a.astype(np.float32),
        memmap,
        np.memmap(path, dtype=np.float64, mode="r", shape=(3, 2)),
        sparse.csr_matrix(a),
        sparse.csc_matrix(a),
        sparse.csr_array(a),
    ):
        assert ops_for(array) is NUMPY_OPS
    del memmap


def test_ops_for_strict_and_torch():
    ops = ops_for(xps.asarray([1.0]))
    assert isinstance(ops, ArrayAPIOps)
    assert ops.name == "array_api_strict"
    assert ops.is_numpy is False
    on_device1 = xps.asarray([1.0], dtype=xps.float32, device=strict_device("device1"))
    assert ops_for(on_device1) is ops
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    assert ops_for(torch.asarray([1.0])).name == "torch"


def test_foreign_ops():
    for value in host_values():
        assert foreign_ops(value) is None
    assert foreign_ops(xps.asarray([1.0])) is ops_for(xps.asarray([1.0]))
