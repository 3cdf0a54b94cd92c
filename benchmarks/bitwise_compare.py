"""Check that two checkouts of sk_scratchnet train bitwise the same networks.

A refactoring that must not change results (e.g. the array API dispatch, which
routes NumPy through ``sk_scratchnet._namespace``) is checked by fitting the same
configurations with both trees and comparing hashes of the weights, the loss
curve and the predictions::

    python benchmarks/bitwise_compare.py /path/to/old/checkout /path/to/new/checkout

Each tree is imported in its own subprocess (``PYTHONPATH`` first); the script
prints one line per configuration and exits 1 if any hash differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = r"""
import hashlib, json, warnings
import numpy as np
from scipy import sparse
from sklearn.datasets import load_digits, make_regression
from sk_scratchnet import ScratchMLPClassifier as C, ScratchMLPRegressor as R

warnings.filterwarnings("ignore")
X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16, y[:600]
Xr, yr = make_regression(300, 10, random_state=0)
yr = yr / 100
configs = [
    ("C", dict(solver="adam", max_iter=15)),
    ("C", dict(solver="sgd", max_iter=15)),
    ("C", dict(solver="lbfgs", max_iter=30)),
    ("C", dict(activation="gelu", max_iter=10, dropout=0.2)),
    ("C", dict(activation="tanh", early_stopping=True, max_iter=20)),
    ("C", dict(activation="elu", hidden_layer_sizes=(20, 10), alpha=1e-2,
               max_iter=10, class_weight="balanced")),
    ("C", dict(activation="softplus", max_iter=10, learning_rate="invscaling",
               solver="sgd")),
    ("C", dict(activation="logistic", max_iter=10)),
    ("C", dict(activation="leaky_relu", max_iter=10)),
    ("R", dict(max_iter=20)),
    ("R", dict(solver="lbfgs", max_iter=30)),
    ("R", dict(loss="poisson", max_iter=10, learning_rate_init=0.01)),
    ("R", dict(early_stopping=True, max_iter=20, dropout=0.1)),
]


def digest(arrays):
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


out = {}
for i, (kind, kw) in enumerate(configs):
    for dt in (np.float64, np.float32):
        if kind == "C":
            w = np.linspace(0.5, 2, len(y)) if i % 2 else None
            est = C(random_state=0, **kw).fit(X.astype(dt), y, sample_weight=w)
            Xd = X.astype(dt)
            preds = [est.predict_proba(Xd), est.predict_log_proba(Xd)]
        else:
            target = np.abs(yr) if kw.get("loss") == "poisson" else yr
            est = R(random_state=0, **kw).fit(Xr.astype(dt), target)
            preds = [est.predict(Xr.astype(dt))]
        curve = getattr(est, "loss_curve_", None) or [est.loss_]
        key = f"{kind}{i} {kw} {np.dtype(dt).name}"
        out[key] = digest(est.coefs_ + est.intercepts_ + preds + [np.array(curve)])
est = C(random_state=0, max_iter=5).fit(sparse.csr_matrix(X), y)
out["C sparse"] = digest(est.coefs_ + est.intercepts_)
est = C(random_state=0)
for k in range(3):
    rows = slice(k * 200, (k + 1) * 200)
    est.partial_fit(X[rows], y[rows], classes=np.arange(10))
out["C partial_fit x3"] = digest(est.coefs_ + est.intercepts_)
print(json.dumps(out))
"""


def _hashes(tree):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        cwd=os.path.abspath(tree),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main(argv=None):
    """Compare the hashes of the two trees; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="checkout of the reference tree")
    parser.add_argument("new", help="checkout of the tree to check")
    args = parser.parse_args(argv)
    old, new = _hashes(args.old), _hashes(args.new)
    differ = [key for key in old if old[key] != new.get(key)]
    for key in old:
        print(("DIFFERS " if key in differ else "same    ") + key)
    print(f"{len(old) - len(differ)} of {len(old)} configurations bitwise equal")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
