"""scikit-learn's own MLP test module, run against our two estimators.

Nothing of ``sklearn/neural_network/tests/test_mlp.py`` is copied: the installed
module is imported, and each of its ``test_*`` functions is rebuilt here from its
own code object with a copy of the module's globals in which ``MLPClassifier`` and
``MLPRegressor`` are ours.  Parametrize marks whose values name scikit-learn's
classes (``@pytest.mark.parametrize("MLPEstimator", [MLPClassifier, ...])``) are
re-applied with our classes in their place.  Tests that read private attributes
of scikit-learn's classes, or that contradict a documented difference (docs,
"Differences from MLPClassifier"), are skipped with a one-line reason; every
other upstream test must pass.
"""

import types

import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor

try:
    from sklearn.neural_network.tests import test_mlp as upstream
except ImportError:  # scikit-learn installed without its tests
    pytest.skip(
        "the installed scikit-learn ships no sklearn/neural_network/tests",
        allow_module_level=True,
    )

OURS = {MLPClassifier: ScratchMLPClassifier, MLPRegressor: ScratchMLPRegressor}

SKIPPED = {
    "test_fit": "sets MLPClassifier's private solver state (_coef_grads, ...)",
    "test_gradient": "calls MLPClassifier._loss_grad_lbfgs (private)",
    "test_n_iter_no_change": "reads MLPClassifier._no_improvement_count (private)",
    "test_n_iter_no_change_inf": "reads MLPClassifier._no_improvement_count",
    "test_mlp_partial_fit_after_fit": (
        "docs: partial_fit with early_stopping=True trains, it does not raise"
    ),
    "test_nonfinite_params": (
        "docs: divergence raises our message (learning_rate_init, scaling)"
    ),
    "test_mlp_diverging_loss": (
        "docs: divergence raises at once instead of recording NaN scores"
    ),
    "test_predict_proba_multilabel": (
        "docs: predict_log_proba is the log-sigmoid, not log(predict_proba)"
    ),
    "test_early_stopping_stratified": (
        "docs, early-stopping split: its error names label [1], not ['True']"
    ),
}
# Single parametrized cases: (test name, our class) -> reason.
SKIPPED_CASES = {
    ("test_preserve_feature_names", ScratchMLPClassifier): (
        "docs: a single-class y raises (upstream fits y = [1, ..., 1])"
    ),
}


@pytest.fixture
def global_random_seed():
    """scikit-learn's conftest fixture, at its default seed."""
    return 42


def _swap(value):
    """``value`` with scikit-learn's MLP classes replaced by ours, recursively."""
    if isinstance(value, type) and value in OURS:
        return OURS[value]
    if isinstance(value, tuple | list):
        return type(value)(_swap(v) for v in value)
    return value


def _with_skipped_cases(name, values):
    """Parametrize values, the cases listed in SKIPPED_CASES marked as skipped."""
    return [
        pytest.param(value, marks=pytest.mark.skip(reason=SKIPPED_CASES[name, value]))
        if isinstance(value, type) and (name, value) in SKIPPED_CASES
        else value
        for value in values
    ]


def _rebuilt(name, function, namespace):
    test = types.FunctionType(
        function.__code__,
        namespace,
        name,
        function.__defaults__,
        function.__closure__,
    )
    test.__doc__ = function.__doc__
    test.__module__ = __name__
    # pytestmark lists marks innermost first: re-apply them in that order.
    for mark in getattr(function, "pytestmark", []):
        args, kwargs = mark.args, dict(mark.kwargs)
        if mark.name == "parametrize":
            values = _with_skipped_cases(name, _swap(args[1]))
            args = (args[0], values, *args[2:])
        test = getattr(pytest.mark, mark.name)(*args, **kwargs)(test)
    if name in SKIPPED:
        test = pytest.mark.skip(reason=SKIPPED[name])(test)
    return test


def _rebuild_upstream_tests():
    namespace = dict(vars(upstream))
    namespace.update(
        {sk.__name__: ours for sk, ours in OURS.items()},
    )
    tests = {
        name: _rebuilt(name, function, namespace)
        for name, function in vars(upstream).items()
        if name.startswith("test_") and isinstance(function, types.FunctionType)
    }
    unknown = set(SKIPPED) - set(tests)
    assert not unknown, f"skipped tests no longer upstream: {sorted(unknown)}"
    return tests


globals().update(_rebuild_upstream_tests())
