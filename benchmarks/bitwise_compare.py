"""Check that two checkouts of sk_scratchnet train bitwise the same networks.

A refactoring that must not change results (e.g. the array API dispatch, which
routes NumPy through ``sk_scratchnet._namespace``) is checked by fitting the same
configurations with both trees and comparing hashes of the weights, the loss
curve and the predictions::

    python benchmarks/bitwise_compare.py /path/to/old/checkout /path/to/new/checkout

Each tree is imported in its own subprocess (``PYTHONPATH`` first); the script
prints one line per configuration and exits 1 if any hash differs.  Besides
the classifier's configurations it covers the regressor's paths (several outputs,
Poisson, ``partial_fit``, warm start, a user validation set) and, when
array-api-strict is installed, fits under ``array_api_dispatch=True``
(``SCIPY_ARRAY_API=1`` is set for the child processes).
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

# The regressor's other paths: several outputs, partial_fit, warm start, a
# user validation set, and early stopping on the validation loss.
Xm, Ym = make_regression(300, 10, n_targets=3, random_state=1)
Ym = Ym / 100
for solver in ("adam", "sgd", "lbfgs"):
    est = R(random_state=0, solver=solver, max_iter=15).fit(Xm, Ym)
    out[f"R 3 outputs {solver}"] = digest(
        est.coefs_ + est.intercepts_ + [est.predict(Xm), np.array([est.loss_])]
    )
est = R(random_state=0, loss="poisson", max_iter=10).fit(Xm, np.abs(Ym))
out["R 3 outputs poisson"] = digest(est.coefs_ + est.intercepts_)
est = R(random_state=0)
for k in range(3):
    rows = slice(k * 100, (k + 1) * 100)
    est.partial_fit(Xr[rows], yr[rows])
out["R partial_fit x3"] = digest(est.coefs_ + est.intercepts_ + est.loss_curve_)
for solver in ("adam", "lbfgs"):
    est = R(random_state=0, solver=solver, warm_start=True, max_iter=8)
    est.fit(Xr, yr).fit(Xr, yr)
    out[f"R warm_start {solver}"] = digest(est.coefs_ + est.intercepts_)
est = C(random_state=0, warm_start=True, max_iter=8)
est.fit(X, y).fit(X, y)
out["C warm_start adam"] = digest(est.coefs_ + est.intercepts_ + est.loss_curve_)
est = R(random_state=0, early_stopping=True, early_stopping_metric="loss",
        max_iter=30).fit(Xr[:200], yr[:200], X_val=Xr[200:], y_val=yr[200:])
out["R X_val loss stopping"] = digest(
    est.coefs_ + est.intercepts_ + est.validation_scores_
    + est.validation_loss_curve_ + [np.array([est.best_validation_loss_])]
)
est = C(random_state=0, early_stopping=True, early_stopping_metric="log_loss",
        max_iter=30).fit(X[:500], y[:500], X_val=X[500:], y_val=y[500:])
out["C X_val log_loss stopping"] = digest(
    est.coefs_ + est.intercepts_ + est.validation_scores_
    + est.validation_loss_curve_
)
est = C(random_state=0, class_weight="balanced")
for k in range(3):
    rows = slice(k * 200, (k + 1) * 200)
    est.partial_fit(X[rows], y[rows], classes=np.arange(10))
    if k == 1:  # a failed call leaves the model as it was
        try:
            est.partial_fit(X[rows] * np.nan, y[rows])
        except ValueError:
            pass
out["C partial_fit balanced, failed call"] = digest(est.coefs_ + est.intercepts_)
Yml = np.stack([y % 2, y > 4, y == 3], axis=1).astype(int)
est = C(random_state=0, max_iter=10).fit(X, Yml)
out["C multilabel"] = digest(est.coefs_ + est.intercepts_ + [est.predict_proba(X)])

# Array API dispatch (array-api-strict): the same fits in another namespace.
try:
    import array_api_strict as xps
    from sklearn import config_context
except ImportError:
    xps = None
if xps is not None:
    def host(a):
        return np.asarray(xps.asarray(a, device=xps.Device("CPU_DEVICE")))

    for dt in ("float64", "float32"):
        dev = xps.Device("CPU_DEVICE" if dt == "float64" else "device1")
        xd, xrd = (xps.asarray(a, dtype=getattr(xps, dt), device=dev)
                   for a in (X, Xr))
        cases = [
            ("C adam", C(random_state=0, max_iter=8), xd, y),
            ("C sgd es", C(random_state=0, solver="sgd", max_iter=8,
                           early_stopping=True), xd, y),
            ("C lbfgs", C(random_state=0, solver="lbfgs", max_iter=15), xd, y),
            ("R adam", R(random_state=0, max_iter=8), xrd,
             xps.asarray(yr, dtype=getattr(xps, dt), device=dev)),
            ("R lbfgs", R(random_state=0, solver="lbfgs", max_iter=15), xrd,
             xps.asarray(yr, dtype=getattr(xps, dt), device=dev)),
        ]
        with config_context(array_api_dispatch=True):
            for name, est, Xa, ya in cases:
                est.fit(Xa, ya)
                preds = (est.predict_proba(Xa) if name.startswith("C")
                         else est.predict(Xa))
                out[f"xp {name} {dt}"] = digest(
                    [host(a) for a in est.coefs_ + est.intercepts_]
                    + [host(preds)]
                )

# The ONNX export, byte for byte (when onnx is installed).
try:
    from sk_scratchnet import to_onnx
    import onnx  # noqa: F401
except ImportError:
    to_onnx = None
if to_onnx is not None:
    acts = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu",
            "softplus"]
    for dt in (np.float64, np.float32):
        for act in acts:
            est = C(random_state=0, activation=act, hidden_layer_sizes=(5,),
                    max_iter=2).fit(X[:100], y[:100])
            out[f"onnx C {act} {np.dtype(dt).name}"] = hashlib.sha1(
                to_onnx(est, X[:2].astype(dt)).SerializeToString()).hexdigest()
        for name, est, Xo, yo in [
            ("binary", C(max_iter=2), X[:100], y[:100] % 2),
            ("multilabel", C(max_iter=2), X[:100], Yml[:100]),
            ("strings", C(max_iter=2), X[:100], np.array(list("abc"))[y[:100] % 3]),
            ("R 3 outputs", R(max_iter=2), Xm, Ym),
            ("R poisson", R(max_iter=2, loss="poisson"), Xr, np.abs(yr)),
        ]:
            est.set_params(random_state=0, hidden_layer_sizes=(4,)).fit(Xo, yo)
            out[f"onnx {name} {np.dtype(dt).name}"] = hashlib.sha1(
                to_onnx(est, Xo[:2].astype(dt)).SerializeToString()).hexdigest()
print(json.dumps(out))
"""


def _hashes(tree):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree), SCIPY_ARRAY_API="1")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        cwd=os.path.abspath(tree),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"the fits of {tree} failed:\n{done.stderr}")
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
