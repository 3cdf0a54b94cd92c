"""The README's Python blocks run as written, in order, in one namespace.

Each block is one test case. A block runs after every block before it (those
not run yet are run first, so a single case can be selected alone), and it is
skipped with the reason when a module it imports, or an optional dependency it
needs without importing it, is missing.
"""

import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from tests._blocks import markdown_python_blocks as python_blocks
from tests._blocks import needed_modules

README = Path(__file__).resolve().parent.parent / "README.md"


BLOCKS = python_blocks(README.read_text(encoding="utf-8")) if README.exists() else []


def run_block(index, namespace):
    """Import what block ``index`` needs (skipping if missing), then run it."""
    code = BLOCKS[index]
    for module in needed_modules(code):
        pytest.importorskip(module, reason=f"README block {index} needs {module}")
    # One BLAS thread: the blocks' small products gain nothing from more, and the
    # dask block's threads times BLAS threads would oversubscribe a small machine.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        # Only the README's prose is under test here, not convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(code, f"README.md, python block {index}", "exec"), namespace)


@pytest.fixture(scope="module")
def readme_state():
    return {"namespace": {"__name__": "readme"}, "done": set()}


def test_the_readme_has_its_python_blocks():
    if not README.exists():
        pytest.skip("README.md is not next to the tests (installed package)")
    assert all(block.strip() for block in BLOCKS)
    # The front page shows both estimators at work.
    for name in ("ScratchMLPClassifier", "ScratchMLPRegressor"):
        assert any(f"{name}(" in block for block in BLOCKS), name


def test_block_extraction_and_needs():
    text = "x\n```python\nimport a.b\nfrom c import d\n```\n```bash\nls\n```\n"
    [block] = python_blocks(text)
    assert needed_modules(block) == ["a.b", "c"]
    assert needed_modules("ProgressBar()") == ["rich"]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, readme_state, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a block that writes a file writes it here
    for earlier in range(index):
        if earlier not in readme_state["done"]:
            readme_state["done"].add(earlier)
            try:
                run_block(earlier, readme_state["namespace"])
            except pytest.skip.Exception:
                pass  # reported by that block's own case
    readme_state["done"].add(index)
    run_block(index, readme_state["namespace"])


def test_ci_runs_the_readmes_test_command():
    ci_script = README.parent / ".ci" / "run"
    if not ci_script.exists():
        pytest.skip(".ci/run is not shipped (unpacked sdist)")
    text = README.read_text(encoding="utf-8")
    [command] = [
        line
        for line in text.splitlines()
        if line.startswith("python3 -m venv .venv") and "pytest" in line
    ]
    assert command in ci_script.read_text(encoding="utf-8").splitlines()
