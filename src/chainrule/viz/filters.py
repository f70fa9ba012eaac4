"""The kernels a convolution layer learnt, drawn as small images: what C1 of a trained LeNet-5
looks for in a digit (deck D2, "Filter Visualization"; Zeiler & Fergus 2014)."""

import numpy as np

from ..backend import to_device
from .figure import plt, save

__all__ = ["first_conv_weight", "plot_filters"]


def first_conv_weight(model):
    """The kernel (O, C, kh, kw) of the first convolution of ``model`` — the first submodule,
    in registration order, whose ``weight`` is 4-D — as a NumPy array."""
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if weight is not None and weight.ndim == 4:
            return to_device(weight.data, "cpu")
    raise ValueError(
        f"first_conv_weight: {type(model).__name__} has no convolution layer "
        "(no submodule with a 4-D weight)"
    )


def plot_filters(weight, path, title="learned kernels", columns=None):
    """One small image per (output channel, input channel) kernel of ``weight`` (O, C, kh, kw):
    a row per input channel, on one red/blue scale centred on 0 shared by all kernels, so
    their strengths compare. Each kernel takes 1.1 × 1.1 inches."""
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"plot_filters: expected a kernel (O, C, kh, kw), got {weight.shape}")
    outputs, inputs = weight.shape[:2]
    columns = columns or outputs
    rows = inputs * -(-outputs // columns)
    limit = np.abs(weight).max() or 1
    figsize = (1.1 * columns + 1.2, 1.1 * rows + 0.7)
    figure, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False, layout="constrained")
    for ax in axes.ravel():
        ax.set_axis_off()
    for o in range(outputs):
        for c in range(inputs):
            ax = axes[c * -(-outputs // columns) + o // columns, o % columns]
            image = ax.imshow(
                weight[o, c], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
            )
            ax.set_title(f"{o}" if inputs == 1 else f"{o}←{c}", fontsize=8)
    figure.colorbar(image, ax=axes, shrink=0.8, label="weight")
    figure.suptitle(
        f"{title}: {outputs}×{inputs} kernels of {weight.shape[2]}×{weight.shape[3]}", fontsize=11
    )
    save(figure, path)
