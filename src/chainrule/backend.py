"""Array module and device: NumPy on the CPU, CuPy on a GPU, through one code path.

Every op is written once against ``xp = get_array_module(x)``; ``xp`` is ``numpy`` for arrays
that live on the CPU and ``cupy`` for arrays on a GPU (the DeZero/Chainer idiom). This module is
the only place that knows CuPy exists.
"""

import numpy as np

from .errors import DeviceError

try:  # CuPy is optional: `pip install chainrule[gpu]`.
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_default_dtype = float32


def get_default_dtype():
    """The floating-point dtype new tensors get from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the floating-point dtype for new tensors (``float32`` or ``float64``)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"default dtype must be float32 or float64, got {dtype}")
    _default_dtype = dtype


def get_array_module(array):
    """Return ``cupy`` for a CuPy array and ``numpy`` for anything else."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return np


def cuda_is_available():
    """True when CuPy is installed and sees at least one GPU."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy raises several CUDA error types when no driver or device exists
        return False


def normalize_device(device):
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:0"`` into ``"cpu"`` or ``"cuda"``; reject the rest."""
    name = str(device)
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not cuda_is_available():
            reason = "CuPy is not installed" if cupy is None else "CuPy finds no GPU"
            raise DeviceError(
                f"device {name!r} was asked for but {reason}; "
                "install chainrule[gpu] on a machine with an NVIDIA GPU, or use 'cpu'"
            )
        return "cuda"
    raise DeviceError(f"unknown device {device!r}: use 'cpu' or 'cuda'")


def device_of(array):
    """The device name (``"cpu"`` or ``"cuda"``) an array lives on."""
    return "cuda" if get_array_module(array) is not np else "cpu"


def to_device(array, device):
    """Move an array to ``device`` (a no-op when it is already there)."""
    device = normalize_device(device)
    if device == device_of(array):
        return array
    if device == "cuda":
        return cupy.asarray(array)
    return cupy.asnumpy(array)


def as_array(data, dtype=None, device="cpu"):
    """Make an array on ``device`` from a list, scalar, NumPy or CuPy array.

    Python floats take the default dtype (float32); an existing array keeps its dtype unless
    ``dtype`` is given, as ``torch.tensor`` does.
    """
    device = normalize_device(device)
    if device == "cuda" and get_array_module(data) is np:
        data = np.asarray(data)
    xp = cupy if device == "cuda" else np
    if get_array_module(data) is not xp:
        data = to_device(data, device)
    if dtype is None and not hasattr(data, "dtype"):
        inferred = np.asarray(data).dtype
        dtype = _default_dtype if inferred.kind == "f" else inferred
    return xp.asarray(data, dtype=dtype)
