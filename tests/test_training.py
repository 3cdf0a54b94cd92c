"""Tests for sk_scratchnet._training: solver settings, the two training loops."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._early_stopping import (
    WATCH_LOSS,
    WATCH_SCORE,
    EarlyStopping,
    ValidationMonitor,
)
from sk_scratchnet._heads import get_head
from sk_scratchnet._network import (
    Batch,
    Network,
    ParamLayout,
    Workspace,
    init_params,
    loss_and_gradient,
    predict_score,
)
from sk_scratchnet._optimizers import SGD, Adam
from sk_scratchnet._training import (
    EpochRun,
    SolverSettings,
    StochasticState,
    TrainingData,
    batch_size_for,
    check_finite,
    fit_lbfgs,
    fit_stochastic,
    make_optimizer,
    make_schedule,
)


def _settings(**changes):
    est = ScratchMLPClassifier().set_params(**changes)
    return SolverSettings.from_estimator(est, watch=WATCH_SCORE)


def test_settings_are_read_off_the_estimator():
    est = ScratchMLPClassifier(
        solver="sgd", alpha=0.3, batch_size=17, learning_rate="invscaling",
        learning_rate_init=0.02, power_t=0.4, max_iter=7, shuffle=False, tol=1e-3,
        momentum=0.8, nesterovs_momentum=False, early_stopping=True, beta_1=0.7,
        beta_2=0.95, epsilon=1e-7, n_iter_no_change=4, max_fun=99,
    )  # fmt: skip
    settings = SolverSettings.from_estimator(est, watch=WATCH_LOSS)
    assert settings.watch == WATCH_LOSS
    for name, value in est.get_params().items():
        if hasattr(settings, name):
            assert getattr(settings, name) == value, name
    assert settings.solver == "sgd" and settings.max_fun == 99
    assert SolverSettings.from_estimator(est).watch == WATCH_SCORE


def test_check_finite_names_the_epoch_and_the_learning_rate():
    check_finite(np.ones(2), 1.0, 3, 0.1)
    for theta, loss in [(np.ones(2), np.nan), (np.array([1.0, np.inf]), 1.0)]:
        with pytest.raises(ValueError) as info:
            check_finite(theta, loss, 3, 0.25)
        assert str(info.value) == (
            "Training diverged: the loss or the weights became non-finite (NaN or "
            "infinity) after 3 epoch(s). Lower learning_rate_init (now 0.25) or "
            "scale the input features, e.g. with "
            "sklearn.preprocessing.StandardScaler."
        )


def test_batch_size_auto_caps_at_200_and_large_sizes_are_clipped_with_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert batch_size_for(_settings(), 150) == 150
        assert batch_size_for(_settings(), 201) == 200
        assert batch_size_for(_settings(batch_size=10), 10) == 10
        assert batch_size_for(_settings(batch_size=1), 10) == 1
        assert batch_size_for(_settings(batch_size=0), 10) == 1
    with pytest.warns(UserWarning) as record:
        size = batch_size_for(_settings(batch_size=11), 10)
    assert size == 10 and isinstance(size, int)
    assert [str(w.message) for w in record] == [
        "Got `batch_size` less than 1 or larger than sample size. It is going to "
        "be clipped"
    ]


def test_optimizer_and_schedule_take_the_settings():
    settings = _settings(
        solver="sgd", learning_rate_init=0.3, momentum=0.7, nesterovs_momentum=False
    )
    sgd = make_optimizer(settings, 5, np.float32)
    assert isinstance(sgd, SGD)
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.3, 0.7, False)
    assert sgd.velocity.shape == (5,) and sgd.velocity.dtype == np.float32
    settings = _settings(
        solver="adam", learning_rate_init=0.2, beta_1=0.6, beta_2=0.8, epsilon=1e-5
    )
    adam = make_optimizer(settings, 4, np.float32)
    assert isinstance(adam, Adam)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        0.2, 0.6, 0.8, 1e-5,
    )  # fmt: skip
    assert adam.m.shape == (4,) and adam.m.dtype == np.float32
    schedule = make_schedule(
        _settings(
            learning_rate="invscaling", learning_rate_init=0.4, power_t=0.3, max_iter=9
        )
    )
    assert (schedule.kind, schedule.learning_rate_init) == ("invscaling", 0.4)
    assert (schedule.power_t, schedule.max_iter) == (0.3, 9)


# ------------------------------------------------------------------- the loops
class _Recorder:
    """A reporter that records its calls; it can stop or interrupt the loop."""

    def __init__(self, stop_at=None, interrupt_at=None, on_interrupt=None):
        self.calls = []
        self.stop_at, self.interrupt_at = stop_at, interrupt_at
        self.on_interrupt = on_interrupt

    def epoch_begin(self, n_iter):
        self.calls.append(("begin", n_iter))

    def epoch_end(self, n_iter):
        self.calls.append(("end", n_iter))
        if n_iter == self.interrupt_at:
            if self.on_interrupt is not None:
                self.on_interrupt()
            raise KeyboardInterrupt
        return n_iter == self.stop_at

    def fit_end(self):
        self.calls.append(("fit_end",))


def _network(dtype=np.float64, seed=0):
    layout = ParamLayout([4, 5, 3])
    rng = np.random.RandomState(seed)
    theta = init_params(layout, rng, dtype, activations=["tanh"], init="glorot")
    return Network(layout, theta, [ACTIVATIONS["tanh"]], get_head("log_loss"))


def _data(dtype=np.float64, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(dtype)
    Y = np.eye(3)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    return TrainingData(X, Y)


def _objective(net, data, alpha):
    """The whole-set objective at ``net.theta``, computed outside the loop."""
    X = data.X
    ws = Workspace(net.layout.layer_units, len(X), X.dtype, net.activations)
    batch = Batch(X, data.Y.astype(X.dtype), 1.0 / len(X), alpha / len(X))
    return loss_and_gradient(net, batch, ws, np.empty_like(net.theta))


def _expected_calls(n_iter):
    calls = [("begin", 0)]
    for i in range(1, n_iter + 1):
        calls += [("end", i), ("begin", i)]
    return [*calls, ("fit_end",)]


def test_lbfgs_reports_each_iteration_and_converges_quietly():
    net, data = _network(), _data()
    reporter = _Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit_lbfgs(net, data, _settings(solver="lbfgs", alpha=0.1), reporter)
    assert 1 < history.n_iter < 200
    assert reporter.calls == _expected_calls(history.n_iter)
    assert history.loss == _objective(net, data, 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lbfgs_loss_is_the_objective_at_the_returned_weights(dtype):
    net, data = _network(dtype), _data(dtype)
    settings = _settings(solver="lbfgs", alpha=0.01, max_iter=15)
    with pytest.warns(ConvergenceWarning):
        history = fit_lbfgs(net, data, settings, _Recorder())
    assert net.theta.dtype == dtype
    assert history.n_iter == 15
    assert history.loss == _objective(net, data, 0.01)


def test_lbfgs_stopped_by_a_callback_is_not_a_convergence_failure():
    net, data = _network(), _data()
    reporter = _Recorder(stop_at=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit_lbfgs(net, data, _settings(solver="lbfgs"), reporter)
    assert history.n_iter == 2
    assert reporter.calls == [*_expected_calls(1)[:-1], ("end", 2), ("fit_end",)]


def test_lbfgs_tol_and_max_fun_reach_scipy():
    data = _data()
    loose, tight = _network(), _network()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n_loose = fit_lbfgs(
            loose, data, _settings(solver="lbfgs", tol=1e-2), _Recorder()
        )
    with pytest.warns(ConvergenceWarning):
        n_tight = fit_lbfgs(
            tight, data, _settings(solver="lbfgs", tol=0.0, max_iter=30), _Recorder()
        )
    assert n_loose.n_iter < n_tight.n_iter
    net = _network()
    with pytest.warns(ConvergenceWarning) as record:
        history = fit_lbfgs(
            net, data, _settings(solver="lbfgs", max_fun=4), _Recorder()
        )
    assert history.n_iter <= 4
    (warning,) = record
    assert re.fullmatch(
        r"lbfgs failed to converge after \d iteration\(s\) \(status=1\): "
        r"STOP: TOTAL NO\.? OF F,G EVALUATIONS EXCEEDS LIMIT\. Increase the number "
        r"of iterations \(max_iter\) or max_fun, or scale the data\.",
        str(warning.message),
    )


def test_lbfgs_prints_each_iteration_when_verbose(capsys):
    net, data = _network(), _data()
    settings = _settings(solver="lbfgs", verbose=True, max_iter=3)
    with pytest.warns(ConvergenceWarning):
        fit_lbfgs(net, data, settings, _Recorder())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"Iteration 1, loss = \d\.\d{8}", lines[0])
    assert lines[2].startswith("Iteration 3, loss = ")


def test_lbfgs_interrupted_keeps_the_weights_so_far():
    net, data = _network(), _data()
    reporter = _Recorder(interrupt_at=3)
    with pytest.warns(UserWarning, match="^Training interrupted by user\\.$"):
        history = fit_lbfgs(net, data, _settings(solver="lbfgs", alpha=0.1), reporter)
    assert history.n_iter == 2
    assert history.loss == _objective(net, data, 0.1)
    assert ("fit_end",) not in reporter.calls


def test_lbfgs_interrupted_after_diverging_raises():
    net, data = _network(), _data()

    def diverge():
        net.theta[0] = np.nan

    reporter = _Recorder(interrupt_at=2, on_interrupt=diverge)
    settings = _settings(solver="lbfgs", learning_rate_init=0.125)
    with pytest.warns(UserWarning, match="interrupted"):
        with pytest.raises(ValueError, match=r"after 1 epoch\(s\).*\(now 0\.125\)"):
            fit_lbfgs(net, data, settings, reporter)


def _fit_stochastic(dropout=(), seed=0, dtype=np.float64, reporter=None, **params):
    params = {"solver": "sgd", "max_iter": 3, "batch_size": 16, **params}
    settings = _settings(**params)
    net, data = _network(dtype), _data(dtype)
    state = StochasticState(
        make_optimizer(settings, net.theta.size, dtype),
        make_schedule(settings),
        EarlyStopping(settings.early_stopping, net.theta),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = fit_stochastic(
            net,
            data,
            settings,
            state,
            np.random.RandomState(seed),
            EpochRun(_Recorder() if reporter is None else reporter, dropout=dropout),
        )
    return net, history, state


def test_stochastic_runs_every_epoch_unless_incremental():
    reporter = _Recorder()
    _, history, _ = _fit_stochastic(reporter=reporter)
    assert history.n_iter == 3 and len(history.losses) == 3
    expected = [("begin", 0), ("end", 1), ("begin", 1), ("end", 2), ("begin", 2)]
    assert reporter.calls == [*expected, ("end", 3), ("fit_end",)]
    assert history.n_samples_seen == 3 * 40


def test_invscaling_counts_samples_from_zero_by_default():
    _, _, state = _fit_stochastic(
        max_iter=1, learning_rate="invscaling", learning_rate_init=0.5, power_t=0.5
    )
    assert state.optimizer.learning_rate == pytest.approx(0.5 / 41**0.5, rel=1e-15)


@pytest.mark.parametrize("shuffle", [False, True])
def test_dropout_changes_training_reproducibly(shuffle):
    plain, _, _ = _fit_stochastic(shuffle=shuffle)
    dropped, _, _ = _fit_stochastic(dropout=(0.5,), shuffle=shuffle)
    again, _, _ = _fit_stochastic(dropout=(0.5,), shuffle=shuffle)
    assert not np.allclose(plain.theta, dropped.theta)
    assert_array_equal(dropped.theta, again.theta)
    # A zero rate is no dropout at all, draws included.
    zero, _, _ = _fit_stochastic(dropout=(0.0,), shuffle=shuffle)
    assert_array_equal(zero.theta, plain.theta)


def test_lbfgs_on_non_finite_data_warns_and_raises_the_divergence_error():
    net, data = _network(), _data()
    X = data.X.copy()
    X[0, 0] = np.inf
    settings = _settings(solver="lbfgs", learning_rate_init=0.125)
    with np.errstate(all="ignore"), pytest.warns(ConvergenceWarning, match="status=2"):
        with pytest.raises(ValueError, match=r"after 0 epoch\(s\).*\(now 0\.125\)"):
            fit_lbfgs(net, TrainingData(X, data.Y), settings, _Recorder())


def _fit_with_monitor(reporter=None, **params):
    settings = _settings(**{"solver": "sgd", "batch_size": 16, **params})
    net, data = _network(), _data()
    val = _data(seed=1, n=20)

    def raw_scores(X):
        return predict_score(X, *net.views(), net.activations)

    def accuracy(score):
        return np.mean(score.argmax(axis=1) == val.Y.argmax(axis=1))

    monitor = ValidationMonitor(val.X, val.Y, None, raw_scores, accuracy)
    state = StochasticState(
        make_optimizer(settings, net.theta.size, np.float64),
        make_schedule(settings),
        EarlyStopping(settings.early_stopping, net.theta),
    )
    reporter = _Recorder() if reporter is None else reporter
    history = fit_stochastic(
        net, data, settings, state, np.random.RandomState(0),
        EpochRun(reporter, monitor=monitor),
    )  # fmt: skip
    return net, history, state


def test_stochastic_verbose_prints_losses_scores_and_why_it_stopped(capsys):
    _, history, _ = _fit_with_monitor(
        verbose=True, early_stopping=True, n_iter_no_change=1, tol=1e3
    )
    assert history.n_iter == 3  # the first epoch improves on -inf
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"Iteration 1, loss = \d\.\d{8}", lines[0])
    assert lines[1] == f"Validation score: {history.validation_scores[0]:f}"
    assert lines[-1] == (
        "Validation score did not improve more than tol=1000.000000 for 1 "
        "consecutive epochs. Stopping."
    )


def test_stochastic_verbose_names_the_training_loss_without_validation(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _fit_stochastic(verbose=True, n_iter_no_change=1, tol=1e3, max_iter=5)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Training loss did not improve more than tol=1000.000000 for 1 "
        "consecutive epochs. Stopping."
    )


def test_a_callback_stop_still_restores_the_best_weights():
    reporter = _Recorder(stop_at=3)
    net, history, state = _fit_with_monitor(
        reporter=reporter, early_stopping=True, max_iter=10
    )
    assert history.n_iter == 3
    assert reporter.calls[-1] == ("fit_end",)
    assert_array_equal(net.theta, state.stopper.best_theta)


def test_stochastic_warns_when_max_iter_is_reached():
    settings = _settings(solver="sgd", max_iter=2, batch_size=16)
    net, data = _network(), _data()
    state = StochasticState(
        make_optimizer(settings, net.theta.size, np.float64),
        make_schedule(settings),
        EarlyStopping(False, net.theta),
    )
    rng = np.random.RandomState(0)
    with pytest.warns(ConvergenceWarning) as record:
        fit_stochastic(net, data, settings, state, rng, EpochRun(_Recorder()))
    assert [str(w.message) for w in record] == [
        "Stochastic Optimizer: Maximum iterations (2) reached and the optimization "
        "hasn't converged yet."
    ]


def test_stochastic_interrupted_after_diverging_names_the_epoch_and_rate():
    settings = _settings(
        solver="sgd", max_iter=5, batch_size=16, learning_rate_init=0.375
    )
    net, data = _network(), _data()
    state = StochasticState(
        make_optimizer(settings, net.theta.size, np.float64),
        make_schedule(settings),
        EarlyStopping(False, net.theta),
    )

    def diverge():
        net.theta[0] = np.inf

    reporter = _Recorder(interrupt_at=2, on_interrupt=diverge)
    rng = np.random.RandomState(0)
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        with pytest.raises(ValueError, match=r"after 2 epoch\(s\).*\(now 0\.375\)"):
            fit_stochastic(net, data, settings, state, rng, EpochRun(reporter))


def test_stochastic_on_non_finite_data_raises_after_the_first_epoch():
    settings = _settings(
        solver="sgd", max_iter=5, batch_size=16, learning_rate_init=0.375
    )
    net, data = _network(), _data()
    X = data.X.copy()
    X[0, 0] = np.inf
    state = StochasticState(
        make_optimizer(settings, net.theta.size, np.float64),
        make_schedule(settings),
        EarlyStopping(False, net.theta),
    )
    rng = np.random.RandomState(0)
    with np.errstate(all="ignore"):
        with pytest.raises(ValueError, match=r"after 1 epoch\(s\).*\(now 0\.375\)"):
            fit_stochastic(
                net,
                TrainingData(X, data.Y),
                settings,
                state,
                rng,
                EpochRun(_Recorder()),
            )
