"""
Regression: predicted against true values
=========================================

:class:`~sk_scratchnet.ScratchMLPRegressor` is the regressor on the same network:
the identity output with half the squared error, or the exponential output with
the Poisson deviance for counts and other non-negative targets. It takes the
parameters of :class:`~sklearn.neural_network.MLPRegressor`, and from the same
``random_state`` the two train the same network.

What to see: on ``load_diabetes`` the points of ours and of ``MLPRegressor`` lie
on top of each other (the same R²); on ``make_friedman1`` both losses fit the
target well, and the Poisson model never predicts a negative value (its
prediction is ``exp`` of the score).
"""

# %%
# Diabetes progression: ours beside MLPRegressor
# ----------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPRegressor

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
# A small network with a strong penalty: 331 training rows of 10 noisy features
# overfit easily. The target is standardised too (TransformedTargetRegressor).
params = {
    "hidden_layer_sizes": (32,),
    "solver": "lbfgs",
    "alpha": 30.0,
    "max_iter": 200,
    "random_state": 0,
}
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
ax = axes[0]
for estimator, marker in [
    (ScratchMLPRegressor(**params), "o"),
    (MLPRegressor(**params), "x"),
]:
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), estimator), transformer=StandardScaler()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    name = type(estimator).__name__
    r2 = model.score(X_test, y_test)
    ax.scatter(
        y_test, model.predict(X_test), marker=marker, s=18, alpha=0.7,
        label=f"{name}: R² {r2:.3f}",
    )  # fmt: skip
lims = [y.min(), y.max()]
ax.plot(lims, lims, "k--", lw=1)
ax.set_xlabel("true disease progression")
ax.set_ylabel("predicted")
ax.set_title("load_diabetes, lbfgs, (32,), alpha=30")
ax.legend(loc="upper left", fontsize=8)

# %%
# Friedman #1 with the squared error and with the Poisson deviance
# ----------------------------------------------------------------
X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
for ax, loss in zip(axes[1:], ["squared_error", "poisson"]):
    model = make_pipeline(
        StandardScaler(),
        ScratchMLPRegressor(
            loss=loss,
            hidden_layer_sizes=(64, 32),
            learning_rate_init=0.01,
            max_iter=150,
            early_stopping=True,
            random_state=0,
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    pred = model.predict(X_test)
    ax.scatter(y_test, pred, s=8, alpha=0.5)
    lims = [min(y.min(), 0), y.max()]
    ax.plot(lims, lims, "k--", lw=1)
    ax.set_xlabel("true y")
    ax.set_ylabel("predicted")
    ax.set_title(
        f"make_friedman1, loss={loss!r}\n"
        f"R² {model.score(X_test, y_test):.3f}, min prediction {np.min(pred):.2f}"
    )
fig.tight_layout()
plt.show()
