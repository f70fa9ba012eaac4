"""The random number generators behind initialisers, dropout, shuffling and sampling.

One NumPy ``Generator`` for the CPU and, when CuPy is present, one CuPy generator for the GPU,
both reseeded by ``manual_seed`` so a run is reproducible. ``get_state``/``set_state`` capture
the CPU generator for checkpoints.
"""

import numpy as np

from . import backend

_cpu = np.random.default_rng(0)
_gpu = None


def manual_seed(seed):
    """Seed every chainrule generator (CPU and, if present, GPU), like ``torch.manual_seed``."""
    global _cpu, _gpu
    _cpu = np.random.default_rng(seed)
    _gpu = backend.cupy.random.default_rng(seed) if backend.cupy is not None else None


def generator(xp=np):
    """The generator that makes arrays for module ``xp`` (numpy or cupy)."""
    global _gpu
    if xp is np:
        return _cpu
    if _gpu is None:
        _gpu = backend.cupy.random.default_rng(int(_cpu.integers(2**63)))
    return _gpu


def get_state():
    """The CPU generator's state, a JSON-serialisable dict."""
    return _cpu.bit_generator.state


def set_state(state):
    """Restore a state returned by ``get_state``."""
    _cpu.bit_generator.state = state
