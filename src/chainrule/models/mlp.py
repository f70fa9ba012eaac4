"""The multilayer perceptron (deck D1, "1.1.4 Multi Layer Perceptron"; deck D2, "Feed Forward
Network"): Linear layers with a non-linearity between them.

``mlp()`` is 784-256-128-10 with ReLU and dropout 0.2: flattened 28×28 MNIST digits in, ten
class scores (logits, for ``cross_entropy``) out.
"""

import math

from .. import nn
from .registry import register

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
}


def mlp(in_features=784, hidden=(256, 128), out_features=10, activation="relu", dropout=0.2):
    """``Sequential(Flatten, [Linear, activation, Dropout] per hidden width, Linear)``.

    ``dropout=0`` leaves the Dropout layers out; ``activation`` is one of ``ACTIVATIONS``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"mlp: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    layers = [nn.Flatten()]
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


@register("mlp")
def mlp_for(input_shape, num_classes):
    """The default ``mlp`` for flattened inputs of ``input_shape``: 784-256-128-10 on MNIST."""
    return mlp(in_features=math.prod(input_shape), out_features=num_classes)
