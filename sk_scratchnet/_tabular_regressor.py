r"""TabularMLPRegressor: standardised targets, clipped predictions, several outputs.

The shared machinery (parameters, input checks, weighted rows, the validation
split, callbacks) is in :mod:`sk_scratchnet._tabular_base`; this module
standardises the targets for the network and maps its scores back.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils.validation import column_or_1d

from sk_scratchnet._callbacks import with_callbacks
from sk_scratchnet._tabular_base import (
    ONNX_UNSUPPORTED,
    _TabularBase,
    as_target_array,
    missing_mask,
)


class TabularMLPRegressor(RegressorMixin, _TabularBase):
    r"""MLP regressor for tables, accurate by default, written from scratch in NumPy.

    A multilayer perceptron with the preprocessing, layers and training
    schedule of RealMLP-TD [1]_, so that its default parameters already
    compete with gradient boosting on real tables.  ``fit`` takes a pandas
    DataFrame with numeric, boolean, categorical and string columns and missing
    values, or a numeric array, and one or several real-valued targets; every
    piece of the recipe is a parameter that can be switched off or tuned (see
    Notes).  It is not a drop-in for
    :class:`~sklearn.neural_network.MLPRegressor` (that is
    :class:`~sk_scratchnet.ScratchMLPRegressor`).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(256, 256, 256)
        Width of each hidden layer.

    activation : {'mish', 'selu', 'relu', ...}, default='mish'
        Hidden activation :math:`f` (the names of
        ``sk_scratchnet._tabular_network.ACTIVATIONS``).

    parametric_activation : bool, default=True
        Use :math:`x + \alpha (f(x) - x)` with a learned :math:`\alpha` per unit,
        initialised to 1 (so training starts from :math:`f`).

    numeric_embedding : {'pbld'} or None, default='pbld'
        Embed each numeric column as
        ``[x, linear(cos(2 pi w x + b))]`` with ``n_frequencies`` learned
        frequencies ``w`` and phases ``b`` and a learned linear map to
        ``numeric_embedding_dim`` values; ``None`` feeds the scaled values as
        they are.

    n_frequencies : int, default=16
        Number of frequencies per numeric column of the ``'pbld'`` embedding.

    frequency_scale : float, default=0.1
        Standard deviation of the initial frequencies ``w``.

    numeric_embedding_dim : int, default=3
        Output size of the ``'pbld'`` embedding's linear map (the raw value is
        appended).

    categorical_features : 'from_dtype', array-like or None, default='from_dtype'
        Which columns are categorical: ``'from_dtype'`` takes the DataFrame
        columns of categorical, string, object or boolean dtype; or give
        column indices, names, or a boolean mask (as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`); ``None``
        treats every column as numeric.

    max_one_hot : int, default=9
        A categorical column with at most this many codes (its
        missing/unknown slot counted) is one-hot encoded; a larger one gets a
        learned embedding.

    categorical_embedding_dim : int, default=8
        Size of the learned embedding of a large categorical column.

    robust_scale : bool, default=True
        Centre numeric columns on their median and divide by the interquartile
        range (falling back to ``(max - min) / 2``; a constant column becomes
        0).  If False they are only centred and imputed.

    smooth_clip : bool, default=True
        Apply :math:`x / \sqrt{1 + (x / c)^2}` with ``c = clip_scale`` after
        scaling, so that outliers stay within about :math:`\pm c`.

    clip_scale : float, default=3.0
        The scale ``c`` of the smooth clipping.

    missing_indicators : bool, default=True
        Add a 0/1 column per numeric column that has missing values in ``fit``
        (its values are imputed by the median either way).

    scale_one_hot : bool, default=True
        Centre, scale and smoothly clip the one-hot columns like the numeric
        ones (as the authors' code does).

    feature_scaling : bool, default=True
        A learned scale per network input (initialised to 1) before the first
        linear layer.

    learning_rate : float, default=0.2
        Peak learning rate of Adam.

    lr_schedule : {'coslog4', 'flat_cos', 'cosine', 'constant'}, default='coslog4'
        Learning-rate schedule over the training progress ``t`` in [0, 1];
        ``'coslog4'`` is :math:`\frac12 (1 - \cos(2 \pi \log_2(1 + 15 t)))`.

    beta_1, beta_2 : float, default=0.9, 0.95
        Adam's decay rates of the first and second moments.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    weight_decay : float, default=0.02
        Decoupled weight decay of the weights (not the biases), per step
        scaled by the learning rate.

    weight_decay_schedule : str, default='flat_cos'
        Schedule of the weight decay (names as ``lr_schedule``).

    dropout : float, default=0.15
        Dropout rate of the hidden layers during training.

    dropout_schedule : str, default='flat_cos'
        Schedule of the dropout rate (names as ``lr_schedule``).

    batch_size : int, default=256
        Rows per mini-batch (all rows when there are fewer).

    max_epochs : int, default=256
        Number of epochs; the schedules run over them.

    validation_fraction : float or None, default=0.2
        Share of the training rows held out to pick the epoch whose
        parameters are kept: the last epoch with the lowest validation RMSE.
        ``None`` trains on all rows and keeps the last epoch, as does a split
        that would hold out fewer than 50 rows (fewer than about 250 rows in
        all): on fewer rows the validation error is too noisy to choose by.

    clip_predictions : bool, default=True
        Clip each predicted output to the range of its training targets.

    dtype : {'float32', 'float64'}, default='float32'
        Precision of the network's parameters and computations.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, shuffling and dropout.

    verbose : bool or int, default=False
        Print the training loss (and the validation score) after every epoch.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (n_outputs_,)
        Mean and standard deviation (1 for a constant target) of the training
        targets; the network learns ``(y - target_mean_) / target_scale_``.
    target_min_, target_max_ : ndarray of shape (n_outputs_,)
        Range of the training targets (predictions are clipped to it when
        ``clip_predictions=True``).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit`` (when they are all strings).
    is_categorical_ : ndarray of shape (n_features_in_,), dtype=bool
        Which features were treated as categorical.
    preprocessor_ : TabularPreprocessor
        The fitted preprocessing (scaling, clipping, imputation, categories).
    network_ : TabularNetwork
        The network that predicts: the layers with the kept parameters, in
        float64 (so that a row's prediction does not depend on the batch).
    params_ : ndarray of shape (n_params,)
        The kept parameters (those of epoch ``best_epoch_``), in ``dtype``.
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        The epoch whose parameters were kept.
    loss_curve_ : list of float
        Training loss (on the standardised targets) after each epoch.
    validation_scores_ : list of float or None
        Validation RMSE (weighted, on the standardised targets) after each
        epoch, lower is better (``None`` without validation).

    See Also
    --------
    TabularMLPClassifier : The same recipe for classification.
    ScratchMLPRegressor : A drop-in for scikit-learn's MLPRegressor.
    sklearn.ensemble.HistGradientBoostingRegressor : Gradient boosting.

    Notes
    -----
    The model is, for a row :math:`x` with numeric part :math:`x_{num}` and
    categorical codes :math:`c`:

    .. math::
        z = [\mathrm{pbld}(s(x_{num})), \mathrm{onehot}(c_{small}),
        E[c_{large}]] \odot d, \qquad
        h_l = g_l(h_{l-1} W_l / \sqrt{n_{l-1}} + b_l), \qquad
        \hat y = \mu + \sigma (h_L W / \sqrt{n_L} + b)

    with :math:`s` the robust scaling and smooth clipping, :math:`d` the
    learned feature scaling, :math:`g_l` the (parametric) activations and
    :math:`\mu, \sigma` the targets' mean and standard deviation; trained
    with Adam on the squared error of the standardised targets under the
    schedules above.  The user guide's "Tabular data" page derives every
    backward pass.  Where pytabkit's code (the authors' implementation) and the
    paper differ, this follows the code.

    Missing values: a numeric NaN is imputed by the column's median and flagged
    in an indicator column; a missing categorical value is a category of its
    own.  A category not seen in ``fit`` is treated at predict time as a
    missing value.  A missing, extra or reordered column at predict time is an
    error.

    Sample weights count as repetitions: fitting with an integer weight gives
    the model that repeating the row gives.  Rows that are identical after
    preprocessing and have the same targets are trained on as one weighted
    row.

    Not supported: ``partial_fit`` and ``warm_start`` (the schedules run over
    one fit), sparse input, and ONNX export (:func:`~sk_scratchnet.to_onnx`
    raises a ``TypeError``).

    References
    ----------
    .. [1] Holzmüller, D., Grinsztajn, L. and Steinwart, I. (2024). Better by
       Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data.
       NeurIPS.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from sk_scratchnet import TabularMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = TabularMLPRegressor(max_epochs=32, random_state=0)
    >>> reg = reg.fit(X_train, y_train)
    >>> reg.predict(X_test[:2]).shape
    (2,)
    >>> bool(reg.score(X_test, y_test) > 0.3)
    True
    """

    _parameter_constraints: dict = {
        **_TabularBase._parameter_constraints,
        "clip_predictions": ["boolean"],
    }
    _loss = "squared_error"
    _onnx_unsupported = ONNX_UNSUPPORTED.format(name="TabularMLPRegressor")

    def __init__(
        self,
        hidden_layer_sizes=(256, 256, 256),
        activation="mish",
        *,
        parametric_activation=True,
        numeric_embedding="pbld",
        n_frequencies=16,
        frequency_scale=0.1,
        numeric_embedding_dim=3,
        categorical_features="from_dtype",
        max_one_hot=9,
        categorical_embedding_dim=8,
        robust_scale=True,
        smooth_clip=True,
        clip_scale=3.0,
        missing_indicators=True,
        scale_one_hot=True,
        feature_scaling=True,
        learning_rate=0.2,
        lr_schedule="coslog4",
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        weight_decay=0.02,
        weight_decay_schedule="flat_cos",
        dropout=0.15,
        dropout_schedule="flat_cos",
        batch_size=256,
        max_epochs=256,
        validation_fraction=0.2,
        clip_predictions=True,
        dtype="float32",
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            parametric_activation=parametric_activation,
            numeric_embedding=numeric_embedding,
            n_frequencies=n_frequencies,
            frequency_scale=frequency_scale,
            numeric_embedding_dim=numeric_embedding_dim,
            categorical_features=categorical_features,
            max_one_hot=max_one_hot,
            categorical_embedding_dim=categorical_embedding_dim,
            robust_scale=robust_scale,
            smooth_clip=smooth_clip,
            clip_scale=clip_scale,
            missing_indicators=missing_indicators,
            scale_one_hot=scale_one_hot,
            feature_scaling=feature_scaling,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            weight_decay=weight_decay,
            weight_decay_schedule=weight_decay_schedule,
            dropout=dropout,
            dropout_schedule=dropout_schedule,
            batch_size=batch_size,
            max_epochs=max_epochs,
            validation_fraction=validation_fraction,
            dtype=dtype,
            random_state=random_state,
            verbose=verbose,
        )
        self.clip_predictions = clip_predictions

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the table ``X`` and the targets ``y``.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table: a pandas DataFrame with numeric, boolean,
            categorical and string columns (missing values allowed), or a
            numeric array (NaN allowed).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Real-valued targets (no missing value).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight counts as that many
            repetitions of the row.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    # ------------------------------------------------------------------ targets
    def _targets(self, y, n_rows):
        y = as_target_array(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
            raise ValueError(
                "y must be 1-D (one target) or 2-D (one column per target), got "
                f"shape {y.shape}."
            )
        if y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but y has {y.shape[0]}; they must have the "
                "same number of samples."
            )
        missing = missing_mask(y)
        if missing.any():
            raise ValueError(
                f"y has {int(missing.sum())} missing value(s) (NaN or None); every "
                "sample needs a target: drop those rows or fill them in."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"y must be numeric; got values of dtype {y.dtype} that are "
                    f"not numbers ({exc})."
                ) from exc
        Y = np.array(y, dtype=np.float64).reshape(n_rows, -1)
        if not np.isfinite(Y).all():
            raise ValueError("y contains infinity or values too large for float64.")
        return y, Y, {"n_outputs_": Y.shape[1]}

    def _target_attributes(self, Y, Y_train, w_train):
        mean = np.average(Y_train, axis=0, weights=w_train)
        std = np.sqrt(np.average((Y_train - mean) ** 2, axis=0, weights=w_train))
        # A constant target is learnt as 0 (its mean); it needs no scale.
        scale = np.where(std > 0, std, 1.0)
        return {
            "target_mean_": mean,
            "target_scale_": scale,
            "target_min_": Y.min(axis=0),
            "target_max_": Y.max(axis=0),
        }

    def _network_targets(self, Y, attributes):
        return (Y - attributes["target_mean_"]) / attributes["target_scale_"]

    # --------------------------------------------------------------- predicting
    def predict(self, X):
        """Predict the targets.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table, with the columns seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions (1-D for a single target), clipped to the range of
            the training targets when ``clip_predictions=True``.
        """
        scores = self._scores(X)
        y = scores * self.target_scale_ + self.target_mean_
        if self.clip_predictions:
            y = np.clip(y, self.target_min_, self.target_max_)
        return y[:, 0] if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        """Declare several-output support (missing values: see the base class)."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
