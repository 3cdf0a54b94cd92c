r"""
A tabular MLP on a mixed table
==============================

:class:`~sk_scratchnet.TabularMLPClassifier` takes a pandas DataFrame as it
is: numeric columns with missing values and categorical columns, no
preprocessing pipeline.  Its training follows schedules of the training
progress :math:`t \in [0, 1]`: the learning rate runs four cosine cycles of
doubling length on a log time axis ("coslog4", :math:`\tfrac12 (1 - \cos(2\pi
\log_2(1 + 15 t)))`), and dropout and weight decay stay flat for the first
half, then fade to 0 along a half cosine ("flat_cos").  There is no early
stopping: every epoch is scored on a held-out 20 % of the training rows, and
the weights of the last best epoch are kept.

The left panel shows the schedules over a 40-epoch run; the right panel shows
what happened during that run on a small synthetic table, the training loss
and the validation error per epoch, with the kept epoch marked, beside the
test error of ``HistGradientBoostingClassifier`` on the same split.  The run
is short to keep the documentation build fast; the default is 256 epochs.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from sk_scratchnet import TabularMLPClassifier
from sk_scratchnet._schedules import get_schedule

# %%
# A table with a categorical column, a heavy-tailed column and missing values.
# The label depends on a narrow band of ``age`` and on the city: the kind of
# sharp, per-feature structure trees find easily and a plain MLP does not.
rng = np.random.default_rng(0)
n = 2000
X = pd.DataFrame(
    {
        "age": rng.uniform(18, 80, n),
        "income": rng.lognormal(10, 1, n),
        "visits": rng.poisson(3, n).astype(float),
        "city": pd.Categorical(rng.choice(["Oslo", "Lima", "Pune", "Kobe"], n)),
    }
)
band = (X["age"] > 35) & (X["age"] < 50)
logit = 2.5 * band - 1.5 * (X["city"] == "Lima") + 0.3 * np.log(X["income"]) - 3
y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "buys", "passes")
X.loc[rng.random(n) < 0.1, "income"] = np.nan
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Fit both models on the raw frame.
epochs = 40
clf = TabularMLPClassifier(max_epochs=epochs, random_state=0).fit(X_train, y_train)
gb = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
gb.fit(X_train, y_train)
mlp_error = np.mean(clf.predict(X_test) != y_test)
gb_error = np.mean(gb.predict(X_test) != y_test)
print(f"test error: tabular MLP {mlp_error:.3f}, gradient boosting {gb_error:.3f}")
print(f"kept epoch {clf.best_epoch_} of {clf.n_iter_}")

# %%
# The schedules and the run.
t = np.linspace(0, 1, 400)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot(t * epochs, get_schedule("coslog4")(t), label="learning rate (coslog4)")
ax1.plot(t * epochs, get_schedule("flat_cos")(t), label="dropout, weight decay")
ax1.set_xlabel("epoch")
ax1.set_ylabel("multiplier of the base value")
ax1.legend(loc="lower left")
ax1.set_title("Schedules")

epoch = np.arange(1, clf.n_iter_ + 1)
ax2.plot(epoch, clf.loss_curve_, label="training loss")
ax2.plot(epoch, clf.validation_scores_, label="validation error")
ax2.axvline(clf.best_epoch_, color="k", ls=":", label="kept epoch")
ax2.axhline(gb_error, color="C3", ls="--", label="gradient boosting, test error")
ax2.set_xlabel("epoch")
ax2.set_ylim(0, None)
ax2.legend()
ax2.set_title(f"Tabular MLP: test error {mlp_error:.3f}")
fig.tight_layout()
plt.show()
