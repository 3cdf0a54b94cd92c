r"""Layers of the tabular network, each a forward map and its derived backward.

Every layer declares its parameters as :class:`ParamSpec` entries (a name, a
shape and a parameter *group*); the network lays them out in one flat vector
``theta`` and hands each layer views into ``theta`` and into the gradient
vector ``grad`` (:meth:`Layer.bind`).  The optimizer never sees the layers: it
reads the per-group learning-rate and weight-decay factors as vectors over
``theta``.

Each layer has ``forward(ws, a) -> out`` and ``backward(ws, delta) -> dinput``
with a small workspace ``ws`` (preallocated buffers for ``max_rows`` rows);
``backward`` writes the parameter gradients into its ``grad`` views and returns
the gradient with respect to its input (or ``None`` for the input layer).
A batch of ``m <= max_rows`` rows uses the first ``m`` rows of each buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from sk_scratchnet._tabular_activations import PARAMETRIC_BASES


@dataclass(frozen=True)
class ParamSpec:
    """One parameter array of a layer: its name, shape and parameter group."""

    name: str
    shape: tuple[int, ...]
    group: str


class Layer:
    """Base class: parameter specs, binding to flat views, a workspace."""

    specs: tuple[ParamSpec, ...] = ()

    def bind(self, params: dict, grads: dict) -> None:
        """Take the views into ``theta`` and ``grad`` (dicts keyed by name)."""
        for spec in self.specs:
            setattr(self, spec.name, params[spec.name])
            setattr(self, "d" + spec.name, grads[spec.name])

    def workspace(self, max_rows: int, dtype) -> SimpleNamespace:
        """Buffers for batches of up to ``max_rows`` rows."""
        return SimpleNamespace()


class Scale(Layer):
    r"""Learned per-input diagonal scaling, :math:`y = x \odot s` (init s = 1).

    Backward: :math:`\partial s = \sum_i \delta_i \odot x_i`,
    :math:`\partial x = \delta \odot s`.
    """

    def __init__(self, n: int):
        self.n_out = n
        self.specs = (ParamSpec("s", (n,), "scale"),)

    def init(self):
        """S = 1."""
        self.s[...] = 1.0

    def workspace(self, max_rows, dtype):
        """Input copy, output and input-gradient buffers."""
        return SimpleNamespace(
            x=None,
            out=np.empty((max_rows, self.n_out), dtype),
            dx=np.empty((max_rows, self.n_out), dtype),
        )

    def forward(self, ws, x):
        """Y = x * s."""
        ws.x = x
        out = ws.out[: x.shape[0]]
        np.multiply(x, self.s, out=out)
        return out

    def backward(self, ws, delta):
        """Ds = sum(delta * x), dx = delta * s."""
        dx = ws.dx[: delta.shape[0]]
        np.multiply(delta, ws.x, out=dx)
        np.sum(dx, axis=0, out=self.ds)
        np.multiply(delta, self.s, out=dx)
        return dx


class Dense(Layer):
    r"""Linear layer in NTK parametrisation, :math:`z = x W / \sqrt{n_{in}} + b`.

    Backward, with :math:`c = 1/\sqrt{n_{in}}`:
    :math:`\partial W = c\, x^\top \delta`, :math:`\partial b = \sum_i \delta_i`,
    :math:`\partial x = c\, \delta W^\top`.
    """

    def __init__(self, n_in: int, n_out: int, key: str, need_dx: bool = True):
        self.n_in, self.n_out = n_in, n_out
        self.c = 1.0 / math.sqrt(n_in)
        self.need_dx = need_dx
        self._w, self._b = f"W{key}", f"b{key}"
        self.specs = (
            ParamSpec(self._w, (n_in, n_out), "weight"),
            ParamSpec(self._b, (n_out,), "bias"),
        )

    def bind(self, params, grads):
        """Take the views of W, b and their gradients."""
        self.W, self.dW = params[self._w], grads[self._w]
        self.b, self.db = params[self._b], grads[self._b]

    def init(self, rng, x) -> None:
        r"""Initialise from the layer's input ``x`` (the reference's "std", "he+5").

        :math:`W \sim N(0, 1)`, each column divided by the standard deviation
        of :math:`c\, x W_{\cdot j}` over the rows of ``x`` (unit pre-activation
        scale); then :math:`b_j = -\sum_{r=1}^5 \lambda_r (c\, x W)_{i_r j}`
        with 5 random rows :math:`i_r` and Dirichlet(1, ..., 1) weights
        :math:`\lambda`, so that each hyperplane passes through a random point
        of the convex hull of the data.
        """
        x = np.asarray(x, dtype=np.float64)
        W = rng.standard_normal((self.n_in, self.n_out))
        z = self.c * (x @ W)
        std = z.std(axis=0)
        std[std == 0] = 1.0
        W /= std
        z /= std
        n = x.shape[0]
        rows = rng.integers(0, n, size=(self.n_out, 5))
        lam = rng.exponential(1.0, size=(self.n_out, 5))
        lam /= lam.sum(axis=1, keepdims=True)
        picked = z[rows, np.arange(self.n_out)[:, None]]
        self.W[...] = W
        self.b[...] = -(picked * lam).sum(axis=1)

    def workspace(self, max_rows, dtype):
        """Output and input-gradient buffers."""
        return SimpleNamespace(
            x=None,
            out=np.empty((max_rows, self.n_out), dtype),
            dx=np.empty((max_rows, self.n_in), dtype) if self.need_dx else None,
        )

    def forward(self, ws, x):
        """Z = c x W + b."""
        ws.x = x
        out = ws.out[: x.shape[0]]
        np.matmul(x, self.W, out=out)
        out *= self.c
        out += self.b
        return out

    def backward(self, ws, delta):
        """DW = c x^T delta, db = sum delta, dx = c delta W^T."""
        np.matmul(ws.x.T, delta, out=self.dW)
        self.dW *= self.c
        np.sum(delta, axis=0, out=self.db)
        if not self.need_dx:
            return None
        dx = ws.dx[: delta.shape[0]]
        np.matmul(delta, self.W.T, out=dx)
        dx *= self.c
        return dx


class ParametricActivation(Layer):
    r"""Parametric activation :math:`y = x + \alpha \odot (f(x) - x)`.

    Initialised :math:`\alpha = 1`.

    With :math:`\alpha` fixed at 1 (``parametric=False``) this is :math:`f`.
    Backward: :math:`\partial\alpha = \sum_i \delta_i \odot (f(x_i) - x_i)`,
    :math:`\partial x = \delta \odot (1 + \alpha (f'(x) - 1))`.
    """

    def __init__(self, n: int, activation: str, key: str, parametric: bool):
        self.n_out = n
        self.base = PARAMETRIC_BASES[activation]
        self.parametric = parametric
        self._a = f"alpha{key}"
        self.specs = (ParamSpec(self._a, (n,), "activation"),) if parametric else ()
        self.alpha = None

    def bind(self, params, grads):
        """Take the views of alpha and its gradient."""
        if self.parametric:
            self.alpha, self.dalpha = params[self._a], grads[self._a]

    def init(self):
        """Alpha = 1."""
        if self.parametric:
            self.alpha[...] = 1.0

    def workspace(self, max_rows, dtype):
        """Pre-activation, f(x), derivative and output buffers."""
        return SimpleNamespace(
            x=None,
            f=np.empty((max_rows, self.n_out), dtype),
            g=np.empty((max_rows, self.n_out), dtype),
            out=np.empty((max_rows, self.n_out), dtype),
        )

    def forward(self, ws, x):
        """Y = x + alpha (f(x) - x)."""
        m = x.shape[0]
        ws.x = x
        f, out = ws.f[:m], ws.out[:m]
        self.base.forward(x, f, ws.g[:m])
        if not self.parametric:
            out[...] = f
            return out
        np.subtract(f, x, out=out)
        out *= self.alpha
        out += x
        return out

    def backward(self, ws, delta):
        """Dalpha = sum delta (f(x) - x); dx = delta (1 + alpha (f'(x) - 1))."""
        m = delta.shape[0]
        x, f, g = ws.x, ws.f[:m], ws.g[:m]
        if self.parametric:
            np.subtract(f, x, out=g)
            g *= delta
            np.sum(g, axis=0, out=self.dalpha)
        dx = ws.out[:m]  # the output is no longer needed: scratch, then dx
        self.base.derivative(x, f, g, dx)  # may overwrite f, not needed any more
        if self.parametric:
            g -= 1.0
            g *= self.alpha
            g += 1.0
        np.multiply(delta, g, out=dx)
        return dx


class Dropout(Layer):
    r"""Inverted dropout: :math:`y = x \odot r / (1 - p)`.

    :math:`r_{ij} \sim \mathrm{Bernoulli}(1 - p)`.

    Backward: :math:`\partial x = \delta \odot r / (1 - p)`.  ``p`` is rounded
    to a multiple of :math:`2^{-16}` (the mask is drawn from 16 random bits per
    unit).  The rate ``p`` and
    the random generator are read from the network workspace (``ws.rate``,
    ``ws.rng``) because they change with the training schedule; at ``p = 0``
    (and in prediction) the layer is the identity.
    """

    def __init__(self, n: int):
        self.n_out = n

    def workspace(self, max_rows, dtype):
        """Mask and output buffers."""
        return SimpleNamespace(
            mask=np.empty((max_rows, self.n_out), dtype),
            out=np.empty((max_rows, self.n_out), dtype),
            active=False,
            rate=0.0,
            rng=None,
        )

    def forward(self, ws, x):
        """Multiply by a fresh scaled Bernoulli mask when ``ws.rate > 0``."""
        ws.active = ws.rate > 0.0
        if not ws.active:
            return x
        m = x.shape[0]
        mask, out = ws.mask[:m], ws.out[:m]
        # 16 random bits per unit (half the cost of a float draw): keep a unit
        # when u >= q, q = round(p 2^16), and scale by 2^16 / (2^16 - q) so that
        # E[y] = x exactly for the rounded rate.
        q = min(round(ws.rate * 65536), 65535)
        u = np.frombuffer(ws.rng.bytes(2 * mask.size), dtype=np.uint16)
        np.greater_equal(u.reshape(mask.shape), q, out=mask)
        mask *= 65536.0 / (65536 - q)
        np.multiply(x, mask, out=out)
        return out

    def backward(self, ws, delta):
        """Dx = delta * mask (in place on delta's buffer is not allowed: copy)."""
        if not ws.active:
            return delta
        m = delta.shape[0]
        dx = ws.out[:m]
        np.multiply(delta, ws.mask[:m], out=dx)
        return dx
