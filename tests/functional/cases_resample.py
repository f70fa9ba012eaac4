"""Differential table for chainrule.functional.resample: interpolate (nearest and nearest-exact,
linear, bilinear with and without align_corners, trilinear; by size and by scale factor, integer
and not, recomputed or not; up and down, odd sizes, batch 1), pad (constant with a value and with
cropping, reflect, replicate, circular, over 1, 2 and 3 trailing axes), pixel_shuffle and
pixel_unshuffle."""

import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, randn


def _with(f, *args, **options):
    return lambda x: f(x, *args, **options)


def _case(op, name, shape, *args, **options):
    return Case(
        f"{op}/{name}",
        _with(getattr(F, op), *args, **options),
        _with(getattr(TF, op), *args, **options),
        [randn(*shape)],
    )


def _resize(name, shape, **options):
    return _case("interpolate", name, shape, **options)


def _pad(name, shape, amounts, **options):
    return _case("pad", name, shape, amounts, **options)


CASES = [
    _resize("nearest-x2", (2, 3, 4, 5), scale_factor=2),
    _resize("nearest-size-odd-down", (1, 2, 7, 9), size=(4, 5)),
    _resize("nearest-size-up-nonmultiple", (2, 2, 3, 4), size=(7, 5)),
    _resize("nearest-scale-1.7", (1, 2, 5, 6), scale_factor=1.7),
    _resize(
        "nearest-scale-0.6-recomputed", (2, 1, 7, 8), scale_factor=0.6, recompute_scale_factor=True
    ),
    _resize("nearest-1d", (2, 3, 7), scale_factor=2.5),
    _resize("nearest-3d", (1, 2, 3, 4, 5), size=(5, 2, 7)),
    _resize("nearest-exact-scale-1.5", (2, 2, 5, 7), scale_factor=1.5, mode="nearest-exact"),
    _resize("linear-x2", (2, 3, 6), scale_factor=2, mode="linear"),
    _resize("linear-align-corners-down", (1, 2, 9), size=4, mode="linear", align_corners=True),
    _resize("bilinear-x2", (2, 3, 4, 5), scale_factor=2, mode="bilinear"),
    _resize("bilinear-size-odd-batch1", (1, 2, 5, 7), size=(8, 3), mode="bilinear"),
    _resize(
        "bilinear-align-corners", (2, 2, 5, 7), size=(9, 4), mode="bilinear", align_corners=True
    ),
    _resize("bilinear-scale-1.5-0.7", (2, 2, 5, 7), scale_factor=(1.5, 0.7), mode="bilinear"),
    _resize(
        "bilinear-scale-2.3-recomputed",
        (1, 3, 4, 3),
        scale_factor=2.3,
        mode="bilinear",
        recompute_scale_factor=True,
    ),
    _resize(
        "bilinear-align-corners-scale-1.7",
        (2, 1, 4, 6),
        scale_factor=1.7,
        mode="bilinear",
        align_corners=True,
    ),
    _resize("trilinear-scale-1.5", (1, 2, 3, 4, 5), scale_factor=1.5, mode="trilinear"),
    _pad("constant-last-axis", (2, 3, 5), (1, 2)),
    _pad("constant-value-2d", (2, 3, 4, 5), (2, 0, 1, 3), value=1.5),
    _pad("constant-crop", (2, 3, 6, 5), (-1, 2, 3, -2)),
    _pad("constant-3-axes-batch1", (1, 3, 4, 5), (1, 1, 0, 2, 1, 0)),
    _pad("reflect-1d", (2, 3, 6), (3, 5), mode="reflect"),
    _pad("reflect-2d", (2, 2, 5, 7), (2, 1, 4, 3), mode="reflect"),
    _pad("replicate-2d", (2, 2, 5, 4), (3, 1, 0, 2), mode="replicate"),
    _pad("replicate-3d", (1, 2, 3, 4, 5), (1, 2, 2, 1, 3, 0), mode="replicate"),
    _pad("circular-2d", (2, 2, 4, 5), (2, 5, 4, 1), mode="circular"),
    _case("pixel_shuffle", "r2", (2, 12, 3, 5), 2),
    _case("pixel_shuffle", "r3-unbatched", (9, 4, 2), 3),
    _case("pixel_unshuffle", "r2", (2, 3, 6, 4), 2),
    _case("pixel_unshuffle", "r3-batch1", (1, 2, 9, 6), 3),
]
