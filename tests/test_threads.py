"""Tests for sk_scratchnet._threads: the BLAS thread count of a fit or predict."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import sk_scratchnet._fit_run as fit_run_module
import sk_scratchnet._network as network_module
import sk_scratchnet._tabular_training as tabular_training
from sk_scratchnet import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPRegressor,
    _threads,
)
from sk_scratchnet._threads import (
    ALREADY_SERIAL,
    SERIAL_BELOW,
    blas_threads,
    largest_product,
    one_thread,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def blas_counts():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """Run the test with two BLAS threads (skip where the BLAS has one)."""
    with threadpool_limits(limits=2, user_api="blas"):
        if not blas_counts() or min(blas_counts()) < 2:
            pytest.skip("the BLAS here cannot run two threads")
        yield


def spy_on(monkeypatch, module, name, seen):
    """Record the BLAS thread counts each time ``module.name`` is called."""
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(min(blas_counts()))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def test_largest_product_is_rows_times_the_widest_pair_of_layers():
    assert largest_product(200, (64, 100, 10)) == 200 * 64 * 100
    assert largest_product(7, (3, 5, 40, 2)) == 7 * 5 * 40
    assert largest_product(1, (4, 1)) == 4


def test_one_thread_between_openblas_threshold_and_serial_below():
    units = (64, 100, 10)  # widest pair: 6400 multiply-adds per row
    per_row = 64 * 100
    assert not one_thread(
        largest_product(ALREADY_SERIAL // per_row, units)
    )  # OpenBLAS is serial anyway
    assert one_thread(largest_product(ALREADY_SERIAL // per_row + 1, units))
    assert one_thread(largest_product((SERIAL_BELOW - 1) // per_row, units))
    assert not one_thread(largest_product(SERIAL_BELOW // per_row + 1, units))


def test_small_block_runs_on_one_thread_and_restores_the_count(two_threads):
    with blas_threads(200, (64, 100, 10)):
        assert blas_counts() and max(blas_counts()) == 1
    assert min(blas_counts()) == 2


def test_large_and_tiny_blocks_keep_the_threads(two_threads):
    with blas_threads(10_000, (784, 1024, 10)):
        assert min(blas_counts()) == 2
    with blas_threads(1, (64, 100, 10)):
        assert min(blas_counts()) == 2


def test_count_is_restored_after_an_exception(two_threads):
    with pytest.raises(RuntimeError), blas_threads(200, (64, 100, 10)):
        raise RuntimeError("inside")
    assert min(blas_counts()) == 2


def test_nested_blocks_restore_the_outer_count(two_threads):
    with blas_threads(200, (64, 100, 10)):
        with blas_threads(300, (64, 100, 10)):
            assert max(blas_counts()) == 1
        assert max(blas_counts()) == 1  # still inside the outer small block
    assert min(blas_counts()) == 2


def test_concurrent_small_passes_share_one_limit():
    # Python threads entering and leaving small passes in an interleaved order
    # all run on one thread; afterwards the count is the one found, and a later
    # thread can still set it (none is left holding the control of OpenBLAS).
    before = blas_counts()
    if not before or min(before) < 2:
        pytest.skip("the BLAS here runs one thread by default")
    start = threading.Barrier(4)
    seen, errors = [], []

    def work():
        try:
            start.wait()
            for _ in range(20):
                with blas_threads(200, (64, 100, 10)):
                    seen.append(max(blas_counts()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(seen) == {1}
    assert blas_counts() == before
    assert _threads._holders == 0
    later = []

    def limit_later():
        with threadpool_limits(limits=1, user_api="blas"):
            later.append(max(blas_counts()))

    t = threading.Thread(target=limit_later)
    t.start()
    t.join()
    assert later == [1]
    assert blas_counts() == before


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_small_fit_trains_on_one_thread(monkeypatch, two_threads, solver):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 64)), rng.integers(0, 3, 300)
    seen = []
    name = "fit_lbfgs" if solver == "lbfgs" else "fit_stochastic"
    spy_on(monkeypatch, fit_run_module, name, seen)
    ScratchMLPClassifier(max_iter=2, solver=solver, random_state=0).fit(X, y)
    assert seen == [1]
    assert min(blas_counts()) == 2


def test_large_fit_keeps_the_threads(monkeypatch, two_threads):
    # A problem past the threshold (lowered here so that the test stays fast).
    monkeypatch.setattr(_threads, "SERIAL_BELOW", ALREADY_SERIAL + 1)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 64)), rng.standard_normal(300)
    seen = []
    spy_on(monkeypatch, fit_run_module, "fit_stochastic", seen)
    ScratchMLPRegressor(max_iter=2, random_state=0).fit(X, y)
    assert seen == [2]


def test_fit_that_raises_restores_the_threads(two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 64)), rng.standard_normal(300)
    with pytest.raises(ValueError, match="Training diverged"):
        ScratchMLPRegressor(
            solver="sgd", learning_rate_init=1e6, max_iter=50, random_state=0
        ).fit(X, y * 1e6)
    assert min(blas_counts()) == 2


def test_the_batch_size_decides_a_stochastic_fit(monkeypatch, two_threads):
    monkeypatch.setattr(_threads, "SERIAL_BELOW", 100 * 64 * 100)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((400, 64)), rng.integers(0, 3, 400)
    seen = []
    spy_on(monkeypatch, fit_run_module, "fit_stochastic", seen)
    for batch_size in (50, 200):  # 50 rows: below; 200 rows: above
        ScratchMLPClassifier(max_iter=1, batch_size=batch_size).fit(X, y)
    assert seen == [1, 2]


def test_predict_on_many_rows_uses_one_thread_for_a_small_model(
    monkeypatch, two_threads
):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 64)), rng.integers(0, 3, 300)
    clf = ScratchMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    seen = []
    spy_on(monkeypatch, network_module, "predict_score", seen)
    clf.predict_proba(X[:1])  # one row: OpenBLAS is serial anyway, left alone
    clf.predict_proba(X)
    assert seen == [2, 1]
    assert min(blas_counts()) == 2


def test_tabular_fit_and_predict_choose_too(monkeypatch, two_threads):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 5)), rng.standard_normal(300)
    seen = []
    # scored once per epoch, inside the training loop
    spy_on(monkeypatch, tabular_training, "validation_score", seen)
    reg = TabularMLPRegressor(max_epochs=2, random_state=0).fit(X, y)
    assert seen == [1, 1]
    assert min(blas_counts()) == 2
    reg.predict(X)
    assert min(blas_counts()) == 2


def test_results_do_not_depend_on_the_caller_limit():
    # With the choice made inside, a caller's one-thread limit changes nothing
    # for a small problem: the same bits either way.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 64)), rng.integers(0, 3, 300)
    free = ScratchMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    with threadpool_limits(limits=1, user_api="blas"):
        pinned = ScratchMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    for a, b in zip(free.coefs_, pinned.coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(free.predict_proba(X), pinned.predict_proba(X))


class _FakeLibrary:
    """A BLAS controller that records what it is set to."""

    def __init__(self, num_threads):
        self.num_threads = num_threads
        self.calls = []

    def set_num_threads(self, n):
        self.calls.append(n)
        self.num_threads = n


def test_libraries_that_cannot_report_their_count_are_left_alone(monkeypatch):
    two, unknown, one = _FakeLibrary(2), _FakeLibrary(None), _FakeLibrary(1)
    monkeypatch.setattr(_threads, "_blas_libraries", lambda: [two, unknown, one])
    with blas_threads(200, (64, 100, 10)):
        assert two.num_threads == 1
    assert two.calls == [1, 2]
    assert unknown.calls == []
    assert one.calls == [1, 1]
    # already one thread everywhere: nothing to set at all
    monkeypatch.setattr(_threads, "_blas_libraries", lambda: [one, unknown])
    one.calls.clear()
    with blas_threads(200, (64, 100, 10)):
        pass
    assert one.calls == [] and unknown.calls == []
