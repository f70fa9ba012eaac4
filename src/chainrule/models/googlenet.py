"""GoogLeNet / Inception v1 (Szegedy et al. 2015, "Going Deeper with Convolutions").

Deck D3's "2014 , GoogLeNet" table lists it layer by layer. Its unit is the inception module: four
branches side by side on the same input — a 1×1 convolution; a 1×1 "reduce" then a 3×3; a 1×1
reduce then a 5×5; a 3×3/1 max pool then a 1×1 "pool proj" — whose maps are concatenated. The
1×1 reductions are Network in Network's mlpconv idea used to cut the cost of the large kernels:
the whole 22-layer net has 7M parameters, a tenth of AlexNet's.

``googlenet(variant="paper")`` is the table: ReLU after every convolution, local response
normalisation after the stem's pools, 40% dropout, and the two auxiliary classifiers (on the
outputs of 4a and 4d: 5×5/3 average pool, 1×1 convolution to 128, FC-1024, 70% dropout, a
classifier) when ``aux_logits=True``; in training it then returns ``(logits, aux2, aux1)`` and
the paper adds their losses with weight 0.3. ``variant="torchvision"`` is
``torchvision.models.googlenet``'s form — batch norm after each convolution and no LRN, a 3×3
kernel where the paper has the 5×5 (torchvision keeps it for its weights), 2×2 fourth pool,
20% dropout — with its names, so its ``state_dict`` loads as it is.
"""

from collections import namedtuple

from .. import functional, nn

VARIANTS = ("paper", "torchvision")
GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])

# name: (in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj), as the table's columns
INCEPTION = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    """A convolution and its ReLU; with ``batch_norm``, a bias-free convolution, BatchNorm
    (eps 0.001, as torchvision) and the ReLU."""

    def __init__(self, in_channels, out_channels, batch_norm, **conv_options):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=not batch_norm, **conv_options)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001) if batch_norm else nn.Identity()

    def forward(self, x):
        return functional.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """The four branches, concatenated along the maps: 1×1 | 1×1→3×3 | 1×1→5×5 | pool→1×1."""

    def __init__(
        self,
        in_channels,
        ch1x1,
        ch3x3red,
        ch3x3,
        ch5x5red,
        ch5x5,
        pool_proj,
        batch_norm,
        large_kernel=5,
    ):
        super().__init__()

        def conv(cin, cout, **options):
            return BasicConv2d(cin, cout, batch_norm, **options)

        self.branch1 = conv(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            conv(in_channels, ch3x3red, kernel_size=1),
            conv(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            conv(in_channels, ch5x5red, kernel_size=1),
            conv(ch5x5red, ch5x5, kernel_size=large_kernel, padding=large_kernel // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            conv(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return functional.cat([branch(x) for branch in branches], dim=1)


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate output (14×14×512 or 528): its loss, weighted
    0.3, adds gradient to the middle of the network during training."""

    def __init__(self, in_channels, num_classes, batch_norm, pool):
        super().__init__()
        self.pool = pool
        self.conv = BasicConv2d(in_channels, 128, batch_norm, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(0.7)

    def forward(self, x):
        x = self.conv(self.pool(x)).flatten(1)
        return self.fc2(self.dropout(functional.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """Inception v1 for 3×224×224 inputs, as deck D3's table (see the module docstring)."""

    def __init__(self, num_classes=1000, variant="paper", aux_logits=False):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(
                f"googlenet: unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}"
            )
        paper = variant == "paper"
        batch_norm = not paper
        self.aux_logits = aux_logits
        self.conv1 = BasicConv2d(3, 64, batch_norm, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.lrn1 = _lrn() if paper else nn.Identity()
        self.conv2 = BasicConv2d(64, 64, batch_norm, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, batch_norm, kernel_size=3, padding=1)
        self.lrn2 = _lrn() if paper else nn.Identity()
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name, channels in INCEPTION.items():
            setattr(self, name, Inception(*channels, batch_norm, large_kernel=5 if paper else 3))
            if name == "inception3b":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            elif name == "inception4e":
                self.maxpool4 = (
                    nn.MaxPool2d(3, stride=2, ceil_mode=True)
                    if paper
                    else nn.MaxPool2d(2, stride=2, ceil_mode=True)
                )
        if aux_logits:

            def pool():
                return nn.AvgPool2d(5, stride=3) if paper else nn.AdaptiveAvgPool2d((4, 4))

            self.aux1 = InceptionAux(512, num_classes, batch_norm, pool())
            self.aux2 = InceptionAux(528, num_classes, batch_norm, pool())
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.4 if paper else 0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(self.lrn1(x)))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if aux1 is None:
            return logits
        return GoogLeNetOutputs(logits, aux2, aux1)


def googlenet(num_classes=1000, variant="paper", aux_logits=False):
    """GoogLeNet as deck D3's table (``variant="paper"``) or as torchvision builds it."""
    return GoogLeNet(num_classes, variant, aux_logits)


def _lrn():
    return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)
