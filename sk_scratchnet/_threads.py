"""How many BLAS threads a fit or a predict uses, chosen from the problem's size.

Almost all the arithmetic of a step is matrix products (the forward pass's
``z = a @ W + b``, the backward pass's ``dW = a.T @ dz`` and ``da = dz @ W.T``),
computed by the BLAS NumPy links against.  A threaded BLAS splits one product
between its threads, and on a small product the split costs more than it gains
as soon as the cores are not idle: after each product the threads wait for one
another, and a thread the operating system has parked behind another process
holds the others up for a time slice.  A fit of ``load_digits`` (100 hidden
units, mini-batches of 200 rows: products of 1.3 M multiply-adds) is a few times
slower on two threads than on one beside a single busy process on a two-core
machine, and barely faster on two when the machine is idle
(``benchmarks/bench_threads.py`` measures it).

So a call whose largest matrix product is small runs on one BLAS thread
(:func:`blas_threads`); a large one keeps the threads the process has, where
each product is long enough to pay for the split.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from functools import cache
from operator import mul

from threadpoolctl import OpenBLASController, ThreadpoolController

#: A call whose largest matrix product has fewer multiply-adds than this runs
#: on one BLAS thread (2**26: about 2 ms of one core's time per product).
SERIAL_BELOW = 1 << 26

#: OpenBLAS computes a product of at most this many multiply-adds on one thread
#: anyway (its multithreading threshold), so smaller calls are left alone: a
#: one-row predict does not pay for changing the thread count.
ALREADY_SERIAL = 1 << 18


def largest_product(n_rows: int, layer_units) -> int:
    """Multiply-adds of the largest product ``(n_rows, a) @ (a, b)`` of a pass.

    ``layer_units`` are the widths of the dense layers' inputs and outputs,
    ``(n_features, *hidden_layer_sizes, n_outputs)``; the backward pass's
    products (``a.T @ dz`` and ``dz @ W.T``) have the same three sizes.
    """
    units = list(layer_units)
    return int(n_rows) * int(max(map(mul, units[:-1], units[1:])))


def one_thread(work: int) -> bool:
    """Whether a pass whose largest product has ``work`` multiply-adds is small."""
    return ALREADY_SERIAL < work < SERIAL_BELOW


@cache
def _blas_libraries():
    # Finding the loaded BLAS libraries takes milliseconds: do it once.
    return ThreadpoolController().select(user_api="blas").lib_controllers


def _set_counts(counts):
    for library, count in zip(_blas_libraries(), counts):
        if count is not None:  # None: a library that cannot report its count
            library.set_num_threads(count)
    # threadpoolctl >= 3.8 lets one Python thread at a time set OpenBLAS's
    # count, and hands that control back when a limit ends: so do we.
    release = getattr(OpenBLASController, "clear_controlling_thread", None)
    if release is not None:
        release()


_lock = threading.Lock()
_holders = 0  # calls inside a one-thread block, in any Python thread
_saved = None  # the counts found by the first of them (None: already one)


class _OneThread:
    """The process-wide one-thread limit, entered and left by every small pass."""

    def __enter__(self):
        global _holders, _saved
        with _lock:
            if _holders == 0:
                counts = [library.num_threads for library in _blas_libraries()]
                _saved = None if all(c in (1, None) for c in counts) else counts
                if _saved is not None:
                    _set_counts([None if c is None else 1 for c in counts])
            _holders += 1
        return self

    def __exit__(self, *exc_info):
        global _holders
        with _lock:
            _holders -= 1
            if _holders == 0 and _saved is not None:
                _set_counts(_saved)
        return False


_NO_LIMIT = nullcontext()
_ONE_THREAD = _OneThread()


def blas_threads(n_rows: int, layer_units):
    """Return the context a pass over ``n_rows`` rows runs in (:func:`one_thread`).

    One BLAS thread for a small pass, the counts as they are otherwise.  A
    process has one OpenBLAS thread pool, so the limit is the process's: the
    first small pass to start (in any Python thread) sets one thread, the last
    one to end puts back the counts the first found, also on an exception.
    Small passes in concurrent threads thus all run on one thread (the same
    bits as a serial call); a large pass that overlaps one does too.
    """
    return limit_for(largest_product(n_rows, layer_units))


def limit_for(work: int):
    """Return :func:`blas_threads`'s context for a largest product of ``work``."""
    return _ONE_THREAD if one_thread(work) else _NO_LIMIT
