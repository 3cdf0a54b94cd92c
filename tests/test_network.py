"""Tests for sk_scratchnet._network: layout, init, forward, backward, gradient."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.special import erf

from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._heads import HEADS
from sk_scratchnet._losses import softmax
from sk_scratchnet._network import (
    Batch,
    Network,
    ParamLayout,
    Workspace,
    backward,
    forward,
    init_params,
    loss_and_gradient,
    predict_score,
)
from tests._helpers import central_difference

ALL_NAMES = sorted(ACTIVATIONS)
HIDDEN = [(5,), (4, 5), (4, 3, 5)]
KINDS = ["binary", "multiclass", "multilabel"]

# Plain NumPy versions of every activation, independent of the package's
# in-place implementations.
REFERENCE_ACT = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "gelu": lambda z: z * 0.5 * (1.0 + erf(z / np.sqrt(2.0))),
}


# -------------------------------------------------------------------- helpers
def _targets(rng, kind, n):
    """(Y, out_activation) for a problem kind."""
    if kind == "binary":
        Y = (rng.random((n, 1)) < 0.5).astype(float)
        return Y, "logistic"
    if kind == "multiclass":
        k = 4
        return np.eye(k)[rng.integers(0, k, size=n)], "softmax"
    return (rng.random((n, 3)) < 0.5).astype(float), "logistic"


class Net:
    """A small random network and a batch, for one test."""

    def __init__(
        self,
        rng,
        act_name,
        hidden,
        kind,
        n=6,
        n_features=4,
        dtype=np.float64,
        max_rows=None,
        dropout=None,
    ):
        self.X = rng.normal(size=(n, n_features)).astype(dtype)
        Y, self.out_activation = _targets(rng, kind, n)
        self.Y = Y.astype(dtype)
        self.act_names = [act_name] * len(hidden)
        self.acts = [ACTIVATIONS[a] for a in self.act_names]
        self.layout = ParamLayout([n_features, *hidden, self.Y.shape[1]])
        # Weights larger than the Glorot init, so that every activation works
        # away from its linear regime, and non-zero intercepts.
        self.theta = rng.normal(scale=0.7, size=self.layout.size).astype(dtype)
        self.dropout = dropout
        self.ws = self.workspace(max_rows or n)

    def workspace(self, max_rows):
        return Workspace(
            self.layout.layer_units, max_rows, self.X.dtype, self.acts, self.dropout
        )

    def loss_grad(self, theta=None, X=None, row_scale=None, l2_scale=0.3, **kw):
        theta = self.theta if theta is None else theta
        X = self.X if X is None else X
        row_scale = 1.0 / X.shape[0] if row_scale is None else row_scale
        grad = np.full_like(theta, np.nan)
        multiclass = self.out_activation == "softmax"
        head = HEADS["log_loss" if multiclass else "binary_log_loss"]
        net = Network(self.layout, theta, self.acts, head)
        batch = Batch(
            X, self.Y[: X.shape[0]], row_scale, l2_scale, kw.pop("dropout_keys", None)
        )
        loss = loss_and_gradient(net, batch, kw.pop("ws", self.ws), grad)
        assert not kw, kw
        return loss, grad


def _reference_objective(net, theta, row_scale, l2_scale, X=None):
    """J = sum_i r_i L_i + l2/2 sum ||W||^2, in plain NumPy (Eqs. 1-4)."""
    X = net.X if X is None else X
    if sparse.issparse(X):
        X = X.toarray()
    coefs, intercepts = net.layout.views(theta.copy())
    a = X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ W + b
        if layer < len(coefs) - 1:
            a = REFERENCE_ACT[net.act_names[layer]](a)
    Y = net.Y
    if net.out_activation == "softmax":
        shifted = a - a.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        per_row = -(Y * log_p).sum(axis=1)
    else:
        p = 1.0 / (1.0 + np.exp(-a))
        per_row = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
    penalty = 0.5 * l2_scale * sum(float((W**2).sum()) for W in coefs)
    return float(per_row @ np.broadcast_to(row_scale, per_row.shape)) + penalty


def _row_scale(rng, kind, n):
    if kind == "mean":
        return 1.0 / n
    weights = rng.uniform(0.1, 3.0, size=n)
    return weights / weights.sum()


# ------------------------------------------------------------- gradient check
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: f"depth{len(h)}")
@pytest.mark.parametrize("act_name", ALL_NAMES)
def test_gradient_matches_central_difference(act_name, hidden, kind):
    rng = np.random.default_rng(0)
    net = Net(rng, act_name, hidden, kind)
    l2_scale = 0.3
    for scale_kind in ("mean", "weights"):
        row_scale = _row_scale(rng, scale_kind, net.X.shape[0])
        theta_before = net.theta.copy()
        loss, grad = net.loss_grad(row_scale=row_scale, l2_scale=l2_scale)
        assert_array_equal(net.theta, theta_before)  # backward never updates

        def fun(theta, row_scale=row_scale):
            return net.loss_grad(theta, row_scale=row_scale, l2_scale=l2_scale)[0]

        numeric = central_difference(fun, net.theta)
        assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
        # The loss itself is the objective written out in plain NumPy.
        expected = _reference_objective(net, net.theta, row_scale, l2_scale)
        assert_allclose(loss, expected, rtol=1e-12)


def test_l2_penalty_applies_to_coefs_only():
    rng = np.random.default_rng(0)
    net = Net(rng, "tanh", (5, 3), "multiclass")
    loss0, grad0 = net.loss_grad(l2_scale=0.0)
    l2 = 0.7
    loss1, grad1 = net.loss_grad(l2_scale=l2)
    n_coef = net.layout.n_coef
    w = net.theta[:n_coef]
    assert_allclose(loss1 - loss0, 0.5 * l2 * (w @ w), rtol=1e-12)
    assert_allclose(grad1[:n_coef] - grad0[:n_coef], l2 * w, rtol=1e-12, atol=1e-15)
    assert_array_equal(grad1[n_coef:], grad0[n_coef:])


@pytest.mark.parametrize("kind", KINDS)
def test_per_row_scale_of_one_over_n_equals_scalar(kind):
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5, 4), kind)
    n = net.X.shape[0]
    loss_s, grad_s = net.loss_grad(row_scale=1.0 / n)
    loss_r, grad_r = net.loss_grad(row_scale=np.full(n, 1.0 / n))
    assert_allclose(loss_r, loss_s, rtol=1e-14)
    assert_allclose(grad_r, grad_s, rtol=1e-13, atol=1e-16)


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    net = Net(rng, "elu", (4,), "multiclass", n=5)
    counts = np.array([1, 3, 2, 1, 2])
    loss_w, grad_w = net.loss_grad(row_scale=counts / counts.sum())
    X_rep = np.repeat(net.X, counts, axis=0)
    Y_rep = np.repeat(net.Y, counts, axis=0)
    rep = Net(rng, "elu", (4,), "multiclass", n=counts.sum())
    rep.X, rep.Y, rep.theta = X_rep, Y_rep, net.theta
    loss_r, grad_r = rep.loss_grad()
    assert_allclose(loss_w, loss_r, rtol=1e-13)
    assert_allclose(grad_w, grad_r, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "container", [sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array]
)
def test_sparse_input_gives_the_dense_loss_and_gradient(container, kind):
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5, 4), kind, n=8, n_features=6)
    net.X[rng.random(net.X.shape) < 0.6] = 0.0
    X_sparse = container(net.X)
    loss_d, grad_d = net.loss_grad()
    loss_s, grad_s = net.loss_grad(X=X_sparse)
    assert_allclose(loss_s, loss_d, rtol=1e-13)
    assert_allclose(grad_s, grad_d, rtol=1e-12, atol=1e-15)
    coefs, intercepts = net.layout.views(net.theta)
    assert_allclose(
        predict_score(X_sparse, coefs, intercepts, net.acts),
        predict_score(net.X, coefs, intercepts, net.acts),
        rtol=1e-13,
    )


def test_sparse_gradient_matches_central_difference():
    rng = np.random.default_rng(0)
    net = Net(rng, "gelu", (4, 3), "multiclass", n=7, n_features=5)
    net.X[rng.random(net.X.shape) < 0.5] = 0.0
    X_sparse = sparse.csr_matrix(net.X)
    _, grad = net.loss_grad(X=X_sparse)
    numeric = central_difference(lambda t: net.loss_grad(t, X=X_sparse)[0], net.theta)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5, 4), "multiclass")
    X, Y, theta = net.X.copy(), net.Y.copy(), net.theta.copy()
    row_scale = _row_scale(rng, "weights", X.shape[0])
    scale_before = row_scale.copy()
    net.loss_grad(row_scale=row_scale)
    coefs, intercepts = net.layout.views(net.theta)
    predict_score(net.X, coefs, intercepts, net.acts)
    assert_array_equal(net.X, X)
    assert_array_equal(net.Y, Y)
    assert_array_equal(net.theta, theta)
    assert_array_equal(row_scale, scale_before)


# ------------------------------------------------------------------- float32
@pytest.mark.parametrize("act_name", ALL_NAMES)
def test_float32_network_stays_float32(act_name):
    rng = np.random.default_rng(0)
    net32 = Net(rng, act_name, (5, 4), "multiclass", dtype=np.float32)
    net64 = Net(rng, act_name, (5, 4), "multiclass")
    net64.X, net64.Y = net32.X.astype(np.float64), net32.Y.astype(np.float64)
    net64.theta = net32.theta.astype(np.float64)

    coefs, intercepts = net32.layout.views(net32.theta)
    inputs = forward(net32.X, coefs, intercepts, net32.acts, net32.ws)
    for a in inputs:
        assert a.dtype == np.float32
    for buffers in (net32.ws.outputs, net32.ws.deltas, net32.ws.scratch):
        assert all(b.dtype == np.float32 for b in buffers)
    assert predict_score(net32.X, coefs, intercepts, net32.acts).dtype == np.float32

    loss32, grad32 = net32.loss_grad()
    loss64, grad64 = net64.loss_grad()
    assert grad32.dtype == np.float32
    assert np.all(np.isfinite(grad32))
    assert_allclose(loss32, loss64, rtol=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-5)

    # backward on its own writes float32 gradients too.
    dcoefs = [np.empty_like(W) for W in coefs]
    dintercepts = [np.empty_like(b) for b in intercepts]
    inputs = forward(net32.X, coefs, intercepts, net32.acts, net32.ws)
    dscore = (inputs.pop() - net32.Y).astype(np.float32)
    backward(inputs, dscore, coefs, net32.acts, net32.ws, dcoefs, dintercepts)
    assert all(d.dtype == np.float32 for d in dcoefs + dintercepts)


def test_float32_sparse_stays_float32():
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5,), "binary", dtype=np.float32)
    X_sparse = sparse.csr_matrix(net.X)
    _, grad = net.loss_grad(X=X_sparse)
    assert grad.dtype == np.float32
    coefs, intercepts = net.layout.views(net.theta)
    assert predict_score(X_sparse, coefs, intercepts, net.acts).dtype == np.float32


# ----------------------------------------------------------- layout and init
def test_param_layout_views_are_views_and_pack_round_trips():
    rng = np.random.default_rng(0)
    layout = ParamLayout([4, 5, 3, 2])
    assert layout.n_layers == 3
    assert layout.coef_shapes == [(4, 5), (5, 3), (3, 2)]
    assert layout.n_coef == 4 * 5 + 5 * 3 + 3 * 2
    assert layout.size == layout.n_coef + 5 + 3 + 2

    theta = rng.normal(size=layout.size)
    coefs, intercepts = layout.views(theta)
    assert [W.shape for W in coefs] == layout.coef_shapes
    assert [b.shape for b in intercepts] == [(5,), (3,), (2,)]
    for arr in coefs + intercepts:
        assert np.shares_memory(arr, theta)

    # MLPClassifier's packing: all coefs (row-major) first, then all intercepts.
    expected = np.concatenate([W.ravel() for W in coefs] + intercepts)
    assert_array_equal(theta, expected)

    theta[0] = 123.0
    assert coefs[0][0, 0] == 123.0
    theta[-1] = -7.0
    assert intercepts[-1][-1] == -7.0
    coefs[1][2, 1] = 42.0
    assert theta[layout.offsets[1] + 2 * 3 + 1] == 42.0

    for dtype in (np.float64, np.float32):
        packed = layout.pack(coefs, intercepts, dtype)
        assert packed.dtype == dtype
        assert not np.shares_memory(packed, theta)
        assert_array_equal(packed, theta.astype(dtype))
        coefs2, intercepts2 = layout.views(packed)
        for a, b in zip(coefs2 + intercepts2, coefs + intercepts):
            assert_array_equal(a, b.astype(dtype))


def test_pack_rejects_wrong_shapes():
    layout = ParamLayout([3, 2, 1])
    coefs = [np.zeros((3, 2)), np.zeros((2, 2))]
    intercepts = [np.zeros(2), np.zeros(1)]
    with pytest.raises(ValueError, match=r"shape \(2, 2\) does not fit"):
        layout.pack(coefs, intercepts, np.float64)


def _sklearn_init(layer_units, factor, seed=0, he=False):
    """MLPClassifier's rule: per layer, W then b ~ U(-bound, bound)."""
    rs = np.random.RandomState(seed)
    coefs, intercepts = [], []
    for fan_in, fan_out in itertools.pairwise(layer_units):
        if he:
            bound = np.sqrt(6.0 / fan_in)
        else:
            bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rs.uniform(-bound, bound, fan_out))
    return coefs, intercepts


@pytest.mark.parametrize(
    ("act_name", "factor"),
    [("relu", 6.0), ("tanh", 6.0), ("identity", 6.0), ("logistic", 2.0)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_glorot_init_reproduces_mlpclassifier(act_name, factor, dtype):
    units = [7, 6, 4, 3]
    layout = ParamLayout(units)
    theta = init_params(
        layout,
        np.random.RandomState(0),
        dtype,
        activations=[act_name] * 2,
        init="glorot",
    )
    assert theta.dtype == dtype
    coefs, intercepts = layout.views(theta)
    expected_coefs, expected_intercepts = _sklearn_init(units, factor)
    for got, want in zip(coefs + intercepts, expected_coefs + expected_intercepts):
        assert_array_equal(got, want.astype(dtype))


def test_he_init_bound():
    units = [50, 40, 30]
    layout = ParamLayout(units)
    theta = init_params(
        layout, np.random.RandomState(0), np.float64, activations=["relu"], init="he"
    )
    coefs, intercepts = layout.views(theta)
    expected_coefs, expected_intercepts = _sklearn_init(units, None, he=True)
    for got, want in zip(coefs + intercepts, expected_coefs + expected_intercepts):
        assert_array_equal(got, want)
    for W, b, fan_in in zip(coefs, intercepts, units[:-1]):
        bound = np.sqrt(6.0 / fan_in)
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.95 * bound  # uniform on the whole interval
        assert np.abs(b).max() <= bound


def test_init_accepts_a_generator():
    layout = ParamLayout([3, 4, 2])
    a = init_params(
        layout,
        np.random.default_rng(0),
        np.float64,
        activations=["relu"],
        init="glorot",
    )
    b = init_params(
        layout,
        np.random.default_rng(0),
        np.float64,
        activations=["relu"],
        init="glorot",
    )
    assert_array_equal(a, b)
    assert np.all(np.abs(a[: layout.n_coef][:12]) <= np.sqrt(6.0 / 7))


# ------------------------------------------------------- forward and predict
@pytest.mark.parametrize("act_name", ALL_NAMES)
def test_forward_on_a_smaller_batch_uses_the_first_rows(act_name):
    rng = np.random.default_rng(0)
    net = Net(rng, act_name, (5, 4), "multiclass", n=10)
    coefs, intercepts = net.layout.views(net.theta)
    m = 4
    inputs = forward(net.X[:m], coefs, intercepts, net.acts, net.ws)
    assert len(inputs) == len(coefs) + 1
    assert inputs[0] is not None and inputs[0].shape == (m, net.X.shape[1])
    for a, buf in zip(inputs[1:], net.ws.outputs):
        assert a.shape == (m, buf.shape[1])
        # a view on the first rows of the buffer, not a copy
        assert a.__array_interface__["data"][0] == buf.__array_interface__["data"][0]
        assert np.shares_memory(a, buf)
    score = inputs[-1]
    assert_allclose(score, predict_score(net.X[:m], coefs, intercepts, net.acts))

    # A batch in a too-big workspace gives what an exact-size workspace gives.
    row_scale = 1.0 / m
    loss_big, grad_big = net.loss_grad(X=net.X[:m], row_scale=row_scale)
    loss_fit, grad_fit = net.loss_grad(
        X=net.X[:m], row_scale=row_scale, ws=net.workspace(m)
    )
    assert loss_big == loss_fit
    assert_array_equal(grad_big, grad_fit)


@pytest.mark.parametrize("act_name", ALL_NAMES)
@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: f"depth{len(h)}")
def test_predict_score_equals_forward_output(act_name, hidden):
    rng = np.random.default_rng(0)
    net = Net(rng, act_name, hidden, "multiclass", n=9)
    coefs, intercepts = net.layout.views(net.theta)
    score_fwd = forward(net.X, coefs, intercepts, net.acts, net.ws)[-1].copy()
    score = predict_score(net.X, coefs, intercepts, net.acts)
    assert isinstance(score, np.ndarray)
    assert score.shape == (9, net.Y.shape[1])
    assert_allclose(score, score_fwd, rtol=1e-14)
    # And the same as the plain NumPy network.
    a = net.X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ W + b
        if layer < len(coefs) - 1:
            a = REFERENCE_ACT[act_name](a)
    assert_allclose(score, a, rtol=1e-12)


# ------------------------------------------------------------------- dropout
KEYS = np.random.default_rng(7).integers(0, 2**63, size=32).astype(np.uint64)


def test_dropout_masks_are_keyed_by_row():
    # Rows with equal keys get equal masks (the sample-weight contract), rows with
    # different keys get different ones.
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (40,), "multiclass", n=6, dropout=[0.5])
    keys = KEYS[[0, 1, 0, 2, 1, 3]]
    net.loss_grad(dropout_keys=keys)
    mask = net.ws.masks[0][:6]
    assert_array_equal(mask[0], mask[2])
    assert_array_equal(mask[1], mask[4])
    assert not np.array_equal(mask[0], mask[1])
    assert not np.array_equal(mask[3], mask[5])


@pytest.mark.parametrize("act_name", ["relu", "tanh", "gelu", "identity"])
@pytest.mark.parametrize("kind", KINDS)
def test_dropout_gradient_check_with_a_fixed_mask(act_name, kind):
    rng = np.random.default_rng(0)
    net = Net(rng, act_name, (6, 5), kind, n=8, dropout=[0.3, 0.5])
    row_scale = _row_scale(rng, "weights", 8)

    def loss_grad(theta):
        # Masks are keyed by the row keys: the same keys draw the same masks.
        return net.loss_grad(theta, row_scale=row_scale, dropout_keys=KEYS[:8])

    loss, grad = loss_grad(net.theta)
    numeric = central_difference(lambda t: loss_grad(t)[0], net.theta)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)

    # Dropout did change the network, and without keys it is off.
    loss_off, _ = net.loss_grad(row_scale=row_scale)
    assert abs(loss - loss_off) > 1e-6
    assert loss_off == net.loss_grad(row_scale=row_scale, ws=net.workspace(8))[0]
    masks = [m[:8] for m in net.ws.masks]
    loss_grad(net.theta)
    for mask, rate in zip(masks, [0.3, 0.5]):
        assert set(np.unique(mask)) <= {0.0, 1.0 / (1.0 - rate)}
        assert 0 < np.count_nonzero(mask == 0) < mask.size


def test_dropout_only_on_layers_with_a_positive_rate():
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5, 4), "multiclass", n=6, dropout=[0.0, 0.5])
    assert net.ws.masks[0] is None
    assert net.ws.masks[1] is not None
    _, grad = net.loss_grad(dropout_keys=KEYS[:6])
    numeric = central_difference(
        lambda t: net.loss_grad(t, dropout_keys=KEYS[:6])[0], net.theta
    )
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inverted_dropout_is_unbiased(dtype):
    rng = np.random.default_rng(0)
    rate, n = 0.4, 20000
    layout = ParamLayout([3, 5, 2])
    acts = [ACTIVATIONS["logistic"]]
    theta = rng.normal(size=layout.size).astype(dtype)
    coefs, intercepts = layout.views(theta)
    X = np.repeat(rng.normal(size=(1, 3)), n, axis=0).astype(dtype)
    ws = Workspace(layout.layer_units, n, dtype, acts, [rate])
    keys = np.arange(n, dtype=np.uint64)
    inputs = forward(X, coefs, intercepts, acts, ws, keys)
    dropped = inputs[1]
    assert dropped.dtype == dtype
    undropped = ws.outputs[0][:n]
    a = REFERENCE_ACT["logistic"](X[:1].astype(np.float64) @ coefs[0] + intercepts[0])
    assert_allclose(undropped, np.broadcast_to(a, (n, 5)), rtol=1e-5)
    # every unit is either dropped or scaled by 1 / (1 - rate)
    kept = dropped != 0
    assert_allclose(dropped[kept], (undropped / (1 - rate))[kept], rtol=1e-6)
    assert abs(1 - kept.mean() - rate) < 0.01
    # E[dropped] = a; the standard error here is ~0.6% of a.
    assert_allclose(dropped.mean(axis=0), a[0], rtol=0.03)


@pytest.mark.parametrize("act_name", ["relu", "gelu"])
def test_workspace_allocates_only_the_buffers_it_needs(act_name):
    # peak memory: no dropout buffers without dropout, pre-activations only for
    # an activation whose backward rule needs them, everything in one dtype
    layout = ParamLayout([3, 5, 4, 2])
    acts = [ACTIVATIONS[act_name]] * 2
    ws = Workspace(layout.layer_units, 7, np.float32, acts)
    assert ws.dtype == np.float32
    assert ws.max_rows == 7
    assert ws.dropout == [0.0, 0.0]
    assert ws.masks == [None, None]
    assert ws.dropped == [None, None]
    needs_z = ACTIVATIONS[act_name].needs_preactivation
    assert [z is not None for z in ws.preactivations] == [needs_z, needs_z]
    ws = Workspace(layout.layer_units, 7, np.float32, acts, [0.0, 0.5])
    assert ws.masks[0] is None and ws.dropped[0] is None
    assert ws.masks[1].shape == ws.dropped[1].shape == (7, 4)
    assert ws.masks[1].dtype == ws.dropped[1].dtype == np.float32


def test_keys_on_a_workspace_without_dropout_change_nothing():
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (5, 4), "multiclass", n=6)
    loss, grad = net.loss_grad()
    loss_keyed, grad_keyed = net.loss_grad(dropout_keys=KEYS[:6])
    assert loss_keyed == loss
    assert_array_equal(grad_keyed, grad)


def test_dropout_on_a_batch_smaller_than_the_workspace():
    # the last mini-batch of an epoch is shorter than the workspace's rows
    rng = np.random.default_rng(0)
    net = Net(rng, "tanh", (6, 5), "multiclass", n=8, dropout=[0.3, 0.5])
    X = net.X[:5]
    exact = net.loss_grad(X=X, dropout_keys=KEYS[:5], ws=net.workspace(5))
    larger = net.loss_grad(X=X, dropout_keys=KEYS[:5], ws=net.workspace(8))
    assert exact[0] == larger[0]
    assert_array_equal(exact[1], larger[1])


def test_backward_without_dropout_ignores_masks_of_an_earlier_pass():
    # backward's default is no dropout: masks left in the workspace by an
    # earlier training pass must not leak into a later plain gradient
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (6, 5), "multiclass", n=8, dropout=[0.5, 0.5])
    net.loss_grad(dropout_keys=KEYS[:8])  # fills the masks
    coefs, intercepts = net.layout.views(net.theta)
    dcoefs = [np.empty_like(W) for W in coefs]
    dintercepts = [np.empty_like(b) for b in intercepts]
    inputs = forward(net.X, coefs, intercepts, net.acts, net.ws)
    dscore = (softmax(inputs.pop()) - net.Y) / len(net.X)
    backward(inputs, dscore, coefs, net.acts, net.ws, dcoefs, dintercepts)
    _, grad = net.loss_grad(l2_scale=0.0, ws=net.workspace(8))  # no dropout
    plain_coefs, plain_intercepts = net.layout.views(grad)
    for got, expected in zip(dcoefs + dintercepts, plain_coefs + plain_intercepts):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l2_gradient_over_several_blocks(dtype):
    # a first layer of 300 x 250 = 75 000 weights spans more than one block
    # of the L2 buffer, with a partial last block
    rng = np.random.default_rng(0)
    net = Net(rng, "relu", (250,), "multiclass", n=2, n_features=300, dtype=dtype)
    # zero inputs: the data part of the first layer's gradient is exactly zero,
    # so the difference below is the L2 term with no cancellation
    net.X = np.zeros_like(net.X)
    _, grad_data = net.loss_grad(l2_scale=0.0)
    _, grad = net.loss_grad(l2_scale=0.25)
    assert net.ws.l2_buffer.dtype == dtype
    n_coef = net.layout.n_coef
    assert n_coef > 65536
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(
        grad[:n_coef] - grad_data[:n_coef],
        0.25 * net.theta[:n_coef],
        rtol=rtol,
        atol=rtol * 1e-2,
    )
    assert_array_equal(grad[n_coef:], grad_data[n_coef:])
