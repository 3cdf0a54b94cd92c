"""ScratchMLPRegressor from a user's side, against MLPRegressor's documented behaviour.

Signature and fitted attributes, target shapes, the Poisson loss, early stopping
on R² or on the validation loss, the reported losses against formulas written out
here, sample weights as repetitions, warm start and partial_fit, dtypes, input
validation, divergence, determinism, the scikit-learn clients, and a
central-difference gradient check of the two regression heads.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import xlogy
from sklearn.base import clone, is_regressor
from sklearn.datasets import make_regression
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_scratchnet import ScratchMLPRegressor
from sk_scratchnet._activations import ACTIVATIONS
from sk_scratchnet._heads import HEADS
from sk_scratchnet._network import (
    Batch,
    Network,
    ParamLayout,
    Workspace,
    loss_and_gradient,
)
from tests import _helpers

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["adam", "sgd", "lbfgs"]
LOSSES = ["squared_error", "poisson"]
OUR_EXTRAS = ["dropout", "init", "early_stopping_metric"]


def make_data(n_samples=60, n_features=4, n_outputs=1, loss="squared_error", seed=0):
    return _helpers.make_regression_data(n_samples, n_features, n_outputs, loss, seed)


def small(**params):
    """A small, fast network; ``params`` override the defaults below."""
    defaults = {
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.01,
        "max_iter": 30,
        "random_state": 0,
    }
    return ScratchMLPRegressor(**{**defaults, **params})


all_weights = _helpers.all_weights


def assert_same_weights(a, b, rtol, atol):
    assert [w.shape for w in all_weights(a)] == [w.shape for w in all_weights(b)]
    for wa, wb in zip(all_weights(a), all_weights(b)):
        assert_allclose(wa, wb, rtol=rtol, atol=atol)


def assert_bitwise_equal(a, b):
    for wa, wb in zip(all_weights(a), all_weights(b), strict=True):
        assert wa.dtype == wb.dtype
        assert wa.tobytes() == wb.tobytes()


def public_state(est):
    """Every fitted attribute (name ending in ``_``), pickled for exact comparison."""
    return pickle.dumps({k: v for k, v in vars(est).items() if k.endswith("_")})


def forward_score(est, X):
    """Raw output of a fitted ReLU network, written out in plain NumPy (Eqs. 1-2)."""
    a = X
    for layer, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        a = a @ W + b
        if layer < len(est.coefs_) - 1:
            a = np.maximum(a, 0.0)
    return a


def mean_loss(loss, score, Y):
    """Mean over rows of the loss summed over the outputs, from its definition."""
    score = score.reshape(len(score), -1)
    Y = Y.reshape(score.shape)
    if loss == "squared_error":
        per_row = 0.5 * ((score - Y) ** 2).sum(axis=1)
    else:
        mu = np.exp(score)
        per_row = (xlogy(Y, Y / mu) - Y + mu).sum(axis=1)
    return float(per_row.mean())


# ------------------------------------------------------------------ signature
def test_constructor_signature_matches_mlpregressor():
    theirs = inspect.signature(MLPRegressor.__init__).parameters
    ours = inspect.signature(ScratchMLPRegressor.__init__).parameters
    assert list(ours)[: len(theirs)] == list(theirs)
    for name, param in theirs.items():
        assert ours[name].default == param.default, name
        assert ours[name].kind == param.kind, name
    assert list(ours)[len(theirs) :] == OUR_EXTRAS
    for name in OUR_EXTRAS:
        assert ours[name].kind == inspect.Parameter.KEYWORD_ONLY
    assert ours["dropout"].default == 0.0
    assert ours["init"].default == "glorot"
    assert ours["early_stopping_metric"].default == "r2"
    assert (
        ScratchMLPRegressor().get_params().keys()
        == MLPRegressor().get_params().keys() | set(OUR_EXTRAS)
    )


def test_fit_and_partial_fit_signatures_match_mlpregressor():
    ours = inspect.signature(ScratchMLPRegressor.partial_fit).parameters
    theirs = inspect.signature(MLPRegressor.partial_fit).parameters
    assert list(ours) == list(theirs)
    for name, param in theirs.items():
        assert (ours[name].default, ours[name].kind) == (param.default, param.kind)
    # fit: MLPRegressor's parameters first, then our keyword-only X_val/y_val.
    ours = inspect.signature(ScratchMLPRegressor.fit).parameters
    theirs = inspect.signature(MLPRegressor.fit).parameters
    assert list(ours)[: len(theirs)] == list(theirs)
    for name, param in theirs.items():
        assert (ours[name].default, ours[name].kind) == (param.default, param.kind)
    assert list(ours)[len(theirs) :] == ["X_val", "y_val"]
    assert all(
        ours[name].kind == inspect.Parameter.KEYWORD_ONLY for name in ("X_val", "y_val")
    )


def test_is_a_regressor():
    assert is_regressor(ScratchMLPRegressor())
    assert not hasattr(ScratchMLPRegressor(), "predict_proba")


# ---------------------------------------------------------- fitted attributes
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("solver", SOLVERS)
def test_fitted_attributes_match_mlpregressor(solver, n_outputs, early_stopping):
    X, y = make_data(n_outputs=n_outputs)
    params = {
        "hidden_layer_sizes": (6, 5),
        "solver": solver,
        "max_iter": 5,
        "random_state": 0,
        "early_stopping": early_stopping,
    }
    ours = ScratchMLPRegressor(**params).fit(X, y)
    theirs = MLPRegressor(**params).fit(X, y)

    def fitted(est):
        return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}

    assert fitted(theirs) <= fitted(ours)
    assert fitted(ours) - fitted(theirs) == {
        "validation_loss_curve_",
        "best_validation_loss_",
    }
    assert ours.n_features_in_ == 4
    assert ours.n_layers_ == theirs.n_layers_ == 4
    assert ours.n_outputs_ == theirs.n_outputs_ == n_outputs
    assert ours.out_activation_ == theirs.out_activation_ == "identity"
    assert [c.shape for c in ours.coefs_] == [(4, 6), (6, 5), (5, n_outputs)]
    assert [b.shape for b in ours.intercepts_] == [(6,), (5,), (n_outputs,)]
    assert all(isinstance(w, np.ndarray) for w in all_weights(ours))
    assert isinstance(ours.loss_, float)
    assert isinstance(ours.n_iter_, int)
    assert isinstance(ours.t_, int)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    if solver == "lbfgs":
        assert not hasattr(ours, "loss_curve_")
        return
    assert isinstance(ours.loss_curve_, list)
    assert len(ours.loss_curve_) == ours.n_iter_
    assert all(isinstance(v, float) for v in ours.loss_curve_)
    if early_stopping:
        assert ours.best_loss_ is None and theirs.best_loss_ is None
        assert isinstance(ours.validation_scores_, list)
        assert len(ours.validation_scores_) == ours.n_iter_
        assert ours.best_validation_score_ == max(ours.validation_scores_)
        assert len(ours.validation_loss_curve_) == ours.n_iter_
    else:
        assert ours.best_loss_ == min(ours.loss_curve_)
        assert ours.validation_scores_ is None and theirs.validation_scores_ is None
        assert ours.best_validation_score_ is None
        assert ours.validation_loss_curve_ is None


def test_feature_names_in_for_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = make_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = small(max_iter=3).fit(frame, y)
    assert_array_equal(reg.feature_names_in_, ["a", "b", "c", "d"])
    assert not hasattr(small(max_iter=3).fit(X, y), "feature_names_in_")
    with pytest.warns(UserWarning, match="feature names"):
        reg.predict(X)


# ------------------------------------------------------------- target shapes
@pytest.mark.parametrize("solver", SOLVERS)
def test_1d_y_gives_1d_and_2d_y_gives_2d_predictions(solver):
    X, y = make_data()
    pred = small(solver=solver).fit(X, y).predict(X)
    assert pred.shape == (60,)
    X, Y = make_data(n_outputs=3)
    reg = small(solver=solver).fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X).shape == (60, 3)
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, reg.predict(X)))


def test_column_y_warns_like_mlpregressor_and_predicts_1d():
    X, y = make_data()
    for est in (small(max_iter=3), MLPRegressor(hidden_layer_sizes=(4,), max_iter=3)):
        with pytest.warns(DataConversionWarning):
            est.fit(X, y.reshape(-1, 1))
        assert est.predict(X).shape == (60,)
    column = small(max_iter=3)
    with pytest.warns(DataConversionWarning):
        column.fit(X, y.reshape(-1, 1))
    assert column.n_outputs_ == 1
    assert_array_equal(column.predict(X), small(max_iter=3).fit(X, y).predict(X))


# ------------------------------------------------------------------- poisson
def test_out_activation_follows_the_loss():
    X, y = make_data(loss="poisson")
    for loss, link in [("squared_error", "identity"), ("poisson", "exp")]:
        ours = small(loss=loss, max_iter=3).fit(X, y)
        theirs = MLPRegressor(loss=loss, max_iter=3, hidden_layer_sizes=(4,)).fit(X, y)
        assert ours.out_activation_ == theirs.out_activation_ == link


@pytest.mark.parametrize("solver", SOLVERS)
def test_poisson_rejects_negative_targets_clearly(solver):
    X, y = make_data(loss="poisson")
    negative = y.copy()
    negative[5] = -1.0
    with pytest.raises(ValueError, match=r"negative.*poisson"):
        small(loss="poisson", solver=solver).fit(X, negative)
    with pytest.raises(ValueError, match=r"negative.*poisson"):
        small(loss="poisson", solver=solver).fit(X, np.c_[y, negative])


def test_poisson_rejects_negative_y_val_and_partial_fit_targets():
    X, y = make_data(loss="poisson")
    negative = y.copy()
    negative[0] = -0.5
    with pytest.raises(ValueError, match=r"y_val.*negative|negative.*y_val"):
        small(loss="poisson").fit(X, y, X_val=X, y_val=negative)
    reg = small(loss="poisson", solver="sgd")
    with pytest.raises(ValueError, match=r"negative.*poisson"):
        reg.partial_fit(X, negative)
    assert not hasattr(reg, "coefs_")  # the failed first call fitted nothing
    reg.partial_fit(X, y)
    before = public_state(reg)
    with pytest.raises(ValueError, match=r"negative.*poisson"):
        reg.partial_fit(X, negative)
    assert public_state(reg) == before
    # Zero counts are valid targets.
    small(loss="poisson", max_iter=3).fit(X, np.zeros_like(y))


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("solver", SOLVERS)
def test_poisson_predictions_are_never_negative_or_nan(solver, n_outputs):
    X, y = make_data(loss="poisson", n_outputs=n_outputs)
    reg = small(loss="poisson", solver=solver, learning_rate_init=0.05).fit(X, y)
    pred = reg.predict(X)
    assert (pred >= 0).all() and np.isfinite(pred).all()
    # Far outside the training range: non-negative, or the clear error.
    for scale in (50.0, -50.0, 1e3, 1e6):
        try:
            far = reg.predict(X * scale)
        except ValueError as exc:
            assert "not finite" in str(exc)
            assert "Scale the features" in str(exc)
            continue
        assert not np.isnan(far).any()
        assert (far >= 0).all()
    # The prediction is exp of the raw score.
    assert_allclose(pred.reshape(60, -1), np.exp(forward_score(reg, X)), rtol=1e-12)


# ------------------------------------------------------------ early stopping
def _noisy_regression(seed=0):
    X, y = make_regression(n_samples=240, n_features=6, noise=30.0, random_state=seed)
    X = StandardScaler().fit_transform(X)
    y = y / y.std()
    return X[:160], X[160:], y[:160], y[160:]


def _early(metric, **params):
    return ScratchMLPRegressor(
        hidden_layer_sizes=(32,),
        solver="adam",
        learning_rate_init=0.05,
        early_stopping=True,
        early_stopping_metric=metric,
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
        **params,
    )


def test_early_stopping_on_r2_restores_the_best_epoch_on_x_val():
    X, X_val, y, y_val = _noisy_regression()
    reg = _early("r2").fit(X, y, X_val=X_val, y_val=y_val)
    assert reg.n_iter_ < 200  # it stopped early
    assert len(reg.validation_scores_) == len(reg.validation_loss_curve_)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_loss_ is None
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert int(np.argmax(reg.validation_scores_)) < reg.n_iter_ - 1
    # The final model is the best epoch's: its R² on X_val is the best score.
    assert reg.score(X_val, y_val) == pytest.approx(reg.best_validation_score_, 1e-12)
    assert r2_score(y_val, reg.predict(X_val)) == pytest.approx(
        reg.best_validation_score_, rel=1e-12
    )


def test_early_stopping_on_loss_restores_the_lowest_validation_loss():
    X, X_val, y, y_val = _noisy_regression(seed=1)
    reg = _early("loss").fit(X, y, X_val=X_val, y_val=y_val)
    assert reg.n_iter_ < 200
    lowest = min(reg.validation_loss_curve_)
    assert reg.best_validation_loss_ == lowest
    assert int(np.argmin(reg.validation_loss_curve_)) < reg.n_iter_ - 1
    expected = mean_loss("squared_error", reg.predict(X_val), y_val)
    assert expected == pytest.approx(lowest, rel=1e-10)


def test_validation_scores_are_the_r2_of_each_epoch():
    X, X_val, y, y_val = _noisy_regression()
    params = {"hidden_layer_sizes": (8,), "random_state": 0, "learning_rate_init": 0.02}
    watched = ScratchMLPRegressor(**params, max_iter=4).fit(
        X, y, X_val=X_val, y_val=y_val
    )
    assert len(watched.validation_scores_) == 4
    for epoch in range(1, 5):
        at_epoch = ScratchMLPRegressor(**params, max_iter=epoch).fit(X, y)
        assert watched.validation_scores_[epoch - 1] == pytest.approx(
            r2_score(y_val, at_epoch.predict(X_val)), rel=1e-12
        )
    # Monitoring alone does not change training.
    assert_same_weights(
        watched, ScratchMLPRegressor(**params, max_iter=4).fit(X, y), 0, 0
    )


@pytest.mark.filterwarnings("ignore:R.2 score is not well-defined")
def test_early_stopping_on_r2_refuses_a_one_row_validation_set():
    # R² of one row is NaN: no epoch would count as the best, and early stopping
    # would silently restore the untrained initial weights.
    X, X_val, y, y_val = _noisy_regression()
    with pytest.raises(ValueError, match="at least 2 rows"):
        _early("r2").fit(X, y, X_val=X_val[:1], y_val=y_val[:1])
    # The validation loss of one row is well defined: training really happens.
    reg = _early("loss").set_params(max_iter=5, n_iter_no_change=100)
    reg.fit(X, y, X_val=X_val[:1], y_val=y_val[:1])
    assert np.isfinite(reg.validation_loss_curve_).all()
    initial = ScratchMLPRegressor(
        hidden_layer_sizes=(32,), max_iter=1, learning_rate_init=1e-300, random_state=0
    ).fit(X, y)
    assert not np.array_equal(reg.coefs_[0], initial.coefs_[0])


@pytest.mark.filterwarnings("ignore:R.2 score is not well-defined")
def test_internal_split_of_weighted_rows_still_trains():
    X, y = make_data(n_samples=4)
    params = {
        "hidden_layer_sizes": (4,),
        "early_stopping": True,
        "learning_rate_init": 0.1,
        "random_state": 0,
    }
    reg = ScratchMLPRegressor(**params, max_iter=20)
    reg.fit(X, y, sample_weight=np.full(4, 5.0))
    initial = ScratchMLPRegressor(
        **{**params, "early_stopping": False, "learning_rate_init": 1e-300},
        max_iter=1,
    ).fit(X, y)
    assert not np.isnan(reg.validation_scores_).any()
    assert not np.array_equal(reg.coefs_[0], initial.coefs_[0])


def test_early_stopping_with_the_internal_split():
    X, _, y, _ = _noisy_regression()
    reg = small(early_stopping=True, validation_fraction=0.2, max_iter=100)
    reg.set_params(n_iter_no_change=3, learning_rate_init=0.05).fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert all(-10 < s <= 1 for s in reg.validation_scores_)
    # About 20% of the rows are held out: the training epochs covered 80%.
    assert reg.t_ == pytest.approx(reg.n_iter_ * 0.8 * len(X), rel=0.1)


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("loss", LOSSES)
def test_validation_loss_curve_is_the_loss_of_the_model(loss, n_outputs):
    X, Y = make_data(n_samples=80, n_outputs=n_outputs, loss=loss)
    X_val, Y_val = X[60:], Y[60:]
    reg = small(loss=loss, max_iter=1, alpha=0.5)
    reg.fit(X[:60], Y[:60], X_val=X_val, y_val=Y_val)
    expected = mean_loss(loss, forward_score(reg, X_val), Y_val)
    assert reg.validation_loss_curve_ == [pytest.approx(expected, rel=1e-12)]
    assert reg.best_validation_loss_ == reg.validation_loss_curve_[0]


# ------------------------------------------------------- the reported loss
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_first_loss_is_the_objective_at_the_initial_weights(solver, loss, n_outputs):
    # One full batch without shuffling: the first reported loss is the objective
    # (loss summed over the outputs, averaged over rows, plus the L2 penalty
    # alpha / (2 n) ||W||^2) at the initial weights.  A step of 1e-300 leaves
    # the weights bitwise unchanged, so that model holds the initial weights.
    X, Y = make_data(n_outputs=n_outputs, loss=loss)
    params = {
        "loss": loss,
        "solver": solver,
        "hidden_layer_sizes": (5, 4),
        "alpha": 0.5,
        "max_iter": 1,
        "shuffle": False,
        "batch_size": len(X),
        "random_state": 3,
    }
    initial = ScratchMLPRegressor(**params, learning_rate_init=1e-300).fit(X, Y)
    trained = ScratchMLPRegressor(**params, learning_rate_init=0.01).fit(X, Y)
    penalty = 0.5 * 0.5 / len(X) * sum(float((W**2).sum()) for W in initial.coefs_)
    objective = mean_loss(loss, forward_score(initial, X), Y) + penalty
    assert trained.loss_curve_ == [pytest.approx(objective, rel=1e-12)]
    assert trained.loss_ == trained.loss_curve_[0]
    assert max(abs(a - b).max() for a, b in zip(trained.coefs_, initial.coefs_)) > 0


# ------------------------------------------------------------ sample_weight
def _sw_params(solver, **extra):
    params = {
        "hidden_layer_sizes": (6,),
        "solver": solver,
        "shuffle": False,
        "random_state": 0,
        "max_iter": 10,
        "learning_rate_init": 0.02,
        "alpha": 0.5,
        "tol": 0.0,
        "n_iter_no_change": 100,
    }
    params.update(extra)
    return params


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", SOLVERS)
def test_integer_weights_equal_repeated_rows(solver, loss):
    X, y = make_data(n_samples=50, loss=loss, n_outputs=2)
    counts = np.arange(50) % 4  # 0 to 3 copies
    assert counts.sum() <= 200  # batch_size 'auto': one full batch for both
    params = _sw_params(solver, loss=loss)
    weighted = ScratchMLPRegressor(**params).fit(X, y, sample_weight=counts)
    repeated = ScratchMLPRegressor(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
    )
    assert_same_weights(weighted, repeated, rtol=1e-8, atol=1e-10)
    if solver != "lbfgs":
        assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)
    unweighted = ScratchMLPRegressor(**params).fit(X, y)
    assert not np.allclose(unweighted.coefs_[0], weighted.coefs_[0])


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_weight_rows_contribute_nothing(solver):
    X, y = make_data()
    keep = np.arange(len(y)) % 3 != 0
    params = _sw_params(solver)
    weighted = ScratchMLPRegressor(**params).fit(X, y, sample_weight=keep * 1.0)
    dropped = ScratchMLPRegressor(**params).fit(X[keep], y[keep])
    assert_same_weights(weighted, dropped, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_all_zero_weight_mini_batch_is_a_no_op(solver):
    X, y = make_data()
    w = np.ones(len(y))
    w[:4] = 0.0  # the first two mini-batches carry no weight
    reg = ScratchMLPRegressor(**_sw_params(solver, batch_size=2)).fit(
        X, y, sample_weight=w
    )
    assert np.isfinite(reg.loss_curve_).all()
    assert all(np.isfinite(p).all() for p in all_weights(reg))


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda n: np.r_[-1.0, np.ones(n - 1)], "Negative values"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], "NaN or infinity"),
        (lambda n: np.r_[np.inf, np.ones(n - 1)], "NaN or infinity"),
        (lambda n: np.zeros(n), "at least one non-zero"),
    ],
    ids=["negative", "nan", "inf", "all-zero"],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_invalid_sample_weight_raises(solver, weights, match):
    X, y = make_data()
    with pytest.raises(ValueError, match=match):
        small(solver=solver).fit(X, y, sample_weight=weights(len(y)))
    if solver != "lbfgs":
        with pytest.raises(ValueError, match=match):
            small(solver=solver).partial_fit(X, y, sample_weight=weights(len(y)))


def test_sample_weight_in_score_is_weighted_r2():
    X, y = make_data()
    reg = small(max_iter=5).fit(X, y)
    w = np.arange(len(y), dtype=float)
    expected = r2_score(y, reg.predict(X), sample_weight=w)
    assert reg.score(X, y, sample_weight=w) == pytest.approx(expected)


# ------------------------------------------------ warm start and partial_fit
def test_warm_start_continues_from_the_previous_weights():
    # Momentum 0 and a constant rate: SGD has no state, so 3 + 3 warm-started
    # epochs are 6 epochs in one go.
    X, y = make_data(n_outputs=2)
    params = _sw_params("sgd", momentum=0.0, learning_rate_init=0.05)
    once = ScratchMLPRegressor(**{**params, "max_iter": 6}).fit(X, y)
    twice = ScratchMLPRegressor(**{**params, "max_iter": 3, "warm_start": True})
    twice.fit(X, y)
    twice.fit(X, y)
    assert twice.n_iter_ == 3
    assert twice.t_ == once.t_ == 6 * len(X)
    assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)
    assert_same_weights(twice, once, rtol=1e-12, atol=1e-14)
    cold = ScratchMLPRegressor(**{**params, "max_iter": 3}).fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 3


def test_warm_start_refuses_another_number_of_outputs():
    X, Y = make_data(n_outputs=2)
    reg = small(warm_start=True, max_iter=3).fit(X, Y)
    before = public_state(reg)
    with pytest.raises(ValueError, match="output"):
        reg.fit(X, Y[:, 0])
    assert public_state(reg) == before


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_runs_one_epoch_per_call(solver):
    X, y = make_data(n_samples=80)
    reg = small(solver=solver, batch_size=16)
    for call, rows in enumerate(np.array_split(np.arange(80), 4), start=1):
        reg.partial_fit(X[rows], y[rows])
        assert reg.n_iter_ == 1
        assert reg.t_ == rows[-1] + 1
        assert len(reg.loss_curve_) == call
    assert reg.predict(X).shape == (80,)


def test_partial_fit_with_early_stopping_trains_on_all_the_data():
    # scikit-learn #25693: MLPRegressor raises; we train on everything given.
    X, y = make_data()
    plain = small(solver="sgd")
    early = small(solver="sgd", early_stopping=True)
    for _ in range(2):
        plain.partial_fit(X, y)
        early.partial_fit(X, y)
    assert early.t_ == 2 * len(X)
    assert early.n_iter_ == 1
    assert_same_weights(early, plain, rtol=0, atol=0)
    early.fit(X, y)  # fit after partial_fit holds out a validation split again
    assert len(early.validation_scores_) == early.n_iter_


def test_lbfgs_has_no_partial_fit():
    assert not hasattr(ScratchMLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(ScratchMLPRegressor(solver="sgd"), "partial_fit")


# ------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_input_keeps_float32(solver, loss):
    X, y = make_data(loss=loss, n_outputs=2)
    reg = small(solver=solver, loss=loss).fit(X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in all_weights(reg))
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    assert isinstance(reg.loss_, float)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_float64_and_int_input_give_float64(dtype):
    X, y = make_data()
    reg = small(max_iter=3).fit((X * 3).astype(dtype), y)
    assert all(w.dtype == np.float64 for w in all_weights(reg))
    assert reg.predict((X * 3).astype(dtype)).dtype == np.float64


# -------------------------------------------------------------- bad input
def _with_nan(a, index=(0, 0)):
    a = a.copy()
    a[index] = np.nan
    return a


@pytest.mark.parametrize(
    ("make_args", "match"),
    [
        (lambda X, y: (_with_nan(X), y), "X contains NaN"),
        (lambda X, y: (X, _with_nan(y, 3)), "y contains NaN"),
        (lambda X, y: (X, np.array(["a"] * len(y))), "needs numeric targets"),
        (lambda X, y: (X, np.zeros((len(y), 2, 2))), "dim 3"),
        (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    ],
    ids=["nan-X", "nan-y", "string-y", "3d-y", "length"],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_bad_fit_input_raises_a_clear_error(solver, make_args, match):
    X, y = make_data()
    with pytest.raises(ValueError, match=match):
        small(solver=solver).fit(*make_args(X, y))


def test_bad_predict_input_raises_a_clear_error():
    X, y = make_data()
    reg = small(max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        reg.predict(X[:, :3])
    with pytest.raises(ValueError, match="X contains NaN"):
        reg.predict(_with_nan(X))
    with pytest.raises(ValueError, match="2D array"):
        reg.predict(X[0])


def test_predict_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ScratchMLPRegressor().predict(np.zeros((2, 3)))


def test_caller_arrays_are_never_modified():
    X, y = make_data(loss="poisson", n_outputs=2)
    w = np.linspace(0.5, 2.0, len(X))
    copies = [a.copy() for a in (X, y, w)]
    for arr in (X, y, w):
        arr.setflags(write=False)
    reg = small(loss="poisson", early_stopping=True).fit(X, y, sample_weight=w)
    reg.predict(X)
    reg.partial_fit(X, y, sample_weight=w)
    for arr, copy in zip((X, y, w), copies):
        assert_array_equal(arr, copy)


# ------------------------------------------------------------- divergence
def _unscaled(seed=0):
    X, y = make_data(n_samples=120, seed=seed)
    return X * 1e3 + 1e3, y * 1e3


def test_sgd_with_a_huge_learning_rate_really_diverges():
    X, y = _unscaled()
    params = {"solver": "sgd", "learning_rate_init": 1e6, "random_state": 0}
    with pytest.raises(ValueError, match=r"diverged.*learning_rate_init"):
        ScratchMLPRegressor(**params, max_iter=20).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its overflow warnings
        with pytest.raises(ValueError, match="non-finite"):
            MLPRegressor(**params, max_iter=20).fit(X, y)


@pytest.mark.parametrize("warm_start", [False, True])
def test_divergence_keeps_the_previously_fitted_model(warm_start):
    X, y = make_data()
    reg = small(max_iter=10, warm_start=warm_start).fit(X, y)
    before = public_state(reg)
    pred = reg.predict(X)
    X_big, y_big = _unscaled()
    reg.set_params(solver="sgd", learning_rate_init=1e6)
    with pytest.raises(ValueError, match="learning_rate_init"):
        reg.fit(X_big[:, :4], y_big)
    assert public_state(reg) == before
    assert_array_equal(reg.predict(X), pred)


# ------------------------------------------------------------- determinism
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam", "dropout": 0.2, "early_stopping": True},
        {"solver": "sgd", "loss": "poisson", "learning_rate_init": 0.01},
        {"solver": "lbfgs"},
    ],
    ids=["adam-dropout-early", "sgd-poisson", "lbfgs"],
)
def test_same_random_state_gives_bitwise_identical_models(params):
    X, y = make_data(n_samples=90, loss="poisson", n_outputs=2)
    first = small(**params, max_iter=12).fit(X, y)
    second = small(**params, max_iter=12).fit(X, y)
    cloned = clone(first).fit(X, y)
    for other in (second, cloned):
        assert_bitwise_equal(first, other)
        assert first.predict(X).tobytes() == other.predict(X).tobytes()
        assert first.n_iter_ == other.n_iter_
        assert getattr(first, "loss_curve_", None) == getattr(
            other, "loss_curve_", None
        )
    reseeded = clone(first).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(reseeded.coefs_[0], first.coefs_[0])


# ------------------------------------------------------- scikit-learn clients
def test_pipeline_grid_search_and_cross_val_score():
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    y = y / y.std()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", ScratchMLPRegressor(max_iter=200, random_state=0)),
        ]
    )
    grid = GridSearchCV(
        pipe,
        {"mlp__hidden_layer_sizes": [(4,), (16,)], "mlp__alpha": [1e-4, 1e-1]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="r2",
    ).fit(X, y)
    assert set(grid.cv_results_["param_mlp__alpha"]) == {1e-4, 1e-1}
    assert grid.best_score_ > 0.8
    assert grid.predict(X).shape == (120,)
    scores = cross_val_score(pipe, X, y, cv=3, scoring="r2")
    assert scores.shape == (3,)
    assert (scores > 0.8).all()


# ---------------------------------------------------------- gradient check
@pytest.mark.parametrize("row_weights", [False, True], ids=["mean", "weights"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_agrees_with_the_reported_multi_output_loss(
    loss, activation, row_weights
):
    rng = np.random.default_rng(0)
    n, n_outputs = 7, 3
    X, Y = make_data(n_samples=n, n_features=4, n_outputs=n_outputs, loss=loss)
    layout = ParamLayout([4, 5, 3, n_outputs])
    acts = [ACTIVATIONS[activation]] * 2
    theta0 = rng.normal(scale=0.5, size=layout.size)
    if row_weights:
        w = rng.uniform(0.2, 3.0, n)
        row_scale = w / w.sum()
    else:
        row_scale = 1.0 / n
    l2_scale = 0.3

    def loss_grad(theta):
        net = Network(layout, theta, acts, HEADS[loss])
        ws = Workspace(layout.layer_units, n, np.float64, acts)
        grad = np.full_like(theta, np.nan)
        value = loss_and_gradient(net, Batch(X, Y, row_scale, l2_scale), ws, grad)
        return value, grad

    value, grad = loss_grad(theta0.copy())
    numeric = _helpers.central_difference(lambda t: loss_grad(t)[0], theta0)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    # The loss is the summed-over-outputs objective written out here.
    coefs, intercepts = layout.views(theta0)
    a = X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ W + b
        if layer < 2:
            a = np.maximum(a, 0.0) if activation == "relu" else np.tanh(a)
    if loss == "squared_error":
        per_row = 0.5 * ((a - Y) ** 2).sum(axis=1)
    else:
        per_row = (xlogy(Y, Y / np.exp(a)) - Y + np.exp(a)).sum(axis=1)
    penalty = 0.5 * l2_scale * sum(float((W**2).sum()) for W in coefs)
    expected = float(per_row @ np.broadcast_to(row_scale, (n,))) + penalty
    assert value == pytest.approx(expected, rel=1e-12)


def test_divergence_with_early_stopping_is_diagnosed_as_divergence():
    # scikit-learn's diverging-loss case: with early stopping the validation
    # rows overflow before the weights turn non-finite.
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    for early_stopping in (False, True):
        reg = ScratchMLPRegressor(
            hidden_layer_sizes=100,
            activation="identity",
            solver="sgd",
            learning_rate_init=1,
            max_iter=20,
            early_stopping=early_stopping,
            n_iter_no_change=10,
            random_state=0,
        )
        with pytest.raises(ValueError, match=r"Training diverged.*learning_rate_init"):
            reg.fit(X, y)


@pytest.mark.parametrize("kind", ["list", "str_array", "object_array"])
def test_string_targets_name_y_and_the_estimator(kind):
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = list("abcabc")
    y = {"list": y, "str_array": np.array(y), "object_array": np.array(y, object)}
    with pytest.raises(ValueError, match=r"ScratchMLPRegressor needs numeric.* y "):
        ScratchMLPRegressor(max_iter=3).fit(X, y[kind])


def test_numeric_object_targets_still_fit():
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.arange(6.0)
    a = ScratchMLPRegressor(max_iter=3, random_state=0).fit(X, y.astype(object))
    b = ScratchMLPRegressor(max_iter=3, random_state=0).fit(X, y)
    assert_array_equal(a.predict(X), b.predict(X))
