"""scikit-learn's own estimator checks, with zero expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_scratchnet import (
    MLPClassifier,
    MLPRegressor,
    ScratchMLPClassifier,
    ScratchMLPRegressor,
)

CONFIGURATIONS = [
    ScratchMLPClassifier(max_iter=100),
    ScratchMLPClassifier(solver="sgd", activation="tanh", max_iter=100),
    ScratchMLPClassifier(hidden_layer_sizes=(20, 10), max_iter=100),
    ScratchMLPClassifier(solver="lbfgs", max_iter=100),
    ScratchMLPClassifier(early_stopping=True, max_iter=100),
    ScratchMLPClassifier(class_weight="balanced", dropout=0.1, max_iter=100),
    ScratchMLPClassifier(
        activation=["gelu", "elu"], hidden_layer_sizes=(16, 8), max_iter=100
    ),
    ScratchMLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        early_stopping=True,
        early_stopping_metric="log_loss",
        max_iter=100,
    ),
    ScratchMLPRegressor(max_iter=200),
    ScratchMLPRegressor(solver="lbfgs", max_iter=200),
    ScratchMLPRegressor(loss="poisson", learning_rate_init=0.01, max_iter=200),
    ScratchMLPRegressor(
        hidden_layer_sizes=(16, 8),
        dropout=0.1,
        early_stopping=True,
        early_stopping_metric="loss",
        max_iter=200,
    ),
    ScratchMLPRegressor(solver="sgd", activation="tanh", max_iter=200),
    # the drop-in spellings
    MLPClassifier(max_iter=100),
    MLPRegressor(max_iter=200),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
