"""Property-based tests: any input gives a working model or a clear error.

Every generated case ends in one of two ways:

* ``fit`` and the prediction methods work: probabilities are finite, lie in
  [0, 1] and sum to 1 per row, ``predict`` agrees with ``argmax`` of
  ``predict_proba``, ``predict_log_proba`` is finite and matches the log of
  the probabilities, every weight is finite;
* or a ``ValueError``/``TypeError`` whose message names the problem and that
  is not raised from inside NumPy.

Never another exception type and never a ``RuntimeWarning`` (the helpers turn
them into errors; CI also runs pytest with ``-W error::RuntimeWarning``). The
caller's ``X`` and ``y`` are compared with copies taken before the call, and
inputs are often made read-only.

The networks are tiny (one to three hidden layers of one to six units,
``max_iter=5``) but drawn with every solver and activation, ``alpha``,
``class_weight``, dropout and warm start, so that about 800 cases run in
about half a minute of CPU. Hypothesis runs derandomized and without an
example database, so CI runs the same cases every time.
``pytest --hypothesis-show-statistics`` prints the number of cases.
"""

import copy
import os
import string
import traceback
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from sk_scratchnet import ScratchMLPClassifier
from sk_scratchnet._activations import ACTIVATIONS as ALL_ACTIVATIONS
from tests._helpers import strict_warnings
from tests.test_activations import REFERENCE

FUZZ = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": True,
    # the explain phase re-runs a failing case thousands of times
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}

SOLVERS = ["adam", "sgd", "lbfgs"]
ACTIVATIONS = sorted(ALL_ACTIVATIONS)
SPARSE_FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]
NUMPY_DIR = os.path.dirname(np.__file__)

# Keywords an error message must contain (lower-cased) to count as naming the
# problem, per kind of problem.
NONFINITE_WORDS = ("nan", "inf")
ONE_CLASS_WORDS = ("class",)
EXTREME_WORDS = (
    "learning_rate",
    "scal",
    "diverg",
    "finite",
    "inf",
    "nan",
    "overflow",
    "too large",
)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


@st.composite
def hidden_sizes(draw):
    """One to three hidden layers of one to six units."""
    return tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))


@st.composite
def tiny_models(draw, solvers=SOLVERS):
    solver = draw(st.sampled_from(solvers))
    stochastic = solver != "lbfgs"
    return ScratchMLPClassifier(
        hidden_layer_sizes=draw(hidden_sizes()),
        max_iter=5,
        solver=solver,
        activation=draw(st.sampled_from(ACTIVATIONS)),
        alpha=draw(st.sampled_from([1e-4, 0.5])),
        class_weight=draw(st.sampled_from([None, "balanced"])),
        dropout=draw(st.sampled_from([0.0, 0.3])) if stochastic else 0.0,
        warm_start=draw(st.booleans()),
        random_state=draw(st.integers(0, 2**16)),
    )


def snapshot(obj):
    """A deep copy of an input, to check later that it was not modified."""
    if sp.issparse(obj) or isinstance(obj, pd.DataFrame | pd.Series):
        return obj.copy()
    return copy.deepcopy(obj)


def _dense_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:  # NaN entries compare equal to NaN entries
        return all(
            x == z or (x != x and z != z)
            for x, z in zip(a.ravel(), b.ravel(), strict=True)
        )
    return np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def assert_unchanged(obj, snap):
    """The caller's input is exactly as before: values, dtype, format, flags."""
    if sp.issparse(obj):
        assert obj.format == snap.format
        assert type(obj) is type(snap)
        assert _dense_equal(obj.toarray(), snap.toarray()), "sparse X was modified"
    elif isinstance(obj, pd.DataFrame):
        assert list(obj.columns) == list(snap.columns)
        assert obj.dtypes.equals(snap.dtypes)
        assert obj.equals(snap), "DataFrame X was modified"
    elif isinstance(obj, pd.Series):
        assert obj.equals(snap), "Series y was modified"
    elif isinstance(obj, list):
        assert obj == snap, "list y was modified"
    else:
        assert _dense_equal(obj, snap), "array input was modified"


def assert_clear_error(exc, keywords):
    """A ValueError/TypeError that names the problem, not one from NumPy."""
    assert isinstance(exc, ValueError | TypeError)
    message = str(exc).lower()
    assert any(word in message for word in keywords), (
        f"{type(exc).__name__}({str(exc)!r}) does not name the problem; "
        f"expected one of {keywords}"
    )
    innermost = traceback.extract_tb(exc.__traceback__)[-1].filename
    assert not innermost.startswith(NUMPY_DIR), (
        f"error raised from inside NumPy ({innermost}): {exc!r}"
    )


def make_readonly(X):
    if isinstance(X, np.ndarray):
        X.setflags(write=False)
    elif sp.issparse(X) and isinstance(getattr(X, "data", None), np.ndarray):
        X.data.setflags(write=False)
    return X


def _expected_classes(y):
    return np.unique(np.asarray(y))


def check_fitted_model(est, X, y):
    """The invariants every successfully fitted model satisfies on X."""
    y_arr = np.asarray(y)
    multilabel = y_arr.ndim == 2 and y_arr.shape[1] > 1
    n_samples = X.shape[0]
    assert est.n_features_in_ == X.shape[1]
    for W in [*est.coefs_, *est.intercepts_]:
        assert np.isfinite(W).all(), "fitted model holds non-finite weights"

    proba = est.predict_proba(X)
    if isinstance(X, pd.DataFrame):
        in_dtype = np.result_type(*X.dtypes)
    else:
        in_dtype = X.dtype
    expected_dtype = np.float32 if in_dtype == np.float32 else np.float64
    assert proba.dtype == expected_dtype
    assert est.coefs_[0].dtype == expected_dtype
    atol = 1e-5 if proba.dtype == np.float32 else 1e-12
    assert np.isfinite(proba).all(), "predict_proba is not finite"
    assert ((proba >= 0) & (proba <= 1)).all()

    pred = est.predict(X)
    if multilabel:
        assert proba.shape == y_arr.shape
        np.testing.assert_array_equal(pred, (proba > 0.5).astype(pred.dtype))
    else:
        np.testing.assert_array_equal(est.classes_, _expected_classes(y))
        assert proba.shape == (n_samples, len(est.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)
        np.testing.assert_array_equal(pred, est.classes_[np.argmax(proba, axis=1)])

    log_proba = est.predict_log_proba(X)
    assert log_proba.shape == proba.shape
    assert np.isfinite(log_proba).all(), "predict_log_proba is not finite"
    assert (log_proba <= 0).all()
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=0, atol=10 * atol)
    return proba


def _event(message):
    # hypothesis statistics; run_case is also used by plain (pinned) tests
    try:
        event(message)
    except InvalidArgument:
        pass


def run_case(est, X, y, *, expect="ok", keywords=()):
    """Fit ``est`` on (X, y) and check the outcome.

    expect: "ok" (must fit), "error" (must raise a clear error) or "either".
    Returns the fitted estimator, or None when fit raised.
    """
    X_snap, y_snap = snapshot(X), snapshot(y)
    with strict_warnings():
        try:
            est.fit(X, y)
        except (ValueError, TypeError) as exc:
            if expect == "ok":
                raise
            assert_clear_error(exc, keywords)
            _event(f"clear {type(exc).__name__}")
            fitted = None
        else:
            assert expect != "error", f"fit accepted an input it must reject: {X!r}"
            check_fitted_model(est, X, y)
            _event("fitted")
            fitted = est
    assert_unchanged(X, X_snap)
    assert_unchanged(y, y_snap)
    return fitted


def binary_labels(rng, n_samples):
    """Labels with both classes present (n_samples >= 2)."""
    y = rng.integers(0, 2, size=n_samples)
    y[:2] = [0, 1]
    return rng.permutation(y)


# --------------------------------------------------------------------------
# shapes and dtypes
# --------------------------------------------------------------------------

DTYPES = [
    "float16",
    "float32",
    "float64",
    "int8",
    "int64",
    "uint8",
    "bool",
    "object_float",
    "object_int",
]


def cast(values, dtype):
    if dtype == "object_float":
        return values.astype(object)
    if dtype == "object_int":
        return np.rint(values).astype(np.int64).astype(object)
    if dtype == "bool":
        return values > 0
    kind = np.dtype(dtype)
    if kind.kind in "iu":
        info = np.iinfo(kind)
        return np.clip(np.rint(values), info.min, info.max).astype(kind)
    return values.astype(kind)


@settings(max_examples=150, **FUZZ)
@given(
    est=tiny_models(),
    n_samples=st.one_of(st.integers(1, 3), st.integers(4, 40)),
    n_features=st.one_of(st.integers(1, 5), st.sampled_from([20, 1000])),
    dtype=st.sampled_from(DTYPES),
    scale=st.sampled_from([1e-3, 1.0, 100.0]),
    readonly=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_shapes_and_dtypes(
    est, n_samples, n_features, dtype, scale, readonly, seed
):
    rng = np.random.default_rng(seed)
    X = cast(rng.normal(scale=scale, size=(n_samples, n_features)), dtype)
    # (drawn from the seed: hypothesis would favour the error case heavily)
    one_class = rng.random() < 0.1
    if n_samples == 1 or one_class:
        # one class (also the only possibility with a single sample): the
        # policy is a ValueError saying at least two classes are needed
        y = np.zeros(n_samples, dtype=np.int64)
        expect = "error"
    else:
        y = binary_labels(rng, n_samples)
        expect = "ok"
    if readonly:
        make_readonly(X)
        make_readonly(y)
    fitted = run_case(est, X, y, expect=expect, keywords=ONE_CLASS_WORDS)
    if fitted is None:
        return
    # predicting with the wrong number of features is a clear ValueError
    X_wide = np.zeros((n_samples, n_features + 1))
    with pytest.raises(ValueError, match="feature"):
        fitted.predict_proba(X_wide)
    with pytest.raises(ValueError, match="feature"):
        fitted.predict(X_wide[:, :0] if n_features == 1 else X_wide[:, :-2])


# --------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------

LABEL_KINDS = ["int", "negative", "huge_int", "str", "str_object", "bool", "float"]


def encode_labels(codes, kind):
    """Map integer codes 0..k-1 to labels of the given kind."""
    if kind == "int":
        return codes.astype(np.int64) * 3 + 1
    if kind == "negative":
        return -codes.astype(np.int64) - 1
    if kind == "huge_int":
        return codes.astype(np.int64) * 10**15 - 10**17
    if kind == "str":
        return np.array([f"class {c:03d}" for c in codes])
    if kind == "str_object":
        return np.array([f"c{c}" for c in codes], dtype=object)
    if kind == "bool":
        return codes.astype(bool)
    return codes.astype(np.float64)  # integral floats: 0.0, 1.0, ...


@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
@settings(max_examples=130, **FUZZ)
@given(
    est=tiny_models(),
    n_classes=st.one_of(st.integers(2, 5), st.integers(6, 100)),
    kind=st.sampled_from(LABEL_KINDS),
    singleton=st.booleans(),
    container=st.sampled_from(["array", "list", "series"]),
    early_stopping=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_labels(est, n_classes, kind, singleton, container, early_stopping, seed):
    rng = np.random.default_rng(seed)
    if kind == "bool":
        n_classes = 2
    counts = rng.integers(1, 4, size=n_classes)
    if singleton:
        counts[0] = 1
    codes = rng.permutation(np.repeat(np.arange(n_classes), counts))
    X = rng.normal(size=(codes.size, 3)) + codes[:, None] % 3
    y = encode_labels(codes, kind)
    if container == "list":
        y = y.tolist()
    elif container == "series":
        y = pd.Series(y)
    est.set_params(early_stopping=early_stopping)
    # early stopping holds out a stratified validation set: too few samples
    # per class for that is a clear error, not a crash
    expect = "either" if early_stopping else "ok"
    fitted = run_case(
        est,
        X,
        y,
        expect=expect,
        keywords=("class", "member", "validation", "sample"),
    )
    if fitted is not None:
        assert set(np.unique(fitted.predict(X))) <= set(fitted.classes_)


INVALID_LABELS = {
    "str_and_int": (["a", 1], ("label", "mix", "target")),
    "str_and_float": (["a", 1.5], ("label", "mix", "target")),
    "str_and_none": (["a", None], ("label", "mix", "target", "none")),
    "str_and_bool": (["a", True], ("label", "mix", "target")),
    "continuous": ([0.5, 1.25], ("continuous", "label", "target")),
    "nan": ([0.0, np.nan], ("nan",)),
}


@settings(max_examples=60, **FUZZ)
@given(
    est=tiny_models(),
    case=st.sampled_from(sorted(INVALID_LABELS)),
    n_samples=st.integers(2, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_invalid_labels(est, case, n_samples, seed):
    rng = np.random.default_rng(seed)
    values, keywords = INVALID_LABELS[case]
    picks = rng.integers(0, len(values), size=n_samples)
    picks[:2] = [0, 1]
    y = np.empty(n_samples, dtype=object)
    y[:] = [values[i] for i in rng.permutation(picks)]
    if case in ("continuous", "nan"):
        y = y.astype(np.float64)
    X = rng.normal(size=(n_samples, 2))
    run_case(est, X, y, expect="error", keywords=keywords)


@settings(max_examples=60, **FUZZ)
@given(
    est=tiny_models(),
    n_samples=st.integers(2, 30),
    n_labels=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_multilabel(est, n_samples, n_labels, seed):
    rng = np.random.default_rng(seed)
    Y = rng.integers(0, 2, size=(n_samples, n_labels))
    Y[0, 0], Y[1, 0] = 0, 1  # multilabel-indicator, not multiclass
    Y[0, 1], Y[1, 1] = 1, 1
    X = rng.normal(size=(n_samples, 3))
    fitted = run_case(est, X, Y)
    assert fitted.out_activation_ == "logistic"


# --------------------------------------------------------------------------
# extreme values, constant columns, duplicated rows
# --------------------------------------------------------------------------

FLOAT64_MAX = float(np.finfo(np.float64).max)
EXTREMES = [1e300, -1e300, 1e150, -1e150, 1e10, -1e10, FLOAT64_MAX, -FLOAT64_MAX]
TAME = [0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, 5e-324, 2.2250738585072014e-308]


# finite values whose pairwise sum is inf + (-inf): NumPy's sum of this array
# is NaN with an "invalid value" RuntimeWarning (sklearn's finiteness check sums X)
_SUM_IS_NAN = np.zeros((8, 2))
_SUM_IS_NAN[[0, 4]] = [FLOAT64_MAX, -FLOAT64_MAX]


@settings(max_examples=110, **FUZZ)
@given(
    est=tiny_models(),
    X=hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(1, 6)),
        elements=st.sampled_from(TAME + EXTREMES),
    ),
    constant_column=st.one_of(st.none(), st.sampled_from(TAME + EXTREMES)),
    duplicate_rows=st.booleans(),
    n_classes=st.integers(2, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_extreme_values(est, X, constant_column, duplicate_rows, n_classes, seed):
    rng = np.random.default_rng(seed)
    if constant_column is not None:
        X[:, rng.integers(X.shape[1])] = constant_column
    y = np.arange(X.shape[0]) % n_classes
    if duplicate_rows:
        X, y = np.vstack([X, X]), np.concatenate([y, y])
    # tame inputs must train; huge ones may instead stop with the divergence
    # error, which says to lower learning_rate_init or scale the data
    expect = "ok" if np.abs(X).max() <= 1.0 else "either"
    run_case(est, X, y, expect=expect, keywords=EXTREME_WORDS)


@pytest.mark.parametrize("solver", SOLVERS)
def test_input_whose_sum_overflows(solver):
    # pinned (rarely generated): fit on it, and predict on it with a model
    # fitted on tame data; either must work or give a clear error
    y = np.arange(_SUM_IS_NAN.shape[0]) % 2
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(3,), max_iter=5, solver=solver, random_state=0
    )
    run_case(est, _SUM_IS_NAN.copy(), y, expect="either", keywords=EXTREME_WORDS)
    run_case(est, np.sign(_SUM_IS_NAN) + 0.5, y)
    with strict_warnings():
        try:
            proba = est.predict_proba(_SUM_IS_NAN)
        except ValueError as exc:
            assert_clear_error(exc, EXTREME_WORDS)
        else:
            assert np.isfinite(proba).all()


# --------------------------------------------------------------------------
# scipy.sparse, every format, matrix and array
# --------------------------------------------------------------------------


@settings(max_examples=90, **FUZZ)
@given(
    est=tiny_models(),
    fmt=st.sampled_from(SPARSE_FORMATS),
    container=st.sampled_from(["matrix", "array"]),
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
    n_samples=st.integers(2, 30),
    n_features=st.one_of(st.integers(1, 30), st.just(1000)),
    density=st.floats(0.0, 1.0),
    readonly=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_sparse(
    est,
    fmt,
    container,
    dtype,
    n_samples,
    n_features,
    density,
    readonly,
    seed,
):
    rng = np.random.default_rng(seed)
    # one case in five holds a NaN or an infinity (drawn from the seed, as
    # hypothesis would favour these cases heavily)
    nonfinite = rng.choice([np.nan, np.inf, -np.inf]) if rng.random() < 0.2 else None
    dense = rng.normal(size=(n_samples, n_features))
    dense[rng.random(dense.shape) > density] = 0.0
    if nonfinite is not None:
        dense = dense.astype(np.float64)
        dense[rng.integers(n_samples), rng.integers(n_features)] = nonfinite
    else:
        dense = cast(dense * 3, np.dtype(dtype).name)
    with warnings.catch_warnings():
        # scipy warns that DIA is a poor format for random data: so it is
        warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
        X = getattr(sp, f"{fmt}_{container}")(dense)
    if readonly:
        make_readonly(X)
    y = binary_labels(rng, n_samples)
    if nonfinite is not None:
        run_case(est, X, y, expect="error", keywords=NONFINITE_WORDS)
        return
    # csr/csc are the native formats; the others are converted or refused
    # with a clear error
    fitted = run_case(est, X, y, expect="either", keywords=("sparse", "format"))
    if fitted is None:
        return
    with strict_warnings():
        proba_sparse = fitted.predict_proba(X)
        proba_dense = fitted.predict_proba(dense)
    if proba_sparse.dtype == np.float32:
        np.testing.assert_allclose(proba_sparse, proba_dense, rtol=1e-4, atol=1e-6)
    else:
        np.testing.assert_allclose(proba_sparse, proba_dense, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------
# pandas DataFrames with string column names
# --------------------------------------------------------------------------

column_names = st.lists(
    st.text(alphabet=string.ascii_letters + "_ ", min_size=1, max_size=8),
    min_size=1,
    max_size=6,
    unique=True,
)


@settings(max_examples=60, **FUZZ)
@given(
    est=tiny_models(),
    columns=column_names,
    column_dtypes=st.lists(
        st.sampled_from(["float64", "float32", "int64", "bool"]),
        min_size=6,
        max_size=6,
    ),
    n_samples=st.integers(2, 30),
    y_kind=st.sampled_from(["int", "str", "str_object"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_dataframe(est, columns, column_dtypes, n_samples, y_kind, seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            name: cast(rng.normal(scale=3, size=n_samples), dtype)
            for name, dtype in zip(columns, column_dtypes, strict=False)
        }
    )
    y = pd.Series(encode_labels(binary_labels(rng, n_samples), y_kind))
    fitted = run_case(est, df, y)
    np.testing.assert_array_equal(fitted.feature_names_in_, np.asarray(columns))
    with strict_warnings():
        proba = fitted.predict_proba(df)
        # a plain array is accepted with sklearn's feature-name warning
        with pytest.warns(UserWarning, match="feature names"):
            proba_array = fitted.predict_proba(df.to_numpy(dtype=proba.dtype))
        np.testing.assert_array_equal(proba_array, proba)
        # other names, or the same names in another order: sklearn's error
        renamed = df.set_axis([f"{name}!" for name in columns], axis=1)
        with pytest.raises(ValueError, match="feature names"):
            fitted.predict_proba(renamed)
        if len(columns) > 1:
            with pytest.raises(ValueError, match="feature names"):
                fitted.predict(df[columns[::-1]])


# --------------------------------------------------------------------------
# NaN and infinity, at fit and at predict
# --------------------------------------------------------------------------


def _containers(dense, container):
    if container == "dataframe":
        return pd.DataFrame(dense, columns=[f"f{j}" for j in range(dense.shape[1])])
    if container in SPARSE_FORMATS:
        return getattr(sp, f"{container}_matrix")(dense)
    return dense.astype(container)


@settings(max_examples=110, **FUZZ)
@given(
    est=tiny_models(),
    container=st.sampled_from(
        ["float64", "float32", "object", "dataframe", "csr", "csc", "coo"]
    ),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    stage=st.sampled_from(["fit", "predict"]),
    n_samples=st.integers(2, 20),
    n_features=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_nonfinite(est, container, value, stage, n_samples, n_features, seed):
    rng = np.random.default_rng(seed)
    clean = rng.normal(size=(n_samples, n_features))
    bad = clean.copy()
    bad[rng.integers(n_samples), rng.integers(n_features)] = value
    y = binary_labels(rng, n_samples)
    if stage == "fit":
        run_case(
            est,
            _containers(bad, container),
            y,
            expect="error",
            keywords=NONFINITE_WORDS,
        )
        return
    fitted = run_case(est, _containers(clean, container), y)
    X_bad = _containers(bad, container)
    X_snap = snapshot(X_bad)
    with strict_warnings():
        for method in (
            fitted.predict,
            fitted.predict_proba,
            fitted.predict_log_proba,
        ):
            with pytest.raises(ValueError) as excinfo:
                method(X_bad)
            assert_clear_error(excinfo.value, NONFINITE_WORDS)
    assert_unchanged(X_bad, X_snap)


# --------------------------------------------------------------------------
# invariants that tie the training and prediction code to independent facts
# --------------------------------------------------------------------------


def _log_softmax_of_raw_scores(est, X):
    """predict_log_proba written from the equations (no clipping needed here)."""
    activations = est.activation
    if isinstance(activations, str):
        activations = [activations] * (len(est.coefs_) - 1)
    h = X
    for W, b, name in zip(est.coefs_[:-1], est.intercepts_[:-1], activations):
        h = REFERENCE[name](h @ W + b)
    score = h @ est.coefs_[-1] + est.intercepts_[-1]
    if est.out_activation_ == "logistic":
        if score.shape[1] == 1:
            score = np.hstack([-score, score])
        return np.minimum(score, 0.0) - np.log1p(np.exp(-np.abs(score)))
    shifted = score - score.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _train(params, mode, X, y, sample_weight):
    est = ScratchMLPClassifier(**params)
    with strict_warnings():
        if mode == "partial_fit":
            for _ in range(3):
                est.partial_fit(X, y, classes=np.unique(y), sample_weight=sample_weight)
        else:
            est.fit(X, y, sample_weight=sample_weight)
            if mode == "warm_start":
                est.fit(X, y, sample_weight=sample_weight)
    return est


def _assert_same_model(a, b, rtol):
    for wa, wb in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_]):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
@settings(max_examples=30, **FUZZ)
@given(
    hidden=hidden_sizes(),
    solver=st.sampled_from(SOLVERS),
    activation=st.sampled_from(ACTIVATIONS),
    alpha=st.sampled_from([1e-3, 0.5]),
    class_weight=st.sampled_from([None, "balanced", "dict"]),
    dropout=st.sampled_from([0.0, 0.3]),
    mode=st.sampled_from(["fit", "partial_fit", "warm_start"]),
    n_classes=st.integers(2, 4),
    n_samples=st.integers(8, 30),
    n_features=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzz_weight_and_output_invariants(
    hidden,
    solver,
    activation,
    alpha,
    class_weight,
    dropout,
    mode,
    n_classes,
    n_samples,
    seed,
    n_features,
):
    stochastic = solver != "lbfgs"
    if not stochastic:  # lbfgs has no partial_fit and no dropout
        mode = "fit" if mode == "partial_fit" else mode
        dropout = 0.0
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.arange(n_samples) % n_classes
    counts = rng.integers(0, 4, size=n_samples)
    counts[:n_classes] = rng.integers(1, 4, size=n_classes)  # every class weighs
    if class_weight == "dict":
        class_weight = {k: float(k + 1) for k in range(n_classes)}
    params = {
        "hidden_layer_sizes": hidden,
        "solver": solver,
        "activation": activation,
        "alpha": alpha,
        "class_weight": class_weight,
        "dropout": dropout,
        "warm_start": mode == "warm_start",
        "max_iter": 5,
        "random_state": int(seed % 2**16),
        # one batch over all the (repeated) rows, in order: the weighted and the
        # repeated problems then take exactly the same steps
        "shuffle": False,
        "batch_size": 200,
        "learning_rate_init": 0.01,
    }
    rtol = 1e-6 if solver == "lbfgs" else 1e-8

    # integer sample weights are repeated rows (dropout masks follow the rows)
    weighted = _train(params, mode, X, y, counts.astype(float))
    repeated = _train(
        params, mode, np.repeat(X, counts, axis=0), np.repeat(y, counts), None
    )
    _assert_same_model(weighted, repeated, rtol)
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=rtol)

    # scaling every weight by c is dividing alpha by c
    c = 4.0
    scaled = _train(params, mode, X, y, c * counts)
    divided = _train({**params, "alpha": alpha / c}, mode, X, y, counts.astype(float))
    _assert_same_model(scaled, divided, rtol)
    assert scaled.loss_ == pytest.approx(divided.loss_, rel=rtol)

    # outputs: proba rows sum to one, predict is argmax mapped to classes_, and
    # log-probabilities equal a log-softmax / log-sigmoid of the raw scores
    with strict_warnings():
        proba = weighted.predict_proba(X)
        log_proba = weighted.predict_log_proba(X)
        pred = weighted.predict(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(pred, weighted.classes_[np.argmax(proba, axis=1)])
    np.testing.assert_allclose(
        log_proba, _log_softmax_of_raw_scores(weighted, X), rtol=1e-9, atol=1e-12
    )
