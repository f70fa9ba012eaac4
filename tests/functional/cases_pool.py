"""Differential table for chainrule.functional.pool: max and average pooling with non-overlapping
(2×2 stride 2, on even and odd sizes) and overlapping windows (3×3 stride 2, stride 1), padding,
non-square kernels and strides, count_include_pad, unbatched input; Lp pooling for p = 2 and 3;
adaptive average pooling to 1 (global), to sizes that divide and that do not, and up-sampling;
ceil_mode (with torch's divisor for the last, partial windows), dilation, return_indices (the
indices compared as a second output), divisor_override; the 1-D ops (max, avg, Lp, adaptive
max); adaptive max pooling; max unpooling of the indices a max pooling returned, with and
without output_size.

Max-pooling inputs are continuous random draws, so windows have no ties and finite differences
see a locally linear function, except in the "ties" rows (PyTorch only)."""

import torch
import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, Input, randn, uniform


def small_integers(*shape):
    """Values in {0, 1, 2}: windows full of ties (as after a ReLU), to check that the first
    maximum in row-major order gets the gradient, as in PyTorch. Differentiated, but with no
    finite differences (max is not differentiable at a tie)."""
    return Input(lambda rng: rng.integers(0, 3, shape).astype(float))


def _with(f, *args, **options):
    return lambda x: f(x, *args, **options)


def _pool(op, name, shape, *args, make=randn, **options):
    return Case(
        f"{op}/{name}",
        _with(getattr(F, op), *args, **options),
        _with(getattr(TF, op), *args, **options),
        [make(*shape)],
    )


def pooled_indices(op, shape, *args):
    """The indices ``op(..., return_indices=True)`` returns for a random input of ``shape``: a
    valid ``indices`` input of max_unpool (not differentiated)."""

    def make(rng):
        _, indices = getattr(TF, op)(
            torch.tensor(rng.standard_normal(shape)), *args, return_indices=True
        )
        return indices.numpy()

    return Input(make, grad=False)


def _unpool(op, name, shape, pool_args, *args, **options):
    pooled = getattr(TF, op.replace("max_unpool", "max_pool"))(torch.zeros(shape), *pool_args).shape
    return Case(
        f"{op}/{name}",
        lambda x, i: getattr(F, op)(x, i, *args, **options),
        lambda x, i: getattr(TF, op)(x, i, *args, **options),
        [randn(*pooled), pooled_indices(op.replace("max_unpool", "max_pool"), shape, *pool_args)],
    )


CASES = [
    _pool("max_pool2d", "2x2-stride-2", (2, 3, 8, 6), 2),
    _pool("max_pool2d", "2x2-odd-size-batch1", (1, 2, 7, 5), 2),
    _pool("max_pool2d", "3x3-stride-2-overlapping", (2, 3, 9, 8), 3, 2),
    _pool("max_pool2d", "3x3-stride-1", (1, 2, 6, 5), 3, 1),
    _pool("max_pool2d", "3x3-stride-2-padding-1", (2, 2, 8, 7), 3, 2, 1),
    _pool("max_pool2d", "nonsquare", (2, 2, 7, 9), (2, 3), (1, 2), (1, 1)),
    _pool("max_pool2d", "stride-larger-than-kernel", (1, 2, 9, 9), 2, 3),
    _pool("max_pool2d", "unbatched", (3, 6, 6), 2),
    Case(
        "max_pool2d/ties-2x2",
        _with(F.max_pool2d, 2),
        _with(TF.max_pool2d, 2),
        [small_integers(2, 3, 8, 6)],
        fd=False,
    ),
    Case(
        "max_pool2d/ties-3x3-stride-2-padding-1",
        _with(F.max_pool2d, 3, 2, 1),
        _with(TF.max_pool2d, 3, 2, 1),
        [small_integers(2, 2, 9, 8)],
        fd=False,
    ),
    _pool("avg_pool2d", "2x2-stride-2", (2, 3, 8, 6), 2),
    _pool("avg_pool2d", "2x2-odd-size-batch1", (1, 2, 7, 5), 2),
    _pool("avg_pool2d", "3x3-stride-2-overlapping", (2, 3, 9, 8), 3, 2),
    _pool("avg_pool2d", "3x3-stride-2-padding-1", (2, 2, 8, 7), 3, 2, 1),
    _pool("avg_pool2d", "padding-excluded", (2, 2, 8, 7), 3, 2, 1, count_include_pad=False),
    _pool(
        "avg_pool2d",
        "nonsquare-padding-excluded",
        (2, 2, 5, 6),
        (3, 2),
        1,
        (1, 0),
        count_include_pad=False,
    ),
    _pool("avg_pool2d", "unbatched", (3, 6, 6), 2),
    _pool("lp_pool2d", "p2-2x2", (2, 3, 8, 6), 2, 2),
    _pool("lp_pool2d", "p2-3x3-stride-2-odd", (1, 2, 9, 7), 2, 3, 2),
    _pool(
        "lp_pool2d",
        "p3-nonsquare-positive",
        (2, 2, 6, 6),
        3,
        (2, 3),
        make=lambda *shape: uniform(0.5, 2.0, *shape),
    ),
    _pool("adaptive_avg_pool2d", "global", (2, 3, 5, 7), 1),
    _pool("adaptive_avg_pool2d", "divides", (2, 3, 8, 6), (4, 3)),
    _pool("adaptive_avg_pool2d", "does-not-divide", (2, 2, 7, 10), (3, 4)),
    _pool("adaptive_avg_pool2d", "keep-width-batch1", (1, 2, 9, 5), (4, None)),
    _pool("adaptive_avg_pool2d", "larger-than-input", (2, 2, 3, 4), 5),
    _pool("max_pool2d", "ceil-mode", (2, 2, 8, 7), 3, 2, ceil_mode=True),
    _pool(
        "max_pool2d", "ceil-mode-padding-last-window-dropped", (1, 2, 6, 6), 3, 2, 1, ceil_mode=True
    ),
    _pool("max_pool2d", "dilation", (2, 2, 9, 8), 3, 2, 1, dilation=2),
    _pool("max_pool2d", "dilation-pair-nonsquare", (1, 2, 9, 10), (2, 3), 1, 0, (3, 2)),
    _pool("max_pool2d", "return-indices", (2, 3, 7, 6), 2, return_indices=True),
    _pool(
        "max_pool2d",
        "return-indices-overlap-padding-ceil-dilation",
        (2, 2, 9, 8),
        3,
        2,
        1,
        2,
        True,
        True,
    ),
    _pool("max_pool2d", "return-indices-unbatched", (3, 6, 5), (2, 3), return_indices=True),
    Case(
        "max_pool2d/ties-return-indices",
        _with(F.max_pool2d, 3, 1, return_indices=True),
        _with(TF.max_pool2d, 3, 1, return_indices=True),
        [small_integers(2, 2, 6, 7)],
        fd=False,
    ),
    _pool("max_pool1d", "plain", (2, 3, 9), 2),
    _pool("max_pool1d", "stride-padding-dilation-ceil", (2, 3, 12), 3, 2, 1, 2, True),
    _pool("max_pool1d", "return-indices-unbatched", (3, 10), 3, 2, return_indices=True),
    _pool("avg_pool2d", "ceil-mode", (2, 2, 8, 7), 3, 2, ceil_mode=True),
    _pool("avg_pool2d", "ceil-mode-padding", (2, 2, 8, 9), 3, 2, 1, ceil_mode=True),
    _pool(
        "avg_pool2d",
        "ceil-mode-padding-excluded",
        (2, 2, 8, 9),
        (3, 2),
        2,
        1,
        ceil_mode=True,
        count_include_pad=False,
    ),
    _pool("avg_pool2d", "divisor-override", (2, 2, 7, 7), 3, 2, 1, divisor_override=4),
    _pool("avg_pool1d", "plain", (2, 3, 9), 2),
    _pool("avg_pool1d", "ceil-padding-excluded", (2, 3, 10), 4, 3, 2, True, False),
    _pool("lp_pool2d", "p2-ceil-mode", (2, 2, 8, 7), 2, 3, 2, ceil_mode=True),
    _pool("lp_pool1d", "p2", (2, 3, 9), 2, 3),
    _pool(
        "lp_pool1d",
        "p3-stride-ceil-positive",
        (2, 2, 10),
        3,
        3,
        2,
        True,
        make=lambda *shape: uniform(0.5, 2.0, *shape),
    ),
    _pool("adaptive_max_pool2d", "global", (2, 3, 5, 7), 1),
    _pool(
        "adaptive_max_pool2d", "does-not-divide-indices", (2, 2, 7, 10), (3, 4), return_indices=True
    ),
    _pool("adaptive_max_pool2d", "keep-width-unbatched", (2, 9, 5), (4, None)),
    _pool("adaptive_max_pool2d", "larger-than-input", (1, 2, 3, 4), 5, return_indices=True),
    _pool("adaptive_max_pool1d", "max-over-time", (2, 4, 9), 1),
    _pool("adaptive_max_pool1d", "overlapping-bins-indices", (2, 3, 7), 4, return_indices=True),
    _unpool("max_unpool2d", "2x2", (2, 3, 6, 8), (2,), 2),
    _unpool("max_unpool2d", "padding-gapped", (2, 2, 7, 8), (2, 3, 1), 2, 3, 1, output_size=(7, 8)),
    _unpool("max_unpool2d", "output-size", (1, 2, 7, 9), (2,), 2, output_size=(7, 9)),
    _unpool("max_unpool1d", "plain", (2, 3, 8), (2,), 2),
    _unpool("max_unpool1d", "output-size-stride", (2, 2, 12), (2, 3), 2, 3, output_size=[12]),
]
