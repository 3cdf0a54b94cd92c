r"""ScratchMLPClassifier: the scikit-learn estimator around the NumPy network.

This module is the glue: parameter and data validation, label encoding,
sample weights, and the epoch/batch loop.  The mathematics lives in
:mod:`sk_scratchnet._network`, :mod:`sk_scratchnet._losses`,
:mod:`sk_scratchnet._activations` and :mod:`sk_scratchnet._optimizers`.
"""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._callbacks import (
    CALLBACK_STATE,
    CallbackSupportMixin,
    with_callbacks,
)
from sk_scratchnet._checks import (
    check_finite_output,
    check_weights,
    checked_target_type,
)
from sk_scratchnet._losses import output_log_proba, output_proba
from sk_scratchnet._network import (
    ParamLayout,
    init_params,
    predict_score,
)
from sk_scratchnet._optimizers import SGD, Adam, LearningRateSchedule
from sk_scratchnet._solvers import SolverMixin

_STOCHASTIC_SOLVERS = ("sgd", "adam")
# Hidden-activation elements per chunk of rows at predict time (1 MiB of float64):
# a chunk's activations stay in cache between layers, which makes large predicts
# about twice as fast as one pass over all rows, and bounds the extra memory.
_PREDICT_CHUNK_ELEMENTS = 1 << 17


def _is_stochastic(estimator):
    if estimator.solver not in _STOCHASTIC_SOLVERS:
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class ScratchMLPClassifier(
    ClassifierMixin, CallbackSupportMixin, SolverMixin, BaseEstimator
):
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

    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', \
'gelu', 'softplus'} or list of str, default='relu'
        Activation of the hidden layers; a list gives one per hidden layer.

    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        The optimizer: Adam, mini-batch SGD with momentum, or full-batch L-BFGS
        (``scipy.optimize.minimize(method="L-BFGS-B")``).

    alpha : float, default=1e-4
        Strength of the L2 penalty :math:`\frac{\alpha}{2 n}\sum\lVert W\rVert^2`
        (``n`` is the batch size, or the sum of sample weights, see Notes).

    batch_size : int or 'auto', default='auto'
        Mini-batch size for the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
default='constant'
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

    early_stopping_metric : {'accuracy', 'log_loss'}, default='accuracy'
        What early stopping watches on the validation set.

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
    The network follows the seed derivation (README "How it works"):

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
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "init": [StrOptions({"glorot", "he"})],
        "early_stopping_metric": [StrOptions({"accuracy", "log_loss"})],
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
        self.class_weight = class_weight
        self.dropout = dropout
        self.init = init
        self.early_stopping_metric = early_stopping_metric

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
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        classes : array-like of shape (n_classes,), default=None
            All the classes that may ever appear; required on the first call
            (except for multilabel indicator ``y``), ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None, val=(None, None)):
        # A fit that fails leaves a previously fitted model exactly as it was.
        snapshot = {k: _copy_state(v) for k, v in self.__dict__.items()}
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental, classes, val)
        except Exception:
            keep = {k: self.__dict__[k] for k in CALLBACK_STATE if k in self.__dict__}
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            self.__dict__.update(keep)
            raise

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes, val):
        hidden = self._checked_hidden_layer_sizes()
        activations = self._checked_activations(len(hidden))
        dropout = self._checked_dropout(len(hidden))
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        if not first_pass:
            # Continue in the network's own precision.
            X = self._cast_like_model(X)
        X, Y, y = self._validate_training_data(X, y, incremental, first_pass, classes)
        weights = self._training_weights(sample_weight, X, y, incremental)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        layout = ParamLayout(layer_units)
        rng = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layout, rng, X.dtype, activations)
        elif [c.shape for c in self.coefs_] != layout.coef_shapes:
            raise ValueError(
                "warm_start/partial_fit needs the same network: the fitted layers "
                f"{[c.shape for c in self.coefs_]} do not match {layout.coef_shapes} "
                "(hidden_layer_sizes or the number of classes changed)."
            )
        theta = layout.pack(self.coefs_, self.intercepts_, X.dtype)
        self.coefs_, self.intercepts_ = layout.views(theta)
        hidden_acts = [ACTIVATIONS[name] for name in activations]
        net = (layout, theta, hidden_acts)
        # Divergence is detected explicitly (non-finite loss or weights), so the
        # floating-point warnings of a diverging run are noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.solver == "lbfgs":
                if val[0] is not None or val[1] is not None:
                    warnings.warn(
                        "X_val/y_val are only used by the stochastic solvers "
                        "('sgd', 'adam'); solver='lbfgs' ignores them.",
                        UserWarning,
                        stacklevel=4,
                    )
                self._fit_lbfgs(X, Y, y, sample_weight, weights, net)
            else:
                val_data = self._validation_data(X_val=val[0], y_val=val[1])
                self._fit_stochastic(
                    X, Y, sample_weight, weights, net, rng, dropout, incremental,
                    val_data,
                )  # fmt: skip
        return self

    # --------------------------------------------------------------- validation
    def _checked_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(
            isinstance(s, bool | np.bool_) or not isinstance(s, Integral | np.integer)
            for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must contain positive integers, got {sizes}."
            )
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _checked_activations(self, n_hidden):
        names = self._activation_names(n_hidden)
        if len(names) != n_hidden:
            raise ValueError(
                f"activation has {len(names)} entries but there are {n_hidden} "
                "hidden layers; give one name, or one per hidden layer."
            )
        for name in names:
            if name not in ACTIVATIONS:
                raise ValueError(
                    f"Unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}."
                )
        return names

    def _checked_dropout(self, n_hidden):
        rates = np.asarray(self.dropout, dtype=float)
        if rates.ndim == 0:
            rates = np.full(n_hidden, float(rates))
        if rates.shape != (n_hidden,) or not np.all((rates >= 0) & (rates < 1)):
            raise ValueError(
                "dropout must be a float in [0, 1) or one such value per hidden "
                f"layer ({n_hidden}), got {self.dropout!r}."
            )
        return [float(r) for r in rates]

    def _cast_like_model(self, X):
        dtype = self.coefs_[0].dtype
        if hasattr(X, "dtype") and X.dtype in (np.float32, np.float64):
            if X.dtype != dtype:
                return X.astype(dtype)
        return X

    def _validate_training_data(self, X, y, incremental, first_pass, classes):
        # Finite values near the float maximum can make the finiteness check's
        # sum overflow; it then checks element-wise, so the warning is noise.
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=(np.float64, np.float32),
                reset=first_pass,
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y_type = checked_target_type(y)
        if y_type == "multiclass-multioutput":
            raise ValueError(
                "Multiclass-multioutput targets are not supported; y must be 1-D "
                "class labels or a 2-D 0/1 multilabel indicator matrix."
            )
        if incremental and not hasattr(self, "classes_"):
            if y_type.startswith("multilabel"):
                self._label_binarizer = LabelBinarizer().fit(y)
            elif classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            else:
                classes = np.asarray(classes)
                if classes.ndim != 1 or type_of_target(classes) == "continuous":
                    raise ValueError(
                        "classes must be a 1-D array of class labels, got "
                        f"{classes.dtype} values of shape {classes.shape} (sample "
                        "weights go by keyword: sample_weight=...)."
                    )
                self._label_binarizer = LabelBinarizer().fit(classes)
            self._set_classes()
        elif first_pass and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self._set_classes()
        else:
            if incremental and classes is not None:
                given = np.unique(np.asarray(classes))
                if not np.array_equal(given, np.unique(self.classes_)):
                    raise ValueError(
                        f"`classes={given.tolist()!r}` is not the same as on the "
                        f"first call to partial_fit ({self.classes_.tolist()!r}). "
                        "(sample weights go by keyword: sample_weight=...)"
                    )
            seen = unique_labels(y)
            if self.warm_start and not incremental:
                if set(seen) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {seen}"
                    )
            elif len(np.setdiff1d(seen, self.classes_)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {seen}."
                )
        # Kept as bool (1 byte per entry, like MLPClassifier); batches are cast to
        # the network's dtype as they are used.
        Y = self._label_binarizer.transform(y).astype(bool)
        return X, Y, y

    def _set_classes(self):
        self.classes_ = self._label_binarizer.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()!r}); a classifier "
                "needs samples of at least 2 classes."
            )

    def _training_weights(self, sample_weight, X, y, incremental):
        n = X.shape[0]
        weights = None
        if sample_weight is not None:
            weights = check_weights(sample_weight, n, X.dtype)
        if self.class_weight is not None:
            cw = self._class_weights(y, weights, incremental).astype(X.dtype)
            weights = cw if weights is None else weights * cw
        if weights is not None and not weights.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number "
                "(after applying class_weight)."
            )
        if weights is not None and not incremental and y.ndim == 1:
            weighted_classes = np.unique(y[weights > 0])
            if len(weighted_classes) < 2:
                raise ValueError(
                    "sample_weight is zero for every class but "
                    f"{weighted_classes.tolist()!r}; a classifier needs positive "
                    "weight on samples of at least 2 classes."
                )
        return weights

    def _class_weights(self, y, sample_weight, incremental):
        """Per-row factors from ``class_weight``.

        ``'balanced'`` is ``total / (n_classes * class_total)`` where the totals are
        sums of sample weights, so that weighting a row equals repeating it; in
        ``partial_fit`` the totals accumulate over all the calls so far.
        """
        if y.ndim != 1:  # multilabel: scikit-learn's per-output rule
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit for "
                    "multilabel targets; pass sample_weight instead."
                )
            return compute_sample_weight(self.class_weight, y)
        codes = np.searchsorted(self.classes_, y)
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            totals = np.bincount(codes, weights=sample_weight, minlength=n_classes)
            if incremental:
                if not hasattr(self, "_class_totals") or not hasattr(self, "coefs_"):
                    self._class_totals = np.zeros(n_classes)
                self._class_totals = self._class_totals + totals
                totals = self._class_totals
            seen = totals > 0
            per_class = np.zeros(n_classes)
            per_class[seen] = totals.sum() / (seen.sum() * totals[seen])
            return per_class[codes]
        unknown = [c for c in self.class_weight if c not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not classes of y "
                f"({self.classes_.tolist()})."
            )
        per_class = np.array(
            [float(self.class_weight.get(c, 1.0)) for c in self.classes_]
        )
        return per_class[codes]

    def _validation_data(self, X_val, y_val):
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        X_val = validate_data(
            self,
            X_val,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        y_val = np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]}."
            )
        unknown = np.setdiff1d(unique_labels(y_val), self.classes_)
        if y_val.ndim == 1 and len(unknown):
            raise ValueError(f"y_val has classes not seen in y: {unknown}.")
        Y_val = self._label_binarizer.transform(y_val)
        return X_val, y_val, Y_val.astype(self.coefs_[0].dtype), None

    # ------------------------------------------------------------ initialising
    def _initialize(self, layout, rng, dtype, activations):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layout.layer_units[-1]
        self.n_layers_ = len(layout.layer_units)
        self.out_activation_ = (
            "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        )
        if not activations and isinstance(self.activation, str):
            # No hidden layer: MLPClassifier still picks Glorot's factor from it.
            activations = [self.activation]
        theta = init_params(layout, rng, dtype, activations=activations, init=self.init)
        self.coefs_, self.intercepts_ = layout.views(theta)
        self._best_theta = theta.copy()
        self._loss_at_best = np.inf
        self.validation_loss_curve_ = None
        self.best_validation_loss_ = None
        if self.solver in _STOCHASTIC_SOLVERS:
            self._init_stochastic_state()

    # --------------------------------------------------------------- predicting
    def _decision_scores(self, X):
        """Raw output scores (Eq. 2) of validated ``X``."""
        return self._predict_rows(X, lambda score: score, self.n_outputs_)

    def _predict_rows(self, X, transform, n_columns):
        """``transform(score)`` of validated ``X``, a chunk of rows at a time.

        Chunks bound the extra memory of a huge predict to one chunk of hidden
        activations; every array is local, so concurrent calls share nothing.
        """
        names = self._activation_names(len(self.coefs_) - 1)
        acts = [ACTIVATIONS[name] for name in names]
        n = X.shape[0]
        widest = max(c.shape[1] for c in self.coefs_)
        chunk = max(1, _PREDICT_CHUNK_ELEMENTS // widest)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            if n <= chunk:
                out = transform(predict_score(X, self.coefs_, self.intercepts_, acts))
                check_finite_output(out)
                return out
            out = None
            for start in range(0, n, chunk):
                stop = min(start + chunk, n)
                part = transform(
                    predict_score(X[start:stop], self.coefs_, self.intercepts_, acts)
                )
                check_finite_output(part)
                if out is None:
                    out = np.empty((n, n_columns), dtype=part.dtype)
                out[start:stop] = part
        return out

    def _activation_names(self, n_hidden):
        """``activation`` as one name per hidden layer."""
        act = self.activation
        return [act] * n_hidden if isinstance(act, str) else list(act)

    def _validated_input(self, X):
        if "coefs_" not in self.__dict__:
            check_is_fitted(self)  # raises NotFittedError
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and "feature_names_in_" not in self.__dict__
            and np.isfinite(X).all()
        ):
            # What validate_data would return unchanged, without its overhead
            # (it dominates the latency of small predicts).
            return X
        # Finite values near the float maximum can make the finiteness check's
        # sum overflow; it then checks element-wise, so the warning is noise.
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )

    def _n_proba_columns(self):
        return 2 if self.n_outputs_ == 1 else self.n_outputs_

    def _proba_from_scores(self, score, log=False):
        if self.out_activation_ == "logistic" and self.n_outputs_ == 1:
            # sigma(-z) rather than 1 - sigma(z): no cancellation to exact zeros,
            # so that log(predict_proba) matches predict_log_proba.
            score = np.hstack([-score, score])
        if log:
            return output_log_proba(score, self.out_activation_)
        return output_proba(score, self.out_activation_)

    def _labels_from_proba(self, proba):
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            return self._label_binarizer.inverse_transform(proba)
        return self.classes_[np.argmax(proba, axis=1)]

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
        return self._labels_from_proba(self.predict_proba(X))

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
        X = self._validated_input(X)
        return self._predict_rows(X, self._proba_from_scores, self._n_proba_columns())

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
        X = self._validated_input(X)
        return self._predict_rows(
            X, lambda score: self._proba_from_scores(score, log=True),
            self._n_proba_columns(),
        )  # fmt: skip

    def __sklearn_tags__(self):
        """Declare sparse input and multilabel support."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags


def _copy_state(value):
    """Copy what a fit mutates in place (curves, optimizer state) for a rollback."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, SGD | Adam | LearningRateSchedule):
        return copy.deepcopy(value)
    return value
