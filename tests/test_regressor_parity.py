"""Step-for-step equivalence of ScratchMLPRegressor with MLPRegressor (issue 12).

From the same ``random_state`` both draw the same initial weights and, for sgd
(momentum, Nesterov) and adam, take the same steps: the weights agree to a few
ulps after 5 epochs, for squared error and Poisson, one and several outputs,
float64 and float32, with and without shuffling, in warm start and partial_fit.
L-BFGS agrees to ~1e-8 with the same number of iterations.

The one deliberate difference is scikit-learn #8349: with several outputs
MLPRegressor reports the squared error averaged over the outputs but follows the
gradient of their sum.  The stochastic solvers only follow the gradient, so the
weights still agree and only the reported loss differs (by ``n_outputs_``, at
``alpha=0``); L-BFGS line-searches the reported loss, so there the two part ways
(after a few dozen iterations here: MLPRegressor's line search gives up early),
and we check instead that ours ends where the gradient of its reported loss is
zero.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPRegressor

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

# Same arithmetic up to summation order: a few ulps in float64.
STEP_ATOL_F64 = 1e-12
STEP_ATOL_F32 = 2e-6
LBFGS_ATOL = 1e-8

STOCHASTIC_CONFIGS = {
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False},
    "sgd-nesterov": {"solver": "sgd", "nesterovs_momentum": True},
    "adam": {"solver": "adam"},
}


def make_data(n_samples=60, n_features=4, n_outputs=1, loss="squared_error", seed=0):
    return _helpers.make_regression_data(
        n_samples, n_features, n_outputs, loss, seed, amplitude=2.0, log_offset=0.5
    )


def weights_of(est):
    return [*est.coefs_, *est.intercepts_]


def max_abs_diff(a, b):
    return max(
        float(np.abs(u.astype(float) - v.astype(float)).max())
        for u, v in zip(weights_of(a), weights_of(b), strict=True)
    )


def both(**params):
    return MLPRegressor(**params), ScratchMLPRegressor(**params)


def stochastic_params(config, loss, shuffle, **extra):
    params = {
        "loss": loss,
        "hidden_layer_sizes": (7, 5),
        "activation": "tanh",
        "random_state": 0,
        "max_iter": 5,
        "shuffle": shuffle,
        "batch_size": 16,  # 4 mini-batches per epoch, the last one short
        "learning_rate_init": 0.02,
        "alpha": 1e-2,
        "tol": 0.0,
        "n_iter_no_change": 100,
    }
    params.update(STOCHASTIC_CONFIGS[config])
    params.update(extra)
    return params


def objective(est, X, Y, alpha):
    """Our whole-set objective (summed over outputs) at ``est``'s weights."""
    layout = ParamLayout([X.shape[1], *[c.shape[1] for c in est.coefs_]])
    theta = layout.pack(est.coefs_, est.intercepts_, np.float64)
    return _loss_and_gradient(layout, theta, est, X, Y, alpha)


def _loss_and_gradient(layout, theta, est, X, Y, alpha):
    acts = [ACTIVATIONS[est.activation]] * (len(est.coefs_) - 1)
    head = HEADS[est.loss]
    n = X.shape[0]
    grad = np.empty_like(theta)
    ws = Workspace(layout.layer_units, n, np.float64, acts)
    net = Network(layout, theta, acts, head)
    loss = loss_and_gradient(net, Batch(X, Y, 1.0 / n, alpha / n), ws, grad)
    return loss, grad


# ------------------------------------------------- step-for-step equivalence
@pytest.mark.parametrize("shuffle", [False, True], ids=["noshuffle", "shuffle"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("config", list(STOCHASTIC_CONFIGS))
def test_stochastic_solvers_equal_mlpregressor_step_for_step(
    config, loss, n_outputs, shuffle
):
    X, Y = make_data(n_outputs=n_outputs, loss=loss)
    ref, ours = both(**stochastic_params(config, loss, shuffle))
    ref.fit(X, Y)
    ours.fit(X, Y)
    assert ours.n_iter_ == ref.n_iter_ == 5
    assert ours.t_ == ref.t_
    assert max_abs_diff(ours, ref) < STEP_ATOL_F64
    assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-10, atol=1e-12)
    if loss == "poisson" or n_outputs == 1:
        # The same reported loss (Poisson deviance is summed over outputs by both).
        assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
        assert ours.best_loss_ == pytest.approx(ref.best_loss_, rel=1e-10)


@pytest.mark.parametrize("config", list(STOCHASTIC_CONFIGS))
def test_multi_output_squared_error_loss_is_n_outputs_times_mlpregressors(config):
    # scikit-learn #8349: MLPRegressor averages the squared error over the
    # outputs, ours sums it (the objective both follow the gradient of).  At
    # alpha=0 the curves differ by exactly that factor; the weights agree.
    X, Y = make_data(n_outputs=3)
    ref, ours = both(**stochastic_params(config, "squared_error", True, alpha=0.0))
    ref.fit(X, Y)
    ours.fit(X, Y)
    assert max_abs_diff(ours, ref) < STEP_ATOL_F64
    assert_allclose(ours.loss_curve_, np.multiply(ref.loss_curve_, 3), rtol=1e-12)
    assert ours.loss_ == pytest.approx(3 * ref.loss_, rel=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("hidden", [(5,), (6, 4, 3)])
def test_initial_weights_equal_mlpregressor(hidden, loss):
    # A step of 1e-300 * gradient is far below half an ulp of any weight.
    X, y = make_data(loss=loss)
    params = {
        "loss": loss,
        "hidden_layer_sizes": hidden,
        "solver": "sgd",
        "learning_rate_init": 1e-300,
        "max_iter": 1,
        "random_state": 42,
    }
    ref, ours = both(**params)
    ref.fit(X, y)
    ours.fit(X, y)
    for u, v in zip(weights_of(ours), weights_of(ref), strict=True):
        assert_array_equal(u, v)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("config", list(STOCHASTIC_CONFIGS))
def test_float32_close_to_mlpregressor(config, loss):
    X, Y = make_data(n_outputs=2, loss=loss)
    X = X.astype(np.float32)
    ref, ours = both(**stochastic_params(config, loss, True))
    ref.fit(X, Y)
    ours.fit(X, Y)
    assert all(w.dtype == np.float32 for w in weights_of(ours))
    assert all(w.dtype == np.float32 for w in weights_of(ref))
    assert ours.predict(X).dtype == np.float32
    assert max_abs_diff(ours, ref) < STEP_ATOL_F32


# ------------------------------------------------------------------- lbfgs
def lbfgs_params(loss, **extra):
    params = {
        "loss": loss,
        "hidden_layer_sizes": (7,),
        "activation": "tanh",
        "solver": "lbfgs",
        "max_iter": 30,
        "alpha": 1e-3,
        "random_state": 0,
    }
    params.update(extra)
    return params


@pytest.mark.parametrize(
    ("loss", "n_outputs"),
    [("squared_error", 1), ("poisson", 1), ("poisson", 3)],
)
def test_lbfgs_equals_mlpregressor(loss, n_outputs):
    X, Y = make_data(n_outputs=n_outputs, loss=loss)
    ref, ours = both(**lbfgs_params(loss))
    ref.fit(X, Y)
    ours.fit(X, Y)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.n_iter_ >= 20
    assert max_abs_diff(ours, ref) < LBFGS_ATOL
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-9)
    assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-7, atol=1e-9)


def _central_differences(layout, theta, est, X, Y, alpha, eps=1e-6):
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        numeric[i] = (
            _loss_and_gradient(layout, plus, est, X, Y, alpha)[0]
            - _loss_and_gradient(layout, minus, est, X, Y, alpha)[0]
        ) / (2 * eps)
    return numeric


def test_multi_output_lbfgs_stops_where_the_reported_loss_is_stationary():
    # scikit-learn #8349: MLPRegressor line-searches the loss averaged over the
    # outputs with the gradient of their sum, and its line search gives up early
    # (31 iterations here).  Ours minimises one objective with its own gradient:
    # at the end the central-difference gradient of the reported loss equals the
    # analytic one and is ~0, and the objective is below MLPRegressor's.
    X, Y = make_data(n_outputs=3)
    alpha = 1.0
    params = lbfgs_params("squared_error", max_iter=2000, tol=1e-10, alpha=alpha)
    ref, ours = both(**params)
    ref.fit(X, Y)
    ours.fit(X, Y)
    layout = ParamLayout([4, 7, 3])
    theta = layout.pack(ours.coefs_, ours.intercepts_, np.float64)
    loss, grad = _loss_and_gradient(layout, theta, ours, X, Y, alpha)
    assert loss == pytest.approx(ours.loss_, rel=1e-12)
    numeric = _central_differences(layout, theta, ours, X, Y, alpha)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(numeric).max() < 1e-4
    # MLPRegressor's end point, measured with the objective it differentiates.
    theta_ref = layout.pack(ref.coefs_, ref.intercepts_, np.float64)
    loss_ref, grad_ref = _loss_and_gradient(layout, theta_ref, ours, X, Y, alpha)
    assert np.abs(grad_ref).max() > 10 * np.abs(numeric).max()
    assert ours.loss_ < loss_ref


def test_lbfgs_float32_stays_float32_and_close_to_mlpregressor():
    # MLPRegressor's lbfgs returns float64 weights; ours keeps float32.
    X, y = make_data()
    X = X.astype(np.float32)
    ref, ours = both(**lbfgs_params("squared_error", max_iter=5))
    ref.fit(X, y)
    ours.fit(X, y)
    assert all(w.dtype == np.float32 for w in weights_of(ours))
    assert ours.predict(X).dtype == np.float32
    assert max_abs_diff(ours, ref) < 1e-4


# ------------------------------------------------- warm start and partial_fit
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_equals_mlpregressor(solver, loss):
    X, Y = make_data(n_outputs=2 if loss == "poisson" else 1, loss=loss)
    params = {
        "loss": loss,
        "hidden_layer_sizes": (6,),
        "solver": solver,
        "random_state": 0,
        "max_iter": 3 if solver != "lbfgs" else 10,
        "warm_start": True,
        "learning_rate_init": 0.02,
    }
    ref, ours = both(**params)
    for _ in range(2):
        ref.fit(X, Y)
        ours.fit(X, Y)
        assert ours.n_iter_ == ref.n_iter_
        assert ours.t_ == ref.t_
    if solver == "lbfgs":
        assert max_abs_diff(ours, ref) < LBFGS_ATOL
    else:
        assert max_abs_diff(ours, ref) < STEP_ATOL_F64
        assert len(ours.loss_curve_) == 6
        assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("shuffle", [False, True], ids=["noshuffle", "shuffle"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("config", ["sgd-nesterov", "adam"])
def test_partial_fit_equals_mlpregressor(config, loss, shuffle):
    X, Y = make_data(n_samples=80, n_outputs=2 if loss == "poisson" else 1, loss=loss)
    ref, ours = both(**stochastic_params(config, loss, shuffle))
    for call, rows in enumerate(np.array_split(np.arange(80), 4), start=1):
        ref.partial_fit(X[rows], Y[rows])
        ours.partial_fit(X[rows], Y[rows])
        assert ours.n_iter_ == ref.n_iter_ == 1
        assert ours.t_ == ref.t_ == rows[-1] + 1
        assert len(ours.loss_curve_) == call
        assert max_abs_diff(ours, ref) < STEP_ATOL_F64
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_multi_output_stops_where_mlpregressor_stops(solver):
    # Our loss sums the squared error over the outputs (the objective whose
    # gradient both follow); tol is compared on scikit-learn's per-output scale.
    X, y = make_regression(200, 6, n_targets=3, noise=20, random_state=0)
    y = y / y.std()
    params = {
        "hidden_layer_sizes": (16,),
        "max_iter": 2000,
        "random_state": 0,
        "solver": solver,
    }
    theirs = MLPRegressor(**params).fit(X, y)
    ours = ScratchMLPRegressor(**params).fit(X, y)
    assert theirs.n_iter_ < params["max_iter"]
    assert ours.n_iter_ == theirs.n_iter_
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # the reported loss stays the summed one: best_loss_ is min(loss_curve_)
    assert ours.best_loss_ == min(ours.loss_curve_)
