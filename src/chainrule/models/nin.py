"""Network in Network (Lin, Chen & Yan 2013): mlpconv blocks and global average pooling.

An mlpconv block slides a small multilayer perceptron over the image instead of a linear filter:
a k×k convolution followed by two 1×1 convolutions ("cascaded cross-channel pooling"), each with
a ReLU. The last block has one map per class, and global average pooling (deck D1, "global
average pooling"; deck D3, "Network In Network") turns each map into that class's score — no
fully connected layer, so nothing there to overfit. Deck D3's table gives NIN + dropout 0.47%
test error on MNIST.

The last 1×1 convolution has one map per class and no ReLU after it, unlike the paper's Caffe
network (which has one): a ReLU there scores a class 0 for every image once that class's map is
negative everywhere, and 0 is the lowest score a ReLU allows, so the class is never predicted
again. Trained that way, the MNIST form lost three of its ten classes for good within its first
epoch (69% validation accuracy after two; `tests/models/test_zoo.py` holds the scores free to be
negative).

``nin("cifar10")`` is the paper's CIFAR-10 network (192-160-96, 192-192-192, 192-192-10 maps;
max then average 3×3/2 pooling with 50% dropout after each of the first two blocks), for 3×32×32
inputs. ``nin("mnist")`` is the same shape sized for 1×28×28 digits (96-64-48, 128-96-48,
128-96-10), the paper giving no layer sizes for MNIST.

``chainrule train nin --variant cifar10`` (the default) trains on CIFAR-10 and ``--variant
mnist`` on MNIST, each with its own recipe. The CIFAR-10 form keeps the paper's schedule (its
section 4.1: mini-batches of 128, the learning rate lowered by 10 twice, to 1% of its start;
``RECIPE`` lowers it at half and three quarters of 100 epochs, a length not yet measured) but
not its optimiser. The paper trains with SGD and momentum from a Gaussian initialisation it
does not give; with PyTorch's initialisation (and with He's), SGD with momentum at lr 0.01 or
0.05 left the MNIST network at chance (loss ln 10 = 2.30) after its first 40 steps, while Adam
at lr 10⁻³ was at loss 2.08 after 60 steps (batch 128), so both forms use Adam. The MNIST
form's recipe (``MNIST_RECIPE``) is the measured one: 20 epochs of Adam on a cosine to 0 give
0.45% test error (docs/zoo.md).
"""

from .. import nn
from .registry import register

# per block: (k×k kernel, maps of the k×k conv, maps of the two 1×1 convs)
FORMS = {
    "cifar10": {
        "in_channels": 3,
        "blocks": ((5, 192, 160, 96), (5, 192, 192, 192), (3, 192, 192, None)),
    },
    "mnist": {"in_channels": 1, "blocks": ((5, 96, 64, 48), (5, 128, 96, 48), (5, 128, 96, None))},
}


def mlpconv(in_channels, kernel_size, maps, cccp1, cccp2):
    """A k×k convolution and two 1×1 convolutions, each followed by a ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, maps, kernel_size, padding=kernel_size // 2),
        nn.ReLU(),
        nn.Conv2d(maps, cccp1, 1),
        nn.ReLU(),
        nn.Conv2d(cccp1, cccp2, 1),
        nn.ReLU(),
    )


def nin(form="cifar10", num_classes=10, dropout=0.5):
    """Network in Network in its ``form`` ("cifar10" or "mnist")."""
    if form not in FORMS:
        raise ValueError(f"nin: unknown form {form!r}; choose one of {', '.join(FORMS)}")
    spec = FORMS[form]
    (k1, m1, a1, b1), (k2, m2, a2, b2), (k3, m3, a3, _) = spec["blocks"]
    return nn.Sequential(
        mlpconv(spec["in_channels"], k1, m1, a1, b1),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(dropout),
        mlpconv(b1, k2, m2, a2, b2),
        _second_pool(form),
        nn.Dropout(dropout),
        mlpconv(b2, k3, m3, a3, num_classes)[:-1],  # the class scores: no ReLU (see above)
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )


def _second_pool(form):
    if form == "cifar10":
        return nn.AvgPool2d(3, stride=2, ceil_mode=True)
    return nn.MaxPool2d(3, stride=2, ceil_mode=True)


RECIPE = {
    "dataset": "cifar10",
    "epochs": 100,
    "optimizer": "adam",
    "lr": 1e-3,
    "lr_schedule": "multistep",
    "batch_size": 128,
}
MNIST_RECIPE = {"dataset": "mnist", "epochs": 20, "lr_schedule": "cosine"}


@register("nin", variants=tuple(FORMS), recipe=RECIPE, variant_recipes={"mnist": MNIST_RECIPE})
def nin_for(input_shape, num_classes, variant="cifar10"):
    """NIN in the form ``variant`` for ``chainrule train``; the images must have the form's
    channels (3 for "cifar10", 1 for "mnist")."""
    channels = FORMS[variant]["in_channels"]
    if input_shape[0] != channels:
        raise ValueError(
            f"nin: the {variant!r} form takes {channels}-channel images, the data set has "
            f"{input_shape[0]}; choose the variant of the data set"
        )
    return nin(variant, num_classes)
