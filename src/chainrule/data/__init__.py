"""Data: data sets, the DataLoader that batches them, transforms, and the files behind them.

``Dataset``/``TensorDataset``/``Subset``/``random_split`` (``dataset.py``), ``DataLoader``
(``dataloader.py``), ``transforms``, the IDX reader (``idx.py``), the data root, downloads and
checksums (``download.py``), and the data sets: ``MNIST``, ``CIFAR10`` and ``ImageFolder`` (images
in class folders, read with Pillow).
"""

from . import transforms
from .cifar import CIFAR10
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, ImageArrays, Subset, TensorDataset, random_split
from .download import ChecksumError, DatasetNotFoundError, DownloadError, RemoteFile, data_root
from .folder import ImageFolder, ImageFormatError, MissingDependencyError
from .idx import IDXFormatError, read_idx
from .mnist import MNIST

__all__ = [
    "CIFAR10",
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DatasetNotFoundError",
    "DownloadError",
    "IDXFormatError",
    "ImageArrays",
    "ImageFolder",
    "ImageFormatError",
    "MNIST",
    "MissingDependencyError",
    "RemoteFile",
    "Subset",
    "TensorDataset",
    "data_root",
    "default_collate",
    "random_split",
    "read_idx",
    "transforms",
]
