"""The deconvnet of Zeiler & Fergus 2014 ("Visualizing and Understanding Convolutional
Networks"): what in the input makes one feature map of a layer fire.

The network runs forward on a set of images; for a feature map of the chosen layer, the images
where it fires most are kept. For each, every activation of that layer is set to zero except the
strongest one of that map, and the signal is sent back down to pixel space through the layers
the forward pass went through, each undone as the paper does:

    max pooling   → unpooling with the *switches*: each value goes back to the position of the
                    maximum it came from (recorded on the way up), zeros elsewhere
    ReLU          → ReLU again (the reconstruction is kept positive, as the feature maps were)
    convolution   → the transposed filters: conv_transpose2d with the layer's own weights (no
                    bias), the adjoint of the convolution

The result, one image per top activation, shows the pixels that pattern is made of; beside it,
the patch of the input image under that projection.
"""

import numpy as np

from .. import functional as F
from .. import nn
from ..autograd import Tensor, no_grad
from ..backend import to_device
from ..errors import ChainruleError
from .features import leaf_calls
from .figure import plt, save

__all__ = ["DeconvError", "forward_chain", "project", "top_projections", "plot_top_projections"]

PROJECTED = (nn.Conv2d, nn.ReLU, nn.MaxPool2d)


class DeconvError(ChainruleError, ValueError):
    """A layer the deconvnet cannot project through, or a layer name the model lacks."""


def forward_chain(model, images, layer):
    """Run ``model`` on ``images`` and return the calls from its first convolution up to and
    including the first call of the submodule named ``layer``, as ``(module, input, output)``
    with NumPy arrays. Every call in between must be a Conv2d, ReLU or MaxPool2d."""
    modules = dict(model.named_modules())
    if layer not in modules:
        convolutional = [n for n, m in modules.items() if isinstance(m, PROJECTED) and n]
        raise DeconvError(f"the model has no layer {layer!r}; its layers: {convolutional}")
    calls = [call for call in leaf_calls(model, images) if call[2] is not None]
    names = [name for name, _, _, _ in calls]
    if layer not in names:
        raise DeconvError(f"layer {layer!r} is not called by the model's forward pass")
    chain = calls[: names.index(layer) + 1]
    first_conv = next((i for i, c in enumerate(chain) if isinstance(c[1], nn.Conv2d)), None)
    if first_conv is None:
        raise DeconvError(f"no convolution runs before {layer!r}: nothing to project through")
    for name, module, _, _ in chain[first_conv:]:
        if not isinstance(module, PROJECTED):
            raise DeconvError(
                f"the deconvnet projects through Conv2d, ReLU and MaxPool2d only; "
                f"{name!r} before {layer!r} is a {type(module).__name__}"
            )
    return [(module, x, y) for _, module, x, y in chain[first_conv:]]


def project(chain, signal):
    """Send ``signal`` (shaped like the last call's output) back down ``chain`` to the input of
    its first convolution: unpool with the switches, rectify, filter with transposed weights."""
    x = Tensor(signal)
    with no_grad():
        for module, layer_input, _ in reversed(chain):
            x = _undo(module, Tensor(layer_input), x)
    return x.data


def _undo(module, layer_input, x):
    if isinstance(module, nn.ReLU):
        return F.relu(x)
    if isinstance(module, nn.MaxPool2d):
        _, switches = F.max_pool2d(
            layer_input,
            module.kernel_size,
            module.stride,
            module.padding,
            module.dilation,
            module.ceil_mode,
            return_indices=True,
        )
        return F.max_unpool2d(
            x,
            switches,
            module.kernel_size,
            module.stride,
            module.padding,
            output_size=layer_input.shape[-2:],
        )
    padding = _conv_padding(module)
    return F.conv_transpose2d(
        x,
        module.weight,
        stride=module.stride,
        padding=padding,
        output_padding=_output_padding(module, padding, layer_input.shape[-2:], x.shape[-2:]),
        dilation=module.dilation,
        groups=module.groups,
    )


def _conv_padding(conv):
    """The convolution's padding as numbers ('valid' is none; 'same' pads (k − 1)·d / 2)."""
    if conv.padding == "valid":
        return (0, 0)
    if conv.padding == "same":
        sizes = [d * (k - 1) for k, d in zip(conv.kernel_size, conv.dilation)]
        if any(size % 2 for size in sizes):
            raise DeconvError("padding='same' with an even kernel pads unevenly; not projected")
        return tuple(size // 2 for size in sizes)
    return conv.padding


def _output_padding(conv, padding, input_size, output_size):
    """The rows/columns a strided convolution dropped, which its transpose must add back."""
    pairs = zip(input_size, output_size, conv.kernel_size, conv.stride, padding, conv.dilation)
    return tuple(i - ((o - 1) * s - 2 * p + d * (k - 1) + 1) for i, o, k, s, p, d in pairs)


def top_projections(model, images, layer, feature, top=9):
    """The ``top`` images of ``images`` where map ``feature`` of ``layer`` fires most: their
    indices, their strongest activations, and each one's projection to the first convolution's
    input (N, C, H, W), strongest first."""
    chain = forward_chain(model, images, layer)
    output = chain[-1][2]
    if not 0 <= feature < output.shape[1]:
        raise DeconvError(f"layer has {output.shape[1]} feature maps; got feature {feature}")
    strengths = output[:, feature].reshape(len(output), -1).max(axis=1)
    order = np.argsort(-strengths, kind="stable")[:top]
    signal = np.zeros((len(order), *output.shape[1:]), output.dtype)
    for row, image in enumerate(order):
        position = np.unravel_index(np.argmax(output[image, feature]), output.shape[2:])
        signal[(row, feature, *position)] = output[(image, feature, *position)]
    sub_chain = [(m, x[order], y[order]) for m, x, y in chain]
    return order, strengths[order], project(sub_chain, signal)


def plot_top_projections(model, images, layer, path, features=8, top=9):
    """One row per feature map of ``layer`` (the first ``features``): its ``top`` projections,
    then the image patches under them. ``images`` (N, C, H, W) in the model's input scale.
    Returns ``{feature: image indices}``."""
    images = np.asarray(to_device(images.data if isinstance(images, Tensor) else images, "cpu"))
    channels = forward_chain(model, images[:1], layer)[-1][2].shape[1]
    rows = range(min(features, channels))
    figure, axes = plt.subplots(
        len(rows), 2 * top, figsize=(2 * top * 0.6 + 0.8, len(rows) * 0.65 + 0.6), squeeze=False
    )
    chosen = {}
    for row, feature in enumerate(rows):
        order, _, projections = top_projections(model, images, layer, feature, top)
        chosen[feature] = order.tolist()
        for k, (image, projection) in enumerate(zip(order, projections)):
            projection = _crop_to(projection.sum(axis=0), images.shape[-2:])
            axes[row, k].imshow(projection, cmap="gray")
            axes[row, top + k].imshow(_patch(images[image].mean(axis=0), projection), cmap="gray")
        axes[row, 0].set_ylabel(f"map {feature}", rotation=0, ha="right", va="center", fontsize=7)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(f"{layer}: top-{top} projections (left) and their image patches (right)")
    save(figure, path)
    return chosen


def _crop_to(array, size):
    """The centre ``size`` of ``array`` (a network that pads its input first, like LeNet-5's
    28 → 32 input map, projects onto the padded image)."""
    top, left = ((a - s) // 2 for a, s in zip(array.shape, size))
    return array[top : top + size[0], left : left + size[1]]


def _patch(image, projection):
    """The part of ``image`` under the projection's support (where it is not negligible)."""
    rows, cols = np.nonzero(np.abs(projection) > 1e-3 * (np.abs(projection).max() + 1e-12))
    if rows.size == 0:
        return np.zeros((1, 1))
    return image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
