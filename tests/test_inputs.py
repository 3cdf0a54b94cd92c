"""Input validation (sk_scratchnet._inputs): the fast path and its limits."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sk_scratchnet import ScratchMLPRegressor
from sk_scratchnet._inputs import is_plain_float_matrix, validated_validation_set

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class _Fitted:
    """Stands for an estimator without feature names."""


@pytest.mark.parametrize(
    ("X", "n_features", "plain"),
    [
        (np.ones((3, 2)), None, True),
        (np.ones((3, 2), dtype=np.float32), 2, True),
        (np.ones((3, 2)), 3, False),  # another width than the fitted one
        (np.ones((3, 2), dtype=int), None, False),
        (np.ones((0, 2)), None, False),
        (np.ones((3, 0)), None, False),
        (np.ones(3), None, False),
        (np.array([[1.0, np.nan]]), None, False),
        ([[1.0, 2.0]], None, False),  # not an ndarray
    ],
)
def test_the_fast_path_takes_finite_float_matrices_only(X, n_features, plain):
    assert is_plain_float_matrix(_Fitted(), X, n_features) is plain


def test_feature_names_take_the_slow_path():
    est = _Fitted()
    est.feature_names_in_ = np.array(["a", "b"], dtype=object)
    assert not is_plain_float_matrix(est, np.ones((3, 2)), 2)


def test_a_failed_fit_puts_the_checked_width_back():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    reg = ScratchMLPRegressor(hidden_layer_sizes=(2,), max_iter=2).fit(X, y)
    wider = rng.standard_normal((20, 5))
    # X and y pass their checks (n_features_in_ becomes 5), then the fit fails
    with pytest.raises(ValueError, match="given together"):
        reg.fit(wider, y, X_val=wider)
    assert reg.n_features_in_ == 3
    assert reg.predict(X).shape == (20,)


def test_a_validation_set_is_checked_like_training_data():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    reg = ScratchMLPRegressor(hidden_layer_sizes=(2,), max_iter=2).fit(X, y)
    theta = reg.coefs_[0]
    assert validated_validation_set(reg, None, None, theta) is None
    X_val, y_val = validated_validation_set(reg, X[:4], y[:4, None].tolist(), theta)
    assert_array_equal(X_val, X[:4])
    assert type(y_val) is np.ndarray and y_val.shape == (4,)
    with pytest.raises(ValueError, match="must be given together"):
        validated_validation_set(reg, None, y, theta)
    with pytest.raises(ValueError, match="X_val has 4 rows but y_val has 3"):
        validated_validation_set(reg, X[:4], y[:3], theta)
    with pytest.raises(ValueError, match="3 features"):
        validated_validation_set(reg, X[:4, :2], y[:4], theta)
