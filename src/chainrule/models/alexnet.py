"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) and ZF Net (Zeiler & Fergus 2014).

Deck D3's "2012 , Alex Net" slides list the layers: five convolutions (96 11×11/4, 256 5×5,
384 3×3, 384 3×3, 256 3×3), the first two followed by local response normalisation and
overlapping 3×3/2 max pooling, then two fully connected layers of 4096 with dropout and a
1000-way softmax. The paper split every layer between two GPUs: convolutions 2, 4 and 5 see only
the maps of their own GPU, which is a grouped convolution with ``groups=2``.

- ``alexnet()``: torchvision's one-GPU form (64/192/384/256/256 maps, no LRN, adaptive 6×6
  pooling before the classifier): 61,100,840 parameters, the same names as
  ``torchvision.models.alexnet`` so its ``state_dict`` loads as it is.
- ``alexnet_paper()``: the 2012 paper's two-GPU network on 227×227 inputs (the paper says 224;
  227 is what makes its 55×55 first layer come out), with LRN (k=2, n=5, α=1e-4, β=0.75).
- ``zfnet()``: Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional Networks"
  (deck D3, "2013 ZF Net"): AlexNet with a 7×7/2 first layer and stride 2 in the second
  convolution, one GPU, which their deconvnet pictures showed to keep more mid-frequency detail.
"""

from .. import nn


def alexnet(num_classes=1000, dropout=0.5):
    """torchvision's AlexNet (one GPU, no LRN) for 3×224×224 inputs."""
    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    return _FeaturesAndClassifier(
        features, nn.AdaptiveAvgPool2d((6, 6)), _classifier(256 * 6 * 6, num_classes, dropout)
    )


def alexnet_paper(num_classes=1000, dropout=0.5):
    """The 2012 paper's network: grouped convolutions 2, 4, 5 (two GPUs), LRN after the first
    two, overlapping max pooling, for 3×227×227 inputs (output maps 55, 27, 13, 13, 13)."""
    features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4),
        nn.ReLU(),
        _paper_lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),
        nn.ReLU(),
        _paper_lrn(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    return _FeaturesAndClassifier(
        features, nn.Identity(), _classifier(256 * 6 * 6, num_classes, dropout)
    )


def zfnet(num_classes=1000, dropout=0.5):
    """ZF Net for 3×224×224 inputs: maps of 110, 55, 26, 13, 13, 13, 6 as the paper's Fig. 3
    (pooling rounds up, as the paper's Caffe-style layers did)."""
    features = nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        _paper_lrn(),
        nn.Conv2d(96, 256, kernel_size=5, stride=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        _paper_lrn(),
        nn.Conv2d(256, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
    )
    return _FeaturesAndClassifier(
        features, nn.Identity(), _classifier(256 * 6 * 6, num_classes, dropout)
    )


def _paper_lrn():
    """Krizhevsky et al.'s response normalisation: b = a / (k + α/n·Σ a²)^β over n=5 maps, with
    their k=2, α=1e-4, β=0.75 (torch's ``alpha`` is divided by ``size``, so α·n is passed)."""
    return nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)


def _classifier(in_features, num_classes, dropout):
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_features, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, num_classes),
    )


class _FeaturesAndClassifier(nn.Module):
    """``features`` (convolutions), ``avgpool``, flatten, ``classifier``: torchvision's layout
    for AlexNet and VGG, so their ``state_dict`` keys are the same."""

    def __init__(self, features, avgpool, classifier):
        super().__init__()
        self.features = features
        self.avgpool = avgpool
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def features_and_classifier(features, avgpool, classifier):
    """A network laid out as torchvision's AlexNet/VGG (``features.*``, ``classifier.*``)."""
    return _FeaturesAndClassifier(features, avgpool, classifier)


__all__ = ["alexnet", "alexnet_paper", "zfnet", "features_and_classifier"]
