r"""Base activations of the tabular network's parametric activation layer.

Each base :math:`f` has ``forward(x, out, scratch)`` writing :math:`f(x)` and
``derivative(x, f, out, scratch)`` writing :math:`f'(x)` (given :math:`f(x)`
too, which some derivatives reuse and may overwrite, and a scratch buffer).
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


# exp(20)^4 ~ 5e34 still fits float32; beyond x = 20, tanh(softplus(x)) = 1 and
# Mish's derivative = 1 to working precision in float64 too.
_MISH_CLIP = 20.0


def _mish(x, out, scratch):
    r"""f(x) = x tanh(softplus(x)), with one exponential.

    With :math:`u = e^x`, :math:`(1 + u)^2 = e^{2\,\mathrm{softplus}(x)}`, so
    :math:`\tanh(\mathrm{softplus}(x)) = n / (n + 2)`, :math:`n = u (u + 2)`;
    no cancellation for negative x, and ``u`` is computed from min(x, 20).
    """
    np.minimum(x, _MISH_CLIP, out=out)
    np.exp(out, out=out)
    np.add(out, 2.0, out=scratch)
    scratch *= out  # n
    np.add(scratch, 2.0, out=out)
    np.divide(scratch, out, out=out)
    out *= x


def _mish_derivative(x, f, out, scratch):
    r"""f'(x) = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x)).

    In terms of :math:`u = e^x`, :math:`n = u(u+2)`, :math:`d = n + 2`:
    :math:`1 - t^2 = 4(n+1)/d^2`, :math:`n + 1 = (u+1)^2` and
    :math:`\sigma(x) = u/(u+1)`, so
    :math:`f'(x) = (n d + 4 x u (u + 1)) / d^2`.  Overwrites ``f``.
    """
    np.minimum(x, _MISH_CLIP, out=f)
    np.exp(f, out=f)  # u
    np.add(f, 2.0, out=out)
    out *= f
    out += 2.0  # d
    np.add(f, 1.0, out=scratch)
    scratch *= f
    scratch *= x
    scratch *= 4.0  # 4 x u (u + 1)
    np.subtract(out, 2.0, out=f)
    f *= out  # n d
    f += scratch
    out *= out
    np.divide(f, out, out=out)


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
