r"""Output heads: one per loss, keyed by the loss name.

A head is what sits on top of the last layer's raw ``score`` (Eq. 2): its link
(the output activation that turns a score into a prediction), its loss fused with
``dscore`` (Eqs. 3-5), and the name of the output activation that scikit-learn
reports as ``out_activation_`` and that the ONNX export emits.  Every pair is a
canonical link, so ``dscore = prediction - Y`` for all of them:

================  ==========  ============================  =======================
loss              output      prediction                    per-row loss
================  ==========  ============================  =======================
log_loss          softmax     :math:`p = \mathrm{softmax}(z)`  :math:`-\log p_{y}`
binary_log_loss   logistic    :math:`p = \sigma(z)`          binary cross-entropy
squared_error     identity    :math:`z`                      :math:`\frac12 (z - y)^2`
poisson           exp         :math:`e^z`                    Poisson deviance
================  ==========  ============================  =======================

An unknown name raises instead of falling back to another head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sk_scratchnet._losses import (
    logistic_cross_entropy,
    logistic_log_proba,
    logistic_proba,
    poisson_deviance,
    softmax_cross_entropy,
    softmax_log_proba,
    softmax_proba,
    squared_error,
)
from sk_scratchnet._namespace import ops_for


def _identity(score: np.ndarray) -> np.ndarray:
    return score


def _exp(score: np.ndarray) -> np.ndarray:
    return ops_for(score).exp(score, out=score)


@dataclass(frozen=True)
class Head:
    r"""An output layer and its loss.

    Attributes
    ----------
    loss : str
        The loss name: ``'log_loss'``, ``'binary_log_loss'``, ``'squared_error'``
        or ``'poisson'``.
    out_activation : str
        The link's name, as ``out_activation_`` reports it and ONNX emits it.
    link : callable
        ``link(score)`` returns the prediction for a raw score; it may write into
        ``score``.  Probabilities are clipped inside (0, 1).
    log_link : callable or None
        ``log_link(score)``, the log of the prediction computed without ``log``
        of a rounded probability (classification heads only).
    loss_and_dscore : callable
        ``loss_and_dscore(score, Y, row_scale, dscore)`` returns
        :math:`\sum_i r_i L_i` and writes its gradient with respect to ``score``
        into ``dscore``; ``score`` and ``Y`` are read only.
    reported_per_output : bool
        Whether scikit-learn's MLPs report this loss as a mean over the outputs
        (the squared error) while its gradient, theirs and ours, is that of the sum;
        ``tol`` is compared on their scale so that training stops where theirs does.
    """

    loss: str
    out_activation: str
    link: Callable[[np.ndarray], np.ndarray]
    log_link: Callable[[np.ndarray], np.ndarray] | None
    loss_and_dscore: Callable[..., float]
    reported_per_output: bool = False

    def loss_value(self, score: np.ndarray, Y: np.ndarray, row_scale) -> float:
        """Return the loss alone (validation curves); ``score`` is not modified."""
        scratch = ops_for(score).empty_like(score)
        return self.loss_and_dscore(score, Y, row_scale, scratch)


HEADS: dict[str, Head] = {
    head.loss: head
    for head in (
        Head(
            "log_loss",
            "softmax",
            softmax_proba,
            softmax_log_proba,
            softmax_cross_entropy,
        ),
        Head(
            "binary_log_loss",
            "logistic",
            logistic_proba,
            logistic_log_proba,
            logistic_cross_entropy,
        ),
        Head("squared_error", "identity", _identity, None, squared_error, True),
        Head("poisson", "exp", _exp, None, poisson_deviance),
    )
}


def get_head(loss: str) -> Head:
    """Return the head of ``loss``; a clear ``ValueError`` for an unknown name."""
    try:
        return HEADS[loss]
    except KeyError:
        raise ValueError(
            f"Unknown loss {loss!r}; choose from {sorted(HEADS)}."
        ) from None


def head_of_output(out_activation: str) -> Head:
    """Return the head whose link is ``out_activation`` (to read a fitted model)."""
    for head in HEADS.values():
        if head.out_activation == out_activation:
            return head
    raise ValueError(
        f"Unknown output activation {out_activation!r}; choose from "
        f"{sorted(h.out_activation for h in HEADS.values())}."
    )
