r"""ScratchMLPClassifier: labels, class weights and probabilities.

The shared estimator machinery (parameters, fitting and its one commit, raw
prediction) is in :mod:`sk_scratchnet._base`, the label codec (classes, class
weights, the validation set's targets and accuracy) in
:mod:`sk_scratchnet._labels`; this module holds the classifier's parameters and
turns raw scores into probabilities and labels.
"""

from __future__ import annotations

from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from sk_scratchnet._base import BaseScratchMLP, _is_stochastic
from sk_scratchnet._callbacks import with_callbacks
from sk_scratchnet._checks import check_weights
from sk_scratchnet._devices import numpy_dtype
from sk_scratchnet._inputs import validated_input, validated_X_y
from sk_scratchnet._labels import target_codec


class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    r"""Multi-layer perceptron classifier written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: the
    same parameters with the same defaults and meanings, the same fitted
    attributes, plus class weights, dropout, more activations, a user-supplied
    validation set with a validation-loss curve, and learning-rate schedules for
    Adam.  It minimises the (weighted) cross-entropy with an L2 penalty by
    mini-batch SGD, Adam or L-BFGS.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : str or list of str, default='relu'
        Activation of the hidden layers, one of ``'relu'``, ``'tanh'``,
        ``'logistic'``, ``'identity'``, ``'leaky_relu'``, ``'elu'``, ``'gelu'``,
        ``'softplus'``; a list gives one per hidden layer.

    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimizer: Adam, mini-batch SGD with momentum, or full-batch L-BFGS
        (``scipy.optimize.minimize(method="L-BFGS-B")``).

    alpha : float, default=1e-4
        Strength of the L2 penalty :math:`\frac{\alpha}{2 n}\sum\lVert W\rVert^2`
        (``n`` is the batch size, or the sum of sample weights, see Notes).

    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
        Learning-rate schedule for ``sgd`` and ``adam`` (``MLPClassifier`` applies
        it to ``sgd`` only): ``'invscaling'`` is
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the number of
        samples seen; ``'adaptive'`` divides the rate by 5 each time
        ``n_iter_no_change`` epochs pass without progress; ``'cosine'`` anneals it
        to 0 over ``max_iter`` epochs.

    learning_rate_init : float, default=1e-3
        Initial step size of ``sgd`` and ``adam``.

    power_t : float, default=0.5
        Exponent of ``'invscaling'``.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (``lbfgs``).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, shuffling and dropout.
        The same integer gives the same initial weights as ``MLPClassifier``.

    tol : float, default=1e-4
        Tolerance for the stopping criterion (for ``lbfgs``: ``gtol``).

    verbose : bool, default=False
        Print the loss after every epoch.

    warm_start : bool, default=False
        Continue from the previous solution on the next ``fit``.

    momentum : float, default=0.9
        Momentum of ``sgd``.

    nesterovs_momentum : bool, default=True
        Whether ``sgd`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) or use
        the ``X_val``/``y_val`` given to ``fit``, stop when the validation metric
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore
        the best weights.  Stochastic solvers only.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``lbfgs``.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; ``'balanced'`` gives class
        ``c`` the weight ``total / (n_classes * total_c)`` where the totals are sums
        of sample weights (row counts without them; accumulated over the calls in
        ``partial_fit``).  Multiplied with ``sample_weight``.

    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate of each hidden layer during training (one value
        for all, or one per hidden layer).  Predictions are deterministic.

    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation: Glorot-uniform as ``MLPClassifier``, or
        He-uniform (better for the ReLU family in deep networks).

    early_stopping_metric : {'accuracy', 'log_loss', 'loss'}, default='accuracy'
        What early stopping watches on the validation set: the accuracy
        (``MLPClassifier``'s rule) or the validation log-loss (``'loss'``, the
        regressor's spelling, or ``'log_loss'``: the same rule).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        Weight matrix of each layer.
    intercepts_ : list of ndarray of shape (fan_out,)
        Bias vector of each layer.
    loss_ : float
        Training loss (cross-entropy plus penalty) after the last epoch.
    best_loss_ : float or None
        Lowest training loss seen (``None`` with early stopping; stochastic
        solvers only).
    loss_curve_ : list of float
        Training loss after each epoch (stochastic solvers only).
    validation_scores_ : list of float or None
        Validation accuracy after each epoch (with early stopping or a validation
        set).
    validation_loss_curve_ : list of float or None
        Validation log-loss after each epoch (same condition).
    best_validation_score_ : float or None
        Best validation accuracy (with early stopping).
    best_validation_loss_ : float or None
        Lowest validation log-loss (with early stopping or a validation set).
    t_ : int
        Number of training samples seen by the solver.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during ``fit``, when ``X`` had string column names.
    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last ``fit``.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        ``'softmax'`` (multiclass) or ``'logistic'`` (binary, multilabel).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The reference implementation.
    sklearn.linear_model.SGDClassifier : Linear models trained by SGD.

    Notes
    -----
    The network follows the seed derivation (user guide, "How it works"):

    .. math::
        a_l = f(a_{l-1} W_l + b_l) \quad (1), \qquad
        \mathrm{score} = a_{L-1} W_L + b_L \quad (2), \qquad
        p = \mathrm{softmax}(\mathrm{score}) \quad (3)

    with the loss and its gradients

    .. math::
        L = -\tfrac{1}{n}\sum_i \log p_{i,y_i} \; (4), \quad
        \mathrm{dscore} = (p - Y)/n \; (5), \quad
        dW = a^T \mathrm{dscore},\; db = \textstyle\sum \mathrm{dscore} \; (6),
    .. math::
        da = \mathrm{dscore}\, W^T \; (7), \qquad dr = da \odot f'(\cdot) \; (8).

    Sample weights :math:`s_i` define one objective for the whole training set,
    :math:`\sum_i s_i L_i / \sum_i s_i + \frac{\alpha}{2\sum_i s_i}\lVert W
    \rVert^2`, i.e. a weight is a number of repetitions; each mini-batch ``B`` is
    an unbiased estimate of it, with rows scaled by
    :math:`s_i / (|B| \bar{s})`.  Without weights this is exactly
    ``MLPClassifier``'s objective.

    References
    ----------
    .. [1] Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of
       training deep feedforward neural networks. AISTATS.
    .. [2] Kingma, D. P. and Ba, J. (2014). Adam: A method for stochastic
       optimization. arXiv:1412.6980.
    .. [3] "Neural networks from scratch", the seed derivation of this package.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sk_scratchnet import ScratchMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = ScratchMLPClassifier(max_iter=300, random_state=0).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 10)
    >>> bool(clf.score(X_test, y_test) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "early_stopping_metric": [StrOptions({"accuracy", "log_loss", "loss"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        dropout=0.0,
        init="glorot",
        early_stopping_metric="accuracy",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            init=init,
            early_stopping_metric=early_stopping_metric,
        )
        self.class_weight = class_weight

    # ------------------------------------------------------------------ fitting
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a 0/1 indicator matrix for multilabel problems.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight counts as that many repetitions of the
            row (see Notes of the class).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            A validation set: monitored every epoch (``validation_scores_``,
            ``validation_loss_curve_``) and, with ``early_stopping=True``, used
            instead of the internal ``validation_fraction`` split.  Stochastic
            solvers only (``lbfgs`` warns and ignores it).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Labels of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, val=(X_val, y_val))

    @available_if(_is_stochastic)
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All the classes that may ever appear; required on the first call
            (except for multilabel indicator ``y``), checked against
            ``classes_`` afterwards.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ------------------------------------------------------------------ targets
    def _validate_targets(self, X, y, *, incremental, first_pass, call):
        X, y = validated_X_y(self, X, y, reset=first_pass)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        codec, Y = target_codec(
            y,
            fitted=self._labels if call.fitted else None,
            incremental=incremental,
            first_pass=first_pass,
            classes=call.classes,
            warm_start=self.warm_start,
        )
        return X, Y, y, codec

    @property
    def _labels(self):
        """The :class:`~sk_scratchnet._labels.LabelCodec` of the fitted classes."""
        return self._training_state.labels

    @property
    def _label_binarizer(self):
        """The fitted ``LabelBinarizer``, read-only, by ``MLPClassifier``'s name."""
        return self._labels.binarizer

    def _fitted_target_attributes(self, state):
        return {"classes_": state.labels.classes_}

    def _training_weights(self, sample_weight, X, y, labels, call):
        dtype = numpy_dtype(X.dtype)
        weights = None
        if sample_weight is not None:
            weights = check_weights(sample_weight, X.shape[0], dtype)
        return labels.training_weights(
            weights, y, self.class_weight, dtype,
            incremental=call.incremental, resume=call.fitted,
        )  # fmt: skip

    def _validation_targets(self, X_val, y_val, state):
        return state.labels.validation_targets(
            y_val, numpy_dtype(state.net.theta.dtype)
        )

    def _head(self, labels):
        return labels.head()

    def _validation_groups(self, y):
        # stratified by class; multilabel rows are not stratified
        return y if y.ndim == 1 else None

    def _validation_metric(self, y_val, w_val, state):
        return state.labels.accuracy_metric(y_val, w_val)

    # --------------------------------------------------------------- predicting
    def _n_proba_columns(self):
        return 2 if self.n_outputs_ == 1 else self.n_outputs_

    def predict(self, X):
        """Predict class labels (or the 0/1 indicator matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted classes.
        """
        X = validated_input(self, X, "predict")
        codec = self._labels
        return codec.labels_from_proba(self._proba(X, codec))

    def predict_proba(self, X):
        """Probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax (multiclass), ``[sigma(-z), sigma(z)]`` (binary) or one
            probability per label (multilabel); clipped to ``[tiny, 1 - eps/2]``
            so that ``log(proba)`` equals :meth:`predict_log_proba`.
        """
        X = validated_input(self, X, "predict_proba")
        return self._proba(X, self._labels)

    def _proba(self, X, codec):
        """Probabilities of validated ``X``."""
        return self._predict_rows(X, codec.proba_from_scores, self._n_proba_columns())

    def predict_log_proba(self, X):
        """Log of the probability estimates, finite for every input.

        Computed as log-softmax / log-sigmoid of the scores, never as
        ``log(predict_proba(X))``, so that it does not underflow to ``-inf``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The log-probabilities, columns ordered as ``classes_``.
        """
        X = validated_input(self, X, "predict_log_proba")
        codec = self._labels
        return self._predict_rows(
            X, lambda score: codec.proba_from_scores(score, log=True),
            self._n_proba_columns(),
        )  # fmt: skip

    def __sklearn_tags__(self):
        """Declare multilabel support (sparse input: see the base class)."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
