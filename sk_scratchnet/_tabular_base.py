"""The estimator layer that TabularMLPClassifier and TabularMLPRegressor share.

Parameters and their constraints, input validation (pandas DataFrames with mixed
column types, or numeric arrays), the weighted training rows, the held-out split
that picks the kept epoch, scikit-learn's callbacks and ``verbose``, and raw
prediction.  The subclasses say how targets become the network's ``Y`` and how
raw scores become predictions.  The preprocessing is
:mod:`sk_scratchnet._tabular_preprocessing`; the network and its training loop
are :mod:`sk_scratchnet._tabular_network` and
:mod:`sk_scratchnet._tabular_training`, which do not import scikit-learn.
"""

from __future__ import annotations

import dataclasses
import sys
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_scratchnet._callbacks import CallbackSupportMixin
from sk_scratchnet._checks import check_weights
from sk_scratchnet._network import _checked_hidden_layer_sizes
from sk_scratchnet._params import param_names, validate_params
from sk_scratchnet._schedules import SCHEDULES
from sk_scratchnet._tabular_network import (
    ACTIVATIONS,
    TabularArchitecture,
    TabularNetwork,
    build_network,
    predict_scores,
)
from sk_scratchnet._tabular_preprocessing import TabularPreprocessor
from sk_scratchnet._tabular_training import TrainData, TrainSettings, train_network

# Why ``to_onnx`` refuses these models (read by :func:`sk_scratchnet.to_onnx`).
ONNX_UNSUPPORTED = (
    "to_onnx cannot export {name}: its preprocessing (robust scaling with smooth "
    "clipping, missing-value indicators, category codes of string and "
    "categorical columns) and its layers (numeric embeddings, learned scaling, "
    "parametric activations) have no converter yet. Pickle, joblib or skops "
    "save and load it."
)

# Multipliers of the row keys of merge_duplicates, drawn once from a fixed seed.
_ROW_HASH_SEED = 20241201

# Fewest held-out rows worth picking an epoch on: with fewer, the validation
# error is too noisy to choose by, and the rows are better used for training.
MIN_VALIDATION_ROWS = 50

# Attributes that ``validate_data`` sets at the start of ``fit``: a fit that
# raises puts back the ones of the previous fit.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def _is_dataframe(X) -> bool:
    """Whether ``X`` is a 2-D dataframe (pandas, or any with columns and dtypes)."""
    return (
        hasattr(X, "columns")
        and hasattr(X, "dtypes")
        and hasattr(X, "shape")
        and len(X.shape) == 2
    )


def missing_mask(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the missing entries of a 1-D or 2-D target array.

    NaN in float arrays; ``None``, NaN and pandas' ``NA``/``NaT`` in object
    arrays (pandas is only used when it is already imported).
    """
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        return np.asarray(pandas.isna(values), dtype=bool)
    flat = [v is None or (isinstance(v, float) and v != v) for v in values.ravel()]
    return np.array(flat, dtype=bool).reshape(values.shape)


def as_target_array(y) -> np.ndarray:
    """``y`` as a NumPy array (pandas Series and DataFrames through ``to_numpy``)."""
    if sparse.issparse(y):
        raise TypeError("y must be dense (a sparse y is not supported).")
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
        y = y.to_numpy()
    return np.asarray(y)


def take_rows(blocks, rows):
    """Return the rows ``rows`` of a :class:`TabularBlocks`."""
    return dataclasses.replace(
        blocks,
        numeric=blocks.numeric[rows],
        flags=blocks.flags[rows],
        codes=blocks.codes[rows],
        n_rows=len(rows),
    )


def merge_duplicates(blocks, Y, weights):
    """Merge identical (input row, target row) pairs into one weighted row.

    The network only sees the preprocessed blocks, so rows that are equal there
    and have the same target are the same training example: merged, with the
    sum of their weights.  The rows come back sorted by their bytes, so the
    training arrays do not depend on the order of the rows given to ``fit``,
    and an integer sample weight gives exactly the arrays that repeating the
    row gives (scikit-learn's sample-weight equivalence).

    Parameters
    ----------
    blocks : TabularBlocks of n rows
    Y : ndarray of shape (n, n_outputs)
    weights : ndarray of shape (n,) or None

    Returns
    -------
    blocks, Y : the distinct rows
    weights : ndarray or None
        Summed weights, ``None`` when every merged weight is 1.
    """
    n = blocks.n_rows
    parts = [
        np.ascontiguousarray(a).reshape(n, -1).view(np.uint8)
        for a in (blocks.numeric, blocks.flags, blocks.codes, Y)
    ]
    n_bytes = sum(part.shape[1] for part in parts)
    parts.append(np.zeros((n, -n_bytes % 8), dtype=np.uint8))
    words = np.ascontiguousarray(np.hstack(parts)).view(np.uint64)
    # A fixed odd multiplier per 8-byte word: equal rows get equal keys, and
    # the order of the keys is a function of the rows' content only.
    multipliers = np.random.default_rng(_ROW_HASH_SEED).integers(
        1, 2**63, size=words.shape[1], dtype=np.uint64
    )
    with np.errstate(over="ignore"):
        keys = (words * (multipliers | np.uint64(1))).sum(axis=1, dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    keys, words = keys[order], words[order]
    same = keys[1:] == keys[:-1]
    if not np.all(words[1:][same] == words[:-1][same]):
        # Two different rows with one key: sort by the bytes themselves.
        rows = words.view(np.dtype((np.void, words.shape[1] * 8)))[:, 0]
        _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        first, inverse = order[first], _undo(order, inverse.ravel())
    else:
        group = np.concatenate([[0], np.cumsum(~same)])
        first = order[np.flatnonzero(np.concatenate([[True], ~same]))]
        inverse = _undo(order, group)
    merged = np.bincount(inverse, weights=weights, minlength=len(first))
    weights = None if np.all(merged == 1.0) else merged
    return take_rows(blocks, first), Y[first], weights


def _undo(order, values):
    """``values`` given in the order ``order``, back in the original order."""
    out = np.empty_like(values)
    out[order] = values
    return out


def split_rows(strata, fraction, rng):
    """Return ``(train, val)`` indices holding out ``fraction`` of each stratum's rows.

    Each stratum (class) holds out ``round(fraction * size)`` of its rows, at
    most ``size - 1``, so every class keeps a training row; ``val`` is empty
    when that holds out nothing.

    Parameters
    ----------
    strata : ndarray of shape (n,) of int
    fraction : float in (0, 1)
    rng : numpy.random.RandomState
    """
    held_out = []
    for stratum in np.unique(strata):
        rows = np.flatnonzero(strata == stratum)
        n_val = min(int(np.floor(fraction * len(rows) + 0.5)), len(rows) - 1)
        if n_val > 0:
            held_out.append(rng.permutation(rows)[:n_val])
    is_val = np.zeros(len(strata), dtype=bool)
    if held_out:
        is_val[np.concatenate(held_out)] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def predictor(architecture, theta):
    """Return a float64 network of ``architecture`` holding the parameters ``theta``.

    Predictions run in float64 whatever the training precision: a row's
    prediction then does not depend on the other rows of the batch (float32
    matrix products round differently for different batch shapes).
    """
    network = TabularNetwork(dataclasses.replace(architecture, dtype=np.float64))
    network.theta[...] = theta
    return network


def checked_hidden_layer_sizes(sizes) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints, or a clear ValueError.

    The dense estimators' check (:mod:`sk_scratchnet._network`), plus at least one
    hidden layer: the recipe's scaling layer and dropout act on hidden units.
    """
    hidden = _checked_hidden_layer_sizes(sizes)
    if not hidden:
        raise ValueError(
            f"hidden_layer_sizes must be one or more positive integers, got {hidden}."
        )
    return tuple(hidden)


class _EpochReporter:
    """Report a fit and its epochs to ``verbose`` and scikit-learn's callbacks.

    One task per ``fit`` and one subtask per epoch, so that ``ProgressBar``
    draws a bar over the epochs, ``ScoringMonitor`` scores the model after
    every epoch (through a copy of the estimator with the epoch's parameters),
    and a callback stops training by returning ``True``.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs, fitted_state):
        self.verbose = estimator.verbose
        self.max_epochs = max_epochs
        self.fitted_state = fitted_state
        self.context = estimator._init_callback_context(max_subtasks=max_epochs)
        self.active = bool(getattr(estimator, "_skl_callbacks", None))
        self.kwargs = {
            "estimator": estimator,
            "X": X,
            "y": y,
            "metadata": {}
            if sample_weight is None
            else {"sample_weight": sample_weight},
        }
        self._epoch = None
        if self.active:
            self.context.call_on_fit_task_begin(**self.kwargs)
            self._begin_epoch()

    def _begin_epoch(self):
        self._epoch = self.context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(**self.kwargs)

    def on_epoch(self, epoch, loss, val_score, theta):
        """Report the end of epoch ``epoch`` (1-based); return True to stop."""
        if self.verbose:
            line = f"Epoch {epoch}/{self.max_epochs}, loss = {loss:.6f}"
            if val_score is not None:
                line += f", validation score = {val_score:.6f}"
            print(line)
        if not self.active:
            return False
        stop = bool(
            self._epoch.call_on_fit_task_end(
                **self.kwargs,
                reconstruction_attributes=lambda: self.fitted_state(theta.copy()),
            )
        )
        self._epoch = None
        if not stop and epoch < self.max_epochs:
            self._begin_epoch()
        return stop

    def fit_end(self):
        """Close the root task: the estimator is fitted as it stands."""
        if self.active:
            self.context.call_on_fit_task_end(
                **self.kwargs, reconstruction_attributes={}
            )


class _TabularBase(CallbackSupportMixin, BaseEstimator):
    """Parameters, fitting and raw prediction shared by the two tabular MLPs.

    Not for direct use: see :class:`~sk_scratchnet.TabularMLPClassifier` and
    :class:`~sk_scratchnet.TabularMLPRegressor` for the parameters.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "parametric_activation": ["boolean"],
        "numeric_embedding": [StrOptions({"pbld"}), None],
        "n_frequencies": [Interval(Integral, 1, None, closed="left")],
        "frequency_scale": [Interval(Real, 0, None, closed="neither")],
        "numeric_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "max_one_hot": [Interval(Integral, 0, None, closed="left")],
        "categorical_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "robust_scale": ["boolean"],
        "smooth_clip": ["boolean"],
        "clip_scale": [Interval(Real, 0, None, closed="neither")],
        "missing_indicators": ["boolean"],
        "scale_one_hot": ["boolean"],
        "feature_scaling": ["boolean"],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "weight_decay_schedule": [StrOptions(set(SCHEDULES))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout_schedule": [StrOptions(set(SCHEDULES))],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "dtype": [StrOptions({"float32", "float64"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # The loss the network is trained on (TrainSettings.loss).
    _loss = None

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        parametric_activation,
        numeric_embedding,
        n_frequencies,
        frequency_scale,
        numeric_embedding_dim,
        categorical_features,
        max_one_hot,
        categorical_embedding_dim,
        robust_scale,
        smooth_clip,
        clip_scale,
        missing_indicators,
        scale_one_hot,
        feature_scaling,
        learning_rate,
        lr_schedule,
        beta_1,
        beta_2,
        epsilon,
        weight_decay,
        weight_decay_schedule,
        dropout,
        dropout_schedule,
        batch_size,
        max_epochs,
        validation_fraction,
        dtype,
        random_state,
        verbose,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.parametric_activation = parametric_activation
        self.numeric_embedding = numeric_embedding
        self.n_frequencies = n_frequencies
        self.frequency_scale = frequency_scale
        self.numeric_embedding_dim = numeric_embedding_dim
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.categorical_embedding_dim = categorical_embedding_dim
        self.robust_scale = robust_scale
        self.smooth_clip = smooth_clip
        self.clip_scale = clip_scale
        self.missing_indicators = missing_indicators
        self.scale_one_hot = scale_one_hot
        self.feature_scaling = feature_scaling
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.weight_decay_schedule = weight_decay_schedule
        self.dropout = dropout
        self.dropout_schedule = dropout_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------- parameter validation
    @classmethod
    def _get_param_names(cls):
        """Return the sorted parameter names of ``cls.__init__``, cached per class."""
        return param_names(cls, super()._get_param_names)

    def _validate_params(self):
        """Check the parameters against ``_parameter_constraints`` (memoised)."""
        validate_params(self)

    def __getattr__(self, name):
        """Explain the methods these models do not have."""
        if name == "partial_fit":
            raise AttributeError(
                f"{type(self).__name__} has no partial_fit: its learning-rate, "
                "dropout and weight-decay schedules run over the max_epochs of one "
                "fit, and its preprocessing is fitted once on the whole training "
                "set. Refit on all the data, or use ScratchMLPClassifier / "
                "ScratchMLPRegressor for incremental learning."
            )
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    # ------------------------------------------------------- subclass contract
    def _targets(self, y, n_rows):
        """Validate ``y``; return ``(y, Y, attributes)``.

        ``y`` checked (1-D, or 2-D for several outputs), ``Y`` the (n, n_outputs)
        float64 targets of the network before any scaling, and the fitted
        attributes that describe the targets (``classes_``, ``n_outputs_``).
        """
        raise NotImplementedError

    def _strata(self, Y):
        """Int labels to stratify the validation split by, or ``None``."""
        return None

    def _row_weights(self, sample_weight, y, attributes, n_rows):
        """Per-row training weights (``None`` when every row counts the same)."""
        if sample_weight is None:
            return None
        weights = check_weights(sample_weight, n_rows, np.float64)
        if not weights.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        return weights

    def _target_attributes(self, Y, Y_train, w_train):
        """Fitted attributes of the targets' scaling and range (none here).

        ``Y`` holds the targets of every positive-weight row, ``Y_train`` (with
        weights ``w_train``) those the network trains on.
        """
        return {}

    def _network_targets(self, Y, attributes):
        """Return the network's targets of ``Y`` under the fitted scaling."""
        return Y

    def _label_smoothing(self):
        return 0.0

    # ------------------------------------------------------------------ fitting
    def _fit(self, X, y, sample_weight):
        saved = {k: self.__dict__[k] for k in _INPUT_ATTRIBUTES if k in self.__dict__}
        try:
            fitted, reporter = self._fit_unguarded(X, y, sample_weight)
        except BaseException:
            for key in _INPUT_ATTRIBUTES:
                self.__dict__.pop(key, None)
            self.__dict__.update(saved)
            raise
        # Every fitted attribute, in one step.
        self.__dict__.update(fitted)
        reporter.fit_end()
        return self

    def _fit_unguarded(self, X_given, y_given, sample_weight):
        hidden = checked_hidden_layer_sizes(self.hidden_layer_sizes)
        X = self._validated_X(X_given, reset=True)
        n_rows = X.shape[0]
        if y_given is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y, Y, fitted = self._targets(y_given, n_rows)
        weights = self._row_weights(sample_weight, y, fitted, n_rows)
        preprocessor = self._make_preprocessor().fit(X, sample_weight=weights)
        blocks = preprocessor.transform(X)
        if weights is not None and not np.all(weights > 0):
            # A zero weight removes the row (the preprocessor ignores it too).
            kept = np.flatnonzero(weights > 0)
            blocks, Y, weights = take_rows(blocks, kept), Y[kept], weights[kept]
        blocks, Y, weights = merge_duplicates(blocks, Y, weights)
        rng = check_random_state(self.random_state)
        train, val = self._split(Y, rng)
        w_train = None if weights is None else weights[train]
        fitted.update(self._target_attributes(Y, Y[train], w_train))
        train_data = TrainData(
            blocks=take_rows(blocks, train),
            Y=self._network_targets(Y[train], fitted),
            sample_weight=w_train,
        )
        val_data = None
        if len(val):
            val_data = TrainData(
                blocks=take_rows(blocks, val),
                Y=self._network_targets(Y[val], fitted),
                sample_weight=None if weights is None else weights[val],
            )
        architecture = self._architecture(blocks, Y.shape[1], hidden)
        network = build_network(architecture, train_data.blocks, rng)
        fitted["preprocessor_"] = preprocessor

        def fitted_state(theta):
            network_ = predictor(architecture, theta)
            return {**fitted, "network_": network_, "params_": theta}

        reporter = _EpochReporter(
            self, X_given, y_given, sample_weight, self.max_epochs, fitted_state
        )
        result = train_network(
            network,
            train_data,
            val_data,
            self._train_settings(),
            rng,
            on_epoch=reporter.on_epoch,
        )
        fitted.update(
            network_=predictor(architecture, result.theta),
            params_=result.theta,
            n_iter_=result.n_epochs,
            best_epoch_=result.best_epoch,
            loss_curve_=list(result.loss_curve),
            validation_scores_=None
            if result.validation_curve is None
            else list(result.validation_curve),
            is_categorical_=np.asarray(preprocessor.is_categorical_, dtype=bool),
        )
        return fitted, reporter

    def _split(self, Y, rng):
        """Training and validation rows of the merged data."""
        n = Y.shape[0]
        if self.validation_fraction is None:
            return np.arange(n), np.arange(0)
        strata = self._strata(Y)
        groups = np.zeros(n, dtype=np.intp) if strata is None else strata
        train, val = split_rows(groups, self.validation_fraction, rng)
        if len(val) < MIN_VALIDATION_ROWS:
            return np.arange(n), np.arange(0)
        return train, val

    def _make_preprocessor(self):
        return TabularPreprocessor(
            categorical_features=self.categorical_features,
            max_one_hot=self.max_one_hot,
            clip_scale=self.clip_scale,
            robust_scale=self.robust_scale,
            smooth_clip=self.smooth_clip,
            missing_indicators=self.missing_indicators,
            scale_one_hot=self.scale_one_hot,
        )

    def _architecture(self, blocks, n_outputs, hidden):
        return TabularArchitecture(
            n_numeric=blocks.numeric.shape[1],
            n_flags=blocks.flags.shape[1],
            cardinalities=tuple(blocks.cardinalities),
            n_outputs=n_outputs,
            hidden_layer_sizes=hidden,
            activation=self.activation,
            parametric_activation=self.parametric_activation,
            numeric_embedding=self.numeric_embedding,
            n_frequencies=self.n_frequencies,
            frequency_scale=self.frequency_scale,
            numeric_embedding_dim=self.numeric_embedding_dim,
            categorical_embedding_dim=self.categorical_embedding_dim,
            feature_scaling=self.feature_scaling,
            dtype=np.dtype(self.dtype).type,
        )

    def _train_settings(self):
        return TrainSettings(
            loss=self._loss,
            learning_rate=self.learning_rate,
            lr_schedule=self.lr_schedule,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            weight_decay=self.weight_decay,
            weight_decay_schedule=self.weight_decay_schedule,
            dropout=self.dropout,
            dropout_schedule=self.dropout_schedule,
            label_smoothing=self._label_smoothing(),
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
        )

    # ------------------------------------------------------------ input checks
    def _validated_X(self, X, *, reset):
        """``X`` checked for shape, feature names and type; never copied needlessly.

        A dataframe is handed to the preprocessor as it is (its column types
        decide which features are categorical) after scikit-learn's checks of
        the number and the names of the columns; anything else becomes a
        numeric array (NaN allowed, infinity not).
        """
        name = type(self).__name__
        if sparse.issparse(X):
            raise TypeError(
                f"{name} does not accept sparse input: its preprocessing needs the "
                "dense columns (use X.toarray(), or a DataFrame)."
            )
        if not _is_dataframe(X):
            return validate_data(
                self, X, reset=reset, dtype="numeric", ensure_all_finite="allow-nan"
            )
        n_rows, n_columns = X.shape
        if n_rows == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                f"of 1 is required by {name}."
            )
        if n_columns == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                f"of 1 is required by {name}."
            )
        validate_data(self, X, reset=reset, skip_check_array=True)
        return X

    # --------------------------------------------------------------- predicting
    def _scores(self, X):
        """Return the raw scores of ``X``: float64, shape (n_samples, n_outputs)."""
        check_is_fitted(self, "params_")
        X = self._validated_X(X, reset=False)
        blocks = self.preprocessor_.transform(X)
        return predict_scores(self.network_, self.network_.theta, blocks)

    def __sklearn_tags__(self):
        """Declare missing-value support (imputed inside the model)."""
        tags = super().__sklearn_tags__()
        # NaN is imputed (median and a missing indicator, or a category of its
        # own). Categorical and string columns are recognised from a
        # DataFrame's dtypes, as HistGradientBoosting* does; a NumPy array is
        # numeric, so the categorical/string input tags (which describe arrays
        # for scikit-learn's checks) stay off.
        tags.input_tags.allow_nan = True
        return tags
