r"""Preprocessing of tables for the tabular MLPs (fitted once, no gradient).

A table (pandas DataFrame, an object with ``to_pandas`` such as a polars
DataFrame, or a 2-D numeric array) becomes three blocks (:class:`TabularBlocks`):

- ``numeric``: each continuous column robust-scaled and smooth-clipped,

  .. math:: z = (x - \operatorname{median}) \cdot s, \qquad
            s = \begin{cases} 1 / (q_{75} - q_{25}) & q_{75} > q_{25} \\
                              2 / (\max - \min) & \text{else, if } \max > \min \\
                              0 & \text{constant column} \end{cases}

  .. math:: \operatorname{clip}(z) = z / \sqrt{1 + (z / c)^2}, \quad c = 3,

  with a missing value imputed by the median (``z = 0``);
- ``flags``: the one-hot columns of small categoricals, then one 0/1 missing
  indicator per numeric column that had a missing value in ``fit``;
- ``codes``: integer codes of large categoricals for a learned embedding.

Notes
-----
Choices taken from the code of the RealMLP-TD reference implementation where it
is more specific than the paper ("Better by Default: Strong Pre-Tuned MLPs and
Boosted Trees on Tabular Data"):

- Code 0 of every categorical is shared by a missing value and by a category not
  seen in ``fit``; the seen categories get codes ``1 .. k``. The cardinality
  counts the 0 slot (``k + 1``) whether or not a value was missing in ``fit``.
  Only categories seen in ``fit`` count (a declared but unused category of a
  pandas ``Categorical`` is unknown, slot 0); they are sorted by value.
- A categorical goes to the one-hot flags when ``k + 1 <= max_one_hot``. With
  ``k = 1`` it is one column, -1 for missing/unknown and +1 for the category;
  with ``k = 2`` one column, 0 for missing/unknown, +1 for the first and -1 for
  the second category; with ``k >= 3`` one 0/1 column per seen category (the
  missing/unknown slot is all zeros).
- The one-hot columns then pass through the same median centring, robust
  scaling and smooth clipping as the numeric columns (statistics fitted on the
  one-hot columns; ``scale_one_hot=False`` turns this off). The missing
  indicators are ours (the reference rejects missing numeric values) and stay 0/1.
- Quantiles (median, quartiles) use ``method="inverted_cdf"`` (a data value,
  not an interpolation; the reference interpolates linearly), so that a weight
  ``w`` fits exactly like ``w`` repeated rows.
- With ``categorical_features="from_dtype"``, pandas ``category``, ``object``,
  ``string`` and ``bool`` columns are categorical (as the reference does;
  scikit-learn's gradient boosting takes only ``category``). A boolean column
  declared numeric is 0/1. A plain array has no categorical column by default.
"""

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["TabularBlocks", "TabularPreprocessor"]


@dataclass(frozen=True)
class TabularBlocks:
    """The preprocessed table, as the network consumes it.

    Attributes
    ----------
    numeric : ndarray of shape (n_rows, n_numeric), dtype float64
        Robust-scaled, smooth-clipped continuous columns (missing = 0).
    flags : ndarray of shape (n_rows, n_flags), dtype float64
        One-hot columns of small categoricals, then the missing indicators.
    codes : ndarray of shape (n_rows, n_embedded), dtype int64
        Codes of large categoricals, 0 = missing or unknown.
    cardinalities : tuple of int
        Number of codes of each ``codes`` column, the 0 slot included.
    n_rows : int
        Number of rows.
    """

    numeric: np.ndarray
    flags: np.ndarray
    codes: np.ndarray
    cardinalities: tuple
    n_rows: int


def smooth_clip(z, c=3.0):
    r"""Return :math:`z / \sqrt{1 + (z / c)^2}` (odd, slope 1 at 0, tends to ``c``)."""
    return z / np.sqrt(1.0 + np.square(z / c))


def _weighted_quantiles(x, w, qs):
    """Quantiles picking data values (inverted CDF) of ``x`` with weights ``w``."""
    if w is None:
        return np.quantile(x, qs, method="inverted_cdf")
    return np.quantile(x, qs, method="inverted_cdf", weights=w)


def _robust_stats(x, w):
    """Return (median, scale) of a 1-D sample without missing values.

    ``scale`` is ``1 / IQR``, else ``2 / (max - min)``, else 0; an empty sample
    gives (0, 0).
    """
    if x.size == 0:
        return 0.0, 0.0
    q25, median, q75 = _weighted_quantiles(x, w, [0.25, 0.5, 0.75])
    iqr = q75 - q25
    if iqr > 0:
        return float(median), float(1.0 / iqr)
    spread = x.max() - x.min()
    if spread > 0:
        return float(median), float(2.0 / spread)
    return float(median), 0.0


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "dtypes")


def _as_pandas(X):
    """Return a pandas DataFrame for DataFrame-like input, else None.

    A pandas frame is returned as it is (not copied); another dataframe (polars,
    for example) is converted with its ``to_pandas`` method, or column by column
    when that needs a package that is missing (polars' needs pyarrow).
    """
    if _is_dataframe(X):
        return X
    if not (hasattr(X, "columns") and hasattr(X, "to_pandas")):
        return None
    try:
        return X.to_pandas()
    except ImportError as exc:  # e.g. polars without pyarrow
        try:
            return _by_columns(X)
        except Exception:
            raise TypeError(
                f"Could not convert the {type(X).__name__} to a pandas DataFrame "
                f"({exc}). Pass a pandas DataFrame or a NumPy array."
            ) from None


def _by_columns(X):
    """Return a pandas DataFrame built from each column's ``to_numpy()``.

    Categorical and enum columns become pandas categoricals; missing values
    come as NaN (numbers) or None (strings, booleans), which the preprocessing
    reads as missing either way.
    """
    import pandas as pd

    columns = {}
    for name in X.columns:
        column = X[name]
        values = column.to_numpy()
        if str(column.dtype).startswith(("Categorical", "Enum")):
            values = pd.Categorical(values)
        columns[str(name)] = values
    return pd.DataFrame(columns)


def _dtype_is_categorical(dtype):
    import pandas as pd

    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


class _Table:
    """Column access to a DataFrame or a 2-D array, without copying the input."""

    def __init__(self, X):
        frame = _as_pandas(X)
        if frame is not None:
            self.frame = frame
            self.array = None
            self.names = [str(c) for c in frame.columns]
            self.n_rows, self.n_columns = frame.shape
            return
        if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
            raise TypeError(
                f"X must be a DataFrame or a 2-D array-like, got {type(X).__name__}."
            )
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(
                f"Expected a 2-D array or a DataFrame, got an array with "
                f"{arr.ndim} dimension(s)."
            )
        self.frame = None
        self.array = arr
        self.names = None
        self.n_rows, self.n_columns = arr.shape

    def label(self, j):
        return repr(self.names[j]) if self.names is not None else f"at index {j}"

    def dtype_is_categorical(self, j):
        if self.frame is None:
            return False
        return _dtype_is_categorical(self.frame.dtypes.iloc[j])

    def numeric(self, j):
        """Column j as float64 with NaN for missing (a new array)."""
        if self.frame is not None:
            col = self.frame.iloc[:, j]
            try:
                values = col.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Column {self.label(j)} is not numeric (dtype {col.dtype}) and "
                    "is not declared categorical; add it to categorical_features."
                ) from None
        else:
            try:
                values = np.array(self.array[:, j], dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Column {self.label(j)} is not numeric and is not declared "
                    "categorical; add it to categorical_features."
                ) from None
        if np.isinf(values).any():
            raise ValueError(f"Column {self.label(j)} contains infinite values.")
        return values

    def categorical(self, j):
        """Column j as (values, missing mask); values is object or float64."""
        if self.frame is not None:
            import pandas as pd

            col = self.frame.iloc[:, j]
            missing = np.asarray(pd.isna(col), dtype=bool)
            values = col.to_numpy(dtype=object)
            return values, missing
        values = self.array[:, j]
        if values.dtype.kind in "fiub":
            values = np.array(values, dtype=np.float64)
            if np.isinf(values).any():
                raise ValueError(f"Column {self.label(j)} contains infinite values.")
            return values, np.isnan(values)
        values = np.array(values, dtype=object)
        missing = np.array([_is_missing_scalar(v) for v in values], dtype=bool)
        return values, missing


def _is_missing_scalar(v):
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, pd.NA raises TypeError
    except TypeError:
        return True


def _sort_key(v):
    return (
        (type(v).__name__, v)
        if isinstance(v, (int, float, str))
        else (
            type(v).__name__,
            str(v),
        )
    )


def _categories(values, keep):
    """Sorted distinct values of ``values[keep]``."""
    seen = values[keep]
    if seen.dtype.kind == "f":
        return np.unique(seen)
    distinct = set(seen.tolist())
    try:
        ordered = sorted(distinct)
    except TypeError:
        ordered = sorted(distinct, key=_sort_key)
    out = np.empty(len(ordered), dtype=object)
    out[:] = ordered
    return out


def _encode(values, missing, categories, use_pandas=False):
    """Codes 1..k of the known categories, 0 for missing or unknown."""
    codes = np.zeros(values.shape[0], dtype=np.int64)
    if categories.size == 0:
        return codes
    if categories.dtype.kind == "f" and values.dtype.kind == "f":
        safe = np.where(missing, categories[0], values)
        pos = np.clip(np.searchsorted(categories, safe), 0, categories.size - 1)
        hit = (categories[pos] == safe) & ~missing
        codes[hit] = pos[hit] + 1
        return codes
    if use_pandas:
        import pandas as pd

        try:
            pos = pd.Index(categories, dtype=object).get_indexer(values)
        except TypeError:  # unhashable values: the slow path below
            pass
        else:
            codes[:] = pos + 1  # -1 (unknown) becomes the 0 slot
            codes[missing] = 0
            return codes
    lookup = {v: i + 1 for i, v in enumerate(categories.tolist())}
    for i in np.flatnonzero(~missing):
        try:
            codes[i] = lookup.get(values[i], 0)
        except TypeError:  # unhashable value: unknown
            codes[i] = 0
    return codes


def _one_hot(codes, cardinality):
    """Flag columns of one small categorical (the reference's encoding)."""
    n = codes.shape[0]
    if cardinality == 2:
        return np.where(codes == 1, 1.0, -1.0).reshape(n, 1)
    if cardinality == 3:
        return np.array([0.0, 1.0, -1.0])[codes].reshape(n, 1)
    out = np.zeros((n, cardinality - 1))
    rows = np.flatnonzero(codes > 0)
    out[rows, codes[rows] - 1] = 1.0
    return out


class TabularPreprocessor:
    """Fit-once preprocessing of a table into :class:`TabularBlocks`.

    Parameters
    ----------
    categorical_features : 'from_dtype', None or array-like, default='from_dtype'
        Which columns are categorical. 'from_dtype': pandas ``category``,
        ``object``, ``string`` and ``bool`` columns (none for an array). None:
        none. Otherwise column names (DataFrame only), integer indices, or a
        boolean mask of shape (n_features,).
    max_one_hot : int, default=9
        Categoricals with at most this many codes (the missing/unknown slot
        counted) become one-hot flags; larger ones become embedding codes.
    clip_scale : float, default=3.0
        The ``c`` of the smooth clipping ``z / sqrt(1 + (z / c)^2)``.
    robust_scale : bool, default=True
        Median centring and division by the interquartile range. When False the
        numeric columns are only imputed (missing = median).
    smooth_clip : bool, default=True
        Apply the smooth clipping after the scaling.
    missing_indicators : bool, default=True
        Add a 0/1 flag per numeric column that had a missing value in ``fit``.
    scale_one_hot : bool, default=True
        Centre, scale and clip the one-hot columns like numeric columns (as the
        reference implementation does).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : list of str or None
        Column names of a DataFrame (or ``feature_names``), else None.
    is_categorical_ : ndarray of shape (n_features_in_,), dtype bool
        Which columns are categorical.
    numeric_columns_, one_hot_columns_, embedded_columns_ : list of int
        Column indices of each kind.
    categories_ : list of ndarray
        Per categorical column (in column order), the sorted seen categories;
        category ``categories_[i][k]`` has code ``k + 1``.
    median_, scale_ : ndarray of shape (len(numeric_columns_),)
        Robust-scaling statistics of the numeric columns.
    has_missing_ : ndarray of shape (len(numeric_columns_),), dtype bool
        Which numeric columns had a missing value in ``fit``.
    one_hot_median_, one_hot_scale_ : ndarray of shape (n_one_hot_flags,)
        Scaling statistics of the one-hot flag columns.
    cardinalities_ : tuple of int
        Number of codes of each embedded column, 0 slot included.
    """

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        max_one_hot=9,
        clip_scale=3.0,
        robust_scale=True,
        smooth_clip=True,
        missing_indicators=True,
        scale_one_hot=True,
    ):
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.clip_scale = clip_scale
        self.robust_scale = robust_scale
        self.smooth_clip = smooth_clip
        self.missing_indicators = missing_indicators
        self.scale_one_hot = scale_one_hot

    # -- fit -------------------------------------------------------------------
    def _categorical_mask(self, table):
        spec = self.categorical_features
        n = table.n_columns
        if isinstance(spec, str):
            if spec != "from_dtype":
                raise ValueError(
                    "categorical_features must be 'from_dtype', None or an "
                    f"array-like of bool, int or str, got {spec!r}."
                )
            return np.array([table.dtype_is_categorical(j) for j in range(n)], bool)
        if spec is None:
            return np.zeros(n, dtype=bool)
        spec = np.asarray(spec)
        if spec.ndim != 1:
            raise ValueError("categorical_features must be a 1-D array-like.")
        mask = np.zeros(n, dtype=bool)
        if spec.size == 0:
            return mask
        if spec.dtype.kind in "USO":
            if table.names is None:
                raise ValueError(
                    "categorical_features should be passed as an array of integers "
                    "or as a boolean mask when the model is fitted on data without "
                    "feature names."
                )
            names = [str(s) for s in spec.tolist()]
            unknown = [s for s in names if s not in table.names]
            if unknown:
                raise ValueError(
                    f"categorical_features has an item value {unknown[0]!r} which "
                    "is not a valid feature name of the training data. Observed "
                    f"feature names: {table.names}"
                )
            mask[[table.names.index(s) for s in names]] = True
        elif spec.dtype.kind == "b":
            if spec.shape[0] != n:
                raise ValueError(
                    "categorical_features set as a boolean mask must have shape "
                    f"(n_features,), got: {spec.shape}"
                )
            mask = spec.copy()
        elif spec.dtype.kind in "iu":
            if np.any(spec < 0) or np.any(spec >= n):
                raise ValueError(
                    "categorical_features set as integer indices must be in "
                    f"[0, n_features - 1] = [0, {n - 1}], got {spec.tolist()}."
                )
            mask[spec] = True
        else:
            raise ValueError(
                "categorical_features must be an array-like of bool, int or str, "
                f"got an array of dtype {spec.dtype}."
            )
        return mask

    def _check_params(self):
        if (
            isinstance(self.max_one_hot, bool)
            or not isinstance(self.max_one_hot, (int, np.integer))
            or self.max_one_hot < 0
        ):
            raise ValueError(
                f"max_one_hot must be a non-negative integer, got {self.max_one_hot!r}."
            )
        if (
            isinstance(self.clip_scale, bool)
            or not isinstance(self.clip_scale, numbers.Real)
            or not self.clip_scale > 0
            or not np.isfinite(self.clip_scale)
        ):
            raise ValueError(
                f"clip_scale must be a positive number, got {self.clip_scale!r}."
            )

    def fit(self, X, feature_names=None, sample_weight=None):
        """Fit the statistics on ``X`` (never modified).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table.
        feature_names : list of str, default=None
            Names for the columns (overrides a DataFrame's names).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights. A weight ``w`` counts as ``w`` repetitions of
            the row; rows with weight 0 are ignored by every statistic.

        Returns
        -------
        self : TabularPreprocessor
            The fitted preprocessor.
        """
        self._check_params()
        table = _Table(X)
        if feature_names is not None:
            names = [str(s) for s in feature_names]
            if len(names) != table.n_columns:
                raise ValueError(
                    f"feature_names has {len(names)} names for {table.n_columns} "
                    "columns."
                )
            table.names = names
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if w.shape[0] != table.n_rows:
                raise ValueError(
                    f"sample_weight has {w.shape[0]} values for {table.n_rows} rows."
                )
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("sample_weight must be finite and non-negative.")
        active = np.ones(table.n_rows, dtype=bool) if w is None else w > 0

        is_cat = self._categorical_mask(table)
        numeric_columns, one_hot_columns, embedded_columns = [], [], []
        medians, scales, has_missing = [], [], []
        categories, cardinalities, cat_codes = [], [], {}
        for j in range(table.n_columns):
            if is_cat[j]:
                values, missing = table.categorical(j)
                cats = _categories(values, active & ~missing)
                categories.append(cats)
                k = cats.size + 1
                cat_codes[j] = _encode(values, missing, cats, table.frame is not None)
                if k <= self.max_one_hot:
                    one_hot_columns.append(j)
                else:
                    embedded_columns.append(j)
                    cardinalities.append(k)
                continue
            x = table.numeric(j)
            nan = np.isnan(x)
            keep = active & ~nan
            wj = None if w is None else w[keep]
            median, scale = _robust_stats(x[keep], wj)
            numeric_columns.append(j)
            medians.append(median)
            scales.append(scale)
            has_missing.append(bool(np.any(nan & active)))

        self.n_features_in_ = table.n_columns
        self.feature_names_in_ = table.names
        self.is_categorical_ = is_cat
        self.numeric_columns_ = numeric_columns
        self.one_hot_columns_ = one_hot_columns
        self.embedded_columns_ = embedded_columns
        self.categories_ = categories
        self.median_ = np.array(medians, dtype=np.float64)
        self.scale_ = np.array(scales, dtype=np.float64)
        self.has_missing_ = np.array(has_missing, dtype=bool)
        self.cardinalities_ = tuple(cardinalities)
        self._cat_index = {int(j): i for i, j in enumerate(np.flatnonzero(is_cat))}

        flags = self._raw_one_hot(cat_codes, table.n_rows)
        one_hot_median, one_hot_scale = [], []
        for c in range(flags.shape[1]):
            col = flags[active, c]
            median, scale = _robust_stats(col, None if w is None else w[active])
            one_hot_median.append(median)
            one_hot_scale.append(scale)
        self.one_hot_median_ = np.array(one_hot_median, dtype=np.float64)
        self.one_hot_scale_ = np.array(one_hot_scale, dtype=np.float64)
        return self

    def _raw_one_hot(self, cat_codes, n_rows):
        parts = [
            _one_hot(cat_codes[j], self.categories_[self._cat_index[j]].size + 1)
            for j in self.one_hot_columns_
        ]
        return np.hstack(parts) if parts else np.zeros((n_rows, 0))

    # -- transform --------------------------------------------------------------
    def _scale(self, z, median, scale):
        if self.robust_scale:
            z = (z - median) * scale
        if self.smooth_clip:
            z = smooth_clip(z, float(self.clip_scale))
        return z

    def transform(self, X):
        """Transform ``X`` into :class:`TabularBlocks` (``X`` is not modified).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            The table, with the columns seen in ``fit``.

        Returns
        -------
        TabularBlocks
            The numeric, flag and code blocks.
        """
        if not hasattr(self, "n_features_in_"):
            raise ValueError("This TabularPreprocessor is not fitted yet; call fit.")
        table = _Table(X)
        if table.n_columns != self.n_features_in_:
            raise ValueError(
                f"X has {table.n_columns} features, but TabularPreprocessor is "
                f"expecting {self.n_features_in_} features as input."
            )
        if table.names is not None and self.feature_names_in_ is not None:
            if table.names != self.feature_names_in_:
                raise ValueError(
                    "The feature names of X differ from those seen in fit: "
                    f"{table.names} != {self.feature_names_in_}."
                )
        n = table.n_rows
        numeric = np.zeros((n, len(self.numeric_columns_)))
        indicators = []
        for i, j in enumerate(self.numeric_columns_):
            x = table.numeric(j)
            nan = np.isnan(x)
            x = np.where(nan, self.median_[i], x)  # a new array: the caller's stays
            numeric[:, i] = self._scale(x, self.median_[i], self.scale_[i])
            if self.missing_indicators and self.has_missing_[i]:
                indicators.append(nan.astype(np.float64))
        cat_codes = {}
        for j in self.one_hot_columns_ + self.embedded_columns_:
            values, missing = table.categorical(j)
            cat_codes[j] = _encode(
                values, missing, self.categories_[self._cat_index[j]]
            )
        flags = self._raw_one_hot(cat_codes, n)
        if self.scale_one_hot and flags.shape[1]:
            flags = self._scale(flags, self.one_hot_median_, self.one_hot_scale_)
        if indicators:
            flags = np.hstack([flags, np.column_stack(indicators)])
        codes = np.zeros((n, len(self.embedded_columns_)), dtype=np.int64)
        for i, j in enumerate(self.embedded_columns_):
            codes[:, i] = cat_codes[j]
        return TabularBlocks(
            numeric=numeric,
            flags=np.ascontiguousarray(flags, dtype=np.float64),
            codes=codes,
            cardinalities=self.cardinalities_,
            n_rows=n,
        )

    def fit_transform(self, X, feature_names=None, sample_weight=None):
        """Fit on ``X`` and return its :class:`TabularBlocks`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table.
        feature_names : list of str, default=None
            Names for the columns.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (see :meth:`fit`).

        Returns
        -------
        TabularBlocks
            The numeric, flag and code blocks of ``X``.
        """
        return self.fit(X, feature_names, sample_weight).transform(X)
