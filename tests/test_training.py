"""Tests for sk_scratchnet._training: the early-stopping split and bookkeeping."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.neural_network import MLPClassifier

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._training import EarlyStopping, SolverSettings, split_validation


def _settings(**changes):
    est = ScratchMLPClassifier().set_params(**changes)
    return SolverSettings.from_estimator(est, stop_on_loss=False)


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
        ScratchMLPClassifier(tol=0.0), stop_on_loss=True
    )
    stopper.update(np.full(2, 4.0), 7.0, (0.1, 0.05), stop_on_loss)
    assert_array_equal(stopper.best_theta, [4.0, 4.0])
    assert stopper.no_improvement_count == 0
