"""Data: data sets, the DataLoader that batches them, transforms, and the files behind them.

``Dataset``/``TensorDataset``/``Subset``/``random_split`` (``dataset.py``), ``DataLoader``
(``dataloader.py``), ``transforms``, the IDX reader (``idx.py``), the data root, downloads and
checksums (``download.py``), and the data sets: ``MNIST``.
"""

from . import transforms
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split
from .download import ChecksumError, DatasetNotFoundError, DownloadError, RemoteFile, data_root
from .idx import IDXFormatError, read_idx
from .mnist import MNIST

__all__ = [
    "ChecksumError",
    "DataLoader",
    "Dataset",
    "DatasetNotFoundError",
    "DownloadError",
    "IDXFormatError",
    "MNIST",
    "RemoteFile",
    "Subset",
    "TensorDataset",
    "data_root",
    "default_collate",
    "random_split",
    "read_idx",
    "transforms",
]
