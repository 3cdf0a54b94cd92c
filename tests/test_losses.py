"""Tests for sk_scratchnet._losses: softmax, log-loss and the fused gradients."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_scratchnet._heads import HEADS
from sk_scratchnet._losses import (
    log_logistic,
    log_softmax,
    logistic,
    logistic_cross_entropy,
    logistic_log_proba,
    logistic_proba,
    softmax,
    softmax_cross_entropy,
    softmax_log_proba,
    softmax_proba,
)
from tests._helpers import central_difference

# The two classification heads, by the output activation the tests are written in.
OUTPUT_ACTIVATIONS = ("softmax", "logistic")
_HEAD = {"softmax": HEADS["log_loss"], "logistic": HEADS["binary_log_loss"]}
LOSS_AND_DSCORE = {name: head.loss_and_dscore for name, head in _HEAD.items()}


def log_loss(score, Y, out_activation, row_scale):
    return _HEAD[out_activation].loss_value(score, Y, row_scale)


def output_proba(score, out_activation):
    return _HEAD[out_activation].link(score)


def output_log_proba(score, out_activation):
    return _HEAD[out_activation].log_link(score)


EXTREME_SCORES = np.array(
    [
        [1e4, 0.0, -1e4],
        [1e300, -1e300, 0.0],
        [-1e300, -1e300, -1e300],
        [800.0, 800.0, -800.0],
        [40.0, -40.0, 0.0],
        [0.0, 0.0, 0.0],
    ]
)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    # Overflow, underflow-to-NaN or log(0) in these functions would be a bug.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _naive_softmax(score):
    e = np.exp(score)
    return e / e.sum(axis=1, keepdims=True)


def _naive_sigmoid(score):
    return 1.0 / (1.0 + np.exp(-score))


def _onehot(y, k):
    return np.eye(k)[y]


def _problem(rng, out_activation, n=7, k=4):
    score = rng.normal(scale=2.0, size=(n, k))
    if out_activation == "softmax":
        Y = _onehot(rng.integers(0, k, size=n), k)
    else:
        Y = (rng.random((n, k)) < 0.5).astype(float)
    return score, Y


def _row_scale(rng, kind, n):
    if kind == "mean":
        return 1.0 / n
    weights = rng.uniform(0.1, 3.0, size=n)
    return weights / weights.sum()


# --------------------------------------------------------------------- softmax
def test_softmax_rows_sum_to_one_and_match_naive_formula():
    rng = np.random.default_rng(0)
    score = rng.normal(scale=3.0, size=(9, 5))
    proba = softmax(score)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    assert_allclose(proba, _naive_softmax(score), rtol=1e-13)
    assert np.all(proba > 0)


def test_softmax_invariant_to_a_constant_per_row():
    rng = np.random.default_rng(0)
    score = rng.normal(size=(6, 4))
    shift = rng.normal(scale=100.0, size=(6, 1))
    assert_allclose(softmax(score + shift), softmax(score), rtol=1e-12, atol=1e-15)


def test_softmax_does_not_overflow_for_large_scores():
    score = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    proba = softmax(score)
    assert_allclose(proba, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert np.all(np.isfinite(softmax(EXTREME_SCORES)))


def test_softmax_out_argument_and_no_mutation():
    rng = np.random.default_rng(0)
    score = rng.normal(size=(5, 3))
    before = score.copy()
    expected = softmax(score)
    assert_array_equal(score, before)
    out = np.empty_like(score)
    assert softmax(score, out=out) is out
    assert_allclose(out, expected)
    in_place = score.copy()
    softmax(in_place, out=in_place)
    assert_allclose(in_place, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_keeps_dtype(dtype):
    score = np.random.default_rng(0).normal(size=(4, 3)).astype(dtype)
    assert softmax(score).dtype == dtype
    assert log_softmax(score).dtype == dtype


def test_log_softmax_is_finite_and_equals_log_of_softmax():
    rng = np.random.default_rng(0)
    score = rng.normal(scale=3.0, size=(8, 4))
    assert_allclose(log_softmax(score), np.log(softmax(score)), rtol=1e-12)

    log_proba = log_softmax(EXTREME_SCORES)
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba <= 0)
    proba = softmax(EXTREME_SCORES)
    where = proba > 0
    assert_allclose(log_proba[where], np.log(proba[where]), rtol=1e-12, atol=1e-15)
    # An entry 2e4 below the row max has log-probability exactly -2e4.
    assert_allclose(log_proba[0], [0.0, -1e4, -2e4], atol=1e-12)


# -------------------------------------------------------------------- logistic
def test_logistic_and_log_logistic_match_naive_formulas():
    rng = np.random.default_rng(0)
    score = rng.normal(scale=3.0, size=(5, 3))
    assert_allclose(logistic(score), _naive_sigmoid(score), rtol=1e-14)
    assert_allclose(log_logistic(score), np.log(_naive_sigmoid(score)), rtol=1e-12)
    extreme = np.array([[1e300, -1e300, 1e4, -1e4, 800.0, -800.0]])
    assert np.all(np.isfinite(logistic(extreme)))
    assert np.all(np.isfinite(log_logistic(extreme)))
    assert_allclose(log_logistic(extreme)[0, [1, 3]], [-1e300, -1e4])


def test_logistic_out_argument_and_no_mutation():
    rng = np.random.default_rng(0)
    score = rng.normal(size=(4, 2))
    before = score.copy()
    expected = logistic(score)
    assert_array_equal(score, before)
    out = np.empty_like(score)
    assert logistic(score, out=out) is out
    assert_allclose(out, expected)
    logistic(score, out=score)
    assert_allclose(score, expected)


# ----------------------------------------------------------------- fused losses
@pytest.mark.parametrize("scale_kind", ["mean", "weights"])
def test_softmax_cross_entropy_loss_and_dscore(scale_kind):
    rng = np.random.default_rng(0)
    score, Y = _problem(rng, "softmax")
    n = score.shape[0]
    row_scale = _row_scale(rng, scale_kind, n)
    score_before, Y_before = score.copy(), Y.copy()
    dscore = np.empty_like(score)

    loss = softmax_cross_entropy(score, Y, row_scale, dscore)

    proba = _naive_softmax(score)
    y = Y.argmax(axis=1)
    per_row = -np.log(proba[np.arange(n), y])  # Eq. 4
    scale = np.broadcast_to(row_scale, (n,))
    assert isinstance(loss, float)
    assert_allclose(loss, per_row @ scale, rtol=1e-13)
    if scale_kind == "mean":
        assert_allclose(loss, per_row.mean(), rtol=1e-13)
    assert_allclose(dscore, (proba - Y) * scale[:, None], rtol=1e-12, atol=1e-16)
    if scale_kind == "mean":
        assert_allclose(dscore, (proba - Y) / n, rtol=1e-12, atol=1e-16)  # Eq. 5
    assert_array_equal(score, score_before)
    assert_array_equal(Y, Y_before)


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("scale_kind", ["mean", "weights"])
def test_logistic_cross_entropy_loss_and_dscore(n_outputs, scale_kind):
    rng = np.random.default_rng(0)
    score, Y = _problem(rng, "logistic", k=n_outputs)
    n = score.shape[0]
    row_scale = _row_scale(rng, scale_kind, n)
    score_before, Y_before = score.copy(), Y.copy()
    dscore = np.empty_like(score)

    loss = logistic_cross_entropy(score, Y, row_scale, dscore)

    p = _naive_sigmoid(score)
    per_row = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
    scale = np.broadcast_to(row_scale, (n,))
    assert isinstance(loss, float)
    assert_allclose(loss, per_row @ scale, rtol=1e-12)
    if scale_kind == "mean":
        assert_allclose(loss, per_row.mean(), rtol=1e-12)
    assert_allclose(dscore, (p - Y) * scale[:, None], rtol=1e-12, atol=1e-16)
    assert_array_equal(score, score_before)
    assert_array_equal(Y, Y_before)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("scale_kind", ["mean", "weights"])
def test_fused_gradient_matches_central_difference(out_activation, scale_kind):
    rng = np.random.default_rng(0)
    score, Y = _problem(rng, out_activation, n=5, k=3)
    row_scale = _row_scale(rng, scale_kind, score.shape[0])
    fused = LOSS_AND_DSCORE[out_activation]
    dscore = np.empty_like(score)
    fused(score, Y, row_scale, dscore)

    numeric = central_difference(
        lambda s: log_loss(s, Y, out_activation, row_scale), score.copy()
    )
    assert_allclose(dscore, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_per_row_scale_of_one_over_n_equals_scalar(out_activation):
    rng = np.random.default_rng(0)
    score, Y = _problem(rng, out_activation)
    n = score.shape[0]
    fused = LOSS_AND_DSCORE[out_activation]
    d_scalar, d_rows = np.empty_like(score), np.empty_like(score)
    loss_scalar = fused(score, Y, 1.0 / n, d_scalar)
    loss_rows = fused(score, Y, np.full(n, 1.0 / n), d_rows)
    assert_allclose(loss_rows, loss_scalar, rtol=1e-14)
    assert_allclose(d_rows, d_scalar, rtol=1e-14)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_fused_loss_is_finite_for_extreme_scores(out_activation):
    score = EXTREME_SCORES[[0, 3, 4, 5]]  # keep the loss itself representable
    n, k = score.shape
    if out_activation == "softmax":
        Y = _onehot(np.array([2, 2, 1, 0]), k)
    else:
        Y = np.array([[0, 1, 1], [0, 1, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
    dscore = np.empty_like(score)
    loss = LOSS_AND_DSCORE[out_activation](score, Y, 1.0 / n, dscore)
    assert np.isfinite(loss)
    assert np.all(np.isfinite(dscore))
    assert np.all(np.abs(dscore) <= 1.0 / n + 1e-15)
    # The first row's true class scores 2e4 below the best one (softmax) / the
    # wrong sign by 1e4 twice (logistic): the loss is dominated by that row.
    assert loss > 2e4 / n * (0.99 if out_activation == "softmax" else 0.49)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_fused_loss_is_zero_for_perfect_confident_scores(out_activation):
    Y = _onehot(np.array([0, 2, 1]), 3)
    score = np.where(Y > 0, 50.0, -50.0)
    dscore = np.empty_like(score)
    loss = LOSS_AND_DSCORE[out_activation](score, Y, 1.0 / 3, dscore)
    assert 0.0 <= loss < 1e-20
    assert_allclose(dscore, 0.0, atol=1e-20)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_float32_loss_keeps_float32_gradient(out_activation):
    rng = np.random.default_rng(0)
    score64, Y64 = _problem(rng, out_activation)
    score, Y = score64.astype(np.float32), Y64.astype(np.float32)
    dscore = np.empty_like(score)
    loss = LOSS_AND_DSCORE[out_activation](score, Y, 1.0 / len(score), dscore)
    dscore64 = np.empty_like(score64)
    loss64 = LOSS_AND_DSCORE[out_activation](score64, Y64, 1.0 / len(score), dscore64)
    assert dscore.dtype == np.float32
    assert_allclose(loss, loss64, rtol=1e-5)
    assert_allclose(dscore, dscore64, rtol=1e-4, atol=1e-6)


def _naive_log_loss(score, Y, out_activation):
    """Per-row cross-entropy from the textbook formulas (moderate scores only)."""
    if out_activation == "softmax":
        return -(np.log(_naive_softmax(score)) * Y).sum(axis=1)
    p = _naive_sigmoid(score)
    return -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)


@pytest.mark.parametrize("kind", ["mean", "weights"])
@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_log_loss_matches_textbook_formula_and_leaves_score_untouched(
    out_activation, kind
):
    rng = np.random.default_rng(0)
    score, Y = _problem(rng, out_activation)
    row_scale = _row_scale(rng, kind, len(score))
    before = score.copy()
    expected = np.sum(row_scale * _naive_log_loss(score, Y, out_activation))
    assert_allclose(log_loss(score, Y, out_activation, row_scale), expected, rtol=1e-12)
    assert_array_equal(score, before)


# ---------------------------------------------------------------- output layer
@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_output_proba_and_log_proba_are_consistent(out_activation, dtype):
    rng = np.random.default_rng(0)
    moderate = rng.normal(scale=3.0, size=(6, 3))
    big = 1e300 if dtype == np.float64 else 1e38
    extreme = np.clip(EXTREME_SCORES, -big, big)
    for score in (moderate.astype(dtype), extreme.astype(dtype)):
        before = score.copy()
        proba = output_proba(score, out_activation)
        log_proba = output_log_proba(score, out_activation)
        assert_array_equal(score, before)
        assert proba.dtype == dtype
        assert log_proba.dtype == dtype
        assert np.all(np.isfinite(log_proba))
        assert np.all(proba > 0)
        assert np.all(proba <= 1)
        eps = np.finfo(dtype).eps
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        assert_allclose(np.log(proba), log_proba, rtol=rtol, atol=4 * eps)
        if out_activation == "softmax":
            assert_allclose(proba.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)
        else:
            assert np.all(proba < 1)


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_output_proba_matches_naive_formula_for_moderate_scores(out_activation):
    rng = np.random.default_rng(0)
    score = rng.normal(scale=3.0, size=(6, 3))
    naive = _naive_softmax if out_activation == "softmax" else _naive_sigmoid
    assert_allclose(output_proba(score, out_activation), naive(score), rtol=1e-13)
    assert_allclose(
        output_log_proba(score, out_activation), np.log(naive(score)), rtol=1e-12
    )


def test_logistic_output_strictly_inside_unit_interval():
    score = np.array([[40.0, -40.0, 1e4, -1e4, 1e300, -1e300, 800.0, -800.0]])
    for dtype in (np.float64, np.float32):
        s = np.clip(score, -1e38, 1e38).astype(dtype) if dtype == np.float32 else score
        proba = output_proba(s, "logistic")
        assert np.all((proba > 0) & (proba < 1))
        # 1 - proba, the probability of the other class, is positive too.
        assert np.all(1 - proba > 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_proba_clip_bounds_are_exact(dtype):
    # The documented clip: softmax log-probabilities reach 0 exactly for a sure
    # class; a logistic one stops at log(1 - epsneg), so exp of it stays below 1
    # (and the other class keeps a positive probability). Both stop at log(tiny).
    info = np.finfo(dtype)
    sure = np.array([[0.0, -1e4, -1e4]], dtype=dtype)
    log_p = output_log_proba(sure, "softmax")
    assert log_p[0, 0] == 0.0
    assert_array_equal(log_p[0, 1:], np.log(info.tiny))
    assert_array_equal(output_proba(sure, "softmax")[0], [1.0, info.tiny, info.tiny])
    score = np.array([[40.0, 1e4, -1e4]], dtype=dtype)
    log_p = output_log_proba(score, "logistic")
    assert_array_equal(log_p[0, :2], np.log1p(-info.epsneg))
    assert log_p[0, 2] == np.log(info.tiny)
    assert np.all(np.exp(log_p) < 1)
    proba = output_proba(score, "logistic")
    assert_array_equal(proba[0], [1 - info.epsneg, 1 - info.epsneg, info.tiny])


# ------------------------------------------------------------- regression losses
def _naive_regression_loss(score, Y, loss):
    """Per-row half squared error / Poisson deviance from the textbook formulas."""
    if loss == "squared_error":
        return 0.5 * ((score - Y) ** 2).sum(axis=1)
    mu = np.exp(score)
    with np.errstate(divide="ignore", invalid="ignore"):
        y_log_y_over_mu = np.where(Y > 0, Y * np.log(Y / mu), 0.0)
    return (y_log_y_over_mu - Y + mu).sum(axis=1)


def _regression_problem(seed, n=6, k=2):
    rng = np.random.default_rng(seed)
    score = rng.normal(size=(n, k))
    Y = rng.poisson(2.0, size=(n, k)).astype(float)
    Y[0, 0] = 0.0  # 0 log 0 = 0
    return score, Y, rng


@pytest.mark.parametrize("kind", ["mean", "weights"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regression_loss_and_dscore_match_textbook_formulas(loss, kind):
    score, Y, rng = _regression_problem(0)
    row_scale = _row_scale(rng, kind, len(score))
    before = score.copy()
    dscore = np.full_like(score, np.nan)
    value = HEADS[loss].loss_and_dscore(score, Y, row_scale, dscore)
    per_row = _naive_regression_loss(score, Y, loss)
    assert_allclose(value, np.sum(row_scale * per_row), rtol=1e-12)
    prediction = score if loss == "squared_error" else np.exp(score)
    assert_allclose(dscore, (prediction - Y) * np.reshape(row_scale, (-1, 1)))
    assert_array_equal(score, before)
    assert isinstance(value, float)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regression_gradient_matches_central_difference(loss):
    score, Y, rng = _regression_problem(1, n=4, k=3)
    row_scale = _row_scale(rng, "weights", len(score))
    head = HEADS[loss]
    dscore = np.empty_like(score)
    head.loss_and_dscore(score, Y, row_scale, dscore)
    numeric = central_difference(
        lambda s: head.loss_value(s, Y, row_scale), score.copy()
    )
    assert_allclose(dscore, numeric, rtol=1e-6, atol=1e-9)


def test_poisson_deviance_is_zero_at_the_truth_and_finite_where_mu_underflows():
    Y = np.array([[0.0, 1.0, 3.0]])
    dscore = np.empty_like(Y)
    with np.errstate(divide="ignore"):
        score = np.log(Y)  # mu == Y exactly, -inf where Y is 0
    score[0, 0] = -800.0  # exp underflows to 0
    assert HEADS["poisson"].loss_and_dscore(score, Y, 1.0, dscore) == pytest.approx(
        0.0, abs=1e-15
    )
    assert_allclose(dscore, 0.0, atol=1e-15)


# ---------------------------------------------------------- prediction functions
PREDICTION_FUNCTIONS = (
    softmax_proba,
    softmax_log_proba,
    logistic_proba,
    logistic_log_proba,
)


def test_prediction_functions_write_into_a_fresh_array_and_keep_the_score():
    score = np.random.default_rng(4).normal(size=(5, 3))
    before = score.copy()
    for function in PREDICTION_FUNCTIONS:
        result = function(score)
        assert result is not score
        assert result.shape == score.shape
    assert_array_equal(score, before)
