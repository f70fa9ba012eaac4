"""Residual networks (He, Zhang, Ren & Sun 2016, "Deep Residual Learning for Image Recognition").

A residual block learns F(x) and outputs relu(F(x) + x): the shortcut carries x (and, in the
backward pass, the error term δ) past the block unchanged, so a deep stack starts as the
identity and the gradient reaches the first layers undamped. Deck D3's "2015, ResNet" table gives
the ImageNet networks: a 7×7/2 convolution and 3×3/2 max pooling, four stages of blocks at 56, 28,
14 and 7 pixels, global average pooling and a 1000-way fully connected layer.

- ``resnet(depth)`` for depth 18, 34 (basic blocks: two 3×3 convolutions) and 50, 101, 152
  (bottlenecks: 1×1 down to ``planes``, 3×3, 1×1 up to 4·``planes``), with batch norm after every
  convolution and a 1×1 projection shortcut where the shape changes (the paper's option B).
  Multiply-adds at 224×224: 1.8, 3.6, 3.9, 7.6, 11.3 ×10⁹, the table's FLOPs row. A bottleneck
  that halves the map does it, as the paper, in its first 1×1 convolution;
  ``stride_on_3x3=True`` moves the stride to the 3×3 one, as torchvision does ("ResNet v1.5":
  4.1, 7.8, 11.5 ×10⁹ multiply-adds). The names are torchvision's, so its ``state_dict`` loads
  as it is (with ``stride_on_3x3=True`` for its bottleneck nets).
- ``cifar_resnet(depth)`` for depth 6n+2 (20, 32, 44, 56, 110): the paper's CIFAR-10 networks
  (its section 4.2): a 3×3 convolution to 16 maps, three stages of n basic blocks at 32, 16 and
  8 pixels with 16, 32, 64 maps, global average pooling, a 10-way layer; shortcuts are identities
  that subsample and pad the new maps with zeros (option A), so they add no parameters.
  ResNet-20 has 0.27M parameters.

``chainrule train resnet20`` (32, 44, 56, 110) trains them with the paper's recipe (``RECIPE``):
SGD with momentum 0.9 and weight decay 10⁻⁴, batch 128, learning rate 0.1 divided by 10 at epochs
82 and 123 of 164 (its 32k and 48k of 64k iterations), on CIFAR-10 with the paper's augmentation
(4 pixels of zero padding, a random 32×32 crop, a random horizontal flip).
"""

from .. import creation, functional, init, nn
from .registry import register

IMAGENET_BLOCKS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
CIFAR_DEPTHS = (20, 32, 44, 56, 110)


def _conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def _conv1x1(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3×3 convolutions."""

    expansion = 1

    def __init__(self, in_channels, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + shortcut)


class Bottleneck(nn.Module):
    """1×1 (reduce to ``planes``) → 3×3 (stride here) → 1×1 (expand to 4·``planes``), plus the
    shortcut: the 50/101/152-layer block, cheaper than two 3×3 layers on 4·``planes`` maps."""

    expansion = 4

    def __init__(self, in_channels, planes, stride=1, downsample=None, stride_on_3x3=False):
        super().__init__()
        self.conv1 = _conv1x1(in_channels, planes, 1 if stride_on_3x3 else stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride if stride_on_3x3 else 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + shortcut)


class ResNet(nn.Module):
    """The ImageNet ResNet of deck D3's table, laid out and named as torchvision's."""

    def __init__(self, block, layers, num_classes=1000, stride_on_3x3=False):
        super().__init__()
        self.block_options = {"stride_on_3x3": stride_on_3x3} if block is Bottleneck else {}
        self.in_channels = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._stage(block, 64, layers[0], stride=1)
        self.layer2 = self._stage(block, 128, layers[1], stride=2)
        self.layer3 = self._stage(block, 256, layers[2], stride=2)
        self.layer4 = self._stage(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _he_initialise(self)

    def _stage(self, block, planes, blocks, stride):
        out_channels = planes * block.expansion
        downsample = None
        if stride != 1 or self.in_channels != out_channels:  # projection shortcut, option B
            downsample = nn.Sequential(
                _conv1x1(self.in_channels, out_channels, stride), nn.BatchNorm2d(out_channels)
            )
        stage = [block(self.in_channels, planes, stride, downsample, **self.block_options)]
        self.in_channels = out_channels
        stage += [block(out_channels, planes, **self.block_options) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet(depth=18, num_classes=1000, stride_on_3x3=False):
    """ResNet-``depth`` (18, 34, 50, 101 or 152) for 3×224×224 inputs."""
    if depth not in IMAGENET_BLOCKS:
        raise ValueError(f"resnet: depth must be one of {sorted(IMAGENET_BLOCKS)}; got {depth}")
    kind, layers = IMAGENET_BLOCKS[depth]
    if kind == "basic":
        return ResNet(BasicBlock, layers, num_classes)
    return ResNet(Bottleneck, layers, num_classes, stride_on_3x3)


class ZeroPadShortcut(nn.Module):
    """Option A of He et al.: the identity, subsampled by ``stride`` and padded with zero maps up
    to ``out_channels`` — a shortcut with no parameters."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        n, _, h, w = x.shape
        zeros = creation.zeros((n, self.extra_channels, h, w), dtype=x.dtype, device=x.device)
        return functional.cat([x, zeros], dim=1)


class CifarBasicBlock(BasicBlock):
    """The basic block with the option-A shortcut where the maps double."""

    def __init__(self, in_channels, planes, stride=1):
        downsample = None
        if stride != 1 or in_channels != planes:
            downsample = ZeroPadShortcut(in_channels, planes, stride)
        super().__init__(in_channels, planes, stride, downsample)


class CifarResNet(nn.Module):
    """He et al.'s CIFAR-10 ResNet of depth 6n+2: 16, 32, 64 maps at 32, 16, 8 pixels."""

    def __init__(self, blocks_per_stage, num_classes=10, in_channels=3):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        stages, channels = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = [CifarBasicBlock(channels, planes, stride)]
            blocks += [CifarBasicBlock(planes, planes) for _ in range(1, blocks_per_stage)]
            stages.append(nn.Sequential(*blocks))
            channels = planes
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        _he_initialise(self)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def cifar_resnet(depth=20, num_classes=10, in_channels=3):
    """ResNet-``depth`` for 32×32 images, depth = 6n + 2 (20, 32, 44, 56, 110, …)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"cifar_resnet: depth must be 6n+2 (20, 32, 44, 56, 110); got {depth}")
    return CifarResNet((depth - 2) // 6, num_classes, in_channels)


RECIPE = {
    "dataset": "cifar10",
    "epochs": 164,
    "optimizer": "momentum",
    "lr": 0.1,
    "lr_schedule": "multistep",
    "weight_decay": 1e-4,
    "batch_size": 128,
    "distort": True,
}


def _register_cifar_resnet(depth):
    @register(f"resnet{depth}", recipe=RECIPE)
    def build(input_shape, num_classes):
        """The CIFAR ResNet of this depth for ``chainrule train``: images (C, H, W) of any size
        (global average pooling ends the network), ``num_classes`` outputs."""
        return cifar_resnet(depth, num_classes, in_channels=input_shape[0])

    return build


for _depth in CIFAR_DEPTHS:
    _register_cifar_resnet(_depth)


def _he_initialise(model):
    """He et al. 2015's normal initialisation (fan-out, ReLU gain) for the convolutions, and
    γ = 1, β = 0 for batch norm, as the paper's training recipe and torchvision do."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            init.ones_(module.weight)
            init.zeros_(module.bias)
