"""The order of the gallery's examples, as numbered in the documentation issue."""

from pathlib import Path

EXAMPLE_ORDER = [
    "plot_spiral.py",  # 1
    "plot_early_stopping.py",  # 2
    "plot_dropout.py",  # 3
    "plot_class_weight.py",  # 4
    "plot_activations.py",  # 5
    "plot_learning_rate_schedules.py",  # 6
    "plot_regression.py",  # 7
    "plot_out_of_core.py",  # 8
    "plot_onnx.py",  # 9
    "plot_benchmark.py",  # 10
    "plot_mlp_alpha.py",  # 11
    "plot_mlp_training_curves.py",  # 11
]


class ExampleOrder:
    """sphinx-gallery sort key: listed examples first, in order, then the rest.

    Parameters
    ----------
    src_dir : str or pathlib.Path
        The gallery's source folder (sphinx-gallery passes it; unused).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        """Return the sort key of ``filename``."""
        name = Path(filename).name
        if name in EXAMPLE_ORDER:
            return (0, EXAMPLE_ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        return f"<{type(self).__name__}>"
