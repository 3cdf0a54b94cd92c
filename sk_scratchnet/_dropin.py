"""``MLPClassifier`` and ``MLPRegressor``: the drop-in spellings.

scikit-learn derives names from the class: ``make_pipeline`` names a step after
``type(step).__name__.lower()``, so grids spell ``mlpclassifier__alpha``, and
some libraries dispatch on ``type(model).__name__``.  These subclasses add
nothing but the name, so ``from sk_scratchnet import MLPClassifier`` is a true
one-line swap for ``from sklearn.neural_network import MLPClassifier``.
"""

from sk_scratchnet._classifier import ScratchMLPClassifier
from sk_scratchnet._regressor import ScratchMLPRegressor


def _dropin_docstring(canonical, sklearn_name):
    """Return the canonical docstring under a summary naming the alias."""
    _, _, rest = canonical.__doc__.partition("\n")
    return (
        f"{canonical.__name__} under scikit-learn's name ``{sklearn_name}``.\n"
        "\n"
        f"    The drop-in spelling of :class:`{canonical.__name__}` (the canonical\n"
        "    class, identical in every parameter and attribute): pipeline step\n"
        f"    names (``{sklearn_name.lower()}``), ``GridSearchCV`` grids and\n"
        "    ``type(model).__name__`` are those of\n"
        f"    :class:`sklearn.neural_network.{sklearn_name}`.\n" + rest
    )


class MLPClassifier(ScratchMLPClassifier):
    __doc__ = _dropin_docstring(ScratchMLPClassifier, "MLPClassifier")


class MLPRegressor(ScratchMLPRegressor):
    __doc__ = _dropin_docstring(ScratchMLPRegressor, "MLPRegressor")
