r"""Base activations of the tabular network's parametric activation layer.

Each base :math:`f` has ``forward(x, out, scratch)`` writing :math:`f(x)` and
``derivative(x, f, out, scratch)`` writing :math:`f'(x)` (given :math:`f(x)`
too, which some derivatives reuse, and a scratch buffer of the same shape).
The parametric layer
(:class:`sk_scratchnet._tabular_layers.ParametricActivation`) mixes
:math:`f` with the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# SELU's constants ("Self-Normalizing Neural Networks"), as Python floats so that
# float32 arrays stay float32.
SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


@dataclass(frozen=True)
class BaseActivation:
    """A base activation: its forward map and its derivative, both in place."""

    name: str
    forward: Callable[[np.ndarray, np.ndarray, np.ndarray], None]
    derivative: Callable[..., None]


def _selu(x, out, tmp):
    """f(x) = lambda x for x > 0, lambda alpha (exp(x) - 1) otherwise."""
    np.minimum(x, 0.0, out=out)
    np.expm1(out, out=out)
    out *= SELU_ALPHA
    # out <- out + max(x, 0), then the common factor lambda
    np.maximum(x, 0.0, out=tmp)
    out += tmp
    out *= SELU_LAMBDA


def _selu_derivative(x, f, out, scratch):
    """f'(x) = lambda for x > 0, else lambda alpha exp(x).

    Written as lambda alpha exp(min(x, 0)) + (lambda - lambda alpha) 1(x > 0):
    arithmetic on whole arrays, several times faster than a masked assignment.
    """
    np.minimum(x, 0.0, out=out)
    np.exp(out, out=out)
    out *= SELU_LAMBDA * SELU_ALPHA
    np.greater(x, 0.0, out=scratch)
    scratch *= SELU_LAMBDA - SELU_LAMBDA * SELU_ALPHA
    out += scratch


def _mish(x, out, scratch):
    """f(x) = x tanh(softplus(x)), softplus(x) = log(1 + exp(x)) via logaddexp."""
    np.logaddexp(0.0, x, out=out)
    np.tanh(out, out=out)
    out *= x


def _mish_derivative(x, f, out, scratch):
    """f'(x) = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x), with sp = softplus(x)."""
    t = np.logaddexp(0.0, x)
    np.tanh(t, out=t)
    # sigmoid(x) = 1 - exp(-softplus(x)); computed stably as exp(x - softplus(x))
    sig = np.logaddexp(0.0, x)
    np.subtract(x, sig, out=sig)
    np.exp(sig, out=sig)
    np.multiply(t, t, out=out)
    np.subtract(1.0, out, out=out)
    out *= x
    out *= sig
    out += t


def _relu(x, out, scratch):
    """f(x) = max(x, 0)."""
    np.maximum(x, 0.0, out=out)


def _relu_derivative(x, f, out, scratch):
    """f'(x) = 1(x > 0)."""
    np.greater(x, 0.0, out=out)


def _tanh(x, out, scratch):
    """f(x) = tanh(x)."""
    np.tanh(x, out=out)


def _tanh_derivative(x, f, out, scratch):
    """f'(x) = 1 - tanh(x)^2."""
    np.multiply(f, f, out=out)
    np.subtract(1.0, out, out=out)


def _identity(x, out, scratch):
    """f(x) = x."""
    out[...] = x


def _identity_derivative(x, f, out, scratch):
    """f'(x) = 1."""
    out[...] = 1.0


PARAMETRIC_BASES: dict[str, BaseActivation] = {
    act.name: act
    for act in (
        BaseActivation("selu", _selu, _selu_derivative),
        BaseActivation("mish", _mish, _mish_derivative),
        BaseActivation("relu", _relu, _relu_derivative),
        BaseActivation("tanh", _tanh, _tanh_derivative),
        BaseActivation("identity", _identity, _identity_derivative),
    )
}
