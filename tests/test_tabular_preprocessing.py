import numpy as np
import pandas as pd
import pytest

from sk_scratchnet._tabular_preprocessing import (
    TabularBlocks,
    TabularPreprocessor,
    smooth_clip,
)


def _plain_numeric(x, c=3.0):
    """Reference: robust scaling + smooth clipping of one column, NaN -> median."""
    seen = np.sort(x[~np.isnan(x)])
    n = seen.size

    def q(p):  # inverted CDF: smallest value whose cumulative share >= p
        return seen[int(np.ceil(p * n)) - 1]

    med, iqr = q(0.5), q(0.75) - q(0.25)
    if iqr > 0:
        s = 1 / iqr
    elif seen.max() > seen.min():
        s = 2 / (seen.max() - seen.min())
    else:
        s = 0.0
    z = (np.where(np.isnan(x), med, x) - med) * s
    return z / np.sqrt(1 + (z / c) ** 2)


def _frame(rng, n=40):
    num = rng.normal(size=n) * 5 + 2
    num[[1, 7]] = np.nan
    return pd.DataFrame(
        {
            "num": num,
            "int": rng.integers(0, 100, size=n),
            "nullable": pd.array(
                [None if i % 9 == 0 else i for i in range(n)], dtype="Int64"
            ),
            "color": rng.choice(["red", "green", "blue", None], size=n),
            "flag": rng.choice([True, False], size=n),
            "big": pd.Categorical(rng.choice(list("abcdefghijkl"), size=n)),
            "one": ["only"] * n,
        }
    )


def test_smooth_clip_formula():
    z = np.linspace(-50, 50, 11)
    np.testing.assert_allclose(smooth_clip(z), z / np.sqrt(1 + (z / 3) ** 2))
    np.testing.assert_allclose(smooth_clip(z, 5.0), z / np.sqrt(1 + (z / 5) ** 2))


def test_numeric_columns_against_plain_formula():
    rng = np.random.default_rng(0)
    X = rng.standard_t(2, size=(51, 3)) * [1, 10, 100]
    X[rng.random(X.shape) < 0.1] = np.nan
    pre = TabularPreprocessor().fit(X)
    blocks = pre.transform(X)
    assert isinstance(blocks, TabularBlocks)
    for j in range(3):
        np.testing.assert_allclose(blocks.numeric[:, j], _plain_numeric(X[:, j]))
    np.testing.assert_array_equal(blocks.flags, np.isnan(X).astype(float))
    assert blocks.codes.shape == (51, 0)
    assert blocks.cardinalities == ()
    assert blocks.n_rows == 51


def test_iqr_fallback_and_constant_column():
    # IQR 0 (most values equal) -> 2 / (max - min); constant -> 0
    x = np.array([0.0] * 8 + [4.0, -2.0])
    X = np.column_stack([x, np.full(10, 7.0)])
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_allclose(pre.scale_, [2 / 6, 0.0])
    np.testing.assert_allclose(pre.median_, [0.0, 7.0])
    blocks = pre.transform(X)
    np.testing.assert_allclose(blocks.numeric[:, 0], smooth_clip(x * 2 / 6))
    np.testing.assert_array_equal(blocks.numeric[:, 1], 0.0)


def test_switches_off():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)) * 10
    X[3, 0] = np.nan
    pre = TabularPreprocessor(
        robust_scale=False, smooth_clip=False, missing_indicators=False
    )
    blocks = pre.fit_transform(X)
    expected = X.copy()
    expected[3, 0] = pre.median_[0]
    np.testing.assert_array_equal(blocks.numeric, expected)
    assert blocks.flags.shape == (20, 0)
    only_scale = TabularPreprocessor(smooth_clip=False).fit_transform(X)
    z = (X[:, 1] - pre.median_[1]) * pre.scale_[1]
    np.testing.assert_allclose(only_scale.numeric[:, 1], z)


def test_mixed_dataframe_blocks():
    rng = np.random.default_rng(0)
    df = _frame(rng)
    before = df.copy(deep=True)
    pre = TabularPreprocessor()
    blocks = pre.fit_transform(df)
    pd.testing.assert_frame_equal(df, before)
    assert pre.feature_names_in_ == list(df.columns)
    # from_dtype: object, bool, category (and the constant string) are categorical
    np.testing.assert_array_equal(
        pre.is_categorical_, [False, False, False, True, True, True, True]
    )
    assert pre.numeric_columns_ == [0, 1, 2]
    assert pre.one_hot_columns_ == [3, 4, 6]
    assert pre.embedded_columns_ == [5]
    assert blocks.cardinalities == (len(df["big"].cat.categories) + 1,)
    np.testing.assert_array_equal(
        blocks.codes[:, 0], df["big"].cat.codes.to_numpy() + 1
    )
    nullable = df["nullable"].to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_allclose(blocks.numeric[:, 2], _plain_numeric(nullable))
    np.testing.assert_allclose(
        blocks.numeric[:, 0], _plain_numeric(df["num"].to_numpy())
    )
    # flags: color (3 categories -> 3 columns), flag (1 column), one (1 column),
    # then the indicators of num and nullable
    assert blocks.flags.shape == (40, 3 + 1 + 1 + 2)
    np.testing.assert_array_equal(blocks.flags[:, 5], df["num"].isna())
    np.testing.assert_array_equal(blocks.flags[:, 6], df["nullable"].isna())


def test_one_hot_encoding_as_reference():
    df = pd.DataFrame(
        {
            "single": ["a", "a", None, "a"],
            "binary": ["u", "v", None, "u"],
            "three": ["p", "q", "r", None],
        }
    )
    pre = TabularPreprocessor(scale_one_hot=False).fit(df)
    flags = pre.transform(df).flags
    np.testing.assert_array_equal(flags[:, 0], [1, 1, -1, 1])
    np.testing.assert_array_equal(flags[:, 1], [1, -1, 0, 1])
    np.testing.assert_array_equal(
        flags[:, 2:], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
    )
    # with scale_one_hot each flag column is centred, scaled and clipped
    scaled = TabularPreprocessor().fit_transform(df).flags
    for c in range(flags.shape[1]):
        np.testing.assert_allclose(scaled[:, c], _plain_numeric(flags[:, c]))


def test_unknown_and_missing_categories_share_slot_zero():
    train = pd.DataFrame({"c": list("abcdefghijk")})
    test = pd.DataFrame({"c": ["a", "zz", None, "k", np.nan]})
    pre = TabularPreprocessor().fit(train)
    assert pre.cardinalities_ == (12,)
    np.testing.assert_array_equal(pre.transform(test).codes[:, 0], [1, 0, 0, 11, 0])
    small = TabularPreprocessor(scale_one_hot=False).fit(
        pd.DataFrame({"c": list("abc")})
    )
    out = small.transform(pd.DataFrame({"c": ["b", "new", None]})).flags
    np.testing.assert_array_equal(out, [[0, 1, 0], [0, 0, 0], [0, 0, 0]])


def test_max_one_hot_threshold_counts_missing_slot():
    df = pd.DataFrame({"c": list("abcdefgh") * 2})  # 8 categories -> 9 codes
    assert TabularPreprocessor().fit(df).one_hot_columns_ == [0]
    assert TabularPreprocessor(max_one_hot=8).fit(df).embedded_columns_ == [0]


def test_array_with_categorical_indices_and_readonly_input():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=30), rng.integers(0, 20, size=30)])
    X[2, 1] = np.nan
    X.setflags(write=False)
    copy = X.copy()
    pre = TabularPreprocessor(categorical_features=[1])
    blocks = pre.fit_transform(X)
    np.testing.assert_array_equal(X, copy)
    cats = np.unique(X[~np.isnan(X[:, 1]), 1])
    np.testing.assert_array_equal(pre.categories_[0], cats)
    expected = np.searchsorted(cats, np.nan_to_num(X[:, 1])) + 1
    expected[2] = 0
    np.testing.assert_array_equal(blocks.codes[:, 0], expected)
    unseen = np.array([[0.0, 99.0], [0.0, cats[0]]])
    np.testing.assert_array_equal(pre.transform(unseen).codes[:, 0], [0, 1])


@pytest.mark.parametrize(
    "spec", [["color"], [1], [False, True, False], np.array([False, True, False])]
)
def test_categorical_features_forms(spec):
    df = pd.DataFrame({"x": [1.0, 2, 3], "color": ["r", "g", "r"], "y": [3, 2, 1]})
    pre = TabularPreprocessor(categorical_features=spec).fit(df)
    np.testing.assert_array_equal(pre.is_categorical_, [False, True, False])


def test_categorical_features_none_and_bool_as_numeric():
    df = pd.DataFrame({"b": [True, False, True, True], "x": [1.0, 2, 3, 4]})
    pre = TabularPreprocessor(categorical_features=None).fit(df)
    assert pre.numeric_columns_ == [0, 1]
    np.testing.assert_allclose(
        pre.transform(df).numeric[:, 0], _plain_numeric(np.array([1.0, 0, 1, 1]))
    )


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (["nope"], "not a valid feature name"),
        ([3], r"must be in \[0, n_features - 1\]"),
        ([-1], r"must be in \[0, n_features - 1\]"),
        ([True, False], r"boolean mask must have shape \(n_features,\)"),
        ("auto", "must be 'from_dtype', None or an array-like"),
        ([1.5], "array-like of bool, int or str"),
        ([[0]], "1-D"),
    ],
)
def test_bad_categorical_features(spec, match):
    df = pd.DataFrame({"x": [1.0, 2], "c": ["a", "b"], "y": [1, 2]})
    with pytest.raises(ValueError, match=match):
        TabularPreprocessor(categorical_features=spec).fit(df)


def test_names_need_a_dataframe():
    with pytest.raises(ValueError, match="without feature names"):
        TabularPreprocessor(categorical_features=["a"]).fit(np.ones((3, 2)))


def test_string_column_not_declared_categorical():
    df = pd.DataFrame({"x": [1.0, 2], "c": ["a", "b"]})
    with pytest.raises(TypeError, match="Column 'c' is not numeric"):
        TabularPreprocessor(categorical_features=["x"]).fit(df)
    with pytest.raises(TypeError, match="Column at index 1 is not numeric"):
        TabularPreprocessor().fit(np.array([[1.0, "a"], [2.0, "b"]], dtype=object))


def test_infinite_values_name_the_column():
    df = pd.DataFrame({"x": [1.0, 2], "bad": [np.inf, 1.0]})
    with pytest.raises(ValueError, match="Column 'bad' contains infinite values"):
        TabularPreprocessor().fit(df)
    pre = TabularPreprocessor().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="index 0 contains infinite"):
        pre.transform(np.array([[-np.inf, 1.0]]))


def test_wrong_columns_at_transform():
    pre = TabularPreprocessor().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X has 3 features, but .* expecting 2"):
        pre.transform(np.ones((2, 3)))
    pre = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2], "b": [3.0, 4]}))
    with pytest.raises(ValueError, match="feature names of X differ"):
        pre.transform(pd.DataFrame({"b": [1.0, 2], "a": [3.0, 4]}))
    with pytest.raises(ValueError, match="not fitted"):
        TabularPreprocessor().transform(np.ones((2, 2)))


def test_bad_input_shapes_and_parameters():
    with pytest.raises(ValueError, match="2-D"):
        TabularPreprocessor().fit(np.ones(3))
    with pytest.raises(TypeError, match="DataFrame or a 2-D array-like"):
        TabularPreprocessor().fit("abc")
    with pytest.raises(ValueError, match="max_one_hot"):
        TabularPreprocessor(max_one_hot=-1).fit(np.ones((2, 2)))
    for bad in (0, "3", np.inf, True):
        with pytest.raises(ValueError, match="clip_scale"):
            TabularPreprocessor(clip_scale=bad).fit(np.ones((2, 2)))


def test_sample_weight_equals_repetition():
    rng = np.random.default_rng(0)
    df = _frame(rng, n=30)
    w = rng.integers(0, 4, size=30)
    w[4] = 0
    df.loc[4, "color"] = "only_in_a_dropped_row"
    weighted = TabularPreprocessor().fit(df, sample_weight=w)
    repeated = TabularPreprocessor().fit(df.loc[df.index.repeat(w)])
    np.testing.assert_array_equal(weighted.median_, repeated.median_)
    np.testing.assert_array_equal(weighted.scale_, repeated.scale_)
    np.testing.assert_array_equal(weighted.has_missing_, repeated.has_missing_)
    np.testing.assert_array_equal(weighted.one_hot_scale_, repeated.one_hot_scale_)
    for a, b in zip(weighted.categories_, repeated.categories_, strict=True):
        np.testing.assert_array_equal(a, b)
    a, b = weighted.transform(df), repeated.transform(df)
    np.testing.assert_array_equal(a.numeric, b.numeric)
    np.testing.assert_array_equal(a.flags, b.flags)
    np.testing.assert_array_equal(a.codes, b.codes)
    with pytest.raises(ValueError, match="sample_weight"):
        TabularPreprocessor().fit(df, sample_weight=-np.ones(30))


def test_to_pandas_objects_are_accepted():
    class FrameLike:  # what a polars DataFrame offers
        def __init__(self, frame):
            self._frame = frame
            self.columns = list(frame.columns)
            self.schema = dict(frame.dtypes)

        def to_pandas(self):
            return self._frame

    df = pd.DataFrame({"x": [1.0, 2, 3], "c": ["a", "b", "a"]})
    a = TabularPreprocessor().fit_transform(FrameLike(df))
    b = TabularPreprocessor().fit_transform(df)
    np.testing.assert_array_equal(a.numeric, b.numeric)
    np.testing.assert_array_equal(a.flags, b.flags)


def test_writable_inputs_with_missing_values_are_not_modified():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    X[[0, 5], 1] = np.nan
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": ["u", None] * 6})
    X_copy, df_copy = X.copy(), df.copy(deep=True)
    for data in (X, df):
        pre = TabularPreprocessor().fit(data)
        pre.transform(data)
        pre.fit_transform(data, sample_weight=np.ones(12))
    np.testing.assert_array_equal(X, X_copy)
    pd.testing.assert_frame_equal(df, df_copy)


def test_pandas_extension_dtypes():
    df = pd.DataFrame(
        {
            "s": pd.array(["a", None, "b", "a"], dtype="string"),
            "b": pd.array([True, None, False, True], dtype="boolean"),
            "c": pd.Categorical(["x", "y", "x", "x"], categories=["x", "y", "z"]),
            "f": pd.array([1.5, None, 2.5, 3.5], dtype="Float64"),
        }
    )
    pre = TabularPreprocessor(scale_one_hot=False)
    blocks = pre.fit_transform(df)
    np.testing.assert_array_equal(pre.is_categorical_, [True, True, True, False])
    # only the categories seen in fit get a code: 'z' (declared, unseen) -> slot 0
    np.testing.assert_array_equal(pre.categories_[2], ["x", "y"])
    np.testing.assert_array_equal(
        blocks.flags,
        [[1, -1, 1, 0], [0, 0, -1, 1], [-1, 1, 1, 0], [1, -1, 1, 0]],
    )
    f = np.array([1.5, np.nan, 2.5, 3.5])
    np.testing.assert_allclose(blocks.numeric[:, 0], _plain_numeric(f))
    unseen = df.iloc[:1].copy()
    unseen["c"] = pd.Categorical(["z"], categories=["x", "y", "z"])
    assert pre.transform(unseen).flags[0, 2] == 0.0


def test_dataframe_conversion_failure_is_a_clear_error():
    class NoPyarrow:
        columns = ("a",)

        def to_pandas(self):
            raise ImportError("to_pandas needs pyarrow")

    with pytest.raises(TypeError, match="Could not convert the NoPyarrow"):
        TabularPreprocessor().fit(NoPyarrow())


class _Column:
    def __init__(self, values, dtype):
        kind = float if dtype.startswith("Float") else object
        self._values, self.dtype = np.asarray(values, dtype=kind), dtype

    def to_numpy(self):
        return self._values.copy()


class _FrameWithoutPyarrow:
    """What a polars DataFrame offers when pyarrow is not installed."""

    def __init__(self, columns):
        self._columns = columns
        self.columns = list(columns)

    def __getitem__(self, name):
        return self._columns[name]

    def to_pandas(self):
        raise ImportError("to_pandas needs pyarrow")


def _fake_frame_without_pyarrow():
    return _FrameWithoutPyarrow(
        {
            "x": _Column([1.0, np.nan, 3.0, 4.0], "Float64"),
            "c": _Column(["a", "b", None, "a"], "Categorical(ordering='physical')"),
            "s": _Column(["u", "v", "u", None], "String"),
        }
    )


def _polars_frame():
    pl = pytest.importorskip("polars")
    return pl.DataFrame(
        {
            "x": [1.0, None, 3.0, 4.0],
            "c": pl.Series(["a", "b", None, "a"]).cast(pl.Categorical),
            "s": ["u", "v", "u", None],
        }
    )


@pytest.mark.parametrize("make_frame", [_fake_frame_without_pyarrow, _polars_frame])
def test_frames_without_pyarrow_are_read_column_by_column(make_frame):
    expected = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 4.0],
            "c": pd.Categorical(["a", "b", None, "a"]),
            "s": np.array(["u", "v", "u", None], dtype=object),
        }
    )
    pre = TabularPreprocessor()
    a = pre.fit_transform(make_frame())
    b = TabularPreprocessor().fit_transform(expected)
    np.testing.assert_array_equal(pre.is_categorical_, [False, True, True])
    np.testing.assert_array_equal(a.numeric, b.numeric)
    np.testing.assert_array_equal(a.flags, b.flags)


def test_object_array_with_declared_categorical_column():
    X = np.array([["b", 1.0], ["a", np.nan], [None, 2.0], ["b", 3.0]], dtype=object)
    copy = X.copy()
    pre = TabularPreprocessor(categorical_features=[True, False], scale_one_hot=False)
    blocks = pre.fit_transform(X)
    np.testing.assert_array_equal(pre.categories_[0], ["a", "b"])
    np.testing.assert_array_equal(blocks.flags[:, 0], [-1, 1, 0, -1])
    np.testing.assert_array_equal(blocks.flags[:, 1], [0, 1, 0, 0])  # indicator
    new = np.array([["c", 1.0]], dtype=object)
    assert pre.transform(new).flags[0, 0] == 0.0
    assert all(a is b for a, b in zip(X.ravel(), copy.ravel(), strict=True))


def test_all_missing_numeric_column():
    X = np.column_stack([np.full(5, np.nan), np.arange(5.0)])
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(pre.median_, [0.0, 2.0])
    np.testing.assert_array_equal(pre.scale_, [0.0, 0.5])
    blocks = pre.transform(np.array([[3.0, 1.0], [np.nan, 2.0]]))
    np.testing.assert_array_equal(blocks.numeric[:, 0], [0.0, 0.0])
    np.testing.assert_array_equal(blocks.flags, [[0.0], [1.0]])
