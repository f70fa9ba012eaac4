"""Training curves: loss and accuracy per epoch for one run, or loss per step for many.

Drawn off-screen (``figure.py``: matplotlib's Agg backend) straight into a PNG file.
"""

from .figure import plt, save

__all__ = ["plot_history", "plot_loss_curves"]


def plot_history(history, path):
    """Two panels — loss and accuracy against epoch — for train and validation, from the list
    of per-epoch logs that ``fit`` returns. Panels for absent metrics are left out."""
    epochs = [logs["epoch"] for logs in history]
    panels = [
        name
        for name in ("loss", "accuracy")
        if any(name in logs or f"val_{name}" in logs for logs in history)
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, name in zip(axes[0], panels):
        for prefix, label in (("", "train"), ("val_", "validation")):
            values = [logs.get(prefix + name) for logs in history]
            if any(v is not None for v in values):
                ax.plot(epochs, values, marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    save(figure, path)


def plot_loss_curves(curves, path, title=None, log_scale=True):
    """One line per named curve, ``curves = {name: (steps, losses)}``, on shared axes."""
    figure, ax = plt.subplots(figsize=(7, 4.5))
    for name, (steps, losses) in curves.items():
        ax.plot(steps, losses, label=name, linewidth=1.3)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    figure.tight_layout()
    save(figure, path)
