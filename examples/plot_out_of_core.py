"""
Out-of-core training from a memory-mapped file
==============================================

:func:`~sk_scratchnet.partial_fit_chunks` trains an estimator on data that need
not fit in memory: it reads a :class:`numpy.memmap` (or a dask array) one block
of ``chunk_size`` rows at a time and calls ``partial_fit`` on each block, in a
new random order every epoch, with the rows of each block shuffled too.

This example writes a training set to a temporary file, trains on it one epoch
at a time (each call of ``partial_fit_chunks`` with ``n_epochs=1`` continues the
same model) and measures the held-out accuracy after every epoch. For
comparison, the same network is fitted in memory with ``fit``, its per-epoch
held-out accuracy recorded by passing the test set as ``X_val``/``y_val``.

What to see: streaming from disk learns as fast per epoch as the in-memory fit.
The curves are not identical, since block-wise shuffling visits the rows in a
different order than a global shuffle, but they reach the same accuracy.
"""

# %%
# Write the training set to disk
# ------------------------------
import shutil
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sk_scratchnet import ScratchMLPClassifier, partial_fit_chunks

X, y = make_classification(
    n_samples=24_000,
    n_features=20,
    n_informative=12,
    n_classes=4,
    random_state=0,
)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=4_000, random_state=0
)
n_rows, n_features = X_train.shape
n_epochs = 12
settings = {"hidden_layer_sizes": (64,), "random_state": 0}

folder = Path(tempfile.mkdtemp())
X_path, y_path = folder / "X.f32", folder / "y.i8"
X_disk = np.memmap(X_path, dtype=np.float32, mode="w+", shape=X_train.shape)
X_disk[:] = X_train
X_disk.flush()
y_disk = np.memmap(y_path, dtype=np.int8, mode="w+", shape=(n_rows,))
y_disk[:] = y_train
y_disk.flush()
del X_disk, y_disk

# %%
# Stream it, one epoch per call
# -----------------------------
# Only ``chunk_size`` rows are read into memory at a time.
X_disk = np.memmap(X_path, dtype=np.float32, mode="r", shape=(n_rows, n_features))
y_disk = np.memmap(y_path, dtype=np.int8, mode="r", shape=(n_rows,))
streamed = ScratchMLPClassifier(**settings)
streamed_scores = []
for epoch in range(n_epochs):
    partial_fit_chunks(
        streamed,
        X_disk,
        y_disk,
        classes=np.arange(4),
        chunk_size=4_000,
        n_epochs=1,
        random_state=epoch,
    )
    streamed_scores.append(streamed.score(X_test, y_test))
del X_disk, y_disk  # close the files before removing them
shutil.rmtree(folder)

# %%
# The same network in memory
# --------------------------
in_memory = ScratchMLPClassifier(max_iter=n_epochs, **settings)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    in_memory.fit(X_train, y_train, X_val=X_test, y_val=y_test)

epochs = np.arange(1, n_epochs + 1)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.plot(epochs, in_memory.validation_scores_, "o-", label="fit, in memory")
ax.plot(epochs, streamed_scores, "s--", label="partial_fit_chunks, from a memmap")
ax.set(
    title="Held-out accuracy per epoch",
    xlabel="epoch",
    ylabel="accuracy on 4 000 held-out rows",
)
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
