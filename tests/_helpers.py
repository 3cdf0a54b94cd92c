"""Helpers shared by several test modules."""

import warnings
from contextlib import contextmanager

from sklearn.exceptions import ConvergenceWarning


@contextmanager
def strict_warnings():
    """RuntimeWarning becomes an error; ConvergenceWarning is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        yield
