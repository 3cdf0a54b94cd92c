import math

import numpy as np
import pytest

from sk_scratchnet._schedules import (
    SCHEDULES,
    constant,
    cosine,
    coslog4,
    flat_cos,
    get_schedule,
)

T = np.linspace(0.0, 1.0, 101)


def test_coslog4_matches_formula_and_endpoints():
    expected = [0.5 * (1 - math.cos(2 * math.pi * math.log2(1 + 15 * t))) for t in T]
    np.testing.assert_allclose(coslog4(T), expected, rtol=0, atol=1e-12)
    assert coslog4(0.0) == pytest.approx(0.0, abs=1e-12)
    assert coslog4(1.0) == pytest.approx(0.0, abs=1e-12)
    # cycle ends where log2(1 + 15 t) is an integer, peaks where it is k - 1/2
    for k in range(1, 4):
        assert coslog4((2**k - 1) / 15) == pytest.approx(0.0, abs=1e-12)
        assert coslog4((2 ** (k - 0.5) - 1) / 15) == pytest.approx(1.0, abs=1e-12)


def test_flat_cos_matches_formula_and_endpoints():
    expected = [
        1.0 if t < 0.5 else 0.5 * (1 + math.cos(math.pi * (2 * t - 1))) for t in T
    ]
    np.testing.assert_allclose(flat_cos(T), expected, rtol=0, atol=1e-12)
    assert flat_cos(0.0) == 1.0
    assert flat_cos(0.5) == pytest.approx(1.0)
    assert flat_cos(0.75) == pytest.approx(0.5)
    assert flat_cos(1.0) == pytest.approx(0.0, abs=1e-12)


def test_cosine_and_constant():
    np.testing.assert_allclose(cosine(T), 0.5 * (1 + np.cos(np.pi * T)), atol=1e-12)
    assert cosine(0.0) == 1.0
    assert cosine(1.0) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(constant(T), np.ones_like(T))
    assert constant(0.3) == 1.0


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_shapes_range_and_scalar_type(name):
    fn = get_schedule(name)
    grid = T.reshape(101, 1)
    out = fn(grid)
    assert out.shape == grid.shape
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert isinstance(fn(0.25), float)
    t = T.copy()
    t.setflags(write=False)
    fn(t)  # read-only input is fine and unchanged
    np.testing.assert_array_equal(t, T)


def test_get_schedule_unknown_name():
    with pytest.raises(ValueError, match="Unknown schedule 'cos4'"):
        get_schedule("cos4")
    with pytest.raises(ValueError, match="Unknown schedule"):
        get_schedule(None)
