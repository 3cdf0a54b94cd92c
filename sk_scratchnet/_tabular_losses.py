r"""Training losses of the tabular network, each fused with its ``dscore``.

Both losses are weighted means over the rows of a batch,
:math:`L = \sum_i w_i L_i / \sum_i w_i` (:math:`w_i = 1` without weights),
and write :math:`\partial L / \partial \mathrm{score}` into ``dscore``.
"""

from __future__ import annotations

import numpy as np


def smoothed_cross_entropy(score, Y, weight, epsilon, dscore) -> float:
    r"""Cross-entropy against label-smoothed targets, and its ``dscore``.

    With :math:`K` classes the targets are :math:`T = (1 - \varepsilon) Y +
    \varepsilon / K` and :math:`L_i = -\sum_k T_{ik} \log p_{ik}`,
    :math:`p = \mathrm{softmax}(\mathrm{score})`.  Since
    :math:`\partial \log p_{ik} / \partial s_{ij} = 1(j = k) - p_{ij}` and
    :math:`\sum_k T_{ik} = 1`,

    .. math::

        \partial L_i / \partial s_{ij} = p_{ij} - T_{ij},

    so ``dscore = w_i (p - T) / sum(w)``: the fused gradient of Eq. 5 with
    ``Y`` replaced by ``T``.  ``Y`` is one-hot (or any rows summing to 1).
    """
    K = score.shape[1]
    # log p = s - max - log(sum exp(s - max))
    np.subtract(score, score.max(axis=1, keepdims=True), out=dscore)
    logp = dscore
    lse = np.log(np.exp(logp).sum(axis=1, keepdims=True))
    logp -= lse
    T = Y * (1.0 - epsilon)
    T += epsilon / K
    per_row = -(T * logp).sum(axis=1)
    np.exp(logp, out=dscore)
    dscore -= T
    if weight is None:
        total = float(score.shape[0])
        loss = float(per_row.sum()) / total
        dscore *= 1.0 / total
    else:
        total = float(weight.sum())
        loss = float(per_row @ weight) / total
        dscore *= (weight / total)[:, None]
    return loss


def squared_error(score, Y, weight, epsilon, dscore) -> float:
    r"""Mean squared error over rows and outputs, and its ``dscore``.

    :math:`L = \sum_i w_i \sum_k (s_{ik} - y_{ik})^2 / (K \sum_i w_i)`, so
    ``dscore = 2 w_i (s - y) / (K sum(w))``.  ``epsilon`` is unused (no label
    smoothing for regression).
    """
    K = score.shape[1]
    np.subtract(score, Y, out=dscore)
    per_row = np.einsum("ij,ij->i", dscore, dscore)
    if weight is None:
        total = float(score.shape[0]) * K
        loss = float(per_row.sum()) / total
        dscore *= 2.0 / total
    else:
        total = float(weight.sum()) * K
        loss = float(per_row @ weight) / total
        dscore *= (2.0 * weight / total)[:, None]
    return loss


LOSSES = {
    "softmax_cross_entropy": smoothed_cross_entropy,
    "squared_error": squared_error,
}


def get_loss(name: str):
    """Return the loss function named ``name``; ValueError for an unknown name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(
            f"loss must be one of {sorted(LOSSES)}, got {name!r}"
        ) from None


def validation_score(loss: str, score, Y, weight) -> float:
    """Classification error (argmax) or RMSE, weighted; lower is better.

    These are the reference code's selection metrics ('class_error' for
    classification, 'rmse' for regression, here on the standardised targets).
    """
    w = np.ones(score.shape[0]) if weight is None else np.asarray(weight, float)
    if loss == "softmax_cross_entropy":
        wrong = score.argmax(axis=1) != Y.argmax(axis=1)
        return float(wrong @ w) / float(w.sum())
    diff = np.asarray(score, np.float64) - Y
    per_row = np.einsum("ij,ij->i", diff, diff) / score.shape[1]
    return float(np.sqrt(per_row @ w / w.sum()))
