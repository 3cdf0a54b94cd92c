r"""The tabular network: architecture, flat parameters, init, forward, backward.

The network is a list of layers (:mod:`sk_scratchnet._tabular_layers`,
:mod:`sk_scratchnet._tabular_embeddings`)::

    TabularInput -> Scale -> [Dense -> ParametricActivation -> Dropout] x L -> Dense

All parameters live in one flat vector ``theta``; each layer holds views.
Besides ``theta`` the network owns the per-parameter vectors the optimizer
reads: ``lr_factor`` (learning-rate factor of each parameter's group) and
``wd_factor`` (1 where decoupled weight decay applies, else 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from sk_scratchnet._tabular_activations import PARAMETRIC_BASES
from sk_scratchnet._tabular_embeddings import PBLDEmbedding, TabularInput
from sk_scratchnet._tabular_layers import (
    Dense,
    Dropout,
    ParametricActivation,
    Scale,
)
from sk_scratchnet._threads import blas_threads

ACTIVATIONS = tuple(PARAMETRIC_BASES)

#: Learning-rate factor per parameter group.  From the reference code's
#: RealMLP-TD defaults: ``bias_lr_factor=0.1``, ``scale_lr_factor=6``,
#: ``act_lr_factor=0.1``, ``plr_lr_factor=0.1``; categorical embeddings keep
#: the default factor 1 there (not 0.1).
DEFAULT_LR_FACTORS = {
    "weight": 1.0,
    "bias": 0.1,
    "scale": 6.0,
    "activation": 0.1,
    "numeric_embedding": 0.1,
    "categorical_embedding": 1.0,
}
#: Weight-decay factor per group: only the dense biases are exempt
#: (``bias_wd_factor=0``); the scale, the activation weights and the
#: embeddings are decayed like the weights in the reference code.
DEFAULT_WD_FACTORS = {
    "weight": 1.0,
    "bias": 0.0,
    "scale": 1.0,
    "activation": 1.0,
    "numeric_embedding": 1.0,
    "categorical_embedding": 1.0,
}
#: Rows of the training data used for the data-dependent initialisation.
INIT_ROWS = 4096


@dataclass(frozen=True)
class TabularArchitecture:
    """Everything that fixes the shape of the network."""

    n_numeric: int
    n_flags: int
    cardinalities: tuple[int, ...]
    n_outputs: int
    hidden_layer_sizes: tuple[int, ...] = (256, 256, 256)
    activation: str = "selu"
    parametric_activation: bool = True
    numeric_embedding: str | None = "pbld"
    n_frequencies: int = 16
    frequency_scale: float = 0.1
    numeric_embedding_dim: int = 3
    categorical_embedding_dim: int = 8
    feature_scaling: bool = True
    dtype: type = np.float32


class TabularNetwork:
    """Layers with views into one flat ``theta`` (and ``grad``).

    Attributes
    ----------
    arch : TabularArchitecture
    layers : list of Layer
    theta, grad : ndarray of shape (n_params,)
    lr_factor, wd_factor : ndarray of shape (n_params,)
    groups : dict
        ``name -> (group, slice)`` for every parameter array.
    """

    def __init__(self, arch: TabularArchitecture, lr_factors=None, wd_factors=None):
        if arch.activation not in PARAMETRIC_BASES:
            raise ValueError(
                f"activation must be one of {sorted(PARAMETRIC_BASES)}, "
                f"got {arch.activation!r}"
            )
        if arch.numeric_embedding not in (None, "pbld"):
            raise ValueError(
                "numeric_embedding must be 'pbld' or None, "
                f"got {arch.numeric_embedding!r}"
            )
        self.arch = arch
        self.dtype = np.dtype(arch.dtype)
        pbld = None
        if arch.numeric_embedding == "pbld" and arch.n_numeric:
            pbld = PBLDEmbedding(
                arch.n_numeric, arch.n_frequencies, arch.numeric_embedding_dim
            )
        inp = TabularInput(
            arch.n_numeric,
            arch.n_flags,
            arch.cardinalities,
            pbld,
            arch.categorical_embedding_dim,
        )
        layers = [inp]
        width = inp.n_out
        if arch.feature_scaling:
            layers.append(Scale(width))
        for i, units in enumerate(arch.hidden_layer_sizes):
            layers.append(Dense(width, units, str(i), need_dx=True))
            layers.append(
                ParametricActivation(
                    units, arch.activation, str(i), arch.parametric_activation
                )
            )
            layers.append(Dropout(units))
            width = units
        layers.append(Dense(width, arch.n_outputs, "out", need_dx=True))
        self.layers = layers
        self.n_inputs = inp.n_out
        self._layout(lr_factors or DEFAULT_LR_FACTORS, wd_factors or DEFAULT_WD_FACTORS)

    @property
    def dense_units(self) -> tuple[int, ...]:
        """Widths of the dense layers' inputs and outputs, first to last."""
        return (self.n_inputs, *self.arch.hidden_layer_sizes, self.arch.n_outputs)

    def _layout(self, lr_factors, wd_factors):
        offset = 0
        self.groups = {}
        for layer in self.layers:
            for spec in layer.specs:
                size = int(np.prod(spec.shape))
                self.groups[spec.name] = (
                    spec.group,
                    spec.shape,
                    slice(offset, offset + size),
                )
                offset += size
        self.n_params = offset
        self.theta = np.zeros(offset, self.dtype)
        self.grad = np.zeros(offset, self.dtype)
        self.lr_factor = np.empty(offset, self.dtype)
        self.wd_factor = np.empty(offset, self.dtype)
        for group, _, sl in self.groups.values():
            self.lr_factor[sl] = lr_factors[group]
            self.wd_factor[sl] = wd_factors[group]
        self._bind()

    def _bind(self):
        params, grads = {}, {}
        for name, (_, shape, sl) in self.groups.items():
            params[name] = self.theta[sl].reshape(shape)
            grads[name] = self.grad[sl].reshape(shape)
        for layer in self.layers:
            layer.bind(params, grads)

    def __getstate__(self):
        # Only what __init__ cannot rebuild: the layer views and the dtype
        # object are recreated on unpickling (fewer types for skops to trust).
        return {
            "arch": self.arch,
            "theta": self.theta,
            "lr_factor": self.lr_factor,
            "wd_factor": self.wd_factor,
        }

    def __setstate__(self, state):
        theta, lr_factor, wd_factor = (
            state["theta"],
            state["lr_factor"],
            state["wd_factor"],
        )
        self.__init__(state["arch"])
        self.theta[...] = theta
        self.lr_factor[...] = lr_factor
        self.wd_factor[...] = wd_factor

    def workspace(self, max_rows: int) -> SimpleNamespace:
        """Buffers for batches of up to ``max_rows`` rows (one per layer)."""
        return SimpleNamespace(
            layers=[layer.workspace(max_rows, self.dtype) for layer in self.layers],
            max_rows=max_rows,
        )

    def set_dropout(self, ws, rate: float, rng) -> None:
        """Set the dropout rate (and generator) of every dropout layer's workspace."""
        for layer, lws in zip(self.layers, ws.layers, strict=True):
            if isinstance(layer, Dropout):
                lws.rate = float(rate)
                lws.rng = rng

    def forward(self, ws, batch) -> np.ndarray:
        """Scores (m, n_outputs) of ``batch = (numeric, flags, codes)``."""
        a = batch
        for layer, lws in zip(self.layers, ws.layers, strict=True):
            a = layer.forward(lws, a)
        return a

    def backward(self, ws, dscore) -> None:
        """Fill ``self.grad`` from ``dscore`` = dL/dscore (after :meth:`forward`)."""
        delta = dscore
        for layer, lws in zip(reversed(self.layers), reversed(ws.layers), strict=True):
            delta = layer.backward(lws, delta)


def batch_of(blocks, rows, dtype):
    """Return ``(numeric, flags, codes)`` of ``rows`` cast to ``dtype``."""
    numeric = np.asarray(blocks.numeric[rows], dtype=dtype)
    flags = np.asarray(blocks.flags[rows], dtype=dtype)
    codes = np.asarray(blocks.codes[rows], dtype=np.intp)
    return numeric, flags, codes


def build_network(
    arch: TabularArchitecture, blocks_for_init, rng, lr_factors=None, wd_factors=None
) -> TabularNetwork:
    """Build a network with its data-dependent initialisation on ``blocks_for_init``.

    The embeddings, scale and activation weights start at their fixed inits;
    every dense layer then gets the data-dependent init of
    :meth:`sk_scratchnet._tabular_layers.Dense.init` on its input, with the
    layers below already initialised (dropout off), on at most ``INIT_ROWS``
    random training rows.  The init runs in float64 and is then cast to
    ``arch.dtype``.  ``rng`` is a NumPy ``RandomState`` or ``Generator``.
    """
    gen = _generator(rng)
    net64 = TabularNetwork(replace(arch, dtype=np.float64), lr_factors, wd_factors)
    n = blocks_for_init.numeric.shape[0]
    if n <= INIT_ROWS:
        rows = np.arange(n)
    else:
        rows = np.sort(gen.choice(n, INIT_ROWS, replace=False))
    inp = net64.layers[0]
    if inp.pbld is not None:
        inp.pbld.init(gen, arch.frequency_scale)
    for emb in inp.cats:
        emb.init(gen)
    a = batch_of(blocks_for_init, rows, np.float64)
    for layer in net64.layers:
        if isinstance(layer, Scale | ParametricActivation):
            layer.init()
        elif isinstance(layer, Dense):
            layer.init(gen, a)
        a = layer.forward(layer.workspace(len(rows), np.float64), a)
    net = TabularNetwork(arch, lr_factors, wd_factors)
    net.theta[...] = net64.theta
    return net


def _generator(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng.randint(0, 2**31 - 1))


def predict_scores(
    net: TabularNetwork, theta, blocks, chunk_rows: int = 4096
) -> np.ndarray:
    """Return raw scores (n, n_outputs) of ``blocks`` under ``theta`` (chunked)."""
    if theta is not net.theta:
        net.theta[...] = theta
    n = blocks.numeric.shape[0]
    ws = net.workspace(min(max(n, 1), chunk_rows))
    net.set_dropout(ws, 0.0, None)
    out = np.empty((n, net.arch.n_outputs), net.dtype)
    with blas_threads(min(n, chunk_rows), net.dense_units):
        for start in range(0, n, chunk_rows):
            sl = slice(start, min(start + chunk_rows, n))
            out[sl] = net.forward(ws, batch_of(blocks, sl, net.dtype))
    return out
