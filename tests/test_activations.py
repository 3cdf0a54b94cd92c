"""Tests for sk_scratchnet._activations: forward maps and backward rules."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import erf

from sk_scratchnet._activations import (
    ACTIVATIONS,
    ELU_ALPHA,
    LEAKY_RELU_SLOPE,
)

ALL_NAMES = sorted(ACTIVATIONS)


def _ref_relu(z):
    return np.maximum(z, 0.0)


def _ref_leaky_relu(z):
    return np.where(z > 0, z, 0.01 * z)


def _ref_elu(z):
    return np.where(z > 0, z, np.exp(np.minimum(z, 0.0)) - 1.0)


def _ref_softplus(z):
    return np.log1p(np.exp(z))


def _ref_gelu(z):
    return z * 0.5 * (1.0 + erf(z / np.sqrt(2.0)))


def _ref_logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


REFERENCE = {
    "identity": lambda z: z.copy(),
    "relu": _ref_relu,
    "tanh": np.tanh,
    "logistic": _ref_logistic,
    "leaky_relu": _ref_leaky_relu,
    "elu": _ref_elu,
    "softplus": _ref_softplus,
    "gelu": _ref_gelu,
}


def _forward(act, z):
    """f(z) on a copy, as the network calls it (in place with a scratch buffer)."""
    a = z.copy()
    act.forward(a, np.empty_like(a))
    return a


def _backward(act, z, delta):
    """delta * f'(z) on copies, passing z only when the rule says it needs it."""
    a = _forward(act, z)
    out = delta.copy()
    act.backward(
        z.copy() if act.needs_preactivation else None, a, out, np.empty_like(z)
    )
    return out


def _points(rng, shape=(6, 7), dtype=np.float64):
    """Random points in [-4, 4], kept away from the kinks at 0."""
    z = rng.uniform(-4.0, 4.0, size=shape)
    z[np.abs(z) < 1e-2] += 0.05
    return z.astype(dtype)


def test_registry_holds_every_documented_activation():
    assert set(ACTIVATIONS) == set(REFERENCE)
    for name, act in ACTIVATIONS.items():
        assert act.name == name
    assert LEAKY_RELU_SLOPE == 0.01
    assert ELU_ALPHA == 1.0


@pytest.mark.parametrize("name", ALL_NAMES)
def test_forward_matches_reference_formula(name):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=(8, 5))
    z[0, :3] = [0.0, -0.0, 1e-12]
    assert_allclose(_forward(ACTIVATIONS[name], z), REFERENCE[name](z), rtol=1e-13)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_backward_matches_central_difference(name):
    rng = np.random.default_rng(0)
    act = ACTIVATIONS[name]
    z = _points(rng)
    delta = rng.normal(size=z.shape)
    eps = 1e-6
    numeric = (_forward(act, z + eps) - _forward(act, z - eps)) / (2 * eps)
    assert_allclose(_backward(act, z, delta), delta * numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "slope_left", "slope_right"),
    [("relu", 0.0, 1.0), ("leaky_relu", 0.01, 1.0), ("identity", 1.0, 1.0)],
)
def test_piecewise_linear_backward_is_exact(name, slope_left, slope_right):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    delta = rng.normal(size=z.shape)
    expected = delta * np.where(z > 0, slope_right, slope_left)
    assert_array_equal(_backward(ACTIVATIONS[name], z, delta), expected)


def test_relu_derivative_at_zero_is_zero():
    # MLPClassifier's convention: the sub-gradient at the kink is 0.
    z = np.array([[0.0, -0.0, 1.0, -1.0]])
    delta = np.ones_like(z)
    assert_array_equal(_backward(ACTIVATIONS["relu"], z, delta), [[0, 0, 1, 0]])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_backward_modifies_only_delta(name):
    # The seed's `dr = dh; dr[h <= 0] = 0` mutates dh through an alias; here the
    # forward output a and the pre-activation z must come back untouched.
    rng = np.random.default_rng(0)
    act = ACTIVATIONS[name]
    z = rng.normal(size=(6, 4))
    z[0, 0] = 0.0
    a = _forward(act, z)
    z_before, a_before = z.copy(), a.copy()
    delta = rng.normal(size=z.shape)
    act.backward(z, a, delta, np.empty_like(z))
    assert_array_equal(z, z_before)
    assert_array_equal(a, a_before)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_forward_writes_only_its_argument(name):
    # z and scratch are windows into larger buffers (as a workspace hands them
    # out): forward must overwrite exactly the window of z with f(z) and touch
    # nothing around either window.
    rng = np.random.default_rng(0)
    big = rng.normal(size=(8, 6))
    scratch_big = np.full((6, 5), 7.0)
    z = big[2:6, 1:4]
    scratch = scratch_big[1:5, 1:4]
    reference = REFERENCE[name](z.copy())
    outside = np.ones(big.shape, dtype=bool)
    outside[2:6, 1:4] = False
    big_before = big.copy()
    scratch_outside = np.ones(scratch_big.shape, dtype=bool)
    scratch_outside[1:5, 1:4] = False
    assert ACTIVATIONS[name].forward(z, scratch) is None
    assert_allclose(big[2:6, 1:4], reference, rtol=1e-13)
    assert_array_equal(big[outside], big_before[outside])
    assert_array_equal(scratch_big[scratch_outside], 7.0)


LARGE = {
    np.float64: [1e4, -1e4, 0.0, 40.0, -40.0, 800.0, -800.0],
    np.float32: [1e4, -1e4, 0.0, 40.0, -40.0, 100.0, -100.0],
}
HUGE = {np.float64: [1e300, -1e300], np.float32: [3e38, -3e38]}
EXTREME_CASES = [
    pytest.param(
        name,
        dtype,
        points,
        id=f"{name}-{np.dtype(dtype).name}-{size}",
    )
    for name in ALL_NAMES
    for dtype in (np.float64, np.float32)
    for size, points in (("large", LARGE[dtype]), ("huge", HUGE[dtype]))
]


@pytest.mark.parametrize(("name", "dtype", "extremes"), EXTREME_CASES)
def test_extreme_inputs_raise_no_runtime_warning(name, dtype, extremes):
    act = ACTIVATIONS[name]
    z = np.array([extremes], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = _forward(act, z)
        delta = _backward(act, z, np.ones_like(z))
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(delta))
    assert a.dtype == dtype
    assert delta.dtype == dtype


@pytest.mark.parametrize("name", ALL_NAMES)
def test_extreme_inputs_give_the_limit_values(name):
    act = ACTIVATIONS[name]
    z = np.array([[1e300, -1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = _forward(act, z)
    expected_low = {
        "identity": -1e300,
        "relu": 0.0,
        "tanh": -1.0,
        "logistic": 0.0,
        "leaky_relu": -1e298,
        "elu": -ELU_ALPHA,
        "softplus": 0.0,
        "gelu": 0.0,
    }[name]
    expected_high = {"tanh": 1.0, "logistic": 1.0}.get(name, 1e300)
    assert_allclose(a[0], [expected_high, expected_low], rtol=1e-12)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_stays_float32_and_matches_float64(name):
    rng = np.random.default_rng(0)
    act = ACTIVATIONS[name]
    z64 = _points(rng)
    delta64 = rng.normal(size=z64.shape)
    z32, delta32 = z64.astype(np.float32), delta64.astype(np.float32)
    a32 = _forward(act, z32)
    d32 = _backward(act, z32, delta32)
    assert a32.dtype == np.float32
    assert d32.dtype == np.float32
    assert_allclose(a32, _forward(act, z32.astype(np.float64)), rtol=1e-5, atol=1e-6)
    assert_allclose(
        d32,
        _backward(act, z32.astype(np.float64), delta32.astype(np.float64)),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_works_on_row_slices_of_a_larger_buffer(name):
    # The network hands the rules the first rows of preallocated buffers.
    rng = np.random.default_rng(0)
    act = ACTIVATIONS[name]
    z_full = _points(rng, shape=(10, 4))
    z = z_full[:3]
    buf = z_full.copy()
    act.forward(buf[:3], np.empty((10, 4))[:3])
    assert_allclose(buf[:3], REFERENCE[name](z), rtol=1e-13)
    assert_array_equal(buf[3:], z_full[3:])
