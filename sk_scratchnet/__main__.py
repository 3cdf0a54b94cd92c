"""Demo: ``python -m sk_scratchnet`` trains ours beside scikit-learn's estimator.

It prints one table row per task (the test metric of both, their fit times and
the ratio of the two) and, when matplotlib is installed, writes one figure: the
seed's spiral with our decision boundary, beside the loss curves of both.
Fit times are CPU times (``time.process_time``) with one BLAS thread, the median
of a few short fits, so that a busy machine changes them less than it changes
wall times (an idle BLAS thread waiting for work would count as CPU time).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._datasets import make_spiral

DEFAULT_OUT = "sk_scratchnet_demo.png"
COMMON_PARAMS = {"hidden_layer_sizes": (100,), "random_state": 0}
SPIRAL_PARAMS = {
    "solver": "sgd",
    "learning_rate_init": 0.5,
    "max_iter": 300,
    "n_iter_no_change": 50,
}


@functools.cache
def _digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _scaled_regression(X, y):
    """Split, then standardise features and target with the training part's stats."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    mean, std = y_train.mean(), y_train.std()
    return (
        scaler.transform(X_train),
        scaler.transform(X_test),
        (y_train - mean) / std,
        (y_test - mean) / std,
    )


@functools.cache
def _diabetes():
    return _scaled_regression(*load_diabetes(return_X_y=True))


@functools.cache
def _friedman():
    return _scaled_regression(*make_friedman1(n_samples=1000, random_state=0))


@functools.cache
def _spiral():
    X, y = make_spiral()
    return X, X, y, y  # the seed reports training accuracy


@dataclass(frozen=True)
class Task:
    """One row of the table: a data set, both estimators and their parameters.

    Parameters
    ----------
    name : str
        The row's label.
    data : callable
        Returns ``(X_train, X_test, y_train, y_test)``.
    ours : type
        Our estimator class.
    theirs : type
        scikit-learn's estimator class with the same parameters.
    params : dict
        Parameters of both estimators (on top of ``COMMON_PARAMS``).
    metric : str, default="accuracy"
        What the estimators' ``score`` returns (``"R²"`` for regressors).
    """

    name: str
    data: object
    ours: type
    theirs: type
    params: dict = field(default_factory=dict)
    metric: str = "accuracy"


TASKS = [
    Task(
        "digits, adam (100,)",
        _digits,
        ScratchMLPClassifier,
        MLPClassifier,
        {"solver": "adam", "max_iter": 60},
    ),
    Task(
        "digits, sgd (100,)",
        _digits,
        ScratchMLPClassifier,
        MLPClassifier,
        {"solver": "sgd", "learning_rate_init": 0.1, "max_iter": 60},
    ),
    Task(
        "digits, lbfgs (100,)",
        _digits,
        ScratchMLPClassifier,
        MLPClassifier,
        {"solver": "lbfgs", "max_iter": 60},
    ),
    Task(
        "spiral (train), sgd (100,)",
        _spiral,
        ScratchMLPClassifier,
        MLPClassifier,
        SPIRAL_PARAMS,
    ),
    Task(
        "diabetes, lbfgs (100,)",
        _diabetes,
        ScratchMLPRegressor,
        MLPRegressor,
        {"solver": "lbfgs", "alpha": 30.0, "max_iter": 60},
        "R²",
    ),
    Task(
        "friedman1, adam (100,)",
        _friedman,
        ScratchMLPRegressor,
        MLPRegressor,
        {"solver": "adam", "learning_rate_init": 0.01, "max_iter": 60},
        "R²",
    ),
]


def _fit_cpu_time(cls, params, X, y, repeats):
    """Fit ``repeats`` times; return the median CPU time and the last model."""
    times, model = [], None
    for _ in range(repeats):
        start = time.process_time()
        model = cls(**params).fit(X, y)
        times.append(time.process_time() - start)
    return float(np.median(times)), model


def run_table(tasks, repeats, write=print):
    """Fit both estimators of every task and write one table row per task.

    Parameters
    ----------
    tasks : list of Task
        The rows.
    repeats : int
        Fits per estimator and task; the median CPU time is reported.
    write : callable, default=print
        Called with each line of output.

    Returns
    -------
    rows : list of dict
        Per task: name, metric, both scores, both CPU times and the ratio.
    """
    header = (
        f"{'task':27s} {'metric':8s} {'ours':>7s} {'sklearn':>7s} "
        f"{'fit ours':>9s} {'fit sklearn':>11s} {'ratio':>6s}  trained"
    )
    write(f"{'':27s} {'':8s} {'':>7s} {'':>7s} {'CPU s':>9s} {'CPU s':>11s}")
    write(header)
    write("-" * len(header))
    rows = []
    for task in tasks:
        X_train, X_test, y_train, y_test = task.data()
        params = {**COMMON_PARAMS, **task.params}
        t_ours, ours = _fit_cpu_time(task.ours, params, X_train, y_train, repeats)
        t_ref, ref = _fit_cpu_time(task.theirs, params, X_train, y_train, repeats)
        row = {
            "task": task.name,
            "metric": task.metric,
            "ours": ours.score(X_test, y_test),
            "sklearn": ref.score(X_test, y_test),
            "fit ours": t_ours,
            "fit sklearn": t_ref,
            "ratio": t_ours / max(t_ref, 1e-9),
            "n_iter": ours.n_iter_,
            # L-BFGS counts iterations of the optimizer, the others epochs.
            "unit": "L-BFGS iter." if params.get("solver") == "lbfgs" else "epochs",
            "capped": ours.n_iter_ >= params.get("max_iter", 200),
        }
        rows.append(row)
        trained = f"{row['n_iter']} {row['unit']}" + (" (cap)" if row["capped"] else "")
        write(
            f"{task.name:27s} {task.metric:8s} {row['ours']:7.4f} "
            f"{row['sklearn']:7.4f} {t_ours:9.3f} {t_ref:11.3f} "
            f"{row['ratio']:6.2f}  {trained}"
        )
    write(
        "ratio = our fit time / scikit-learn's (lower is better); fit times are "
        f"the median CPU time (time.process_time) of {repeats} fit(s), one BLAS "
        "thread."
    )
    if any(row["capped"] for row in rows):
        write(
            "(cap) = stopped at max_iter before converging: short fits on purpose, "
            "the ConvergenceWarning is silenced."
        )
    return rows


def _curves():
    """Fit both on the spiral with a validation set, for the figure."""
    X, y = make_spiral()
    X_val, y_val = make_spiral(random_state=1)  # a second draw of the spiral
    params = {**COMMON_PARAMS, **SPIRAL_PARAMS, "tol": 0.0}
    ours = ScratchMLPClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    # MLPClassifier monitors a validation set only through early stopping (on
    # validation accuracy, over its own 10% split); patience = every epoch.
    theirs = MLPClassifier(
        **{**params, "early_stopping": True, "n_iter_no_change": params["max_iter"]}
    ).fit(X, y)
    return X, y, ours, theirs


def plot_demo(path):
    """Write the demo figure to ``path`` (needs matplotlib).

    Parameters
    ----------
    path : str or pathlib.Path
        The PNG file to write.

    Returns
    -------
    path : pathlib.Path
        The absolute path of the file written.
    """
    from matplotlib.figure import Figure  # optional: the 'plot' extra

    X, y, ours, theirs = _curves()
    fig = Figure(figsize=(15, 4.6), layout="constrained")
    ax_data, ax_loss, ax_val = fig.subplots(1, 3)

    step = 0.01
    x0, x1 = X[:, 0].min() - 0.1, X[:, 0].max() + 0.1
    y0, y1 = X[:, 1].min() - 0.1, X[:, 1].max() + 0.1
    grid_x, grid_y = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    regions = ours.predict(np.c_[grid_x.ravel(), grid_y.ravel()])
    ax_data.contourf(
        grid_x, grid_y, regions.reshape(grid_x.shape), alpha=0.3, cmap="brg"
    )
    ax_data.scatter(X[:, 0], X[:, 1], c=y, s=14, cmap="brg", edgecolors="k")
    ax_data.set(
        title=f"Spiral: our decision boundary (train acc. {ours.score(X, y):.3f})",
        xlabel="$x_1$",
        ylabel="$x_2$",
        aspect="equal",
    )

    ax_loss.plot(ours.loss_curve_, "C0-", label="ours: training loss")
    ax_loss.plot(
        ours.validation_loss_curve_, "C0:", label="ours: validation loss (2nd draw)"
    )
    ax_loss.plot(
        theirs.loss_curve_, "C1--", label="MLPClassifier: training loss (90% split)"
    )
    ax_loss.set(
        title="Loss per epoch, (100,) ReLU, sgd, lr 0.5",
        xlabel="epoch",
        ylabel="log-loss",
        yscale="log",
    )
    ax_loss.legend()

    ax_val.plot(ours.validation_scores_, "C0-", label="ours: second spiral draw")
    ax_val.plot(theirs.validation_scores_, "C1--", label="MLPClassifier: its 10% split")
    ax_val.set(
        title="Validation accuracy per epoch",
        xlabel="epoch",
        ylabel="accuracy",
        ylim=(0.4, 1.02),
    )
    ax_val.legend(loc="lower right")

    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    return path


def _positive_int(text):
    """Parse ``--repeats``: an integer of at least 1 (argparse reports the rest)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _unsupported_format(path):
    """Return why matplotlib cannot write ``path``, or None if it can."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in formats:
        return None
    known = ", ".join(f".{name}" for name in sorted(formats))
    given = f"extension '.{suffix}'" if suffix else "no extension"
    return f"argument --out: {path!r} has {given}; use one of {known}"


def main(argv=None):
    """Run the demo: print the comparison table and write the figure.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    rows : list of dict
        The table's rows, as returned by ``run_table``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sk_scratchnet",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"figure file, its extension gives the format (default: {DEFAULT_OUT})",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    parser.add_argument(
        "--repeats",
        type=_positive_int,
        default=3,
        help="fits per estimator, at least 1 (default: 3)",
    )
    args = parser.parse_args(argv)
    plot = not args.no_plot and importlib.util.find_spec("matplotlib") is not None
    if plot and (problem := _unsupported_format(args.out)):
        parser.error(problem)  # before the table, not after it
    print(
        "ScratchMLPClassifier / ScratchMLPRegressor vs scikit-learn's MLPClassifier "
        "/ MLPRegressor"
    )
    print(
        "(same parameters, random_state=0; test-set score, spiral: training set; "
        "regression targets standardised)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short fits on purpose
        with threadpool_limits(limits=1, user_api="blas"):
            rows = run_table(TASKS, args.repeats)
        if args.no_plot:
            return rows
        if importlib.util.find_spec("matplotlib") is None:
            print(
                'For the figure, install matplotlib: pip install -e ".[plot]" '
                "in the clone."
            )
            return rows
        print(f"Figure written to {plot_demo(args.out)}")
    return rows


if __name__ == "__main__":
    main()
