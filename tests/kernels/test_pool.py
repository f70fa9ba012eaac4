"""chainrule.kernels.pool pinned to the plain reference of chainrule.functional.pool: max
pooling (forward and δ routed to the arg-max, ties included), window sums and their adjoint,
float64, on odd shapes (odd sizes, overlapping and gapped windows, padding, non-square, batch
1, unbatched, ceil_mode's partial last windows); and each Function on the reference path (as on
a GPU) equal to itself on the kernel path."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule.functional import pool
from chainrule.kernels import pool as pool_kernels

SHAPES = [  # name, input shape, kernel_size, stride, padding, ceil_mode
    ("2x2-even", (2, 3, 8, 6), 2, None, 0, False),
    ("2x2-odd-batch1", (1, 2, 7, 5), 2, None, 0, False),
    ("3x3-stride-2-overlapping", (2, 3, 9, 8), 3, 2, 0, False),
    ("3x3-stride-1", (1, 2, 6, 5), 3, 1, 0, False),
    ("3x3-stride-2-padding", (2, 2, 8, 7), 3, 2, 1, False),
    ("nonsquare", (2, 2, 7, 9), (2, 3), (1, 2), (1, 1), False),
    ("stride-larger-than-kernel", (1, 2, 9, 9), 2, 3, 0, False),
    ("unbatched", (3, 7, 5), (3, 2), 2, (1, 0), False),
    ("ceil-mode-2x2-odd", (2, 2, 7, 5), 2, None, 0, True),
    ("ceil-mode-3x3-stride-2-padding", (1, 3, 8, 9), 3, 2, 1, True),
]
IDS = [s[0] for s in SHAPES]


def _windows(shape, kernel_size, stride, padding, ceil_mode=False):
    return pool._Windows("pool", shape, kernel_size, stride, padding, 1, ceil_mode)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("name, shape, kernel_size, stride, padding, ceil_mode", SHAPES, ids=IDS)
def test_max_pool_kernel_equals_the_reference(
    name, shape, kernel_size, stride, padding, ceil_mode, ties
):
    rng = np.random.default_rng(len(name))
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    w = _windows(shape, kernel_size, stride, padding, ceil_mode)
    out, masks = pool_kernels.max_pool(x, w, track=True)
    reference, arg = pool.max_pool(x, w)
    np.testing.assert_array_equal(out, reference)
    grad = rng.standard_normal(out.shape)
    np.testing.assert_allclose(
        pool_kernels.max_pool_backward(grad, masks, w),
        pool.route_to_argmax(grad, arg, w),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("name, shape, kernel_size, stride, padding, ceil_mode", SHAPES, ids=IDS)
def test_window_sum_and_spread_kernels_equal_the_reference(
    name, shape, kernel_size, stride, padding, ceil_mode
):
    rng = np.random.default_rng(len(name))
    w = _windows(shape, kernel_size, stride, padding, ceil_mode)
    padded = w.pad(rng.standard_normal(shape), 0)
    np.testing.assert_allclose(
        pool_kernels.window_sum(padded, w), pool.window_sum(padded, w), rtol=1e-12, atol=1e-12
    )
    per_window = rng.standard_normal(w.leading + w.out)
    np.testing.assert_allclose(
        pool_kernels.spread(per_window, w), pool.spread(per_window, w), rtol=1e-12, atol=1e-12
    )


def test_spread_over_tiling_windows_is_the_kronecker_up_sampling():
    """Deck D3's up(δ) = δ ⊗ 1_{n×n} for n × n windows that tile the map."""
    delta = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    w = _windows((2, 3, 12, 15), 3, None, 0)
    expected = np.kron(delta, np.ones((3, 3)))
    np.testing.assert_array_equal(pool.spread(delta, w), expected)
    np.testing.assert_array_equal(pool_kernels.spread(delta, w), expected)


POOLS = {
    "max_pool2d": lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "lp_pool2d": lambda x: F.lp_pool2d(x.abs() + 0.5, 2, (2, 3), ceil_mode=True),
}


@pytest.mark.parametrize("name", POOLS)
def test_the_reference_path_of_each_function_equals_its_kernel_path(monkeypatch, name):
    """What runs on a GPU, forced here on NumPy arrays, against what runs on the CPU."""
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 8))
    delta = None

    def run():
        nonlocal delta
        t = cr.tensor(x, requires_grad=True)
        out = POOLS[name](t)
        delta = np.random.default_rng(4).standard_normal(out.shape) if delta is None else delta
        out.backward(delta)
        return out.data, t.grad.data

    by_kernel = run()
    monkeypatch.setattr(pool, "_on_cpu", lambda array: False)
    for ours, reference in zip(run(), by_kernel):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
