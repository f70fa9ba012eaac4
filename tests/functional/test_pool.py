"""chainrule.functional.pool beyond the differential table: float32 kept, eval-mode max pooling
keeps no masks, global average pooling is the mean, and errors that name the op."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


@pytest.mark.parametrize(
    "pool",
    [
        lambda x: F.max_pool2d(x, 2),
        lambda x: F.avg_pool2d(x, 3, 2, 1),
        lambda x: F.lp_pool2d(x, 2, 2),
        lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    ],
)
def test_float32_stays_float32(pool):
    x = cr.randn(2, 3, 8, 8, requires_grad=True)
    out = pool(x)
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_global_average_pooling_is_the_mean():
    x = cr.randn(3, 4, 7, 5, dtype=cr.float64)
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(x, 1).data, x.data.mean(axis=(2, 3), keepdims=True), rtol=1e-12
    )


def test_max_pool_without_grad_records_nothing():
    with cr.no_grad():
        out = F.max_pool2d(cr.randn(2, 3, 8, 8, requires_grad=True), 2)
    assert out.grad_fn is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: F.max_pool2d(cr.zeros(2, 8), 2), "max_pool2d: expected input"),
        (lambda: F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2), "max_pool2d: padding"),
        (lambda: F.avg_pool2d(cr.zeros(1, 1, 2, 2), 3), "avg_pool2d: kernel"),
        (lambda: F.lp_pool2d(cr.zeros(1, 1, 4, 4), 2, (2, 2, 2)), "lp_pool2d: kernel_size"),
        (
            lambda: F.adaptive_avg_pool2d(cr.zeros(1, 1, 4, 4), 0),
            "adaptive_avg_pool2d: output_size",
        ),
        (
            lambda: F.max_pool2d(cr.zeros(1, 1, 5, 5), 2, padding=2, dilation=2),
            "max_pool2d: padding",
        ),
        (lambda: F.max_pool2d(cr.zeros(1, 1, 5, 5), 2, dilation=0), "max_pool2d: kernel_size, "),
        (lambda: F.max_pool1d(cr.zeros(1, 2, 3, 4), 2), r"max_pool1d: expected input \(N, C, L\)"),
        (lambda: F.max_pool1d(cr.zeros(1, 2, 8), (2, 2)), "max_pool1d: kernel_size must be an int"),
        (
            lambda: F.avg_pool2d(cr.zeros(1, 1, 4, 4), 2, divisor_override=0),
            "avg_pool2d: divisor_override",
        ),
        (lambda: F.adaptive_max_pool1d(cr.zeros(1, 2, 8), 0), "adaptive_max_pool1d: output_size"),
        (
            lambda: F.max_unpool2d(cr.zeros(1, 1, 2, 2), cr.tensor(np.full((1, 1, 2, 2), 16)), 2),
            r"max_unpool2d: indices must lie in \[0, 16\)",
        ),
        (
            lambda: F.max_unpool2d(cr.zeros(1, 1, 2, 2), cr.tensor(np.zeros((1, 1, 2, 3), int)), 2),
            "max_unpool2d: indices must have the input's shape",
        ),
        (
            lambda: F.max_unpool2d(
                cr.zeros(1, 1, 2, 2), cr.tensor(np.zeros((1, 1, 2, 2), int)), 2, output_size=(7, 4)
            ),
            "max_unpool2d: output_size",
        ),
    ],
)
def test_bad_input_names_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()
