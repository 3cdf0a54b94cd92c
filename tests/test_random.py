"""The seeded generator (sk_scratchnet._random) draws ``RandomState(seed)``'s stream."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sk_scratchnet._random import seeded_random_state


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
