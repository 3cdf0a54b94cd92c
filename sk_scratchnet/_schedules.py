r"""Training schedules: pure, vectorised functions of the training progress.

Every schedule maps the progress ``t`` in :math:`[0, 1]` (0 at the first step, 1 at
the last) to a multiplier of a hyperparameter (learning rate, dropout probability,
weight decay). They accept a float or an array and return the same shape.

Notes
-----
The definitions follow the code of the RealMLP-TD reference implementation (the
paper "Better by Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data"
describes the same curves):

- ``coslog4(t) = (1 - cos(2 pi log2(1 + 15 t))) / 2``: four cosine cycles whose
  lengths double (the cycle boundaries are at ``t = 1/15, 3/15, 7/15, 1``); it
  starts and ends at 0.
- ``flat_cos(t) = 1`` for ``t < 1/2``, then ``(1 + cos(pi (2 t - 1))) / 2``: flat,
  then a half cosine from 1 down to 0 at ``t = 1``.
- ``cosine(t) = (1 + cos(pi t)) / 2``: a half cosine from 1 to 0.
- ``constant(t) = 1``.
"""

import numpy as np

__all__ = ["SCHEDULES", "constant", "cosine", "coslog4", "flat_cos", "get_schedule"]


def _progress(t):
    """Return ``t`` as a float array, clipped to [0, 1]."""
    return np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)


def _like(value, t):
    """Return a 0-d result as a Python float, otherwise the array."""
    return float(value) if np.ndim(t) == 0 else value


def constant(t):
    """Return 1 for every progress value.

    Parameters
    ----------
    t : float or ndarray
        Training progress in [0, 1].

    Returns
    -------
    float or ndarray
        Ones with the shape of ``t``.
    """
    return _like(np.ones_like(_progress(t)), t)


def coslog4(t):
    r"""Four cosine cycles on a log time axis.

    .. math:: s(t) = \tfrac12 \bigl(1 - \cos(2 \pi \log_2(1 + 15 t))\bigr)

    Parameters
    ----------
    t : float or ndarray
        Training progress in [0, 1].

    Returns
    -------
    float or ndarray
        Multipliers in [0, 1]; 0 at ``t = 0`` and ``t = 1``.
    """
    p = _progress(t)
    return _like(0.5 * (1.0 - np.cos(2.0 * np.pi * np.log2(1.0 + 15.0 * p))), t)


def flat_cos(t):
    r"""Flat on the first half, then a half cosine down to 0.

    .. math:: s(t) = 1 \text{ for } t < \tfrac12, \qquad
              s(t) = \tfrac12 \bigl(1 + \cos(\pi (2 t - 1))\bigr) \text{ otherwise}

    Parameters
    ----------
    t : float or ndarray
        Training progress in [0, 1].

    Returns
    -------
    float or ndarray
        Multipliers in [0, 1]; 1 up to ``t = 1/2``, 0 at ``t = 1``.
    """
    p = _progress(t)
    tail = 0.5 * (1.0 + np.cos(np.pi * (2.0 * p - 1.0)))
    return _like(np.where(p < 0.5, 1.0, tail), t)


def cosine(t):
    r"""Decay from 1 to 0 along a half cosine.

    .. math:: s(t) = \tfrac12 (1 + \cos(\pi t))

    Parameters
    ----------
    t : float or ndarray
        Training progress in [0, 1].

    Returns
    -------
    float or ndarray
        Multipliers in [0, 1]; 1 at ``t = 0``, 0 at ``t = 1``.
    """
    p = _progress(t)
    return _like(0.5 * (1.0 + np.cos(np.pi * p)), t)


SCHEDULES = {
    "constant": constant,
    "coslog4": coslog4,
    "cosine": cosine,
    "flat_cos": flat_cos,
}


def get_schedule(name):
    """Return the schedule function called ``name``.

    Parameters
    ----------
    name : {'constant', 'coslog4', 'cosine', 'flat_cos'}
        The schedule's name.

    Returns
    -------
    callable
        A function of the progress ``t`` in [0, 1].

    Raises
    ------
    ValueError
        If ``name`` is not a known schedule.
    """
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(
            f"Unknown schedule {name!r}; expected one of {sorted(SCHEDULES)}."
        )
    return SCHEDULES[name]
