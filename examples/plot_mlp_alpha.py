r"""
Regularisation strength ``alpha`` on three toy data sets
========================================================

scikit-learn's gallery shows how the L2 penalty ``alpha`` shapes the decision
function of :class:`~sklearn.neural_network.MLPClassifier`; this is the same
study, written anew for :class:`~sk_scratchnet.ScratchMLPClassifier`, which
takes the same parameter with the same meaning: the penalty
:math:`\frac{\alpha}{2 n} \sum_l \lVert W_l \rVert^2` added to the mean
cross-entropy of the :math:`n` training rows.

Each row is a data set (moons, circles, two overlapping blobs), each column one
value of ``alpha``. The background shows the predicted probability of the
second class; the number in the corner is the accuracy on held-out points
(drawn lighter).

What to see: a small ``alpha`` lets the network bend its boundary around single
points, which fits the training set and over-fits the noisy ones; a large
``alpha`` shrinks the weights and gives smoother, nearly linear boundaries,
too simple for the circles at ``alpha=10``.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_circles, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier

blobs_X, blobs_y = make_classification(
    n_samples=200,
    n_features=2,
    n_redundant=0,
    n_informative=2,
    n_clusters_per_class=1,
    class_sep=0.8,
    random_state=1,
)
datasets = {
    "moons": make_moons(n_samples=200, noise=0.3, random_state=0),
    "circles": make_circles(n_samples=200, noise=0.2, factor=0.5, random_state=1),
    "blobs": (blobs_X, blobs_y),
}
alphas = [1e-3, 1e-2, 1e-1, 1.0, 10.0]
points = ListedColormap(["#d62728", "#1f77b4"])

fig, axes = plt.subplots(
    len(datasets), len(alphas), figsize=(3 * len(alphas), 3 * len(datasets))
)
for row, (data_name, (X, y)) in zip(axes, datasets.items()):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0
    )
    for ax, alpha in zip(row, alphas):
        clf = make_pipeline(
            StandardScaler(),
            ScratchMLPClassifier(
                hidden_layer_sizes=(10, 10),
                solver="lbfgs",
                alpha=alpha,
                max_iter=2000,
                random_state=1,
            ),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        DecisionBoundaryDisplay.from_estimator(
            clf, X, response_method="predict_proba", cmap="RdBu", alpha=0.7, ax=ax
        )
        ax.scatter(*X_train.T, c=y_train, cmap=points, s=12, edgecolor="k", lw=0.4)
        ax.scatter(*X_test.T, c=y_test, cmap=points, s=12, alpha=0.4, lw=0)
        ax.text(
            0.97,
            0.04,
            f"{clf.score(X_test, y_test):.2f}",
            transform=ax.transAxes,
            ha="right",
            fontsize=12,
            weight="bold",
        )
        ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
        if data_name == "moons":
            ax.set_title(f"alpha = {alpha:g}")
    row[0].set_ylabel(data_name, fontsize=12)
fig.tight_layout()
plt.show()

# %%
# The first layer's weights shrink as ``alpha`` grows:
X, y = datasets["moons"]
for alpha in alphas:
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(10, 10),
        solver="lbfgs",
        alpha=alpha,
        max_iter=2000,
        random_state=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(StandardScaler().fit_transform(X), y)
    print(f"alpha={alpha:<6g} |W_1| = {np.linalg.norm(clf.coefs_[0]):.2f}")
