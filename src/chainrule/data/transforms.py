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


class RandomCrop(Transform):
    """A random ``size`` window of the image after ``padding`` zeros on every side (He et al.
    2016's CIFAR-10 augmentation: ``RandomCrop(32, padding=4)``).

    Works on the last two axes of a sample (C, H, W) or (H, W) and of a batch, where every image
    gets its own window: its top-left corner is drawn uniformly from the
    (H + 2·padding − h + 1) × (W + 2·padding − w + 1) possible ones, from ``chainrule.random``
    (``manual_seed`` makes it reproducible). Pad before ``Normalize`` so the border is black.
    """

    def __init__(self, size, padding=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if padding < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.padding = int(padding)

    def __call__(self, image):
        return self.apply_batch(image[None])[0]

    def apply_batch(self, images):
        xp = get_array_module(images)
        p, (height, width) = self.padding, self.size
        room_y = images.shape[-2] + 2 * p - height + 1
        room_x = images.shape[-1] + 2 * p - width + 1
        if room_y < 1 or room_x < 1:
            raise ValueError(
                f"RandomCrop: a {height}×{width} crop does not fit images of "
                f"{images.shape[-2]}×{images.shape[-1]} padded by {p}"
            )
        padded = xp.pad(images, [(0, 0)] * (images.ndim - 2) + [(p, p), (p, p)])
        windows = xp.lib.stride_tricks.sliding_window_view(padded, self.size, axis=(-2, -1))
        generator = random.generator(xp)
        top = generator.integers(0, room_y, len(images))
        left = generator.integers(0, room_x, len(images))
        return windows[xp.arange(len(images)), ..., top, left, :, :]

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Transform):
    """Mirror the image left to right (reverse its last axis) with probability ``p``, drawn for
    every image of a batch from ``chainrule.random``."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, image):
        return self.apply_batch(image[None])[0]

    def apply_batch(self, images):
        xp = get_array_module(images)
        flip = random.generator(xp).random(len(images)) < self.p
        return xp.where(flip.reshape(-1, *[1] * (images.ndim - 1)), images[..., ::-1], images)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"
