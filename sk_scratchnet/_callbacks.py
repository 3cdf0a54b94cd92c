"""Glue to scikit-learn's callback protocol (``sklearn.callback``, scikit-learn >= 1.9).

The estimator reports one task per ``fit`` call and one subtask per epoch (or per
L-BFGS iteration), so that ``ProgressBar`` draws a bar over epochs,
``ScoringMonitor`` scores a frozen copy of the model after every epoch, and any
callback can ask training to stop by returning ``True`` from ``on_fit_task_end``.
On an older scikit-learn the hooks are no-ops and ``set_callbacks`` is absent.
"""

from __future__ import annotations

try:  # scikit-learn >= 1.9 (experimental API)
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - exercised only on scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in without callbacks: the context it returns does nothing."""

        def _init_callback_context(self, *args, **kwargs):
            return _NullContext()

    def with_callbacks(method):
        """Return ``method`` unchanged (no callbacks to tear down)."""
        return method


class _NullContext:
    def subcontext(self, *args, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return None

    def call_on_fit_task_end(self, **kwargs):
        return False


class FitReporter:
    """Report a fit and its epochs to the estimator's callbacks.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted.  Its attributes are those of the previous
        fit until this one succeeds: the callbacks see the network being trained
        through ``snapshot``.
    X : array-like
        The training data the epochs see.
    labels : callable
        Returns the training labels (original classes); only called when the
        estimator has callbacks.
    sample_weight : array-like or None
        Passed to the callbacks as metadata (e.g. to ``ScoringMonitor``'s scorer).
    max_subtasks : int or None
        Upper bound on the number of epochs reported.
    snapshot : callable
        ``snapshot(n_iter)`` returns the fitted attributes the estimator would
        have after ``n_iter`` epochs (copies), from which the callbacks rebuild
        a model (``reconstruction_attributes``).
    """

    def __init__(self, estimator, X, labels, sample_weight, max_subtasks, snapshot):
        self.estimator = estimator
        self.snapshot = snapshot
        self.end_pending = False
        self.active = bool(getattr(estimator, "_skl_callbacks", None))
        self.context = estimator._init_callback_context(max_subtasks=max_subtasks)
        if not self.active:
            return
        self.kwargs = {
            "estimator": estimator,
            "X": X,
            "y": labels(),
            "metadata": {}
            if sample_weight is None
            else {"sample_weight": sample_weight},
        }
        self.context.call_on_fit_task_begin(**self.kwargs)
        self._epoch = None
        self.n_iter = 0

    def _snapshot(self):
        return self.snapshot(self.n_iter)

    def epoch_begin(self, n_iter: int):
        """Open the subtask of the next epoch, after ``n_iter`` epochs done."""
        if self.active:
            self.n_iter = n_iter
            self._epoch = self.context.subcontext(task_name="epoch")
            self._epoch.call_on_fit_task_begin(
                **self.kwargs, reconstruction_attributes=self._snapshot
            )

    def epoch_end(self, n_iter: int) -> bool:
        """Close the epoch's subtask (``n_iter`` epochs done); True to stop."""
        if not self.active or self._epoch is None:
            return False
        self.n_iter = n_iter
        stop = self._epoch.call_on_fit_task_end(
            **self.kwargs, reconstruction_attributes=self._snapshot
        )
        self._epoch = None
        return bool(stop)

    def fit_end(self):
        """Mark the training as ended; :meth:`finish` closes the root task.

        The estimator commits its fitted attributes in between, so that the
        callbacks find it fitted "as it stands".
        """
        self.end_pending = True

    def finish(self):
        """Close the root task if the loop ended it; the estimator is fitted."""
        if self.active and self.end_pending:
            self.context.call_on_fit_task_end(
                **self.kwargs, reconstruction_attributes={}
            )
