"""VGG (Simonyan & Zisserman 2014), configurations A, A-LRN, B, C, D and E.

Deck D3's "2014 , VGGNet." table: stacks of 3×3 convolutions (padding 1, so each keeps the map
size) separated by 2×2/2 max pooling, doubling the maps from 64 to 512, then FC-4096, FC-4096,
FC-1000. The configurations differ in depth: A has 11 weight layers, A-LRN adds local response
normalisation after the first layer, B 13, C 16 with a 1×1 convolution ending each of the last
three stacks, D 16 (VGG-16), E 19 (VGG-19). Two stacked 3×3 layers see a 5×5 window and three
a 7×7 one, with fewer weights and more non-linearities than one large kernel.

``vgg(config, batch_norm=False)`` builds torchvision's layout (``features``, ``avgpool``,
``classifier``) with its names, so ``torchvision.models.vgg16().state_dict()`` loads into
``vgg("D")``; ``batch_norm=True`` puts a BatchNorm2d after every convolution (torchvision's
``vgg16_bn``; Ioffe & Szegedy 2015). A and D have 132,863,336 and 138,357,544 parameters.
"""

from .. import nn
from .alexnet import features_and_classifier

POOL, LRN = "M", "LRN"

CONFIGS = {
    "A": [64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "A-LRN": [64, LRN, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "B": [64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "C": [
        64,
        64,
        POOL,
        128,
        128,
        POOL,
        256,
        256,
        (256, 1),
        POOL,
        512,
        512,
        (512, 1),
        POOL,
        512,
        512,
        (512, 1),
        POOL,
    ],
    "D": [
        64,
        64,
        POOL,
        128,
        128,
        POOL,
        256,
        256,
        256,
        POOL,
        512,
        512,
        512,
        POOL,
        512,
        512,
        512,
        POOL,
    ],
    "E": [
        64,
        64,
        POOL,
        128,
        128,
        POOL,
        256,
        256,
        256,
        256,
        POOL,
        512,
        512,
        512,
        512,
        POOL,
        512,
        512,
        512,
        512,
        POOL,
    ],
}


def vgg(config="D", num_classes=1000, batch_norm=False, dropout=0.5):
    """VGG configuration ``config`` (a key of ``CONFIGS``) for 3×224×224 inputs."""
    if config not in CONFIGS:
        raise ValueError(
            f"vgg: unknown configuration {config!r}; choose one of {', '.join(CONFIGS)}"
        )
    classifier = nn.Sequential(
        nn.Linear(512 * 7 * 7, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )
    return features_and_classifier(
        _features(CONFIGS[config], batch_norm), nn.AdaptiveAvgPool2d((7, 7)), classifier
    )


def _features(config, batch_norm):
    layers, channels = [], 3
    for entry in config:
        if entry == POOL:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif entry == LRN:  # Krizhevsky et al.'s constants, which the VGG paper reuses
            layers.append(nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0))
        else:
            maps, kernel = entry if isinstance(entry, tuple) else (entry, 3)
            layers.append(nn.Conv2d(channels, maps, kernel_size=kernel, padding=kernel // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(maps))
            layers.append(nn.ReLU())
            channels = maps
    return nn.Sequential(*layers)
