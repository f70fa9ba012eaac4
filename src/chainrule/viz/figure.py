"""What every chainrule picture shares: matplotlib on the off-screen Agg backend, and saving a
figure to a PNG file (folders created, figure closed)."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

__all__ = ["plt", "save", "DPI"]

DPI = 100


def save(figure, path):
    """Write ``figure`` to the PNG ``path`` at ``DPI`` dots per inch and close it."""
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
