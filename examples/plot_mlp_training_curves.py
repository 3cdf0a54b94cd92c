"""
Training curves of the stochastic solvers
=========================================

scikit-learn's gallery compares the training loss of
:class:`~sklearn.neural_network.MLPClassifier` under several stochastic
learning strategies; here is the same comparison, written anew for
:class:`~sk_scratchnet.ScratchMLPClassifier`: plain SGD with a constant or an
inverse-scaling learning rate, each without momentum, with momentum and with
Nesterov's momentum, and Adam. Adam with a cosine schedule, which
``MLPClassifier`` does not offer, is added as an eighth curve.

What to see: momentum speeds SGD up a lot (plain and Nesterov's momentum are
almost the same here); ``'invscaling'`` shrinks the rate so fast that SGD without
momentum hardly moves. Adam gets close to the best curves, or below them,
without tuning its rate per data set.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits, load_iris, make_circles, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from sk_scratchnet import ScratchMLPClassifier

sgd = {"solver": "sgd", "learning_rate_init": 0.2}
strategies = {
    "constant": dict(sgd, learning_rate="constant", momentum=0.0),
    "constant, momentum": dict(
        sgd, learning_rate="constant", momentum=0.9, nesterovs_momentum=False
    ),
    "constant, Nesterov": dict(sgd, learning_rate="constant", momentum=0.9),
    "invscaling": dict(sgd, learning_rate="invscaling", momentum=0.0),
    "invscaling, momentum": dict(
        sgd, learning_rate="invscaling", momentum=0.9, nesterovs_momentum=False
    ),
    "invscaling, Nesterov": dict(sgd, learning_rate="invscaling", momentum=0.9),
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
    "adam, cosine": {
        "solver": "adam",
        "learning_rate_init": 0.01,
        "learning_rate": "cosine",
    },
}
styles = ["-", "-", "-", "--", "--", "--", ":", ":"]
colors = ["C0", "C1", "C2", "C0", "C1", "C2", "C3", "C4"]

digits_X, digits_y = load_digits(return_X_y=True)
datasets = {
    "iris": (*load_iris(return_X_y=True), 300),
    "digits": (digits_X, digits_y, 30),
    "circles": (*make_circles(noise=0.2, factor=0.5, random_state=1), 300),
    "moons": (*make_moons(noise=0.3, random_state=0), 300),
}

fig, axes = plt.subplots(2, 2, figsize=(12, 9))
for ax, (name, (X, y, max_iter)) in zip(axes.flat, datasets.items()):
    X = MinMaxScaler().fit_transform(X)
    for (label, params), style, color in zip(strategies.items(), styles, colors):
        clf = ScratchMLPClassifier(
            hidden_layer_sizes=(100,),
            max_iter=max_iter,
            n_iter_no_change=max_iter,
            random_state=0,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        epochs = range(1, clf.n_iter_ + 1)
        ax.plot(epochs, clf.loss_curve_, ls=style, color=color, label=label)
    ax.set(title=name, xlabel="epoch", ylabel="training loss")
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=4)
fig.tight_layout(rect=(0, 0.07, 1, 1))
plt.show()
