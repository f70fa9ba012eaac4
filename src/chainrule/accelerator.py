"""``chainrule.accelerator``: is there a GPU, and which device is it — as
``torch.accelerator``. chainrule's one accelerator is an NVIDIA GPU driven through CuPy."""

from . import backend
from .device import device


def is_available():
    """True when CuPy is installed and sees a GPU."""
    return backend.cuda_is_available()


def current_accelerator(check_available=False):
    """``device("cuda")`` when chainrule can drive a GPU (CuPy is installed), else None; with
    ``check_available=True``, None as well when no GPU is present now."""
    if backend.cupy is None or (check_available and not is_available()):
        return None
    return device("cuda")


def device_count():
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    return backend.cupy.cuda.runtime.getDeviceCount() if is_available() else 0
