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
