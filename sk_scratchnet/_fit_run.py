"""One fit's training run: its solver on the fit's state, and what watches it.

:func:`run_solver` trains the network of a
:class:`~sk_scratchnet._fit_state.FitState` with L-BFGS or a mini-batch solver
and leaves on the state what happened (its ``history``) and what a later fit
resumes from.  For the mini-batch solvers it first sets up what the loop is
given: the optimizer, learning-rate schedule and early-stopping state (new, or
forked from the fitted model's), the validation set (the user's, or rows held
out by the early-stopping split) with its monitor, and the reporter of the
estimator's callbacks.  The estimator is passed for what only it knows (the
targets and metric of a validation set, the groups of the split, its
callbacks) and for the state it resumes from; the run writes none of its
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_scratchnet._callbacks import FitReporter
from sk_scratchnet._devices import to_host
from sk_scratchnet._early_stopping import (
    EarlyStopping,
    ValidationMonitor,
    hold_out,
    split_validation,
)
from sk_scratchnet._inputs import validated_validation_set
from sk_scratchnet._network import predict_rows
from sk_scratchnet._threads import blas_threads
from sk_scratchnet._training import (
    EpochRun,
    SolverSettings,
    StochasticState,
    fit_lbfgs,
    fit_stochastic,
    make_optimizer,
    make_schedule,
    step_rows,
)
from sk_scratchnet._warnings import warn_at_caller


@dataclass(frozen=True)
class RunCall:
    """What a run is given besides the estimator, the fit's state and the rows."""

    settings: SolverSettings
    rng: object  # numpy.random.RandomState of the fit
    dropout: list  # rate of each hidden layer
    incremental: bool  # partial_fit: one epoch, no held-out split
    y: np.ndarray  # the training labels or targets (callbacks, the split)
    sample_weight: object  # as given (callbacks' metadata)
    val: tuple  # (X_val, y_val) as given to fit


def run_solver(estimator, state, data, call):
    """Train ``state.net`` on ``data`` (``TrainingData``) with the chosen solver."""
    # One BLAS thread for small matrix products (_threads). Divergence is
    # detected explicitly (non-finite loss or weights), so the floating-point
    # warnings of a diverging run are noise.
    n_rows = step_rows(call.settings, data.X.shape[0])
    with (
        blas_threads(n_rows, state.layout.layer_units),
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
    ):
        if call.settings.solver == "lbfgs":
            if call.val[0] is not None or call.val[1] is not None:
                warn_at_caller(
                    "X_val/y_val are only used by the stochastic solvers "
                    "('sgd', 'adam'); solver='lbfgs' ignores them."
                )
            state.reporter = fit_reporter(
                estimator, state, data.X, call.y, call.sample_weight,
                call.settings.max_iter,
            )  # fmt: skip
            state.history = fit_lbfgs(state.net, data, call.settings, state.reporter)
        else:
            _run_stochastic(estimator, state, data, call)


def _run_stochastic(estimator, state, data, call):
    settings, rng, incremental = call.settings, call.rng, call.incremental
    y, sample_weight = call.y, call.sample_weight
    fitted = estimator.__dict__.get("_training_state")
    _resume_solver(state, fitted, settings, incremental)
    val = validated_validation_set(estimator, *call.val, state.net.theta)
    if val is not None:
        X_val, y_val = val
        val = X_val, y_val, estimator._validation_targets(X_val, y_val, state), None
    # One epoch over a chunk has no room for a held-out split: partial_fit
    # trains on all it is given (scikit-learn raises instead).
    if settings.early_stopping and val is None and not incremental:
        # The split is drawn on the host (it hashes the rows' content).
        train, held_out = split_validation(
            to_host(data.X), data.weights, estimator._validation_groups(y),
            estimator.validation_fraction, rng, estimator._MIN_VALIDATION_ROWS,
        )  # fmt: skip
        data, y, sample_weight, val = hold_out(data, y, sample_weight, train, held_out)
    monitor = None
    if val is not None:
        X_val, y_val, Y_val, w_val = val
        metric = estimator._validation_metric(y_val, w_val, state)
        monitor = _monitor(state, X_val, Y_val, w_val, metric)
        state.monitored = True
    max_subtasks = 1 if incremental else settings.max_iter
    state.reporter = fit_reporter(
        estimator, state, data.X, y, sample_weight, max_subtasks
    )
    run = EpochRun(state.reporter, call.dropout, monitor, incremental, state.t)
    state.history = fit_stochastic(
        state.net,
        data,
        settings,
        StochasticState(state.optimizer, state.schedule, state.stopper),
        rng,
        run,
    )


def _resume_solver(state, fitted, settings, incremental):
    """Give ``state`` its optimizer, schedule and early-stopping state.

    New ones, or for a further ``partial_fit`` (and curves continued by a warm
    start) forks of those of ``fitted``, the model's
    :class:`~sk_scratchnet._fit_state.TrainingState` (``None`` before a first
    fit), which stays as it is.
    """
    theta = state.net.theta
    # new curves on a first pass, or warm-starting an L-BFGS fit
    # (an L-BFGS fit has no optimizer state, no curves)
    stochastic_before = fitted is not None and fitted.optimizer is not None
    state.new_curves = state.first_pass or not stochastic_before
    if not incremental or not stochastic_before:
        state.optimizer = make_optimizer(
            settings, state.layout.size, theta.dtype, like=theta
        )
        state.schedule = make_schedule(settings)
    else:
        # A fork: the fitted model keeps the state of the previous calls.
        state.optimizer = fitted.optimizer.fork()
        state.schedule = fitted.schedule
    if state.new_curves:
        state.stopper = EarlyStopping(settings.early_stopping, theta)
    else:
        state.stopper = fitted.stopper.fork()


def _monitor(state, X_val, Y_val, w_val, metric):
    """Return the monitor that scores the network being trained on ``X_val``."""
    coefs, intercepts = state.views()  # the weights being trained
    acts = state.net.activations
    n_outputs = state.layout.layer_units[-1]

    def raw_scores(X):
        return predict_rows(X, coefs, intercepts, acts, lambda score: score, n_outputs)

    return ValidationMonitor(X_val, Y_val, w_val, raw_scores, metric)


def fit_reporter(estimator, state, X, y, sample_weight, max_subtasks):
    """Return the callback reporter of a fit; it snapshots ``state``."""

    def snapshot(n_iter):
        attributes = estimator._fitted_attributes(state, snapshot=True)
        return {**attributes, "n_iter_": n_iter}

    return FitReporter(estimator, X, lambda: y, sample_weight, max_subtasks, snapshot)
