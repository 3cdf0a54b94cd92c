"""Parity with sklearn.neural_network.MLPClassifier (issue 4).

Step-for-step equivalence of the solvers, the constructor signature,
partial_fit, multilabel targets, warm start, early stopping, interruption and
divergence, and the sample_weight / class_weight contract.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, balanced_accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import sk_scratchnet._training as training_module
from sk_scratchnet import ScratchMLPClassifier
from tests import _helpers

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Equivalence tolerances (float64): ours and MLPClassifier do the same arithmetic
# up to summation order, so they agree to a few ulps.
STEP_RTOL, STEP_ATOL = 1e-10, 1e-12
LBFGS_RTOL, LBFGS_ATOL = 1e-6, 1e-8


def make_data(n_samples=60, n_features=4, n_classes=3, seed=0):
    return _helpers.make_data(n_samples, n_features, n_classes, seed, scale=2.0)


def make_target(kind, n_samples=60, seed=1):
    rng = np.random.default_rng(seed)
    if kind == "binary":
        return rng.integers(0, 2, n_samples)
    if kind == "multiclass":
        return rng.integers(0, 3, n_samples)
    return (rng.random((n_samples, 3)) > 0.5).astype(int)  # multilabel


def weights_of(est):
    return [*est.coefs_, *est.intercepts_]


def max_abs_diff(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(weights_of(a), weights_of(b)))


def assert_same_weights(a, b, rtol, atol):
    assert [w.shape for w in weights_of(a)] == [w.shape for w in weights_of(b)]
    for u, v in zip(weights_of(a), weights_of(b)):
        assert_allclose(u, v, rtol=rtol, atol=atol)


def both(**params):
    return MLPClassifier(**params), ScratchMLPClassifier(**params)


# ------------------------------------------------------------------ signature
def test_constructor_signature_matches_mlpclassifier():
    theirs = inspect.signature(MLPClassifier.__init__).parameters
    ours = inspect.signature(ScratchMLPClassifier.__init__).parameters
    for name, param in theirs.items():
        assert name in ours, name
        assert ours[name].default == param.default, name
        assert ours[name].kind == param.kind, name
    # Our extras come after MLPClassifier's parameters, keyword-only.
    extras = [name for name in ours if name not in theirs]
    assert extras == list(ours)[len(theirs) :]
    assert all(ours[name].kind == inspect.Parameter.KEYWORD_ONLY for name in extras)
    assert (
        ScratchMLPClassifier().get_params().keys()
        >= MLPClassifier().get_params().keys()
    )


def test_fit_and_partial_fit_accept_mlpclassifier_keywords():
    X, y = make_data()
    for method, theirs in [
        ("fit", MLPClassifier.fit),
        ("partial_fit", MLPClassifier.partial_fit),
    ]:
        names = set(inspect.signature(theirs).parameters)
        assert names <= set(
            inspect.signature(getattr(ScratchMLPClassifier, method)).parameters
        )
    # the keywords bind to the same arguments as the positional call (fit) or
    # as our own keywords (partial_fit), and the (non-uniform) weights are used
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    params = {"hidden_layer_sizes": (4,), "max_iter": 2, "random_state": 0}
    by_keyword = ScratchMLPClassifier(**params).fit(X=X, y=y, sample_weight=w)
    by_position = ScratchMLPClassifier(**params).fit(X, y, w)
    unweighted = ScratchMLPClassifier(**params).fit(X, y)
    assert_array_equal(by_keyword.coefs_[0], by_position.coefs_[0])
    assert not np.array_equal(by_keyword.coefs_[0], unweighted.coefs_[0])
    classes = np.unique(y)
    by_keyword = ScratchMLPClassifier(**params).partial_fit(
        X=X, y=y, sample_weight=w, classes=classes
    )
    by_position = ScratchMLPClassifier(**params).partial_fit(
        X, y, classes=classes, sample_weight=w
    )
    unweighted = ScratchMLPClassifier(**params).partial_fit(X, y, classes=classes)
    assert_array_equal(by_keyword.classes_, classes)
    assert_array_equal(by_keyword.coefs_[0], by_position.coefs_[0])
    assert not np.array_equal(by_keyword.coefs_[0], unweighted.coefs_[0])


def test_partial_fit_signature_is_mlpclassifiers():
    ours = inspect.signature(ScratchMLPClassifier.partial_fit)
    theirs = inspect.signature(MLPClassifier.partial_fit)
    assert list(ours.parameters) == list(theirs.parameters)
    for name, param in theirs.parameters.items():
        assert ours.parameters[name].default == param.default
        assert ours.parameters[name].kind == param.kind


def test_positional_partial_fit_means_what_it_means_for_mlpclassifier():
    # (X, y, sample_weight, classes): weights by position are weights, never
    # classes, on the first call and after it.
    X, y = make_data()
    classes = np.unique(y)
    w = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    w[:2] = 1.0
    params = {
        "hidden_layer_sizes": (4,),
        "solver": "sgd",
        "random_state": 0,
        "shuffle": False,
    }
    ours = ScratchMLPClassifier(**params)
    theirs = MLPClassifier(**params)
    by_keyword = ScratchMLPClassifier(**params)
    for _ in range(2):
        ours.partial_fit(X, y, w, classes)
        theirs.partial_fit(X, y, w, classes)
        by_keyword.partial_fit(X, y, sample_weight=w, classes=classes)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_same_weights(ours, by_keyword, rtol=0, atol=0)
    assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12)
    unweighted = ScratchMLPClassifier(**params).partial_fit(X, y, classes=classes)
    assert not np.allclose(unweighted.coefs_[0], ours.coefs_[0])
    # Weights alone on the first call: classes are missing, as for MLPClassifier.
    for est in (ScratchMLPClassifier(**params), MLPClassifier(**params)):
        with pytest.raises(ValueError, match="classes must be passed"):
            est.partial_fit(X, y, w)


# ------------------------------------------------- step-for-step equivalence
STOCHASTIC_CONFIGS = {
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False},
    "sgd-nesterov": {"solver": "sgd", "nesterovs_momentum": True},
    "sgd-invscaling": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "learning_rate_init": 0.2,
    },
    # tol=10 makes every epoch count as "no improvement", so the adaptive rule
    # divides the learning rate within the 5 epochs.
    "sgd-adaptive": {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "tol": 10.0,
        "n_iter_no_change": 1,
    },
    "adam": {"solver": "adam"},
}


def stochastic_params(config, activation, shuffle, **extra):
    params = {
        "hidden_layer_sizes": (7, 5),
        "activation": activation,
        "random_state": 0,
        "max_iter": 5,
        "shuffle": shuffle,
        "batch_size": 16,  # 4 mini-batches per epoch, the last one short
        "learning_rate_init": 0.05,
        "alpha": 1e-2,
        "tol": 0.0,
        "n_iter_no_change": 100,
    }
    params.update(STOCHASTIC_CONFIGS[config])
    params.update(extra)
    return params


@pytest.mark.parametrize("shuffle", [False, True], ids=["noshuffle", "shuffle"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
@pytest.mark.parametrize("config", list(STOCHASTIC_CONFIGS))
def test_stochastic_solvers_equal_mlpclassifier_step_for_step(
    config, activation, target, shuffle
):
    X, _ = make_data()
    y = make_target(target)
    ref, ours = both(**stochastic_params(config, activation, shuffle))
    ref.fit(X, y)
    ours.fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 5
    assert ours.t_ == ref.t_
    assert_same_weights(ours, ref, STEP_RTOL, STEP_ATOL)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=STEP_RTOL)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=STEP_RTOL)
    assert ours.best_loss_ == pytest.approx(ref.best_loss_, rel=STEP_RTOL)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert_array_equal(ours.predict(X), ref.predict(X))
    if config == "sgd-adaptive":  # the schedule really fired
        assert ref._optimizer.learning_rate < ref.learning_rate_init


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("hidden", [(5,), (6, 4, 3)])
def test_initial_weights_equal_mlpclassifier(hidden, activation):
    # A step of 1e-300 * gradient is far below half an ulp of any weight, so after
    # one epoch both networks still hold their initial weights, bit for bit.
    X, y = make_data()
    params = {
        "hidden_layer_sizes": hidden,
        "activation": activation,
        "solver": "sgd",
        "learning_rate_init": 1e-300,
        "max_iter": 1,
        "random_state": 42,
    }
    ref, ours = both(**params)
    ref.fit(X, y)
    ours.fit(X, y)
    for u, v in zip(weights_of(ours), weights_of(ref)):
        assert_array_equal(u, v)
    he = ScratchMLPClassifier(**params, init="he").fit(X, y)
    assert not np.array_equal(he.coefs_[0], ours.coefs_[0])


@pytest.mark.parametrize("config", list(STOCHASTIC_CONFIGS))
def test_equivalence_from_copied_mlpclassifier_weights(config):
    # Copy MLPClassifier's weights into a model initialised from another seed and
    # continue both with warm_start: the trajectories coincide.
    X, _ = make_data()
    y = make_target("multiclass")
    params = stochastic_params(config, "relu", False, warm_start=True, max_iter=1)
    ref = MLPClassifier(**params).fit(X, y)
    ours = ScratchMLPClassifier(**{**params, "random_state": 7}).fit(X, y)
    assert max_abs_diff(ours, ref) > 1e-3  # really different before the copy
    ours.coefs_ = [c.copy() for c in ref.coefs_]
    ours.intercepts_ = [b.copy() for b in ref.intercepts_]
    ref.set_params(max_iter=5)
    ours.set_params(max_iter=5)
    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_weights(ours, ref, STEP_RTOL, STEP_ATOL)
    assert_allclose(ours.loss_curve_[1:], ref.loss_curve_[1:], rtol=STEP_RTOL)
    assert len(ours.loss_curve_) == len(ref.loss_curve_) == 6


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_lbfgs_equals_mlpclassifier(target, activation):
    X, _ = make_data()
    y = make_target(target)
    params = {
        "hidden_layer_sizes": (7,),
        "activation": activation,
        "solver": "lbfgs",
        "max_iter": 40,
        "alpha": 1e-3,
        "random_state": 0,
    }
    ref, ours = both(**params)
    ref.fit(X, y)
    ours.fit(X, y)
    assert ours.n_iter_ == ref.n_iter_
    assert_same_weights(ours, ref, LBFGS_RTOL, LBFGS_ATOL)
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-9)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_float32_close_to_mlpclassifier(solver):
    # float32 end to end; MLPClassifier's lbfgs returns float64 weights.
    X, _ = make_data()
    y = make_target("multiclass")
    params = stochastic_params("adam", "relu", True, solver=solver)
    ref, ours = both(**params)
    ref.fit(X.astype(np.float32), y)
    ours.fit(X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in weights_of(ours))
    assert_same_weights(ours, ref, rtol=1e-4, atol=1e-5)


def test_learning_rate_schedules_also_apply_to_adam():
    # A deliberate difference: MLPClassifier ignores learning_rate for adam.
    X, _ = make_data()
    y = make_target("multiclass")
    models = {}
    for schedule in ("constant", "invscaling", "cosine"):
        params = stochastic_params("adam", "relu", True, learning_rate=schedule)
        models[schedule] = ScratchMLPClassifier(**params).fit(X, y)
    assert max_abs_diff(models["invscaling"], models["constant"]) > 1e-3
    assert max_abs_diff(models["cosine"], models["constant"]) > 1e-4
    ref_constant, ref_invscaling = (
        MLPClassifier(**stochastic_params("adam", "relu", True, learning_rate=lr))
        for lr in ("constant", "invscaling")
    )
    ref_constant.fit(X, y)
    ref_invscaling.fit(X, y)
    assert max_abs_diff(ref_constant, ref_invscaling) == 0.0
    assert_same_weights(models["constant"], ref_constant, STEP_RTOL, STEP_ATOL)


# ------------------------------------------------------------------ partial_fit
@pytest.mark.parametrize("shuffle", [False, True], ids=["noshuffle", "shuffle"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_equals_mlpclassifier(solver, shuffle):
    X, y = make_data(n_samples=80)
    params = stochastic_params(
        "adam" if solver == "adam" else "sgd-nesterov", "tanh", shuffle
    )
    ref, ours = both(**params)
    classes = np.unique(y)
    for call, rows in enumerate(np.array_split(np.arange(len(y)), 4), start=1):
        ref.partial_fit(X[rows], y[rows], classes=classes)
        ours.partial_fit(X[rows], y[rows], classes=classes)
        assert ours.n_iter_ == ref.n_iter_ == 1
        assert ours.t_ == ref.t_ == rows[-1] + 1
        assert len(ours.loss_curve_) == call
        assert_same_weights(ours, ref, STEP_RTOL, STEP_ATOL)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=STEP_RTOL)


def test_partial_fit_needs_classes_on_the_first_call():
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "coefs_")
    clf.partial_fit(X[:10], y[:10], classes=[0, 1, 2, 3])
    assert_array_equal(clf.classes_, [0, 1, 2, 3])
    clf.partial_fit(X, y)  # classes not needed afterwards
    assert clf.t_ == 10 + len(y)


def test_partial_fit_rejects_an_unseen_class():
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    coefs = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match=r"classes not in `self\.classes_`"):
        clf.partial_fit(X, np.where(y == 2, 5, y))
    for before, after in zip(coefs, clf.coefs_):
        assert_array_equal(before, after)


def test_lbfgs_has_no_partial_fit():
    clf = ScratchMLPClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        clf.partial_fit(np.zeros((2, 2)), [0, 1], classes=[0, 1])
    assert hasattr(ScratchMLPClassifier(solver="sgd"), "partial_fit")
    assert hasattr(ScratchMLPClassifier(solver="adam"), "partial_fit")


def test_multilabel_partial_fit_works_without_classes():
    X, _ = make_data()
    Y = make_target("multilabel")
    clf = ScratchMLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    for rows in np.array_split(np.arange(len(X)), 3):
        clf.partial_fit(X[rows], Y[rows])
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 3
    assert clf.predict(X).shape == Y.shape
    assert clf.t_ == len(X)


def test_partial_fit_with_early_stopping_trains_on_everything():
    X, y = make_data()
    plain = ScratchMLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    early = ScratchMLPClassifier(
        hidden_layer_sizes=(5,), random_state=0, early_stopping=True
    )
    plain.partial_fit(X, y, classes=[0, 1, 2])
    early.partial_fit(X, y, classes=[0, 1, 2])
    assert early.t_ == len(X)
    assert early.n_iter_ == 1
    assert_same_weights(early, plain, rtol=0, atol=0)


def test_partial_fit_sample_weight_equals_repeated_rows():
    X, y = make_data(n_samples=30)
    counts = np.arange(30) % 3  # 0, 1 or 2 copies
    params = {
        "hidden_layer_sizes": (5,),
        "solver": "sgd",
        "shuffle": False,
        "random_state": 0,
        "learning_rate_init": 0.1,
    }
    weighted = ScratchMLPClassifier(**params)
    repeated = ScratchMLPClassifier(**params)
    for _ in range(3):
        weighted.partial_fit(X, y, classes=[0, 1, 2], sample_weight=counts)
        repeated.partial_fit(
            np.repeat(X, counts, axis=0), np.repeat(y, counts), classes=[0, 1, 2]
        )
    assert_same_weights(weighted, repeated, rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="Negative values"):
        weighted.partial_fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="at least one non-zero"):
        weighted.partial_fit(X, y, sample_weight=np.zeros(30))


# ------------------------------------------------------------------ targets
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_multilabel_indicator_targets(solver):
    X, _ = make_data()
    Y = make_target("multilabel")
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), solver=solver, random_state=0, max_iter=50
    ).fit(X, Y)
    pred = clf.predict(X)
    proba = clf.predict_proba(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    assert proba.shape == Y.shape
    assert ((proba > 0) & (proba < 1)).all()
    assert_array_equal(pred, (proba > 0.5).astype(int))
    subset_accuracy = np.mean(np.all(pred == Y, axis=1))
    assert clf.score(X, Y) == pytest.approx(subset_accuracy)
    assert clf.score(X, Y) == pytest.approx(accuracy_score(Y, pred))


@pytest.mark.parametrize(
    "labels",
    [np.array(["b", "a", "c"]), np.array([7, -1, 3]), np.array([True, False])],
    ids=["str", "int", "bool"],
)
def test_label_types_equal_mlpclassifier(labels):
    X, codes = make_data(n_classes=len(labels))
    y = labels[codes]
    ref, ours = both(**stochastic_params("adam", "relu", True))
    ref.fit(X, y)
    ours.fit(X, y)
    assert_array_equal(ours.classes_, ref.classes_)
    assert ours.classes_.dtype == ref.classes_.dtype
    assert_array_equal(ours.predict(X), ref.predict(X))
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9)


# ------------------------------------------------------- convergence, warm start
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_convergence_warning_when_max_iter_stops_training(solver):
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=2)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 2


def test_no_convergence_warning_when_training_converges():
    # tol=1e3: no epoch improves enough, so training stops once the no-improvement
    # count exceeds n_iter_no_change, after 4 epochs as in MLPClassifier.
    X, y = make_data()
    ref, ours = both(hidden_layer_sizes=(8,), tol=1e3, n_iter_no_change=2, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ref.fit(X, y)
        ours.fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ == 4


def test_warm_start_continues_from_the_previous_weights():
    # With momentum 0 and a constant rate SGD has no state, so 3 + 3 warm-started
    # epochs equal 6 epochs in one go.
    X, y = make_data()
    params = {
        "hidden_layer_sizes": (6,),
        "solver": "sgd",
        "momentum": 0.0,
        "shuffle": False,
        "random_state": 0,
        "learning_rate_init": 0.1,
        "tol": 0.0,
        "n_iter_no_change": 100,
    }
    once = ScratchMLPClassifier(**params, max_iter=6).fit(X, y)
    twice = ScratchMLPClassifier(**params, max_iter=3, warm_start=True)
    twice.fit(X, y)
    twice.fit(X, y)
    assert twice.n_iter_ == 3
    assert twice.t_ == once.t_ == 6 * len(X)
    assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)
    assert_same_weights(twice, once, rtol=1e-12, atol=1e-14)
    cold = ScratchMLPClassifier(**params, max_iter=3).fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 3


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_warm_start_equals_mlpclassifier(solver):
    X, y = make_data()
    params = {
        "hidden_layer_sizes": (6,),
        "solver": solver,
        "random_state": 0,
        "max_iter": 3 if solver != "lbfgs" else 10,
        "warm_start": True,
        "learning_rate_init": 0.05,
    }
    ref, ours = both(**params)
    for _ in range(2):
        ref.fit(X, y)
        ours.fit(X, y)
        assert ours.n_iter_ == ref.n_iter_
        assert ours.t_ == ref.t_
    if solver == "lbfgs":
        assert_same_weights(ours, ref, LBFGS_RTOL, LBFGS_ATOL)
    else:
        assert_same_weights(ours, ref, STEP_RTOL, STEP_ATOL)
        assert len(ours.loss_curve_) == 6
        assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=STEP_RTOL)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_warm_start_with_different_classes_raises(solver):
    X, y = make_data()
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(4,), solver=solver, warm_start=True, max_iter=3
    ).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y`"):
        clf.fit(X, np.where(y == 2, 9, y))
    with pytest.raises(ValueError, match="warm_start can only be used where `y`"):
        clf.fit(X[y < 2], y[y < 2])
    assert_array_equal(clf.classes_, [0, 1, 2])


# ------------------------------------------------------------- early stopping
def _noisy_split(seed=0):
    X, y = make_data(n_samples=200, seed=seed)
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < 0.2
    y = np.where(flip, rng.integers(0, 3, len(y)), y)
    return train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)


def _val_loss(clf, X_val, y_val):
    return log_loss(y_val, clf.predict_proba(X_val), labels=clf.classes_)


def test_early_stopping_restores_the_best_weights_on_x_val():
    X, X_val, y, y_val = _noisy_split()
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(20,),
        solver="sgd",
        learning_rate_init=0.2,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
    ).fit(X, y, X_val=X_val, y_val=y_val)
    n = clf.n_iter_
    assert n < 200  # it stopped early
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == n
    assert len(clf.loss_curve_) == n
    assert clf.best_loss_ is None
    best = max(clf.validation_scores_)
    assert clf.best_validation_score_ == best
    assert clf.score(X_val, y_val) == pytest.approx(best)
    # Among the epochs of best accuracy, the one of lowest validation loss wins.
    tied = [
        loss
        for loss, score in zip(clf.validation_loss_curve_, clf.validation_scores_)
        if score == best
    ]
    assert _val_loss(clf, X_val, y_val) == pytest.approx(min(tied), rel=1e-9)
    assert clf.best_validation_loss_ == pytest.approx(min(clf.validation_loss_curve_))


def test_early_stopping_on_log_loss_restores_the_lowest_validation_loss():
    X, X_val, y, y_val = _noisy_split(seed=1)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(20,),
        solver="adam",
        learning_rate_init=0.05,
        early_stopping=True,
        early_stopping_metric="log_loss",
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
    ).fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ < 200
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    lowest = min(clf.validation_loss_curve_)
    assert clf.best_validation_loss_ == pytest.approx(lowest)
    assert int(np.argmin(clf.validation_loss_curve_)) < clf.n_iter_ - 1
    assert _val_loss(clf, X_val, y_val) == pytest.approx(lowest, rel=1e-9)


def test_early_stopping_with_the_internal_split():
    X, _, y, _ = _noisy_split()
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(10,),
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        max_iter=100,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # The held-out part is about 20% of the rows: the training loss covered 80%.
    assert clf.t_ == pytest.approx(clf.n_iter_ * 0.8 * len(X), rel=0.1)


def test_validation_set_without_early_stopping_only_monitors():
    X, X_val, y, y_val = _noisy_split()
    params = {"hidden_layer_sizes": (8,), "max_iter": 15, "random_state": 0}
    plain = ScratchMLPClassifier(**params).fit(X, y)
    watched = ScratchMLPClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    assert_same_weights(watched, plain, rtol=0, atol=0)
    assert len(watched.validation_scores_) == len(watched.validation_loss_curve_) == 15
    assert watched.validation_scores_[-1] == pytest.approx(watched.score(X_val, y_val))
    assert watched.validation_loss_curve_[-1] == pytest.approx(
        _val_loss(watched, X_val, y_val), rel=1e-9
    )


def test_early_stopping_split_keeps_duplicates_together():
    # The split is by row content: three copies of each row behave exactly like
    # one row of weight 3, split, training and validation scores included.
    X, y = make_data(n_samples=60)
    params = {
        "hidden_layer_sizes": (6,),
        "solver": "sgd",
        "shuffle": False,
        "early_stopping": True,
        "n_iter_no_change": 100,
        "max_iter": 8,
        "learning_rate_init": 0.1,
        "random_state": 0,
    }
    repeated = ScratchMLPClassifier(**params).fit(
        np.repeat(X, 3, axis=0), np.repeat(y, 3)
    )
    weighted = ScratchMLPClassifier(**params).fit(X, y, sample_weight=np.full(60, 3))
    assert_allclose(repeated.validation_scores_, weighted.validation_scores_)
    assert_allclose(
        repeated.validation_loss_curve_, weighted.validation_loss_curve_, rtol=1e-9
    )
    assert_same_weights(repeated, weighted, rtol=1e-8, atol=1e-10)


# ------------------------------------------------- interruption, divergence
def _interrupt_at_third_call(monkeypatch):
    real = training_module.loss_and_gradient
    calls = []

    def interrupting(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training_module, "loss_and_gradient", interrupting)


def _assert_usable(clf, X, y):
    assert all(np.isfinite(w).all() for w in weights_of(clf))
    assert clf.predict(X).shape == y.shape
    assert np.isfinite(clf.predict_proba(X)).all()
    assert np.isfinite(clf.loss_)


@pytest.mark.parametrize(
    "params",
    [
        # Two mini-batches per epoch: the third call is in epoch 2.
        {"solver": "sgd", "batch_size": 30},
        {"solver": "adam", "batch_size": 30, "early_stopping": True},
        {"solver": "lbfgs"},
    ],
    ids=["sgd", "adam-early-stopping", "lbfgs"],
)
def test_keyboard_interrupt_leaves_a_usable_model(params, monkeypatch):
    X, y = make_data()
    _interrupt_at_third_call(monkeypatch)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(5,), random_state=0, **params)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    _assert_usable(clf, X, y)
    if params["solver"] != "lbfgs":
        assert clf.n_iter_ == 1


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_keyboard_interrupt_in_the_first_epoch_leaves_a_usable_model(
    solver, monkeypatch
):
    X, y = make_data()
    _interrupt_at_third_call(monkeypatch)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, batch_size=10, random_state=0
    )
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 0
    assert clf.predict(X).shape == y.shape


def test_divergence_raises_and_keeps_the_previous_model():
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(10,), random_state=0, max_iter=20)
    clf.fit(X, y)
    coefs = [w.copy() for w in weights_of(clf)]
    proba = clf.predict_proba(X)
    n_iter, loss_curve = clf.n_iter_, list(clf.loss_curve_)

    rng = np.random.default_rng(0)
    X_big = rng.normal(size=(300, 4)) * 1e3
    y_big = rng.integers(0, 3, 300)
    clf.set_params(solver="sgd", learning_rate_init=1e4)
    with pytest.raises(ValueError, match="learning_rate_init"):
        clf.fit(X_big, y_big)
    for before, after in zip(coefs, weights_of(clf)):
        assert_array_equal(before, after)
    assert_array_equal(clf.predict_proba(X), proba)
    assert clf.n_iter_ == n_iter
    assert clf.loss_curve_ == loss_curve


def _poison_gradient_from_call(monkeypatch, first_bad_call):
    # Simulate a numerical blow-up: from this call on the gradient is NaN, so the
    # weights become non-finite and the epoch ends with the divergence error.
    real = training_module.loss_and_gradient
    calls = []

    def poisoned(net, batch, ws, grad):
        loss = real(net, batch, ws, grad)
        calls.append(1)
        if len(calls) >= first_bad_call:
            grad[...] = np.nan
        return loss

    monkeypatch.setattr(training_module, "loss_and_gradient", poisoned)


def _public_state(est):
    state = {k: v for k, v in vars(est).items() if k.endswith("_")}
    return pickle.dumps(state)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_failed_partial_fit_rolls_back_the_optimizer_state(solver, monkeypatch):
    X, y = make_data()
    params = {"hidden_layer_sizes": (6,), "solver": solver, "batch_size": 30}
    failed = ScratchMLPClassifier(**params, random_state=0)
    failed.partial_fit(X, y, classes=[0, 1, 2])
    twin = pickle.loads(pickle.dumps(failed))
    before = _public_state(failed)
    _poison_gradient_from_call(monkeypatch, 2)
    with pytest.raises(ValueError, match="learning_rate_init"):
        failed.partial_fit(X, y)
    monkeypatch.undo()
    assert _public_state(failed) == before
    # Momentum / Adam moments were rolled back too: training continues exactly as
    # if the failed call had never happened.
    failed.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert_same_weights(failed, twin, rtol=0, atol=0)
    assert failed.loss_curve_ == twin.loss_curve_


def test_failed_warm_start_fit_keeps_the_previous_curves(monkeypatch):
    X, y = make_data()
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(6,), batch_size=30, max_iter=3, warm_start=True
    ).fit(X, y)
    before = _public_state(clf)
    curve = list(clf.loss_curve_)
    _poison_gradient_from_call(monkeypatch, 5)  # 2 calls per epoch: epoch 3
    with pytest.raises(ValueError, match="learning_rate_init"):
        clf.fit(X, y)
    assert _public_state(clf) == before
    assert clf.loss_curve_ == curve


# -------------------------------------------------------------- sample_weight
def _sw_params(solver, **extra):
    params = {
        "hidden_layer_sizes": (6,),
        "solver": solver,
        "shuffle": False,
        "random_state": 0,
        "max_iter": 10,
        "learning_rate_init": 0.05,
        "alpha": 1e-2,
        "tol": 0.0,
        "n_iter_no_change": 100,
    }
    params.update(extra)
    return params


FULL_BATCH_SOLVERS = ["sgd", "adam", "lbfgs"]


@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_zero_weight_rows_contribute_nothing(solver):
    X, y = make_data()
    keep = np.arange(len(y)) % 4 != 0
    w = keep.astype(float)
    params = _sw_params(solver)  # batch_size 'auto' covers all 60 rows
    weighted = ScratchMLPClassifier(**params).fit(X, y, sample_weight=w)
    dropped = ScratchMLPClassifier(**params).fit(X[keep], y[keep])
    assert_same_weights(weighted, dropped, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_all_zero_weight_mini_batch_does_not_crash(solver):
    X, y = make_data()
    w = np.ones(len(y))
    w[:4] = 0.0  # the first two mini-batches carry no weight
    clf = ScratchMLPClassifier(**_sw_params(solver, batch_size=2)).fit(
        X, y, sample_weight=w
    )
    assert np.isfinite(clf.loss_curve_).all()
    assert all(np.isfinite(p).all() for p in weights_of(clf))
    assert clf.score(X, y) > 0.5


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda n: np.r_[-1.0, np.ones(n - 1)], "Negative values"),
        (lambda n: np.zeros(n), "at least one non-zero"),
    ],
    ids=["negative", "all-zero"],
)
@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_invalid_sample_weight_raises(solver, weights, match):
    X, y = make_data()
    with pytest.raises(ValueError, match=match):
        ScratchMLPClassifier(solver=solver).fit(X, y, sample_weight=weights(len(y)))


@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_integer_weights_equal_repeated_rows(solver):
    X, y = make_data()
    counts = np.arange(len(y)) % 4  # 0 to 3 copies
    params = _sw_params(solver)
    weighted = ScratchMLPClassifier(**params).fit(X, y, sample_weight=counts)
    repeated = ScratchMLPClassifier(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    assert sum(counts) <= 200  # one full batch for both
    assert_same_weights(weighted, repeated, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_integer_weights_equal_repeated_rows_with_strong_penalty(solver):
    # At alpha > 0 the penalty is divided by the total weight, exactly as it is
    # divided by the number of rows of the repeated data. A constant factor on
    # the whole objective leaves the L-BFGS path unchanged, so the reported
    # losses are compared too: they differ if the weights are not normalised
    # by their sum.
    X, y = make_data()
    counts = np.arange(len(y)) % 4  # 0 to 3 copies, 90 rows in all
    params = _sw_params(solver, alpha=0.5)  # one batch of all the rows
    weighted = ScratchMLPClassifier(**params).fit(X, y, sample_weight=counts)
    repeated = ScratchMLPClassifier(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    assert_same_weights(weighted, repeated, rtol=1e-8, atol=1e-10)
    assert weighted.n_iter_ == repeated.n_iter_
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-10)
    if solver != "lbfgs":
        assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)
    # and the same fit with unit weights on the original rows is different
    plain = ScratchMLPClassifier(**params).fit(X, y)
    assert max_abs_diff(plain, weighted) > 1e-6


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "batch_size": 16, "shuffle": True},
        {"solver": "adam", "batch_size": 16, "shuffle": True},
        {"solver": "lbfgs"},
    ],
    ids=["sgd-minibatch", "adam-minibatch", "lbfgs"],
)
def test_weight_scale_invariance_and_alpha_equivalence(params):
    X, y = make_data()
    w = np.linspace(0.2, 3.0, len(y))
    c = 7.5
    tol = (LBFGS_RTOL, LBFGS_ATOL) if params["solver"] == "lbfgs" else (1e-9, 1e-11)
    # alpha = 0: the objective does not change when all weights are scaled.
    base = _sw_params(**{**params, "alpha": 0.0})
    a = ScratchMLPClassifier(**base).fit(X, y, sample_weight=w)
    b = ScratchMLPClassifier(**base).fit(X, y, sample_weight=c * w)
    assert_same_weights(a, b, *tol)
    # alpha > 0: scaling the weights by c is dividing alpha by c.
    penalised = _sw_params(**{**params, "alpha": 0.3})
    scaled = ScratchMLPClassifier(**penalised).fit(X, y, sample_weight=c * w)
    divided = ScratchMLPClassifier(**{**penalised, "alpha": 0.3 / c}).fit(
        X, y, sample_weight=w
    )
    assert_same_weights(scaled, divided, *tol)
    unscaled = ScratchMLPClassifier(**penalised).fit(X, y, sample_weight=w)
    assert max_abs_diff(unscaled, scaled) > 1e-6  # alpha > 0 is not invariant


def test_sample_weight_in_score():
    X, y = make_data()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    clf.fit(X, y)
    w = np.arange(len(y), dtype=float)
    expected = accuracy_score(y, clf.predict(X), sample_weight=w)
    assert clf.score(X, y, sample_weight=w) == pytest.approx(expected)


# --------------------------------------------------------------- class_weight
@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_class_weight_dict_equals_sample_weight(solver):
    X, _ = make_data()
    y = make_target("binary")
    params = _sw_params(solver)
    with_cw = ScratchMLPClassifier(**params, class_weight={0: 2.0, 1: 1.0}).fit(X, y)
    with_sw = ScratchMLPClassifier(**params).fit(
        X, y, sample_weight=np.where(y == 0, 2.0, 1.0)
    )
    assert_same_weights(with_cw, with_sw, rtol=1e-12, atol=1e-14)
    # class_weight and sample_weight multiply.
    s = np.linspace(0.5, 1.5, len(y))
    both_given = ScratchMLPClassifier(**params, class_weight={0: 2.0, 1: 1.0}).fit(
        X, y, sample_weight=s
    )
    product = ScratchMLPClassifier(**params).fit(
        X, y, sample_weight=s * np.where(y == 0, 2.0, 1.0)
    )
    assert_same_weights(both_given, product, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("solver", FULL_BATCH_SOLVERS)
def test_balanced_class_weight_uses_weighted_class_totals(solver):
    X, y = make_data()
    y = np.where(np.arange(len(y)) < 10, 0, y)  # unequal class sizes
    s = np.linspace(0.5, 2.0, len(y))
    params = _sw_params(solver)
    balanced = ScratchMLPClassifier(**params, class_weight="balanced")
    balanced.fit(X, y, sample_weight=s)
    totals = np.bincount(y, weights=s)
    factor = s.sum() / (len(totals) * totals)
    manual = ScratchMLPClassifier(**params).fit(X, y, sample_weight=s * factor[y])
    assert_same_weights(balanced, manual, rtol=1e-10, atol=1e-12)
    # Without sample_weight it is n / (n_classes * bincount(y)).
    plain = ScratchMLPClassifier(**params, class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    manual = ScratchMLPClassifier(**params).fit(
        X, y, sample_weight=(len(y) / (len(counts) * counts))[y]
    )
    assert_same_weights(plain, manual, rtol=1e-10, atol=1e-12)


def test_balanced_class_weight_in_partial_fit_uses_running_totals():
    X, y = make_data(n_samples=90)
    y = np.where(np.arange(90) < 20, 0, y)
    chunks = [np.arange(0, 40), np.arange(40, 90)]
    params = {"hidden_layer_sizes": (5,), "solver": "sgd", "shuffle": False}
    balanced = ScratchMLPClassifier(**params, class_weight="balanced", random_state=0)
    manual = ScratchMLPClassifier(**params, random_state=0)
    totals = np.zeros(3)
    for rows in chunks:
        totals += np.bincount(y[rows], minlength=3)
        factor = totals.sum() / (3 * totals)
        balanced.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        manual.partial_fit(
            X[rows], y[rows], classes=[0, 1, 2], sample_weight=factor[y[rows]]
        )
        assert_same_weights(balanced, manual, rtol=1e-12, atol=1e-14)


def test_balanced_class_weight_improves_balanced_accuracy():
    X, y = make_classification(
        n_samples=600, n_features=8, weights=[0.9, 0.1], flip_y=0, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    scores = {}
    for class_weight in (None, "balanced"):
        clf = ScratchMLPClassifier(
            hidden_layer_sizes=(16,),
            class_weight=class_weight,
            max_iter=100,
            random_state=0,
        ).fit(X_train, y_train)
        scores[class_weight] = balanced_accuracy_score(y_test, clf.predict(X_test))
    assert scores["balanced"] > scores[None] + 0.05
