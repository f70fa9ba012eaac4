"""The model zoo: functions that build ready-to-train ``nn.Module``s.

Besides plain builders (``mlp(...)``), a model can register itself as *trainable from a data
set* with ``@register("name")`` (``registry.py``): that registry is what ``chainrule train
<name>`` chooses from, with the model's variants and its training recipe (``recipe_of``). Adding
a model to the CLI is one decorated function in its own module plus its import below.
"""

from . import nin, resnet  # importing a model's module registers it
from .lenet5 import lenet5
from .mlp import mlp
from .registry import RECIPES, TRAINABLE, VARIANTS, build, recipe_of, register, varying_fields

__all__ = [
    "TRAINABLE",
    "VARIANTS",
    "RECIPES",
    "recipe_of",
    "varying_fields",
    "register",
    "build",
    "mlp",
    "lenet5",
]
