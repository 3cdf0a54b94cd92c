"""Tests for sk_scratchnet._optimizers: SGD, Adam and learning-rate schedules."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule

THETA0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, -1.0, 2.0])
G2 = np.array([1.0, 1.0, -1.0])


def _two_steps(optimizer, dtype=np.float64):
    """Apply G1 then G2; return theta after each step (grad copies are clobbered)."""
    theta = THETA0.astype(dtype)
    optimizer.update(theta, G1.astype(dtype))
    theta1 = theta.copy()
    optimizer.update(theta, G2.astype(dtype))
    return theta1, theta


# ------------------------------------------------------------------------ SGD
def test_sgd_momentum_two_steps_by_hand():
    lr, mu = 0.1, 0.9
    theta1, theta2 = _two_steps(SGD(3, np.float64, lr, momentum=mu, nesterov=False))

    # v1 = mu * 0 - lr g1 = [-0.05, 0.1, -0.2];  theta1 = theta0 + v1
    v1 = -lr * G1
    assert_allclose(theta1, THETA0 + v1, rtol=1e-15)
    assert_allclose(theta1, [0.95, -1.9, 0.3], rtol=1e-14)
    # v2 = mu v1 - lr g2 = [-0.145, -0.01, -0.08];  theta2 = theta1 + v2
    v2 = mu * v1 - lr * G2
    assert_allclose(theta2, theta1 + v2, rtol=1e-15)
    assert_allclose(theta2, [0.805, -1.91, 0.22], rtol=1e-14)


def test_sgd_nesterov_two_steps_by_hand():
    lr, mu = 0.1, 0.9
    opt = SGD(3, np.float64, lr, momentum=mu, nesterov=True)
    theta1, theta2 = _two_steps(opt)

    # v1 = -lr g1;  theta1 = theta0 + mu v1 - lr g1 = theta0 + [-0.095, 0.19, -0.38]
    v1 = -lr * G1
    assert_allclose(theta1, THETA0 + mu * v1 - lr * G1, rtol=1e-15)
    assert_allclose(theta1, [0.905, -1.81, 0.12], rtol=1e-14)
    # v2 = mu v1 - lr g2;  theta2 = theta1 + mu v2 - lr g2
    v2 = mu * v1 - lr * G2
    assert_allclose(theta2, theta1 + mu * v2 - lr * G2, rtol=1e-15)
    assert_allclose(theta2, [0.6745, -1.919, 0.148], rtol=1e-14)
    assert_allclose(opt.velocity, v2, rtol=1e-15)


def test_sgd_without_momentum_is_plain_gradient_descent():
    # Eq. 9: theta <- theta - eta g, whatever the Nesterov flag.
    for nesterov in (False, True):
        theta1, theta2 = _two_steps(SGD(3, np.float64, 0.2, 0.0, nesterov))
        assert_allclose(theta1, THETA0 - 0.2 * G1, rtol=1e-15)
        assert_allclose(theta2, THETA0 - 0.2 * G1 - 0.2 * G2, rtol=1e-15)


def test_sgd_learning_rate_change_takes_effect_next_step():
    opt = SGD(3, np.float64, 0.1, momentum=0.9, nesterov=False)
    theta = THETA0.copy()
    opt.update(theta, G1.copy())
    opt.learning_rate = 0.01
    opt.update(theta, G2.copy())
    v2 = 0.9 * (-0.1 * G1) - 0.01 * G2
    assert_allclose(theta, THETA0 - 0.1 * G1 + v2, rtol=1e-15)


# ----------------------------------------------------------------------- Adam
def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = Adam(3, np.float64, lr, beta_1=b1, beta_2=b2, epsilon=eps)
    theta1, theta2 = _two_steps(opt)

    # t = 1
    m1 = b1 * 0 + (1 - b1) * G1
    v1 = b2 * 0 + (1 - b2) * G1**2
    lr1 = lr * math.sqrt(1 - b2**1) / (1 - b1**1)
    expected1 = THETA0 - lr1 * m1 / (np.sqrt(v1) + eps)
    assert_allclose(theta1, expected1, rtol=1e-14)
    # The first Adam step moves every coordinate by about lr against its gradient.
    assert_allclose(theta1, THETA0 - lr * np.sign(G1), rtol=1e-6)

    # t = 2: the moments carry the first gradient.
    m2 = b1 * m1 + (1 - b1) * G2
    v2 = b2 * v1 + (1 - b2) * G2**2
    lr2 = lr * math.sqrt(1 - b2**2) / (1 - b1**2)
    expected2 = expected1 - lr2 * m2 / (np.sqrt(v2) + eps)
    assert_allclose(theta2, expected2, rtol=1e-14)
    assert opt.t == 2
    assert_allclose(opt.m, m2, rtol=1e-15)
    assert_allclose(opt.v, v2, rtol=1e-15)


def test_adam_epsilon_matters_for_tiny_gradients():
    lr, eps = 0.01, 1e-3
    opt = Adam(3, np.float64, lr, epsilon=eps)
    theta = THETA0.copy()
    g = np.array([1e-4, -1e-3, 0.0])
    opt.update(theta, g.copy())
    m, v = 0.1 * g, 0.001 * g**2
    step = lr * math.sqrt(0.001) / 0.1
    assert_allclose(theta, THETA0 - step * m / (np.sqrt(v) + eps), rtol=1e-14)
    assert theta[2] == THETA0[2]


# ---------------------------------------------------------------------- forks
@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(3, np.float64, 0.1, momentum=0.9, nesterov=True),
        lambda: Adam(3, np.float64, 0.1),
    ],
    ids=["sgd", "adam"],
)
def test_fork_steps_like_the_original_and_leaves_it_unchanged(make):
    original, twin = make(), make()
    theta, theta_twin = THETA0.copy(), THETA0.copy()
    original.update(theta, G1.copy())
    twin.update(theta_twin, G1.copy())
    # the state a step carries forward (scratch buffers, "_...", may be shared)
    moments = {
        name: a.copy()
        for name, a in vars(original).items()
        if isinstance(a, np.ndarray) and not name.startswith("_")
    }

    fork = original.fork()
    fork.update(theta, G2.copy())
    fork.update(theta, G1.copy())
    twin.update(theta_twin, G2.copy())
    twin.update(theta_twin, G1.copy())

    # the fork computes exactly what the original would have ...
    assert_array_equal(theta, theta_twin)
    # ... and the original's moments are those before the fork
    assert moments
    for name, before in moments.items():
        assert_array_equal(getattr(original, name), before)


# -------------------------------------------------------------------- float32
@pytest.mark.parametrize(
    "make",
    [
        lambda dtype: SGD(3, dtype, 0.1, momentum=0.9, nesterov=False),
        lambda dtype: SGD(3, dtype, 0.1, momentum=0.9, nesterov=True),
        lambda dtype: Adam(3, dtype, 0.01),
    ],
    ids=["sgd", "nesterov", "adam"],
)
def test_float32_stays_float32(make):
    opt32 = make(np.float32)
    theta1, theta2 = _two_steps(opt32, np.float32)
    assert theta1.dtype == np.float32
    assert theta2.dtype == np.float32
    for name in ("velocity", "m", "v"):
        if hasattr(opt32, name):
            assert getattr(opt32, name).dtype == np.float32
    _, theta2_64 = _two_steps(make(np.float64))
    assert_allclose(theta2, theta2_64, rtol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_update_is_in_place_on_theta(optimizer):
    opt = SGD(3, np.float64, 0.1) if optimizer == "sgd" else Adam(3, np.float64, 0.1)
    theta = THETA0.copy()
    view = theta[:]
    opt.update(theta, G1.copy())
    assert np.shares_memory(view, theta)
    assert not np.array_equal(view, THETA0)


def test_state_starts_at_zero():
    sgd = SGD(4, np.float64, 0.1)
    adam = Adam(4, np.float64, 0.1)
    assert_array_equal(sgd.velocity, np.zeros(4))
    assert_array_equal(adam.m, np.zeros(4))
    assert_array_equal(adam.v, np.zeros(4))
    assert adam.t == 0


# ------------------------------------------------------------------ schedules
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_invscaling_after_epoch_end(optimizer):
    lr0, power_t = 0.1, 0.5
    opt = SGD(3, np.float64, lr0) if optimizer == "sgd" else Adam(3, np.float64, lr0)
    schedule = LearningRateSchedule("invscaling", lr0, power_t=power_t)
    for epoch, t in enumerate([99, 250, 10_000], start=1):
        schedule.epoch_end(opt, n_samples_seen=t, epoch=epoch)
        assert opt.learning_rate == pytest.approx(lr0 / (t + 1) ** power_t, rel=1e-15)
    schedule = LearningRateSchedule("invscaling", 0.2, power_t=0.25)
    schedule.epoch_end(opt, n_samples_seen=80, epoch=1)
    assert opt.learning_rate == pytest.approx(0.2 / 3.0, rel=1e-15)


def test_cosine_decays_to_zero_at_max_iter():
    lr0, max_iter = 0.1, 10
    opt = SGD(3, np.float64, lr0)
    schedule = LearningRateSchedule("cosine", lr0, max_iter=max_iter)
    rates = []
    for epoch in range(1, max_iter + 1):
        schedule.epoch_end(opt, n_samples_seen=100 * epoch, epoch=epoch)
        rates.append(opt.learning_rate)
    assert np.all(np.diff(rates) < 0)
    assert rates[4] == pytest.approx(lr0 / 2, rel=1e-12)  # half way
    assert rates[0] == pytest.approx(lr0 * (1 + math.cos(math.pi / 10)) / 2)
    assert abs(rates[-1]) < 1e-15
    schedule.epoch_end(opt, n_samples_seen=10_000, epoch=max_iter + 5)
    assert abs(opt.learning_rate) < 1e-15


@pytest.mark.parametrize("kind", ["constant", "adaptive"])
def test_constant_and_adaptive_keep_the_rate_between_epochs(kind):
    opt = SGD(3, np.float64, 0.1)
    schedule = LearningRateSchedule(kind, 0.1)
    for epoch in range(1, 4):
        schedule.epoch_end(opt, n_samples_seen=50 * epoch, epoch=epoch)
        assert opt.learning_rate == 0.1


def test_adaptive_divides_by_five_on_plateau_until_below_1e_6():
    lr0 = 1e-3
    opt = SGD(3, np.float64, lr0)
    schedule = LearningRateSchedule("adaptive", lr0)
    expected = lr0
    n_reductions = 0
    while expected > 1e-6:
        assert schedule.plateau(opt, "No progress.", verbose=False) is False
        expected /= 5.0
        n_reductions += 1
        assert opt.learning_rate == pytest.approx(expected, rel=1e-15)
    # 1e-3 / 5**5 = 3.2e-7 <= 1e-6: the next plateau stops training.
    assert n_reductions == 5
    assert schedule.plateau(opt, "No progress.", verbose=False) is True
    assert opt.learning_rate == pytest.approx(3.2e-7, rel=1e-12)


def test_adaptive_stops_at_exactly_1e_6():
    opt = SGD(3, np.float64, 1e-6)
    schedule = LearningRateSchedule("adaptive", 1e-6)
    assert schedule.plateau(opt, "No progress.", verbose=False) is True
    assert opt.learning_rate == 1e-6


@pytest.mark.parametrize("kind", ["constant", "invscaling", "cosine"])
def test_other_schedules_stop_on_plateau(kind):
    opt = SGD(3, np.float64, 0.1)
    schedule = LearningRateSchedule(kind, 0.1)
    assert schedule.plateau(opt, "No progress.", verbose=False) is True
    assert opt.learning_rate == 0.1


@pytest.mark.parametrize(
    ("kind", "lr", "expected"),
    [
        ("constant", 0.1, "No progress. Stopping."),
        ("adaptive", 1e-7, "No progress. Learning rate too small. Stopping."),
        ("adaptive", 0.1, "No progress. Setting learning rate to 0.020000"),
    ],
)
def test_plateau_verbose_messages(capsys, kind, lr, expected):
    opt = SGD(3, np.float64, lr)
    LearningRateSchedule(kind, lr).plateau(opt, "No progress.", verbose=True)
    assert capsys.readouterr().out.strip() == expected
    LearningRateSchedule(kind, lr).plateau(opt, "No progress.", verbose=False)
    assert capsys.readouterr().out == ""


def test_defaults_are_mlpclassifiers():
    sgd = SGD(3, np.float64, 0.1)
    assert (sgd.momentum, sgd.nesterov) == (0.9, True)
    adam = Adam(3, np.float64, 0.1)
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-8)
    schedule = LearningRateSchedule("invscaling", 0.1)
    assert (schedule.power_t, schedule.max_iter) == (0.5, 200)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_state_buffer_has_the_parameters_dtype(dtype):
    # a float64 temporary would silently change float32 rounding and memory
    sgd = SGD(3, dtype, 0.1)
    adam = Adam(3, dtype, 0.1)
    buffers = [sgd.velocity, sgd._step, adam.m, adam.v, adam._tmp]
    assert all(b.dtype == dtype and b.shape == (3,) for b in buffers)
