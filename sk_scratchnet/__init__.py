"""sk_scratchnet: a NumPy multilayer perceptron, as a scikit-learn classifier."""

from sk_scratchnet._classifier import ScratchMLPClassifier

__version__ = "0.1.0"
__all__ = ["ScratchMLPClassifier", "__version__"]
