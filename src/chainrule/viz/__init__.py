"""Plots, drawn off-screen into PNG files (``figure.py``: matplotlib's Agg backend).

``curves``: training curves (per-epoch loss/accuracy of a run, per-step loss of many runs);
``kernels``: the classic convolution kernels applied to an image;
``filters``: the kernels a convolution layer learnt;
``features``: every layer's output for one input (forward hooks);
``errors``: misclassified test images ("true→predicted") and the confusion matrix.
"""

from .curves import plot_history, plot_loss_curves
from .errors import (
    confusion_matrix,
    misclassified,
    plot_confusion,
    plot_misclassified,
    predict_classes,
)
from .features import feature_maps, plot_feature_maps
from .filters import first_conv_weight, plot_filters
from .kernels import CLASSIC_KERNELS, apply_kernels, plot_classic_kernels, read_image

__all__ = [
    "plot_history",
    "plot_loss_curves",
    "CLASSIC_KERNELS",
    "apply_kernels",
    "plot_classic_kernels",
    "read_image",
    "first_conv_weight",
    "plot_filters",
    "feature_maps",
    "plot_feature_maps",
    "predict_classes",
    "misclassified",
    "confusion_matrix",
    "plot_misclassified",
    "plot_confusion",
]
