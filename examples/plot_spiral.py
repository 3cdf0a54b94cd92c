"""
The seed's spiral: a network against a linear model
=====================================================

The blog post "Neural networks from scratch" trains a two-layer ReLU network on
three interleaved spiral arms, a data set that no straight line can split. Here
the same data is fitted by :class:`~sk_scratchnet.ScratchMLPClassifier`, by
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` with the very same
settings, and by :class:`~sklearn.linear_model.LogisticRegression`.

What to see: the two networks draw the same curved boundaries that follow the
arms (they start from the same initial weights for the same ``random_state``
and take the same steps), while the linear model can only cut the plane into
three wedges and gets about half of the points wrong.
"""

# %%
# The data: three spiral arms
# ---------------------------
# Each arm is a class. The radius grows linearly from the centre and the angle
# sweeps four radians per arm, with some Gaussian noise on the angle.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sk_scratchnet import ScratchMLPClassifier

rng = np.random.default_rng(0)
n_per_arm, n_arms = 100, 3
radius = np.tile(np.linspace(0.0, 1.0, n_per_arm), n_arms)
y = np.repeat(np.arange(n_arms), n_per_arm)
angle = np.concatenate(
    [np.linspace(4.0 * k, 4.0 * (k + 1), n_per_arm) for k in range(n_arms)]
)
angle += rng.normal(scale=0.2, size=angle.shape)
X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])

# %%
# Three models, one figure
# ------------------------
# Both networks get one hidden layer of 100 ReLU units, Adam and 500 epochs.
settings = {
    "hidden_layer_sizes": (100,),
    "learning_rate_init": 0.01,
    "max_iter": 500,
    "random_state": 0,
}
models = {
    "ScratchMLPClassifier": ScratchMLPClassifier(**settings),
    "MLPClassifier": MLPClassifier(**settings),
    "LogisticRegression": LogisticRegression(),
}

colors = ["tab:blue", "tab:orange", "tab:green"]
point_colors = np.array(colors)[y]
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharex=True, sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict",
        multiclass_colors=colors,
        alpha=0.35,
        ax=ax,
    )
    ax.scatter(X[:, 0], X[:, 1], c=point_colors, s=12, edgecolor="k", lw=0.3)
    ax.set_title(f"{name}\ntraining accuracy {model.score(X, y):.2f}")
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
fig.suptitle("The seed's three-arm spiral")
fig.tight_layout()
plt.show()

# %%
# The two networks agree point for point:
ours, theirs = models["ScratchMLPClassifier"], models["MLPClassifier"]
print("same predictions:", np.array_equal(ours.predict(X), theirs.predict(X)))
