"""
Class weights on imbalanced data
================================

When one class is rare, a classifier that minimises the average loss can afford
to get most of the rare class wrong. ``class_weight='balanced'`` gives every
class the same total weight in the loss: class ``c`` is weighted
``n_samples / (n_classes * n_c)``, so each row of a class that is ten times rarer
counts ten times more. (:class:`~sklearn.neural_network.MLPClassifier` has no
``class_weight``.)

What to see: the confusion matrices are normalised by row, so the diagonal is
the recall of each class. Without weights the rare classes are mostly predicted
as the common one; with ``'balanced'`` their recall rises a lot, at the price of
a few more mistakes on the common class. The balanced accuracy (the mean of the
diagonal) improves.
"""

# %%
# Three classes: 90%, 7% and 3% of the rows
# -----------------------------------------
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=10,
    n_informative=4,
    n_classes=3,
    n_clusters_per_class=1,
    weights=[0.90, 0.07, 0.03],
    class_sep=0.8,
    random_state=0,
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

# %%
# The same network with and without class weights
# -----------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.3))
for ax, class_weight in zip(axes, [None, "balanced"]):
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(32,),
        class_weight=class_weight,
        max_iter=100,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, normalize="true", values_format=".2f", colorbar=False, ax=ax
    )
    score = balanced_accuracy_score(y_test, y_pred)
    ax.set_title(f"class_weight={class_weight!r}\nbalanced accuracy {score:.2f}")
fig.tight_layout()
plt.show()
