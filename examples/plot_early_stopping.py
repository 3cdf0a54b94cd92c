"""
Loss curves and early stopping on accuracy or on loss
=====================================================

:class:`~sk_scratchnet.ScratchMLPClassifier` records the training loss of every
epoch in ``loss_curve_``. Give it a validation set (``X_val``, ``y_val``) and it
also records the validation log-loss (``validation_loss_curve_``) and accuracy
(``validation_scores_``) after every epoch. With ``early_stopping=True`` it stops
when the chosen metric has not improved for ``n_iter_no_change`` epochs and
restores the weights of the best epoch.

``early_stopping_metric`` chooses what "improved" means: ``'accuracy'`` (as in
:class:`~sklearn.neural_network.MLPClassifier`) or ``'log_loss'``.

What to see: on noisy labels the training loss keeps falling while the
validation loss turns upwards after a few epochs, as the network starts to
memorise the noise. Accuracy is flat and jumpy by then; stopping on the
validation log-loss picks the epoch where the probabilities are best calibrated,
usually earlier than stopping on accuracy.
"""

# %%
# A noisy problem: 10% of the labels are flipped
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier

X, y = make_classification(
    n_samples=1500,
    n_features=20,
    n_informative=8,
    n_classes=3,
    flip_y=0.1,
    random_state=0,
)
X = StandardScaler().fit_transform(X)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
# Two fits that differ only in the metric watched
# -----------------------------------------------
# Early stopping uses the validation set passed to ``fit`` instead of holding
# out ``validation_fraction`` of the training data.
fits = {}
for metric in ["accuracy", "log_loss"]:
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(128, 128),
        learning_rate_init=0.003,
        max_iter=200,
        early_stopping=True,
        early_stopping_metric=metric,
        n_iter_no_change=15,
        random_state=0,
    )
    fits[metric] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)


def best_epoch(clf):
    """Return the 1-based epoch whose weights early stopping restored."""
    losses = np.asarray(clf.validation_loss_curve_)
    if clf.early_stopping_metric == "log_loss":
        return int(np.argmin(losses)) + 1
    scores = np.asarray(clf.validation_scores_)
    # Among the epochs of best accuracy, the one of lowest validation loss.
    ties = np.flatnonzero(scores == scores.max())
    return int(ties[np.argmin(losses[ties])]) + 1


# %%
# The curves, with the restored epoch marked
# ------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
colors = {"accuracy": "tab:blue", "log_loss": "tab:orange"}
for metric, clf in fits.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    best = best_epoch(clf)
    color = colors[metric]
    label = f"stop on {metric}"
    axes[0].plot(epochs, clf.loss_curve_, ls="--", color=color, alpha=0.7)
    axes[0].plot(epochs, clf.validation_loss_curve_, color=color, label=label)
    axes[0].plot(best, clf.validation_loss_curve_[best - 1], "o", ms=9, color=color)
    axes[1].plot(epochs, clf.validation_scores_, color=color, label=label)
    axes[1].plot(best, clf.validation_scores_[best - 1], "o", ms=9, color=color)
    print(
        f"stop on {metric:8}: {clf.n_iter_} epochs, best epoch {best}, "
        f"validation accuracy {clf.score(X_val, y_val):.3f}"
    )

axes[0].plot([], [], "k--", label="training loss (dashed)")
axes[0].plot([], [], "ko", label="restored epoch")
axes[0].set(xlabel="epoch", ylabel="log-loss", title="Training and validation loss")
axes[1].set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
axes[0].legend(loc="lower left")
axes[1].legend(loc="lower right")
fig.tight_layout()
plt.show()

# %%
# After ``fit`` each model holds the weights of its marked epoch, so its score
# on the validation set is the value at the marker, not at the end of the curve.
