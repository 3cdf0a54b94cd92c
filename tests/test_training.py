"""Tests for sk_scratchnet._training: the early-stopping split and bookkeeping."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._early_stopping import (
    WATCH_LOSS,
    WATCH_SCORE,
    EarlyStopping,
    ValidationMonitor,
    split_validation,
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


def test_too_few_members_names_the_classes_like_mlpclassifier():
    # scikit-learn's own case: one member of class 1 cannot be split.
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    with pytest.raises(ValueError, match="least populated class"):
        MLPClassifier(early_stopping=True).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"least populated classes in y have only 1 member.*"
        r"Classes with too few members are: \[1\]",
    ):
        ScratchMLPClassifier(early_stopping=True).fit(X, y)


def test_a_one_member_class_stays_in_training_on_larger_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.r_[np.zeros(30, int), np.ones(29, int), 2]
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=3, random_state=0
    )
    with pytest.warns(Warning):
        clf.fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert len(clf.validation_scores_) == clf.n_iter_


def test_split_keeps_duplicates_together_and_each_group_in_training():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(20, 3))
    X = np.vstack([base, base[:5]])  # five duplicated rows
    groups = np.r_[np.arange(20) % 2, np.arange(5) % 2]
    train, val = split_validation(X, None, groups, 0.3, np.random.RandomState(0))
    assert_array_equal(np.sort(np.r_[train, val]), np.arange(25))
    held = set(map(bytes, X[val]))
    assert not held & set(map(bytes, X[train]))  # no row on both sides
    for g in (0, 1):
        assert np.any(groups[train] == g)
        assert np.any(groups[val] == g)


def test_split_holds_out_weight_as_repetitions():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 2))
    w = rng.integers(1, 4, 12).astype(float)
    repeated = np.repeat(X, w.astype(int), axis=0)
    _, val_w = split_validation(X, w, None, 0.2, np.random.RandomState(3), 2)
    _, val_r = split_validation(repeated, None, None, 0.2, np.random.RandomState(3), 2)
    assert sorted(map(bytes, np.repeat(X[val_w], w[val_w].astype(int), axis=0))) == (
        sorted(map(bytes, repeated[val_r]))
    )
    assert len(val_w) >= 2


def test_regression_split_of_one_sample_says_so():
    with pytest.raises(ValueError, match="n_samples=1"):
        ScratchMLPRegressor(early_stopping=True).fit([[1.0, 2.0]], [3.0])


def test_early_stopping_counts_epochs_without_progress():
    theta = np.zeros(3)
    settings = _settings(tol=0.1)
    stopper = EarlyStopping(early_stopping=False, theta=theta)
    for loss, count in [(1.0, 0), (0.95, 1), (0.5, 0), (0.45, 1), (0.6, 2)]:
        stopper.update(theta, loss, None, settings)
        assert stopper.no_improvement_count == count
    assert stopper.best_loss == 0.45


def test_early_stopping_on_validation_keeps_best_weights_and_breaks_ties_by_loss():
    settings = _settings(tol=0.0, early_stopping=True)
    stopper = EarlyStopping(early_stopping=True, theta=np.zeros(2))
    stopper.update(np.full(2, 1.0), 9.0, (0.8, 0.5), settings)
    stopper.update(np.full(2, 2.0), 8.0, (0.8, 0.4), settings)  # tie, lower loss
    stopper.update(np.full(2, 3.0), 7.0, (0.7, 0.1), settings)
    assert stopper.best_score == 0.8
    assert stopper.loss_at_best == 0.4
    assert_array_equal(stopper.best_theta, [2.0, 2.0])
    assert stopper.no_improvement_count == 1  # a tie is not "worse by tol"
    stop_on_loss = SolverSettings.from_estimator(
        ScratchMLPClassifier(tol=0.0), watch=WATCH_LOSS
    )
    stopper.update(np.full(2, 4.0), 7.0, (0.1, 0.05), stop_on_loss)
    assert_array_equal(stopper.best_theta, [4.0, 4.0])
    assert stopper.no_improvement_count == 0


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


def test_early_stopping_starts_empty_and_copies_the_weights():
    theta = np.arange(3.0)
    on = EarlyStopping(early_stopping=True, theta=theta)
    off = EarlyStopping(early_stopping=False, theta=theta)
    theta[0] = 5.0
    for stopper in (on, off):
        assert stopper.no_improvement_count == 0
        assert stopper.loss_at_best == np.inf
        assert stopper.best_validation_loss is None
        assert_array_equal(stopper.best_theta, [0.0, 1.0, 2.0])
    assert on.best_loss is None and on.best_score == -np.inf
    assert off.best_loss == np.inf and off.best_score is None


def test_lowest_validation_loss_is_recorded():
    stopper = EarlyStopping(early_stopping=True, theta=np.zeros(1))
    for loss, lowest in [(0.5, 0.5), (0.7, 0.5), (0.2, 0.2), (0.2, 0.2)]:
        stopper.record_validation_loss(loss)
        assert stopper.best_validation_loss == lowest


def test_validation_score_must_beat_the_best_by_tol():
    settings = _settings(tol=0.1, early_stopping=True)
    stopper = EarlyStopping(early_stopping=True, theta=np.zeros(1))
    steps = [(0.5, 0), (0.55, 1), (0.65, 0), (0.6, 1)]
    for i, (score, count) in enumerate(steps):
        stopper.update(np.full(1, float(i)), 1.0, (score, 1.0 - score), settings)
        assert stopper.no_improvement_count == count
    assert stopper.best_score == 0.65
    assert stopper.loss_at_best == pytest.approx(0.35)
    assert_array_equal(stopper.best_theta, [2.0])
    # On the loss: a lower loss by more than tol is progress, a higher one is not.
    on_loss = SolverSettings.from_estimator(
        ScratchMLPClassifier(tol=0.1), watch=WATCH_LOSS
    )
    stopper.update(np.full(1, 7.0), 1.0, (0.0, 0.3), on_loss)
    assert stopper.no_improvement_count == 2
    assert_array_equal(stopper.best_theta, [7.0])
    stopper.update(np.full(1, 8.0), 1.0, (0.0, 0.1), on_loss)
    assert stopper.no_improvement_count == 0
    stopper.update(np.full(1, 9.0), 1.0, (0.0, 0.2), on_loss)
    assert_array_equal(stopper.best_theta, [8.0])
    assert stopper.loss_at_best == 0.1


def test_training_loss_without_a_split_in_partial_fit():
    # early_stopping=True but no validation set (partial_fit): the training loss.
    stopper = EarlyStopping(early_stopping=True, theta=np.zeros(1))
    settings = _settings(tol=0.5)
    stopper.update(np.zeros(1), 2.0, None, settings)
    assert stopper.best_loss == 2.0 and stopper.no_improvement_count == 0
    stopper.update(np.zeros(1), 1.6, None, settings)  # better, but not by tol
    assert stopper.best_loss == 1.6 and stopper.no_improvement_count == 1


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


class _FixedNet:
    """Stands in for a network: only its head is read by the monitor."""

    def __init__(self, head):
        self.head = head


def test_validation_monitor_weighs_rows_like_the_training_loss():
    X = np.arange(8.0).reshape(4, 2)
    Y = np.array([[0.0], [1.0], [2.0], [3.0]])
    score = np.array([[1.0], [1.0], [1.0], [1.0]])
    per_row = 0.5 * (score - Y)[:, 0] ** 2
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    net = _FixedNet(get_head("squared_error"))
    seen = []

    def raw_scores(rows):
        seen.append(rows)
        return score.copy()

    for w, expected in [(None, per_row.mean()), (weights, per_row @ weights / 10)]:
        monitor = ValidationMonitor(X, Y, w, raw_scores, lambda z: z.sum() / 8)
        metric, loss = monitor.evaluate(net)
        assert metric == 0.5 and isinstance(metric, float)
        assert loss == pytest.approx(expected, rel=1e-14)
        assert seen[-1] is X


def _distinct_rows(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2))


def test_split_holds_out_one_distinct_row_per_group_by_default():
    X = _distinct_rows(20)
    groups = np.arange(20) % 2
    train, val = split_validation(X, None, groups, 0.05, np.random.RandomState(0))
    assert len(val) == 2 and len(train) == 18
    assert sorted(groups[val]) == [0, 1]
    _, val2 = split_validation(X, None, groups, 0.05, np.random.RandomState(0), 2)
    assert len(val2) == 4


def test_split_holds_out_the_fraction_of_distinct_rows():
    X = _distinct_rows(10)
    _, val = split_validation(X, None, None, 0.3, np.random.RandomState(1))
    assert len(val) == 3
    _, val = split_validation(X, np.ones(10), None, 0.3, np.random.RandomState(1))
    assert len(val) == 3


def test_zero_weight_rows_and_groups_stay_in_training():
    X = _distinct_rows(30, seed=2)
    groups = np.r_[np.zeros(10), np.ones(10), np.full(10, 2.0)]
    weights = np.r_[np.zeros(10), np.ones(10), np.where(np.arange(10) % 2, 0.0, 1.0)]
    train, val = split_validation(X, weights, groups, 0.5, np.random.RandomState(2))
    assert_array_equal(np.sort(np.r_[train, val]), np.arange(30))
    assert np.all(weights[val] > 0)
    # Group 0 has no weight and holds out nothing; the others still do.
    assert set(groups[val]) == {1.0, 2.0}
    assert np.sum(groups[val] == 1.0) == 5


def test_split_too_small_names_only_classes_of_one_member():
    X = _distinct_rows(6, seed=3)
    # Class 0 has four rows, class 1 one, class 2 only a zero-weight row.
    y = np.array([0, 0, 0, 1, 2, 0])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError) as info:
        split_validation(X, weights, y, 0.1, np.random.RandomState(0))
    assert str(info.value) == (
        "The least populated classes in y have only 1 member, which is too few to "
        "hold out a validation set for early stopping (every class keeps a member "
        "in training). Classes with too few members are: [1]. Pass X_val/y_val, or "
        "set early_stopping=False."
    )


def test_a_class_of_two_members_is_not_too_few():
    X = _distinct_rows(3, seed=4)
    with pytest.raises(ValueError, match=r"members are: \[1\]\. Pass"):
        split_validation(X, None, np.array([0, 0, 1]), 0.1, np.random.RandomState(0))


def test_split_too_small_without_classes_says_so():
    X = _distinct_rows(5, seed=5)
    with pytest.raises(ValueError) as info:
        split_validation(X, None, None, 0.1, np.random.RandomState(0))
    assert str(info.value) == (
        "The validation set is too small (n_samples=5). Increase "
        "'validation_fraction' or the size of your dataset."
    )


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


def test_a_tied_validation_score_keeps_the_earlier_weights_unless_loss_is_lower():
    settings = _settings(tol=0.0, early_stopping=True)
    stopper = EarlyStopping(early_stopping=True, theta=np.zeros(1))
    stopper.update(np.full(1, 1.0), 1.0, (0.8, 0.4), settings)
    stopper.update(np.full(1, 2.0), 1.0, (0.8, 0.5), settings)  # higher loss
    stopper.update(np.full(1, 3.0), 1.0, (0.8, 0.4), settings)  # equal loss
    assert_array_equal(stopper.best_theta, [1.0])
    assert stopper.no_improvement_count == 0


def test_an_equal_training_loss_is_progress_at_zero_tol():
    stopper = EarlyStopping(early_stopping=False, theta=np.zeros(1))
    settings = _settings(tol=0.0)
    for _ in range(3):
        stopper.update(np.zeros(1), 2.0, None, settings)
        assert stopper.no_improvement_count == 0


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
