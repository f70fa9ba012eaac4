"""The CNN zoo by name: every architecture after LeNet-5 that the decks tabulate.

``ARCHITECTURES[name]`` is ``(builder, input_size)``: a function ``builder(num_classes)`` and
the input (channels, height, width) the network was designed for; ``ALIASES`` gives the VGG
configurations under torchvision's names too (``vgg16`` is configuration D). ``chainrule
summary NAME`` prints the layer table of any of them (``summary``); ``TORCHVISION`` names the
ones whose ``state_dict`` keys and computation equal torchvision's model of the same name, so
its weights load directly (``tools/torchvision_to_safetensors.py`` converts a torchvision
checkpoint).
"""

import functools

from ..nn.utils.complexity import layer_table
from . import torchvision_names
from .alexnet import alexnet, alexnet_paper, zfnet
from .googlenet import googlenet
from .nin import nin
from .resnet import CIFAR_DEPTHS, IMAGENET_BLOCKS, cifar_resnet, resnet
from .vgg import CONFIGS, vgg

IMAGENET = (3, 224, 224)


def _vgg_entries():
    entries = {}
    for config in CONFIGS:
        name = f"vgg-{config.lower()}"
        entries[name] = (functools.partial(vgg, config), IMAGENET)
        if config != "A-LRN":
            entries[f"{name}-bn"] = (functools.partial(vgg, config, batch_norm=True), IMAGENET)
    return entries


ARCHITECTURES = {
    "alexnet": (alexnet, IMAGENET),
    "alexnet-paper": (alexnet_paper, (3, 227, 227)),
    "zfnet": (zfnet, IMAGENET),
    **_vgg_entries(),
    "googlenet": (googlenet, IMAGENET),
    "googlenet-torchvision": (functools.partial(googlenet, variant="torchvision"), IMAGENET),
    **{f"resnet{d}": (functools.partial(resnet, d), IMAGENET) for d in IMAGENET_BLOCKS},
    **{f"resnet{d}": (functools.partial(cifar_resnet, d), (3, 32, 32)) for d in CIFAR_DEPTHS},
    "nin-cifar10": (functools.partial(nin, "cifar10"), (3, 32, 32)),
    "nin-mnist": (functools.partial(nin, "mnist"), (1, 28, 28)),
}

# torchvision's VGG depths and the paper's configurations they are
VGG_DEPTHS = (("11", "A"), ("13", "B"), ("16", "D"), ("19", "E"))

# torchvision's VGG names -> the zoo's names of the same networks
ALIASES = {
    f"vgg{depth}{suffix}": f"vgg-{config.lower()}{'-bn' if suffix else ''}"
    for depth, config in VGG_DEPTHS
    for suffix in ("", "_bn")
}

# torchvision's name -> its constructor here: the same network with the same state_dict keys
TORCHVISION = {name: getattr(torchvision_names, name) for name in torchvision_names.__all__}


def build(name, num_classes=None):
    """The zoo network ``name`` (a key of ``ARCHITECTURES`` or ``ALIASES``) and its design
    input size."""
    if ALIASES.get(name, name) not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    builder, input_size = ARCHITECTURES[ALIASES.get(name, name)]
    if num_classes is None:
        return builder(), input_size
    return builder(num_classes=num_classes), input_size


def summary(name, input_size=None, depth=1):
    """``nn.utils.complexity.layer_table`` of the zoo network ``name`` for one input of
    ``input_size`` (channels, height, width; default the network's design size), down to
    ``depth`` levels; ``format_layer_table`` prints it."""
    model, design_size = build(name)
    return layer_table(model, tuple(input_size or design_size), depth)
