r"""Output-layer losses fused with their gradient, and the output links.

The seed's output is :math:`p = \mathrm{softmax}(\mathrm{score})` (Eq. 3) with the
loss :math:`L = -\frac1n \sum_i \log p_{i, y_i}` (Eq. 4), whose gradient with
respect to the score is the famous :math:`\mathrm{dscore} = p - \mathrm{onehot}(y)`
divided by :math:`n` (Eq. 5).  Binary and multilabel problems use one logistic
unit per output, :math:`p = \sigma(\mathrm{score})`, with the binary cross-entropy;
the canonical link gives the same gradient :math:`p - y`.

The functions call NumPy through ``ops_for(score)``
(:mod:`sk_scratchnet._namespace`), so they also run on other array libraries.

Two numerical habits the seed omits:

* softmax subtracts each row's maximum before ``exp`` (it overflows otherwise);
* the loss is computed from the log-softmax / ``logaddexp``, never as
  ``log(clip(p))``, so it is exact and finite for any score.

Regression uses the identity output with half the squared error,
:math:`L_i = \frac12 \sum_j (z_{ij} - y_{ij})^2`, and the exponential output with
the Poisson deviance, :math:`L_i = \sum_j y_{ij}\log(y_{ij}/\mu_{ij}) - y_{ij} +
\mu_{ij}` with :math:`\mu = e^z`; both links are canonical, so again
:math:`\mathrm{dscore} = \mathrm{prediction} - y`.  Which function goes with
which output is decided once, in :mod:`sk_scratchnet._heads`.

Weights: every fused loss takes ``row_scale``, either a scalar (``1 / n``) or one
factor per row (``s_i / (n * mean(s))``, see the estimator's sample-weight
definition), and returns :math:`\sum_i \mathrm{row\_scale}_i \, L_i`.
"""

from __future__ import annotations

import numpy as np

from sk_scratchnet._activations import logistic_inplace
from sk_scratchnet._namespace import ops_for


def _scale_rows(a: np.ndarray, row_scale) -> None:
    """Multiply each row of ``a`` by its factor (or all by one scalar), in place."""
    if getattr(row_scale, "ndim", 0) == 0:
        a *= row_scale
    else:
        a *= row_scale[:, None]


def _weighted_sum(per_row: np.ndarray, row_scale) -> float:
    if getattr(row_scale, "ndim", 0) == 0:
        return float(ops_for(per_row).sum(per_row)) * float(row_scale)
    return float(per_row @ row_scale)


def softmax(score: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Eq. 3: row-wise softmax, shifted by each row's maximum.

    Parameters
    ----------
    score : ndarray of shape (n_samples, n_classes)
    out : ndarray of the same shape, optional
        Where to write the probabilities (may be ``score`` itself).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    ops = ops_for(score)
    out = ops.empty_like(score) if out is None else out
    ops.subtract(score, ops.max(score, axis=1, keepdims=True), out=out)
    ops.exp(out, out=out)
    out /= ops.sum(out, axis=1, keepdims=True)
    return out


def log_softmax(score: np.ndarray) -> np.ndarray:
    """Log of Eq. 3, ``z - max(z) - log(sum(exp(z - max(z))))``: always finite."""
    ops = ops_for(score)
    shifted = score - ops.max(score, axis=1, keepdims=True)
    shifted -= ops.log(ops.sum(ops.exp(shifted), axis=1, keepdims=True))
    return shifted


def logistic(score: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Element-wise logistic sigmoid, computed without overflow."""
    ops = ops_for(score)
    if out is None:
        out = ops.copy(score)
    elif out is not score:
        ops.copyto(out, score)
    logistic_inplace(out)
    return out


def log_logistic(score: np.ndarray) -> np.ndarray:
    """``log(sigma(z)) = -log(1 + exp(-z))``, finite for any z."""
    return -ops_for(score).logaddexp(0, -score)


def softmax_proba(score: np.ndarray) -> np.ndarray:
    """Eq. 3 for prediction, clipped below at the dtype's ``tiny``.

    Equal to ``exp(softmax_log_proba(score))`` up to rounding, computed directly
    because it is the hot path of predict.
    """
    ops = ops_for(score)
    proba = softmax(score)
    return ops.maximum(proba, ops.finfo(proba.dtype).tiny, out=proba)


def softmax_log_proba(score: np.ndarray) -> np.ndarray:
    """Log-softmax clipped to ``[log(tiny), 0]``: finite for any score.

    ``exp`` of it is a probability inside (0, 1] with full precision, so
    ``log(softmax_proba)`` equals it up to rounding, even for extreme scores.
    """
    ops = ops_for(score)
    log_proba = log_softmax(score)
    tiny = ops.finfo(log_proba.dtype).tiny
    return ops.clip(log_proba, np.log(tiny), 0.0, out=log_proba)


def logistic_proba(score: np.ndarray) -> np.ndarray:
    """Sigmoid for prediction, clipped to ``[tiny, 1 - eps / 2]`` of the dtype."""
    ops = ops_for(score)
    tiny, epsneg = _tiny_epsneg(ops, score.dtype)
    proba = logistic(score)
    return ops.clip(proba, tiny, 1 - epsneg, out=proba)


def logistic_log_proba(score: np.ndarray) -> np.ndarray:
    """Log-sigmoid clipped like :func:`logistic_proba`: finite for any score."""
    ops = ops_for(score)
    log_proba = log_logistic(score)
    tiny, epsneg = _tiny_epsneg(ops, log_proba.dtype)
    return ops.clip(log_proba, np.log(tiny), np.log1p(-epsneg), out=log_proba)


def _tiny_epsneg(ops, dtype):
    """``tiny`` and ``epsneg = eps / 2`` of a float dtype of any namespace."""
    info = ops.finfo(dtype)
    return info.tiny, getattr(info, "epsneg", info.eps / 2)


def softmax_cross_entropy(
    score: np.ndarray, Y: np.ndarray, row_scale, dscore: np.ndarray
) -> float:
    r"""Eqs. 3-5 fused: loss and ``dscore = (softmax(score) - Y) * row_scale``.

    Parameters
    ----------
    score : ndarray of shape (n, k)
        Raw output of the last layer (Eq. 2); read only.
    Y : ndarray of shape (n, k)
        One-hot truth.
    row_scale : float or ndarray of shape (n,)
        Weight of each row in the loss (``1 / n`` for the seed's mean).
    dscore : ndarray of shape (n, k)
        Output: the gradient of the returned loss with respect to ``score``.

    Returns
    -------
    loss : float
        :math:`\sum_i \mathrm{row\_scale}_i (\log \sum_j e^{z_{ij}} - z_{i y_i})`.
    """
    ops = ops_for(score)
    # Shift by the row max (Eq. 3 would overflow otherwise); the shift cancels in
    # both the probabilities and the log-softmax.
    ops.subtract(score, ops.max(score, axis=1, keepdims=True), out=dscore)
    true_score = ops.row_dot(dscore, Y)
    ops.exp(dscore, out=dscore)
    normaliser = ops.sum(dscore, axis=1)
    dscore /= normaliser[:, None]
    # Eq. 4 through the log-softmax: -log p_true = log(sum exp) - z_true.
    per_row = ops.log(normaliser)
    per_row -= true_score
    # Eq. 5: the canonical link makes the Jacobian collapse to p - onehot(y).
    dscore -= Y
    _scale_rows(dscore, row_scale)
    return _weighted_sum(per_row, row_scale)


def logistic_cross_entropy(
    score: np.ndarray, Y: np.ndarray, row_scale, dscore: np.ndarray
) -> float:
    r"""Binary cross-entropy of one logistic unit per output, fused with its gradient.

    Per row, :math:`L_i = \sum_j \log(1 + e^{z_{ij}}) - y_{ij} z_{ij}`, which is
    :math:`-y \log\sigma(z) - (1 - y) \log(1 - \sigma(z))` written so that it is
    finite for any score; ``dscore = (sigma(score) - Y) * row_scale``.
    """
    ops = ops_for(score)
    per_row = ops.sum(ops.logaddexp(0, score), axis=1)
    per_row -= ops.row_dot(score, Y)
    logistic(score, out=dscore)
    dscore -= Y
    _scale_rows(dscore, row_scale)
    return _weighted_sum(per_row, row_scale)


def squared_error(
    score: np.ndarray, Y: np.ndarray, row_scale, dscore: np.ndarray
) -> float:
    r"""Half squared error of the identity output, fused with its gradient.

    Per row :math:`L_i = \frac12 \sum_j (z_{ij} - y_{ij})^2`, summed over the
    outputs (so that the loss is the objective whose gradient is taken: see
    scikit-learn issue #8349), and ``dscore = (score - Y) * row_scale``.
    """
    ops = ops_for(score)
    ops.subtract(score, Y, out=dscore)
    per_row = ops.row_dot(dscore, dscore)
    per_row *= 0.5
    _scale_rows(dscore, row_scale)
    return _weighted_sum(per_row, row_scale)


def poisson_deviance(
    score: np.ndarray, Y: np.ndarray, row_scale, dscore: np.ndarray
) -> float:
    r"""Poisson deviance of the exponential output, fused with its gradient.

    With :math:`\mu = e^z`, per row
    :math:`L_i = \sum_j y_{ij}\log y_{ij} - y_{ij} z_{ij} - y_{ij} + \mu_{ij}`
    (:math:`0 \log 0 = 0`), which is :math:`y \log(y/\mu) - y + \mu` written
    without the ratio, so it stays finite where :math:`\mu` underflows; the
    log link is canonical: ``dscore = (exp(score) - Y) * row_scale``.
    """
    ops = ops_for(score)
    ops.exp(score, out=dscore)
    per_row = ops.sum(dscore, axis=1)
    per_row -= ops.row_dot(Y, score)
    per_row += ops.sum(ops.xlogy(Y, Y) - Y, axis=1)
    dscore -= Y
    _scale_rows(dscore, row_scale)
    return _weighted_sum(per_row, row_scale)
