"""Transforms: what happens to a sample between the file and the model (torchvision's names).

Every transform works on one sample *and* on a whole batch with a leading batch axis:
``t(sample)`` for one, ``t.apply_batch(batch)`` for many. The ``DataLoader`` calls
``apply_batch`` on in-memory data sets, so a transform costs a few array operations per batch
instead of a Python call per image. Transforms take and return NumPy (or CuPy) arrays; the
``DataLoader`` wraps the batch in Tensors.
"""

import numpy as np

from .. import backend, random
from ..backend import get_array_module


class Transform:
    """Base class: ``__call__`` transforms one sample; ``apply_batch`` a batch (axis 0).

    The default ``apply_batch`` calls ``__call__`` on every sample and stacks the results;
    transforms that can, override it with one vectorised operation.
    """

    def __call__(self, sample):
        raise NotImplementedError

    def apply_batch(self, batch):
        xp = get_array_module(batch)
        return xp.stack([self(sample) for sample in batch])

    def __repr__(self):
        return f"{type(self).__name__}()"


class Compose(Transform):
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, sample):
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def apply_batch(self, batch):
        for transform in self.transforms:
            batch = transform.apply_batch(batch)
        return batch

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class ToTensor(Transform):
    """An image (H, W) or (H, W, C) to the tensor layout (C, H, W) in the default float dtype.

    As torchvision's ``ToTensor``: uint8 values are scaled to [0, 1] (divided by 255); other
    types are only converted. A batch (N, H, W) or (N, H, W, C) becomes (N, C, H, W).
    """

    def __call__(self, image):
        return self._convert(image, batched=False)

    def apply_batch(self, images):
        return self._convert(images, batched=True)

    @staticmethod
    def _convert(images, batched):
        rank = images.ndim - batched
        if rank not in (2, 3):
            expected = "(N, H, W) or (N, H, W, C)" if batched else "(H, W) or (H, W, C)"
            raise ValueError(f"ToTensor: expected an image of shape {expected}, got {images.shape}")
        xp = get_array_module(images)
        dtype = backend.get_default_dtype()
        if images.dtype == np.uint8:
            images = xp.divide(images, 255, dtype=dtype)
        else:
            images = images.astype(dtype, copy=False)
        if rank == 2:
            return xp.expand_dims(images, -3)
        return xp.moveaxis(images, -1, -3)


class Normalize(Transform):
    """Per channel ``(x - mean[c]) / std[c]`` on (C, H, W) samples or (N, C, H, W) batches."""

    def __init__(self, mean, std):
        self.mean = tuple(float(m) for m in np.atleast_1d(mean))
        self.std = tuple(float(s) for s in np.atleast_1d(std))
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: {len(self.mean)} means but {len(self.std)} stds")
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std {self.std} has a zero, which would divide by zero")

    def __call__(self, x):
        channels = len(self.mean)
        if x.ndim < 3 or (channels > 1 and x.shape[-3] != channels):
            raise ValueError(
                f"Normalize: expected (..., C, H, W) with C = {channels}, got shape {x.shape}"
            )
        xp = get_array_module(x)
        mean = xp.asarray(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = xp.asarray(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        out = x - mean
        out /= std
        return out

    apply_batch = __call__

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class GaussianNoise(Transform):
    """Add zero-mean Gaussian noise of standard deviation ``std`` (a regulariser in deck D2's list,
    "Random Noise (Data Augmentation)"). Drawn from ``chainrule.random``, so ``manual_seed`` makes
    it reproducible; every sample of a batch gets its own noise."""

    def __init__(self, std):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = float(std)

    def __call__(self, x):
        if x.dtype.kind != "f":
            raise TypeError(
                f"GaussianNoise: expected floating-point data, got {x.dtype}; apply ToTensor first"
            )
        xp = get_array_module(x)
        noise = random.generator(xp).standard_normal(x.shape, dtype=x.dtype)
        noise *= self.std
        noise += x
        return noise

    apply_batch = __call__

    def __repr__(self):
        return f"GaussianNoise(std={self.std})"


class Lambda(Transform):
    """Apply a function. By default it is given one sample at a time; pass ``batched=True``
    when ``fn`` also works on a batch (leading axis), so batches need no per-sample loop."""

    def __init__(self, fn, batched=False):
        self.fn = fn
        self.batched = batched

    def __call__(self, sample):
        return self.fn(sample)

    def apply_batch(self, batch):
        return self.fn(batch) if self.batched else super().apply_batch(batch)

    def __repr__(self):
        return f"Lambda({getattr(self.fn, '__name__', self.fn)!r}, batched={self.batched})"
