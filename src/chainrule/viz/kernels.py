"""The classic 3×3 image-processing kernels of decks D1 and D4, applied to a real image with
``chainrule.functional.conv2d``: what a convolution layer's filters do before any learning.

Deck D1's table ("1.2.2 Convolution layer": identity, three edge detectors, sharpen, box blur,
Gaussian blur) plus the Sobel pair (deck D3, "卷积运算的物理含义", shows Sobel y negated).
``conv2d`` computes a cross-correlation (the kernel is not flipped), as every deep learning library
and deck D4's worked example ("Background: Image Processing") do; for the symmetric kernels this is
the same as a convolution, and for Sobel it fixes the sign: ``sobel x`` is positive where the image
gets brighter to the right.
"""

import io
import os
import re
import zipfile

import numpy as np

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..data.folder import ImageFormatError, pillow_image_module
from ..errors import ChainruleError
from .figure import plt, save

__all__ = [
    "CLASSIC_KERNELS",
    "ImageNotFoundError",
    "apply_kernels",
    "read_image",
    "to_grey",
    "plot_classic_kernels",
]


class ImageNotFoundError(ChainruleError, FileNotFoundError):
    """No file, or no zip archive member, at the path given for an image."""


CLASSIC_KERNELS = {
    "identity (grey)": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "edge (diagonal)": [[1, 0, -1], [0, 0, 0], [-1, 0, 1]],
    "edge (Laplacian 4)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "edge (Laplacian 8)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box blur": (np.ones((3, 3)) / 9).tolist(),
    "Gaussian blur": (np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16).tolist(),
    "Sobel x (vertical edges)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y (horizontal edges)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
}

# Kernels whose response is a signed derivative, drawn on a diverging scale centred on 0.
_SIGNED = {
    "edge (diagonal)",
    "edge (Laplacian 4)",
    "edge (Laplacian 8)",
    "Sobel x (vertical edges)",
    "Sobel y (horizontal edges)",
}
_LABELS = {"box blur": "1/9 ×", "Gaussian blur": "1/16 ×"}
_SCALE = {"box blur": 9, "Gaussian blur": 16}


def apply_kernels(image, kernels=None):
    """Responses (K, H, W) of a grey image (H, W) to each 3×3 kernel, by one ``conv2d`` call
    with K output channels. The image is first padded by repeating its border pixels (not by
    zeros, which would draw a false edge round the frame), so the responses have its size."""
    kernels = CLASSIC_KERNELS if kernels is None else kernels
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"apply_kernels: expected a grey image (H, W), got shape {image.shape}")
    weight = np.asarray(list(kernels.values()), dtype=np.float64)[:, None]
    padded = np.pad(image, 1, mode="edge")
    with no_grad():
        out = F.conv2d(Tensor(padded[None, None]), Tensor(weight))
    return out.data[0]


def read_image(path):
    """An image file (PNG, JPEG, … read by Pillow) as a float array in [0, 1], (H, W) or
    (H, W, 3). ``ARCHIVE.zip:MEMBER`` reads a member of a zip archive, e.g.
    ``cifar10-jpg.zip:test/horse/0000.jpg``. A missing file or member raises
    ``ImageNotFoundError``, one that is no image ``data.ImageFormatError``, each naming the
    path."""
    image_module = pillow_image_module()
    path = str(path)
    source = _image_source(path)
    try:
        with image_module.open(source) as picture:
            picture = picture.convert("L" if picture.mode in ("L", "1", "I", "F") else "RGB")
            return np.asarray(picture, dtype=np.float64) / 255
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageFormatError(f"{path} is not an image that Pillow can read ({error})") from None


def _image_source(path):
    """``path`` itself, or the bytes of ``ARCHIVE.zip:MEMBER``'s member."""
    member = re.fullmatch(r"(.+\.zip):(.+)", path)
    file = member.group(1) if member else path
    if not os.path.isfile(file):
        raise ImageNotFoundError(f"no file at {file}")
    if not member:
        return path
    try:
        with zipfile.ZipFile(file) as archive:
            if member.group(2) not in archive.namelist():
                raise ImageNotFoundError(f"{file} has no member {member.group(2)!r}")
            return io.BytesIO(archive.read(member.group(2)))
    except zipfile.BadZipFile as error:
        raise ImageFormatError(f"{file} is not a zip archive ({error})") from None


def to_grey(image):
    """Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) of an (H, W, 3) image; a grey image
    is returned as it is."""
    image = np.asarray(image, dtype=np.float64)
    return image if image.ndim == 2 else image @ np.array([0.299, 0.587, 0.114])


def plot_classic_kernels(image, path, title=None):
    """One figure: the image, then its response to each of ``CLASSIC_KERNELS`` with the kernel
    printed under it. Smoothing kernels are drawn in grey on the image's scale; edge detectors
    (signed) in red/blue around a white 0, saturating at the 99th percentile of |response|.
    Returns the responses (K, H, W)."""
    grey = to_grey(image)
    responses = apply_kernels(grey)
    names = list(CLASSIC_KERNELS)
    columns = 5
    rows = -(-(len(names) + 1) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(2.3 * columns, 3.3 * rows), layout="constrained"
    )
    axes = axes.ravel()
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0].set_title("input", fontsize=10)
    axes[0].set_xlabel(f"{image.shape[1]}×{image.shape[0]} px", fontsize=9)
    for ax, name, response in zip(axes[1:], names, responses):
        if name in _SIGNED:
            limit = np.percentile(np.abs(response), 99) or 1
            ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        else:
            ax.imshow(np.clip(response, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(_kernel_text(name), fontsize=9, family="monospace")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(names) + 1 :]:
        ax.set_visible(False)
    figure.suptitle(
        title
        or "Classic 3×3 kernels applied with chainrule.functional.conv2d (edges: red > 0 > blue)",
        fontsize=12,
    )
    save(figure, path)
    return responses


def _kernel_text(name):
    kernel = np.asarray(CLASSIC_KERNELS[name]) * _SCALE.get(name, 1)
    lines = ["[" + " ".join(f"{int(round(v)):>2d}" for v in row) + "]" for row in kernel]
    prefix = _LABELS.get(name)
    return (prefix + "\n" if prefix else "") + "\n".join(lines)
