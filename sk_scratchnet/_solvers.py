"""The training loops of ScratchMLPClassifier: L-BFGS and mini-batch SGD/Adam.

A mixin, so that the estimator module keeps the API, the validation and the
prediction, and this one the solvers with their bookkeeping (loss curves,
stopping rules, early stopping, learning-rate schedules, callbacks).  The
mathematics they call lives in :mod:`sk_scratchnet._network`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.optimize
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

from sk_scratchnet._callbacks import FitReporter
from sk_scratchnet._losses import log_loss
from sk_scratchnet._network import Workspace, loss_and_gradient
from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule
from sk_scratchnet._rowhash import row_keys, splitmix64, to_unit


class SolverMixin:
    """Training loops shared by the estimator; expects its attributes and params."""

    def _init_stochastic_state(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _fit_lbfgs(self, X, Y, y, sample_weight, weights, net):
        layout, theta, acts = net
        reporter = FitReporter(self, X, lambda: y, sample_weight, self.max_iter)
        n = X.shape[0]
        Y_float = Y.astype(theta.dtype)
        ws = Workspace(layout.layer_units, n, X.dtype, acts)
        grad = np.empty_like(theta)
        total = n if weights is None else float(weights.sum())
        row_scale = 1.0 / n if weights is None else weights / total
        l2_scale = self.alpha / total

        def fun(x):
            theta[...] = x
            loss = loss_and_gradient(
                theta, grad, layout, X, Y_float, row_scale, l2_scale, acts,
                self.out_activation_, ws,
            )  # fmt: skip
            return loss, grad.astype(np.float64)

        def report(intermediate_result):
            if self.verbose:
                print(f"Iteration {report.it}, loss = {intermediate_result.fun:.8f}")
            self.n_iter_ = report.it
            report.it += 1
            stop = reporter.epoch_end()
            if stop:
                report.stopped = True
                raise StopIteration  # scipy ends the run with status 99
            reporter.epoch_begin()

        report.it, report.stopped = 1, False
        reporter.epoch_begin()
        try:
            result = scipy.optimize.minimize(
                fun,
                theta.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                callback=report,
                options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                         "gtol": self.tol},
            )  # fmt: skip
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=3)
            self.n_iter_ = report.it - 1
            self.loss_ = fun(theta.astype(np.float64))[0]
            self._check_finite(theta, self.loss_)
            return
        if result.status != 0 and not report.stopped:
            message = result.message
            if isinstance(message, bytes):
                message = message.decode("latin1")
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iteration(s) "
                f"(status={result.status}): {message}. Increase the number of "
                "iterations (max_iter) or max_fun, or scale the data.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_iter_ = min(int(result.nit), self.max_iter)
        theta[...] = result.x
        self.loss_ = float(result.fun)
        self._check_finite(theta, self.loss_)
        reporter.fit_end()

    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return SGD(
                n_params,
                dtype,
                self.learning_rate_init,
                self.momentum,
                self.nesterovs_momentum,
            )
        return Adam(
            n_params,
            dtype,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )

    def _fit_stochastic(
        self, X, Y, sample_weight, weights, net, rng, dropout, incremental, val
    ):
        layout, theta, acts = net
        if not hasattr(self, "loss_curve_"):  # warm start from an lbfgs fit
            self._init_stochastic_state()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(layout.size, theta.dtype)
            self._schedule = LearningRateSchedule(
                self.learning_rate, self.learning_rate_init, self.power_t, self.max_iter
            )
        optimizer, schedule = self._optimizer, self._schedule

        X_train, Y_train, w_train, sw_train = X, Y, weights, sample_weight
        # One epoch over a chunk has no room for a held-out split: partial_fit
        # trains on all it is given (MLPClassifier raises instead).
        if self.early_stopping and val is None and not incremental:
            X_train, Y_train, w_train, val, train_rows = self._split_validation(
                X, Y, weights, rng
            )
            if sample_weight is not None:
                sw_train = np.asarray(sample_weight)[train_rows]
        monitor = val is not None
        stop_on_validation = self.early_stopping and monitor
        if monitor and self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
            if self.validation_scores_ is None:
                self.validation_scores_ = []

        n = X_train.shape[0]
        batch_size = self._batch_size(n)
        ws = Workspace(layout.layer_units, batch_size, theta.dtype, acts, dropout)
        train_keys = epoch_keys = None
        if any(rate > 0 for rate in dropout):
            # Masks keyed by row content: a repeated row sees the same masks as one
            # row of integer weight (the sample-weight contract holds with dropout).
            # Its own stream: the epoch salts must not depend on n (shuffling draws).
            dropout_rng = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
            train_keys = row_keys(X_train, dropout_rng.integers(2**62))
        batches = _BatchLoop(
            X_train, Y_train, w_train, self.alpha, batch_size, self.shuffle, net,
            self.out_activation_, ws, optimizer,
        )  # fmt: skip
        sample_idx = np.arange(n)

        reporter = FitReporter(
            self,
            X_train,
            lambda: self._label_binarizer.inverse_transform(Y_train),
            sw_train,
            1 if incremental else self.max_iter,
        )
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                reporter.epoch_begin()
                if self.shuffle:
                    # Same draw as MLPClassifier's sklearn.utils.shuffle(sample_idx).
                    sample_idx = sample_idx[rng.permutation(n)]
                if train_keys is not None:
                    epoch_salt = np.uint64(dropout_rng.integers(2**62))
                    epoch_keys = splitmix64(train_keys ^ epoch_salt)
                epoch_loss = batches.run_epoch(sample_idx, epoch_keys)
                self.n_iter_ += 1
                self.loss_ = epoch_loss
                self._check_finite(theta, self.loss_)
                self.t_ += n
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if monitor:
                    self._record_validation(val)
                self._update_no_improvement_count(theta, stop_on_validation)
                schedule.epoch_end(optimizer, self.t_, self.n_iter_)
                if reporter.epoch_end():
                    break  # a callback asked to stop: not a convergence failure

                if self._no_improvement_count > self.n_iter_no_change:
                    if stop_on_validation:
                        msg = (
                            "Validation score did not improve more than "
                            f"tol={self.tol:f} for {self.n_iter_no_change} "
                            "consecutive epochs."
                        )
                    else:
                        msg = (
                            f"Training loss did not improve more than tol="
                            f"{self.tol:f} for {self.n_iter_no_change} consecutive "
                            "epochs."
                        )
                    if schedule.plateau(optimizer, msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
            self._check_finite(theta)  # the interrupted epoch may have diverged

        if stop_on_validation:
            theta[...] = self._best_theta
        reporter.fit_end()

    def _batch_size(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                "to be clipped",
                stacklevel=5,
            )
        return int(np.clip(self.batch_size, 1, n))

    def _split_validation(self, X, Y, weights, rng):
        """Hold out about ``validation_fraction`` of each class's weight.

        Identical rows always land on the same side: each distinct row gets one
        random key, and each class's rows are cut at a key threshold.  So a
        duplicated row never leaks from training into validation, and an integer
        sample weight is exactly equivalent to repeating the row, split included.
        """
        n = X.shape[0]
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        key = to_unit(row_keys(X, rng.randint(np.iinfo(np.int32).max)))
        if self.out_activation_ == "softmax":
            groups = Y.argmax(axis=1)
        elif self.n_outputs_ == 1:
            groups = Y[:, 0]
        else:  # multilabel: no stratification, like MLPClassifier
            groups = np.zeros(n)
        is_val = np.zeros(n, dtype=bool)
        for group in np.unique(groups):
            # Zero-weight rows stay in training, where they count for nothing.
            rows = np.flatnonzero((groups == group) & (w > 0))
            if len(rows) == 0:
                continue
            rows = rows[np.argsort(key[rows], kind="stable")]
            cumulative = np.cumsum(w[rows])
            cut = np.searchsorted(cumulative, self.validation_fraction * cumulative[-1])
            chosen = key[rows] <= key[rows[min(cut, len(rows) - 1)]]
            if chosen.all():  # keep every class in the training part
                chosen = key[rows] < key[rows[-1]]
            is_val[rows[chosen]] = True
        train, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
        w_val = None if weights is None else weights[val]
        if len(val) < 2 or (w_val is not None and not w_val.any()):
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        Y_val = Y[val]
        y_val = self._label_binarizer.inverse_transform(Y_val)
        Y_val = Y_val.astype(X.dtype)
        w_train = None if weights is None else weights[train]
        return X[train], Y[train], w_train, (X[val], y_val, Y_val, w_val), train

    def _record_validation(self, val):
        X_val, y_val, Y_val, w_val = val
        score = self._decision_scores(X_val)
        proba = self._proba_from_scores(score)
        y_pred = self._labels_from_proba(proba)
        self.validation_scores_.append(
            float(accuracy_score(y_val, y_pred, sample_weight=w_val))
        )
        if w_val is None:
            row_scale = 1.0 / X_val.shape[0]
        else:
            row_scale = w_val / w_val.sum()
        val_loss = log_loss(score, Y_val, self.out_activation_, row_scale)
        self.validation_loss_curve_.append(val_loss)
        if self.best_validation_loss_ is None or val_loss < self.best_validation_loss_:
            self.best_validation_loss_ = val_loss
        if self.verbose:
            print(f"Validation score: {self.validation_scores_[-1]:f}")

    def _update_no_improvement_count(self, theta, stop_on_validation):
        if stop_on_validation:
            val_loss = self.validation_loss_curve_[-1]
            best_loss = getattr(self, "_loss_at_best", np.inf)
            if self.early_stopping_metric == "log_loss":
                last, best = -val_loss, -best_loss  # higher is better below
            else:
                last, best = self.validation_scores_[-1], self.best_validation_score_
            if last < best + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            # Among epochs of equal accuracy keep the one of lowest validation loss
            # (MLPClassifier keeps the first, often an undertrained one).
            if last > best or (last == best and val_loss < best_loss):
                self.best_validation_score_ = self.validation_scores_[-1]
                self._loss_at_best = val_loss
                self._best_theta = theta.copy()
        else:
            if self.best_loss_ is None:  # early_stopping in partial_fit
                self.best_loss_ = np.inf
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _check_finite(self, theta, loss=0.0):
        if not (math.isfinite(loss) and np.isfinite(theta).all()):
            raise ValueError(
                "Training diverged: the loss or the weights became non-finite (NaN "
                f"or infinity) after {getattr(self, 'n_iter_', 0)} epoch(s). Lower "
                f"learning_rate_init (now {self.learning_rate_init}) or scale the "
                "input features, e.g. with sklearn.preprocessing.StandardScaler."
            )


class _BatchLoop:
    """One epoch of mini-batch steps over fixed training data (the inner loop).

    Holds what every batch reuses: the gather buffers of shuffled batches, the
    flat gradient, the workspace and the optimizer.  Without sample weights a
    batch of ``m`` rows has ``row_scale = 1/m`` and ``l2_scale = alpha/m``
    (MLPClassifier's objective); with weights ``s`` the rows are scaled by
    ``s_i / (m * mean(s))`` and the penalty by ``alpha / (m * mean(s))``, an
    unbiased estimate of ``sum(s L) / sum(s) + alpha/(2 sum(s)) ||W||^2``.
    """

    def __init__(
        self, X, Y, weights, alpha, batch_size, shuffle, net, out_activation, ws,
        optimizer,
    ):  # fmt: skip
        self.X, self.Y, self.weights = X, Y, weights
        self.alpha, self.batch_size, self.shuffle = alpha, batch_size, shuffle
        self.layout, self.theta, self.acts = net
        self.out_activation, self.ws, self.optimizer = out_activation, ws, optimizer
        self.grad = np.empty_like(self.theta)
        self.mean_weight = None if weights is None else float(weights.mean())
        self.is_sparse = sparse.issparse(X)
        if shuffle and not self.is_sparse:
            self.x_buf = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        # targets are stored as bool; each batch is cast into this buffer
        self.y_buf = np.empty((batch_size, Y.shape[1]), dtype=self.theta.dtype)
        self.y_raw = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)

    def run_epoch(self, sample_idx, epoch_keys=None):
        """Take one optimizer step per batch; return the epoch's mean batch loss."""
        X, Y, w, theta, grad = self.X, self.Y, self.weights, self.theta, self.grad
        n, batch_size = X.shape[0], self.batch_size
        batch_keys = None
        accumulated_loss = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            m = stop - start
            if self.shuffle:
                # One gather per batch into a reused buffer, no fresh copies.
                batch = sample_idx[start:stop]
                if self.is_sparse:
                    X_batch = X[batch]
                else:
                    X_batch = np.take(X, batch, 0, self.x_buf[:m], "clip")
                Y_raw = np.take(Y, batch, 0, self.y_raw[:m], "clip")
            else:
                batch = slice(start, stop)
                X_batch, Y_raw = X[batch], Y[batch]
            Y_batch = self.y_buf[:m]
            np.copyto(Y_batch, Y_raw)
            if epoch_keys is not None:
                batch_keys = epoch_keys[batch]
            if w is None:
                row_scale, l2_scale = 1.0 / m, self.alpha / m
            else:
                denominator = m * self.mean_weight
                row_scale = w[batch] / denominator
                l2_scale = self.alpha / denominator
            batch_loss = loss_and_gradient(
                theta, grad, self.layout, X_batch, Y_batch, row_scale, l2_scale,
                self.acts, self.out_activation, self.ws, batch_keys,
            )  # fmt: skip
            accumulated_loss += batch_loss * m
            self.optimizer.update(theta, grad)
        return accumulated_loss / n
