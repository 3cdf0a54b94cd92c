"""Write the pickles of ``test_saved_models.py`` with a given checkout.

Run with the checkout to save from first on the path, from this directory's
repository root::

    PYTHONPATH=/path/to/checkout python tests/data/make_pickles.py

Each model is fitted on data that ``tests._helpers`` regenerates, pickled to
``saved_models.pkl`` together with its predictions and the predictions after one
more ``partial_fit`` or warm-start ``fit`` (so that the test also checks that a
loaded model trains on as the saving tree's did).  The committed file was saved
before the fitted state moved into one object, to check that models pickled by
earlier releases still load.
"""

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[2]))

from tests._helpers import make_data, make_regression_data


def _configs():
    from sk_scratchnet import ScratchMLPClassifier as C
    from sk_scratchnet import ScratchMLPRegressor as R

    small = {"hidden_layer_sizes": (6,), "random_state": 0, "max_iter": 15}
    return {
        "binary_adam": (C(**small), "binary", np.float64),
        "multiclass_sgd": (C(solver="sgd", **small), "multiclass", np.float64),
        "multilabel_lbfgs": (C(solver="lbfgs", **small), "multilabel", np.float64),
        "multiclass_early_stopping": (
            C(early_stopping=True, class_weight="balanced", **small),
            "multiclass",
            np.float64,
        ),
        "multiclass_float32": (C(**small), "multiclass", np.float32),
        "regressor_adam": (R(**small), "one", np.float64),
        "regressor_3_outputs_lbfgs": (R(solver="lbfgs", **small), "three", np.float64),
        "regressor_early_stopping_float32": (
            R(early_stopping=True, **small),
            "one",
            np.float32,
        ),
    }


def fixture_data(kind, dtype):
    """``(X, y)`` of one kind of target, as the saved models were fitted on."""
    if kind in ("binary", "multiclass"):
        X, y = make_data(n_classes=2 if kind == "binary" else 3)
    elif kind == "multilabel":
        X, y = make_data()
        y = np.stack([y == 0, y != 1, y == 2], axis=1).astype(int)
    else:
        X, y = make_regression_data(n_outputs=1 if kind == "one" else 3)
    return X.astype(dtype), y


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return [est.predict(X), est.predict_proba(X)]
    return [est.predict(X)]


def main():
    """Fit, predict, pickle; then continue training and predict again."""
    import sk_scratchnet

    print("saving with", sk_scratchnet.__file__)
    warnings.simplefilter("ignore")
    saved = {}
    for name, (est, kind, dtype) in _configs().items():
        X, y = fixture_data(kind, dtype)
        est.fit(X, y)
        blob = pickle.dumps(est)
        before = _outputs(est, X)
        if est.solver == "lbfgs":
            est.set_params(warm_start=True, max_iter=3).fit(X, y)
        else:
            est.partial_fit(X, y)
        saved[name] = {
            "kind": kind,
            "dtype": np.dtype(dtype).name,
            "pickle": blob,
            "predictions": before,
            "after_more_training": _outputs(est, X),
        }
    out = Path(__file__).with_name("saved_models.pkl")
    out.write_bytes(pickle.dumps(saved))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
