"""Ways to make a Tensor: from data (``tensor``, ``as_tensor``) or by shape (``zeros``,
``randn`` …).

Shapes are given as PyTorch does, ``zeros(2, 3)`` or ``zeros((2, 3))``; floating tensors take the
default dtype (float32) unless ``dtype`` says otherwise; random ones draw from
``chainrule.random``'s seeded generator.
"""

import functools
import numbers

import numpy as np

from . import backend, random
from .autograd import Tensor


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """Build a Tensor from a list, number, NumPy/CuPy array or Tensor (always a copy)."""
    if isinstance(data, Tensor):
        data = data.data
    array = _numeric(backend.as_array(data, dtype=dtype, device=device), "tensor")
    if array is data:
        array = array.copy()
    return _leaf(array, requires_grad)


def as_tensor(data, dtype=None, device="cpu"):
    """Like ``tensor`` but shares memory with an array already of the right dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return Tensor(_numeric(backend.as_array(data, dtype=dtype, device=device), "as_tensor"))


def _numeric(array, caller):
    """``array`` if it holds numbers or bools; otherwise the TypeError torch gives, naming the
    element type (NumPy would have made an array of strings or of Python objects)."""
    if array.dtype.kind in "biufc":
        return array
    names = {"U": "str", "S": "bytes"}
    found = names.get(array.dtype.kind) or next(
        (type(v).__name__ for v in array.flat if not isinstance(v, numbers.Number)), None
    )
    if found is None:  # Python ints beyond int64 give dtype object
        raise TypeError(f"{caller}(): the values fit no numeric dtype (an integer beyond int64?)")
    raise TypeError(f"{caller}(): invalid data type '{found}'; a tensor holds numbers or bools")


def _leaf(array, requires_grad):
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require grad, got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


def _by_shape(make):
    """Turn ``make(xp, shape, dtype)`` into a PyTorch-style factory ``f(*shape, dtype, device)``."""

    @functools.wraps(make)
    def build(*shape, dtype=None, device="cpu", requires_grad=False):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        xp = _array_module(device)
        dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
        return _leaf(make(xp, shape, dtype), requires_grad)

    return build


@_by_shape
def zeros(xp, shape, dtype):
    """A tensor of zeros: ``zeros(2, 3)``."""
    return xp.zeros(shape, dtype)


@_by_shape
def ones(xp, shape, dtype):
    """A tensor of ones: ``ones(2, 3)``."""
    return xp.ones(shape, dtype)


@_by_shape
def rand(xp, shape, dtype):
    """Uniform samples on [0, 1): ``rand(2, 3)``."""
    return random.generator(xp).random(shape, dtype=np.float64).astype(dtype)


@_by_shape
def randn(xp, shape, dtype):
    """Standard normal samples: ``randn(2, 3)``."""
    return random.generator(xp).standard_normal(shape, dtype=np.float64).astype(dtype)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    """A tensor of ``size`` holding ``fill_value``: ``full((2, 3), 7.0)``. Its dtype follows the
    value as torch's does (bool, int64, or the default float) unless ``dtype`` says otherwise."""
    xp = _array_module(device)
    if dtype is None:
        dtype = _dtype_of_value(fill_value)
    return _leaf(xp.full(tuple(size), fill_value, dtype=np.dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device="cpu", requires_grad=False):
    """The n×m identity (n×n when ``m`` is None) in the default float dtype."""
    dtype = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    return _leaf(_array_module(device).eye(n, n if m is None else m, dtype=dtype), requires_grad)


def randint(*args, size=None, dtype=None, device="cpu"):
    """Integers drawn uniformly from [low, high): ``randint(10, (2, 3))`` or
    ``randint(5, 10, size=(2, 3))`` (torch's order: ``low`` optional, then ``high``, then
    ``size``); int64 unless ``dtype`` says otherwise, from ``chainrule.random``'s generator."""
    bounds = args if size is not None else args[:-1]
    if size is None and args:
        size = args[-1]
    if size is None or len(bounds) not in (1, 2):
        raise TypeError(f"randint(): expected ([low,] high, size), got {args}")
    low, high = (0, *bounds) if len(bounds) == 1 else bounds
    if high <= low:
        raise ValueError(f"randint(): high ({high}) must be greater than low ({low})")
    xp = _array_module(device)
    values = random.generator(xp).integers(low, high, size=tuple(size))
    return Tensor(values.astype(backend.int64 if dtype is None else np.dtype(dtype)))


def _array_module(device):
    return backend.cupy if backend.normalize_device(device) == "cuda" else np


def _dtype_of_value(value):
    if isinstance(value, (bool, np.bool_)):
        return backend.bool_
    if isinstance(value, numbers.Integral):
        return backend.int64
    return backend.get_default_dtype()


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device="cpu"):
    """``arange(5)`` or ``arange(0, 10, 2)``: integers (int64) unless a bound is a float."""
    if end is None:
        start, end = 0, start
    xp = _array_module(device)
    values = xp.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = backend.get_default_dtype()
    return Tensor(values.astype(dtype or backend.int64))
