r"""The network itself: parameters, forward pass, backward pass.

NumPy-style calls over lists of weight arrays (through the ``ops`` of
:mod:`sk_scratchnet._namespace`, so any array API namespace runs the same lines);
no scikit-learn and no estimator state.
The seed's two-layer equations generalise layer by layer (``L`` layers, hidden
activation :math:`f_l`, input :math:`a_0 = X`):

=====  ==========================================  ================================
Eq.    math                                        code
=====  ==========================================  ================================
1      :math:`a_l = f_l(a_{l-1} W_l + b_l)`        ``forward``: ``matmul``, ``+=``,
                                                   ``act.forward``
2      :math:`\mathrm{score} = a_{L-1} W_L + b_L`  ``forward``: last layer, no ``f``
5      :math:`\mathrm{dscore} = (p - Y) / n`       the head, :mod:`sk_scratchnet._heads`
6      :math:`dW_l = a_{l-1}^T \delta_l`,          ``backward``: ``a.T @ delta``,
       :math:`db_l = \sum_i \delta_{l,i}`          ``delta.sum(axis=0)``
7      :math:`da_{l-1} = \delta_l W_l^T`           ``backward``: ``delta @ W.T``
8      :math:`\delta_{l-1} = da_{l-1} \odot f'`    ``act.backward`` (ReLU: ``a > 0``)
=====  ==========================================  ================================

with the L2 penalty :math:`\frac{\alpha}{2 n}\sum_l \lVert W_l\rVert^2` adding
:math:`\frac{\alpha}{n} W_l` to :math:`dW_l`.

All parameters live in one flat vector ``theta`` (coefficients first, then
intercepts, the order of ``MLPClassifier``'s packing); ``coefs`` and
``intercepts`` are *views* into it, so optimizers update one array in place and
L-BFGS needs no packing.  Per-batch buffers live in an explicit
:class:`Workspace` passed to ``forward``/``backward``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import NamedTuple

import numpy as np
from scipy import sparse

from sk_scratchnet._activations import Activation
from sk_scratchnet._devices import from_host
from sk_scratchnet._heads import Head
from sk_scratchnet._namespace import NUMPY_OPS, ops_for
from sk_scratchnet._rowhash import keyed_uniform
from sk_scratchnet._threads import limit_for

_L2_BLOCK = 1 << 16
# Hidden-activation elements per chunk of rows at predict time (1 MiB of float64):
# a chunk's activations stay in cache between layers, which makes large predicts
# about twice as fast as one pass over all rows, and bounds the extra memory.
_PREDICT_CHUNK_ELEMENTS = 1 << 17
# Up to this many rows, predict keeps the score row-major: its layout cannot pay
# for the extra calls.
_PREDICT_FEW_ROWS = 16


def activation_names(activation, n_hidden: int) -> list:
    """``activation`` (one name, or one per hidden layer) as a list of names."""
    return [activation] * n_hidden if isinstance(activation, str) else list(activation)


@dataclass(frozen=True)
class Architecture:
    """The hidden layers of a network, checked once: sizes, activations, dropout.

    Built from the estimator's ``hidden_layer_sizes``, ``activation`` and
    ``dropout`` parameters by :meth:`from_params`, which raises a ``ValueError``
    naming the parameter for any value that does not describe a network.
    """

    hidden: tuple
    """Units of each hidden layer."""
    activations: tuple
    """Activation name of each hidden layer (keys of ``ACTIVATIONS``)."""
    dropout: tuple
    """Dropout rate in [0, 1) of each hidden layer."""
    init_activations: tuple
    """The activations that choose the initial weights' scale: those of the
    hidden layers, or without a hidden layer the single name given (scikit-learn
    still picks Glorot's factor from it)."""

    @classmethod
    def from_params(cls, hidden_layer_sizes, activation, dropout, known):
        """Check the three parameters against each other; ``known``: activations."""
        hidden = _checked_hidden_layer_sizes(hidden_layer_sizes)
        names = activation_names(activation, len(hidden))
        if len(names) != len(hidden):
            raise ValueError(
                f"activation has {len(names)} entries but there are {len(hidden)} "
                "hidden layers; give one name, or one per hidden layer."
            )
        for name in names:
            if name not in known:
                raise ValueError(
                    f"Unknown activation {name!r}; choose from {sorted(known)}."
                )
        rates = _checked_dropout(dropout, len(hidden))
        init = names if names or not isinstance(activation, str) else [activation]
        return cls(tuple(hidden), tuple(names), tuple(rates), tuple(init))

    def layer_units(self, n_features: int, n_outputs: int) -> list:
        """Units of every layer, input and output included."""
        return [n_features, *self.hidden, n_outputs]


def _checked_hidden_layer_sizes(sizes) -> list:
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(
        isinstance(s, bool | np.bool_) or not isinstance(s, Integral | np.integer)
        for s in sizes
    ):
        raise ValueError(
            f"hidden_layer_sizes must contain positive integers, got {sizes}."
        )
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


def _checked_dropout(rate, n_hidden: int) -> list:
    if type(rate) in (float, int) and 0 <= rate < 1:
        return [float(rate)] * n_hidden  # the common case, without arrays
    rates = np.asarray(rate, dtype=float)
    if rates.ndim == 0:
        rates = np.full(n_hidden, float(rates))
    if rates.shape != (n_hidden,) or not np.all((rates >= 0) & (rates < 1)):
        raise ValueError(
            "dropout must be a float in [0, 1) or one such value per hidden "
            f"layer ({n_hidden}), got {rate!r}."
        )
    return [float(r) for r in rates]


class ParamLayout:
    """Where each layer's ``W`` and ``b`` sit inside the flat vector ``theta``.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    """

    def __init__(self, layer_units: Sequence[int]):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.coef_shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        sizes = [fan_in * fan_out for fan_in, fan_out in self.coef_shapes]
        sizes += list(self.layer_units[1:])
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self._bounds = self.offsets.tolist()  # Python ints slice any namespace
        self.n_layers = len(self.coef_shapes)
        self.n_coef = int(self.offsets[self.n_layers])
        self.size = int(self.offsets[-1])
        # The training loop asks for the views of the same two arrays (theta and
        # its gradient) every batch: keep them instead of rebuilding the lists.
        self._recent = []

    def views(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Return ``(coefs, intercepts)`` as views into ``theta``."""
        for array, cached in self._recent:
            if array is theta:
                return cached
        o, k = self._bounds, self.n_layers
        reshape = ops_for(theta).reshape
        coefs = [
            reshape(theta[o[i] : o[i + 1]], shape)
            for i, shape in enumerate(self.coef_shapes)
        ]
        intercepts = [theta[o[k + i] : o[k + i + 1]] for i in range(k)]
        self._recent = [(theta, (coefs, intercepts)), *self._recent[:1]]
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype) -> np.ndarray:
        """Copy ``coefs`` and ``intercepts`` into a new flat vector of ``dtype``.

        The vector is in the namespace and on the device of ``coefs[0]``.
        """
        like = coefs[0] if hasattr(coefs[0], "shape") else None
        ops = NUMPY_OPS if like is None else ops_for(like)
        theta = ops.empty(self.size, dtype, like)
        dst_coefs, dst_intercepts = self.views(theta)
        for dst, src in zip(dst_coefs + dst_intercepts, list(coefs) + list(intercepts)):
            shape = tuple(getattr(src, "shape", np.shape(src)))
            if tuple(dst.shape) != shape:
                raise ValueError(
                    f"parameter of shape {shape} does not fit the layout "
                    f"{self.layer_units}"
                )
            dst[...] = src
        return theta


@dataclass
class Network:
    """What training and prediction need to know of one network.

    Attributes
    ----------
    layout : ParamLayout
    theta : ndarray of shape (layout.size,)
        The flat parameters; ``layout.views(theta)`` gives ``coefs, intercepts``.
    activations : list of Activation
        One per hidden layer.
    head : Head
        The output layer and its loss.
    """

    layout: ParamLayout
    theta: np.ndarray
    activations: list[Activation]
    head: Head

    def views(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(coefs, intercepts)`` as views into ``theta``."""
        return self.layout.views(self.theta)


class Batch(NamedTuple):
    r"""The rows of one gradient step and how much each counts.

    ``row_scale`` is ``1/m`` for a plain mean or one factor per row (sample
    weights); ``l2_scale`` is the :math:`\lambda` of the L2 term; with
    ``dropout_keys`` the forward pass applies dropout (training only).
    """

    X: object
    Y: np.ndarray
    row_scale: object
    l2_scale: float
    dropout_keys: np.ndarray | None = None


def init_params(
    layout: ParamLayout, rng, dtype, *, activations: Sequence[str], init: str
) -> np.ndarray:
    r"""Draw initial weights and biases, layer by layer, into a flat vector.

    ``init='glorot'`` is ``MLPClassifier``'s rule, uniform on
    :math:`\pm\sqrt{c / (\mathrm{fan_{in}} + \mathrm{fan_{out}})}` with
    :math:`c = 2` when every hidden activation is logistic and 6 otherwise, drawn
    in its order (``W_l`` then ``b_l``) so that the same ``RandomState`` gives the
    same initial network.  ``init='he'`` is He-uniform,
    :math:`\pm\sqrt{6 / \mathrm{fan_{in}}}`, suited to the ReLU family.

    Parameters
    ----------
    layout : ParamLayout
    rng : numpy.random.RandomState or numpy.random.Generator
        Anything with ``uniform(low, high, size)``.
    dtype : numpy dtype
    activations : sequence of str
        Hidden activation names, one per hidden layer.
    init : {'glorot', 'he'}

    Returns
    -------
    theta : ndarray of shape (layout.size,)
    """
    factor = 2.0 if activations and all(a == "logistic" for a in activations) else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in layout.coef_shapes:
        if init == "he":
            bound = np.sqrt(6.0 / fan_in)
        else:
            bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return layout.pack(coefs, intercepts, dtype)


class Workspace:
    """Preallocated per-batch buffers for ``forward`` and ``backward``.

    Buffers hold ``max_rows`` rows; a smaller batch uses the first rows, which are
    contiguous views, so BLAS can write straight into them.

    Parameters
    ----------
    layer_units : sequence of int
    max_rows : int
        The largest batch the workspace will see.
    dtype : numpy dtype
    activations : sequence of Activation
        One per hidden layer (decides where pre-activations must be kept).
    dropout : sequence of float, optional
        Dropout rate per hidden layer; a positive rate allocates a mask buffer and a
        separate buffer for the dropped activation fed to the next layer.
    like : array, optional
        An array of the namespace and device to allocate in (``theta``); NumPy
        when not given.
    """

    def __init__(
        self, layer_units, max_rows, dtype, activations, dropout=None, *, like=None
    ):
        units = list(layer_units[1:])
        n_hidden = len(units) - 1
        dropout = [0.0] * n_hidden if dropout is None else list(dropout)
        self.max_rows = int(max_rows)
        self.ops = ops = NUMPY_OPS if like is None else ops_for(like)
        self.dtype = np.dtype(dtype) if ops is NUMPY_OPS else dtype
        # a_l for l = 1..L (the last one is the raw score of Eq. 2); the score
        # and dscore column by column, which speeds up the head's row reductions
        rows = self.max_rows
        self.outputs = [ops.empty((rows, u), dtype, like) for u in units[:-1]]
        self.outputs.append(ops.empty_by_columns((rows, units[-1]), dtype, like))
        # delta_l = dL/d(pre-activation of layer l); deltas[-1] is dscore
        self.deltas = [ops.empty_like(a) for a in self.outputs[:-1]]
        self.deltas.append(ops.empty_by_columns((rows, units[-1]), dtype, like))
        self.scratch = [ops.empty_like(a) for a in self.outputs[:-1]]
        self.preactivations = [
            ops.empty_like(a) if act.needs_preactivation else None
            for a, act in zip(self.outputs[:-1], activations)
        ]
        self.dropout = dropout
        self.masks = [
            ops.empty_like(a) if rate > 0 else None
            for a, rate in zip(self.outputs[:-1], dropout)
        ]
        self.dropped = [
            ops.empty_like(a) if rate > 0 else None
            for a, rate in zip(self.outputs[:-1], dropout)
        ]
        # L2 term of the gradient, a block at a time, allocated on first use
        self.l2_buffer = None
        # the last batch's penalty term of the objective (0.0 without one)
        self.penalty = 0.0


def forward(
    X,
    coefs: Sequence[np.ndarray],
    intercepts: Sequence[np.ndarray],
    activations: Sequence[Activation],
    ws: Workspace,
    dropout_keys=None,
) -> list[np.ndarray]:
    """Eqs. 1-2 over every layer, writing into the workspace.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, n_features)
        ``n <= ws.max_rows``.
    coefs, intercepts : lists of ndarray
    activations : list of Activation
        One per hidden layer.
    ws : Workspace
    dropout_keys : ndarray of shape (n,), dtype uint64, optional
        When given, inverted dropout is applied to the hidden layers whose rate in
        ``ws.dropout`` is positive (training only); row ``i``'s masks are drawn
        from ``dropout_keys[i]``, so equal keys give equal masks.

    Returns
    -------
    inputs : list of ndarray
        ``inputs[l]`` is what layer ``l`` consumed (``X`` for the first layer, the
        possibly dropped-out activation after that), followed by the raw output
        score as the last element; views into ``ws``.
    """
    ops = ws.ops
    n = X.shape[0]
    inputs = [X]
    a_prev = X
    last = len(coefs) - 1
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        a = ws.outputs[layer][:n, :]
        # isinstance first: issparse costs more than the small matmuls it guards
        if not isinstance(a_prev, np.ndarray) and sparse.issparse(a_prev):
            a[...] = a_prev @ W
        else:
            ops.matmul(a_prev, W, out=a)
        a += b
        if layer < last:
            act = activations[layer]
            if act.needs_preactivation:
                ops.copyto(ws.preactivations[layer][:n, :], a)
            act.forward(a, ws.scratch[layer][:n, :])
            if dropout_keys is not None and ws.dropout[layer] > 0:
                a = _drop(a, layer, ws, dropout_keys)
        inputs.append(a)
        a_prev = a
    return inputs


def _drop(a, layer, ws, keys):
    """Inverted dropout: zero units with probability p, scale the rest by 1/(1-p)."""
    n = a.shape[0]
    keep = 1.0 - ws.dropout[layer]
    mask = ws.masks[layer][:n, :]
    # The uniforms are drawn on the host (keyed by row) and moved to the device.
    uniform = from_host(keyed_uniform(keys, layer, a.shape[1]), like=mask)
    ws.ops.less(uniform, keep, out=mask)
    mask *= 1.0 / keep
    dropped = ws.dropped[layer][:n, :]
    ws.ops.multiply(a, mask, out=dropped)
    return dropped


def backward(
    inputs: Sequence,
    dscore: np.ndarray,
    coefs: Sequence[np.ndarray],
    activations: Sequence[Activation],
    ws: Workspace,
    dcoefs: Sequence[np.ndarray],
    dintercepts: Sequence[np.ndarray],
    dropout: bool = False,
) -> None:
    """Eqs. 6-8, from the output back to the first layer; gradients only.

    Writes ``dcoefs[l] = inputs[l].T @ delta_l`` and ``dintercepts[l]`` (the data
    part of the gradient; the L2 term is added by :func:`loss_and_gradient`).
    The weights are never touched, so the result can be gradient-checked.

    Parameters
    ----------
    inputs : list
        As returned by :func:`forward`.
    dscore : ndarray of shape (n, n_outputs)
        Eq. 5, already scaled per row; it is overwritten no further.
    coefs : list of ndarray
    activations : list of Activation
    ws : Workspace
    dcoefs, dintercepts : lists of ndarray
        Output buffers with the shapes of ``coefs`` and ``intercepts``.
    dropout : bool, default=False
        Whether the forward pass applied dropout (its masks are in ``ws``).
    """
    ops = ws.ops
    n = dscore.shape[0]
    delta = dscore
    for layer in range(len(coefs) - 1, -1, -1):
        a_in = inputs[layer]
        if not isinstance(a_in, np.ndarray) and sparse.issparse(a_in):
            dcoefs[layer][...] = a_in.T @ delta
        else:
            ops.matmul(a_in.T, delta, out=dcoefs[layer])  # Eq. 6: dW = a.T @ delta
        ops.column_sums(delta, out=dintercepts[layer])  # Eq. 6: db = sum(delta)
        if layer == 0:
            break
        prev = layer - 1
        da = ws.deltas[prev][:n, :]
        ops.matmul(delta, coefs[layer].T, out=da)  # Eq. 7: dh = dscore @ W.T
        if dropout and ws.masks[prev] is not None:
            da *= ws.masks[prev][:n, :]
        z = ws.preactivations[prev]
        activations[prev].backward(
            None if z is None else z[:n, :],
            ws.outputs[prev][:n, :],
            da,
            ws.scratch[prev][:n, :],
        )  # Eq. 8: dr = dh * f'(.)
        delta = da


def loss_and_gradient(
    net: Network, batch: Batch, ws: Workspace, grad: np.ndarray
) -> float:
    r"""Compute the objective of one batch and its gradient with respect to theta.

    .. math::
        J = \sum_i r_i L_i + \frac{\lambda}{2} \sum_l \lVert W_l \rVert^2,
        \qquad \nabla_{W_l} J = a_{l-1}^T \delta_l + \lambda W_l

    where :math:`r_i` is ``batch.row_scale`` (``1/n`` for the seed's mean loss),
    :math:`\lambda` is ``batch.l2_scale`` (``alpha / n`` for ``MLPClassifier``'s
    penalty) and :math:`L_i` the loss of ``net.head``.

    Parameters
    ----------
    net : Network
        Its ``theta`` is read only.
    batch : Batch
        ``X`` of shape (n, n_features), dense or sparse; ``Y`` of shape
        (n, n_outputs) in theta's dtype (one-hot, 0/1 indicators or targets).
    ws : Workspace
    grad : ndarray of shape (layout.size,)
        Output: the flat gradient.

    Returns
    -------
    loss : float
    """
    theta, layout = net.theta, net.layout
    coefs, intercepts = layout.views(theta)
    dcoefs, dintercepts = layout.views(grad)
    inputs = forward(
        batch.X, coefs, intercepts, net.activations, ws, batch.dropout_keys
    )
    score = inputs.pop()
    dscore = ws.deltas[-1][: score.shape[0], :]
    loss = net.head.loss_and_dscore(score, batch.Y, batch.row_scale, dscore)
    backward(
        inputs,
        dscore,
        coefs,
        net.activations,
        ws,
        dcoefs,
        dintercepts,
        dropout=batch.dropout_keys is not None,
    )
    l2_scale = batch.l2_scale
    ws.penalty = 0.0
    if l2_scale:
        w = theta[: layout.n_coef]
        ws.penalty = 0.5 * l2_scale * float(w @ w)
        loss += ws.penalty
        # dW += l2_scale * W for all layers, a block at a time through one small
        # reused buffer: no temporary the size of the weights.
        dw = grad[: layout.n_coef]
        block = min(w.shape[0], _L2_BLOCK)
        if ws.l2_buffer is None or ws.l2_buffer.shape[0] < block:
            ws.l2_buffer = ws.ops.empty(block, w.dtype, w)
        for start in range(0, w.shape[0], block):
            part = ws.l2_buffer[: min(block, w.shape[0] - start)]
            ws.ops.multiply(w[start : start + block], l2_scale, out=part)
            dw[start : start + block] += part
    return loss


def predict_score(
    X,
    coefs: Sequence[np.ndarray],
    intercepts: Sequence[np.ndarray],
    activations: Sequence[Activation],
) -> np.ndarray:
    """Eqs. 1-2 for prediction: fresh arrays, so concurrent calls never share state.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, n_features)
    coefs, intercepts : lists of ndarray
    activations : list of Activation

    Returns
    -------
    score : ndarray of shape (n, n_outputs)
        The raw output of the last layer.
    """
    ops = ops_for(coefs[0])
    a = X
    *hidden, (W_out, b_out) = zip(coefs, intercepts)
    for (W, b), act in zip(hidden, activations):
        a = a @ W
        a += b
        act.forward(a, ops.empty_like(a))
    if a.shape[0] <= _PREDICT_FEW_ROWS or not isinstance(a, np.ndarray):
        score = ops.dense(a @ W_out)
    else:
        # By columns, as in the Workspace: the head's row reductions run faster
        dtype = W_out.dtype
        if a.dtype != dtype:  # float64 inputs too large for a float32 model
            dtype = ops.result_type(a.dtype, dtype)
        score = ops.empty_by_columns((a.shape[0], W_out.shape[1]), dtype, W_out)
        ops.matmul(a, W_out, out=score)
    score += b_out
    return score


class NonFiniteOutputError(ValueError):
    """The network's output is not finite (training tells divergence by it)."""


def check_finite_output(values: np.ndarray) -> None:
    """Raise a ``ValueError`` a user understands when predictions are not finite."""
    if not ops_for(values).all_finite(values):
        raise NonFiniteOutputError(
            "The network's output is not finite for some rows: the input values are "
            "too large for the fitted weights. Scale the features (e.g. with "
            "sklearn.preprocessing.StandardScaler) before fitting and predicting."
        )


def predict_rows(
    X,
    coefs: Sequence[np.ndarray],
    intercepts: Sequence[np.ndarray],
    activations: Sequence[Activation],
    transform: Callable[[np.ndarray], np.ndarray],
    n_columns: int,
) -> np.ndarray:
    """``transform(score)`` of ``X`` (Eqs. 1-2), a chunk of rows at a time.

    Chunks bound the extra memory of a huge predict to one chunk of hidden
    activations and keep it in cache; every array is local, so concurrent calls
    share nothing.  A non-finite result raises :func:`check_finite_output`'s
    error.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, n_features)
    coefs, intercepts : lists of ndarray
    activations : list of Activation
    transform : callable
        Maps a chunk's raw scores to its output (may work in place).
    n_columns : int
        Number of columns ``transform`` returns.

    Returns
    -------
    out : ndarray of shape (n, n_columns)
    """
    n = X.shape[0]
    widest = max(c.shape[1] for c in coefs)
    chunk = max(1, _PREDICT_CHUNK_ELEMENTS // widest)
    per_row = max(c.shape[0] * c.shape[1] for c in coefs)  # widest pair of layers
    with (
        limit_for(min(n, chunk) * per_row),
        np.errstate(over="ignore", under="ignore", invalid="ignore"),
    ):
        if n <= chunk:
            out = transform(predict_score(X, coefs, intercepts, activations))
            check_finite_output(out)
            return ops_for(out).row_major(out)
        out = None
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            part = transform(
                predict_score(X[start:stop, :], coefs, intercepts, activations)
            )
            check_finite_output(part)
            if out is None:
                out = ops_for(part).empty((n, n_columns), part.dtype, part)
            out[start:stop, :] = part
    return out
