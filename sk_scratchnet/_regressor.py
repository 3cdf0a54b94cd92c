r"""ScratchMLPRegressor: real-valued targets, squared error or Poisson deviance.

The shared estimator machinery (parameters, fitting and its one commit, raw
prediction) is in :mod:`sk_scratchnet._base`; this module validates targets
and turns raw scores into predictions (identity, or ``exp`` for the Poisson
loss).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d

from sk_scratchnet._base import BaseScratchMLP, _is_stochastic
from sk_scratchnet._callbacks import with_callbacks
from sk_scratchnet._devices import numpy_dtype, to_host
from sk_scratchnet._heads import get_head
from sk_scratchnet._inputs import validated_input, validated_X_y


class ScratchMLPRegressor(RegressorMixin, BaseScratchMLP):
    r"""Multi-layer perceptron regressor written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: the
    same parameters with the same defaults and meanings, the same fitted
    attributes, plus dropout, more activations, He initialisation, a
    user-supplied validation set with a validation-loss curve, early stopping on
    the validation loss, and learning-rate schedules for Adam.  It minimises half
    the squared error (identity output) or the Poisson deviance (exponential
    output) with an L2 penalty, by mini-batch SGD, Adam or L-BFGS.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss: half the squared error summed over the outputs,
        :math:`\frac12\sum_j (z_j - y_j)^2`, with an identity output; or the
        Poisson deviance :math:`\sum_j y_j\log(y_j/\mu_j) - y_j + \mu_j` with
        :math:`\mu = e^z` (non-negative targets, e.g. counts or rates).

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
        (``n`` is the batch size, or the sum of sample weights).

    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
        Learning-rate schedule for ``sgd`` and ``adam`` (``MLPRegressor`` applies
        it to ``sgd`` only); see :class:`~sk_scratchnet.ScratchMLPClassifier`.

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
        The same integer gives the same initial weights as ``MLPRegressor``.

    tol : float, default=1e-4
        Tolerance for the stopping criterion (for ``lbfgs``: ``gtol``).  With
        several outputs it is compared with ``MLPRegressor``'s per-output loss of
        the epoch, so that training stops where ``MLPRegressor``'s does.

    verbose : bool, default=False
        Print the loss after every epoch.

    warm_start : bool, default=False
        Continue from the previous solution on the next ``fit``.

    momentum : float, default=0.9
        Momentum of ``sgd``.

    nesterovs_momentum : bool, default=True
        Whether ``sgd`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data or use the
        ``X_val``/``y_val`` given to ``fit``, stop when the validation metric has
        not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore the
        best weights.  Stochastic solvers only.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first moment estimates.

    beta_2 : float, default=0.999
        Decay rate of Adam's second moment estimates.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``lbfgs``.

    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate of each hidden layer during training (one value
        for all, or one per hidden layer).  Predictions are deterministic.

    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation: Glorot-uniform as ``MLPRegressor``, or He-uniform.

    early_stopping_metric : {'r2', 'loss'}, default='r2'
        What early stopping watches on the validation set: R² (``MLPRegressor``'s
        rule) or the validation loss (``'loss'``, the same spelling as the
        classifier's).

    Attributes
    ----------
    coefs_ : list of ndarray of shape (fan_in, fan_out)
        Weight matrix of each layer.
    intercepts_ : list of ndarray of shape (fan_out,)
        Bias vector of each layer.
    loss_ : float
        Training loss (plus penalty) after the last epoch.
    best_loss_ : float or None
        Lowest training loss seen (``None`` with early stopping; stochastic
        solvers only).
    loss_curve_ : list of float
        Training loss after each epoch (stochastic solvers only).
    validation_scores_ : list of float or None
        Validation R² after each epoch (with early stopping or a validation set).
    validation_loss_curve_ : list of float or None
        Validation loss after each epoch (same condition).
    best_validation_score_ : float or None
        Best validation R² (with early stopping).
    best_validation_loss_ : float or None
        Lowest validation loss (with early stopping or a validation set).
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
        Number of outputs.
    out_activation_ : str
        ``'identity'`` (squared error) or ``'exp'`` (Poisson).

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The reference implementation.
    ScratchMLPClassifier : The classifier on the same core.

    Notes
    -----
    The network is the classifier's (Eqs. 1-2 and 6-8 of "How it works") with
    another head: the prediction is the raw score :math:`z` (or :math:`e^z`), and
    because both links are canonical the output gradient is again
    :math:`\mathrm{dscore} = (\hat y - y)/n` (Eq. 5).

    With several outputs the reported loss is the objective whose gradient is
    followed (summed over the outputs); ``MLPRegressor`` reports the squared error
    averaged over the outputs while following the gradient of the sum
    (scikit-learn issue #8349), so without penalty (``alpha=0``) its
    ``loss_curve_`` is ours divided by ``n_outputs_``.  Sample weights are
    defined as for the classifier: a weight is a number of repetitions.

    References
    ----------
    .. [1] Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of
       training deep feedforward neural networks. AISTATS.
    .. [2] Kingma, D. P. and Ba, J. (2014). Adam: A method for stochastic
       optimization. arXiv:1412.6980.

    Examples
    --------
    Features and target standardised (the diabetes target is in the hundreds),
    and a strong L2 penalty for this small, noisy data set:

    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_scratchnet import ScratchMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> mlp = ScratchMLPRegressor(
    ...     solver="lbfgs", alpha=30.0, max_iter=2000, random_state=0
    ... )
    >>> reg = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), mlp), transformer=StandardScaler()
    ... ).fit(X_train, y_train)
    >>> reg.predict(X_test[:2]).shape
    (2,)
    >>> round(reg.score(X_test, y_test), 2)  # R²
    0.38
    """

    # R² needs two distinct held-out rows.
    _MIN_VALIDATION_ROWS = 2

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
        "early_stopping_metric": [StrOptions({"r2", "loss"})],
    }

    def __init__(
        self,
        loss="squared_error",
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
        dropout=0.0,
        init="glorot",
        early_stopping_metric="r2",
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
        self.loss = loss

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
            The target values (non-negative for ``loss='poisson'``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight counts as that many repetitions of the
            row.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            A validation set: monitored every epoch (``validation_scores_``,
            ``validation_loss_curve_``) and, with ``early_stopping=True``, used
            instead of the internal ``validation_fraction`` split.  Stochastic
            solvers only (``lbfgs`` warns and ignores it).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, val=(X_val, y_val))

    @available_if(_is_stochastic)
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    # ------------------------------------------------------------------ targets
    def _validate_targets(self, X, y, *, incremental, first_pass, call):
        _check_numeric_targets(y, type(self).__name__)
        X, y = validated_X_y(self, X, y, reset=first_pass, y_numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = _targets_matrix(y, numpy_dtype(X.dtype), "y", self.loss)
        if not first_pass and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} output(s) but the fitted model has "
                f"{self.n_outputs_}; warm_start and partial_fit need the same "
                "outputs."
            )
        return X, Y, y, None

    def _validation_targets(self, X_val, y_val, state):
        if y_val.dtype.kind not in "biuf":
            raise ValueError(f"y_val must be numeric, got dtype {y_val.dtype}.")
        dtype = numpy_dtype(state.net.theta.dtype)
        Y_val = _targets_matrix(y_val, dtype, "y_val", self.loss)
        n_outputs = state.layout.layer_units[-1]
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} output(s) but y has {n_outputs}."
            )
        r2_stopping = self.early_stopping and self.early_stopping_metric == "r2"
        if r2_stopping and X_val.shape[0] < 2:
            # R² of one row is NaN: no epoch would ever count as the best, and
            # the initial weights would be restored at the end.
            raise ValueError(
                "Early stopping on R² needs at least 2 rows in X_val/y_val (R² is "
                "not defined for one sample); pass more rows or set "
                "early_stopping_metric='loss'."
            )
        return Y_val

    def _head(self, labels):
        return get_head(self.loss)

    def _validation_metric(self, y_val, w_val, state):
        return _r2_metric(state.head.link, y_val, w_val)

    # --------------------------------------------------------------- predicting
    def predict(self, X):
        """Predict with the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values (``exp`` of the scores for ``loss='poisson'``,
            so never negative).
        """
        X = validated_input(self, X, "predict")
        link = get_head(self._training_state.loss).link
        prediction = self._predict_rows(X, link, self.n_outputs_)
        return prediction[:, 0] if self.n_outputs_ == 1 else prediction

    def __sklearn_tags__(self):
        """Declare multi-output support, or for Poisson non-negative targets.

        ``loss='poisson'`` fits 2-D non-negative targets too, but it declares
        single output: scikit-learn's multi-output check feeds it negative
        targets whatever ``positive_only`` says.
        """
        tags = super().__sklearn_tags__()
        poisson = self.loss == "poisson"
        tags.target_tags.multi_output = not poisson
        tags.target_tags.positive_only = poisson
        return tags


def _check_numeric_targets(y, estimator_name):
    """Raise a ``ValueError`` naming ``y`` when the targets are not numbers."""
    if not isinstance(y, np.ndarray) and (
        y is None or hasattr(y, "__array_namespace__") or hasattr(y, "tocsr")
    ):
        return  # left to the usual validation (array API arrays are numeric)
    kind = np.asarray(y).dtype.kind
    if kind in "USO":
        try:
            if kind == "O":
                np.asarray(y, dtype=np.float64)
                return
        except (TypeError, ValueError):
            pass
        raise ValueError(
            f"{estimator_name} needs numeric targets, but y contains strings or "
            "other non-numeric values. Encode them as numbers, or use the "
            "classifier for class labels."
        )


def _targets_matrix(y, dtype, name, loss):
    """``y`` as an (n, n_outputs) matrix of ``dtype``, checked for ``loss``."""
    if y.ndim > 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got {y.ndim} dimensions.")
    Y = np.asarray(y, dtype=dtype)
    Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
    if not np.isfinite(Y).all():
        raise ValueError(
            f"{name} contains NaN or infinity, or values too large for "
            f"{np.dtype(dtype).name}."
        )
    if loss == "poisson" and (Y < 0).any():
        raise ValueError(
            f"Some values of {name} are negative; loss='poisson' needs "
            "non-negative targets (counts, rates, ...)."
        )
    return Y


def _r2_metric(link, y_val, w_val):
    """``metric(raw_scores)``: R² of the predictions (``link`` of the scores)."""

    def r2(score):
        prediction = link(score)
        if prediction.shape[1] == 1:
            prediction = prediction[:, 0]
        prediction = to_host(prediction)
        return r2_score(y_val, prediction, sample_weight=w_val)

    return r2
