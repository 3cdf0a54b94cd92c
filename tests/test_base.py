"""The shared estimator layer (sk_scratchnet._base): parameters and random state.

The cheaply built random generator draws ``RandomState(seed)``'s stream.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sk_scratchnet import ScratchMLPRegressor
from sk_scratchnet._base import seeded_random_state

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=30):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    return X, X[:, 0] - X[:, 1]


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, np.int64(7)])
def test_seeded_random_state_draws_the_stream_of_random_state(seed):
    ours, reference = seeded_random_state(seed), np.random.RandomState(seed)
    assert_array_equal(ours.uniform(-1, 1, 50), reference.uniform(-1, 1, 50))
    assert_array_equal(ours.normal(size=5), reference.normal(size=5))
    assert_array_equal(ours.permutation(20), reference.permutation(20))
    ours.seed(seed)
    reference.seed(seed)
    assert_array_equal(ours.randint(1000, size=20), reference.randint(1000, size=20))


def test_seeded_random_state_rejects_what_random_state_rejects():
    for seed in (-1, 2**32):
        with pytest.raises(ValueError, match="Seed must be between"):
            seeded_random_state(seed)


def test_the_kept_generator_is_not_pickled_and_fits_stay_the_same():
    X, y = _data()
    est = ScratchMLPRegressor(hidden_layer_sizes=(3,), max_iter=3, random_state=5)
    first = [c.copy() for c in est.fit(X, y).coefs_]
    assert "_seeded_rng" in est.__dict__
    loaded = pickle.loads(pickle.dumps(est))
    assert "_seeded_rng" not in loaded.__dict__
    assert_array_equal(loaded.predict(X), est.predict(X))
    for again in (loaded.fit(X, y), est.fit(X, y)):
        for a, b in zip(again.coefs_, first):
            assert_array_equal(a, b)
