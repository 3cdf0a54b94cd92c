"""sk_scratchnet: NumPy multilayer perceptrons as scikit-learn estimators."""

from sk_scratchnet._classifier import ScratchMLPClassifier
from sk_scratchnet._dropin import MLPClassifier, MLPRegressor
from sk_scratchnet._onnx import register_skl2onnx, to_onnx
from sk_scratchnet._regressor import ScratchMLPRegressor
from sk_scratchnet._streaming import partial_fit_chunks
from sk_scratchnet._tabular_classifier import TabularMLPClassifier
from sk_scratchnet._tabular_regressor import TabularMLPRegressor

__version__ = "0.1.0"
__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "__version__",
    "partial_fit_chunks",
    "register_skl2onnx",
    "to_onnx",
]
