"""The demo, ``python -m sk_scratchnet``: its table, its figure and its options."""

import subprocess
import sys

import pytest
from sklearn.base import is_regressor

from sk_scratchnet import __main__ as demo

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROW_NAMES = [task.name for task in demo.TASKS]


def table_lines(output):
    return [line for line in output.splitlines() if line.startswith(tuple(ROW_NAMES))]


def test_tasks_have_a_metric_and_distinct_names():
    assert len(set(ROW_NAMES)) == len(ROW_NAMES) >= 4
    assert {task.metric for task in demo.TASKS} == {"accuracy", "R²"}
    for task in demo.TASKS:
        assert is_regressor(task.ours()) == (task.metric == "R²")
        assert is_regressor(task.theirs()) == is_regressor(task.ours())


@pytest.mark.parametrize("metric", ["accuracy", "R²"])
def test_run_table_rows_and_ratio(metric):
    task = next(task for task in reversed(demo.TASKS) if task.metric == metric)
    lines = []
    [row] = demo.run_table([task], repeats=1, write=lines.append)
    assert row["task"] == task.name
    assert row["metric"] == metric
    assert row["ours"] == pytest.approx(row["sklearn"])  # same trajectory
    assert row["ratio"] == pytest.approx(row["fit ours"] / row["fit sklearn"])
    assert "metric" in lines[1]
    assert len(table_lines("\n".join(lines))) == 1
    assert any("lower is better" in line for line in lines)


def test_main_prints_every_row_and_writes_the_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the 'plot' extra is not installed")
    out = tmp_path / "demo.png"
    rows = demo.main(["--out", str(out), "--repeats", "1"])
    printed = capsys.readouterr().out
    assert [row["task"] for row in rows] == ROW_NAMES
    assert len(table_lines(printed)) == len(ROW_NAMES)
    assert "ratio = our fit time / scikit-learn's (lower is better)" in printed
    assert "CPU time" in printed
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out.resolve()) in printed
    for row in rows:
        # digits, the spiral and friedman1 are learnt well; diabetes is noisy
        # (a linear model's R² is about 0.4 there)
        assert row["ours"] > (0.3 if row["task"].startswith("diabetes") else 0.9)
        assert row["ours"] == pytest.approx(row["sklearn"], abs=1e-6)


def test_no_plot_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "TASKS", demo.TASKS[-1:])
    monkeypatch.chdir(tmp_path)
    demo.main(["--no-plot", "--repeats", "1"])
    printed = capsys.readouterr().out
    assert len(table_lines(printed)) == 1
    assert list(tmp_path.iterdir()) == []
    assert "Figure" not in printed


def test_without_matplotlib_a_hint_instead_of_the_figure(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "TASKS", demo.TASKS[-1:])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        demo.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "matplotlib" else sys.modules.get(name),
    )
    demo.main(["--repeats", "1"])
    printed = capsys.readouterr().out
    assert '.[plot]"' in printed
    assert list(tmp_path.iterdir()) == []


def test_the_package_imports_without_matplotlib():
    # A fresh interpreter in which importing matplotlib fails.
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import sk_scratchnet, sk_scratchnet.__main__\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("repeats", ["0", "-1", "two"])
def test_repeats_below_one_is_a_usage_error(repeats, capsys, monkeypatch):
    monkeypatch.setattr(demo, "run_table", pytest.fail)  # nothing is trained
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--no-plot", "--repeats", repeats])
    assert exit_info.value.code == 2
    assert "argument --repeats" in capsys.readouterr().err


@pytest.mark.parametrize("out", ["demo.txt", "demo"])
def test_bad_figure_extension_is_rejected_before_training(
    out, tmp_path, capsys, monkeypatch
):
    pytest.importorskip("matplotlib", reason="the 'plot' extra is not installed")
    monkeypatch.setattr(demo, "run_table", pytest.fail)
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--out", str(tmp_path / out), "--repeats", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --out" in err
    assert ".png" in err
    assert list(tmp_path.iterdir()) == []


def test_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    printed = capsys.readouterr().out
    assert "python -m sk_scratchnet trains" in printed
    assert "``" not in printed


def test_lbfgs_rows_count_iterations_and_capped_runs_say_so():
    lbfgs, short = (
        demo.Task("lbfgs, 5 iterations", demo._friedman, *CLASSES, LBFGS, "R²"),
        demo.Task("adam, 3 epochs", demo._friedman, *CLASSES, ADAM, "R²"),
    )
    lines = []
    rows = demo.run_table([lbfgs, short], repeats=1, write=lines.append)
    assert [(row["unit"], row["n_iter"], row["capped"]) for row in rows] == [
        ("L-BFGS iter.", 5, True),
        ("epochs", 3, True),
    ]
    assert "trained" in lines[1]
    [lbfgs_line] = [line for line in lines if line.startswith("lbfgs, 5")]
    [adam_line] = [line for line in lines if line.startswith("adam, 3")]
    assert lbfgs_line.endswith("5 L-BFGS iter. (cap)")
    assert adam_line.endswith("3 epochs (cap)")
    assert any(line.startswith("(cap) = stopped at max_iter") for line in lines)


def test_a_converged_run_has_no_cap_note():
    task = demo.Task(
        "adam, converges", demo._friedman, *CLASSES, {**ADAM, "max_iter": 2000}, "R²"
    )
    lines = []
    [row] = demo.run_table([task], repeats=1, write=lines.append)
    assert not row["capped"]
    assert row["n_iter"] < 2000
    assert not any("(cap)" in line for line in lines)


CLASSES = (demo.ScratchMLPRegressor, demo.MLPRegressor)
LBFGS = {"solver": "lbfgs", "max_iter": 5, "hidden_layer_sizes": (8,)}
ADAM = {"solver": "adam", "max_iter": 3, "hidden_layer_sizes": (8,)}
