"""One commit point: a fit writes its fitted attributes only when it succeeds."""

import numpy as np
import pytest

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from tests._helpers import make_data, make_regression_data

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_a_failed_first_fit_leaves_only_the_parameters(cls):
    X, y = make_data() if cls is ScratchMLPClassifier else make_regression_data()
    est = cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    before = dict(vars(est))
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        est.fit(X, y, X_val=X)
    assert vars(est) == before


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_failed_warm_start_keeps_every_attribute_object(solver):
    X, y = make_data()
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(4,), max_iter=3, random_state=0, solver=solver
    ).fit(X, y)
    before = dict(vars(est))
    lengths = {k: len(v) for k, v in before.items() if isinstance(v, list)}
    est.set_params(warm_start=True)
    with pytest.raises(ValueError, match="same classes"):
        est.fit(X, (y + 1) % 4)
    est.set_params(warm_start=False)
    assert vars(est).keys() == before.keys()
    for key, value in before.items():
        assert vars(est)[key] is value, key
    for key, n in lengths.items():
        assert len(vars(est)[key]) == n, key


def test_the_validation_monitor_scores_the_network_being_trained():
    # A first fit with a validation set: the estimator has no weights until
    # the end, so the scores come from the network in training.
    X, y = make_data()
    est = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    est.fit(X[:45], y[:45], X_val=X[45:], y_val=y[45:])
    assert len(est.validation_scores_) == len(est.loss_curve_) == 5
    final = est.score(X[45:], y[45:])
    assert est.validation_scores_[-1] == pytest.approx(final, abs=0)
    assert np.isfinite(est.validation_loss_curve_).all()


@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_between_fits_the_private_state_is_one_attribute(cls, solver):
    X, y = make_data() if cls is ScratchMLPClassifier else make_regression_data()
    est = cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0, solver=solver)
    est.fit(X, y)
    private = [k for k in vars(est) if k.startswith("_")]
    assert private == ["_training_state"]
    state = est._training_state
    assert state.loss == est._head(state.labels).loss
    assert (state.labels is None) == (cls is ScratchMLPRegressor)
    assert (state.optimizer is None) == (solver == "lbfgs")


def test_a_partial_fit_commits_a_new_training_state_and_forks_the_old():
    X, y = make_data()
    est = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    before = est.fit(X, y)._training_state
    m, stopper = before.optimizer.m.copy(), dict(vars(before.stopper))
    est.partial_fit(X, y)
    after = est._training_state
    assert after is not before
    assert after.optimizer is not before.optimizer
    assert after.stopper is not before.stopper
    np.testing.assert_array_equal(before.optimizer.m, m)
    assert vars(before.stopper).keys() == stopper.keys()
    for key, value in stopper.items():
        assert vars(before.stopper)[key] is value, key
    assert after.labels is before.labels  # no class totals to accumulate


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_mlpclassifier_private_names_read_the_training_state(solver):
    # Code written against scikit-learn's MLP (its own tests) reads these.
    X, y = make_data()
    est = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, solver=solver)
    assert not hasattr(est, "_optimizer") and not hasattr(est, "_label_binarizer")
    state = est.fit(X, y)._training_state
    assert est._label_binarizer is state.labels.binarizer
    if solver == "lbfgs":
        assert not hasattr(est, "_optimizer")
    else:
        assert est._optimizer is state.optimizer
    with pytest.raises(AttributeError):
        est._optimizer = None
