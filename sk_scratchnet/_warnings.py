"""Warnings attributed to the user's line, not to our internals."""

from __future__ import annotations

import functools
import os
import sys
import warnings

_PACKAGE_FILE = os.path.abspath(__file__)
# Whether an absolute source file is in one of the internal folders, per
# (file, folders); relative names depend on the working directory and are not
# kept.  Bounded: cleared when full.
_INTERNAL_FILES: dict[tuple[str, tuple[str, ...]], bool] = {}
_INTERNAL_FILES_SIZE = 4096


@functools.lru_cache(maxsize=8)
def _folders_of(module_files: tuple[str, ...]) -> tuple[str, ...]:
    """Return the folders of ``module_files``, each ending in a separator."""
    return tuple(
        os.path.dirname(os.path.abspath(path)) + os.sep for path in module_files
    )


def _internal_dirs() -> tuple[str, ...]:
    """Return the folders of our package and of the libraries that call into it."""
    files = [_PACKAGE_FILE]
    for name in ("sklearn", "joblib"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            files.append(module.__file__)
    return _folders_of(tuple(files))


def _is_internal(filename: str, internal: tuple[str, ...]) -> bool:
    """Tell whether the source file ``filename`` is in one of ``internal``."""
    key = (filename, internal)
    found = _INTERNAL_FILES.get(key)
    if found is None:
        found = os.path.abspath(filename).startswith(internal)
        if os.path.isabs(filename):
            if len(_INTERNAL_FILES) >= _INTERNAL_FILES_SIZE:
                _INTERNAL_FILES.clear()
            _INTERNAL_FILES[key] = found
    return found


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue a warning whose location is the first frame outside our package.

    A ``fit`` called directly, or through a ``Pipeline`` or a search in the same
    process, reports the user's line (scikit-learn's and joblib's frames are
    skipped too), wherever inside the package the warning arises.
    """
    internal = _internal_dirs()
    frame = sys._getframe(1)
    level = 2
    while frame is not None and _is_internal(frame.f_code.co_filename, internal):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
