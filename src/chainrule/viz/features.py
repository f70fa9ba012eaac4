"""Feature maps: what every layer of a network outputs for one input, captured with forward
hooks so that any model — a ``Sequential`` or a hand-written ``forward`` such as LeNet-5's —
can be looked into without changing it."""

import numpy as np

from .. import nn
from ..autograd import Tensor, no_grad
from ..backend import to_device
from .figure import plt, save

__all__ = ["feature_maps", "leaf_calls", "plot_feature_maps"]

# Layers whose output shows nothing new at evaluation: a reshape, or the identity.
PASS_THROUGH = (nn.Flatten, nn.Dropout)


def leaf_calls(model, images):
    """Run ``model`` on ``images`` (a batch array or Tensor) in eval mode and return, in the
    order they ran, ``(name, module, input, output)`` for every call of a leaf module (one with
    no children) that returns a tensor: its first argument's array (None where that is not a
    tensor) and its output's array, on the model's device. A module called twice (a shared
    activation) appears twice. The model's mode is restored and the hooks removed."""
    leaves = [
        (name, module) for name, module in model.named_modules() if not list(module.children())
    ]
    calls = []

    def hook_for(name):
        def record(module, args, output):
            if isinstance(output, Tensor):
                first = args[0].data if args and isinstance(args[0], Tensor) else None
                calls.append((name, module, first, output.data))

        return record

    handles = [module.register_forward_hook(hook_for(name)) for name, module in leaves]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(images if isinstance(images, Tensor) else Tensor(images))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return calls


def feature_maps(model, images):
    """``(name, output)`` of every leaf-module call of ``leaf_calls``, the outputs as NumPy
    arrays."""
    return [(name, to_device(output, "cpu")) for name, _, _, output in leaf_calls(model, images)]


def plot_feature_maps(model, image, path, title=None, max_maps=16):
    """The input image, then one row per layer call: up to ``max_maps`` channels of a
    convolutional output (N, C, H, W) as grey images (one grey scale per row), or a vector
    output (N, F) — or maps of 1×1 — as one strip. Layers that only reshape or are the
    identity at evaluation (``Flatten``, ``Dropout``) are left out. ``image`` is one sample
    (C, H, W). Returns the ``feature_maps`` records drawn."""
    image = np.asarray(to_device(image.data if isinstance(image, Tensor) else image, "cpu"))
    modules = dict(model.named_modules())
    records = [
        (name, out[0])
        for name, out in feature_maps(model, image[None])
        if not isinstance(modules[name], PASS_THROUGH)
    ]
    maps = [out.shape[0] for _, out in records if _is_map(out)]
    columns = max(min(max_maps, max(maps, default=1)), 1)
    width, height = 1.0 * columns + 1.4, 1.0 * (len(records) + 1) + 0.8
    figure = plt.figure(figsize=(width, height))
    grid = figure.add_gridspec(
        len(records) + 1,
        columns,
        left=1.3 / width,
        right=0.98,
        bottom=0.35 / height,
        top=1 - 0.45 / height,
        hspace=0.15,
        wspace=0.1,
    )
    _draw(figure.add_subplot(grid[0, 0]), image[0], "input")
    for row, (name, out) in enumerate(records, start=1):
        label = f"{name}\n{'×'.join(map(str, out.shape))}"
        if _is_map(out):
            limits = (float(out.min()), float(out.max()))
            for c in range(min(out.shape[0], columns)):
                _draw(
                    figure.add_subplot(grid[row, c]),
                    out[c],
                    label if c == 0 else None,
                    limits=limits,
                )
        else:
            ax = figure.add_subplot(grid[row, :])
            _draw(ax, out.reshape(1, -1), label, aspect="auto")
            if out.size <= 20:  # few units, e.g. class scores: number them
                ax.set_xticks(range(out.size))
    figure.suptitle(title or "feature maps, layer by layer", fontsize=11)
    save(figure, path)
    return records


def _is_map(out):
    """A stack of 2-D maps (C, H, W) larger than 1×1; anything else is drawn as a vector."""
    return out.ndim == 3 and out.shape[1] * out.shape[2] > 1


def _draw(ax, array, label, limits=None, aspect="equal"):
    low, high = limits or (float(array.min()), float(array.max()))
    ax.imshow(
        array,
        cmap="gray",
        vmin=low,
        vmax=high if high > low else low + 1,
        interpolation="nearest",
        aspect=aspect,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if label:
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
