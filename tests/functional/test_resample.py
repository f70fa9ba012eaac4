"""interpolate, pad and pixel_shuffle beyond the differential table (cases_resample.py): the
nn layers against torch.nn, float32, torch's sizes for many scale factors, the errors a user
can fix, and one corner where torch's nearest gradient is not its forward's adjoint."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F
from chainrule import nn


def _both(shape, seed=0, dtype=np.float64):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear"])
def test_interpolate_matches_torch_for_many_sizes_and_factors(mode):
    for size in range(1, 10):
        for factor in (0.3, 0.5, 0.7, 1.25, 1.5, 2.0, 2.5, 3.3):
            if int(size * factor) < 1:
                continue
            ours, theirs = _both((1, 2, size))
            expected = TF.interpolate(theirs, scale_factor=factor, mode=mode)
            got = F.interpolate(ours, scale_factor=factor, mode=mode)
            np.testing.assert_allclose(
                got.data,
                expected.detach().numpy(),
                atol=1e-12,
                err_msg=f"size {size}, scale_factor {factor}",
            )


def test_float32_stays_float32_and_matches_torch():
    ours, theirs = _both((2, 3, 5, 7), dtype=np.float32)
    got = F.interpolate(ours, scale_factor=1.7, mode="bilinear")
    assert got.dtype == np.float32
    expected = TF.interpolate(theirs, scale_factor=1.7, mode="bilinear")
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_nearest_gradient_is_the_adjoint_where_torch_skips_it():
    """scale_factor 1.1 on 7 pixels keeps 7 outputs but reads x[0, 0, 1, 2, 3, 4, 5] (torch's
    forward too); torch's backward then passes the gradient straight through, ours sums it onto
    the pixels that were read, which is what finite differences of the forward give."""
    ours, theirs = _both((1, 1, 7))
    expected = TF.interpolate(theirs, scale_factor=1.1, mode="nearest")
    got = F.interpolate(ours, scale_factor=1.1, mode="nearest")
    np.testing.assert_array_equal(got.data, expected.detach().numpy())
    weights = np.arange(1.0, 8.0)
    (got * cr.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.data[0, 0], [3, 3, 4, 5, 6, 7, 0])


@pytest.mark.parametrize(
    "layer, torch_layer",
    [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (
            nn.Upsample(size=(7, 3), mode="bilinear"),
            torch.nn.Upsample(size=(7, 3), mode="bilinear"),
        ),
        (nn.UpsamplingNearest2d(size=5), torch.nn.UpsamplingNearest2d(size=5)),
        (
            nn.UpsamplingBilinear2d(scale_factor=1.5),
            torch.nn.UpsamplingBilinear2d(scale_factor=1.5),
        ),
        (nn.PixelShuffle(2), torch.nn.PixelShuffle(2)),
        (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2)),
        (nn.ZeroPad2d((1, 2, 0, 3)), torch.nn.ZeroPad2d((1, 2, 0, 3))),
        (nn.ConstantPad1d(2, 3.5), torch.nn.ConstantPad1d(2, 3.5)),
        (
            nn.ConstantPad3d((1, 0, 0, 1, 1, 1), -1.0),
            torch.nn.ConstantPad3d((1, 0, 0, 1, 1, 1), -1.0),
        ),
        (nn.ReflectionPad2d(2), torch.nn.ReflectionPad2d(2)),
        (nn.ReflectionPad1d((3, 1)), torch.nn.ReflectionPad1d((3, 1))),
        (nn.ReplicationPad2d((1, 2, 3, 0)), torch.nn.ReplicationPad2d((1, 2, 3, 0))),
        (nn.ReplicationPad3d((1, 0, 2, 1, 0, 1)), torch.nn.ReplicationPad3d((1, 0, 2, 1, 0, 1))),
        (nn.CircularPad2d(1), torch.nn.CircularPad2d(1)),
    ],
    ids=lambda layer: repr(layer),
)
def test_layers_match_torch(layer, torch_layer):
    ours, theirs = _both((2, 4, 4, 6) if "1d" not in type(layer).__name__ else (4, 5))
    got, expected = layer(ours), torch_layer(theirs)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(got.shape)
    (got * cr.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), atol=1e-12)


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = cr.tensor(np.random.default_rng(2).standard_normal((2, 18, 3, 4)))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 3), 3).data, x.data)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), "mode 'bicubic'"),
        (lambda x: F.interpolate(x, scale_factor=2, mode="area"), "mode 'area'"),
        (lambda x: F.interpolate(x, scale_factor=2, antialias=True), "antialias"),
        (lambda x: F.interpolate(x, scale_factor=2, align_corners=True), "align_corners"),
        (lambda x: F.interpolate(x, scale_factor=2, mode="linear"), "linear mode needs 3D"),
        (lambda x: F.interpolate(x), "exactly one of size or scale_factor"),
        (lambda x: F.interpolate(x, size=4, scale_factor=2), "exactly one of size or scale_factor"),
        (lambda x: F.interpolate(x, scale_factor=0.1), "greater than 0"),
        (lambda x: F.interpolate(x, scale_factor=-2), "scale_factor must be positive"),
        (lambda x: F.interpolate(x, size=(2, 3, 4)), "3 entries"),
        (lambda x: F.pad(x, (1, 2, 3)), "even number"),
        (lambda x: F.pad(x, (1,) * 10), "covers 5 dimensions"),
        (lambda x: F.pad(x, (1, 1), mode="symmetric"), "mode 'symmetric'"),
        (lambda x: F.pad(x, (1, 1), mode="reflect", value=2.0), "doesn't take a value"),
        (lambda x: F.pad(x, (5, 1), mode="reflect"), "between 0 and 4"),
        (lambda x: F.pad(x, (-1, 1), mode="replicate"), "between 0 and"),
        (lambda x: F.pad(x, (6, 0), mode="circular"), "between 0 and 5"),
        (lambda x: F.pad(x, (-3, -3)), "negative"),
        (lambda x: F.pixel_shuffle(x, 2), "divisible by upscale_factor"),
        (lambda x: F.pixel_shuffle(x, 0), "positive int"),
        (lambda x: F.pixel_unshuffle(x, 2), "divisible by downscale_factor"),
    ],
)
def test_errors_name_the_problem(call, message):
    x = cr.tensor(np.zeros((1, 3, 4, 5)))
    with pytest.raises(ValueError, match=message):
        call(x)


def test_pad_layer_rejects_a_wrong_length():
    with pytest.raises(ValueError, match="4 ints"):
        nn.ReflectionPad2d((1, 2, 3))
