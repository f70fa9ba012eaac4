"""Fixtures for the training tests: a small slice of real MNIST.

The data root is ``$CHAINRULE_DATA`` (as ``make test`` sets it), else the shared mirror next to
the repository; the tests skip when neither holds MNIST.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from chainrule import data

MIRROR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def mnist_root():
    for root in (os.environ.get("CHAINRULE_DATA"), MIRROR):
        if root and (Path(root) / "mnist" / "train-labels-idx1-ubyte.gz").is_file():
            return str(root)
    return None


@pytest.fixture(scope="session")
def data_root():
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    return root


@pytest.fixture(scope="session")
def mnist_slice(data_root):
    """(train, val) TensorDatasets: the first 2,000 training images and the next 1,000,
    normalised, as float32 (N, 1, 28, 28) with int64 labels."""
    train = data.MNIST(data_root, train=True)
    images = ((train.data[:3000] / np.float32(255) - 0.1307) / 0.3081).astype(np.float32)
    images = images[:, None]
    labels = train.targets[:3000]
    return (
        data.TensorDataset(images[:2000], labels[:2000]),
        data.TensorDataset(images[2000:], labels[2000:]),
    )
