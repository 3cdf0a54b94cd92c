r"""
Learning-rate schedules for Adam
================================

:class:`~sklearn.neural_network.MLPClassifier` applies ``learning_rate`` to the
``'sgd'`` solver only. Here the schedules apply to ``'adam'`` too, and there is a
fourth one, ``'cosine'``. With :math:`\eta_0` = ``learning_rate_init``:

* ``'constant'``: :math:`\eta = \eta_0` throughout;
* ``'invscaling'``: after each epoch :math:`\eta = \eta_0 / (t + 1)^{p}`, where
  :math:`t` is the number of samples seen so far and :math:`p` = ``power_t``;
* ``'adaptive'``: :math:`\eta_0` until ``n_iter_no_change`` epochs pass without
  the loss improving by ``tol``; then :math:`\eta` is divided by 5 instead of
  stopping, until it falls below :math:`10^{-6}`;
* ``'cosine'``: after epoch :math:`e` of :math:`E` = ``max_iter``,
  :math:`\eta = \eta_0 \, (1 + \cos(\pi e / E)) / 2`, from :math:`\eta_0`
  down to 0.

The rate of each epoch is computed below from these formulas; for
``'adaptive'`` the epochs where the rate was divided are read from the
``verbose`` output, which reports each division. The three fixed schedules run
all ``max_iter`` epochs (``n_iter_no_change=max_iter``); ``'adaptive'`` needs a
short patience to react to plateaus.

What to see: ``'invscaling'``, designed for plain SGD, divides Adam's step by
the square root of the number of samples seen, so training stalls after the
first epoch. ``'adaptive'`` keeps the initial rate (its curve lies on the
constant one) until the loss stops improving by ``tol``, then cuts it by 5 at
every plateau; ``'cosine'`` anneals it smoothly to 0 at ``max_iter``. Both
freeze the weights towards the end, so the loss levels off, while the constant
rate keeps lowering the training loss of this small, easy problem: annealing
buys a final model that no longer moves from batch to batch, not a lower
training loss.
"""

# %%
import contextlib
import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sk_scratchnet import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X = X[:1000] / 16.0
y = y[:1000]
eta0, power_t, max_iter = 0.01, 0.5, 80


def rate_per_epoch(clf, log):
    """Return the learning rate used in each epoch of a fitted model."""
    epochs = np.arange(clf.n_iter_)  # completed epochs before each one
    n_rows = clf.t_ // clf.n_iter_
    if clf.learning_rate == "constant":
        return np.full(clf.n_iter_, eta0)
    if clf.learning_rate == "invscaling":
        return eta0 / (epochs * n_rows + 1.0) ** power_t
    if clf.learning_rate == "cosine":
        return eta0 * (1 + np.cos(np.pi * epochs / max_iter)) / 2
    # adaptive: verbose prints "Iteration k, loss = ..." after each epoch and
    # "... Setting learning rate to ..." when it divides the rate by 5.
    divisions, epoch = np.zeros(clf.n_iter_, dtype=int), 0
    for line in log.splitlines():
        if line.startswith("Iteration"):
            epoch = int(line.split()[1].rstrip(","))
        elif "Setting learning rate" in line and epoch < clf.n_iter_:
            divisions[epoch:] += 1
    return eta0 / 5.0**divisions


fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
styles = {"constant": "-", "invscaling": "-", "adaptive": "--", "cosine": "-"}
for schedule, style in styles.items():
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(64,),
        solver="adam",
        learning_rate=schedule,
        learning_rate_init=eta0,
        power_t=power_t,
        max_iter=max_iter,
        n_iter_no_change=5 if schedule == "adaptive" else max_iter,
        tol=1e-3,
        verbose=True,
        random_state=0,
    )
    log = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(log):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    epochs = np.arange(1, clf.n_iter_ + 1)
    rate = rate_per_epoch(clf, log.getvalue())
    axes[0].plot(epochs, rate, ls=style, label=schedule)
    axes[1].plot(epochs, clf.loss_curve_, ls=style, label=schedule)
    print(f"{schedule:10}: {clf.n_iter_:3d} epochs, final loss {clf.loss_:.4f}")

axes[0].set(
    title="Learning rate of each epoch", xlabel="epoch", ylabel="rate", yscale="log"
)
axes[1].set(title="Training loss", xlabel="epoch", ylabel="log-loss", yscale="log")
for ax in axes:
    ax.legend()
fig.tight_layout()
plt.show()
