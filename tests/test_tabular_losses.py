"""Fused losses of the tabular network: values and dscore against differences."""

import numpy as np
import pytest

from sk_scratchnet._losses import softmax
from sk_scratchnet._tabular_losses import (
    get_loss,
    smoothed_cross_entropy,
    squared_error,
    validation_score,
)
from tests._helpers import central_difference


def numerical_dscore(fn, score, Y, w, eps_ls):
    buf = np.empty_like(score)
    return central_difference(lambda s: fn(s, Y, w, eps_ls, buf), score.copy())


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("eps_ls", [0.0, 0.1])
def test_smoothed_cross_entropy_dscore(weighted, eps_ls):
    rng = np.random.default_rng(0)
    score = rng.normal(size=(6, 3)) * 3
    Y = np.eye(3)[rng.integers(0, 3, 6)]
    w = rng.uniform(0.5, 2.0, 6) if weighted else None
    dscore = np.empty_like(score)
    loss = smoothed_cross_entropy(score, Y, w, eps_ls, dscore)
    T = (1 - eps_ls) * Y + eps_ls / 3
    logp = np.log(softmax(score))
    ww = np.ones(6) if w is None else w
    expected = -np.sum(ww[:, None] * T * logp) / ww.sum()
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    num = numerical_dscore(smoothed_cross_entropy, score, Y, w, eps_ls)
    np.testing.assert_allclose(dscore, num, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_dscore(weighted):
    rng = np.random.default_rng(0)
    score = rng.normal(size=(5, 2))
    Y = rng.normal(size=(5, 2))
    w = rng.uniform(0.5, 2.0, 5) if weighted else None
    dscore = np.empty_like(score)
    loss = squared_error(score, Y, w, 0.0, dscore)
    ww = np.ones(5) if w is None else w
    np.testing.assert_allclose(
        loss, np.sum(ww[:, None] * (score - Y) ** 2) / (2 * ww.sum())
    )
    num = numerical_dscore(squared_error, score, Y, w, 0.0)
    np.testing.assert_allclose(dscore, num, rtol=1e-5, atol=1e-9)


def test_cross_entropy_large_scores_finite_in_float32():
    score = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    Y = np.array([[0.0, 1.0, 0.0]], dtype=np.float32)
    dscore = np.empty_like(score)
    loss = smoothed_cross_entropy(score, Y, None, 0.1, dscore)
    assert np.isfinite(loss) and np.isfinite(dscore).all()
    assert dscore.dtype == np.float32


def test_validation_scores():
    score = np.array([[2.0, 1.0], [0.0, 1.0], [3.0, 0.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    assert validation_score("softmax_cross_entropy", score, Y, None) == pytest.approx(
        1 / 3
    )
    assert validation_score(
        "softmax_cross_entropy", score, Y, np.array([1.0, 3.0, 1.0])
    ) == pytest.approx(3 / 5)
    r = validation_score(
        "squared_error", np.array([[1.0], [3.0]]), np.zeros((2, 1)), None
    )
    assert r == pytest.approx(np.sqrt(5.0))


def test_unknown_loss_raises():
    with pytest.raises(ValueError, match="loss must be one of"):
        get_loss("hinge")
