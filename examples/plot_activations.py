"""
Hidden activations, one per layer if you like
=============================================

``activation`` accepts eight names: ``'relu'``, ``'tanh'``, ``'logistic'``,
``'identity'``, ``'leaky_relu'``, ``'elu'``, ``'gelu'`` and ``'softplus'``, or a
list with one name per hidden layer. Each activation comes with its own backward
rule, checked against finite differences in the test suite.

Two hidden layers of 32 units are trained on two interleaving half moons with
five choices: four single activations and the list ``['gelu', 'tanh']``.

What to see: ReLU draws its boundary from straight pieces (it is piecewise
linear), tanh and GELU draw smooth curves. The loss curves show how fast each
choice learns with the same optimizer and learning rate; on a problem this
small they all get there.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from sk_scratchnet import ScratchMLPClassifier

X, y = make_moons(n_samples=300, noise=0.25, random_state=0)
choices = ["relu", "tanh", "gelu", "elu", ["gelu", "tanh"]]

fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
loss_ax = axes[1, 2]
for ax, activation in zip(axes.flat, choices):
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(32, 32),
        activation=activation,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    name = activation if isinstance(activation, str) else " + ".join(activation)
    DecisionBoundaryDisplay.from_estimator(
        clf, X, response_method="predict_proba", cmap="RdBu", alpha=0.6, ax=ax
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", s=10, edgecolor="k", lw=0.3)
    ax.set_title(f"{name}: training accuracy {clf.score(X, y):.2f}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    epochs = np.arange(1, clf.n_iter_ + 1)
    loss_ax.plot(epochs, clf.loss_curve_, label=name)

loss_ax.set(title="Training loss", xlabel="epoch", ylabel="log-loss", yscale="log")
loss_ax.legend()
fig.tight_layout()
plt.show()
