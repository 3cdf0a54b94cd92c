"""The estimator layer that the classifier and the regressor share.

Parameters and their constraints, ``fit``/``partial_fit`` with warm start and
their one commit (a fit builds a :class:`~sk_scratchnet._fit_state.FitState`,
trains it and writes the fitted attributes from it at its end), and chunked
prediction of raw scores.  The subclasses say how targets become the network's
``Y`` (labels or values), which head (loss) the network has, and how a
validation set is scored.
Input validation is in :mod:`sk_scratchnet._inputs`, the checks of the
architecture in :class:`sk_scratchnet._network.Architecture`, the set-up of the
solver (new or resumed), the validation set and the callbacks in
:mod:`sk_scratchnet._fit_run`, the validation split and early stopping in
:mod:`sk_scratchnet._early_stopping`, the training loops in
:mod:`sk_scratchnet._training`, and pickling in :mod:`sk_scratchnet._persistence`.
"""

from __future__ import annotations

from typing import NamedTuple

from sklearn.base import BaseEstimator

from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._callbacks import CallbackSupportMixin
from sk_scratchnet._checks import check_weights
from sk_scratchnet._devices import from_host, numpy_dtype, to_host
from sk_scratchnet._early_stopping import WATCH_LOSS, WATCH_SCORE
from sk_scratchnet._fit_run import RunCall, run_solver
from sk_scratchnet._fit_state import FitState
from sk_scratchnet._heads import get_head
from sk_scratchnet._inputs import cast_like_model, same_place_as_model
from sk_scratchnet._network import (
    Architecture,
    Network,
    ParamLayout,
    activation_names,
    init_params,
    predict_rows,
)
from sk_scratchnet._params import (
    MLP_PARAMETER_CONSTRAINTS,
    param_names,
    validate_params,
)
from sk_scratchnet._persistence import loaded_state, saved_state
from sk_scratchnet._random import give_back, training_rng
from sk_scratchnet._training import SolverSettings, TrainingData

_STOCHASTIC_SOLVERS = ("sgd", "adam")
# What validate_data writes on the estimator while it checks X.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class _FitCall(NamedTuple):
    """How ``fit``/``partial_fit`` was called, besides the data."""

    incremental: bool  # partial_fit
    fitted: bool  # the estimator holds a fitted model
    classes: object  # partial_fit's classes
    val: tuple  # (X_val, y_val) given to fit
    rng: object  # numpy.random.RandomState of the call


def _is_stochastic(estimator):
    if estimator.solver not in _STOCHASTIC_SOLVERS:
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class BaseScratchMLP(CallbackSupportMixin, BaseEstimator):
    """Parameters, fitting and raw prediction shared by the two estimators.

    Not for direct use: see :class:`~sk_scratchnet.ScratchMLPClassifier` and
    :class:`~sk_scratchnet.ScratchMLPRegressor` for the parameters.
    """

    _parameter_constraints: dict = dict(MLP_PARAMETER_CONSTRAINTS)

    # Values of ``early_stopping_metric`` that watch the validation loss.
    _LOSS_METRICS = ("log_loss", "loss")
    # Least number of distinct rows the early-stopping split holds out per group.
    _MIN_VALIDATION_ROWS = 1

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        init,
        early_stopping_metric,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.init = init
        self.early_stopping_metric = early_stopping_metric

    # ---------------------------------------------------- parameter validation
    @classmethod
    def _get_param_names(cls):
        """Return the sorted parameter names of ``cls.__init__``, cached per class.

        scikit-learn introspects the signature on every ``get_params`` (every
        ``fit``, through the parameter validation); the names only change with
        ``__init__`` (:func:`~sk_scratchnet._params.param_names`).
        """
        return param_names(cls, super()._get_param_names)

    def _validate_params(self):
        """Check the parameters against ``_parameter_constraints``.

        scikit-learn's check, skipping the values that already passed it
        (:func:`~sk_scratchnet._params.validate_params`): an invalid value raises
        the same ``InvalidParameterError`` with the same message.
        """
        validate_params(self)

    # ------------------------------------------------------- subclass contract
    def _validate_targets(self, X, y, *, incremental, first_pass, call):
        """Validate ``X, y``; return ``X``, targets ``Y``, ``y`` and the labels.

        The labels are the classifier's label codec (``None`` otherwise);
        ``call`` says how ``fit`` was called (``classes``, a fitted model).
        """
        raise NotImplementedError

    def _head(self, labels):
        """Return the output head of a new network (its loss)."""
        raise NotImplementedError

    def _fitted_target_attributes(self, state):
        """Return the fitted attributes of the targets (the classifier's classes)."""
        return {}

    def _validation_targets(self, X_val, y_val, state):
        """Return the network's targets ``Y_val`` of a checked validation set."""
        raise NotImplementedError

    def _validation_groups(self, y):
        """Labels to stratify the early-stopping split by, or ``None``."""
        return None

    def _validation_metric(self, y_val, w_val, state):
        """``metric(raw_scores)`` of the validation set, higher is better."""
        raise NotImplementedError

    # ------------------------------------------------------------------ fitting
    def _fit(self, X, y, sample_weight, *, incremental, classes=None, val=(None, None)):
        # The fit trains a FitState and writes the fitted attributes from it in
        # one step at its end (_commit); one that raises never gets there. Only
        # validate_data writes to the estimator before (n_features_in_ and
        # feature_names_in_ as it checks X): a failed fit puts them back.
        fitted = self.__dict__
        inputs = {k: fitted[k] for k in _INPUT_ATTRIBUTES if k in fitted}
        rng, kept = training_rng(self.random_state)
        call = _FitCall(incremental, "coefs_" in fitted, classes, val, rng)
        try:
            state = self._train(X, y, sample_weight, call)
        except Exception:
            for k in _INPUT_ATTRIBUTES:
                if k in inputs:
                    self.__dict__[k] = inputs[k]
                else:
                    self.__dict__.pop(k, None)
            raise
        finally:
            if kept is not None:
                give_back(kept)
        self._commit(state)
        reporter, state.reporter = state.reporter, None  # no cycle left to collect
        if reporter is not None:
            reporter.finish()
        return self

    def _train(self, X, y, sample_weight, call):
        """Validate, build the :class:`FitState`, train it; return it."""
        incremental, val, rng = call.incremental, call.val, call.rng
        arch = Architecture.from_params(
            self.hidden_layer_sizes, self.activation, self.dropout, ACTIVATIONS
        )
        first_pass = not call.fitted or (not self.warm_start and not incremental)
        if not first_pass:
            # Continue in the network's own precision.
            X = cast_like_model(self, X)
        X, Y, y, labels = self._validate_targets(
            X, y, incremental=incremental, first_pass=first_pass, call=call
        )
        if not first_pass:
            X = same_place_as_model(self, X, "partial_fit" if incremental else "fit")
        sample_weight = to_host(sample_weight)  # weights follow X via the host
        weights, labels = self._training_weights(sample_weight, X, y, labels, call)
        layout = ParamLayout(arch.layer_units(X.shape[1], Y.shape[1]))
        head = self._head(labels) if first_pass else get_head(self._training_state.loss)
        state = FitState(first_pass, layout, head, labels)
        if first_pass:
            # Drawn on the host, as MLPClassifier draws them, then moved to X's
            # device: the same random_state gives the same network everywhere.
            theta = init_params(
                layout,
                rng,
                numpy_dtype(X.dtype),
                activations=list(arch.init_activations),
                init=self.init,
            )
            theta = from_host(theta, like=X)
        elif [tuple(c.shape) for c in self.coefs_] != layout.coef_shapes:
            raise ValueError(
                "warm_start/partial_fit needs the same network: the fitted layers "
                f"{[tuple(c.shape) for c in self.coefs_]} do not match "
                f"{layout.coef_shapes} "
                "(hidden_layer_sizes or the number of classes or outputs changed)."
            )
        else:
            # A new vector: the fitted one stays as it is until the commit.
            theta = layout.pack(self.coefs_, self.intercepts_, X.dtype)
            state.n_iter, state.t = self.n_iter_, self.t_
        state.net = Network(
            layout, theta, [ACTIVATIONS[name] for name in arch.activations], head
        )
        on_loss = self.early_stopping_metric in self._LOSS_METRICS
        settings = SolverSettings.from_estimator(
            self, watch=WATCH_LOSS if on_loss else WATCH_SCORE
        )
        data = TrainingData(X, Y, weights)
        run = RunCall(
            settings, rng, list(arch.dropout), incremental, y, sample_weight, val
        )
        run_solver(self, state, data, run)
        return state

    # ------------------------------------------------------------- committing
    def _fitted_attributes(self, state, *, snapshot=False):
        """Return the fitted attributes after ``state``'s training, as a dict."""
        return state.fitted_attributes(
            self.__dict__,
            self._fitted_target_attributes(state),
            stochastic=self.solver != "lbfgs",
            early_stopping=self.early_stopping,
            snapshot=snapshot,
        )

    def _commit(self, state):
        """Write every fitted attribute from ``state``: the fit's one write."""
        attributes = self._fitted_attributes(state)
        self.__dict__.update(attributes)
        if self.solver != "lbfgs":
            history = state.history
            self.loss_curve_.extend(history.losses)
            if state.monitored:
                self.validation_scores_.extend(history.validation_scores)
                self.validation_loss_curve_.extend(history.validation_losses)

    def _training_weights(self, sample_weight, X, y, labels, call):
        """Return the validated row weights (``None``: rows count the same), labels."""
        if sample_weight is None:
            return None, labels
        weights = check_weights(sample_weight, X.shape[0], numpy_dtype(X.dtype))
        if not weights.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        return weights, labels

    @property
    def _optimizer(self):
        """The stochastic solvers' optimizer, read-only, by ``MLPClassifier``'s name.

        For code written against scikit-learn's estimators (its own tests read
        ``_optimizer.learning_rate``); the state itself is ``_training_state``.
        """
        optimizer = self._training_state.optimizer
        if optimizer is None:
            raise AttributeError(
                f"{type(self).__name__} fitted by L-BFGS has no '_optimizer'."
            )
        return optimizer

    # --------------------------------------------------------------- predicting
    def _predict_rows(self, X, transform, n_columns):
        """``transform(score)`` of validated ``X``, a chunk of rows at a time."""
        names = activation_names(self.activation, len(self.coefs_) - 1)
        acts = [ACTIVATIONS[name] for name in names]
        return predict_rows(
            X, self.coefs_, self.intercepts_, acts, transform, n_columns
        )

    def __sklearn_tags__(self):
        """Declare sparse input and array API support."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        """Return the state, with arrays of other namespaces as NumPy arrays.

        A model fitted on PyTorch, CuPy or array-api-strict arrays pickles (and
        saves with joblib or skops) as NumPy arrays plus the name of their
        namespace and device; unpickling moves them back there when that library
        and device are available, and keeps NumPy arrays otherwise
        (:mod:`sk_scratchnet._persistence`).
        """
        return saved_state(super().__getstate__())

    def __setstate__(self, state):
        """Restore the state, moving the arrays back to their namespace."""
        super().__setstate__(loaded_state(state))
