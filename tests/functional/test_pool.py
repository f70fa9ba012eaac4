"""chainrule.functional.pool beyond the differential table: float32 kept, eval-mode max pooling
keeps no masks, global average pooling is the mean, and errors that name the op."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


@pytest.mark.parametrize("pool", [
    lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 3, 2, 1),
    lambda x: F.lp_pool2d(x, 2, 2), lambda x: F.adaptive_avg_pool2d(x, (3, 2))])
def test_float32_stays_float32(pool):
    x = cr.randn(2, 3, 8, 8, requires_grad=True)
    out = pool(x)
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_global_average_pooling_is_the_mean():
    x = cr.randn(3, 4, 7, 5, dtype=cr.float64)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1).data,
                               x.data.mean(axis=(2, 3), keepdims=True), rtol=1e-12)


def test_max_pool_without_grad_records_nothing():
    with cr.no_grad():
        out = F.max_pool2d(cr.randn(2, 3, 8, 8, requires_grad=True), 2)
    assert out.grad_fn is None


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(cr.zeros(2, 8), 2), "max_pool2d: expected input"),
    (lambda: F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2), "max_pool2d: padding"),
    (lambda: F.avg_pool2d(cr.zeros(1, 1, 2, 2), 3), "avg_pool2d: kernel"),
    (lambda: F.lp_pool2d(cr.zeros(1, 1, 4, 4), 2, (2, 2, 2)), "lp_pool2d: kernel_size"),
    (lambda: F.adaptive_avg_pool2d(cr.zeros(1, 1, 4, 4), 0), "adaptive_avg_pool2d: output_size"),
])
def test_bad_input_names_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()
