"""chainrule.kernels.conv pinned to the plain reference of chainrule.functional.conv: forward,
input gradient and weight gradient, float64, on odd shapes (odd sizes, stride, padding,
dilation, groups, batch 1, non-square), on the wide stride-1 grid and the strided grid, both
col2im variants, and batches split into several cache-sized chunks; and each Function on the
reference path (as on a GPU) equal to itself on the kernel path."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule.functional import conv
from chainrule.kernels import conv as conv_kernels

SHAPES = [  # name, input (N, C, H, W), weight (O, C/groups, kh, kw), conv options
    ("plain-odd", (2, 3, 7, 9), (4, 3, 3, 3), {}),
    ("batch1-nonsquare-kernel", (1, 2, 6, 5), (3, 2, 2, 3), {}),
    ("padding-pair", (2, 2, 7, 5), (3, 2, 3, 2), dict(padding=(2, 1))),
    ("same-even-kernel", (2, 3, 6, 5), (2, 3, 4, 3), dict(padding="same")),
    ("stride-2-odd", (2, 3, 9, 7), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("stride-pair", (1, 2, 11, 8), (3, 2, 5, 2), dict(stride=(3, 2), padding=(1, 0))),
    ("dilation", (2, 2, 11, 10), (3, 2, 3, 2), dict(dilation=(2, 3), padding=2)),
    ("dilation-stride", (2, 2, 11, 10), (3, 2, 3, 2), dict(stride=2, dilation=(2, 3))),
    ("groups", (2, 6, 7, 8), (9, 2, 3, 3), dict(groups=3, padding=1)),
    ("depthwise-strided", (1, 3, 8, 7), (6, 1, 3, 3), dict(groups=3, stride=2)),
    # many input channels, few outputs: the input gradient sums each kernel row in the GEMM
    ("rows-adjoint", (2, 8, 9, 7), (2, 8, 3, 5), dict(padding=(1, 2))),
    ("rows-adjoint-dilated-groups", (2, 8, 9, 9), (2, 4, 3, 3), dict(dilation=2, groups=2)),
    ("1x1", (3, 5, 4, 3), (3, 5, 1, 1), {}),
    # the window covers the whole input (LeNet-5's C5): one GEMM over the batch
    ("covers-input", (3, 4, 5, 5), (6, 4, 5, 5), {}),
    ("covers-input-nonsquare-strided", (2, 3, 4, 6), (5, 3, 4, 6), dict(stride=2)),
    ("covers-padded-input", (2, 3, 3, 3), (4, 3, 5, 5), dict(padding=1)),
    ("covers-input-grouped", (2, 4, 3, 3), (6, 2, 3, 3), dict(groups=2)),
    # small maps of many channels: every GEMM over the batch's images side by side
    ("deep-small-maps", (3, 16, 2, 3), (24, 16, 3, 3), dict(padding=1)),
    ("deep-small-maps-strided-groups", (2, 16, 5, 4), (24, 8, 3, 3), dict(stride=2, groups=2)),
    # float64 columns of ~1.6 MB per image: the kernels split the batch into chunks
    ("several-chunks", (3, 8, 30, 30), (4, 8, 5, 5), dict(padding=2)),
    ("several-chunks-strided", (3, 8, 61, 61), (4, 4, 5, 5), dict(stride=2, groups=2)),
]


def _geometry(x, w, options):
    return conv._Geometry(
        "conv2d",
        x.shape,
        w.shape,
        options.get("stride", 1),
        options.get("padding", 0),
        options.get("dilation", 1),
        options.get("groups", 1),
    )


@pytest.mark.parametrize("name, x_shape, w_shape, options", SHAPES, ids=[s[0] for s in SHAPES])
def test_kernels_equal_the_reference(name, x_shape, w_shape, options):
    rng = np.random.default_rng(len(name))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    g = _geometry(x, w, options)
    grad = rng.standard_normal((g.n, g.o, g.ho, g.wo))
    pairs = [
        (conv_kernels.correlate(x, w, b, g), conv.correlate(x, w, b, g)),
        (conv_kernels.correlate(x, w, None, g), conv.correlate(x, w, None, g)),
        (conv_kernels.correlate_adjoint(grad, w, g), conv.correlate_adjoint(grad, w, g)),
        (conv_kernels.correlate_weight_grad(x, grad, g), conv.correlate_weight_grad(x, grad, g)),
    ]
    for kernel, reference in pairs:
        assert kernel.shape == reference.shape and kernel.dtype == np.float64
        np.testing.assert_allclose(kernel, reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "x_shape, w_shape, options, side_by_side",
    [
        ((3, 16, 2, 3), (24, 16, 3, 3), dict(padding=1), True),
        ((2, 16, 5, 4), (24, 8, 3, 3), dict(stride=2, groups=2), True),
        ((2, 3, 7, 9), (4, 3, 3, 3), {}, False),  # "plain-odd"
    ],
)
def test_both_gemm_layouts_are_exercised(x_shape, w_shape, options, side_by_side):
    layout = conv_kernels._Layout(_geometry(np.zeros(x_shape), np.zeros(w_shape), options))
    assert conv_kernels._side_by_side(layout) == side_by_side


def test_the_rows_adjoint_is_exercised():
    """The "rows-adjoint" shapes above do take the row-summed col2im path."""
    x, w = np.zeros((2, 8, 9, 7)), np.zeros((2, 8, 3, 5))
    layout = conv_kernels._Layout(_geometry(x, w, dict(padding=(1, 2))))
    assert layout.wide and layout.c * layout.kh * (layout.kw - 1) > layout.o * layout.kw


CONVS = {
    "conv2d": (
        [(2, 4, 7, 6), (6, 2, 3, 2), (6,)],
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2),
    ),
    "conv1d": ([(2, 3, 9), (4, 3, 3), (4,)], lambda x, w, b: F.conv1d(x, w, b, dilation=2)),
    "conv_transpose2d": (
        [(2, 4, 4, 5), (4, 3, 3, 3), (6,)],
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, groups=2, output_padding=1),
    ),
}


@pytest.mark.parametrize("name", CONVS)
def test_the_reference_path_of_each_function_equals_its_kernel_path(monkeypatch, name):
    """What runs on a GPU, forced here on NumPy arrays, against what runs on the CPU."""
    shapes, op = CONVS[name]
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    delta = []

    def run():
        tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
        out = op(*tensors)
        delta.append(rng.standard_normal(out.shape))
        out.backward(delta[0])
        return [out.data] + [t.grad.data for t in tensors]

    by_kernel = run()
    monkeypatch.setattr(conv, "_computation", lambda array: conv._REFERENCE)
    for ours, reference in zip(run(), by_kernel):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
