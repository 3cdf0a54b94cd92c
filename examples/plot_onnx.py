"""
Exporting to ONNX
=================

:func:`~sk_scratchnet.to_onnx` turns a fitted
:class:`~sk_scratchnet.ScratchMLPClassifier`, or a
:class:`~sklearn.pipeline.Pipeline` of scalers followed by one, into an ONNX
graph that any ONNX runtime can serve without Python or scikit-learn. The
scalers are folded into the graph. The graph has one input, ``"X"``, and two
outputs, the labels and the class probabilities.

This example needs ``onnx`` and ``onnxruntime`` (``pip install -e ".[onnx]"``
in the clone; the ``docs`` extra installs them).

What to see: every probability computed by ONNX Runtime lies on the diagonal
(left). The differences (right) are float32 rounding errors, below
:math:`10^{-6}`, and the predicted labels are identical.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier, to_onnx

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = make_pipeline(
    StandardScaler(), ScratchMLPClassifier((64,), max_iter=60, random_state=0)
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipe.fit(X_train, y_train)

# %%
# Export, then run the graph with ONNX Runtime
# --------------------------------------------
onx = to_onnx(pipe, X_train[:1])
session = ort.InferenceSession(onx.SerializeToString())
onnx_labels, onnx_proba = session.run(None, {"X": X_test})
ours = pipe.predict_proba(X_test)
max_diff = np.abs(onnx_proba - ours).max()
print(f"largest absolute difference of the probabilities: {max_diff:.2e}")
print("same labels:", np.array_equal(onnx_labels, pipe.predict(X_test)))

fig, (ax, hist_ax) = plt.subplots(1, 2, figsize=(10, 4.5))
ax.plot([0, 1], [0, 1], color="0.7", lw=1)
ax.scatter(ours.ravel(), onnx_proba.ravel(), s=6, alpha=0.5)
ax.set(
    xlabel="predict_proba (NumPy)",
    ylabel="probabilities from ONNX Runtime",
    title=f"{ours.size} probabilities, max |difference| {max_diff:.1e}",
    aspect="equal",
)
diff = np.abs(onnx_proba - ours).ravel()
bins = np.logspace(-12, -5, 29)
hist_ax.hist(np.clip(diff, bins[0], None), bins=bins)
hist_ax.set(
    xscale="log",
    xlabel="|ONNX Runtime - NumPy| (exact matches in the first bin)",
    ylabel="number of probabilities",
    title="How far apart they are",
)
fig.tight_layout()
plt.show()
