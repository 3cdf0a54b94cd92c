"""The shared estimator layer (sk_scratchnet._base): parameters and random state.

The parameter names and the parameter validation are cached per class; these
tests check that the caches follow subclasses, new constraints and value types,
that every invalid value still raises scikit-learn's ``InvalidParameterError``
with its message, and that the cheaply built random generator draws
``RandomState(seed)``'s stream.
"""

import inspect
import pickle
from numbers import Integral, Real

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.utils._param_validation import Interval, InvalidParameterError

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
from sk_scratchnet._params import _ACCEPTED, _MEMO_SIZE

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=30):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    return X, X[:, 0] - X[:, 1]


def _fit(est):
    X, y = _data()
    return est.fit(X, y)


class _WithExtra(ScratchMLPRegressor):
    """A subclass with one more parameter and a tighter ``alpha``."""

    _parameter_constraints: dict = {
        **ScratchMLPRegressor._parameter_constraints,
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "extra": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(3,), *, alpha=1e-4, max_iter=2, extra=0):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, alpha=alpha)
        self.max_iter = max_iter
        self.extra = extra


def _signature_names(cls):
    return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")


@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_param_names_are_the_signature(cls):
    assert cls._get_param_names() == _signature_names(cls)
    # a copy each time: callers may change the list
    cls._get_param_names().append("oops")
    assert "oops" not in cls._get_param_names()


def test_param_names_follow_a_subclass_that_adds_a_parameter():
    assert "extra" not in ScratchMLPRegressor._get_param_names()  # parent first
    assert _WithExtra._get_param_names() == _signature_names(_WithExtra)
    assert "extra" in _WithExtra().get_params()
    assert "extra" not in ScratchMLPRegressor().get_params()


def test_param_names_follow_a_new_init(monkeypatch):
    class Sub(ScratchMLPRegressor):
        pass

    assert Sub._get_param_names() == ScratchMLPRegressor._get_param_names()

    def init(self, hidden_layer_sizes=(3,), *, tag="a"):
        ScratchMLPRegressor.__init__(self, hidden_layer_sizes=hidden_layer_sizes)
        self.tag = tag

    monkeypatch.setattr(Sub, "__init__", init)
    assert Sub._get_param_names() == ["hidden_layer_sizes", "tag"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": -1.0}, "The 'alpha' parameter of ScratchMLPRegressor must be a "
         "float in the range [0.0, inf). Got -1.0 instead."),
        ({"max_iter": 1.0}, "The 'max_iter' parameter of ScratchMLPRegressor must "
         "be an int in the range [1, inf). Got 1.0 instead."),
        ({"solver": "foo"}, "The 'solver' parameter of ScratchMLPRegressor must be "
         "a str among"),
        ({"random_state": -3}, "The 'random_state' parameter of ScratchMLPRegressor "
         "must be an int in the range [0, 4294967295]"),
        ({"momentum": np.float64(2.0)}, "The 'momentum' parameter of "
         "ScratchMLPRegressor must be a float in the range [0.0, 1.0]. Got "),
    ],
)  # fmt: skip
def test_invalid_values_raise_after_valid_ones_of_the_same_parameter(params, message):
    # valid values of the same parameters (equal numbers of another type too)
    _fit(ScratchMLPRegressor(hidden_layer_sizes=(3,), max_iter=1, random_state=0))
    _fit(ScratchMLPRegressor(hidden_layer_sizes=(3,), momentum=np.float64(0.5)))
    for _ in range(2):  # the memo of accepted values never accepts them
        with pytest.raises(InvalidParameterError) as info:
            _fit(ScratchMLPRegressor(hidden_layer_sizes=(3,), **params))
        assert str(info.value).startswith(message)


def test_the_first_invalid_parameter_is_reported_as_scikit_learn_does():
    _fit(ScratchMLPRegressor(hidden_layer_sizes=(3,), alpha=0.5, max_iter=2))
    est = ScratchMLPRegressor(hidden_layer_sizes=(3,), alpha=-1.0, max_iter=0)
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        _fit(est)  # parameters are checked in sorted order: alpha first


def test_a_subclass_with_other_constraints_is_checked_against_its_own():
    _fit(ScratchMLPRegressor(hidden_layer_sizes=(3,), alpha=5.0, max_iter=2))
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of _WithExtra"):
        _fit(_WithExtra(alpha=5.0))
    with pytest.raises(InvalidParameterError, match="'extra' parameter of _WithExtra"):
        _fit(_WithExtra(extra=-1))
    assert _fit(_WithExtra(alpha=0.5, extra=3)).n_iter_ == 2


def test_new_constraints_on_a_class_are_checked(monkeypatch):
    class Sub(ScratchMLPRegressor):
        pass

    _fit(Sub(hidden_layer_sizes=(3,), alpha=5.0, max_iter=2))
    monkeypatch.setattr(
        Sub,
        "_parameter_constraints",
        {**Sub._parameter_constraints, "alpha": [Interval(Real, 0, 1, closed="both")]},
    )
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of Sub"):
        _fit(Sub(hidden_layer_sizes=(3,), alpha=5.0, max_iter=2))


def test_values_outside_the_memo_are_checked_every_time():
    X, y = _data()
    rng = np.random.RandomState(0)
    est = ScratchMLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=rng)
    est.fit(X, y)
    est.set_params(random_state="not a seed")
    with pytest.raises(InvalidParameterError, match="'random_state' parameter"):
        est.fit(X, y)
    est.set_params(random_state=0, hidden_layer_sizes=[3])  # a list: not memoised
    assert est.fit(X, y).coefs_[0].shape == (3, 3)
    est.set_params(hidden_layer_sizes=[0.5])  # passes the array-like constraint
    with pytest.raises(ValueError, match="hidden_layer_sizes must contain positive"):
        est.fit(X, y)


def test_the_memo_of_accepted_values_stays_bounded():
    est = ScratchMLPClassifier()
    for alpha in np.linspace(0, 1, 2 * _MEMO_SIZE):
        est.set_params(alpha=float(alpha))._validate_params()
    assert len(_ACCEPTED[ScratchMLPClassifier].keys) <= _MEMO_SIZE


def test_the_kept_generator_is_not_on_the_estimator_and_fits_stay_the_same():
    X, y = _data()
    est = ScratchMLPRegressor(hidden_layer_sizes=(3,), max_iter=3, random_state=5)
    first = [c.copy() for c in est.fit(X, y).coefs_]
    assert "_seeded_rng" not in est.__dict__
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict(X), est.predict(X))
    for again in (loaded.fit(X, y), est.fit(X, y)):
        for a, b in zip(again.coefs_, first):
            assert_array_equal(a, b)


def test_a_new_fit_trains_new_arrays_and_leaves_the_old_ones_alone():
    X, y = _data()
    est = ScratchMLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    old = est.fit(X, y).coefs_ + est.intercepts_
    kept = [a.copy() for a in old]
    est.fit(X[::-1], y[::-1] + 1.0)
    for a, b in zip(old, kept):
        assert_array_equal(a, b)
    new = est.coefs_ + est.intercepts_
    assert not any(np.shares_memory(a, b) for a in new for b in old)
