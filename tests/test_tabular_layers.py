"""Central-difference gradient checks of every tabular layer, in float64."""

from types import SimpleNamespace

import numpy as np
import pytest

from sk_scratchnet._tabular_activations import PARAMETRIC_BASES
from sk_scratchnet._tabular_embeddings import PBLDEmbedding, TabularInput
from sk_scratchnet._tabular_layers import (
    Dense,
    Dropout,
    ParametricActivation,
    Scale,
)
from tests._helpers import central_difference

EPS = 1e-6


def bind_fresh(layer, rng):
    """Bind ``layer`` to fresh float64 parameter and gradient arrays."""
    params, grads = {}, {}
    for spec in layer.specs:
        params[spec.name] = rng.normal(size=spec.shape)
        grads[spec.name] = np.zeros(spec.shape)
    layer.bind(params, grads)
    return params, grads


def check_layer(layer, a, rng, input_grad=True):
    """Compare backward with central differences of sum(G * forward(a))."""
    params, grads = bind_fresh(layer, rng)
    ws = layer.workspace(len(a[0]) if isinstance(a, tuple) else len(a), np.float64)
    out = np.array(layer.forward(ws, a))
    G = rng.normal(size=out.shape)

    def objective():
        return float(np.sum(G * layer.forward(layer.workspace(len(G), np.float64), a)))

    layer.forward(ws, a)
    dx = layer.backward(ws, G.copy())
    dx = None if dx is None else np.array(dx)
    for name, value in params.items():
        numeric = central_difference(lambda _: objective(), value, EPS)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7)
    if input_grad:
        numeric = central_difference(lambda _: objective(), a, EPS)
        np.testing.assert_allclose(dx, numeric, rtol=1e-5, atol=1e-7)


def test_dense_gradients():
    rng = np.random.default_rng(0)
    check_layer(Dense(4, 3, "0"), rng.normal(size=(5, 4)), rng)


def test_scale_gradients():
    rng = np.random.default_rng(0)
    check_layer(Scale(4), rng.normal(size=(5, 4)), rng)


@pytest.mark.parametrize("activation", ["selu", "mish", "tanh", "identity"])
@pytest.mark.parametrize("parametric", [True, False])
def test_parametric_activation_gradients(activation, parametric):
    rng = np.random.default_rng(0)
    layer = ParametricActivation(4, activation, "0", parametric)
    check_layer(layer, rng.normal(size=(6, 4)) * 2, rng)


def test_relu_gradients_away_from_the_kink():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4))
    x[np.abs(x) < 0.1] = 0.5
    check_layer(ParametricActivation(4, "relu", "0", True), x, rng)


def test_pbld_gradients():
    rng = np.random.default_rng(0)
    layer = PBLDEmbedding(3, 4, 2)
    x = rng.normal(size=(5, 3))

    class Wrapped:
        specs = layer.specs

        def bind(self, p, g):
            layer.bind(p, g)

        def workspace(self, m, dtype):
            ws = layer.workspace(m, dtype)
            ws.out = np.empty((m, layer.n_out), dtype)
            return ws

        def forward(self, ws, a):
            layer.forward(ws, a, ws.out[: len(a)])
            return ws.out[: len(a)]

        def backward(self, ws, delta):
            layer.backward(ws, delta)

    check_layer(Wrapped(), x, rng, input_grad=False)


def test_pbld_forward_formula():
    rng = np.random.default_rng(0)
    layer = PBLDEmbedding(2, 3, 2)
    params, _ = bind_fresh(layer, rng)
    x = rng.normal(size=(4, 2))
    out = np.empty((4, 4))
    layer.forward(layer.workspace(4, np.float64), x, out)
    for j in range(2):
        c = np.cos(2 * np.pi * x[:, j : j + 1] * params["w"][j] + params["b"][j])
        np.testing.assert_allclose(
            out[:, 2 * j : 2 * j + 2], c @ params["V"][j] + params["u"][j]
        )


def test_tabular_input_gradients_and_layout():
    rng = np.random.default_rng(0)
    pbld = PBLDEmbedding(2, 3, 2)
    layer = TabularInput(2, 1, (3, 4), pbld, 2)
    numeric = rng.normal(size=(6, 2))
    flags = rng.integers(0, 2, size=(6, 1)).astype(float)
    codes = np.column_stack([rng.integers(0, 3, 6), rng.integers(0, 4, 6)])
    batch = (numeric, flags, codes)
    params, grads = bind_fresh(layer, rng)
    out = layer.forward(layer.workspace(6, np.float64), batch)
    assert out.shape == (6, 4 + 2 + 1 + 2 + 2)
    np.testing.assert_array_equal(out[:, 4:6], numeric)
    np.testing.assert_array_equal(out[:, 6:7], flags)
    np.testing.assert_array_equal(out[:, 7:9], params["E0"][codes[:, 0]])
    np.testing.assert_array_equal(out[:, 9:11], params["E1"][codes[:, 1]])

    class Wrapped:
        specs = layer.specs

        def bind(self, p, g):
            params.update(p)
            grads.update(g)
            layer.bind(p, g)

        def workspace(self, m, dtype):
            return layer.workspace(m, dtype)

        def forward(self, ws, a):
            return layer.forward(ws, batch)

        def backward(self, ws, delta):
            return layer.backward(ws, delta)

    check_layer(Wrapped(), numeric, rng, input_grad=False)


def test_dropout_backward_uses_the_forward_mask():
    rng = np.random.default_rng(0)
    layer = Dropout(5)
    ws = layer.workspace(8, np.float64)
    ws.rate, ws.rng = 0.4, np.random.default_rng(1)
    x = rng.normal(size=(8, 5))
    out = np.array(layer.forward(ws, x))
    kept = out != 0
    q = round(0.4 * 2**16)  # the rate rounded to 16 bits
    scale = 2**16 / (2**16 - q)
    np.testing.assert_allclose(out[kept], x[kept] * scale)
    assert scale == pytest.approx(1 / 0.6, rel=1e-4)
    G = rng.normal(size=x.shape)
    dx = layer.backward(ws, G)
    np.testing.assert_allclose(dx, G * kept * scale)
    ws.rate = 0.0
    assert layer.forward(ws, x) is x


@pytest.mark.parametrize("name", sorted(PARAMETRIC_BASES))
def test_base_activations_float32_stay_float32_and_finite(name):
    x = np.array([[-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4]], dtype=np.float32)
    f, g = np.empty_like(x), np.empty_like(x)
    base = PARAMETRIC_BASES[name]
    base.forward(x, f, np.empty_like(x))
    base.derivative(x, f, g, np.empty_like(x))
    assert f.dtype == g.dtype == np.float32
    assert np.isfinite(f).all() and np.isfinite(g).all()


def test_selu_matches_its_definition():
    x = np.linspace(-3, 3, 13)
    f = np.empty_like(x)
    PARAMETRIC_BASES["selu"].forward(x, f, np.empty_like(x))
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    np.testing.assert_allclose(f, lam * np.where(x > 0, x, alpha * np.expm1(x)))
    f2 = np.empty_like(x)
    PARAMETRIC_BASES["mish"].forward(x, f2, np.empty_like(x))
    np.testing.assert_allclose(f2, x * np.tanh(np.log1p(np.exp(x))))


def test_dropout_keeps_the_expected_fraction():
    layer = Dropout(200)
    ws = layer.workspace(500, np.float32)
    ws.rate, ws.rng = 0.15, np.random.default_rng(0)
    out = layer.forward(ws, np.ones((500, 200), np.float32))
    assert abs(np.mean(out != 0) - 0.85) < 0.005
    assert abs(np.mean(out) - 1.0) < 0.01


def test_workspace_is_not_shared_between_layers():
    layer = Dense(3, 2, "0")
    assert layer.workspace(4, np.float64).out is not layer.workspace(4, np.float64).out
    assert isinstance(layer.workspace(4, np.float64), SimpleNamespace)
