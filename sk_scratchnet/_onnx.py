"""Export a fitted MLP to ONNX, node by node with the ``onnx`` helper API.

The exported graph repeats the forward pass of the estimator (equations 1-3 of
"How it works" in the user guide, generalised to any depth), then the output
head named by the model's ``out_activation_``::

    z_0 = X                                   # after an optional scaler step
    z_l = act(z_{l-1} @ W_l + b_l)            # MatMul + Add + activation node(s)
    score = z_{L-1} @ W_L + b_L
    'softmax':  probabilities = softmax(score)              # multiclass
                label = classes_[argmax(probabilities)]     # Gather on a constant
    'logistic': probabilities = [1 - s, s], s = sigmoid(score)  # binary
                              = sigmoid(score)              # multilabel
    'identity': variable = score                            # squared error
    'exp':      variable = exp(score)                       # Poisson

``onnx`` is an optional dependency (``pip install -e ".[onnx]"`` in the clone); it is
imported only when :func:`to_onnx` is called, so ``import sk_scratchnet`` works
without it.
"""

import math
from collections.abc import Callable
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sk_scratchnet._activations import ELU_ALPHA, LEAKY_RELU_SLOPE
from sk_scratchnet._devices import to_host
from sk_scratchnet._network import activation_names

__all__ = ["register_skl2onnx", "to_onnx"]

# The default opset is one that every onnxruntime since 1.14 runs; the newest
# opset that ``onnx`` knows is often ahead of the newest onnxruntime.
_DEFAULT_OPSET = 17
# Softmax (axis semantics), ArgMax, Gather and Clip-with-inputs as used below.
_MIN_OPSET = 13

_SUPPORTED_SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler")


def _import_onnx():
    """Return the ``onnx`` module, or raise ImportError naming the extra."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs the optional 'onnx' package; install it with "
            '`pip install -e ".[onnx]"` in the clone (or `pip install onnx '
            "onnxruntime`)."
        ) from exc
    return onnx


class _GraphBuilder:
    """Collect the nodes and constant tensors of one graph under unique names.

    Parameters
    ----------
    onnx : module
        The imported ``onnx`` package.
    dtype : numpy.dtype
        Floating dtype of the input and of every float constant.
    """

    def __init__(self, onnx, dtype):
        self.onnx = onnx
        self.dtype = np.dtype(dtype)
        self.elem_type = onnx.helper.np_dtype_to_tensor_dtype(self.dtype)
        self.nodes = []
        self.initializers = []
        self._counts = {}

    # The four emitters below are what the skl2onnx adapter replaces.
    def _unique(self, stem):
        """Return a new name starting with ``stem``."""
        count = self._counts.get(stem, 0)
        self._counts[stem] = count + 1
        return stem if count == 0 else f"{stem}_{count}"

    def _node_name(self, op_type):
        """Return a new node name for an ``op_type`` node."""
        return self._unique(f"{op_type}_node")

    def _emit_initializer(self, name, array):
        """Store ``array`` as the constant tensor ``name``."""
        if array.dtype.kind in "USO":
            encoded = [str(v).encode("utf-8") for v in array.ravel()]
            tensor = self.onnx.helper.make_tensor(
                name, self.onnx.TensorProto.STRING, list(array.shape), encoded
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(array, name)
        self.initializers.append(tensor)

    def _emit_node(self, op_type, inputs, output, attrs):
        """Store one node with a single output."""
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, inputs, [output], name=self._node_name(op_type), **attrs
            )
        )

    def const(self, stem, value, dtype=None):
        """Add a constant tensor (cast to ``dtype``, default the graph's dtype)."""
        name = self._unique(stem)
        self._emit_initializer(
            name, np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        )
        return name

    def op(self, op_type, *inputs, output=None, **attrs):
        """Add one node and return the name of its (single) output."""
        out = output if output is not None else self._unique(op_type.lower())
        self._emit_node(op_type, list(inputs), out, attrs)
        return out


def _split_pipeline(model):
    """Return ``(preprocessing_steps, estimator)`` for a model or a Pipeline."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return [], model
    transformers = [
        step for _, step in steps[:-1] if step is not None and step != "passthrough"
    ]
    for step in transformers:
        if type(step).__name__ not in _SUPPORTED_SCALERS:
            raise TypeError(
                f"to_onnx cannot convert the pipeline step {type(step).__name__}; "
                f"supported steps before the estimator are {_SUPPORTED_SCALERS}."
            )
    return transformers, steps[-1][1]


def _add_scaler(graph, x, scaler):
    """Append the nodes of a fitted scikit-learn scaler, as its ``transform``."""
    check_is_fitted(scaler)
    name = type(scaler).__name__
    if name == "StandardScaler":
        # transform is X -= mean_; X /= scale_ (either may be None).
        if getattr(scaler, "mean_", None) is not None and scaler.with_mean:
            x = graph.op("Sub", x, graph.const("scaler_mean", scaler.mean_))
        if getattr(scaler, "scale_", None) is not None and scaler.with_std:
            x = graph.op("Div", x, graph.const("scaler_scale", scaler.scale_))
    elif name == "MinMaxScaler":
        # transform is X *= scale_; X += min_; then an optional clip.
        x = graph.op("Mul", x, graph.const("minmax_scale", scaler.scale_))
        x = graph.op("Add", x, graph.const("minmax_min", scaler.min_))
        if getattr(scaler, "clip", False):
            low, high = scaler.feature_range
            x = graph.op(
                "Clip",
                x,
                graph.const("minmax_low", low),
                graph.const("minmax_high", high),
            )
    else:  # MaxAbsScaler: X /= scale_
        x = graph.op("Div", x, graph.const("maxabs_scale", scaler.scale_))
    return x


# erf(u) = 2/sqrt(pi) u exp(-u^2) sum_n d_n s^n, s = (u / 6)^2, with
# d_n = 36^n 2^n / (1 3 5 ... (2n+1)). Every term of the sum is positive, so it loses
# no digits to cancellation. |u| is clipped at 6, where erf is 1 to float64
# precision (erfc(6) ~ 2e-17); with 98 terms the dropped tail is below 1e-17 of the
# sum there. The variable is scaled to s in [0, 1] so that every d_n lies in
# [1e-2, 1e15]: onnxruntime's optimizer deletes an Add whose constant is zero in
# float32, and the unscaled coefficients fall below 1e-45.
_ERF_CLIP = 6.0
_ERF_COEFFICIENTS = np.cumprod(
    [1.0] + [2.0 * _ERF_CLIP**2 / (2 * n + 1) for n in range(1, 98)]
)


def _add_erf_series(graph, u):
    """Append erf(u) in float64 with elementwise operators (about 2e-15 absolute).

    onnxruntime has no float64 Erf kernel; a float32 Erf would cost about 1e-7.
    The polynomial in ``(u / 6)**2`` is evaluated by Horner's rule.
    """
    u = graph.op(
        "Clip",
        u,
        graph.const("erf_low", -_ERF_CLIP),
        graph.const("erf_high", _ERF_CLIP),
    )
    t = graph.op("Mul", u, u)
    s = graph.op("Div", t, graph.const("erf_clip_squared", _ERF_CLIP**2))
    total = graph.const("erf_c", _ERF_COEFFICIENTS[-1])
    for coefficient in _ERF_COEFFICIENTS[-2::-1]:
        total = graph.op(
            "Add", graph.op("Mul", total, s), graph.const("erf_c", coefficient)
        )
    envelope = graph.op("Mul", u, graph.op("Exp", graph.op("Neg", t)))
    scaled = graph.op("Mul", envelope, graph.const("erf_scale", 2 / math.sqrt(math.pi)))
    return graph.op("Mul", scaled, total)


def _onnx_identity(graph, z):
    return z


def _onnx_relu(graph, z):
    return graph.op("Relu", z)


def _onnx_tanh(graph, z):
    return graph.op("Tanh", z)


def _onnx_logistic(graph, z):
    return graph.op("Sigmoid", z)


def _onnx_leaky_relu(graph, z):
    if graph.dtype != np.float64:
        return graph.op("LeakyRelu", z, alpha=LEAKY_RELU_SLOPE)
    # LeakyRelu's alpha attribute is a float32 (0.01 is not exact there).
    scaled = graph.op("Mul", z, graph.const("leaky_alpha", LEAKY_RELU_SLOPE))
    return graph.op("Max", z, scaled)


def _onnx_elu(graph, z):
    if graph.dtype != np.float64:
        return graph.op("Elu", z, alpha=ELU_ALPHA)
    # alpha * (exp(min(z, 0)) - 1) for z <= 0, z otherwise; the min keeps
    # exp from overflowing in the branch that Where discards.
    zero = graph.const("zero", 0.0)
    negative = graph.op("Min", z, zero)
    expm1 = graph.op("Sub", graph.op("Exp", negative), graph.const("one", 1.0))
    scaled = graph.op("Mul", expm1, graph.const("elu_alpha", ELU_ALPHA))
    return graph.op("Where", graph.op("Greater", z, zero), z, scaled)


def _onnx_softplus(graph, z):
    if graph.dtype != np.float64:
        return graph.op("Softplus", z)
    # log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|)), finite for any z.
    tail = graph.op("Exp", graph.op("Neg", graph.op("Abs", z)))
    log1p = graph.op("Log", graph.op("Add", tail, graph.const("one", 1.0)))
    return graph.op("Add", graph.op("Relu", z), log1p)


def _onnx_gelu(graph, z):
    # Exact form: 0.5 * z * (1 + erf(z / sqrt(2))).
    u = graph.op("Div", z, graph.const("sqrt2", math.sqrt(2.0)))
    erf = _add_erf_series(graph, u) if graph.dtype == np.float64 else graph.op("Erf", u)
    half_z = graph.op("Mul", z, graph.const("half", 0.5))
    return graph.op("Mul", half_z, graph.op("Add", erf, graph.const("one", 1.0)))


# Every hidden activation the estimators accept, as ONNX nodes (one mapping:
# a test checks that it names every key of sk_scratchnet._activations).
_ONNX_ACTIVATIONS = {
    "identity": _onnx_identity,
    "logistic": _onnx_logistic,
    "tanh": _onnx_tanh,
    "relu": _onnx_relu,
    "leaky_relu": _onnx_leaky_relu,
    "elu": _onnx_elu,
    "gelu": _onnx_gelu,
    "softplus": _onnx_softplus,
}
_SUPPORTED_ACTIVATIONS = tuple(_ONNX_ACTIVATIONS)


def _add_activation(graph, z, name):
    """Append the hidden activation ``name`` applied to ``z``.

    float32 uses the native ONNX operators. onnxruntime has no float64 kernel
    for Elu, Softplus and Erf, so float64 graphs spell them out with
    elementwise operators (erf as a series, see :func:`_add_erf_series`);
    LeakyRelu's float32 slope attribute is replaced by a float64 Mul and Max.
    """
    emit = _ONNX_ACTIVATIONS.get(name) if isinstance(name, str) else None
    if emit is None:
        raise ValueError(
            f"to_onnx does not support activation={name!r}; supported activations "
            f"are {_SUPPORTED_ACTIVATIONS}."
        )
    return emit(graph, z)


def _hidden_activations(model):
    """Return one activation name per hidden layer."""
    n_hidden = len(model.coefs_) - 1
    names = activation_names(model.activation, n_hidden)
    if len(names) != n_hidden:
        raise ValueError(
            f"activation lists {len(names)} names but the model has {n_hidden} "
            "hidden layers."
        )
    return names


def _is_multilabel(clf):
    """Whether ``clf`` predicts a 0/1 indicator matrix (one logistic per label).

    Ours say it with their label codec; scikit-learn's ``MLPClassifier`` by a
    logistic output with more than one unit.
    """
    if "_training_state" in clf.__dict__ and hasattr(type(clf), "_labels"):
        return clf._labels.kind == "multilabel"
    return clf.out_activation_ == "logistic" and clf.n_outputs_ > 1


def _label_dtype(clf):
    """Return the numpy dtype of the ``label`` output (None: string labels)."""
    if _is_multilabel(clf):
        return np.dtype(np.int64)  # multilabel 0/1 indicator matrix
    kind = np.asarray(clf.classes_).dtype
    if kind.kind in "USO":
        return None
    if kind.kind == "b":
        return np.dtype(bool)
    if kind.kind in "iu":
        return np.dtype(np.int64)
    if kind.kind == "f":
        return np.dtype(np.float32 if kind == np.float32 else np.float64)
    raise TypeError(f"to_onnx cannot store class labels of dtype {kind}.")


def _classifier_output_types(clf, float_dtype):
    """Return the dtype and shape of ``label`` and of ``probabilities``.

    The label dtype is None for string labels.
    """
    if _is_multilabel(clf):
        label_shape, n_columns = [None, int(clf.n_outputs_)], int(clf.n_outputs_)
    else:
        label_shape, n_columns = [None], len(clf.classes_)
    return [(_label_dtype(clf), label_shape), (float_dtype, [None, n_columns])]


def _regressor_output_types(reg, float_dtype):
    """Return the dtype and shape of ``variable``: always 2-D, as skl2onnx's."""
    return [(float_dtype, [None, int(reg.n_outputs_)])]


def _add_classes(graph, clf):
    """Add ``classes_`` as a constant tensor of the ``label`` output's dtype."""
    dtype = _label_dtype(clf)
    return graph.const("classes", clf.classes_, dtype=str if dtype is None else dtype)


def _emit_softmax(graph, score, clf, outputs):
    """Multiclass: ``probabilities = softmax(score)``, ``label`` its argmax."""
    label, probabilities = outputs
    classes = _add_classes(graph, clf)
    graph.op("Softmax", score, output=probabilities, axis=1)
    index = graph.op("ArgMax", probabilities, axis=1, keepdims=0)
    graph.op("Gather", classes, index, output=label, axis=0)


def _emit_logistic(graph, score, clf, outputs):
    """Binary (one logistic unit, ``[1 - p, p]``) or multilabel (one per label)."""
    label, probabilities = outputs
    if _is_multilabel(clf):
        graph.op("Sigmoid", score, output=probabilities)
        positive = graph.op("Greater", probabilities, graph.const("half", 0.5))
        graph.op("Cast", positive, output=label, to=graph.onnx.TensorProto.INT64)
        return
    classes = _add_classes(graph, clf)
    p = graph.op("Sigmoid", score)
    q = graph.op("Sub", graph.const("one", 1.0), p)
    graph.op("Concat", q, p, output=probabilities, axis=1)
    flat = graph.op("Reshape", p, graph.const("flat", [-1], dtype=np.int64))
    positive = graph.op("Greater", flat, graph.const("half", 0.5))
    index = graph.op("Cast", positive, to=graph.onnx.TensorProto.INT64)
    graph.op("Gather", classes, index, output=label, axis=0)


def _emit_identity(graph, score, reg, outputs):
    """Squared error: the prediction is the raw score."""
    graph.op("Identity", score, output=outputs[0])


def _emit_exp(graph, score, reg, outputs):
    """Poisson: the prediction is ``exp(score)``, never negative."""
    graph.op("Exp", score, output=outputs[0])


class _OnnxHead(NamedTuple):
    """How the graph ends for one output head (one ``out_activation_``)."""

    outputs: tuple  # names of the graph outputs, as skl2onnx names them
    fitted: tuple  # fitted attributes that ``emit`` reads beyond the network's
    output_types: Callable  # (model, float dtype) -> [(dtype, shape)] per output
    emit: Callable  # (graph, score, model, outputs) -> None


_CLASSIFIER_OUTPUTS = ("label", "probabilities")
_REGRESSOR_OUTPUTS = ("variable",)
_ONNX_HEADS = {
    "softmax": _OnnxHead(
        _CLASSIFIER_OUTPUTS, ("classes_",), _classifier_output_types, _emit_softmax
    ),
    "logistic": _OnnxHead(
        _CLASSIFIER_OUTPUTS, ("classes_",), _classifier_output_types, _emit_logistic
    ),
    "identity": _OnnxHead(
        _REGRESSOR_OUTPUTS, (), _regressor_output_types, _emit_identity
    ),
    "exp": _OnnxHead(_REGRESSOR_OUTPUTS, (), _regressor_output_types, _emit_exp),
}


def _onnx_head(model):
    """Return the head that ends ``model``'s graph, after checking the model.

    Raises NotFittedError for an unfitted model, TypeError for an object that is
    not a fitted MLP, and ValueError for an output activation with no head.
    An estimator class that cannot be exported says why in its
    ``_onnx_unsupported`` attribute, and that sentence is the TypeError's message.
    """
    reason = getattr(type(model), "_onnx_unsupported", None)
    if reason:
        raise TypeError(reason)
    check_is_fitted(model)
    needed = ("coefs_", "intercepts_", "out_activation_", "n_outputs_")
    if not all(hasattr(model, name) for name in needed):
        raise TypeError(
            "to_onnx converts fitted MLP estimators (ScratchMLPClassifier, "
            "ScratchMLPRegressor, MLPClassifier, MLPRegressor) with "
            f"{needed}; got {type(model).__name__}."
        )
    head = _ONNX_HEADS.get(model.out_activation_)
    if head is None:
        raise ValueError(
            f"to_onnx cannot export out_activation_={model.out_activation_!r}; "
            f"the output heads it knows are {sorted(_ONNX_HEADS)}."
        )
    missing = [name for name in head.fitted if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"{type(model).__name__} has out_activation_="
            f"{model.out_activation_!r} but no {missing}."
        )
    return head


def _add_model(graph, x, model, outputs):
    """Append the network of ``model`` from input ``x`` to the named outputs."""
    head = _onnx_head(model)
    activations = _hidden_activations(model)
    z = x
    n_layers = len(model.coefs_)
    for layer, (coef, intercept) in enumerate(
        zip(model.coefs_, model.intercepts_, strict=True)
    ):
        # Weights on another array library or device are copied to the host.
        coef, intercept = to_host(coef), to_host(intercept)
        z = graph.op("MatMul", z, graph.const(f"coef_{layer}", coef))
        z = graph.op("Add", z, graph.const(f"intercept_{layer}", intercept))
        if layer < n_layers - 1:
            z = _add_activation(graph, z, activations[layer])
    head.emit(graph, z, model, outputs)


def _input_dtype(X_sample):
    """float64 when X_sample is float64, float32 otherwise (and for None)."""
    dtype = getattr(X_sample, "dtype", None)
    if dtype is None and X_sample is not None and not hasattr(X_sample, "dtypes"):
        dtype = np.asarray(X_sample).dtype
    if dtype is None and hasattr(X_sample, "dtypes"):  # pandas DataFrame
        kinds = {np.dtype(d) for d in X_sample.dtypes}
        dtype = np.float64 if kinds == {np.dtype(np.float64)} else np.float32
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def to_onnx(model, X_sample=None, *, target_opset=None):
    """Convert a fitted MLP (or a scaler + MLP Pipeline) to ONNX.

    The graph is built directly with :mod:`onnx.helper`: one ``MatMul`` and
    ``Add`` per layer, the hidden activation, and the output function of the
    model. It has one input, ``X``: a float tensor of shape
    ``[None, n_features]``, of ``X_sample``'s dtype when that is float64 and
    float32 otherwise. Its outputs are named as skl2onnx names them:

    - a classifier has two: ``label``, the class labels as :meth:`predict`
      returns them (int64, string, bool or float tensor of shape ``[None]``;
      for multilabel models an int64 0/1 matrix of shape ``[None, n_labels]``),
      and ``probabilities``, ``[None, n_classes]``, as :meth:`predict_proba`;
    - a regressor has one: ``variable``, ``[None, n_outputs]`` (2-D even for a
      single output), as :meth:`predict`.

    Parameters
    ----------
    model : ScratchMLPClassifier, ScratchMLPRegressor, MLPClassifier, \
MLPRegressor or Pipeline
        A fitted MLP exposing ``coefs_``, ``intercepts_``, ``out_activation_``,
        ``n_outputs_``, ``activation`` (a name, or a list with one name per
        hidden layer) and, for a classifier, ``classes_``. A fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is such a model
        may precede it with ``StandardScaler``, ``MinMaxScaler`` or
        ``MaxAbsScaler`` steps (or ``'passthrough'``).
    X_sample : array-like of shape (n_samples, n_features), default=None
        Sample input. Only its dtype and number of columns are used. ``None``
        means float32 input with the model's ``n_features_in_`` columns.
    target_opset : int, default=None
        ONNX opset of the default domain, at least 13. ``None`` means 17,
        which every onnxruntime since 1.14 runs.

    Returns
    -------
    onnx.ModelProto
        The checked model; save it with ``onnx.save(model, path)`` or run it
        with ``onnxruntime.InferenceSession(model.SerializeToString())``.

    Raises
    ------
    ImportError
        If the optional ``onnx`` package is not installed.
    ValueError
        If the model's activation, output activation (``out_activation_``) or
        the opset is not supported, or ``X_sample`` has the wrong number of
        columns.
    TypeError
        If the model is not an MLP, or a pipeline step before it is not a
        supported scaler.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.

    See Also
    --------
    register_skl2onnx : Let ``skl2onnx.to_onnx`` convert the estimator too.

    Notes
    -----
    The output heads are: ``'softmax'`` (multiclass: ``label`` is
    ``classes_[argmax(probabilities)]``), ``'logistic'`` (binary, one output
    unit: probabilities ``[1 - p, p]`` and label ``classes_[p > 0.5]``;
    multilabel: ``probabilities > 0.5`` as int64), ``'identity'`` (squared
    error: the raw score) and ``'exp'`` (Poisson: ``Exp`` of the score).
    onnxruntime has no float64 kernel for ``Erf``, so float64 graphs of the
    ``gelu`` activation evaluate erf as a power series with elementwise
    operators (about 200 extra nodes per ``gelu`` layer, accurate to about
    2e-15).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_scratchnet import ScratchMLPClassifier
    >>> X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = ScratchMLPClassifier((8,), max_iter=300, random_state=0).fit(X, y)
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> from sk_scratchnet import to_onnx  # doctest: +SKIP
    >>> onx = to_onnx(clf, X)  # doctest: +SKIP
    >>> sess = ort.InferenceSession(onx.SerializeToString())  # doctest: +SKIP
    >>> label, proba = sess.run(None, {"X": X})  # doctest: +SKIP
    >>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-5)  # doctest: +SKIP
    True
    """
    onnx = _import_onnx()
    helper = onnx.helper

    if target_opset is None:
        target_opset = min(_DEFAULT_OPSET, onnx.defs.onnx_opset_version())
    if (
        not isinstance(target_opset, Integral)
        or isinstance(target_opset, bool)
        or not _MIN_OPSET <= target_opset <= onnx.defs.onnx_opset_version()
    ):
        raise ValueError(
            f"target_opset must be an integer in [{_MIN_OPSET}, "
            f"{onnx.defs.onnx_opset_version()}], got {target_opset!r}."
        )

    scalers, estimator = _split_pipeline(model)
    head = _onnx_head(estimator)
    n_features = estimator.coefs_[0].shape[0]
    if X_sample is not None:
        n_sample_features = np.shape(X_sample)[1] if np.ndim(X_sample) == 2 else None
        if n_sample_features != n_features:
            raise ValueError(
                f"X_sample must be 2-D with {n_features} columns (the model's "
                f"n_features_in_), got shape {np.shape(X_sample)}."
            )

    graph = _GraphBuilder(onnx, _input_dtype(X_sample))
    x = "X"
    for scaler in scalers:
        x = _add_scaler(graph, x, scaler)
    _add_model(graph, x, estimator, head.outputs)
    outputs = [
        helper.make_tensor_value_info(
            name,
            onnx.TensorProto.STRING
            if dtype is None
            else helper.np_dtype_to_tensor_dtype(np.dtype(dtype)),
            shape,
        )
        for name, (dtype, shape) in zip(
            head.outputs, head.output_types(estimator, graph.dtype), strict=True
        )
    ]
    onnx_graph = helper.make_graph(
        graph.nodes,
        f"{type(estimator).__name__}",
        [helper.make_tensor_value_info("X", graph.elem_type, [None, n_features])],
        outputs,
        initializer=graph.initializers,
    )
    opset_imports = [helper.make_opsetid("", int(target_opset))]
    onnx_model = helper.make_model(
        onnx_graph, opset_imports=opset_imports, producer_name="sk_scratchnet"
    )
    # The oldest IR version that carries this opset, so older runtimes load it.
    onnx_model.ir_version = helper.find_min_ir_version_for(opset_imports)
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


class _Skl2OnnxBuilder(_GraphBuilder):
    """A :class:`_GraphBuilder` that writes into a skl2onnx converter container."""

    def __init__(self, onnx, dtype, scope, container):
        super().__init__(onnx, dtype)
        self.scope = scope
        self.container = container

    def _unique(self, stem):
        """Return a new name starting with ``stem``."""
        return self.scope.get_unique_variable_name(stem)

    def _node_name(self, op_type):
        """Return a new node name for an ``op_type`` node."""
        return self.scope.get_unique_operator_name(op_type)

    def _emit_initializer(self, name, array):
        """Store ``array`` as the constant tensor ``name``."""
        if array.dtype.kind in "USO":
            self.container.add_initializer(
                name,
                self.onnx.TensorProto.STRING,
                list(array.shape),
                [str(v).encode("utf-8") for v in array.ravel()],
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(array, name)
            self.container.add_initializer(
                name, tensor.data_type, list(array.shape), tensor
            )

    def _emit_node(self, op_type, inputs, output, attrs):
        """Store one node with a single output."""
        self.container.add_node(
            op_type, inputs, [output], name=self._node_name(op_type), **attrs
        )


def _skl2onnx_shape_calculator(operator):
    """Set the types and shapes of the outputs (skl2onnx shape calculator)."""
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    tensor_types = {
        None: StringTensorType,
        np.dtype(bool): BooleanTensorType,
        np.dtype(np.int64): Int64TensorType,
        np.dtype(np.float32): FloatTensorType,
        np.dtype(np.float64): DoubleTensorType,
    }
    output_types = _onnx_head(model).output_types(
        model, np.dtype(np.float64 if double else np.float32)
    )
    for output, (dtype, shape) in zip(operator.outputs, output_types, strict=True):
        tensor_type = tensor_types[None if dtype is None else np.dtype(dtype)]
        output.type = tensor_type([n_rows, *shape[1:]])


def _skl2onnx_converter(scope, operator, container):
    """Emit the model's nodes into a skl2onnx container (converter)."""
    from skl2onnx.common.data_types import DoubleTensorType

    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    graph = _Skl2OnnxBuilder(
        _import_onnx(), np.float64 if double else np.float32, scope, container
    )
    x = operator.inputs[0].full_name
    if not double:
        # skl2onnx may hand over int64 or bool inputs; the network needs floats.
        x = graph.op("Cast", x, to=graph.elem_type)
    outputs = tuple(output.full_name for output in operator.outputs)
    _add_model(graph, x, operator.raw_operator, outputs)


def register_skl2onnx():
    """Register :class:`ScratchMLPClassifier` and the regressor with ``skl2onnx``.

    Afterwards ``skl2onnx.to_onnx`` converts both estimators
    (:class:`ScratchMLPClassifier`, :class:`ScratchMLPRegressor`), alone or as
    the last step of a :class:`~sklearn.pipeline.Pipeline` with any
    preprocessing that skl2onnx knows. The converters emit the same nodes as
    :func:`to_onnx`, with the same output names (``label`` and
    ``probabilities``; ``variable`` for the regressor). skl2onnx adds a
    ``ZipMap`` over a classifier's probabilities by default; pass
    ``options={ScratchMLPClassifier: {"zipmap": False}}`` to get the plain
    ``[n_samples, n_classes]`` tensor (required for multilabel models).

    Raises
    ------
    ImportError
        If ``skl2onnx`` is not installed.

    See Also
    --------
    to_onnx : Build the ONNX graph directly, without skl2onnx.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_scratchnet import ScratchMLPClassifier
    >>> X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = ScratchMLPClassifier((8,), max_iter=50, random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> import skl2onnx  # doctest: +SKIP
    >>> from sk_scratchnet._onnx import register_skl2onnx
    >>> register_skl2onnx()  # doctest: +SKIP
    >>> options = {ScratchMLPClassifier: {"zipmap": False}}
    >>> onx = skl2onnx.to_onnx(pipe, X[:1], options=options)  # doctest: +SKIP
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            "register_skl2onnx needs the optional 'skl2onnx' package; install it "
            "with `pip install skl2onnx`."
        ) from exc
    from sk_scratchnet._classifier import ScratchMLPClassifier
    from sk_scratchnet._regressor import ScratchMLPRegressor

    update_registered_converter(
        ScratchMLPClassifier,
        "SkScratchnetMLPClassifier",
        _skl2onnx_shape_calculator,
        _skl2onnx_converter,
        # skl2onnx's classifier parser reads both options; labels are always
        # the class values here, so 'nocl' (class indices instead) is refused.
        options={"zipmap": [True, False, "columns"], "nocl": [False]},
    )
    # A regressor gets skl2onnx's one-output parser: a tensor named 'variable'.
    update_registered_converter(
        ScratchMLPRegressor,
        "SkScratchnetMLPRegressor",
        _skl2onnx_shape_calculator,
        _skl2onnx_converter,
    )
