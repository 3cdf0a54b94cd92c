"""Our estimators on PyTorch tensors (CPU or CUDA) beside the same fits on NumPy.

Run from the repository root (PyTorch installed, e.g. ``pip install -e ".[torch]"``)::

    python benchmarks/bench_array_api.py --quick   # 20 000-row data, < 10 min
    python benchmarks/bench_array_api.py           # 100 000-row data
    python benchmarks/bench_array_api.py --only digits,predict --repeats 5
    python benchmarks/bench_array_api.py --device cuda --quick   # on a GPU

For every workload, dtype (float64, float32) and thread count (``--threads``,
default ``1,all``; ``all`` with ``--device cuda``), the same fit runs on NumPy
arrays and on torch tensors (with
``sklearn.config_context(array_api_dispatch=True)``), alternating; the table
gives the median times, the ratio PyTorch / NumPy, both test scores and the
largest difference between the two models' test predictions.  "1 thread"
limits NumPy's BLAS and every OpenMP pool with ``threadpoolctl`` and sets
``torch.set_num_threads(1)``; "all" gives both every usable core (PyTorch then
also parallelises the element-wise work that NumPy runs on one core).

``--device cuda`` puts the tensors on the first CUDA device
(``torch.cuda.synchronize()`` before and after every timed call, so queued
kernels are counted) while NumPy runs on the CPU.  Without PyTorch, or without
a usable CUDA device for ``--device cuda``, it prints why and exits with
status 0: the benchmark is skipped, not failed.

The workloads are described in ``_array_api_bench.py``.  Output: the markdown
table on stdout (progress on stderr), and ``benchmarks/results/array_api.json``
and ``.md`` (``array_api_quick.*`` with ``--quick``, ``array_api_cuda*`` with
``--device cuda``; ``--out PATH`` elsewhere).
"""

from __future__ import annotations

import os
import sys

# scikit-learn's array API dispatch needs it before scipy is first imported
os.environ["SCIPY_ARRAY_API"] = "1"

import _array_api_bench as aab


def unavailable(torch, device):
    """Why the PyTorch side cannot run on ``device`` here, or ``None``."""
    if torch is None:
        return (
            'PyTorch is not installed: pip install -e ".[torch]" (or any torch '
            ">= 2.1 build; a CUDA build for --device cuda), then run it again"
        )
    if device == "cuda" and not torch.cuda.is_available():
        build = torch.version.cuda
        return (
            f"torch.cuda.is_available() is False (PyTorch {torch.__version__}, "
            + ("a CPU-only build" if build is None else f"built for CUDA {build}")
            + "): no usable CUDA device"
        )
    return None


def main(argv=None):
    args = aab.parse_args(
        argv, "Time our estimators on PyTorch tensors beside NumPy arrays."
    )
    torch = aab.import_torch()
    reason = unavailable(torch, args.device)
    if reason is not None:
        print(f"bench_array_api.py --device {args.device} skipped: {reason}.")
        return 0
    sides = (aab.Side("numpy"), aab.Side("torch", args.device))
    if args.device == "cpu":
        title, extra = "sk_scratchnet on PyTorch CPU tensors vs NumPy arrays", None
    else:
        name = torch.cuda.get_device_name(0)
        title = "sk_scratchnet on CUDA tensors vs NumPy arrays on the CPU"
        extra = {
            "cuda_device": name,
            "torch_cuda": torch.version.cuda,
            "torch_device_note": f", CUDA {torch.version.cuda}, {name}",
        }
    return aab.main(args, sides, title, torch, extra_info=extra)


if __name__ == "__main__":
    sys.exit(main())
