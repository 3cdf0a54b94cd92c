"""A ``RandomState`` for an integer seed, built without operating-system entropy."""

from __future__ import annotations

import threading

import numpy as np
from numpy.random.bit_generator import ISeedSequence


class _UnusedSeed(ISeedSequence):
    """A seed source for a bit generator that is reseeded before any draw.

    ``MT19937()`` spends most of its construction drawing entropy from the
    operating system and hashing it into 624 words, which a legacy integer seed
    (``RandomState.seed``) then overwrites; this source hands out zeros instead.
    """

    def generate_state(self, n_words, dtype=np.uint32):
        """Return ``n_words`` zeros (a list: the generator copies them one by one)."""
        return [0] * n_words


def seeded_random_state(seed):
    """Return ``np.random.RandomState(seed)`` for an integer seed, built cheaply.

    The generator draws exactly the stream of ``np.random.RandomState(seed)``
    (legacy seeding sets the whole Mersenne Twister state), without the cost of
    first seeding a fresh ``MT19937`` from the operating system.
    """
    rng = np.random.RandomState(np.random.MT19937(_UnusedSeed()))
    rng.seed(seed)
    return rng


# Generators of integer seeds kept between fits, per thread: a fit takes one
# (reseeded: the same stream as a new one) and gives it back when it ends, so a
# fit nested in another (a callback's) never shares its generator.
_POOL = threading.local()


def take_seeded_random_state(seed):
    """Return a generator of ``RandomState(seed)``'s stream, reused if one is free.

    Give it back with :func:`give_back` when done with it.  Nothing is kept on
    the estimator, so a fitted model pickles to the same attributes it has.
    """
    free = getattr(_POOL, "free", None)
    if free:
        rng = free.pop()
        rng.seed(seed)
        return rng
    return seeded_random_state(seed)


def give_back(rng):
    """Return a generator taken with :func:`take_seeded_random_state`."""
    free = _POOL.__dict__.setdefault("free", [])
    if len(free) < 4:
        free.append(rng)
