"""Public helpers every benchmark script shares: the harness.

Timing (:func:`timed_fit`, :func:`call_times`), interleaved rounds
(:func:`interleaved`), the machine (:func:`cpu_model`, :func:`numpy_blas`,
:func:`machine_info`, :func:`machine_markdown`), the one time formatter
(:func:`fmt_time`), the one peak-memory reader (:func:`proc_status_kib`,
:func:`reset_peak_rss`, :func:`peak_rss_kib`), report writing
(:func:`jsonable`, :func:`write_report`, :func:`tree_label`) and the
estimators on each side (:func:`load_ours`, :data:`THEIRS`, :func:`warm_up`).
Workload definitions live in ``_workloads.py``; the scripts are ``bench_*.py``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------


def load_ours(sklearn_both):
    """Return ({task: class}, label) for "our" side of the comparison."""
    if sklearn_both:
        return THEIRS, "MLPClassifier/MLPRegressor (--sklearn-both)"
    try:
        from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
    except ImportError:
        # not installed: use the checkout this script belongs to
        sys.path.insert(0, str(REPO_ROOT))
        try:
            from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor
        except ImportError as exc:
            sys.exit(
                f"cannot import sk_scratchnet's estimators ({exc}); "
                "run `pip install -e .` or set PYTHONPATH to the repository "
                "root, or pass --sklearn-both to test the harness alone"
            )
    ours = {"classification": ScratchMLPClassifier, "regression": ScratchMLPRegressor}
    return ours, "ScratchMLPClassifier/ScratchMLPRegressor"


THEIRS = {"classification": MLPClassifier, "regression": MLPRegressor}


def timed_fit(cls, params, X, y):
    """Fit a fresh estimator; return (estimator, seconds)."""
    est = cls(**params)
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - t0
    return est, seconds


# --------------------------------------------------------------------------
# Machine
# --------------------------------------------------------------------------


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def numpy_blas():
    """The threadpoolctl record of numpy's own BLAS (first BLAS found)."""
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return blas[0] if blas else {}


def machine_info(ours_label):
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    import scipy

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "ours": ours_label,
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "loadavg_at_start": os.getloadavg(),
        # library file names only: the install paths are the machine's business
        "threadpool_info": [
            {k: Path(v).name if k == "filepath" else v for k, v in info.items()}
            for info in threadpool_info()
        ],
    }
    if "sk_scratchnet" in sys.modules:
        module = sys.modules["sk_scratchnet"]
        info["sk_scratchnet"] = getattr(module, "__version__", "unknown")
        # which state of a work tree was measured (the code changes between runs)
        digest = hashlib.sha1()
        for path in sorted(Path(module.__file__).parent.glob("*.py")):
            digest.update(path.read_bytes())
        info["sk_scratchnet_source_sha1"] = digest.hexdigest()[:12]
    return info


def machine_markdown(info):
    blas = numpy_blas()
    env = info["env"]
    flags = ", ".join(
        f"{k}={'unset' if env[k] is None else repr(env[k])}" for k in ENV_VARS[:2]
    )
    return "\n".join(
        [
            f"Machine: {info['cpu_model']}, {info['nproc']} usable cores, "
            f"{info['platform']}, Python {info['python']}",
            f"numpy {info['numpy']}, scikit-learn {info['sklearn']}, "
            f"ours = {info['ours']} {info.get('sk_scratchnet', '')} "
            f"(sources sha1 {info.get('sk_scratchnet_source_sha1', '-')})",
            f"numpy BLAS: {blas.get('internal_api')} {blas.get('version')} "
            f"kernel {blas.get('architecture')} ({blas.get('threading_layer')}); "
            f"{flags}",
            "load average at start (1/5/15 min): "
            + "/".join(f"{v:.2f}" for v in info["loadavg_at_start"])
            + " (other processes on these cores make timings, above all the "
            "2-thread ones, noisy)",
        ]
    )


def call_times(fn, X, n_calls):
    """Seconds of each of ``n_calls`` calls ``fn(X)``."""
    out = []
    for _ in range(n_calls):
        t0 = time.perf_counter()
        fn(X)
        out.append(time.perf_counter() - t0)
    return out


def interleaved(sides, repeat):
    """The sides in order on even repeats, reversed on odd ones."""
    return sides if repeat % 2 == 0 else sides[::-1]


def rotated(sides, repeat):
    """The sides rotated by ``repeat`` places (each side leads in turn)."""
    k = repeat % len(sides)
    return tuple(sides[k:]) + tuple(sides[:k])


def fmt_time(seconds):
    """``1.23 s``, ``4.56 ms`` or ``78.9 µs``: the one time format of the reports."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


# --------------------------------------------------------------------------
# Peak memory (Linux /proc; ru_maxrss elsewhere, an upper bound)
# --------------------------------------------------------------------------


def proc_status_kib(field):
    """A field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in KiB, or None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); True on success.

    ``ru_maxrss`` cannot be used for a child: Linux carries the parent's peak
    RSS over ``fork``/``exec`` into it, so it would report the parent's size.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def peak_rss_kib(reset):
    """Peak RSS in KiB since :func:`reset_peak_rss` (``reset`` its result).

    Without a reset (no ``/proc``) the lifetime peak ``ru_maxrss``: an upper
    bound.
    """
    peak = proc_status_kib("VmHWM") if reset else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


def jsonable(obj):
    """``obj`` with tuples, NumPy scalars and classes made JSON-friendly."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, type):
        return obj.__name__
    return obj


def write_report(path, text, report):
    """Write the markdown ``text`` to ``path`` and ``report`` as JSON beside it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(jsonable(report), indent=1) + "\n")
    return out.with_suffix(".json"), out


def tree_label(tree):
    """The last commit of ``tree`` that changed the package, ``+dirty`` if edited."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "log", "-1", "--format=%h", "--", "sk_scratchnet"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "sk_scratchnet"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return Path(tree).name
    return (commit or Path(tree).name) + ("+dirty" if dirty else "")


def warm_up(ours):
    """Pay import and first-call costs before anything is timed."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = np.arange(60) % 3
    for dtype in (np.float64, np.float32):
        for cls in (*ours.values(), *THEIRS.values()):
            for solver in ("sgd", "adam", "lbfgs"):
                timed_fit(
                    cls,
                    {
                        "hidden_layer_sizes": (8,),
                        "solver": solver,
                        "max_iter": 2,
                        "random_state": 0,
                    },
                    X.astype(dtype),
                    y,
                )
