"""Differential table for chainrule.functional.conv: conv2d with stride > 1, padding (int, pair,
'same', 'valid'), dilation, groups (including depthwise), batch 1, odd sizes, non-square kernels,
with and without bias (both the wide stride-1 grid and the strided grid), batches split into
several cache-sized chunks; conv1d; conv_transpose2d and conv_transpose1d with stride, padding,
output_padding, dilation and groups; unfold and fold (im2col and col2im) with kernel, dilation,
padding and stride, batched and unbatched."""

import warnings

import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, randn


def _with(f, **options):
    return lambda *tensors: f(*tensors, **options)


def _quiet(f):
    """f with warnings silenced (torch warns that 'same' with an even kernel pads a copy)."""

    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return f(*args, **kwargs)

    return call


def _conv2d(name, x, w, bias=True, **options):
    inputs = [randn(*x), randn(*w)] + ([randn(w[0])] if bias else [])
    return Case(
        f"conv2d/{name}", _with(F.conv2d, **options), _with(_quiet(TF.conv2d), **options), inputs
    )


def _conv1d(name, x, w, bias=True, **options):
    inputs = [randn(*x), randn(*w)] + ([randn(w[0])] if bias else [])
    return Case(f"conv1d/{name}", _with(F.conv1d, **options), _with(TF.conv1d, **options), inputs)


def _transposed(name, x, w, out_channels=None, **options):
    groups = options.get("groups", 1)
    inputs = [randn(*x), randn(*w)] + ([randn(w[1] * groups)] if out_channels else [])
    return Case(
        f"conv_transpose2d/{name}",
        _with(F.conv_transpose2d, **options),
        _with(TF.conv_transpose2d, **options),
        inputs,
    )


def _transposed1d(name, x, w, bias=True, **options):
    groups = options.get("groups", 1)
    inputs = [randn(*x), randn(*w)] + ([randn(w[1] * groups)] if bias else [])
    return Case(
        f"conv_transpose1d/{name}",
        _with(F.conv_transpose1d, **options),
        _with(TF.conv_transpose1d, **options),
        inputs,
    )


def _blocks(op, name, shape, *args, **options):
    ours, theirs = getattr(F, op), getattr(TF, op)
    return Case(
        f"{op}/{name}",
        lambda x: ours(x, *args, **options),
        lambda x: theirs(x, *args, **options),
        [randn(*shape)],
    )


CASES = [
    _conv2d("plain", (2, 3, 6, 7), (4, 3, 3, 3)),
    _conv2d("no-bias-batch1", (1, 2, 5, 5), (3, 2, 3, 3), bias=False),
    _conv2d("padding-1", (2, 3, 5, 6), (4, 3, 3, 3), padding=1),
    _conv2d("padding-pair-nonsquare-kernel", (2, 2, 7, 5), (3, 2, 2, 3), padding=(2, 1)),
    _conv2d("stride-2", (2, 3, 9, 8), (4, 3, 3, 3), stride=2),
    _conv2d("stride-2-padding-odd", (1, 3, 7, 7), (2, 3, 3, 3), stride=2, padding=1),
    _conv2d("stride-pair-kernel-5x2", (2, 2, 11, 8), (3, 2, 5, 2), stride=(3, 2), padding=(1, 0)),
    _conv2d("dilation-2", (2, 2, 9, 9), (3, 2, 3, 3), dilation=2, bias=False),
    _conv2d(
        "dilation-stride-padding",
        (2, 2, 11, 10),
        (3, 2, 3, 2),
        stride=2,
        padding=2,
        dilation=(2, 3),
    ),
    _conv2d("groups-2", (2, 4, 6, 6), (6, 2, 3, 3), groups=2, padding=1),
    _conv2d("groups-3-stride", (1, 6, 7, 8), (3, 2, 2, 2), groups=3, stride=2, bias=False),
    _conv2d("depthwise", (2, 3, 7, 6), (3, 1, 3, 3), groups=3, padding=1),
    _conv2d("depthwise-multiplier-2", (2, 3, 7, 7), (6, 1, 3, 3), groups=3, stride=2),
    _conv2d("1x1", (2, 5, 4, 3), (3, 5, 1, 1)),
    _conv2d("kernel-covers-input", (3, 2, 3, 4), (2, 2, 3, 4)),
    _conv2d("same-even-kernel", (2, 3, 6, 5), (2, 3, 4, 3), padding="same"),
    _conv2d("same-dilated", (1, 2, 7, 7), (2, 2, 3, 3), padding="same", dilation=2),
    _conv2d("valid", (2, 2, 6, 6), (3, 2, 3, 3), padding="valid"),
    _conv2d("lenet-c1-shape", (2, 1, 12, 12), (6, 1, 5, 5), padding=2),
    # float64 columns of 1.6 MB per image: the batch is processed in three chunks
    _conv2d("several-batch-chunks", (3, 8, 30, 30), (4, 8, 5, 5), padding=2),
    _conv2d("several-batch-chunks-strided", (3, 8, 61, 61), (4, 4, 5, 5), stride=2, groups=2),
    _conv1d("plain", (2, 3, 11), (4, 3, 3)),
    _conv1d("stride-padding-no-bias", (1, 3, 10), (2, 3, 4), stride=2, padding=1, bias=False),
    _conv1d("dilation-groups", (2, 4, 13), (6, 2, 3), dilation=2, groups=2, padding=2),
    _conv1d("same", (2, 2, 9), (3, 2, 4), padding="same"),
    _transposed("plain", (2, 3, 4, 5), (3, 2, 3, 3), out_channels=True),
    _transposed("stride-2-no-bias", (1, 3, 4, 4), (3, 2, 3, 3), stride=2),
    _transposed(
        "stride-padding-output-padding",
        (2, 3, 4, 5),
        (3, 2, 3, 3),
        out_channels=True,
        stride=2,
        padding=1,
        output_padding=1,
    ),
    _transposed(
        "nonsquare-stride-pair",
        (2, 2, 3, 4),
        (2, 3, 2, 3),
        out_channels=True,
        stride=(3, 2),
        padding=(1, 0),
        output_padding=(2, 1),
    ),
    _transposed(
        "dilation-groups",
        (2, 4, 3, 3),
        (4, 1, 3, 2),
        out_channels=True,
        groups=2,
        dilation=2,
        stride=2,
    ),
    _transposed("stride-1-padding", (1, 2, 5, 5), (2, 3, 3, 3), padding=1),
    _transposed("several-batch-chunks", (3, 4, 26, 26), (4, 8, 5, 5), out_channels=True),
    _transposed1d("plain", (2, 3, 6), (3, 2, 3)),
    _transposed1d(
        "stride-padding-output-padding-no-bias",
        (1, 2, 5),
        (2, 3, 4),
        bias=False,
        stride=3,
        padding=1,
        output_padding=2,
    ),
    _transposed1d(
        "dilation-groups",
        (2, 4, 7),
        (4, 3, 3),
        stride=2,
        padding=1,
        output_padding=1,
        groups=2,
        dilation=2,
    ),
    _blocks("unfold", "plain", (2, 3, 5, 6), 3),
    _blocks(
        "unfold",
        "nonsquare-dilation-padding-stride-batch1",
        (1, 2, 7, 6),
        (2, 3),
        dilation=(2, 1),
        padding=1,
        stride=(2, 1),
    ),
    _blocks("unfold", "unbatched-stride-gaps", (2, 9, 8), 2, stride=3),
    _blocks("fold", "plain", (2, 27, 12), (5, 6), 3),
    _blocks(
        "fold",
        "nonsquare-dilation-padding-stride-batch1",
        (1, 12, 24),
        (7, 6),
        (2, 3),
        dilation=(2, 1),
        padding=1,
        stride=(2, 1),
    ),
    _blocks("fold", "unbatched-overlapping", (8, 20), (5, 6), 2, stride=1, dilation=1, padding=0),
]
