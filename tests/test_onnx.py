"""ONNX export: onnxruntime must reproduce predict and predict_proba."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    StandardScaler,
)

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._activations import ACTIVATIONS as ALL_ACTIVATIONS
from sk_scratchnet._heads import HEADS
from sk_scratchnet._onnx import register_skl2onnx, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# every activation the estimator offers must export
ACTIVATIONS = sorted(ALL_ACTIVATIONS)
KINDS = ["binary", "multiclass", "multilabel", "string"]
ATOL = 1e-5


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("onnx", reason="the 'onnx' extra is not installed")
    return pytest.importorskip(
        "onnxruntime", reason="the 'onnx' extra (onnxruntime) is not installed"
    )


def _data(kind, dtype=np.float32, n_samples=240):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    if kind == "binary":
        y = (y > 0).astype(int)
    elif kind == "string":
        y = np.array(["cat", "dog", "emu"])[y]
    elif kind == "multilabel":
        y = np.column_stack([y == 0, y == 1, y > 0, X[:, 0] > 0]).astype(int)
    return X.astype(dtype), y


def _run(ort, onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(["label", "probabilities"], {"X": X})
    return label, proba


def _assert_same_labels(onnx_label, expected):
    expected = np.asarray(expected)
    assert onnx_label.shape == expected.shape
    if expected.dtype.kind in "USO":
        np.testing.assert_array_equal(onnx_label.astype(str), expected.astype(str))
    else:
        np.testing.assert_array_equal(onnx_label, expected)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_matches_estimator(ort, activation, kind):
    X, y = _data(kind)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(10, 7),
        activation=activation,
        max_iter=40,
        random_state=0,
    )
    clf = clf.fit(X, y)
    label, proba = _run(ort, to_onnx(clf, X), X)
    expected = clf.predict_proba(X)
    assert proba.dtype == np.float32
    assert proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    _assert_same_labels(label, clf.predict(X))


def test_onnx_per_layer_activation_list(ort):
    X, y = _data("multiclass")
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(9, 8),
        activation=["tanh", "relu"],
        max_iter=40,
        random_state=0,
    )
    clf = clf.fit(X, y)
    label, proba = _run(ort, to_onnx(clf, X), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=ATOL)
    _assert_same_labels(label, clf.predict(X))


@pytest.mark.parametrize(
    "scaler",
    [
        StandardScaler(),
        StandardScaler(with_mean=False),
        MinMaxScaler(),
        MinMaxScaler(feature_range=(-1, 1), clip=True),
        MaxAbsScaler(),
    ],
    ids=["standard", "standard-no-mean", "minmax", "minmax-clip", "maxabs"],
)
def test_onnx_pipeline_with_scaler(ort, scaler):
    X, y = _data("multiclass")
    # Shift and stretch the columns so that the scaler matters.
    X = (X * np.float32([1, 10, 100, 0.1, 3, 7]) + np.float32(5)).astype(np.float32)
    pipe = make_pipeline(
        scaler,
        ScratchMLPClassifier(hidden_layer_sizes=(12,), max_iter=60, random_state=0),
    ).fit(X, y)
    # Rows outside the training range exercise the clip of MinMaxScaler.
    X_test = np.vstack([X, 1.5 * X[:20]]).astype(np.float32)
    label, proba = _run(ort, to_onnx(pipe, X_test), X_test)
    np.testing.assert_allclose(proba, pipe.predict_proba(X_test), rtol=0, atol=ATOL)
    _assert_same_labels(label, pipe.predict(X_test))


def test_onnx_pipeline_passthrough_step(ort):
    X, y = _data("binary")
    pipe = make_pipeline(
        "passthrough",
        StandardScaler(),
        ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
    ).fit(X, y)
    label, proba = _run(ort, to_onnx(pipe, X), X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    _assert_same_labels(label, pipe.predict(X))


@pytest.mark.parametrize("kind", KINDS)
def test_onnx_float64_graph(ort, kind):
    X, y = _data(kind, dtype=np.float64)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    clf.fit(X, y)
    label, proba = _run(ort, to_onnx(clf, X), X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)
    _assert_same_labels(label, clf.predict(X))


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "softplus"])
def test_onnx_float64_spelled_out_activations(ort, activation):
    # onnxruntime lacks float64 kernels for some of these; the exporter spells
    # them out (erf, for gelu, as a power series).
    X, y = _data("multiclass", dtype=np.float64)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), activation=activation, max_iter=30, random_state=0
    )
    clf = clf.fit(X, y)
    _, proba = _run(ort, to_onnx(clf, X), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)


def test_onnx_sklearn_mlpclassifier(ort):
    X, y = _data("multiclass")
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    clf.fit(X, y)
    label, proba = _run(ort, to_onnx(clf, X), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=ATOL)
    _assert_same_labels(label, clf.predict(X))


@pytest.mark.parametrize("classes", [[-3, 7], [False, True], [-1.0, 2.0]])
def test_onnx_label_dtypes(ort, classes):
    X, y = _data("binary")
    y = np.asarray(classes)[y]
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    clf.fit(X, y)
    label, _ = _run(ort, to_onnx(clf, X), X)
    _assert_same_labels(label, clf.predict(X))


def test_onnx_graph_interface(ort, tmp_path):
    import onnx

    X, y = _data("multiclass")
    clf = ScratchMLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    clf.fit(X, y)
    onx = to_onnx(clf, X[:3], target_opset=15)
    path = tmp_path / "model.onnx"
    onnx.save(onx, path)
    loaded = onnx.load(path)
    onnx.checker.check_model(loaded)
    assert [i.name for i in loaded.graph.input] == ["X"]
    assert [o.name for o in loaded.graph.output] == ["label", "probabilities"]
    assert {op.domain: op.version for op in loaded.opset_import}[""] == 15
    dims = loaded.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == X.shape[1]
    node_types = [node.op_type for node in loaded.graph.node]
    assert node_types.count("MatMul") == 2
    assert "Softmax" in node_types
    # Any batch size runs, including a single row.
    _, proba = _run(ort, loaded, X[:1])
    np.testing.assert_allclose(proba, clf.predict_proba(X[:1]), rtol=0, atol=ATOL)


def test_onnx_large_inputs_stay_finite(ort):
    X, y = _data("multiclass")
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(10,), activation="tanh", max_iter=30, random_state=0
    ).fit(X, y)
    X_big = (X * 1e4).astype(np.float32)
    _, proba = _run(ort, to_onnx(clf, X), X_big)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-5)


def test_onnx_errors(ort):
    X, y = _data("multiclass")
    with pytest.raises(NotFittedError):
        to_onnx(ScratchMLPClassifier(), X)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="columns"):
        to_onnx(clf, X[:, :3])
    with pytest.raises(ValueError, match="target_opset"):
        to_onnx(clf, X, target_opset=9)
    with pytest.raises(TypeError, match="StandardScaler"):
        to_onnx(StandardScaler().fit(X), X)
    pipe = make_pipeline(FunctionTransformer(np.log1p), clf)
    with pytest.raises(TypeError, match="FunctionTransformer"):
        to_onnx(pipe, X)
    clf.activation = "swish"
    with pytest.raises(ValueError, match="swish"):
        to_onnx(clf, X)


@pytest.mark.parametrize("kind", KINDS)
def test_skl2onnx_pipeline_with_registered_converter(ort, kind):
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    register_skl2onnx()
    X, y = _data(kind)
    X = (X * np.float32(10) + np.float32(3)).astype(np.float32)
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0),
    ).fit(X, y)
    onx = skl2onnx.to_onnx(
        pipe, X[:1], options={ScratchMLPClassifier: {"zipmap": False}}
    )
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {"X": X})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    _assert_same_labels(label, pipe.predict(X))


def test_skl2onnx_default_zipmap_output(ort):
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    register_skl2onnx()
    X, y = _data("string")
    clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0)
    clf.fit(X, y)
    onx = skl2onnx.to_onnx(clf, X[:1])
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba_maps = session.run(None, {"X": X})
    proba = np.array([[row[c] for c in clf.classes_] for row in proba_maps])
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=ATOL)
    _assert_same_labels(label, clf.predict(X))


def test_missing_onnx_gives_install_hint(monkeypatch):
    X, y = _data("binary")
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X, y)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=re.escape('pip install -e ".[onnx]"')):
        to_onnx(clf, X)


def test_import_does_not_need_onnx():
    code = (
        "import sys\n"
        "sys.modules['onnx'] = None\n"
        "sys.modules['onnxruntime'] = None\n"
        "import sk_scratchnet\n"
        "import sk_scratchnet._onnx\n"
        "assert 'onnx' not in {m for m in sys.modules if sys.modules[m]}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- regressor
REGRESSION_ATOL = {np.float32: 1e-5, np.float64: 1e-7}


def _regression_data(loss, n_outputs, dtype=np.float32, n_samples=200):
    """Targets of order 1 (the tolerances are absolute); counts for poisson."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 6))
    if loss == "poisson":
        Y = rng.poisson(np.exp(0.5 * np.tanh(X[:, :2]))).astype(float)
    else:
        Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1], X[:, 2] * X[:, 3]])
    y = Y[:, 0] if n_outputs == 1 else Y[:, :n_outputs]
    return X.astype(dtype), y


def _run_regressor(ort, onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    assert [o.name for o in session.get_outputs()] == ["variable"]
    (variable,) = session.run(None, {"X": X})
    return variable


def _assert_same_predictions(variable, model, X):
    expected = model.predict(X)
    # 'variable' is 2-D even for one output, as skl2onnx's MLPRegressor.
    assert variable.shape == (X.shape[0], 1 if expected.ndim == 1 else 2)
    assert variable.dtype == X.dtype
    np.testing.assert_allclose(
        variable,
        expected.reshape(variable.shape),
        rtol=0,
        atol=REGRESSION_ATOL[X.dtype.type],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_regressor_matches_estimator(ort, activation, loss, n_outputs, dtype):
    X, y = _regression_data(loss, n_outputs, dtype)
    reg = ScratchMLPRegressor(
        loss=loss,
        hidden_layer_sizes=(10, 7),
        activation=activation,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    variable = _run_regressor(ort, to_onnx(reg, X), X)
    _assert_same_predictions(variable, reg, X)
    if loss == "poisson":
        assert (variable >= 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_onnx_regressor_pipeline_with_scaler(ort, loss, dtype):
    X, y = _regression_data(loss, 2, dtype)
    X_wide = (X * np.array([1, 10, 100, 0.1, 3, 7]) + 5).astype(dtype)
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(12,), max_iter=60, random_state=0
        ),
    ).fit(X_wide, y)
    variable = _run_regressor(ort, to_onnx(pipe, X_wide), X_wide)
    _assert_same_predictions(variable, pipe, X_wide)


def test_onnx_regressor_graph_interface(ort):
    import onnx

    for loss, head_op in (("squared_error", "Identity"), ("poisson", "Exp")):
        X, y = _regression_data(loss, 2)
        reg = ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(5,), max_iter=20, random_state=0
        ).fit(X, y)
        onx = to_onnx(reg)  # no sample: float32 with n_features_in_ columns
        onnx.checker.check_model(onx)
        (output,) = onx.graph.output
        assert output.name == "variable"
        dims = output.type.tensor_type.shape.dim
        assert dims[1].dim_value == 2
        assert output.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        node_types = [node.op_type for node in onx.graph.node]
        assert node_types.count("MatMul") == 2
        assert node_types[-1] == head_op
        # Any batch size runs, including a single row.
        _assert_same_predictions(_run_regressor(ort, onx, X[:1]), reg, X[:1])


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_onnx_sklearn_mlpregressor(ort, loss):
    X, y = _regression_data(loss, 2)
    reg = MLPRegressor(
        loss=loss, hidden_layer_sizes=(8,), max_iter=30, random_state=0
    ).fit(X, y)
    _assert_same_predictions(_run_regressor(ort, to_onnx(reg, X), X), reg, X)


def test_onnx_knows_every_output_head():
    # A head added to the estimators must be named by the exporter too.
    from sk_scratchnet._onnx import _ONNX_HEADS

    assert {head.out_activation for head in HEADS.values()} == set(_ONNX_HEADS)


def test_onnx_regressor_errors(ort):
    X, y = _regression_data("squared_error", 1)
    with pytest.raises(NotFittedError, match="not fitted"):
        to_onnx(ScratchMLPRegressor(), X)
    with pytest.raises(NotFittedError, match="not fitted"):
        to_onnx(make_pipeline(StandardScaler(), ScratchMLPRegressor()), X)
    reg = ScratchMLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="columns"):
        to_onnx(reg, X[:, :3])
    reg.out_activation_ = "softsign"
    with pytest.raises(ValueError, match="out_activation_='softsign'"):
        to_onnx(reg, X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("loss", "n_outputs"), [("squared_error", 1), ("squared_error", 2), ("poisson", 2)]
)
def test_skl2onnx_regressor_pipeline(ort, loss, n_outputs, dtype):
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    register_skl2onnx()
    X, y = _regression_data(loss, n_outputs, dtype)
    X = (X * 10 + 3).astype(dtype)
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(8,), max_iter=40, random_state=0
        ),
    ).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1])
    _assert_same_predictions(_run_regressor(ort, onx, X), pipe, X)


def test_float64_erf_series_matches_scipy(ort):
    # onnxruntime has no float64 Erf: gelu graphs use a series; check it over
    # the whole range, past the clip at |u| = 6, with the runtime's optimiser on.
    import onnx
    from scipy.special import erf

    from sk_scratchnet._onnx import _add_erf_series, _GraphBuilder

    graph = _GraphBuilder(onnx, np.float64)
    out = _add_erf_series(graph, "u")
    helper = onnx.helper
    tensor = [onnx.TensorProto.DOUBLE, [None]]
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "erf",
            [helper.make_tensor_value_info("u", *tensor)],
            [helper.make_tensor_value_info(out, *tensor)],
            initializer=graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = helper.find_min_ir_version_for(model.opset_import)
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    u = np.linspace(-40.0, 40.0, 20_001)
    (result,) = session.run(None, {"u": u})
    np.testing.assert_allclose(result, erf(u), rtol=0, atol=1e-14)


def test_onnx_maps_every_activation_the_estimators_accept():
    # One mapping from activation name to ONNX nodes; an activation added to
    # the estimators must be added there too, and the error lists them all.
    from sk_scratchnet._onnx import _ONNX_ACTIVATIONS, _SUPPORTED_ACTIVATIONS

    assert set(_ONNX_ACTIVATIONS) == set(ALL_ACTIVATIONS)
    assert set(_SUPPORTED_ACTIVATIONS) == set(ALL_ACTIVATIONS)
    with pytest.raises(ValueError, match="does not support activation='softsign'"):
        from sk_scratchnet._onnx import _add_activation

        _add_activation(None, None, "softsign")
