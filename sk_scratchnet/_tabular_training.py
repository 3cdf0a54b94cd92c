r"""The mini-batch training loop of the tabular network.

One permutation of the training rows per epoch (gathered once into
preallocated buffers), then for each batch: forward, fused loss + ``dscore``,
backward, and one Adam step with per-group learning-rate factors and
decoupled weight decay.  Learning rate, weight decay and dropout follow
schedules of the training progress :math:`t` (rows seen / rows of all epochs)
(:mod:`sk_scratchnet._schedules`).  After every epoch the validation rows are
scored; the parameters of the *last* epoch with the best validation score are
kept (ties go to the later epoch, as the reference code does).

The Adam step on :math:`\theta` with gradient :math:`g`, base learning rate
:math:`\eta_t`, weight decay :math:`\lambda_t`, group factors :math:`f`
(learning rate) and :math:`d` (decay on/off):

.. math::

    \theta &\leftarrow \theta \,(1 - \eta_t \lambda_t\, d f^2) \\
    m &\leftarrow \beta_1 m + (1 - \beta_1) g, \quad
    v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
    \theta &\leftarrow \theta - \eta_t f \,
        \frac{m / (1 - \beta_1^k)}{\sqrt{v / (1 - \beta_2^k)} + \epsilon}

The decay uses :math:`f^2`, not :math:`f`: the reference code multiplies the
already factored learning rate by the factor once more.  We follow the code
(the paper's text does not spell this out).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sk_scratchnet._schedules import get_schedule
from sk_scratchnet._tabular_losses import get_loss, validation_score
from sk_scratchnet._tabular_network import TabularNetwork, _generator, batch_of
from sk_scratchnet._threads import blas_threads


@dataclass
class TrainSettings:
    """Optimiser, schedules and regularisation of one training run."""

    loss: str
    learning_rate: float
    lr_schedule: str = "coslog4"
    beta_1: float = 0.9
    beta_2: float = 0.95
    epsilon: float = 1e-8
    weight_decay: float = 0.02
    weight_decay_schedule: str = "flat_cos"
    dropout: float = 0.15
    dropout_schedule: str = "flat_cos"
    label_smoothing: float = 0.1
    batch_size: int = 256
    max_epochs: int = 256
    lr_factors: dict | None = None


@dataclass
class TrainData:
    """Preprocessed rows and network targets (and optional row weights)."""

    blocks: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None


@dataclass
class TrainResult:
    """What a training run returns."""

    theta: np.ndarray
    best_epoch: int
    n_epochs: int
    loss_curve: list
    validation_curve: list | None


class AdamState:
    """Adam moments and the decoupled weight decay, in place on ``theta``.

    ``lr_factor`` and ``wd_factor`` are vectors over ``theta`` (the network's
    parameter groups); see the module docstring for the update.
    """

    def __init__(self, lr_factor, wd_factor, beta_1, beta_2, epsilon):
        self.lr_factor = lr_factor
        self.decay = wd_factor * lr_factor * lr_factor
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m = np.zeros_like(lr_factor)
        self.v = np.zeros_like(lr_factor)
        self.tmp = np.empty_like(lr_factor)
        self.tmp2 = np.empty_like(lr_factor)
        self.k = 0

    def step(self, theta, grad, lr: float, wd: float) -> None:
        """One decoupled-decay + Adam step with base learning rate ``lr``."""
        tmp, tmp2 = self.tmp, self.tmp2
        if wd > 0.0:
            np.multiply(self.decay, -lr * wd, out=tmp)
            tmp += 1.0
            theta *= tmp
        self.k += 1
        b1, b2 = self.beta_1, self.beta_2
        self.m *= b1
        np.multiply(grad, 1.0 - b1, out=tmp)
        self.m += tmp
        self.v *= b2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - b2
        self.v += tmp
        bc1 = 1.0 - b1**self.k
        bc2 = 1.0 - b2**self.k
        # sqrt(v / bc2) + eps = (sqrt(v) + eps sqrt(bc2)) / sqrt(bc2): one pass less
        root_bc2 = math.sqrt(bc2)
        np.sqrt(self.v, out=tmp)
        tmp += self.epsilon * root_bc2
        np.divide(self.m, tmp, out=tmp2)
        tmp2 *= self.lr_factor
        tmp2 *= lr * root_bc2 / bc1
        theta -= tmp2


def _normalised_weight(w, n):
    if w is None:
        return None
    w = np.asarray(w, dtype=np.float64)
    return w / w.mean() if w.sum() > 0 else np.ones(n)


def train_network(
    net: TabularNetwork,
    train: TrainData,
    val: TrainData | None,
    settings: TrainSettings,
    rng,
    on_epoch: Callable | None = None,
) -> TrainResult:
    """Train ``net`` in place and return the kept (last best epoch) parameters.

    ``on_epoch(epoch, loss, val_score, theta)`` is called after every epoch
    (1-based ``epoch``; ``theta`` is the network's current parameter vector,
    not a copy); a true return value stops training.
    """
    gen = _generator(rng)
    loss_fn = get_loss(settings.loss)
    for name, data in (("train", train), ("val", val)):
        if data is None:
            continue
        Y = np.asarray(data.Y)
        if Y.ndim != 2 or Y.shape[1] != net.arch.n_outputs:
            raise ValueError(
                f"{name}.Y must have shape (n, {net.arch.n_outputs}), got {Y.shape}"
            )
        if data.blocks.numeric.shape[0] != Y.shape[0]:
            raise ValueError(
                f"{name}.blocks has {data.blocks.numeric.shape[0]} rows but "
                f"{name}.Y has {Y.shape[0]}"
            )
    if np.asarray(train.Y).shape[0] == 0:
        raise ValueError("train_network needs at least one training row")
    eps_ls = settings.label_smoothing if settings.loss == "softmax_cross_entropy" else 0
    dtype = net.dtype
    numeric, flags, codes = batch_of(train.blocks, slice(None), dtype)
    Y = np.asarray(train.Y, dtype=dtype)
    n = Y.shape[0]
    weight = _normalised_weight(train.sample_weight, n)
    if weight is not None:
        weight = weight.astype(dtype)
    bs = max(1, min(settings.batch_size, n))
    steps_per_epoch = math.ceil(n / bs)
    total = steps_per_epoch * settings.max_epochs
    # progress before each step = rows seen so far / rows of all epochs (as the
    # reference code counts it; equal to step / total when bs divides n)
    sizes = np.minimum(bs, n - np.arange(0, n, bs))
    seen = np.concatenate([[0], np.cumsum(np.tile(sizes, settings.max_epochs))[:-1]])
    t = seen / (n * settings.max_epochs)
    lr_t = settings.learning_rate * get_schedule(settings.lr_schedule)(t)
    wd_t = settings.weight_decay * get_schedule(settings.weight_decay_schedule)(t)
    p_t = settings.dropout * get_schedule(settings.dropout_schedule)(t)
    lr_t, wd_t, p_t = (
        np.broadcast_to(np.asarray(a, float), (total,)) for a in (lr_t, wd_t, p_t)
    )

    lr_factor = net.lr_factor
    if settings.lr_factors:
        lr_factor = net.lr_factor.copy()
        for group, sl in ((g, s) for g, _, s in net.groups.values()):
            if group in settings.lr_factors:
                lr_factor[sl] = settings.lr_factors[group]
    adam = AdamState(
        lr_factor, net.wd_factor, settings.beta_1, settings.beta_2, settings.epsilon
    )
    ws = net.workspace(bs)
    # the shuffled copy of the data, refilled once per epoch
    s_num, s_flags, s_codes = (np.empty_like(a) for a in (numeric, flags, codes))
    s_Y = np.empty_like(Y)
    s_w = None if weight is None else np.empty_like(weight)
    dscore = np.empty((bs, Y.shape[1]), dtype)

    val_batch = val_Y = val_w = val_ws = None
    if val is not None and val.Y.shape[0]:
        val_Y = np.asarray(val.Y)
        val_w = val.sample_weight
    best_score, best_epoch = math.inf, 0
    best_theta = net.theta.copy()
    loss_curve, val_curve = [], ([] if val_Y is not None else None)
    theta, grad = net.theta, net.grad
    step = 0
    n_epochs = 0
    # one BLAS thread for small matrix products (_threads)
    with blas_threads(bs, net.dense_units):
        for epoch in range(1, settings.max_epochs + 1):
            perm = gen.permutation(n)
            np.take(numeric, perm, axis=0, out=s_num)
            np.take(flags, perm, axis=0, out=s_flags)
            np.take(codes, perm, axis=0, out=s_codes)
            np.take(Y, perm, axis=0, out=s_Y)
            if weight is not None:
                np.take(weight, perm, axis=0, out=s_w)
            epoch_loss = 0.0
            for start in range(0, n, bs):
                stop = min(start + bs, n)
                m = stop - start
                net.set_dropout(ws, p_t[step], gen)
                score = net.forward(
                    ws, (s_num[start:stop], s_flags[start:stop], s_codes[start:stop])
                )
                w = None if s_w is None else s_w[start:stop]
                loss = loss_fn(score, s_Y[start:stop], w, eps_ls, dscore[:m])
                epoch_loss += loss * m
                net.backward(ws, dscore[:m])
                adam.step(theta, grad, float(lr_t[step]), float(wd_t[step]))
                step += 1
            n_epochs = epoch
            epoch_loss /= n
            if not math.isfinite(epoch_loss):
                raise FloatingPointError(
                    f"the training loss became {epoch_loss} in epoch {epoch}; "
                    "try a smaller learning_rate"
                )
            loss_curve.append(epoch_loss)
            val_score = None
            if val_Y is not None:
                if val_batch is None:
                    val_batch = batch_of(val.blocks, slice(None), dtype)
                    val_ws = net.workspace(min(val_Y.shape[0], 4096))
                    net.set_dropout(val_ws, 0.0, None)
                scores = _chunked_scores(net, val_ws, val_batch)
                val_score = validation_score(settings.loss, scores, val_Y, val_w)
                val_curve.append(val_score)
                if val_score <= best_score:
                    best_score, best_epoch = val_score, epoch
                    best_theta[...] = theta
            if on_epoch is not None and on_epoch(epoch, epoch_loss, val_score, theta):
                break
    if val_Y is None:
        best_theta[...] = theta
        best_epoch = n_epochs
    return TrainResult(
        theta=best_theta,
        best_epoch=best_epoch,
        n_epochs=n_epochs,
        loss_curve=loss_curve,
        validation_curve=val_curve,
    )


def _chunked_scores(net, ws, batch):
    """Scores of all rows of ``batch`` through the workspace ``ws`` (dropout off)."""
    numeric, flags, codes = batch
    n = numeric.shape[0]
    out = np.empty((n, net.arch.n_outputs), net.dtype)
    chunk = ws.max_rows
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        out[sl] = net.forward(ws, (numeric[sl], flags[sl], codes[sl]))
    return out
