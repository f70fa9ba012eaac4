"""Datasets: anything with a length that gives the i-th sample, as in PyTorch.

A ``Dataset`` subclass defines ``__len__`` and ``__getitem__``. A data set held in memory as
arrays (``TensorDataset``; ``ImageArrays``, such as ``MNIST`` and ``CIFAR10``) also sets
``batch_indexable = True`` and defines ``get_batch(indices)``, which returns every field of a
whole batch at once by fancy-indexing its arrays; the ``DataLoader`` uses it instead of fetching
samples one by one.
"""

import numpy as np

from .. import random
from ..autograd import Tensor
from ..backend import get_array_module


class Dataset:
    """Base class of data sets: ``len(ds)`` samples, ``ds[i]`` the i-th one."""

    batch_indexable = False

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def get_batch(self, indices):
        """Every field of the samples at ``indices`` (an int array or a slice), as arrays."""
        raise NotImplementedError(f"{type(self).__name__} cannot fetch a batch at once")


class TensorDataset(Dataset):
    """Samples are the i-th rows of some Tensors or arrays of equal length: ``(x[i], y[i])``."""

    batch_indexable = True

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.arrays = tuple(t.data if isinstance(t, Tensor) else t for t in tensors)
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: tensors differ in their first dimension ({shapes})")

    @property
    def tensors(self):
        """The whole data as Tensors (sharing the arrays), as torch's ``.tensors``."""
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.arrays)

    def get_batch(self, indices):
        return tuple(a[_on_device_of(a, indices)] for a in self.arrays)


def _on_device_of(array, indices):
    """Index arrays must live where the indexed array lives (CuPy does not take NumPy ones)."""
    if isinstance(indices, slice):
        return indices
    return get_array_module(array).asarray(indices)


class ImageArrays(Dataset):
    """Labelled images held in memory (``data``: uint8, (N, H, W) or (N, H, W, C); ``labels``:
    int64 (N,)). A sample is ``(transform(image), label)`` with the label a Python int, as
    torchvision's; ``get_batch`` applies the transform to whole batches, so it must accept a
    batch too (every ``chainrule.data.transforms`` class does). MNIST and CIFAR10 are such
    sets, read from their files."""

    batch_indexable = True

    def __init__(self, images, labels, transform=None):
        self.data, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = self.data[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])

    def get_batch(self, indices):
        """``(images, labels)`` for an index array or slice, the transform applied batch-wise."""
        images = self.data[indices]
        if self.transform is not None:
            images = self.transform.apply_batch(images)
        return images, self.labels[indices]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    @property
    def batch_indexable(self):
        return self.dataset.batch_indexable

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[indices])


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (the samples
    left over after flooring go one each to the first splits, as PyTorch does). ``seed`` is an
    int or a ``numpy.random.Generator``; by default it is drawn from ``chainrule.random``.
    """
    counts = _split_counts(len(dataset), list(lengths))
    order = make_generator(seed).permutation(len(dataset))
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def _split_counts(total, lengths):
    if all(isinstance(n, (int, np.integer)) for n in lengths):
        if sum(lengths) != total or min(lengths) < 0:
            raise ValueError(
                f"random_split: lengths {lengths} must be >= 0 and sum to the "
                f"dataset's length {total}"
            )
        return [int(n) for n in lengths]
    if not np.isclose(sum(lengths), 1.0) or min(lengths) < 0:
        raise ValueError(f"random_split: fractions {lengths} must be >= 0 and sum to 1")
    counts = [int(np.floor(total * f)) for f in lengths]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def make_generator(seed):
    """A NumPy Generator from an int, a Generator, or (None) one seeded by chainrule.random."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        seed = int(random.generator().integers(2**63))
    return np.random.default_rng(seed)
