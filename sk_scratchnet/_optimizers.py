r"""Stochastic optimizers and learning-rate schedules over one flat parameter vector.

The seed's update is plain gradient descent, :math:`\theta \leftarrow \theta -
\eta\, \nabla L` (Eq. 9).  The optimizers below update ``theta`` (and their own
state) in place from a gradient of the same shape; they allocate nothing per
step (NumPy's ``out=`` buffers; other array libraries refill the same buffers,
see :mod:`sk_scratchnet._namespace`).  Their arithmetic follows
``MLPClassifier``'s so that, from the same start, both produce the same weights
(to rounding).

SGD with momentum :math:`\mu` (Eq. 10):

.. math::
    v \leftarrow \mu v - \eta g, \qquad
    \theta \leftarrow \theta + v \;\; \text{or, Nesterov,} \;\;
    \theta \leftarrow \theta + \mu v - \eta g

Adam (Kingma & Ba, 2014) (Eq. 11):

.. math::
    m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
    v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
    \theta \leftarrow \theta - \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
    \frac{m}{\sqrt{v} + \epsilon}
"""

from __future__ import annotations

import copy
import math

import numpy as np

from sk_scratchnet._namespace import NUMPY_OPS, ops_for


class _CopyOnWrite:
    """``fork()`` for an optimizer whose state arrays its first step replaces."""

    # A fork shares the state arrays of its original until its first step.
    _shared = False

    def fork(self):
        """Return a copy whose first step writes new state (copy on write).

        The original keeps its state whatever the fork does, without a copy of
        the state up front: a failed ``partial_fit`` just drops the fork.
        """
        twin = copy.copy(self)
        twin._shared = True
        return twin


class SGD(_CopyOnWrite):
    r"""Mini-batch SGD with (Nesterov) momentum, Eq. 10.

    Parameters
    ----------
    n_params : int
        Length of the flat parameter vector.
    dtype : numpy dtype
    learning_rate : float
        Current step size :math:`\eta` (schedules change it between epochs).
    momentum : float
    nesterov : bool
    like : array, optional
        An array of the namespace and device to keep the state in (``theta``);
        NumPy when not given.
    """

    def __init__(
        self, n_params, dtype, learning_rate, momentum=0.9, nesterov=True, *, like=None
    ):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        ops = NUMPY_OPS if like is None else ops_for(like)
        self.velocity = ops.zeros(n_params, dtype, like)
        self._step = ops.empty(n_params, dtype, like)

    def update(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """Apply one step of Eq. 10 to ``theta`` in place (``grad`` is clobbered)."""
        ops = ops_for(theta)
        step = self._step
        ops.multiply(grad, self.learning_rate, out=step)  # eta * g
        if self._shared:
            self.velocity, self._shared = self.velocity * self.momentum, False
        else:
            self.velocity *= self.momentum
        v = self.velocity
        v -= step  # v = mu v - eta g
        if self.nesterov:
            # grad's memory is free now: reuse it for mu v - eta g
            ops.multiply(v, self.momentum, out=grad)
            grad -= step
            theta += grad
        else:
            theta += v


class Adam(_CopyOnWrite):
    r"""Adam, Eq. 11.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate : float
        Base step size :math:`\eta` (schedules change it between epochs).
    beta_1, beta_2, epsilon : float
    like : array, optional
        An array of the namespace and device to keep the state in (``theta``);
        NumPy when not given.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        *,
        like=None,
    ):
        self.learning_rate = float(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        ops = NUMPY_OPS if like is None else ops_for(like)
        self.m = ops.zeros(n_params, dtype, like)
        self.v = ops.zeros(n_params, dtype, like)
        self._tmp = ops.empty(n_params, dtype, like)

    def update(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """Apply one step of Eq. 11 to ``theta`` in place (``grad`` is clobbered)."""
        ops = ops_for(theta)
        self.t += 1
        b1, b2, tmp = self.beta_1, self.beta_2, self._tmp
        if self._shared:
            self.m, self.v, self._shared = self.m * b1, self.v * b2, False
        else:
            self.m *= b1
            self.v *= b2
        m, v = self.m, self.v
        ops.multiply(grad, 1 - b1, out=tmp)
        m += tmp  # m = b1 m + (1 - b1) g
        ops.multiply(grad, grad, out=tmp)
        tmp *= 1 - b2
        v += tmp  # v = b2 v + (1 - b2) g^2
        step = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        ops.sqrt(v, out=tmp)
        tmp += self.epsilon
        ops.divide(m, tmp, out=tmp)
        tmp *= step
        theta -= tmp


class LearningRateSchedule:
    r"""How the step size evolves between epochs.

    * ``'constant'``: :math:`\eta = \eta_0`.
    * ``'invscaling'``: :math:`\eta = \eta_0 / (t + 1)^{p}` after each epoch, with
      ``t`` the number of samples seen so far (``MLPClassifier``'s rule).
    * ``'adaptive'``: :math:`\eta_0` until the stopping criterion fires, then
      :math:`\eta \leftarrow \eta / 5` instead of stopping, until
      :math:`\eta \le 10^{-6}`.
    * ``'cosine'``: :math:`\eta = \eta_0 (1 + \cos(\pi e / E)) / 2` after epoch
      ``e`` of ``E = max_iter``.

    Parameters
    ----------
    kind : {'constant', 'invscaling', 'adaptive', 'cosine'}
    learning_rate_init : float
    power_t : float
    max_iter : int
    """

    def __init__(self, kind, learning_rate_init, power_t=0.5, max_iter=200):
        self.kind = kind
        self.learning_rate_init = float(learning_rate_init)
        self.power_t = float(power_t)
        self.max_iter = int(max_iter)

    def epoch_end(self, optimizer, n_samples_seen: int, epoch: int) -> None:
        """Set ``optimizer.learning_rate`` for the next epoch."""
        if self.kind == "invscaling":
            optimizer.learning_rate = (
                self.learning_rate_init / (n_samples_seen + 1) ** self.power_t
            )
        elif self.kind == "cosine":
            fraction = min(epoch, self.max_iter) / self.max_iter
            optimizer.learning_rate = (
                0.5 * self.learning_rate_init * (1 + math.cos(math.pi * fraction))
            )

    def plateau(self, optimizer, msg: str, verbose: bool) -> bool:
        """React to ``n_iter_no_change`` epochs without progress; True means stop."""
        if self.kind != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if optimizer.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        optimizer.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {optimizer.learning_rate:f}")
        return False
