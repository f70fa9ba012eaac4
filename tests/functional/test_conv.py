"""chainrule.functional.conv beyond the differential table: float32 kept end to end, the
batch-chunked path equal to the single-chunk one, conv_transpose2d the adjoint of conv2d, and
errors that name the op."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F
from chainrule.kernels import conv as conv_kernels


def test_float32_stays_float32_and_matches_torch():
    rng = np.random.default_rng(0)
    shapes = [(4, 3, 9, 9), (5, 3, 3, 3), (5,)]
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    tensors = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*tensors, padding=1)
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in tensors)
    reference = TF.conv2d(*(torch.tensor(a) for a in (x, w, b)), padding=1)
    np.testing.assert_allclose(out.data, reference.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stride", [1, 2])
def test_small_chunks_give_the_same_result(monkeypatch, stride):
    """Forcing one image per chunk changes nothing but the loop count."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(5, 2, 8, 7), (3, 2, 3, 3), (3,)]]

    def run():
        tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
        out = F.conv2d(*tensors, stride=stride, padding=1)
        out.backward(np.arange(out.data.size, dtype=float).reshape(out.shape))
        return [out.data] + [t.grad.data for t in tensors]

    whole = run()
    monkeypatch.setattr(conv_kernels, "_CHUNK_BYTES", 1)
    for ours, reference in zip(run(), whole):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """⟨conv2d(x, W), y⟩ = ⟨x, conv_transpose2d(y, W)⟩ for every x and y."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((2, 6, 5, 4))
    w = rng.standard_normal((6, 2, 3, 2))
    options = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    forward = F.conv2d(cr.tensor(x), cr.tensor(w), **options).data
    adjoint = F.conv_transpose2d(cr.tensor(y), cr.tensor(w), output_padding=(0, 1), **options).data
    assert adjoint.shape == x.shape
    np.testing.assert_allclose((forward * y).sum(), (x * adjoint).sum(), rtol=1e-12)


def test_inference_keeps_nothing_for_backward():
    x = cr.randn(2, 3, 8, 8)
    w = cr.randn(4, 3, 3, 3)
    out = F.conv2d(x, w)
    assert out.grad_fn is None


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.conv2d(cr.zeros(2, 3, 8, 8), cr.zeros(4, 2, 3, 3)),
            "conv2d: input has 3 channels",
        ),
        (
            lambda: F.conv2d(cr.zeros(2, 3, 8), cr.zeros(4, 3, 3, 3)),
            "conv2d: input and weight must be 4-D",
        ),
        (lambda: F.conv2d(cr.zeros(1, 1, 2, 2), cr.zeros(1, 1, 3, 3)), "conv2d: kernel 3×3"),
        (lambda: F.conv2d(cr.zeros(1, 1, 5, 5), cr.zeros(2, 1, 3, 3), cr.zeros(3)), "conv2d: bias"),
        (
            lambda: F.conv2d(cr.zeros(1, 1, 5, 5), cr.zeros(1, 1, 3, 3), stride=2, padding="same"),
            "conv2d: padding='same' needs stride 1",
        ),
        (lambda: F.conv2d(cr.zeros(1, 4, 5, 5), cr.zeros(3, 2, 3, 3), groups=2), "conv2d:"),
        (lambda: F.conv1d(cr.zeros(1, 2, 5), cr.zeros(1, 2, 3), stride=(1, 2)), "conv1d: stride"),
        (
            lambda: F.conv_transpose2d(cr.zeros(1, 2, 4, 4), cr.zeros(3, 1, 3, 3)),
            "conv_transpose2d",
        ),
        (
            lambda: F.conv_transpose2d(
                cr.zeros(1, 2, 4, 4), cr.zeros(2, 1, 3, 3), stride=2, output_padding=2
            ),
            "conv_transpose2d: output_padding",
        ),
        (
            lambda: F.conv_transpose1d(cr.zeros(1, 2, 4), cr.zeros(2, 1, 3), stride=(2, 2)),
            "conv_transpose1d: stride",
        ),
        (lambda: F.unfold(cr.zeros(1, 2, 4, 4), 3, padding="same"), "unfold: padding"),
        (lambda: F.unfold(cr.zeros(2, 4, 4), 5), "unfold: kernel 5×5"),
        (lambda: F.fold(cr.zeros(1, 8, 7), (4, 4), 2), "fold: input has 7 columns"),
        (lambda: F.fold(cr.zeros(1, 7, 9), (4, 4), 2), "fold: input's dimension 1"),
    ],
)
def test_bad_input_names_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()
