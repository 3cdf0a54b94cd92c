r"""Input layers of the tabular network: numeric and categorical embeddings.

:class:`TabularInput` turns one batch of preprocessed rows (numeric columns,
0/1 flags, category codes) into the first hidden layer's input, through the
PBLD embedding of each numeric column and a learned vector per category.
Same conventions as :mod:`sk_scratchnet._tabular_layers`.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from sk_scratchnet._tabular_layers import Layer, ParamSpec

TWO_PI = 2.0 * math.pi


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
