r"""TabularMLPClassifier: class labels, class weights and probabilities.

The shared machinery (parameters, input checks, weighted rows, the validation
split, callbacks) is in :mod:`sk_scratchnet._tabular_base`; this module turns
class labels into one-hot targets and raw scores into probabilities.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import column_or_1d

from sk_scratchnet._callbacks import with_callbacks
from sk_scratchnet._checks import check_weighted_classes, checked_target_type
from sk_scratchnet._losses import log_softmax
from sk_scratchnet._tabular_base import (
    ONNX_UNSUPPORTED,
    _TabularBase,
    as_target_array,
    missing_mask,
)


class TabularMLPClassifier(ClassifierMixin, _TabularBase):
    r"""MLP classifier for tables, accurate by default, written from scratch in NumPy.

    A multilayer perceptron with the preprocessing, layers and training
    schedule of RealMLP-TD [1]_, so that its default parameters already
    compete with gradient boosting on real tables.  ``fit`` takes a pandas
    DataFrame with numeric, boolean, categorical and string columns and missing
    values, or a numeric array; every piece of the recipe is a parameter that
    can be switched off or tuned (see Notes).  It is not a drop-in for
    :class:`~sklearn.neural_network.MLPClassifier` (that is
    :class:`~sk_scratchnet.ScratchMLPClassifier`).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(256, 256, 256)
        Width of each hidden layer.

    activation : {'selu', 'mish', 'relu', ...}, default='selu'
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

    learning_rate : float, default=0.04
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

    label_smoothing : float, default=0.1
        Train on targets :math:`(1 - \epsilon) Y + \epsilon / K` instead of
        the one-hot :math:`Y` (:math:`K` classes).

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; ``'balanced'`` gives class
        ``c`` the weight ``total / (n_classes * total_c)`` (totals are sums of
        sample weights, or row counts).  Multiplied with ``sample_weight``.

    batch_size : int, default=256
        Rows per mini-batch (all rows when there are fewer).

    max_epochs : int, default=256
        Number of epochs; the schedules run over them.

    validation_fraction : float or None, default=0.2
        Share of the training rows held out (stratified by class) to pick the
        epoch whose parameters are kept: the last epoch with the lowest
        validation error.  ``None`` trains on all rows and keeps the last
        epoch.  Each class holds out ``round(validation_fraction * n_c)`` of
        its ``n_c`` distinct rows and keeps at least one for training.  When
        that holds out fewer than 50 rows (fewer than about 250 rows in all),
        the validation error is too noisy to choose by: training uses every
        row and keeps the last epoch.

    dtype : {'float32', 'float64'}, default='float32'
        Precision of the network's parameters and computations.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, shuffling and dropout.

    verbose : bool or int, default=False
        Print the training loss (and the validation score) after every epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
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
        Training loss after each epoch.
    validation_scores_ : list of float or None
        Validation error (1 - weighted accuracy) after each epoch, lower is
        better (``None`` without validation).

    See Also
    --------
    TabularMLPRegressor : The same recipe for regression.
    ScratchMLPClassifier : A drop-in for scikit-learn's MLPClassifier.
    sklearn.ensemble.HistGradientBoostingClassifier : Gradient boosting.

    Notes
    -----
    The model is, for a row :math:`x` with numeric part :math:`x_{num}` and
    categorical codes :math:`c`:

    .. math::
        z = [\mathrm{pbld}(s(x_{num})), \mathrm{onehot}(c_{small}),
        E[c_{large}]] \odot d, \qquad
        h_l = g_l(h_{l-1} W_l / \sqrt{n_{l-1}} + b_l), \qquad
        p = \mathrm{softmax}(h_L W / \sqrt{n_L} + b)

    with :math:`s` the robust scaling and smooth clipping, :math:`d` the
    learned feature scaling, and :math:`g_l` the (parametric) activations;
    trained with Adam on the label-smoothed cross-entropy under the schedules
    above.  The user guide's "Tabular data" page derives every backward pass.
    Where pytabkit's code (the authors' implementation) and the paper differ,
    this follows the code.

    Missing values: a numeric NaN is imputed by the column's median and flagged
    in an indicator column; a missing categorical value is a category of its
    own.  A category not seen in ``fit`` is treated at predict time as a
    missing value.  A missing, extra or reordered column at predict time is an
    error.

    Sample weights count as repetitions: fitting with an integer weight gives
    the model that repeating the row gives.  Rows that are identical after
    preprocessing and have the same label are trained on as one weighted row.

    Not supported: ``partial_fit`` and ``warm_start`` (the schedules run over
    one fit), sparse input, multi-output and multilabel targets, and ONNX
    export (:func:`~sk_scratchnet.to_onnx` raises a ``TypeError``).

    References
    ----------
    .. [1] Holzmüller, D., Grinsztajn, L. and Steinwart, I. (2024). Better by
       Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data.
       NeurIPS.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sk_scratchnet import TabularMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = TabularMLPClassifier(max_epochs=32, random_state=0)
    >>> clf = clf.fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:2]).shape
    (2, 2)
    >>> bool(clf.score(X_test, y_test) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **_TabularBase._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _loss = "softmax_cross_entropy"
    _onnx_unsupported = ONNX_UNSUPPORTED.format(name="TabularMLPClassifier")

    def __init__(
        self,
        hidden_layer_sizes=(256, 256, 256),
        activation="selu",
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
        learning_rate=0.04,
        lr_schedule="coslog4",
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        weight_decay=0.02,
        weight_decay_schedule="flat_cos",
        dropout=0.15,
        dropout_schedule="flat_cos",
        label_smoothing=0.1,
        class_weight=None,
        batch_size=256,
        max_epochs=256,
        validation_fraction=0.2,
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
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the table ``X`` and the class labels ``y``.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table: a pandas DataFrame with numeric, boolean,
            categorical and string columns (missing values allowed), or a
            numeric array (NaN allowed).
        y : array-like of shape (n_samples,)
            Class labels (numbers, strings or booleans; no missing value).
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
        if y.ndim != 1:
            raise ValueError(
                "TabularMLPClassifier needs 1-D class labels (one target column); "
                f"got y of shape {y.shape}. Multi-output and multilabel targets "
                "are not supported."
            )
        if y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but y has {y.shape[0]}; they must have the "
                "same number of samples."
            )
        missing = missing_mask(y)
        if missing.any():
            raise ValueError(
                f"y has {int(missing.sum())} missing label(s) (NaN or None), "
                f"first at row {int(np.argmax(missing))}; every sample needs a "
                "class label: drop those rows or fill them in."
            )
        if y.dtype.kind == "f" and np.isinf(y).any():
            raise ValueError(
                "y contains infinity; class labels must be finite numbers, "
                "strings or booleans."
            )
        checked_target_type(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes.tolist()!r}); a classifier needs "
                "samples of at least 2 classes."
            )
        Y = np.zeros((n_rows, len(classes)))
        Y[np.arange(n_rows), codes.ravel()] = 1.0
        return y, Y, {"classes_": classes}

    def _strata(self, Y):
        return np.argmax(Y, axis=1)

    def _row_weights(self, sample_weight, y, attributes, n_rows):
        weights = super()._row_weights(sample_weight, y, attributes, n_rows)
        classes = attributes["classes_"]
        codes = np.searchsorted(classes, y)
        if self.class_weight is not None:
            per_class = self._class_weights(classes, codes, weights)
            weights = (
                per_class[codes] if weights is None else weights * per_class[codes]
            )
            if not weights.any():
                raise ValueError(
                    "Sample weights must contain at least one non-zero number "
                    "(after applying class_weight)."
                )
        if weights is not None:
            check_weighted_classes(classes[codes], weights)
        return weights

    def _class_weights(self, classes, codes, sample_weight):
        """Per-class factors from ``class_weight``, as an array over ``classes``."""
        if self.class_weight == "balanced":
            totals = np.bincount(codes, weights=sample_weight, minlength=len(classes))
            seen = totals > 0
            per_class = np.zeros(len(classes))
            per_class[seen] = totals.sum() / (seen.sum() * totals[seen])
            return per_class
        known = set(classes.tolist())
        unknown = [c for c in self.class_weight if c not in known]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not classes of y "
                f"({classes.tolist()})."
            )
        return np.array([float(self.class_weight.get(c, 1.0)) for c in classes])

    def _label_smoothing(self):
        return float(self.label_smoothing)

    # --------------------------------------------------------------- predicting
    def predict_log_proba(self, X):
        """Predict the log-probabilities of the classes (finite for every row).

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table, with the columns seen in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns ordered as ``classes_``.
        """
        return log_softmax(self._scores(X))

    def predict_proba(self, X):
        """Predict the probabilities of the classes.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table, with the columns seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax of the network's scores; columns ordered as ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {DataFrame, array-like} of shape (n_samples, n_features)
            The input table, with the columns seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The most probable class of each row.
        """
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]
