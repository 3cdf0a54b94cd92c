"""Code blocks of the README and of the documentation pages, and what they need.

Shared by ``test_readme.py`` (the README's fenced blocks) and ``test_docs.py``
(the ``.. code-block:: python`` blocks of every page under ``docs/``).

A block needs the modules it imports. It may also need an optional dependency
without importing it (``ProgressBar()`` needs ``rich``); on a page this is
declared by an reST comment right before the block, which the site does not
show::

    .. needs: rich

    .. code-block:: python
"""

import ast
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass

# README blocks: optional dependencies needed without importing them.
NEEDS_WITHOUT_IMPORT = {"ProgressBar(": ["rich"]}

# The languages a page's code blocks may declare; only "python" blocks are run.
KNOWN_LANGUAGES = {"python", "bash", "text"}

_DIRECTIVE = re.compile(r"^\.\. code-block::\s*(\S+)\s*$")
_NEEDS = re.compile(r"^\.\. needs:\s*(.+?)\s*$")


@dataclass
class Block:
    """One Python block: its code, the line it starts on and what it needs."""

    code: str
    line: int
    needs: list


def imported_modules(code):
    """Return the top-level modules ``code`` imports (absolute imports only)."""
    modules = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.append(node.module)
    return modules


def needed_modules(code):
    """Return the modules ``code`` imports, and those it needs without importing."""
    modules = imported_modules(code)
    for marker, extra in NEEDS_WITHOUT_IMPORT.items():
        if marker in code:
            modules.extend(extra)
    return modules


def markdown_python_blocks(text):
    """Return the bodies of the fenced ```python blocks of ``text``, in order."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def rst_code_blocks(text):
    """Return ``(language, Block)`` for every ``.. code-block::`` of an reST page.

    The body is the indented text after the directive and its options; the
    modules it needs are its imports plus those of a ``.. needs:`` comment
    (comma-separated) right before the directive.
    """
    lines = text.splitlines()
    blocks = []
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if not match:
            continue
        body_start = number + 1
        while body_start < len(lines) and lines[body_start].strip().startswith(":"):
            body_start += 1  # directive options (:caption:, :emphasize-lines: ...)
        end = body_start
        while end < len(lines) and (
            not lines[end].strip() or lines[end].startswith((" ", "\t"))
        ):
            end += 1
        code = textwrap.dedent("\n".join(lines[body_start:end])).strip("\n") + "\n"
        declared = []
        previous = number - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0 and (needs := _NEEDS.match(lines[previous])):
            declared = [name.strip() for name in needs.group(1).split(",")]
        language = match.group(1)
        needs = declared + (imported_modules(code) if language == "python" else [])
        first = body_start
        while first < end and not lines[first].strip():
            first += 1
        blocks.append((language, Block(code, first + 1, needs)))
    return blocks


def rst_python_blocks(text):
    """Return the ``Block`` of every ``.. code-block:: python`` of a page."""
    return [block for language, block in rst_code_blocks(text) if language == "python"]


def run_blocks_in_fresh_interpreter(blocks, label, cwd, timeout=600):
    """Run ``blocks`` in order, in one namespace, in a new Python process.

    The process runs with one BLAS thread and ``-W error::RuntimeWarning`` (as
    the test suite); a traceback names ``label`` and the block's first line.
    Returns the ``subprocess.CompletedProcess``.
    """
    lines = ["namespace = {'__name__': '__main__'}"]
    for block in blocks:
        filename = f"{label}, block at line {block.line}"
        lines.append(f"exec(compile({block.code!r}, {filename!r}, 'exec'), namespace)")
    script = "\n".join(lines)
    env = dict(os.environ)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = "1"
    # The page is pasted where the tests' copy of the package is importable.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
