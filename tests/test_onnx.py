"""ONNX export: onnxruntime must reproduce predict and predict_proba."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    StandardScaler,
)

from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._activations import ACTIVATIONS as ALL_ACTIVATIONS
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
    # them out, and evaluates erf (gelu) in float32.
    X, y = _data("multiclass", dtype=np.float64)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), activation=activation, max_iter=30, random_state=0
    )
    clf = clf.fit(X, y)
    _, proba = _run(ort, to_onnx(clf, X), X)
    atol = 1e-6 if activation == "gelu" else 1e-12
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=atol)


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
    with pytest.raises(ImportError, match=r"pip install sk_scratchnet\[onnx\]"):
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
