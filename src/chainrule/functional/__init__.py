"""Stateless ops, each one ``Function`` with its forward and backward side by side.

Named and argued like ``torch.nn.functional``; ``import chainrule.functional as F``. Importing
this package also binds the Tensor operators and methods (``+``, ``@``, ``.sum()``, …), see
``methods.py``.
"""

import sys

from . import methods  # noqa: F401  (binds Tensor operators)
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .resample import *  # noqa: F401,F403

# By sys.modules, not `from . import linear`: the star imports above bind the package's names
# `linear`, `dropout`, `embedding` to the functions of the same name, as in torch.nn.functional.
_MODULES = [
    sys.modules[f"{__name__}.{name}"]
    for name in (
        "math",
        "activation",
        "linear",
        "loss",
        "conv",
        "pool",
        "norm",
        "dropout",
        "embedding",
        "recurrent",
        "resample",
    )
]
__all__ = [name for module in _MODULES for name in module.__all__]
