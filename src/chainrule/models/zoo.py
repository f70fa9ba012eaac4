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

from ..autograd import no_grad
from ..creation import zeros
from ..nn.utils.complexity import layer_table
from . import torchvision_names
from .alexnet import alexnet, alexnet_paper, zfnet
from .googlenet import googlenet
from .nin import nin
from .registry import register
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


# -- The ImageNet networks trained on a data set: chainrule train NAME --dataset imagefolder:PATH

# Each paper's recipe, less ImageNet, which is not in the data mirror: the data set is the
# user's (no default one, and no validation split unless --val-size asks for it). SGD with
# momentum 0.9, the rate ÷10 twice ("multistep", as the papers' drops on a plateau), random
# crops and flips, and per family:
FAMILY_RECIPES = {
    # Krizhevsky et al. 2012, §5: batch 128, lr 0.01, weight decay 5·10⁻⁴, about 90 epochs
    "alexnet": {"epochs": 90, "lr": 0.01, "weight_decay": 5e-4, "batch_size": 128},
    # Zeiler & Fergus 2014, §3: AlexNet's, stopped after 70 epochs
    "zfnet": {"epochs": 70, "lr": 0.01, "weight_decay": 5e-4, "batch_size": 128},
    # Simonyan & Zisserman 2015, §3.1: batch 256, lr 0.01, weight decay 5·10⁻⁴, 74 epochs
    "vgg": {"epochs": 74, "lr": 0.01, "weight_decay": 5e-4, "batch_size": 256},
    # Szegedy et al. 2015, §6 gives momentum 0.9 and a slowly falling rate, not its values:
    # VGG's rate, ResNet's weight decay
    "googlenet": {"epochs": 90, "lr": 0.01, "weight_decay": 1e-4, "batch_size": 128},
    # He et al. 2016, §3.4: batch 256, lr 0.1, weight decay 10⁻⁴, 60·10⁴ iterations (~120 epochs)
    "resnet": {"epochs": 120, "lr": 0.1, "weight_decay": 1e-4, "batch_size": 256},
}
USER_DATA_RECIPE = {
    "dataset": None,
    "val_size": 0,
    "optimizer": "momentum",
    "lr_schedule": "multistep",
    "distort": True,
}


def _check_input(name, model, input_shape):
    """Refuse, with one sentence, images the network cannot take: other than colour, or of a
    size its layers do not fit (too small for its pooling, or, for a classifier sized to its
    last maps, other than its own); one forward of a blank image tells."""
    channels, height, width = input_shape
    if channels != 3:
        raise ValueError(f"{name} takes colour (3-channel) images; the data set's have {channels}")
    model.eval()
    try:
        with no_grad():
            model(zeros(1, *input_shape))
    except ValueError as error:
        raise ValueError(f"{name} cannot take {height}×{width} images: {error}") from None
    finally:
        model.train()


def _register_trainable(name, family, builders):
    """``chainrule train name``: ``builders`` maps each variant (the first is the default; the
    one key None where there are no variants) to its ``builder(num_classes=…)``."""
    variants = tuple(variant for variant in builders if variant is not None)

    @register(name, variants=variants, recipe={**USER_DATA_RECIPE, **FAMILY_RECIPES[family]})
    def build_for(input_shape, num_classes, variant=None):
        model = builders[variant](num_classes=num_classes)
        _check_input(name, model, input_shape)
        return model


def _vgg_variants():
    """VGG's configurations as variants: "d" (VGG-16) first, then "a", "a-bn", "a-lrn", "b", …"""
    configurations = [name.removeprefix("vgg-") for name in ARCHITECTURES if name[:4] == "vgg-"]
    ordered = ["d", *(c for c in configurations if c != "d")]
    return {variant: ARCHITECTURES[f"vgg-{variant}"][0] for variant in ordered}


_register_trainable("alexnet", "alexnet", {"torchvision": alexnet, "paper": alexnet_paper})
_register_trainable("zfnet", "zfnet", {None: zfnet})
_register_trainable("vgg", "vgg", _vgg_variants())
_register_trainable(
    "googlenet",
    "googlenet",
    {"paper": googlenet, "torchvision": functools.partial(googlenet, variant="torchvision")},
)
for _depth in IMAGENET_BLOCKS:
    _register_trainable(f"resnet{_depth}", "resnet", {None: functools.partial(resnet, _depth)})
