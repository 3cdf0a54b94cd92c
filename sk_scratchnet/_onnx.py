"""Export a fitted classifier to ONNX, node by node with the ``onnx`` helper API.

The exported graph repeats the forward pass of the estimator (the README's
equations 1-3 generalised to any depth)::

    z_0 = X                                   # after an optional scaler step
    z_l = act(z_{l-1} @ W_l + b_l)            # MatMul + Add + activation node(s)
    score = z_{L-1} @ W_L + b_L
    probabilities = softmax(score)            # multiclass
                  = [1 - s, s], s = sigmoid(score)  # binary, one logistic unit
                  = sigmoid(score)            # multilabel
    label = classes_[argmax(probabilities)]   # Gather on a constant tensor

``onnx`` is an optional dependency (``pip install sk_scratchnet[onnx]``); it is
imported only when :func:`to_onnx` is called, so ``import sk_scratchnet`` works
without it.
"""

import math
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sk_scratchnet._activations import ELU_ALPHA, LEAKY_RELU_SLOPE

__all__ = ["register_skl2onnx", "to_onnx"]

# The default opset is one that every onnxruntime since 1.14 runs; the newest
# opset that ``onnx`` knows is often ahead of the newest onnxruntime.
_DEFAULT_OPSET = 17
# Softmax (axis semantics), ArgMax, Gather and Clip-with-inputs as used below.
_MIN_OPSET = 13

_SUPPORTED_ACTIVATIONS = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
)
_SUPPORTED_SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler")


def _import_onnx():
    """Return the ``onnx`` module, or raise ImportError naming the extra."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs the optional 'onnx' package; install it with "
            "`pip install sk_scratchnet[onnx]` (or `pip install onnx onnxruntime`)."
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
    """Return ``(preprocessing_steps, classifier)`` for a model or a Pipeline."""
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
                f"supported steps before the classifier are {_SUPPORTED_SCALERS}."
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


def _add_activation(graph, z, name):
    """Append the hidden activation ``name`` applied to ``z``.

    float32 uses the native ONNX operators. onnxruntime has no float64 kernel
    for Elu, Softplus and Erf, so float64 graphs spell the first two out with
    elementwise operators and evaluate erf in float32 (about 1e-7 accuracy);
    LeakyRelu's float32 slope attribute is replaced by a float64 Mul and Max.
    """
    double = graph.dtype == np.float64
    if name == "identity":
        return z
    if name == "relu":
        return graph.op("Relu", z)
    if name == "tanh":
        return graph.op("Tanh", z)
    if name == "logistic":
        return graph.op("Sigmoid", z)
    if name == "leaky_relu":
        if not double:
            return graph.op("LeakyRelu", z, alpha=LEAKY_RELU_SLOPE)
        # LeakyRelu's alpha attribute is a float32 (0.01 is not exact there).
        scaled = graph.op("Mul", z, graph.const("leaky_alpha", LEAKY_RELU_SLOPE))
        return graph.op("Max", z, scaled)
    if name == "elu":
        if not double:
            return graph.op("Elu", z, alpha=ELU_ALPHA)
        # alpha * (exp(min(z, 0)) - 1) for z <= 0, z otherwise; the min keeps
        # exp from overflowing in the branch that Where discards.
        zero = graph.const("zero", 0.0)
        negative = graph.op("Min", z, zero)
        expm1 = graph.op("Sub", graph.op("Exp", negative), graph.const("one", 1.0))
        scaled = graph.op("Mul", expm1, graph.const("elu_alpha", ELU_ALPHA))
        return graph.op("Where", graph.op("Greater", z, zero), z, scaled)
    if name == "softplus":
        if not double:
            return graph.op("Softplus", z)
        # log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|)), finite for any z.
        tail = graph.op("Exp", graph.op("Neg", graph.op("Abs", z)))
        log1p = graph.op("Log", graph.op("Add", tail, graph.const("one", 1.0)))
        return graph.op("Add", graph.op("Relu", z), log1p)
    if name == "gelu":
        # Exact form: 0.5 * z * (1 + erf(z / sqrt(2))).
        u = graph.op("Div", z, graph.const("sqrt2", math.sqrt(2.0)))
        if double:
            u32 = graph.op("Cast", u, to=graph.onnx.TensorProto.FLOAT)
            erf = graph.op(
                "Cast", graph.op("Erf", u32), to=graph.onnx.TensorProto.DOUBLE
            )
        else:
            erf = graph.op("Erf", u)
        half_z = graph.op("Mul", z, graph.const("half", 0.5))
        return graph.op("Mul", half_z, graph.op("Add", erf, graph.const("one", 1.0)))
    raise ValueError(
        f"to_onnx does not support activation={name!r}; supported activations "
        f"are {_SUPPORTED_ACTIVATIONS}."
    )


def _hidden_activations(clf):
    """Return one activation name per hidden layer."""
    n_hidden = len(clf.coefs_) - 1
    activation = clf.activation
    if isinstance(activation, str):
        return [activation] * n_hidden
    names = list(activation)
    if len(names) != n_hidden:
        raise ValueError(
            f"activation lists {len(names)} names but the model has {n_hidden} "
            "hidden layers."
        )
    return names


def _label_dtype(clf):
    """Return the numpy dtype of the ``label`` output (None: string labels)."""
    if clf.out_activation_ == "logistic" and clf.n_outputs_ > 1:
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


def _output_spec(onnx, clf):
    """Return (label element type, label shape, n_classes) of the graph."""
    dtype = _label_dtype(clf)
    if dtype is None:
        label_type = onnx.TensorProto.STRING
    else:
        label_type = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    if clf.out_activation_ == "logistic" and clf.n_outputs_ > 1:
        return label_type, [None, int(clf.n_outputs_)], int(clf.n_outputs_)
    return label_type, [None], len(clf.classes_)


def _check_classifier(clf):
    """Raise unless ``clf`` is a fitted MLP classifier."""
    check_is_fitted(clf)
    needed = ("coefs_", "intercepts_", "out_activation_", "n_outputs_", "classes_")
    if not all(hasattr(clf, name) for name in needed):
        raise TypeError(
            "to_onnx converts fitted MLP classifiers (ScratchMLPClassifier, "
            f"MLPClassifier) with {needed}; got {type(clf).__name__}."
        )


def _add_classifier(graph, x, clf, label, probabilities):
    """Append the network of ``clf`` from input ``x`` to the two named outputs."""
    _check_classifier(clf)
    if clf.out_activation_ not in ("softmax", "logistic"):
        raise ValueError(
            f"to_onnx exports classifiers only; out_activation_="
            f"{clf.out_activation_!r} is not 'softmax' or 'logistic'."
        )
    activations = _hidden_activations(clf)
    z = x
    n_layers = len(clf.coefs_)
    for layer, (coef, intercept) in enumerate(
        zip(clf.coefs_, clf.intercepts_, strict=True)
    ):
        z = graph.op("MatMul", z, graph.const(f"coef_{layer}", coef))
        z = graph.op("Add", z, graph.const(f"intercept_{layer}", intercept))
        if layer < n_layers - 1:
            z = _add_activation(graph, z, activations[layer])

    int64 = graph.onnx.TensorProto.INT64
    label_dtype = _label_dtype(clf)
    if label_dtype is None:
        label_dtype = np.dtype(str)
    if clf.out_activation_ == "softmax":
        classes = graph.const("classes", clf.classes_, dtype=label_dtype)
        graph.op("Softmax", z, output=probabilities, axis=1)
        index = graph.op("ArgMax", probabilities, axis=1, keepdims=0)
        graph.op("Gather", classes, index, output=label, axis=0)
    elif clf.n_outputs_ == 1:  # binary: one logistic unit
        classes = graph.const("classes", clf.classes_, dtype=label_dtype)
        p = graph.op("Sigmoid", z)
        q = graph.op("Sub", graph.const("one", 1.0), p)
        graph.op("Concat", q, p, output=probabilities, axis=1)
        flat = graph.op("Reshape", p, graph.const("flat", [-1], dtype=np.int64))
        positive = graph.op("Greater", flat, graph.const("half", 0.5))
        index = graph.op("Cast", positive, to=int64)
        graph.op("Gather", classes, index, output=label, axis=0)
    else:  # multilabel: one independent logistic unit per label
        graph.op("Sigmoid", z, output=probabilities)
        positive = graph.op("Greater", probabilities, graph.const("half", 0.5))
        graph.op("Cast", positive, output=label, to=int64)


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
    """Convert a fitted MLP classifier (or scaler + classifier Pipeline) to ONNX.

    The graph is built directly with :mod:`onnx.helper`: one ``MatMul`` and
    ``Add`` per layer, the hidden activation, and the output function of the
    model. It has one input and two outputs:

    - ``X``: float tensor of shape ``[None, n_features]``, of ``X_sample``'s
      dtype when that is float64 and float32 otherwise.
    - ``label``: the class labels, as :meth:`predict` returns them (int64,
      string, bool or float tensor of shape ``[None]``; for multilabel models
      an int64 0/1 matrix of shape ``[None, n_labels]``).
    - ``probabilities``: ``[None, n_classes]``, as :meth:`predict_proba`.

    Parameters
    ----------
    model : ScratchMLPClassifier, MLPClassifier or Pipeline
        A fitted classifier exposing ``coefs_``, ``intercepts_``,
        ``out_activation_``, ``n_outputs_``, ``classes_`` and ``activation``
        (a name, or a list with one name per hidden layer). A fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is such a
        classifier may precede it with ``StandardScaler``, ``MinMaxScaler``
        or ``MaxAbsScaler`` steps (or ``'passthrough'``).
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
        If the model's activation, output function or opset is not supported,
        or ``X_sample`` has the wrong number of columns.
    TypeError
        If the model is not an MLP classifier, or a pipeline step before it
        is not a supported scaler.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.

    See Also
    --------
    register_skl2onnx : Let ``skl2onnx.to_onnx`` convert the estimator too.

    Notes
    -----
    For binary models (one logistic output unit) the probabilities are
    ``[1 - p, p]`` and the label is ``classes_[p > 0.5]``; multiclass models
    take ``classes_[argmax(probabilities)]``; multilabel models return
    ``probabilities > 0.5`` as int64. For float64 graphs the ``gelu``
    activation evaluates erf in float32, because onnxruntime has no float64
    kernel for it (agreement about 1e-7 instead of 1e-15).

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

    scalers, clf = _split_pipeline(model)
    _check_classifier(clf)
    n_features = clf.coefs_[0].shape[0]
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
    _add_classifier(graph, x, clf, "label", "probabilities")
    label_type, label_shape, n_classes = _output_spec(onnx, clf)

    onnx_graph = helper.make_graph(
        graph.nodes,
        f"{type(clf).__name__}",
        [helper.make_tensor_value_info("X", graph.elem_type, [None, n_features])],
        [
            helper.make_tensor_value_info("label", label_type, label_shape),
            helper.make_tensor_value_info(
                "probabilities", graph.elem_type, [None, n_classes]
            ),
        ],
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
    """Set the types and shapes of the two outputs (skl2onnx shape calculator)."""
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    clf = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    label_dtype = _label_dtype(clf)
    label_types = {
        None: StringTensorType,
        np.dtype(bool): BooleanTensorType,
        np.dtype(np.int64): Int64TensorType,
        np.dtype(np.float32): FloatTensorType,
        np.dtype(np.float64): DoubleTensorType,
    }
    label_type = label_types[None if label_dtype is None else np.dtype(label_dtype)]
    proba_type = (
        DoubleTensorType
        if isinstance(operator.inputs[0].type, DoubleTensorType)
        else FloatTensorType
    )
    onnx = _import_onnx()
    _, label_shape, n_classes = _output_spec(onnx, clf)
    operator.outputs[0].type = label_type([n_rows, *label_shape[1:]])
    operator.outputs[1].type = proba_type([n_rows, n_classes])


def _skl2onnx_converter(scope, operator, container):
    """Emit the classifier's nodes into a skl2onnx container (converter)."""
    from skl2onnx.common.data_types import DoubleTensorType

    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    graph = _Skl2OnnxBuilder(
        _import_onnx(), np.float64 if double else np.float32, scope, container
    )
    x = operator.inputs[0].full_name
    if not double:
        # skl2onnx may hand over int64 or bool inputs; the network needs floats.
        x = graph.op("Cast", x, to=graph.elem_type)
    _add_classifier(
        graph,
        x,
        operator.raw_operator,
        operator.outputs[0].full_name,
        operator.outputs[1].full_name,
    )


def register_skl2onnx():
    """Register :class:`ScratchMLPClassifier` with ``skl2onnx``.

    Afterwards ``skl2onnx.to_onnx`` converts the estimator, alone or as the
    last step of a :class:`~sklearn.pipeline.Pipeline` with any preprocessing
    that skl2onnx knows. The converter emits the same nodes as :func:`to_onnx`.
    skl2onnx adds a ``ZipMap`` over the probabilities by default; pass
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

    update_registered_converter(
        ScratchMLPClassifier,
        "SkScratchnetMLPClassifier",
        _skl2onnx_shape_calculator,
        _skl2onnx_converter,
        # skl2onnx's classifier parser reads both options; labels are always
        # the class values here, so 'nocl' (class indices instead) is refused.
        options={"zipmap": [True, False, "columns"], "nocl": [False]},
    )
