"""scikit-learn's estimator checks on the tabular MLPs, with zero expected failures.

Small networks and few epochs for the whole suite of checks, and the default
configuration (3 x 256 units, 256 epochs) on the checks that matter most for
a user who never sets a parameter.
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_classifiers_train,
    check_dataframe_column_names_consistency,
    check_estimators_dtypes,
    check_estimators_pickle,
    check_fit2d_1sample,
    check_fit_idempotent,
    check_methods_subset_invariance,
    check_n_features_in,
    check_regressors_train,
    check_sample_weight_equivalence_on_dense_data,
    check_supervised_y_2d,
    parametrize_with_checks,
)

from sk_scratchnet import TabularMLPClassifier, TabularMLPRegressor

SMALL = {"hidden_layer_sizes": (16,), "max_epochs": 40}
CONFIGURATIONS = [
    TabularMLPClassifier(**SMALL),
    TabularMLPClassifier(
        **SMALL,
        numeric_embedding=None,
        parametric_activation=False,
        feature_scaling=False,
        validation_fraction=None,
        class_weight="balanced",
        dtype="float64",
    ),
    TabularMLPRegressor(**SMALL),
    TabularMLPRegressor(
        **SMALL,
        robust_scale=False,
        smooth_clip=False,
        dropout=0.0,
        weight_decay=0.0,
        lr_schedule="constant",
        learning_rate=0.01,
        validation_fraction=None,
        dtype="float64",
    ),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


DEFAULT_CHECKS = [
    check_estimators_dtypes,
    check_fit2d_1sample,
    check_fit_idempotent,
    check_methods_subset_invariance,
    check_n_features_in,
    check_dataframe_column_names_consistency,
    check_estimators_pickle,
    check_supervised_y_2d,
    check_sample_weight_equivalence_on_dense_data,
]


@pytest.mark.parametrize(
    "check",
    [*DEFAULT_CHECKS, check_classifiers_train],
    ids=lambda check: check.__name__,
)
def test_default_classifier_passes_key_checks(check):
    check("TabularMLPClassifier", TabularMLPClassifier(random_state=0))


@pytest.mark.parametrize(
    "check",
    [*DEFAULT_CHECKS, check_regressors_train],
    ids=lambda check: check.__name__,
)
def test_default_regressor_passes_key_checks(check):
    check("TabularMLPRegressor", TabularMLPRegressor(random_state=0))
