"""A ``RandomState`` for an integer seed, built without operating-system entropy."""

from __future__ import annotations

import threading
from numbers import Integral

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from sklearn.utils import check_random_state


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


def training_rng(seed):
    """``(check_random_state(seed), kept)``, reusing a generator for integer seeds.

    Every ``partial_fit`` call starts from the seed again: reseeding a kept
    generator gives the same stream, and the first one is built without the
    entropy that ``RandomState()`` would draw only to be overwritten (see
    :func:`take_seeded_random_state`).  ``kept`` is that generator (``None`` for
    other seeds): the fit gives it back with :func:`give_back` when it ends, so
    nothing is kept on the estimator.
    """
    if not isinstance(seed, Integral) or isinstance(seed, bool | np.bool_):
        return check_random_state(seed), None
    rng = take_seeded_random_state(seed)
    return rng, rng
