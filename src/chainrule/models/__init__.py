"""The model zoo: functions that build ready-to-train ``nn.Module``s.

Besides plain builders (``mlp(...)``), a model can register itself as *trainable from a data
set* with ``@register("name")`` (``registry.py``): that registry is what ``chainrule train
<name>`` chooses from, with the model's variants and its training recipe (``recipe_of``). Adding
a model to the CLI is one decorated function in its own module plus its import below.

The ImageNet networks of the zoo are here under torchvision's constructor names too
(``resnet18(num_classes=10)``, ``vgg16()``, …: ``torchvision_names.py``); ``models.zoo`` has
every architecture by name, with its layer table.
"""

from . import nin, resnet, torchvision_names, zoo  # nin, resnet and zoo register models
from .lenet5 import lenet5
from .mlp import mlp
from .registry import RECIPES, TRAINABLE, VARIANTS, build, recipe_of, register, varying_fields
from .torchvision_names import (
    alexnet,
    googlenet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

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
    *torchvision_names.__all__,
]
