"""Two trees of the package imported side by side in one process (``bench_paired.py``).

Each tree's ``sk_scratchnet/`` is copied to a folder under another name, its own
imports and string module paths rewritten, and imported from there;
:func:`check_origins` proves afterwards that every module came from its copy.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

PACKAGE = "sk_scratchnet"

_IMPORT = re.compile(rf"\b(from|import)(\s+){PACKAGE}\b")
_MODULE_STRING = re.compile(rf"""(["']){PACKAGE}\.""")


def rewrite(source, name):
    """Point the package's own imports and string module paths at ``name``."""
    source = _IMPORT.sub(lambda m: m[1] + m[2] + name, source)
    return _MODULE_STRING.sub(lambda m: m[1] + name + ".", source)


def import_copy(tree, name, folder):
    """Copy ``tree``'s package to ``folder/name``, rewritten; import it."""
    source = Path(tree) / PACKAGE
    if not (source / "__init__.py").is_file():
        sys.exit(f"{tree} has no {PACKAGE}/ package")
    target = folder / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.rglob("*.py"):
        path.write_text(rewrite(path.read_text(encoding="utf-8"), name), "utf-8")
    return importlib.import_module(name)


def check_origins(folders):
    """Exit unless each copy's modules come from its folder, and none from ours."""
    for name, folder in folders.items():
        for module_name, module in list(sys.modules.items()):
            if module_name != name and not module_name.startswith(name + "."):
                continue
            file = getattr(module, "__file__", None)
            if file is None or not Path(file).resolve().is_relative_to(folder):
                sys.exit(f"{module_name} was loaded from {file}, not from {folder}")
    stray = [m for m in sys.modules if m.split(".")[0] == PACKAGE]
    if stray:
        sys.exit(f"the copies imported {stray}: an import the rewrite missed")
