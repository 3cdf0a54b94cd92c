"""The documentation runs as pasted: every page's Python blocks, and the docstrings.

Each ``.rst`` page under ``docs/`` is one test case: its ``.. code-block::
python`` blocks run in order, in one namespace, in a fresh interpreter, as a
reader pasting the page from the top would run them. When a block needs a
module that is not installed (one it imports, or one declared with a
``.. needs:`` comment before it), the blocks before it run and the case is then
skipped with that reason. The Examples sections of the public docstrings run
under :mod:`doctest`.
"""

import doctest
import inspect
from pathlib import Path

import pytest

import sk_scratchnet
from tests._blocks import (
    KNOWN_LANGUAGES,
    rst_code_blocks,
    rst_python_blocks,
    run_blocks_in_fresh_interpreter,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Written by the docs build (sphinx-gallery, autosummary), or Jinja templates.
NOT_PAGES = {"_build", "_templates", "auto_examples", "gen_modules"}


def written_pages():
    if not DOCS.is_dir():
        return []
    return sorted(
        page
        for page in DOCS.rglob("*.rst")
        if not NOT_PAGES & set(page.relative_to(DOCS).parts)
        and not page.name.startswith("sg_")
    )


PAGES = written_pages()
PAGE_IDS = [str(page.relative_to(DOCS)) for page in PAGES]
PAGES_WITH_CODE = [page for page in PAGES if rst_python_blocks(page.read_text("utf-8"))]


def missing_module(name):
    try:
        __import__(name)
    except ImportError:
        return True
    return False


def test_the_pages_are_found():
    if not DOCS.is_dir():
        pytest.skip("docs/ is not next to the tests (unpacked sdist)")
    names = set(PAGE_IDS)
    assert {"index.rst", "user_guide/features.rst", "user_guide/onnx.rst"} <= names
    assert not any(NOT_PAGES & set(Path(page).parts) for page in PAGE_IDS)
    assert sum(len(rst_python_blocks(page.read_text("utf-8"))) for page in PAGES) > 10


def test_block_collection():
    page = (
        "Text::\n\n    literal\n\n"
        ".. code-block:: python\n   :caption: one\n\n   import a.b\n\n   x = 1\n"
        "Prose.\n\n"
        ".. needs: rich, onnx\n\n"
        ".. code-block:: python\n\n   from c import d\n\n"
        ".. code-block:: bash\n\n   ls\n"
    )
    blocks = rst_code_blocks(page)
    assert [language for language, _ in blocks] == ["python", "python", "bash"]
    first, second = rst_python_blocks(page)
    assert first.code == "import a.b\n\nx = 1\n"
    assert first.needs == ["a.b"]
    assert first.line == 8
    assert second.needs == ["rich", "onnx", "c"]


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_no_python_outside_python_blocks(page):
    # A doctest prompt or an unnamed language would escape the runner below.
    text = page.read_text("utf-8")
    assert ">>>" not in text
    assert {language for language, _ in rst_code_blocks(text)} <= KNOWN_LANGUAGES


@pytest.mark.parametrize(
    "page", PAGES_WITH_CODE, ids=[str(p.relative_to(DOCS)) for p in PAGES_WITH_CODE]
)
def test_page_blocks_run_as_pasted(page, tmp_path):
    blocks = rst_python_blocks(page.read_text("utf-8"))
    runnable, skipped = [], None
    for block in blocks:
        missing = sorted({name for name in block.needs if missing_module(name)})
        if missing:
            skipped = f"the block at line {block.line} needs {', '.join(missing)}"
            break
        runnable.append(block)
    label = str(page.relative_to(DOCS.parent))
    # tmp_path: a block that writes a file writes it there.
    result = run_blocks_in_fresh_interpreter(runnable, label, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    if skipped:
        pytest.skip(f"{label}: {skipped} (the {len(runnable)} before it ran)")


def docstring_tests():
    finder = doctest.DocTestFinder()
    tests = []
    for name in sk_scratchnet.__all__:
        obj = getattr(sk_scratchnet, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # __version__
        tests.extend(test for test in finder.find(obj, name) if test.examples)
    return tests


DOCTESTS = docstring_tests()


def test_the_estimators_have_examples():
    names = {test.name for test in DOCTESTS}
    assert {"ScratchMLPClassifier", "ScratchMLPRegressor"} <= names


@pytest.mark.parametrize("test", DOCTESTS, ids=[test.name for test in DOCTESTS])
def test_docstring_examples(test):
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    output = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)
