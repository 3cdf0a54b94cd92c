"""scikit-learn's estimator checks on the tabular MLPs, with zero expected failures.

The default configuration (3 x 256 units, 256 epochs: what a user who never
sets a parameter gets) and small networks with pieces of the recipe switched
off.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_scratchnet import TabularMLPClassifier, TabularMLPRegressor

SMALL = {"hidden_layer_sizes": (16,), "max_epochs": 40}
CONFIGURATIONS = [
    TabularMLPClassifier(),
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
    TabularMLPRegressor(),
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
