"""Plots, drawn off-screen into PNG files (``figure.py``: matplotlib's Agg backend).

``curves``: training curves (per-epoch loss/accuracy of a run, per-step loss of many runs);
``kernels``: the classic convolution kernels applied to an image.
"""

from .curves import plot_history, plot_loss_curves
