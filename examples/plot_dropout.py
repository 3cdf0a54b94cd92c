"""
Dropout on noisy labels
=======================

A wide network trained long enough memorises its training set, label noise
included. ``dropout`` zeroes a random share of the hidden units at every
training step (inverted dropout: the kept units are scaled up so that nothing
changes at prediction time, which is deterministic). Here a quarter of the
training labels of the digits data set are replaced by random ones, and a clean
test set is passed as ``X_val``/``y_val`` so that the test accuracy and loss are
recorded after every epoch.

What to see: without dropout the training loss falls fastest (the network
learns the scrambled labels too) and, after about 25 epochs, the test loss
climbs back up while the test accuracy drops. With dropout the training loss
stays higher, since the noise is harder to memorise with half of the units
missing at every step, and the test loss and accuracy keep improving.
"""

# %%
# Digits with 25% of the training labels scrambled
# ------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sk_scratchnet import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
rng = np.random.default_rng(0)
noisy = rng.random(len(y_train)) < 0.25
y_noisy = y_train.copy()
y_noisy[noisy] = rng.integers(0, 10, size=noisy.sum())

# %%
# Without and with dropout
# ------------------------
# The same network and optimizer; ``dropout=0.5`` on the hidden layer.
fits = {}
for rate in [0.0, 0.5]:
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(256,),
        dropout=rate,
        learning_rate_init=0.01,
        max_iter=40,
        n_iter_no_change=40,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits[rate] = clf.fit(X_train, y_noisy, X_val=X_test, y_val=y_test)

fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for rate, clf in fits.items():
    epochs = np.arange(1, clf.n_iter_ + 1)
    label = "no dropout" if rate == 0 else f"dropout={rate}"
    axes[0].plot(epochs, clf.loss_curve_, label=label)
    axes[1].plot(epochs, clf.validation_loss_curve_, label=label)
    axes[2].plot(epochs, clf.validation_scores_, label=label)
    score = clf.score(X_test, y_test)
    print(f"{label:12}: test accuracy after the last epoch {score:.3f}")
axes[0].set(title="Training loss (noisy labels)", xlabel="epoch", ylabel="log-loss")
axes[1].set(title="Test loss (clean labels)", xlabel="epoch", ylabel="log-loss")
axes[2].set(title="Test accuracy (clean labels)", xlabel="epoch", ylabel="accuracy")
for ax in axes:
    ax.legend()
fig.tight_layout()
plt.show()
