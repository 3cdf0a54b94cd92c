"""Our estimators on CUDA tensors beside the same fits on NumPy arrays (CPU).

Run from the repository root on a machine with an NVIDIA GPU and a CUDA build
of PyTorch::

    python benchmarks/bench_cuda.py --quick    # 20 000-row data
    python benchmarks/bench_cuda.py            # 100 000-row data

It prints the table of ``bench_array_api.py`` with the second side on the
first CUDA device (``torch.cuda.synchronize()`` before and after every timed
call, so queued kernels are counted); NumPy runs on the CPU with ``--threads``
(default: every usable core).  Without PyTorch or without a CUDA device it
prints why and exits with status 0: the benchmark is skipped, not failed.

Output: the markdown table on stdout and ``benchmarks/results/array_api_cuda.json``
and ``.md`` (``array_api_cuda_quick.*`` with ``--quick``; ``--out PATH``
elsewhere).
"""

from __future__ import annotations

import os
import sys

# scikit-learn's array API dispatch needs it before scipy is first imported
os.environ["SCIPY_ARRAY_API"] = "1"

import _array_api_bench as aab


def cuda_unavailable(torch):
    """Why no CUDA benchmark can run here, or ``None`` when one can."""
    if torch is None:
        return "PyTorch is not installed (a CUDA build is needed)"
    if not torch.cuda.is_available():
        build = torch.version.cuda
        return (
            f"torch.cuda.is_available() is False (PyTorch {torch.__version__}, "
            + ("a CPU-only build" if build is None else f"built for CUDA {build}")
            + "): no usable CUDA device"
        )
    return None


def main(argv=None):
    args = aab.parse_args(
        argv,
        "Time our estimators on CUDA tensors beside NumPy arrays on the CPU.",
        default_threads="all",
        default_stem="array_api_cuda",
    )
    torch = aab.import_torch()
    reason = cuda_unavailable(torch)
    if reason is not None:
        print(f"bench_cuda.py skipped: {reason}.")
        return 0
    device = torch.cuda.get_device_name(0)
    sides = (aab.Side("numpy"), aab.Side("torch", "cuda"))
    return aab.main(
        args,
        sides,
        "sk_scratchnet on CUDA tensors vs NumPy arrays on the CPU",
        torch,
        extra_info={
            "cuda_device": device,
            "torch_cuda": torch.version.cuda,
            "torch_device_note": f", CUDA {torch.version.cuda}, {device}",
        },
    )


if __name__ == "__main__":
    sys.exit(main())
