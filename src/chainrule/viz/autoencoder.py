"""Pictures of an autoencoder: originals above their reconstructions, and the 2-D codes of a
2-unit bottleneck as points coloured by digit."""

import numpy as np

from .figure import plt, save

__all__ = ["plot_reconstructions", "plot_latent"]


def plot_reconstructions(originals, reconstructions, path, title=None):
    """Two rows of images (N, 1, H, W) or (N, H, W): the originals on top, the
    reconstructions under them, each pair in one column."""
    originals = np.asarray(originals).reshape(len(originals), *np.shape(originals)[-2:])
    reconstructions = np.asarray(reconstructions).reshape(originals.shape)
    columns = len(originals)
    figure, axes = plt.subplots(
        2, columns, figsize=(0.8 * columns, 2.0), squeeze=False, layout="constrained"
    )
    for row, images in enumerate((originals, reconstructions)):
        for ax, image in zip(axes[row], images):
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_axis_off()
    axes[0, 0].set_title("input", fontsize=8, loc="left")
    axes[1, 0].set_title("output", fontsize=8, loc="left")
    if title:
        figure.suptitle(title, fontsize=10)
    save(figure, path)


def plot_latent(codes, labels, path, title=None):
    """The codes (N, 2) as a scatter, one colour per digit (``labels`` (N,) in 0–9)."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    figure, ax = plt.subplots(figsize=(6, 5.2), layout="constrained")
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=3, vmin=-0.5, vmax=9.5)
    figure.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    if title:
        ax.set_title(title, fontsize=10)
    save(figure, path)
