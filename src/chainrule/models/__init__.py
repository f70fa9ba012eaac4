"""The model zoo: functions that build ready-to-train ``nn.Module``s.

Besides plain builders (``mlp(...)``), a model can register itself as *trainable from a data
set* with ``@register("name")`` (``registry.py``): that registry is what ``chainrule train
<name>`` chooses from, with the model's variants and its training recipe (``RECIPES``). Adding
a model to the CLI is one decorated function in its own module plus its import below.
"""

from . import nin, resnet  # importing a model's module registers it
from .lenet5 import lenet5
from .mlp import mlp
from .registry import RECIPES, TRAINABLE, VARIANTS, build, register

__all__ = ["TRAINABLE", "VARIANTS", "RECIPES", "register", "build", "mlp", "lenet5"]
