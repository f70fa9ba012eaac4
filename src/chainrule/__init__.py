"""chainrule: a deep-learning framework written from scratch, every backward by hand.

The layers, top to bottom (see docs/architecture.md): ``backend`` (NumPy or CuPy), ``autograd``
(Tensor, Function, backward), ``functional`` (stateless ops), and the packages built on them.
"""

from . import backend, data, functional, init, nn, optim, random
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from .backend import (
    cuda_is_available,
    float32,
    float64,
    get_array_module,
    get_default_dtype,
    int64,
    set_default_dtype,
)
from .creation import arange, as_tensor, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .serialization import load, save

__version__ = "0.1.0"
