"""Tests for sk_scratchnet._early_stopping: the split, the monitor, the patience."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.neural_network import MLPClassifier

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._early_stopping import (
    WATCH_LOSS,
    WATCH_SCORE,
    EarlyStopping,
    ValidationMonitor,
    split_validation,
)
from sk_scratchnet._heads import get_head
from sk_scratchnet._training import SolverSettings


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
