"""The state of one fit: what it trains, and what it writes when it succeeds.

A ``fit`` or ``partial_fit`` builds a :class:`FitState` (a new network, or the
fitted one repacked into a new flat vector), runs the training loop on it and
ends with one step, ``BaseScratchMLP._commit``, that writes every fitted
attribute from it.  A fit that raises never reaches that step, so the model it
was called on stays exactly as it was: the state's optimizer and early-stopping
objects are new or forked copies, its ``theta`` is a new vector, and the curves
of this call are appended only by the commit.

Besides the public ``*_`` attributes, the commit writes one private attribute,
``_training_state``: a :class:`TrainingState` holding what predicting and a
later ``partial_fit`` or warm start read and no public attribute says (the
loss, the label codec, the optimizer, the schedule, the early-stopping state).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sk_scratchnet._early_stopping import EarlyStopping
from sk_scratchnet._heads import Head
from sk_scratchnet._labels import LabelCodec
from sk_scratchnet._namespace import ops_for
from sk_scratchnet._network import Network, ParamLayout
from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule
from sk_scratchnet._training import History


@dataclass
class TrainingState:
    """The fitted model's private state, kept as its one ``_training_state``.

    Written only by the commit, as a new object each time: a fit that resumes
    from it (``partial_fit``, warm start) forks what it changes, so a fit that
    raises leaves it as it was.  Pickled as a plain dict
    (:mod:`sk_scratchnet._persistence`).
    """

    loss: str
    """The loss of the network's head (``'log_loss'``, ``'squared_error'``, ...)."""
    labels: LabelCodec | None = None
    """The classifier's classes and ``'balanced'`` totals (``None``: regressor)."""
    # the stochastic solvers' state, resumed by partial_fit (None after L-BFGS)
    optimizer: SGD | Adam | None = None
    schedule: LearningRateSchedule | None = None
    stopper: EarlyStopping | None = None


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
    labels: LabelCodec | None = None
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

    def fitted_attributes(
        self, fitted, target_attributes, *, stochastic, early_stopping, snapshot
    ):
        """Return the fitted attributes after this training, as a dict.

        ``fitted`` is the estimator's ``__dict__`` (the previous fit);
        ``target_attributes`` the estimator's own (classes); ``stochastic`` and
        ``early_stopping`` its parameters.  The private ones are one new
        :class:`TrainingState`; an L-BFGS fit keeps the solver state of an
        earlier stochastic fit in it.  With ``snapshot``, copies for the
        callbacks (curves as new lists, this call's values appended); otherwise
        the curves are the fitted lists, which the commit extends in place.
        """
        attributes = {}
        layout, history = self.layout, self.history
        if self.first_pass:
            attributes.update(
                n_iter_=0,
                t_=0,
                n_outputs_=layout.layer_units[-1],
                n_layers_=len(layout.layer_units),
                out_activation_=self.head.out_activation,
                validation_loss_curve_=None,
                best_validation_loss_=None,
            )
        coefs, intercepts = self.views()
        if snapshot:
            coefs = [ops_for(c).copy(c) for c in coefs]
            intercepts = [ops_for(b).copy(b) for b in intercepts]
        attributes.update(coefs_=coefs, intercepts_=intercepts)
        attributes.update(target_attributes)
        if not stochastic:
            # The solver state of an earlier stochastic fit stays for partial_fit.
            kept = fitted.get("_training_state") or TrainingState(self.head.loss)
            training = replace(kept, loss=self.head.loss, labels=self.labels)
            attributes.update(
                n_iter_=history.n_iter, loss_=history.loss, _training_state=training
            )
            return attributes

        def current(name):
            return attributes[name] if name in attributes else fitted.get(name)

        loss_curve = [] if self.new_curves else current("loss_curve_")
        if self.new_curves:
            scores = [] if early_stopping else None
        else:
            scores = current("validation_scores_")
        val_losses = current("validation_loss_curve_")
        if self.monitored and val_losses is None:
            val_losses = []
            if scores is None:
                scores = []
        if snapshot:
            loss_curve = [*loss_curve, *history.losses]
            if self.monitored:
                scores = [*scores, *history.validation_scores]
                val_losses = [*val_losses, *history.validation_losses]
        stopper = self.stopper
        attributes.update(
            loss_curve_=loss_curve,
            validation_scores_=scores,
            validation_loss_curve_=val_losses,
            _training_state=TrainingState(
                self.head.loss, self.labels, self.optimizer, self.schedule, stopper
            ),
            n_iter_=history.n_iter,
            t_=self.t + history.n_samples_seen,
            best_loss_=stopper.best_loss,
            best_validation_score_=stopper.best_score,
            best_validation_loss_=stopper.best_validation_loss,
        )
        if history.loss is not None:
            attributes["loss_"] = history.loss
        return attributes
