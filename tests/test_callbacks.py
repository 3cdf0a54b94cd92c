"""Callbacks: scikit-learn's sklearn.callback protocol over epochs (issue 5)."""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone

pytest.importorskip("sklearn.callback", reason="scikit-learn >= 1.9 has callbacks")
from sklearn.callback import ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPClassifier

EPOCH = "epoch"


def make_est(**kw):
    # tol=0 and a huge n_iter_no_change: only max_iter or a callback ends training.
    return ScratchMLPClassifier(
        hidden_layer_sizes=(8,), random_state=0, tol=0.0, n_iter_no_change=10**6, **kw
    )


@pytest.fixture
def data():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


class Recorder:
    """Non-propagated FitCallback that records what each hook receives."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", None, None))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name, None))

    def on_fit_task_end(
        self,
        estimator,
        context,
        *,
        X=None,
        y=None,
        metadata=None,
        fitted_estimator=None,
    ):
        self.calls.append(
            ("end", context.task_name, (X, y, metadata, fitted_estimator))
        )
        return (
            self.stop_after is not None
            and context.task_name == EPOCH
            and context.task_id + 1 >= self.stop_after
        )

    def teardown(self, estimator, context):
        self.calls.append(("teardown", None, None))

    def ends(self, task_name=EPOCH):
        return [c[2] for c in self.calls if c[0] == "end" and c[1] == task_name]


def test_set_callbacks_clone_and_no_leftovers(data):
    X, y = data
    cb = Recorder()
    est = make_est(max_iter=3).set_callbacks(cb)
    assert clone(est)._skl_callbacks[0] is cb
    assert "callbacks" not in est.get_params()
    est.fit(X, y)
    assert not hasattr(est, "_callback_fit_ctx")
    assert not hasattr(est, "_skl_callbacks_to_teardown")
    assert [c[0] for c in cb.calls].count("setup") == 1
    assert [c[0] for c in cb.calls].count("teardown") == 1
    pickle.loads(pickle.dumps(est)).predict(X)


def test_one_task_per_epoch(data):
    X, y = data
    cb = Recorder()
    est = make_est(max_iter=5).set_callbacks(cb).fit(X, y)
    assert len(cb.ends()) == est.n_iter_ == 5
    begins = [c for c in cb.calls if c[0] == "begin" and c[1] == EPOCH]
    assert len(begins) == 5


def test_callback_stops_training(data):
    X, y = data
    est = make_est(max_iter=50).set_callbacks(Recorder(stop_after=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert est.predict(X).shape == y.shape


def test_stop_matches_shorter_training(data):
    X, y = data
    stopped = make_est(max_iter=50).set_callbacks(Recorder(stop_after=4)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = make_est(max_iter=4).fit(X, y)
    np.testing.assert_allclose(stopped.predict_proba(X), short.predict_proba(X))


def test_hook_arguments(data):
    X, y = data
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=y.shape[0])
    cb = Recorder()
    make_est(max_iter=2).set_callbacks(cb).fit(X, y, sample_weight=sw)
    for X_seen, y_seen, metadata, fitted in cb.ends():
        assert X_seen.shape == X.shape
        np.testing.assert_array_equal(y_seen, y)  # original labels, not one-hot
        assert set(metadata) == {"sample_weight"}
        assert fitted is not None


def test_fitted_estimator_is_a_frozen_snapshot(data):
    X, y = data
    cb = Recorder()
    est = make_est(max_iter=4).set_callbacks(cb).fit(X, y)
    snaps = [end[3] for end in cb.ends()]
    probas = [s.predict_proba(X) for s in snaps]
    # each snapshot kept its own weights (copied, not aliased to the live ones)
    assert not np.allclose(probas[0], probas[-1])
    np.testing.assert_allclose(probas[-1], est.predict_proba(X))
    assert [s.n_iter_ for s in snaps] == [1, 2, 3, 4]


def test_scoring_monitor_per_epoch(data):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    est = make_est(max_iter=4).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [r for r in rows if r["task_name"] == EPOCH]
    assert [r["task_id"] for r in epochs] == [0, 1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for r in epochs:
            ref = make_est(max_iter=r["task_id"] + 1).fit(X, y)
            assert r["accuracy"] == pytest.approx(ref.score(X, y))
    root = [r for r in rows if r["task_id_path"] == (0,)]
    assert root[0]["accuracy"] == pytest.approx(est.score(X, y))


def test_progressbar_over_epochs(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    make_est(max_iter=5).set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"ScratchMLPClassifier - fit", out)
    assert re.search(r"100%", out)


def test_progressbar_in_pipeline(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    pipe = make_pipeline(StandardScaler(), make_est(max_iter=5))
    pipe.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"Pipeline - fit-final-estimator \| ScratchMLPClassifier", out)
    assert not re.search(r"\b[0-9]{1,2}%", out)


def test_scoring_monitor_and_stop_in_pipeline(data):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    step = make_est(max_iter=50).set_callbacks(monitor, Recorder(stop_after=3))
    pipe = make_pipeline(StandardScaler(), step).fit(X, y)
    assert pipe[-1].n_iter_ == 3
    epochs = [r for r in monitor.get_logs().data if r["task_name"] == EPOCH]
    assert [r["task_id_path"] for r in epochs] == [(0, 1, 0), (0, 1, 1), (0, 1, 2)]
    # scored on the transformed X the step receives
    assert epochs[-1]["accuracy"] == pytest.approx(pipe.score(X, y))


def test_callback_error_is_raised_and_teardown_runs(data):
    X, y = data

    class Failing(Recorder):
        def on_fit_task_end(self, estimator, context):
            raise RuntimeError("boom")

    cb = Failing()
    est = make_est(max_iter=3).set_callbacks(cb)
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X, y)
    assert cb.calls[-1][0] == "teardown"
    assert not hasattr(est, "_callback_fit_ctx")


def test_callback_stops_lbfgs_without_convergence_warning(data):
    X, y = data
    est = make_est(solver="lbfgs", max_iter=200).set_callbacks(Recorder(stop_after=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert est.predict(X).shape == y.shape


def test_early_stopping_reports_the_training_part(data):
    X, y = data
    cb = Recorder()
    make_est(max_iter=3, early_stopping=True, validation_fraction=0.25).set_callbacks(
        cb
    ).fit(X, y)
    X_seen = [args[0] for kind, name, args in cb.calls if kind == "end"]
    assert all(x.shape[0] < X.shape[0] for x in X_seen)


def test_partial_fit_reports_one_epoch_per_call(data):
    X, y = data
    cb = Recorder()
    est = make_est().set_callbacks(cb)
    for _ in range(3):
        est.partial_fit(X, y, classes=np.unique(y))
    epochs = [c for c in cb.calls if c[0] == "end" and c[1] == EPOCH]
    assert len(epochs) == 3
    assert est.t_ == 3 * X.shape[0]
