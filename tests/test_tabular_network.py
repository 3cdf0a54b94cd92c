"""The whole tabular network: gradient check, init, layout, pickling, predict."""

import pickle
from dataclasses import replace

import numpy as np
import pytest

from sk_scratchnet._tabular_network import (
    DEFAULT_LR_FACTORS,
    TabularArchitecture,
    TabularNetwork,
    batch_of,
    build_network,
    predict_scores,
)
from sk_scratchnet._tabular_preprocessing import TabularBlocks


def make_blocks(n=40, seed=0):
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n, 3))
    flags = rng.integers(0, 2, size=(n, 2)).astype(float)
    codes = np.column_stack([rng.integers(0, 4, n), rng.integers(0, 3, n)])
    return TabularBlocks(numeric, flags, codes, (4, 3), n)


SMALL = TabularArchitecture(
    n_numeric=3,
    n_flags=2,
    cardinalities=(4, 3),
    n_outputs=3,
    hidden_layer_sizes=(5, 4),
    n_frequencies=4,
    numeric_embedding_dim=2,
    categorical_embedding_dim=2,
    dtype=np.float64,
)


@pytest.mark.parametrize("activation", ["selu", "mish"])
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"numeric_embedding": None},
        {"feature_scaling": False},
        {"parametric_activation": False},
    ],
)
def test_whole_network_gradient(activation, change):
    rng = np.random.default_rng(0)
    blocks = make_blocks(12)
    arch = replace(SMALL, activation=activation, **change)
    net = build_network(arch, blocks, rng)
    # move away from the init so that no parameter is special (alpha = 1, s = 1)
    net.theta += 0.1 * rng.normal(size=net.n_params)
    batch = batch_of(blocks, slice(None), np.float64)
    G = rng.normal(size=(12, 3))

    def objective():
        ws = net.workspace(12)
        return float(np.sum(G * net.forward(ws, batch)))

    ws = net.workspace(12)
    net.forward(ws, batch)
    net.backward(ws, G.copy())
    analytic = net.grad.copy()
    numeric = np.empty(net.n_params)
    for i in range(net.n_params):
        old = net.theta[i]
        net.theta[i] = old + 1e-6
        up = objective()
        net.theta[i] = old - 1e-6
        down = objective()
        net.theta[i] = old
        numeric[i] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_data_dependent_init():
    rng = np.random.default_rng(0)
    blocks = make_blocks(200)
    arch = replace(SMALL, hidden_layer_sizes=(16, 16))
    net = build_network(arch, blocks, rng)
    ws = net.workspace(200)
    net.forward(ws, batch_of(blocks, slice(None), np.float64))
    dense = [
        (layer, lws)
        for layer, lws in zip(net.layers, ws.layers, strict=True)
        if type(layer).__name__ == "Dense"
    ]
    for layer, lws in dense:
        z = lws.out
        # unit pre-activation scale: std of the part without the bias is 1
        np.testing.assert_allclose((z - layer.b).std(axis=0), 1.0, rtol=1e-6)
        # each hyperplane passes through the data: both signs occur (or a zero)
        assert np.all((z.min(axis=0) <= 0) & (z.max(axis=0) >= 0))


def test_parameter_groups_and_factors():
    net = TabularNetwork(SMALL)
    for group, _, sl in net.groups.values():
        assert np.all(net.lr_factor[sl] == DEFAULT_LR_FACTORS[group])
        assert np.all(net.wd_factor[sl] == (0.0 if group == "bias" else 1.0))
    groups = {g for g, _, _ in net.groups.values()}
    assert groups == set(DEFAULT_LR_FACTORS)


def test_views_alias_theta_and_survive_pickle():
    rng = np.random.default_rng(0)
    blocks = make_blocks()
    net = build_network(replace(SMALL, dtype=np.float32), blocks, rng)
    before = predict_scores(net, net.theta, blocks)
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(predict_scores(clone, clone.theta, blocks), before)
    clone.theta[:] = 0
    assert np.all(clone.layers[-1].W == 0)
    assert before.dtype == np.float32


def test_predict_scores_chunked_equals_one_chunk():
    rng = np.random.default_rng(0)
    blocks = make_blocks(50)
    net = build_network(SMALL, blocks, rng)
    theta = net.theta.copy()
    one = predict_scores(net, theta, blocks)
    chunked = predict_scores(net, theta, blocks, chunk_rows=7)
    np.testing.assert_allclose(chunked, one, rtol=1e-12)


def test_build_network_is_deterministic_and_float32_init_is_the_float64_init():
    blocks = make_blocks()
    a = build_network(SMALL, blocks, np.random.default_rng(0))
    b = build_network(SMALL, blocks, np.random.default_rng(0))
    np.testing.assert_array_equal(a.theta, b.theta)
    c = build_network(
        replace(SMALL, dtype=np.float32), blocks, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(c.theta, a.theta.astype(np.float32))


def test_no_numeric_columns():
    rng = np.random.default_rng(0)
    blocks = make_blocks()
    blocks = replace(blocks, numeric=np.empty((40, 0)))
    arch = replace(SMALL, n_numeric=0)
    net = build_network(arch, blocks, rng)
    assert np.isfinite(predict_scores(net, net.theta, blocks)).all()


def test_bad_activation_raises():
    with pytest.raises(ValueError, match="activation must be one of"):
        TabularNetwork(replace(SMALL, activation="swish"))
