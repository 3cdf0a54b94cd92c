"""The state of one fit: what it trains, and what it writes when it succeeds.

A ``fit`` or ``partial_fit`` builds a :class:`FitState` (a new network, or the
fitted one repacked into a new flat vector), runs the training loop on it and
ends with one step, ``BaseScratchMLP._commit``, that writes every fitted
attribute from it.  A fit that raises never reaches that step, so the model it
was called on stays exactly as it was: the state's optimizer and early-stopping
objects are new or forked copies, its ``theta`` is a new vector, and the curves
of this call are appended only by the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sk_scratchnet._early_stopping import EarlyStopping
from sk_scratchnet._heads import Head
from sk_scratchnet._network import Network, ParamLayout
from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule
from sk_scratchnet._training import History


@dataclass
class FitState:
    """Everything one call of ``fit``/``partial_fit`` trains and then commits.

    ``first_pass`` is a fit from new weights (not a warm start or a further
    ``partial_fit``); ``labels`` is the classifier's label codec (``None`` for
    the regressor); ``n_iter`` and ``t`` are the epochs and samples seen before
    this call (0 on a first pass).
    """

    first_pass: bool
    layout: ParamLayout
    head: Head
    labels: object = None
    net: Network | None = None
    n_iter: int = 0
    t: int = 0
    # the stochastic solvers' state (None for L-BFGS)
    optimizer: SGD | Adam | None = None
    schedule: LearningRateSchedule | None = None
    stopper: EarlyStopping | None = None
    new_curves: bool = False  # start loss_curve_ / validation_scores_ afresh
    monitored: bool = False  # a validation set is scored every epoch
    history: History = field(default_factory=History)
    reporter: object = None

    def views(self):
        """``(coefs, intercepts)``: views into the trained vector ``theta``."""
        return self.layout.views(self.net.theta)
