"""Our estimators on PyTorch-CPU tensors beside the same fits on NumPy arrays.

Run from the repository root (PyTorch installed, e.g. ``pip install -e ".[torch]"``)::

    python benchmarks/bench_array_api.py --quick   # 20 000-row data, < 10 min
    python benchmarks/bench_array_api.py           # 100 000-row data
    python benchmarks/bench_array_api.py --only digits,predict --repeats 5

For every workload, dtype (float64, float32) and thread count (``--threads``,
default ``1,all``), the same fit runs on NumPy arrays and on torch CPU tensors
(with ``sklearn.config_context(array_api_dispatch=True)``), alternating; the
table gives the median times, the ratio PyTorch / NumPy, both test scores and
the largest difference between the two models' test predictions.  "1 thread"
limits NumPy's BLAS and every OpenMP pool with ``threadpoolctl`` and sets
``torch.set_num_threads(1)``; "all" gives both every usable core (PyTorch then
also parallelises the element-wise work that NumPy runs on one core).

The workloads are described in ``_array_api_bench.py``.  Output: the markdown
table on stdout (progress on stderr), and ``benchmarks/results/array_api.json``
and ``.md`` (``array_api_quick.*`` with ``--quick``; ``--out PATH`` elsewhere).
``bench_cuda.py`` runs the same table with the tensors on a CUDA device.
"""

from __future__ import annotations

import os
import sys

# scikit-learn's array API dispatch needs it before scipy is first imported
os.environ["SCIPY_ARRAY_API"] = "1"

import _array_api_bench as aab


def main(argv=None):
    args = aab.parse_args(
        argv,
        "Time our estimators on PyTorch CPU tensors beside NumPy arrays.",
        default_threads="1,all",
        default_stem="array_api",
    )
    torch = aab.import_torch()
    if torch is None:
        sys.exit(
            "bench_array_api.py needs PyTorch, which is not installed: "
            'pip install -e ".[torch]" (or any torch >= 2.1 build), then run it again'
        )
    sides = (aab.Side("numpy"), aab.Side("torch", "cpu"))
    return aab.main(
        args, sides, "sk_scratchnet on PyTorch CPU tensors vs NumPy arrays", torch
    )


if __name__ == "__main__":
    sys.exit(main())
