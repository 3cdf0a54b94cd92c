r"""Hidden-layer activations and their backward rules, side by side.

Every activation :math:`f` is applied in place, ``z -> a = f(z)`` (Eq. 1 of the
seed: :math:`h = \max(0, xW_1 + b_1)` for ReLU), and its backward rule multiplies
the incoming gradient in place, ``delta <- delta * f'(z)`` (Eq. 8:
:math:`dr = dh \cdot 1(h > 0)`).  Most derivatives are written in terms of the
output ``a`` so that the forward pass need not keep ``z``; ``gelu`` is the one
that needs the pre-activation and says so with ``needs_preactivation``.

All functions take a ``scratch`` buffer of the same shape so that the backward
rules allocate nothing (see the end of "How it works" in the user guide).  They
call NumPy's functions through ``ops_for(z)`` (:mod:`sk_scratchnet._namespace`),
so the same lines run on PyTorch, CuPy or array-api-strict arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sk_scratchnet._namespace import ops_for

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0


@dataclass(frozen=True)
class Activation:
    """A hidden activation: its in-place forward map and backward rule.

    Attributes
    ----------
    name : str
        Public name, as accepted by ``ScratchMLPClassifier(activation=...)``.
    forward : callable
        ``forward(z, scratch)`` overwrites ``z`` with ``f(z)``.
    backward : callable
        ``backward(z, a, delta, scratch)`` overwrites ``delta`` with
        ``delta * f'(z)``; ``z`` is only read when ``needs_preactivation``.
    needs_preactivation : bool
        Whether ``backward`` needs ``z`` (otherwise ``a = f(z)`` suffices).
    """

    name: str
    forward: Callable[[np.ndarray, np.ndarray], None]
    backward: Callable[[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray], None]
    needs_preactivation: bool = False


def _identity(z, scratch):
    """Leave ``z`` unchanged: f(z) = z."""


def _identity_backward(z, a, delta, scratch):
    """f'(z) = 1: the gradient passes through."""


def _relu(z, scratch):
    """Eq. 1: h = max(0, z), in place."""
    ops_for(z).maximum_zero(z)


def _relu_backward(z, a, delta, scratch):
    """Eq. 8: dr = dh * 1(h > 0), without aliasing ``dh`` through a mask index."""
    ops_for(delta).multiply_mask(delta, a > 0)


def _tanh(z, scratch):
    """f(z) = tanh(z), in place."""
    ops = ops_for(z)
    ops.tanh(z, out=z)


def _tanh_backward(z, a, delta, scratch):
    """f'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    ops = ops_for(delta)
    ops.multiply(a, a, out=scratch)
    ops.subtract(1, scratch, out=scratch)
    delta *= scratch


def logistic_inplace(z):
    """Logistic sigmoid in place, sigma(z) = 1 / (1 + exp(-z)).

    ``scipy.special.expit`` neither overflows for very negative z nor rounds small
    probabilities to exactly 0 before they underflow, unlike ``1 / (1 + exp(-z))``
    or the ``tanh`` form.
    """
    ops = ops_for(z)
    ops.expit(z, out=z)


def _logistic(z, scratch):
    """f(z) = 1 / (1 + exp(-z)), in place."""
    logistic_inplace(z)


def _logistic_backward(z, a, delta, scratch):
    """f'(z) = a (1 - a)."""
    ops = ops_for(delta)
    ops.subtract(1, a, out=scratch)
    scratch *= a
    delta *= scratch


def _leaky_relu(z, scratch):
    """f(z) = max(z, s z) with slope s = 0.01 < 1."""
    ops = ops_for(z)
    ops.multiply(z, LEAKY_RELU_SLOPE, out=scratch)
    ops.maximum(z, scratch, out=z)


def _leaky_relu_backward(z, a, delta, scratch):
    """f'(z) = 1 where a > 0, else the slope s."""
    ops = ops_for(delta)
    ops.greater(a, 0, out=scratch)
    scratch *= 1 - LEAKY_RELU_SLOPE
    scratch += LEAKY_RELU_SLOPE
    delta *= scratch


def _elu(z, scratch):
    """f(z) = z for z > 0, alpha (exp(z) - 1) otherwise (alpha = 1)."""
    ops = ops_for(z)
    # expm1 of min(z, 0) never overflows and is exact near 0.
    ops.minimum(z, 0, out=scratch)
    ops.expm1(scratch, out=scratch)
    scratch *= ELU_ALPHA
    ops.maximum(z, 0, out=z)
    z += scratch


def _elu_backward(z, a, delta, scratch):
    """f'(z) = 1 for z > 0, else alpha exp(z) = a + alpha; i.e. min(a, 0) + alpha."""
    ops = ops_for(delta)
    ops.minimum(a, 0, out=scratch)
    scratch += ELU_ALPHA
    delta *= scratch


def _softplus(z, scratch):
    """f(z) = log(1 + exp(z)), via ``logaddexp`` so that large z do not overflow."""
    ops = ops_for(z)
    ops.logaddexp(0, z, out=z)


def _softplus_backward(z, a, delta, scratch):
    """f'(z) = sigma(z) = 1 - exp(-a), written in terms of the output a."""
    ops = ops_for(delta)
    ops.negative(a, out=scratch)
    ops.expm1(scratch, out=scratch)
    ops.negative(scratch, out=scratch)
    delta *= scratch


# Python floats, so that float32 arrays are not promoted to float64.
_SQRT_HALF = float(np.sqrt(0.5))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
# phi(z) underflows to 0 long before |z| = 40; clipping there keeps z^2 finite.
_GELU_CLIP = 40.0


def _gelu(z, scratch):
    """f(z) = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2 (the exact form)."""
    ops = ops_for(z)
    ops.multiply(z, _SQRT_HALF, out=scratch)
    ops.erf(scratch, out=scratch)
    scratch += 1
    scratch *= 0.5
    z *= scratch


def _gelu_backward(z, a, delta, scratch):
    """f'(z) = Phi(z) + z phi(z); needs the pre-activation z."""
    ops = ops_for(delta)
    # delta * Phi(z) first (Phi(z) = a / z would divide by zero), then add
    # delta * z phi(z); both terms reuse the one scratch buffer.
    ops.multiply(z, _SQRT_HALF, out=scratch)
    ops.erf(scratch, out=scratch)
    scratch += 1
    scratch *= 0.5
    phi_term = ops.clip(z, -_GELU_CLIP, _GELU_CLIP)
    ops.multiply(phi_term, phi_term, out=phi_term)
    phi_term *= -0.5
    ops.exp(phi_term, out=phi_term)
    phi_term *= _INV_SQRT_2PI
    phi_term *= z
    scratch += phi_term
    delta *= scratch


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("identity", _identity, _identity_backward),
        Activation("relu", _relu, _relu_backward),
        Activation("tanh", _tanh, _tanh_backward),
        Activation("logistic", _logistic, _logistic_backward),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_backward),
        Activation("elu", _elu, _elu_backward),
        Activation("softplus", _softplus, _softplus_backward),
        Activation("gelu", _gelu, _gelu_backward, needs_preactivation=True),
    )
}
"""Name -> :class:`Activation`, for every hidden activation the estimator offers."""
