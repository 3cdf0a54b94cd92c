"""Early stopping: the held-out split, the validation monitor, the patience.

:func:`split_validation` holds out part of the training rows (by row content, so
that a repeated row never lands on both sides); a :class:`ValidationMonitor`
scores the network on held-out rows after every epoch; :class:`EarlyStopping`
counts the epochs without progress of one watched value (:class:`Watch`: the
validation score, higher is better, or the validation loss, lower is better;
the training loss without a validation set) and keeps the best weights.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sk_scratchnet._devices import from_host, numpy_dtype, take_rows
from sk_scratchnet._namespace import ops_for
from sk_scratchnet._rowhash import row_keys, to_unit


@dataclass(frozen=True)
class Watch:
    """The validation value early stopping watches, and which way is better."""

    name: str
    """``'score'`` (accuracy, R²) or ``'loss'`` of the validation set."""
    lower_is_better: bool


WATCH_SCORE = Watch("score", lower_is_better=False)
WATCH_LOSS = Watch("loss", lower_is_better=True)
# Where EarlyStopping keeps the value of the best epoch, per watched name.
_BEST_OF = {"score": "best_score", "loss": "loss_at_best"}


class ValidationResult(NamedTuple):
    """The validation set's score (higher is better) and loss after an epoch."""

    score: float
    loss: float


class EarlyStopping:
    """Patience bookkeeping of the stochastic loop, kept between ``partial_fit`` calls.

    With a validation set and ``early_stopping`` it watches the validation score
    (or loss) and keeps the best weights; otherwise the training loss.  Among
    epochs of equal validation score it keeps the one of lowest validation loss
    (scikit-learn keeps the first, often an undertrained one).
    """

    def __init__(self, early_stopping: bool, theta: np.ndarray):
        self.no_improvement_count = 0
        self.best_loss = None if early_stopping else np.inf
        self.best_score = -np.inf if early_stopping else None
        self.loss_at_best = np.inf
        self.best_validation_loss = None
        self.best_theta = ops_for(theta).copy(theta)

    def fork(self) -> EarlyStopping:
        """Return a copy to continue from; the original stays as it is.

        A shallow copy suffices: ``best_theta`` is replaced, never written into.
        """
        return copy.copy(self)

    def record_validation_loss(self, val_loss: float) -> None:
        """Track the lowest validation loss seen (reported with or without stopping)."""
        if self.best_validation_loss is None or val_loss < self.best_validation_loss:
            self.best_validation_loss = val_loss

    # The lowest training loss on scikit-learn's scale, when that differs from
    # ours (several squared-error outputs); a class default for older pickles.
    best_stopping_loss = None

    def update(self, theta, train_loss, validation, settings, stopping_loss=None):
        """Count an epoch with or without progress.

        ``validation`` is ``(score, loss)`` when stopping on a validation set,
        else ``None`` (the training loss decides); ``settings.watch`` names the
        value that decides and its direction.  ``stopping_loss``, when given, is
        the training loss on scikit-learn's scale, which ``tol`` is compared on;
        ``best_loss`` stays the lowest ``train_loss``.
        """
        tol = settings.tol
        if validation is not None:
            val_score, val_loss = validation
            watch = settings.watch
            last = getattr(ValidationResult(val_score, val_loss), watch.name)
            best = getattr(self, _BEST_OF[watch.name])
            if watch.lower_is_better:
                last, best = -last, -best  # higher is better below
            if last < best + tol:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            if last > best or (last == best and val_loss < self.loss_at_best):
                self.best_score = val_score
                self.loss_at_best = val_loss
                self.best_theta = ops_for(theta).copy(theta)
            return
        if self.best_loss is None:  # early_stopping in partial_fit: no split
            self.best_loss = np.inf
        if stopping_loss is None:
            stopping_loss, best = train_loss, self.best_loss
        else:
            best = self.best_stopping_loss
            best = np.inf if best is None else best
            self.best_stopping_loss = min(best, stopping_loss)
        if stopping_loss > best - tol:
            self.no_improvement_count += 1
        else:
            self.no_improvement_count = 0
        if train_loss < self.best_loss:
            self.best_loss = train_loss


class ValidationMonitor:
    """Scores the network on held-out rows after every epoch.

    Parameters
    ----------
    X : array-like of shape (n_val, n_features)
        In the network's namespace and on its device.
    Y : ndarray of shape (n_val, n_outputs)
        Targets in the network's dtype (for the loss), NumPy.
    weights : ndarray of shape (n_val,) or None
        NumPy.
    raw_scores : callable
        ``raw_scores(X)`` gives the network's current raw output (Eq. 2).
    metric : callable
        ``metric(score)`` gives the validation score of those raw outputs (higher
        is better), e.g. accuracy or R²; it may overwrite ``score``.
    """

    def __init__(self, X, Y, weights, raw_scores, metric):
        self.X, self.weights = X, weights
        self.Y = from_host(Y, like=X)
        self.raw_scores, self.metric = raw_scores, metric
        n = X.shape[0]
        self.row_scale = (
            1.0 / n if weights is None else from_host(weights / weights.sum(), like=X)
        )

    def evaluate(self, net) -> ValidationResult:
        """``(score, loss)`` of the network on the validation rows."""
        score = self.raw_scores(self.X)
        # The loss first: it only reads the scores, while a link (the metric's
        # prediction) may transform them in place.
        loss = net.head.loss_value(score, self.Y, self.row_scale)
        return ValidationResult(float(self.metric(score)), loss)


def split_validation(X, weights, groups, fraction, rng, min_distinct=1):
    """Hold out about ``fraction`` of each group's weight; ``(train, val)`` rows.

    Identical rows always land on the same side: each distinct row gets one
    random key, and each group's rows are cut at a key threshold.  So a
    duplicated row never leaks from training into validation, and an integer
    sample weight is exactly equivalent to repeating the row, split included.
    A group whose rows would all be held out keeps its last one in training.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    weights : ndarray of shape (n,) or None
    groups : ndarray of shape (n,) or None
        Class labels to stratify by, or ``None``.
    fraction : float
    rng : numpy.random.RandomState
    min_distinct : int, default=1
        Hold out at least this many distinct rows of each group when possible
        (R² needs 2).  Distinct rows, not rows: a weight stays a repetition.
    """
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    key = to_unit(row_keys(X, rng.randint(np.iinfo(np.int32).max)))
    labels = np.zeros(n) if groups is None else groups
    is_val = np.zeros(n, dtype=bool)
    sizes = {}
    for group in np.unique(labels):
        # Zero-weight rows stay in training, where they count for nothing.
        rows = np.flatnonzero((labels == group) & (w > 0))
        sizes[group] = len(rows)
        if len(rows) == 0:
            continue
        rows = rows[np.argsort(key[rows], kind="stable")]
        cumulative = np.cumsum(w[rows])
        cut = np.searchsorted(cumulative, fraction * cumulative[-1])
        threshold = key[rows[min(cut, len(rows) - 1)]]
        distinct = np.unique(key[rows])
        threshold = max(threshold, distinct[min(min_distinct, len(distinct)) - 1])
        chosen = key[rows] <= threshold
        if chosen.all():  # keep every group in the training part
            chosen = key[rows] < key[rows[-1]]
        is_val[rows[chosen]] = True
    train, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    too_small = len(val) < 2 or not w[val].any()
    if too_small or len(np.unique(key[val])) < min_distinct:
        too_few = [g for g, size in sizes.items() if 0 < size < 2]
        if groups is not None and too_few:
            raise ValueError(
                "The least populated classes in y have only 1 member, which is too "
                "few to hold out a validation set for early stopping (every class "
                "keeps a member in training). Classes with too few members are: "
                f"{np.asarray(too_few).tolist()}. Pass X_val/y_val, or set "
                "early_stopping=False."
            )
        raise ValueError(
            f"The validation set is too small (n_samples={n}). Increase "
            "'validation_fraction' or the size of your dataset."
        )
    return train, val


def hold_out(data, y, sample_weight, train, held_out):
    """Split training data into what trains and the validation set.

    ``data`` is the loop's ``TrainingData``, ``y`` the labels or targets as
    given, ``sample_weight`` as given (callbacks' metadata); ``train`` and
    ``held_out`` are the rows of :func:`split_validation`.  Returns the training
    part of all three and the validation set ``(X, y, Y, weights)``.
    """
    X, Y, weights = data.X, data.Y, data.weights
    val = (
        take_rows(X, held_out),
        y[held_out],
        Y[held_out].astype(numpy_dtype(X.dtype)),
        None if weights is None else weights[held_out],
    )
    data = type(data)(
        take_rows(X, train),
        Y[train],
        None if weights is None else weights[train],
    )
    if sample_weight is not None:
        sw = np.asarray(sample_weight)
        sample_weight = sw[train] if sw.ndim else sw
    return data, y[train], sample_weight, val
