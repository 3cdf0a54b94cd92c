"""The tabular training loop: Adam step, schedules, best epoch, determinism."""

from dataclasses import replace

import numpy as np
import pytest

from sk_scratchnet import _schedules, _tabular_training
from sk_scratchnet._tabular_network import (
    TabularArchitecture,
    build_network,
    predict_scores,
)
from sk_scratchnet._tabular_preprocessing import TabularBlocks
from sk_scratchnet._tabular_training import (
    AdamState,
    TrainData,
    TrainSettings,
    train_network,
)


def make_problem(n=120, seed=0):
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n, 3))
    codes = rng.integers(0, 3, size=(n, 1))
    y = (numeric[:, 0] + 0.5 * (codes[:, 0] == 1) > 0).astype(int)
    blocks = TabularBlocks(numeric, np.zeros((n, 0)), codes, (3,), n)
    return blocks, np.eye(2)[y]


def split(blocks, Y, n_train):
    def rows(sl):
        return TabularBlocks(
            blocks.numeric[sl], blocks.flags[sl], blocks.codes[sl], (3,), len(Y[sl])
        )

    tr, va = slice(0, n_train), slice(n_train, None)
    return TrainData(rows(tr), Y[tr]), TrainData(rows(va), Y[va])


ARCH = TabularArchitecture(
    n_numeric=3,
    n_flags=0,
    cardinalities=(3,),
    n_outputs=2,
    hidden_layer_sizes=(16, 16),
    n_frequencies=4,
)
SETTINGS = TrainSettings(
    loss="softmax_cross_entropy", learning_rate=0.04, batch_size=32, max_epochs=6
)


def fit(arch=ARCH, settings=SETTINGS, seed=0, on_epoch=None):
    blocks, Y = make_problem()
    train, val = split(blocks, Y, 90)
    rng = np.random.default_rng(seed)
    net = build_network(arch, train.blocks, rng)
    return net, train_network(net, train, val, settings, rng, on_epoch=on_epoch), val


def test_adam_step_by_hand():
    theta = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.1, -0.3, 0.2])
    lr_factor = np.array([1.0, 0.1, 6.0])
    wd_factor = np.array([1.0, 0.0, 1.0])
    adam = AdamState(lr_factor, wd_factor, 0.9, 0.95, 1e-8)
    lr, wd = 0.04, 0.02
    expected = theta * (1 - lr * wd * wd_factor * lr_factor**2)
    m = 0.1 * grad
    v = 0.05 * grad**2
    m_hat, v_hat = m / 0.1, v / 0.05
    expected -= lr * lr_factor * m_hat / (np.sqrt(v_hat) + 1e-8)
    adam.step(theta, grad, lr, wd)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    # second step: moments accumulate, bias corrections with k = 2
    grad2 = np.array([-0.2, 0.1, 0.05])
    before = theta.copy()
    adam.step(theta, grad2, lr, 0.0)
    m = 0.9 * m + 0.1 * grad2
    v = 0.95 * v + 0.05 * grad2**2
    step = lr * lr_factor * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.95**2)) + 1e-8)
    np.testing.assert_allclose(theta, before - step, rtol=1e-12)


def test_schedules_drive_lr_wd_and_dropout(monkeypatch):
    seen = []
    original = AdamState.step

    def spy(self, theta, grad, lr, wd):
        seen.append((lr, wd))
        return original(self, theta, grad, lr, wd)

    monkeypatch.setattr(AdamState, "step", spy)
    rates = []
    set_dropout = _tabular_training.TabularNetwork.set_dropout

    def spy_dropout(self, ws, rate, rng):
        if ws.max_rows == 32:  # the training workspace, not the validation one
            rates.append(rate)
        return set_dropout(self, ws, rate, rng)

    monkeypatch.setattr(_tabular_training.TabularNetwork, "set_dropout", spy_dropout)
    fit()
    # 90 rows in batches of 32, 32, 26; progress = rows seen before the step
    rows_seen = np.cumsum([0] + [32, 32, 26] * 6)[:-1]
    t = rows_seen / (90 * 6)
    lr = 0.04 * _schedules.get_schedule("coslog4")(t)
    wd = 0.02 * _schedules.get_schedule("flat_cos")(t)
    p = 0.15 * _schedules.get_schedule("flat_cos")(t)
    np.testing.assert_allclose([s[0] for s in seen], lr)
    np.testing.assert_allclose([s[1] for s in seen], wd)
    np.testing.assert_allclose(rates, p)


def test_last_best_epoch_is_kept():
    snapshots = []

    def on_epoch(epoch, loss, val_score, theta):
        snapshots.append(theta.copy())
        return False

    net, result, val = fit(settings=replace(SETTINGS, max_epochs=10), on_epoch=on_epoch)
    curve = np.asarray(result.validation_curve)
    assert len(curve) == result.n_epochs == 10
    last_best = int(np.flatnonzero(curve == curve.min())[-1]) + 1
    assert result.best_epoch == last_best
    np.testing.assert_array_equal(result.theta, snapshots[last_best - 1])
    # the kept parameters reproduce the recorded validation score
    scores = predict_scores(net, result.theta, val.blocks)
    err = np.mean(scores.argmax(1) != val.Y.argmax(1))
    assert err == pytest.approx(curve[last_best - 1])


def test_on_epoch_can_stop():
    _, result, _ = fit(on_epoch=lambda epoch, *args: epoch == 2)
    assert result.n_epochs == 2 and len(result.loss_curve) == 2


def test_same_seed_same_result():
    _, a, _ = fit()
    _, b, _ = fit()
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.loss_curve == b.loss_curve
    _, c, _ = fit(seed=1)
    assert not np.array_equal(a.theta, c.theta)


def test_float32_is_finite_and_close_to_float64():
    settings = replace(SETTINGS, max_epochs=20)
    net32, r32, val = fit(settings=settings)
    net64, r64, _ = fit(arch=replace(ARCH, dtype=np.float64), settings=settings)
    assert r32.theta.dtype == np.float32 and np.isfinite(r32.theta).all()
    assert r32.loss_curve[-1] < r32.loss_curve[0]
    acc32 = np.mean(
        predict_scores(net32, r32.theta, val.blocks).argmax(1) == val.Y.argmax(1)
    )
    acc64 = np.mean(
        predict_scores(net64, r64.theta, val.blocks).argmax(1) == val.Y.argmax(1)
    )
    assert acc32 > 0.8 and abs(acc32 - acc64) <= 0.1


def test_sample_weight_zero_rows_have_no_effect():
    blocks, Y = make_problem()
    train, _ = split(blocks, Y, 90)
    w = np.ones(90)
    w[::3] = 0.0
    settings = replace(SETTINGS, dropout=0.0, batch_size=90, max_epochs=3)
    rng = np.random.default_rng(0)
    net = build_network(ARCH, train.blocks, rng)
    theta0 = net.theta.copy()
    weighted = train_network(net, replace(train, sample_weight=w), None, settings, rng)
    # same start, only the kept rows, one full batch per epoch
    net.theta[...] = theta0
    kept = w > 0
    sub = TrainData(
        TabularBlocks(
            train.blocks.numeric[kept],
            train.blocks.flags[kept],
            train.blocks.codes[kept],
            (3,),
            int(kept.sum()),
        ),
        train.Y[kept],
    )
    plain = train_network(net, sub, None, replace(settings, batch_size=60), rng)
    np.testing.assert_allclose(weighted.theta, plain.theta, rtol=2e-4, atol=1e-5)


def test_regression_learns():
    rng = np.random.default_rng(0)
    n = 150
    numeric = rng.normal(size=(n, 3))
    y = np.sin(2 * numeric[:, :1]) + 0.1 * rng.normal(size=(n, 1))
    blocks = TabularBlocks(numeric, np.zeros((n, 0)), np.zeros((n, 0), int), (), n)
    arch = replace(ARCH, cardinalities=(), n_outputs=1, activation="mish")
    settings = TrainSettings(
        loss="squared_error", learning_rate=0.2, batch_size=32, max_epochs=30
    )
    net = build_network(arch, blocks, rng)
    result = train_network(net, TrainData(blocks, y), None, settings, rng)
    assert result.best_epoch == result.n_epochs == 30
    pred = predict_scores(net, result.theta, blocks)
    assert np.mean((pred - y) ** 2) < 0.5 * np.var(y)


def test_bad_shapes_raise():
    blocks, Y = make_problem()
    train, val = split(blocks, Y, 90)
    net = build_network(ARCH, train.blocks, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"train.Y must have shape \(n, 2\)"):
        train_network(net, replace(train, Y=train.Y[:, :1]), None, SETTINGS, rng)
    with pytest.raises(ValueError, match=r"val\.blocks has 30 rows but val\.Y has 29"):
        train_network(net, train, replace(val, Y=val.Y[:29]), SETTINGS, rng)
