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

TWO_PI = 2.0 * math.pi


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


class PBLDEmbedding(Layer):
    r"""Per-feature periodic embedding, "PBLD" (periodic, bias, linear, densenet).

    For numeric feature :math:`j` with value :math:`x_j`, frequencies
    :math:`w_{jk}` and phases :math:`b_{jk}` (:math:`k = 1..K`),

    .. math::

        z_{jk} = 2\pi w_{jk} x_j + b_{jk}, \quad c_{jk} = \cos z_{jk}, \quad
        e_{jd} = \sum_k c_{jk} V_{jkd} + u_{jd},

    and the layer outputs all :math:`e_{j\cdot}` (feature-major, ``p * D``
    columns) followed by the raw values :math:`x` (``p`` columns; the
    "densenet" part is appended after the embeddings of all features, as the
    reference code concatenates it).  Backward, from :math:`\delta = \partial
    L / \partial e`:

    .. math::

        \partial V_{jkd} = \sum_i c_{ijk} \delta_{ijd}, \quad
        \partial u_{jd} = \sum_i \delta_{ijd}, \quad
        \partial c_{ijk} = \sum_d \delta_{ijd} V_{jkd},

        \partial z_{ijk} = -\sin(z_{ijk}) \, \partial c_{ijk}, \quad
        \partial w_{jk} = 2\pi \sum_i x_{ij} \partial z_{ijk}, \quad
        \partial b_{jk} = \sum_i \partial z_{ijk}.

    Internally arrays are feature-major, ``(p, m, K)``, so that the per-feature
    products are one batched ``matmul``.
    """

    def __init__(self, n_features: int, n_frequencies: int, dim: int):
        self.p, self.K, self.D = n_features, n_frequencies, dim
        self.n_out = n_features * dim
        g = "numeric_embedding"
        self.specs = (
            ParamSpec("w", (n_features, 1, n_frequencies), g),
            ParamSpec("b", (n_features, 1, n_frequencies), g),
            ParamSpec("V", (n_features, n_frequencies, dim), g),
            ParamSpec("u", (n_features, 1, dim), g),
        )

    def init(self, rng, frequency_scale: float) -> None:
        """W ~ N(0, sigma^2), b ~ U[-pi, pi], V, u ~ U[-1, 1] / sqrt(K)."""
        self.w[...] = frequency_scale * rng.standard_normal(self.w.shape)
        self.b[...] = math.pi * rng.uniform(-1.0, 1.0, self.b.shape)
        bound = 1.0 / math.sqrt(self.K)
        self.V[...] = bound * rng.uniform(-1.0, 1.0, self.V.shape)
        self.u[...] = bound * rng.uniform(-1.0, 1.0, self.u.shape)

    def workspace(self, max_rows, dtype):
        """Feature-major buffers for x, z, cos z and the embedding."""
        p, K, D = self.p, self.K, self.D
        return SimpleNamespace(
            xt=np.empty((p, max_rows, 1), dtype),
            w2pi=np.empty((p, 1, K), dtype),
            z=np.empty((p, max_rows, K), dtype),
            c=np.empty((p, max_rows, K), dtype),
            e=np.empty((p, max_rows, D), dtype),
            dc=np.empty((p, max_rows, K), dtype),
        )

    def forward(self, ws, x, out):
        """Write e (``(m, p*D)``) into ``out``; ``x`` is ``(m, p)``."""
        m = x.shape[0]
        xt, z, c, e = ws.xt[:, :m], ws.z[:, :m], ws.c[:, :m], ws.e[:, :m]
        xt[..., 0] = x.T
        np.multiply(self.w, TWO_PI, out=ws.w2pi)  # p*K values, not m*p*K
        np.multiply(xt, ws.w2pi, out=z)
        z += self.b
        np.cos(z, out=c)
        np.matmul(c, self.V, out=e)
        e += self.u
        out.reshape(m, self.p, self.D)[...] = e.transpose(1, 0, 2)

    def backward(self, ws, delta):
        """Accumulate the parameter gradients from ``delta`` (``(m, p*D)``)."""
        m = delta.shape[0]
        z, c, dc, xt = ws.z[:, :m], ws.c[:, :m], ws.dc[:, :m], ws.xt[:, :m]
        de = ws.e[:, :m]
        de[...] = delta.reshape(m, self.p, self.D).transpose(1, 0, 2)
        np.matmul(c.transpose(0, 2, 1), de, out=self.dV)
        self.du[...] = de.sum(axis=1, keepdims=True)
        np.matmul(de, self.V.transpose(0, 2, 1), out=dc)
        np.sin(z, out=c)  # c is free now: reuse it for sin z
        dc *= c
        np.negative(dc, out=dc)
        self.db[...] = dc.sum(axis=1, keepdims=True)
        np.matmul(xt.transpose(0, 2, 1), dc, out=self.dw)
        self.dw *= TWO_PI


class CategoricalEmbedding(Layer):
    r"""A learned vector per category: :math:`e_i = E[\mathrm{code}_i]`.

    Backward: :math:`\partial E_c = \sum_{i: \mathrm{code}_i = c} \delta_i`
    (``np.add.at``, so that repeated codes accumulate).  Initialised
    :math:`E \sim N(0, 1)`, as the reference code does.
    """

    def __init__(self, cardinality: int, dim: int, index: int):
        self.cardinality, self.dim, self.n_out = cardinality, dim, dim
        self.specs = (
            ParamSpec(f"E{index}", (cardinality, dim), "categorical_embedding"),
        )
        self._name = f"E{index}"

    def bind(self, params, grads):
        """Take the views of the table and its gradient."""
        self.E, self.dE = params[self._name], grads[self._name]

    def init(self, rng) -> None:
        """E ~ N(0, 1)."""
        self.E[...] = rng.standard_normal(self.E.shape)

    def forward(self, ws, codes, out):
        """``out`` (m, dim) = E[codes]."""
        np.take(self.E, codes, axis=0, out=out)

    def backward(self, ws, codes, delta):
        """DE = sum of delta over the rows of each code."""
        self.dE[...] = 0
        np.add.at(self.dE, codes, delta)


class TabularInput(Layer):
    r"""The input representation of one batch of :class:`TabularBlocks` rows.

    ``x0 = [PBLD(numeric), numeric, flags, E_1[codes_1], ..., E_c[codes_c]]``;
    without a numeric embedding the numeric columns enter as they are.  The
    backward pass hands each slice of :math:`\partial L / \partial x_0` to its
    embedding; there is no gradient with respect to the data.
    """

    def __init__(self, n_numeric, n_flags, cardinalities, pbld, cat_dim):
        self.n_numeric, self.n_flags = n_numeric, n_flags
        self.pbld = pbld
        self.cats = [
            CategoricalEmbedding(card, cat_dim, j)
            for j, card in enumerate(cardinalities)
        ]
        start = pbld.n_out if pbld is not None else 0
        self.num_slice = slice(start, start + n_numeric)
        start += n_numeric
        self.flag_slice = slice(start, start + n_flags)
        start += n_flags
        self.cat_slices = []
        for emb in self.cats:
            self.cat_slices.append(slice(start, start + emb.dim))
            start += emb.dim
        self.n_out = start
        subs = ([pbld] if pbld is not None else []) + self.cats
        self.specs = tuple(s for layer in subs for s in layer.specs)

    def bind(self, params, grads):
        """Bind the embeddings."""
        if self.pbld is not None:
            self.pbld.bind(params, grads)
        for emb in self.cats:
            emb.bind(params, grads)

    def workspace(self, max_rows, dtype):
        """Allocate the output buffer and the embeddings' buffers."""
        return SimpleNamespace(
            out=np.empty((max_rows, self.n_out), dtype),
            pbld=None if self.pbld is None else self.pbld.workspace(max_rows, dtype),
            cat_out=[np.empty((max_rows, e.dim), dtype) for e in self.cats],
            codes=None,
        )

    def forward(self, ws, batch):
        """``batch = (numeric, flags, codes)`` arrays of m rows -> x0 (m, n_out)."""
        numeric, flags, codes = batch
        m = numeric.shape[0]
        out = ws.out[:m]
        if self.pbld is not None and self.n_numeric:
            self.pbld.forward(ws.pbld, numeric, out[:, : self.pbld.n_out])
        out[:, self.num_slice] = numeric
        out[:, self.flag_slice] = flags
        ws.codes = codes
        for j, (emb, sl) in enumerate(zip(self.cats, self.cat_slices, strict=True)):
            buf = ws.cat_out[j][:m]
            emb.forward(None, codes[:, j], buf)
            out[:, sl] = buf
        return out

    def backward(self, ws, delta):
        """Gradients of the embeddings; returns None (no gradient for data)."""
        if self.pbld is not None and self.n_numeric:
            self.pbld.backward(ws.pbld, delta[:, : self.pbld.n_out])
        for j, (emb, sl) in enumerate(zip(self.cats, self.cat_slices, strict=True)):
            emb.backward(None, ws.codes[:, j], delta[:, sl])
        return None


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
