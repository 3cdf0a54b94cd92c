"""The code blocks of the "Tabular data" user-guide page run as pasted."""

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "tabular.rst"


def _code_blocks(text):
    """The bodies of the page's ``.. code-block:: python`` directives."""
    blocks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not re.match(r"\.\. code-block:: python\s*$", line):
            continue
        body = []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and not nxt.startswith("    "):
                break
            body.append(nxt[4:])
        blocks.append("\n".join(body).strip("\n") + "\n")
    return blocks


def test_page_has_code_blocks():
    assert len(_code_blocks(PAGE.read_text(encoding="utf-8"))) >= 1


@pytest.mark.parametrize(
    "index", range(len(_code_blocks(PAGE.read_text(encoding="utf-8"))))
)
def test_code_block_runs(index):
    # every block runs in a fresh namespace after the blocks before it
    namespace = {}
    for block in _code_blocks(PAGE.read_text(encoding="utf-8"))[: index + 1]:
        exec(compile(block, f"{PAGE.name}[{index}]", "exec"), namespace)
