"""Out-of-core training: ``partial_fit`` over row blocks of a large array.

A dataset that does not fit in memory is kept on disk as a
:class:`numpy.memmap` (or lazily as a dask array) and trained on block by
block. Each epoch visits every block once, in a new random order, and shuffles
the rows inside each block, so the estimator sees a different stream of
mini-batches every epoch, as ``fit`` with ``shuffle=True`` would. Only one
block (``chunk_size`` rows) is in memory at a time.

dask is never imported here: a dask array is recognised by its ``compute``
method, so this module works without the optional ``dask`` extra.
"""

import inspect
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["partial_fit_chunks"]


def _n_rows(X):
    """Return the number of rows of an array-like that has a ``shape``."""
    shape = getattr(X, "shape", None)
    if shape is None:
        raise TypeError(
            "X must be an array with a shape (numpy.memmap, ndarray, dask array, "
            f"sparse matrix or DataFrame), got {type(X).__name__}."
        )
    n_rows = shape[0]
    if n_rows is None or (isinstance(n_rows, float) and np.isnan(n_rows)):
        raise ValueError(
            "X has an unknown number of rows (a dask array with unknown chunk "
            "sizes); call X.compute_chunk_sizes() first."
        )
    return int(n_rows)


def _block_bounds(X, n_rows, chunk_size):
    """Return (start, stop) row ranges; dask arrays use their own row chunks."""
    if chunk_size is None:
        chunks = getattr(X, "chunks", None)
        if chunks is not None and hasattr(X, "compute"):
            stops = np.cumsum(chunks[0])
            starts = stops - np.asarray(chunks[0])
            return list(zip(starts.tolist(), stops.tolist(), strict=True))
        chunk_size = n_rows
    return [
        (start, min(start + chunk_size, n_rows))
        for start in range(0, n_rows, chunk_size)
    ]


def _load_rows(data, start, stop):
    """Read rows [start, stop) of ``data`` into memory."""
    if data is None:
        return None
    if hasattr(data, "iloc"):  # pandas keeps its column names
        return data.iloc[start:stop]
    block = data[start:stop]
    if hasattr(block, "compute"):  # dask
        return block.compute()
    if isinstance(block, np.memmap):
        # One sequential read into an ordinary in-memory array.
        return np.array(block)
    return block


def _take_rows(block, order):
    """Return the rows of an in-memory block in the given order."""
    if block is None:
        return None
    if hasattr(block, "iloc"):
        return block.iloc[order]
    return block[order]


def _check_positive_int(value, name, allow_none=False):
    """Raise ValueError unless ``value`` is an int >= 1 (or an allowed None)."""
    if allow_none and value is None:
        return
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _partial_fit_takes_classes(estimator):
    """Return whether ``estimator.partial_fit`` names a ``classes`` parameter.

    Classifiers' ``partial_fit`` does; regressors' does not. Returns None when
    it cannot tell (no signature, or ``**kwargs``).
    """
    try:
        parameters = inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):
        return None
    if "classes" in parameters:
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return False


def _find_classes(y, bounds):
    """Return the sorted unique labels of ``y``, read block by block."""
    seen = [np.unique(np.asarray(_load_rows(y, start, stop))) for start, stop in bounds]
    return np.unique(np.concatenate(seen))


def partial_fit_chunks(
    estimator,
    X,
    y,
    *,
    classes=None,
    chunk_size=10_000,
    n_epochs=5,
    shuffle_chunks=True,
    random_state=None,
    sample_weight=None,
):
    """Train ``estimator`` with ``partial_fit`` over row blocks of ``X`` and ``y``.

    Use it when the training set is too large for memory: keep ``X`` on disk as
    a :class:`numpy.memmap` (or as a dask array) and only ``chunk_size`` rows
    are read into memory at a time. Every epoch calls ``estimator.partial_fit``
    once per block; with ``shuffle_chunks=True`` the blocks come in a new random
    order each epoch and the rows inside each block are shuffled too.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        For example ``ScratchMLPClassifier(solver='adam')`` or
        ``ScratchMLPRegressor(solver='adam')``. Its own ``batch_size`` sets the
        mini-batches inside each block; a block should hold many mini-batches.
    X : {numpy.memmap, ndarray, dask array, sparse matrix, DataFrame} of shape \
            (n_samples, n_features)
        Training data, read one block of rows at a time.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels or regression targets, of the same kinds as ``X`` (a
        memmap, ndarray or dask array).
    classes : array-like of shape (n_classes,), default=None
        Classifiers only: all class labels, passed to the first
        ``partial_fit`` call of this function (which checks them against a
        fitted ``classes_``). When ``None`` and the estimator has no
        ``classes_`` yet, they are found with one extra pass over ``y``, block
        by block. An estimator whose ``partial_fit`` has no ``classes``
        parameter (a regressor) gets none, and giving them is an error.
    chunk_size : int or None, default=10_000
        Rows per block. ``None`` uses the row chunks of a dask array (or the
        whole array otherwise).
    n_epochs : int, default=5
        Passes over the whole dataset.
    shuffle_chunks : bool, default=True
        Shuffle the order of the blocks and the rows inside each block, anew
        every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of blocks and rows (not the estimator, which has
        its own ``random_state``).
    sample_weight : array-like of shape (n_samples,), default=None
        Per-sample weights, sliced and shuffled along with ``X`` and passed to
        ``partial_fit`` when given.

    Returns
    -------
    estimator
        The same estimator object, trained.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``partial_fit`` method.
    ValueError
        If ``X``, ``y`` and ``sample_weight`` differ in length,
        ``chunk_size`` or ``n_epochs`` is not a positive integer, or ``classes``
        is given for an estimator whose ``partial_fit`` takes none.

    See Also
    --------
    ScratchMLPClassifier.partial_fit : One epoch over one in-memory block.
    ScratchMLPRegressor.partial_fit : The same for regression targets.

    Notes
    -----
    Reading a block in order and shuffling it in memory turns the disk access
    into large sequential reads, which is what makes a memmap larger than the
    page cache fast to stream. Shuffling within blocks only approximates a
    global shuffle: if the file is sorted (say, by class), shuffle its rows once
    when writing it, or use small blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sk_scratchnet._streaming import partial_fit_chunks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1_000, 5))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = partial_fit_chunks(
    ...     SGDClassifier(random_state=0), X, y, classes=[0, 1],
    ...     chunk_size=250, n_epochs=3, random_state=0,
    ... )
    >>> bool(clf.score(X, y) > 0.9)
    True
    """
    if not callable(getattr(estimator, "partial_fit", None)):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit method; out-of-core "
            "training needs an incremental estimator (solver='sgd' or 'adam')."
        )
    _check_positive_int(chunk_size, "chunk_size", allow_none=True)
    _check_positive_int(n_epochs, "n_epochs")
    n_rows = _n_rows(X)
    for name, other in (("y", y), ("sample_weight", sample_weight)):
        if other is not None and _n_rows(other) != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but {name} has {_n_rows(other)}; they must match."
            )
    rng = check_random_state(random_state)
    bounds = _block_bounds(X, n_rows, chunk_size)

    takes_classes = _partial_fit_takes_classes(estimator)
    if classes is not None and takes_classes is False:
        raise ValueError(
            f"classes was given but {type(estimator).__name__}.partial_fit takes "
            "no classes (it is not a classifier); leave classes=None."
        )
    if classes is None and takes_classes and not hasattr(estimator, "classes_"):
        classes = _find_classes(y, bounds)

    for _ in range(n_epochs):
        order = rng.permutation(len(bounds)) if shuffle_chunks else range(len(bounds))
        for block_index in order:
            start, stop = bounds[block_index]
            X_block = _load_rows(X, start, stop)
            y_block = _load_rows(y, start, stop)
            w_block = _load_rows(sample_weight, start, stop)
            if shuffle_chunks:
                rows = rng.permutation(stop - start)
                X_block = _take_rows(X_block, rows)
                y_block = _take_rows(y_block, rows)
                w_block = _take_rows(w_block, rows)
            kwargs = {}
            if classes is not None:
                # Only the first call needs them (and checks them).
                kwargs["classes"] = classes
                classes = None
            if w_block is not None:
                kwargs["sample_weight"] = w_block
            estimator.partial_fit(X_block, y_block, **kwargs)
    return estimator
