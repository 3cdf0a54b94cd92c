"""Warnings attributed to the user's line, not to our internals."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _internal_dirs() -> tuple[str, ...]:
    """Return the folders of our package and of the libraries that call into it."""
    dirs = [_PACKAGE_DIR]
    for name in ("sklearn", "joblib"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(module.__file__)))
    return tuple(d + os.sep for d in dirs)


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue a warning whose location is the first frame outside our package.

    A ``fit`` called directly, or through a ``Pipeline`` or a search in the same
    process, reports the user's line (scikit-learn's and joblib's frames are
    skipped too), wherever inside the package the warning arises.
    """
    internal = _internal_dirs()
    frame = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        internal
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
