r"""The training loops: full-batch L-BFGS and mini-batch SGD/Adam.

They take a :class:`~sk_scratchnet._network.Network` (updated in place), the
training data, the solver settings, an optional validation monitor and a callback
reporter, and return a :class:`History` of what happened (early stopping and the
validation split are in :mod:`sk_scratchnet._early_stopping`).  They never read or
write an estimator: the estimator sets its fitted ``*_`` attributes from the
history and keeps, between ``partial_fit`` calls, the small objects a loop
continues from (optimizer, learning-rate schedule, :class:`EarlyStopping`).

Objective (user guide, "Sample weights, defined once"): without sample weights a batch
of ``m`` rows has ``row_scale = 1/m`` and ``l2_scale = alpha/m``, the objective of
scikit-learn's MLPs; with weights ``s`` the rows are scaled by ``s_i / (m *
mean(s))`` and the penalty by ``alpha / (m * mean(s))``, an unbiased estimate of
``sum(s L) / sum(s) + alpha/(2 sum(s)) ||W||^2``.  L-BFGS uses the whole set,
``s_i / sum(s)`` and ``alpha / sum(s)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
import scipy.optimize
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from sk_scratchnet._devices import from_host, to_host

# EarlyStopping stays importable from here: pickles of earlier releases name it so.
from sk_scratchnet._early_stopping import (
    WATCH_SCORE,
    EarlyStopping,
    ValidationMonitor,
    Watch,
)
from sk_scratchnet._namespace import ops_for
from sk_scratchnet._network import (
    Batch,
    Network,
    NonFiniteOutputError,
    Workspace,
    loss_and_gradient,
)
from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule
from sk_scratchnet._rowhash import row_keys, splitmix64
from sk_scratchnet._warnings import warn_at_caller


@dataclass(frozen=True)
class SolverSettings:
    """The estimator parameters that the training loops read."""

    solver: str
    alpha: float
    batch_size: int | str
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    verbose: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: int | float
    max_fun: int
    watch: Watch = WATCH_SCORE
    """What early stopping watches on the validation set, and its direction."""

    @classmethod
    def from_estimator(cls, estimator, *, watch: Watch = WATCH_SCORE) -> SolverSettings:
        """Read the loop's settings off an estimator's parameters."""
        return cls(
            **{name: getattr(estimator, name) for name in _SETTING_NAMES}, watch=watch
        )


# The estimator parameters that SolverSettings reads, listed once.
_SETTING_NAMES = tuple(f.name for f in fields(SolverSettings) if f.name != "watch")


@dataclass
class TrainingData:
    """Rows to train on: ``X``, targets ``Y`` (n, n_outputs) and row weights.

    ``weights`` are the training weights (sample weights times class weights) or
    ``None`` for equal rows.  ``X`` may be of any array namespace and device;
    ``Y`` and ``weights`` are NumPy arrays, which the loops move to ``X``'s
    device once.
    """

    X: object
    Y: np.ndarray
    weights: np.ndarray | None = None


@dataclass
class History:
    """What one call of a loop did; the estimator appends it to its curves."""

    n_iter: int = 0
    n_samples_seen: int = 0
    loss: float | None = None
    losses: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_losses: list = field(default_factory=list)


def check_finite(theta, loss, n_iter, learning_rate_init) -> None:
    """Raise the divergence error when the loss or the weights are not finite."""
    if not (math.isfinite(loss) and ops_for(theta).all_finite(theta)):
        raise ValueError(
            "Training diverged: the loss or the weights became non-finite (NaN "
            f"or infinity) after {n_iter} epoch(s). Lower learning_rate_init (now "
            f"{learning_rate_init}) or scale the input features, e.g. with "
            "sklearn.preprocessing.StandardScaler."
        )


def make_optimizer(settings: SolverSettings, n_params: int, dtype, like=None):
    """Make a fresh SGD or Adam optimizer for ``n_params`` parameters.

    Its state lives in the namespace and on the device of ``like`` (NumPy when
    not given).
    """
    if settings.solver == "sgd":
        return SGD(
            n_params,
            dtype,
            settings.learning_rate_init,
            settings.momentum,
            settings.nesterovs_momentum,
            like=like,
        )
    return Adam(
        n_params,
        dtype,
        settings.learning_rate_init,
        settings.beta_1,
        settings.beta_2,
        settings.epsilon,
        like=like,
    )


def make_schedule(settings: SolverSettings) -> LearningRateSchedule:
    """Make the learning-rate schedule of ``settings``."""
    return LearningRateSchedule(
        settings.learning_rate,
        settings.learning_rate_init,
        settings.power_t,
        settings.max_iter,
    )


def fit_lbfgs(net: Network, data: TrainingData, settings: SolverSettings, reporter):
    """Minimise the whole-set objective with ``scipy.optimize`` L-BFGS-B.

    ``net.theta`` ends at the solution; the history has ``n_iter`` and ``loss``.

    SciPy works on host float64 vectors.  For another namespace, every function
    evaluation moves ``theta`` to the device and the gradient back (two vectors
    of ``layout.size`` entries); the forward and backward passes stay there.
    """
    X, theta, weights = data.X, net.theta, data.weights
    ops = ops_for(theta)
    history = History()
    n = X.shape[0]
    ws = Workspace(net.layout.layer_units, n, X.dtype, net.activations, like=theta)
    grad = ops.empty_like(theta)
    total = n if weights is None else float(weights.sum())
    row_scale = 1.0 / n if weights is None else from_host(weights / total, like=X)
    # column by column like the scores they meet in the head (Workspace)
    # (NumPy casts while it copies; another namespace gets theta's dtype first)
    Y = ops.empty_by_columns(data.Y.shape, theta.dtype, theta)
    Y[...] = from_host(data.Y, like=theta, dtype=None if ops.is_numpy else theta.dtype)
    batch = Batch(X, Y, row_scale, settings.alpha / total)

    def fun(x):
        theta[...] = from_host(x, like=theta)
        loss = loss_and_gradient(net, batch, ws, grad)
        return loss, to_host(grad).astype(np.float64)

    def report(intermediate_result):
        if settings.verbose:
            print(f"Iteration {report.it}, loss = {intermediate_result.fun:.8f}")
        if reporter.epoch_end(report.it):
            report.stopped = True
            raise StopIteration  # scipy ends the run with status 99
        reporter.epoch_begin(report.it)
        report.it += 1

    report.it, report.stopped = 1, False
    reporter.epoch_begin(0)
    try:
        result = scipy.optimize.minimize(
            fun,
            to_host(theta).astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=report,
            options={
                "maxfun": settings.max_fun,
                "maxiter": settings.max_iter,
                "gtol": settings.tol,
            },
        )
    except KeyboardInterrupt:
        warn_at_caller("Training interrupted by user.")
        history.n_iter = report.it - 1
        history.loss = fun(to_host(theta).astype(np.float64))[0]
        check_finite(theta, history.loss, history.n_iter, settings.learning_rate_init)
        return history
    if result.status != 0 and not report.stopped:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warn_at_caller(
            f"lbfgs failed to converge after {result.nit} iteration(s) "
            f"(status={result.status}): {message}. Increase the number of "
            "iterations (max_iter) or max_fun, or scale the data.",
            ConvergenceWarning,
        )
    history.n_iter = min(int(result.nit), settings.max_iter)
    theta[...] = from_host(result.x, like=theta)
    history.loss = float(result.fun)
    check_finite(theta, history.loss, history.n_iter, settings.learning_rate_init)
    reporter.fit_end()
    return history


def step_rows(settings: SolverSettings, n: int) -> int:
    """Return the rows of one step on ``n`` rows: all for L-BFGS, else a batch.

    The mini-batch is ``min(200, n)`` for ``'auto'``, else ``batch_size``
    clipped to [1, n].
    """
    if settings.solver == "lbfgs":
        return n
    if settings.batch_size == "auto":
        return min(200, n)
    return int(np.clip(settings.batch_size, 1, n))


def batch_size_for(settings: SolverSettings, n: int) -> int:
    """Return the mini-batch size for ``n`` rows, warning when it is clipped."""
    if settings.batch_size != "auto" and settings.batch_size > n:
        warn_at_caller(
            "Got `batch_size` less than 1 or larger than sample size. It is going "
            "to be clipped"
        )
    return step_rows(settings, n)


@dataclass
class StochasticState:
    """What the mini-batch loop continues from between calls."""

    optimizer: SGD | Adam
    schedule: LearningRateSchedule
    stopper: EarlyStopping


@dataclass
class EpochRun:
    """How one call of the mini-batch loop runs, besides what it trains.

    ``reporter`` reports to the callbacks (a ``FitReporter``); ``dropout`` is
    the rate of each hidden layer; ``monitor`` scores every epoch on held-out
    rows (with ``settings.early_stopping`` it decides when to stop, and the best
    weights are restored at the end); ``incremental`` is ``partial_fit``: one
    epoch; ``samples_seen`` counts the samples of earlier calls (``invscaling``
    counts from there).
    """

    reporter: object
    dropout: tuple | list = ()
    monitor: ValidationMonitor | None = None
    incremental: bool = False
    samples_seen: int = 0


def fit_stochastic(
    net: Network,
    data: TrainingData,
    settings: SolverSettings,
    state: StochasticState,
    rng,
    run: EpochRun,
) -> History:
    """Epochs of mini-batch SGD/Adam (one epoch when ``run.incremental``).

    Parameters
    ----------
    net : Network
        Trained in place.
    data : TrainingData
    settings : SolverSettings
    state : StochasticState
        Optimizer, schedule and early-stopping state; updated in place.
    rng : numpy.random.RandomState
        Draws the shuffles and the dropout stream.
    run : EpochRun
        The reporter, dropout rates, validation monitor, and whether this is
        one epoch of ``partial_fit`` after ``samples_seen`` samples.

    Returns
    -------
    history : History
    """
    reporter, dropout, monitor = run.reporter, run.dropout, run.monitor
    incremental, samples_seen = run.incremental, run.samples_seen
    X, theta = data.X, net.theta
    optimizer, schedule, stopper = state.optimizer, state.schedule, state.stopper
    stop_on_validation = settings.early_stopping and monitor is not None
    history = History()
    n = X.shape[0]
    batch_size = batch_size_for(settings, n)
    ws = Workspace(net.layout.layer_units, batch_size, theta.dtype, net.activations,
                   dropout, like=theta)  # fmt: skip
    train_keys = epoch_keys = None
    if any(rate > 0 for rate in dropout):
        # Masks keyed by row content: a repeated row sees the same masks as one
        # row of integer weight (the sample-weight contract holds with dropout).
        # Its own stream: the epoch salts must not depend on n (shuffling draws).
        dropout_rng = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        train_keys = row_keys(to_host(X), dropout_rng.integers(2**62))
    batches = _BatchLoop(net, data, settings, batch_size, ws, optimizer)
    sample_idx = np.arange(n)
    max_iter = settings.max_iter
    try:
        for _ in range(max_iter):
            reporter.epoch_begin(history.n_iter)
            if settings.shuffle:
                # Same draw as sklearn.utils.shuffle(sample_idx) in scikit-learn.
                sample_idx = sample_idx[rng.permutation(n)]
            if train_keys is not None:
                epoch_salt = np.uint64(dropout_rng.integers(2**62))
                epoch_keys = splitmix64(train_keys ^ epoch_salt)
            loss = batches.run_epoch(sample_idx, epoch_keys)
            history.n_iter += 1
            history.loss = loss
            check_finite(theta, loss, history.n_iter, settings.learning_rate_init)
            history.n_samples_seen += n
            history.losses.append(loss)
            if settings.verbose:
                print(f"Iteration {history.n_iter}, loss = {loss:.8f}")
            validation = None
            if monitor is not None:
                try:
                    validation = monitor.evaluate(net)
                except NonFiniteOutputError:
                    # Finite but huge weights overflow on the validation rows:
                    # the fit diverged, whatever the input scale.
                    check_finite(
                        theta, math.inf, history.n_iter, settings.learning_rate_init
                    )
                history.validation_scores.append(validation[0])
                history.validation_losses.append(validation[1])
                stopper.record_validation_loss(validation[1])
                if settings.verbose:
                    print(f"Validation score: {validation[0]:f}")
            stopper.update(
                theta,
                loss,
                validation if stop_on_validation else None,
                settings,
                stopping_loss=batches.stopping_loss(loss),
            )
            schedule.epoch_end(
                optimizer, samples_seen + history.n_samples_seen, history.n_iter
            )
            if reporter.epoch_end(history.n_iter):
                break  # a callback asked to stop: not a convergence failure

            if stopper.no_improvement_count > settings.n_iter_no_change:
                if stop_on_validation:
                    msg = (
                        "Validation score did not improve more than "
                        f"tol={settings.tol:f} for {settings.n_iter_no_change} "
                        "consecutive epochs."
                    )
                else:
                    msg = (
                        f"Training loss did not improve more than tol="
                        f"{settings.tol:f} for {settings.n_iter_no_change} "
                        "consecutive epochs."
                    )
                if schedule.plateau(optimizer, msg, settings.verbose):
                    break
                stopper.no_improvement_count = 0
            if incremental:
                break
            if history.n_iter == max_iter:
                warn_at_caller(
                    f"Stochastic Optimizer: Maximum iterations ({max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        warn_at_caller("Training interrupted by user.")
        # the interrupted epoch may have diverged
        check_finite(theta, 0.0, history.n_iter, settings.learning_rate_init)

    if stop_on_validation:
        theta[...] = stopper.best_theta  # on theta's device: no transfer
    reporter.fit_end()
    return history


class _BatchLoop:
    """One epoch of mini-batch steps over fixed training data (the inner loop).

    Holds what every batch reuses: the gather buffers of shuffled batches, the
    flat gradient, the workspace and the optimizer.  Row and penalty scales are
    the module docstring's.  Targets and weights are moved to ``X``'s device
    once; each epoch's shuffled order once per epoch.
    """

    def __init__(self, net, data, settings, batch_size, ws, optimizer):
        self.net, self.ws, self.optimizer = net, ws, optimizer
        theta = net.theta
        self.ops = ops = ops_for(theta)
        self.X = data.X
        self.Y = from_host(data.Y, like=theta, dtype=None if ops.is_numpy else
                           theta.dtype)  # fmt: skip
        self.weights = from_host(data.weights, like=theta)
        self.alpha, self.shuffle = settings.alpha, settings.shuffle
        self.batch_size = batch_size
        self.grad = ops.empty_like(theta)
        weights = data.weights
        self.mean_weight = None if weights is None else float(weights.mean())
        self.is_sparse = sparse.issparse(self.X)
        if self.shuffle and not self.is_sparse:
            self.x_buf = ops.empty((batch_size, self.X.shape[1]), self.X.dtype, theta)
        # targets may be stored narrower (bool); each batch is cast into this buffer
        # column by column like the scores they meet in the head
        self.y_buf = ops.empty_by_columns((batch_size, self.Y.shape[1]), theta.dtype,
                                          theta)  # fmt: skip
        self.y_raw = ops.empty((batch_size, self.Y.shape[1]), self.Y.dtype, theta)

    def run_epoch(self, sample_idx, epoch_keys=None):
        """Take one optimizer step per batch; return the epoch's mean batch loss."""
        X, Y, w, grad, ops = self.X, self.Y, self.weights, self.grad, self.ops
        n, batch_size = X.shape[0], self.batch_size
        batch_keys = None
        accumulated_loss = accumulated_penalty = 0.0
        # The order on X's device (NumPy: the same array).
        device_idx = (
            from_host(sample_idx, like=self.net.theta) if self.shuffle else None
        )
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            m = stop - start
            if self.shuffle:
                # One gather per batch into a reused buffer, no fresh copies.
                batch = sample_idx[start:stop]
                rows = device_idx[start:stop]
                if self.is_sparse:
                    X_batch = X[batch]
                else:
                    X_batch = ops.take_rows(X, rows, self.x_buf[:m, :])
                Y_raw = ops.take_rows(Y, rows, self.y_raw[:m, :])
            else:
                batch = rows = slice(start, stop)
                X_batch, Y_raw = X[batch, :], Y[batch, :]
            Y_batch = self.y_buf[:m, :]
            ops.copyto(Y_batch, Y_raw)
            if epoch_keys is not None:
                batch_keys = epoch_keys[batch]
            if w is None:
                row_scale, l2_scale = 1.0 / m, self.alpha / m
            else:
                denominator = m * self.mean_weight
                row_scale = ops.take(w, rows) / denominator
                l2_scale = self.alpha / denominator
            batch_loss = loss_and_gradient(
                self.net,
                Batch(X_batch, Y_batch, row_scale, l2_scale, batch_keys),
                self.ws,
                grad,
            )
            accumulated_loss += batch_loss * m
            accumulated_penalty += self.ws.penalty * m
            self.optimizer.update(self.net.theta, grad)
        self.epoch_penalty = accumulated_penalty / n
        return accumulated_loss / n

    def stopping_loss(self, loss):
        """Return the epoch's loss on the scale scikit-learn compares with ``tol``.

        With a head reported per output (the squared error) and ``k`` outputs,
        scikit-learn reports the data term over ``k`` plus the same penalty ``P``:
        ``(loss - P) / k + P``; otherwise ``loss`` itself.
        """
        k = self.Y.shape[1]
        if k == 1 or not self.net.head.reported_per_output:
            return None
        return (loss - self.epoch_penalty) / k + self.epoch_penalty
