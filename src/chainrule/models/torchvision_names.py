"""The zoo under torchvision's constructor names: ``chainrule.models.resnet18(num_classes=10)``
builds what ``torchvision.models.resnet18(num_classes=10)`` builds, with the same layers, the same
computation and the same ``state_dict`` keys, so torchvision's weights load as they are
(``tools/torchvision_to_safetensors.py``). No ``weights=`` argument: nothing is downloaded.

Where torchvision departs from the paper, these follow torchvision: ResNet-50/101/152 stride in
the bottleneck's 3×3 convolution ("ResNet v1.5"; ``resnet(depth)`` puts it on the first 1×1 as
the paper), GoogLeNet has batch norm and no LRN (``googlenet()``, the paper's, in
``models/googlenet.py``), and AlexNet is the one-GPU form (``alexnet_paper`` is the 2012 one).
"""

from .alexnet import alexnet
from .googlenet import googlenet as _googlenet
from .resnet import resnet
from .vgg import vgg

__all__ = [
    "alexnet",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
]


def vgg11(num_classes=1000):
    """VGG configuration A (Simonyan & Zisserman 2015, Table 1)."""
    return vgg("A", num_classes)


def vgg11_bn(num_classes=1000):
    """VGG configuration A with batch norm after each convolution."""
    return vgg("A", num_classes, batch_norm=True)


def vgg13(num_classes=1000):
    """VGG configuration B."""
    return vgg("B", num_classes)


def vgg13_bn(num_classes=1000):
    """VGG configuration B with batch norm after each convolution."""
    return vgg("B", num_classes, batch_norm=True)


def vgg16(num_classes=1000):
    """VGG configuration D, "VGG-16"."""
    return vgg("D", num_classes)


def vgg16_bn(num_classes=1000):
    """VGG configuration D with batch norm after each convolution."""
    return vgg("D", num_classes, batch_norm=True)


def vgg19(num_classes=1000):
    """VGG configuration E, "VGG-19"."""
    return vgg("E", num_classes)


def vgg19_bn(num_classes=1000):
    """VGG configuration E with batch norm after each convolution."""
    return vgg("E", num_classes, batch_norm=True)


def googlenet(num_classes=1000, aux_logits=False):
    """torchvision's GoogLeNet (Inception v1 with batch norm); ``aux_logits`` adds the two
    auxiliary classifiers (torchvision's own default turns them on when no weights are asked
    for; its pretrained weights come without them)."""
    return _googlenet(num_classes, variant="torchvision", aux_logits=aux_logits)


def resnet18(num_classes=1000):
    """ResNet-18: basic blocks [2, 2, 2, 2]."""
    return resnet(18, num_classes, stride_on_3x3=True)


def resnet34(num_classes=1000):
    """ResNet-34: basic blocks [3, 4, 6, 3]."""
    return resnet(34, num_classes, stride_on_3x3=True)


def resnet50(num_classes=1000):
    """ResNet-50: bottlenecks [3, 4, 6, 3], striding in the 3×3 convolution."""
    return resnet(50, num_classes, stride_on_3x3=True)


def resnet101(num_classes=1000):
    """ResNet-101: bottlenecks [3, 4, 23, 3], striding in the 3×3 convolution."""
    return resnet(101, num_classes, stride_on_3x3=True)


def resnet152(num_classes=1000):
    """ResNet-152: bottlenecks [3, 8, 36, 3], striding in the 3×3 convolution."""
    return resnet(152, num_classes, stride_on_3x3=True)
