"""Images in class folders, as torchvision's ``ImageFolder``: ``root/<class>/<image file>``.

The class names are the sub-folders of ``root``, sorted, and a class's index is its place in that
order (``class_to_idx``). ``samples`` lists every image as ``(path, class index)``, sorted by class
and then by path, so the order is the same on every machine. Images are read with Pillow (an
optional dependency: ``pip install pillow``) and converted to RGB, uint8 arrays (H, W, 3), which
``transforms.ToTensor`` turns into (3, H, W) floats in [0, 1].
"""

import io
import os
from pathlib import Path

import numpy as np

from ..errors import ChainruleError, DatasetNotFoundError
from .dataset import Dataset

__all__ = ["ImageFolder", "ImageFormatError", "MissingDependencyError", "IMG_EXTENSIONS"]

# torchvision's list of the file endings ImageFolder takes as images
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFormatError(ChainruleError, ValueError):
    """A file that should hold an image, or an archive of images, cannot be read as one."""


class MissingDependencyError(ChainruleError, ImportError):
    """An optional package that this feature needs is not installed."""


def pillow_image_module():
    """``PIL.Image``, or ``MissingDependencyError`` saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError(
            "reading image files needs Pillow, which is not installed: pip install pillow"
        ) from None
    return Image


def decode_rgb(content, name):
    """The image file ``content`` (bytes) as a uint8 array (H, W, 3); ``name`` labels errors."""
    image_module = pillow_image_module()
    try:
        with image_module.open(io.BytesIO(content)) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageFormatError(f"{name}: not a readable image ({error})") from None


class ImageFolder(Dataset):
    """The images under ``root/<class>/``: a sample is ``(transform(image), class index)``, the
    image a uint8 (H, W, 3) RGB array (its transform applied when one is given).

    ``classes`` (sorted folder names), ``class_to_idx``, ``samples`` (``(path, index)`` pairs)
    and ``targets`` are torchvision's. Files with other endings than ``IMG_EXTENSIONS`` are
    skipped; a root with no class folder, or classes with no image, is a
    ``DatasetNotFoundError``.
    """

    def __init__(self, root, transform=None):
        self.root = Path(root)
        self.transform = transform
        self.classes = _class_folders(self.root)
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        self.samples = _image_files(self.root, self.classes)
        self.targets = [index for _, index in self.samples]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        image = decode_rgb(Path(path).read_bytes(), path)
        if self.transform is not None:
            image = self.transform(image)
        return image, target

    def __repr__(self):
        root, classes = str(self.root), len(self.classes)
        return f"ImageFolder(root={root!r}, classes={classes}, samples={len(self)})"

    def to_arrays(self):
        """Every image decoded at once: ``(images, labels)``, uint8 (N, H, W, 3) and int64 (N,).
        The images must share one size (a ``ImageFormatError`` names the first that differs)."""
        images = []
        for path, _ in self.samples:
            image = decode_rgb(Path(path).read_bytes(), path)
            if images and image.shape != images[0].shape:
                raise ImageFormatError(
                    f"{path} is {_size(image)} but {self.samples[0][0]} is {_size(images[0])}; "
                    "the images of one data set must share one size (resize them first)"
                )
            images.append(image)
        return np.stack(images), np.asarray(self.targets, np.int64)


def _size(image):
    return f"{image.shape[1]}×{image.shape[0]} pixels"


def _class_folders(root):
    if not root.is_dir():
        raise DatasetNotFoundError(f"ImageFolder: {root} is not a folder")
    classes = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    if not classes:
        raise DatasetNotFoundError(
            f"ImageFolder: {root} holds no class folders; put each class's images in "
            f"{root}/<class name>/"
        )
    return classes


def _image_files(root, classes):
    samples = [
        (str(path), index)
        for index, name in enumerate(classes)
        for path in sorted((root / name).rglob("*"))
        if path.is_file() and path.suffix.lower() in IMG_EXTENSIONS
    ]
    found = {index for _, index in samples}
    empty = [name for index, name in enumerate(classes) if index not in found]
    if empty:
        raise DatasetNotFoundError(
            f"ImageFolder: no image files ({', '.join(IMG_EXTENSIONS)}) in the class folders "
            f"{', '.join(empty)} of {root}"
        )
    return samples
