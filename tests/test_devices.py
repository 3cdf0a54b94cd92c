"""Where arrays live: namespaces, devices, dtypes, host transfers and pickling.

The helpers of :mod:`sk_scratchnet._devices` are run on NumPy arrays, sparse
matrices, plain Python values and array-api-strict arrays (float64 on its
default device, float32 on a second device), and on PyTorch tensors where
PyTorch is installed.
"""

import pickle
import types
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context

from sk_scratchnet import ScratchMLPClassifier, _devices
from sk_scratchnet._devices import (
    check_same_namespace,
    float_dtypes,
    foreign_namespace,
    from_host,
    host_state,
    is_moved,
    namespace_name,
    namespace_of,
    numpy_dtype,
    restore_state,
    same_place,
    take_rows,
    to_host,
)
from sk_scratchnet._namespace import foreign_ops, ops_for
from sk_scratchnet._optimizers import Adam
from tests._helpers import strict_warnings
from tests._strict_arrays import (
    PLACE_IDS,
    PLACES,
    TORCH_REASON,
    host_values,
    strict_array,
    strict_device,
    xps,
)


@pytest.fixture(params=PLACES, ids=PLACE_IDS)
def place(request):
    return request.param


# ----------------------------------------------------------- namespaces
def test_namespace_name():
    for module_name, short in [
        ("array_api_strict", "array_api_strict"),
        ("sklearn.externals.array_api_compat.torch", "torch"),
        ("array_api_compat.cupy", "cupy"),
        ("array_api_compat.numpy", "numpy"),
        ("jax.numpy", "jax"),
        ("numpy", "numpy"),
        ("array_api_compat.dask.array", "dask"),
        ("somelib", "somelib"),
    ]:
        assert namespace_name(types.SimpleNamespace(__name__=module_name)) == short
    assert namespace_name(foreign_namespace(xps.asarray([1.0]))) == "array_api_strict"


def test_foreign_namespace():
    for value in [*host_values(), 3.0, np.ones(3).view(np.recarray)]:
        assert foreign_namespace(value) is None
    a = xps.asarray([1.0])
    assert foreign_namespace(a) is ops_for(a).xp
    b = xps.asarray([1.0], dtype=xps.float32, device=strict_device("device1"))
    assert foreign_namespace(b) is foreign_namespace(a)
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    assert namespace_name(foreign_namespace(torch.ones(2))) == "torch"


def _copying_views():
    """A namespace whose reshapes are copies: writes through views are lost."""
    xp = types.ModuleType("copying_views")
    xp.float64 = np.float64
    xp.zeros = lambda shape, dtype=None, device=None: _CopyingArray(
        np.zeros(shape, dtype=dtype)
    )
    xp.reshape = lambda a, shape: _CopyingArray(np.array(a.a).reshape(shape))
    return xp


class _CopyingArray:
    def __init__(self, a):
        self.a = a
        self.dtype = a.dtype
        self.device = "cpu"

    def __array_namespace__(self, api_version=None):
        return _copying_views()

    def __getitem__(self, index):
        return _CopyingArray(self.a[index])

    def __setitem__(self, index, value):
        self.a[index] = value


def test_namespaces_without_writable_views_are_rejected():
    array = _CopyingArray(np.zeros(3))
    with config_context(array_api_dispatch=True):
        for find in (namespace_of, foreign_namespace, ops_for, foreign_ops):
            with pytest.raises(TypeError, match="'copying_views' namespace cannot"):
                find(array)
        with pytest.raises(TypeError, match="flat parameter vector"):
            from_host(np.ones(2), like=array)
    # without dispatch they are array-likes that validation turns into NumPy
    assert namespace_of(array) is None
    assert foreign_namespace(array) is None


def test_namespace_of():
    for host in (np.ones(2), np.ones(2).view(np.recarray), sparse.csr_matrix([[1]])):
        assert namespace_of(host) is None
    a = xps.asarray([1.0])
    assert namespace_of(a) is foreign_namespace(a) is ops_for(a).xp
    for not_an_array in ([[1.0]], None, 3.0):
        with pytest.raises(TypeError):
            namespace_of(not_an_array)


def test_without_array_api_compat(monkeypatch):
    # scikit-learn 1.6 ships no array_api_compat: without the package, arrays of
    # other libraries are host array-likes that validation turns into NumPy
    monkeypatch.setattr(_devices, "_compat", None)
    monkeypatch.setattr(_devices, "_CHECKED", {})
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    A = xps.asarray(X)
    assert to_host(A) is A
    assert foreign_namespace(A) is None
    with pytest.raises(TypeError, match="need the array_api_compat package"):
        namespace_of(A)
    assert to_host(X) is X
    assert from_host(X, like=np.ones(1)) is X
    clf = ScratchMLPClassifier(max_iter=3, random_state=0)
    with strict_warnings():
        from_strict = clf.fit(A, y).coefs_
        from_numpy = ScratchMLPClassifier(max_iter=3, random_state=0).fit(X, y).coefs_
    assert all(type(c) is np.ndarray for c in from_strict)
    for a, b in zip(from_strict, from_numpy, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.dtype("float64"), np.float64),
        (np.int64, np.int64),
        (xps.float32, np.float32),
        (xps.float64, np.float64),
        (xps.int64, np.int64),
        (xps.bool, np.bool_),
    ],
)
def test_numpy_dtype(dtype, expected):
    assert numpy_dtype(dtype) == np.dtype(expected)


def test_numpy_dtype_of_torch_dtypes():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    assert numpy_dtype(torch.float32) == np.float32
    assert numpy_dtype(torch.float64) == np.float64
    assert numpy_dtype(torch.int64) == np.int64


def test_float_dtypes():
    assert float_dtypes(np.ones(2)) == (np.float64, np.float32)
    assert float_dtypes(xps.asarray([1.0])) == (xps.float64, xps.float32)
    no_f64 = xps.asarray([1.0], dtype=xps.float32, device=strict_device("no_float64"))
    assert float_dtypes(no_f64) == (xps.float32,)


# ----------------------------------------------------------- host transfers
@pytest.mark.parametrize(
    "host",
    [
        np.arange(12.0).reshape(4, 3) / 7,
        np.arange(5),
        np.array([True, False, True]),
    ],
    ids=["float", "int", "bool"],
)
def test_to_host_from_host_round_trip(place, host):
    like = strict_array(np.zeros(1), place)
    moved = from_host(host, like=like)
    assert type(moved) is type(like)
    assert moved.device == like.device
    expected_dtype = {"f": np.dtype(place[0]), "i": np.int64, "b": np.bool_}
    assert numpy_dtype(moved.dtype) == expected_dtype[host.dtype.kind]
    back = to_host(moved)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host.astype(expected_dtype[host.dtype.kind]))


def test_from_host_with_an_explicit_dtype(place):
    like = strict_array(np.zeros(1), place)
    host = np.arange(4.0)
    for dtype in ("float32", xps.float32):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            moved = from_host(host, like=like, dtype=dtype)
        assert moved.dtype == xps.float32
        assert moved.device == like.device
    # a non-contiguous NumPy array moves too
    moved = from_host(np.arange(10.0)[::2], like=like)
    np.testing.assert_array_equal(to_host(moved), np.arange(10.0)[::2])


def test_to_host_from_host_with_torch():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    like = torch.zeros(1, dtype=torch.float32)
    host = np.arange(6.0).reshape(2, 3)
    moved = from_host(host, like=like)
    assert isinstance(moved, torch.Tensor)
    assert moved.dtype == torch.float32
    assert moved.device == like.device
    back = to_host(moved)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host.astype(np.float32))
    grad = torch.ones(3, dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal(to_host(grad), np.ones(3))


def test_host_values_pass_through():
    a = np.arange(3.0)
    matrix = sparse.csr_matrix(np.eye(2))
    values = [[1.0, 2.0]]
    assert to_host(a) is a
    assert to_host(matrix) is matrix
    assert to_host(values) is values
    assert to_host(None) is None
    assert from_host(None, like=xps.asarray([1.0])) is None
    assert from_host(a, like=np.zeros(1)) is a
    assert from_host(a, like=np.zeros(1, np.float32)) is a
    assert from_host(a, like=sparse.csr_matrix(np.eye(2))) is a


def test_take_rows(place):
    a = np.arange(15.0).reshape(5, 3)
    A = strict_array(a, place)
    rows = np.array([4, 0, 0, 2])
    taken = take_rows(A, rows)
    assert type(taken) is type(A)
    assert taken.device == A.device
    np.testing.assert_array_equal(to_host(taken), a[rows].astype(place[0]))
    assert take_rows(a, rows).tolist() == a[rows].tolist()
    matrix = sparse.csr_matrix(a)
    np.testing.assert_array_equal(take_rows(matrix, rows).toarray(), a[rows])


# ----------------------------------------------------------- same namespace
def test_same_place():
    A = xps.asarray([1.0])
    other_device = xps.asarray([1.0], device=strict_device("device1"))
    assert same_place(np.ones(2), sparse.csr_matrix(np.eye(2)))
    assert same_place(A, xps.asarray([2.0, 3.0]))
    assert not same_place(A, other_device)
    assert not same_place(np.ones(1), A)
    assert not same_place(A, sparse.csr_matrix(np.eye(2)))


# ----------------------------------------------------------- same namespace
def test_check_same_namespace_passes_on_the_same_place():
    clf = ScratchMLPClassifier()
    A = xps.asarray(np.ones((2, 2)))
    check_same_namespace(xps.asarray(np.ones((3, 2))), A, clf, "predict")
    check_same_namespace(np.ones((3, 2)), np.ones((2, 2)), clf, "predict")
    check_same_namespace(
        sparse.csr_matrix(np.ones((3, 2))), np.ones((2, 2)), clf, "fit"
    )


def test_check_same_namespace_names_the_namespaces():
    clf = ScratchMLPClassifier()
    with pytest.raises(ValueError) as error:
        check_same_namespace(np.ones((3, 2)), xps.asarray([1.0]), clf, "predict_proba")
    message = str(error.value)
    assert (
        "Inputs passed to ScratchMLPClassifier.predict_proba() must use the same "
        in (message)
    )
    assert "namespace and the same device as those passed to fit()" in message
    assert (
        "Array namespaces used during fit (array_api_strict) and predict_proba "
        "(numpy) differ." in message
    )
    assert "array_api_dispatch=True" in message
    with pytest.raises(ValueError, match=r"during fit \(array_api_strict\) and fit"):
        check_same_namespace(
            sparse.csr_matrix(np.ones((3, 2))), xps.asarray([1.0]), clf, "fit"
        )


def test_check_same_namespace_names_the_devices():
    clf = ScratchMLPClassifier()
    fitted = xps.asarray([1.0])
    X = xps.asarray(np.ones((3, 2)), device=strict_device("device1"))
    with pytest.raises(ValueError) as error:
        check_same_namespace(X, fitted, clf, "partial_fit")
    message = str(error.value)
    assert "ScratchMLPClassifier.partial_fit() must use the same namespace" in message
    assert (
        f"Devices used during fit ({fitted.device}) and partial_fit ({X.device}) "
        "differ." in message
    )


# ----------------------------------------------------------- pickling state
def _state(place):
    rng = np.random.default_rng(0)
    coef = strict_array(rng.normal(size=(3, 2)), place)
    intercept = strict_array(rng.normal(size=2), place)
    optimizer = Adam(8, getattr(xps, place[0]), 0.01, like=coef)
    optimizer.m[...] = strict_array(np.arange(8.0), place)
    return {
        "coefs_": [coef],
        "intercepts_": (intercept,),
        "nested": {"same": coef, "host": np.arange(3.0), "n": 3, "name": "relu"},
        "_optimizer": optimizer,
        "_optimizer_again": optimizer,
    }


def test_host_state_and_restore_state(place):
    state = _state(place)
    saved = pickle.loads(pickle.dumps(host_state(state)))
    # the original state is untouched
    assert type(state["coefs_"][0]) is type(xps.asarray([1.0]))
    assert type(state["_optimizer"].m) is type(xps.asarray([1.0]))
    assert is_moved(saved["coefs_"][0])
    assert is_moved(saved["intercepts_"][0])
    assert is_moved(saved["_optimizer"].m)
    assert isinstance(saved["nested"]["host"], np.ndarray)
    assert saved["nested"]["n"] == 3
    assert saved["_optimizer"] is saved["_optimizer_again"]

    restored = restore_state(saved)
    for key, index in (("coefs_", 0), ("intercepts_", 0)):
        original = state[key][index]
        back = restored[key][index]
        assert type(back) is type(original)
        assert back.device == original.device
        assert back.dtype == original.dtype
        np.testing.assert_array_equal(to_host(back), to_host(original))
    assert isinstance(restored["intercepts_"], tuple)
    assert restored["_optimizer"].m.device == state["_optimizer"].m.device
    np.testing.assert_array_equal(to_host(restored["_optimizer"].m), np.arange(8.0))
    np.testing.assert_array_equal(
        to_host(restored["nested"]["same"]), to_host(state["coefs_"][0])
    )
    assert restored["_optimizer"] is restored["_optimizer_again"]


def test_restore_state_without_the_device_warns(monkeypatch, place):
    state = _state(place)
    saved = host_state(state)
    monkeypatch.setattr(_devices, "_device_like", lambda *args: None)
    with pytest.warns(UserWarning, match="not available here") as record:
        restored = restore_state(saved)
    assert len(record) == 1
    message = str(record[0].message)
    assert "array_api_strict" in message
    assert place[1] in message
    assert "NumPy arrays instead" in message
    coef = restored["coefs_"][0]
    assert isinstance(coef, np.ndarray)
    assert coef.dtype == np.dtype(place[0])
    np.testing.assert_array_equal(coef, to_host(state["coefs_"][0]))
    assert isinstance(restored["_optimizer"].m, np.ndarray)


def test_host_state_leaves_numpy_state_alone():
    state = {"coefs_": [np.ones((2, 2))], "n": 1}
    saved = host_state(state)
    assert saved["coefs_"][0] is state["coefs_"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert restore_state(saved)["coefs_"][0] is state["coefs_"][0]
