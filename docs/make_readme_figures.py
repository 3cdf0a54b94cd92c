"""Regenerate the figures that the README embeds, from the gallery's examples.

Run from anywhere, after ``pip install -e ".[docs]"``::

    python docs/make_readme_figures.py

Each example listed in ``FIGURES`` is run as a script with matplotlib's
non-interactive Agg backend (``plt.show`` does nothing then), and the figures it
made are saved to ``docs/images/<image name>.png``. Pass example names (for
example ``plot_spiral``) to regenerate only those; ``--all`` runs every example
of the gallery instead, for a quick look at its figures (``<example>.png``; use
``--output-dir`` to keep them out of ``docs/images``).
"""

import argparse
import os
import runpy
import sys
from pathlib import Path

import matplotlib
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DOCS = Path(__file__).resolve().parent
EXAMPLES = DOCS.parent / "examples"
IMAGES = DOCS / "images"
# example script -> name of the PNG that the README embeds
FIGURES = {
    "plot_spiral": "spiral",
    "plot_early_stopping": "early_stopping",
    "plot_benchmark": "benchmark",
}


def run_example(name, image, output_dir, dpi=100):
    """Run ``examples/<name>.py``; save its figures as ``<image>[_k].png``."""
    plt.close("all")
    cwd = Path.cwd()
    os.chdir(EXAMPLES)  # as sphinx-gallery does
    try:
        runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    finally:
        os.chdir(cwd)
    numbers = plt.get_fignums()
    saved = []
    for k, number in enumerate(numbers):
        suffix = "" if len(numbers) == 1 else f"_{k + 1}"
        path = output_dir / f"{image}{suffix}.png"
        plt.figure(number).savefig(path, dpi=dpi)
        saved.append(path)
    plt.close("all")
    return saved


def main(argv=None):
    """Parse the command line and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "examples", nargs="*", help="example names (default: the README's figures)"
    )
    parser.add_argument(
        "--all", action="store_true", help="every example of the gallery"
    )
    parser.add_argument(
        "--output-dir", type=Path, default=IMAGES, help="default: docs/images"
    )
    args = parser.parse_args(argv)
    if args.all:
        jobs = {p.stem: p.stem for p in sorted(EXAMPLES.glob("plot_*.py"))}
    else:
        jobs = {name: FIGURES.get(name, name) for name in args.examples or FIGURES}
    args.output_dir.mkdir(parents=True, exist_ok=True)
    # Small matrices: one BLAS thread is faster (as in the documentation build).
    with threadpool_limits(limits=1):
        for name, image in jobs.items():
            for path in run_example(name, image, args.output_dir.resolve()):
                print(f"{name}: wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    sys.exit(main())
