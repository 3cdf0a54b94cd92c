"""array-api-strict arrays on two devices, shared by the namespace and device tests.

Importing this module skips the importing test module when array-api-strict is
not installed (it is a test extra).
"""

import numpy as np
import pytest
from scipy import sparse

xps = pytest.importorskip("array_api_strict")

TORCH_REASON = "PyTorch is an optional extra: pip install torch"

# (NumPy dtype name, array-api-strict device name)
PLACES = [("float64", "CPU_DEVICE"), ("float32", "device1")]
PLACE_IDS = ["float64-CPU_DEVICE", "float32-device1"]


def strict_device(name):
    return xps.Device(name)


def strict_array(a, place):
    """NumPy ``a`` as an array-api-strict array of ``place``'s dtype and device."""
    dtype, device = place
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return xps.asarray(a.astype(dtype), device=strict_device(device))
    return xps.asarray(a, device=strict_device(device))


def host_values():
    """Values that live on the host and name no array namespace of their own."""
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    return [
        None,
        [[1.0, 2.0]],
        (1.0, 2.0),
        frame,
        frame["a"],
        np.ones(3),
        sparse.csr_matrix(np.eye(2)),
    ]
