"""MNIST: 70,000 handwritten digits, 28×28 grey levels, from LeCun & Cortes's IDX files.

The four canonical files live under ``<data root>/mnist/`` (see ``download.py`` for the root),
gzipped or raw. Their MD5s are the official checksums of the uncompressed files, so a canonical
download and a re-compressed mirror both pass. The whole split is held in memory as two arrays,
which lets the ``DataLoader`` take a batch with one fancy index.
"""

import numpy as np

from .dataset import ImageArrays
from .download import RemoteFile, data_root, locate, read_verified
from .idx import IDXFormatError, parse_idx

MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")

# The mean and standard deviation of the training images' pixels (scaled to [0, 1]): what
# ``transforms.Normalize(MNIST_MEAN, MNIST_STD)`` subtracts and divides by.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class MNIST(ImageArrays):
    """The MNIST training (60,000) or test (10,000) split.

    ``data`` is uint8 of shape (N, 28, 28), ``targets`` int64 of shape (N,). A sample is
    ``(transform(image), label)`` with ``label`` a Python int, as in torchvision; without a
    transform the image is the uint8 (28, 28) array. ``transform`` must accept a batch too
    (every ``chainrule.data.transforms`` class does), since the DataLoader applies it to whole
    batches.
    """

    folder = "mnist"
    mirrors = MIRRORS
    checksums = {
        "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    }

    def __init__(self, root=None, train=True, download=False, transform=None):
        self.train = train
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
        files = [RemoteFile(name, self.checksums[name], self.mirrors) for name in names]
        root, reason = data_root(root)
        images_path, labels_path = locate(files, root / self.folder, reason, download, "MNIST")
        images = parse_idx(read_verified(images_path, files[0].md5), name=str(images_path))
        labels = parse_idx(read_verified(labels_path, files[1].md5), name=str(labels_path))
        _check_shapes(images, labels, images_path, labels_path)
        super().__init__(images, labels.astype(np.int64), transform)
        self.targets = self.labels

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"MNIST(split={split}, samples={len(self)}, transform={self.transform!r})"


def _check_shapes(images, labels, images_path, labels_path):
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXFormatError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), "
            f"found {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise IDXFormatError(
            f"{labels_path}: expected {len(images)} uint8 labels to match "
            f"{images_path}, found {labels.dtype} {labels.shape}"
        )
