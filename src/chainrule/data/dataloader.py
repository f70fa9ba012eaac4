"""DataLoader: a data set cut into mini-batches of Tensors, reshuffled every epoch.

Shuffling uses the loader's own NumPy ``Generator``: seeded, so a run is reproducible; drawing a
new permutation at the start of every epoch; and with a state (``state_dict``) that a checkpoint
can save, so a resumed run sees the same order of batches as an uninterrupted one.

Two ways to build a batch:

* fast path — the data set is ``batch_indexable`` (in-memory arrays: ``TensorDataset``,
  ``MNIST``) and no ``collate_fn`` is given: one ``get_batch(indices)`` call fancy-indexes every
  array at once and applies the transform to the whole batch;
* general path — ``dataset[i]`` for each index, then ``collate_fn`` (``default_collate`` unless
  given) stacks the samples.
"""

import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..backend import get_array_module
from .dataset import make_generator


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    ``shuffle`` draws a new order each epoch from the loader's generator, made from ``seed`` (an
    int or a ``numpy.random.Generator``; by default drawn from ``chainrule.random``, so
    ``manual_seed`` fixes it). ``sampler`` (an iterable of indices with a length, such as
    ``chainrule.distributed.DistributedSampler``) gives the order instead, and excludes
    ``shuffle``. ``drop_last`` drops a final batch smaller than ``batch_size``.
    Save the shuffling state between epochs with ``state_dict()`` and restore it with
    ``load_state_dict()``.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        seed=None,
        collate_fn=None,
        sampler=None,
    ):
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or batch_size < 1
        ):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, but "
                f"got batch_size={batch_size!r}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.sampler = sampler
        self.generator = make_generator(seed)

    def __len__(self):
        """The number of batches in one epoch."""
        full, rest = divmod(self._sample_count(), self.batch_size)
        return full + int(rest > 0 and not self.drop_last)

    def _sample_count(self):
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def __iter__(self):
        n = self._sample_count()
        order = self.generator.permutation(n) if self.shuffle else None
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64, count=n)
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, n), self.batch_size):
            end = min(start + self.batch_size, n)
            yield self._fetch(slice(start, end) if order is None else order[start:end])

    def _fetch(self, indices):
        if self.collate_fn is None and self.dataset.batch_indexable:
            return tuple(Tensor(array) for array in self.dataset.get_batch(indices))
        if isinstance(indices, slice):
            indices = range(indices.start, indices.stop)
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or default_collate)(samples)

    def state_dict(self):
        """The shuffling generator's state (JSON-serialisable); save it between epochs."""
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state):
        """Restore a state from ``state_dict``: the next epoch's order is the one it would have
        had."""
        self.generator.bit_generator.state = state["generator"]


def default_collate(samples):
    """Stack a list of samples into a batch, field by field, as PyTorch's ``default_collate``.

    A sample may be a tuple/list or dict of fields; each field is a Tensor, an array, or a
    Python number. Arrays and Tensors are stacked along a new axis 0 keeping their dtype; Python
    ints become int64, floats the default float dtype, bools bool. Returns Tensors.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Tensor):
        samples = [s.data for s in samples]
        first = samples[0]
    if hasattr(first, "shape") and hasattr(first, "dtype"):
        return Tensor(get_array_module(first).stack(samples))
    if isinstance(first, bool):
        return Tensor(np.asarray(samples, dtype=np.bool_))
    if isinstance(first, int):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.asarray(samples, dtype=backend.get_default_dtype()))
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; "
        "give the DataLoader a collate_fn"
    )
