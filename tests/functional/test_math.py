"""Tests of chainrule.functional.math beyond the differential table: float32 stays float32
through every op and its backward, unbroadcast, and the promised absence of needless copies."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule.functional.math import unbroadcast

from .cases_math import CASES
from .differential import draw_inputs


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_in_float32_out_and_float32_gradients(case):
    arrays = [a.astype(np.float32) if a.dtype == np.float64 else a for a in draw_inputs(case)]
    tensors = [cr.tensor(a, requires_grad=spec.grad) for a, spec in zip(arrays, case.inputs)]
    outputs = case.fn(*tensors)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    floating = [o for o in outputs if o.dtype.kind == "f"]
    assert all(o.dtype == cr.float32 for o in floating)
    sum(o.sum() for o in floating).backward()
    for t, spec in zip(tensors, case.inputs):
        if spec.grad:
            assert t.grad.dtype == cr.float32


@pytest.mark.parametrize(
    "grad_shape, shape",
    [
        ((2, 3), (2, 3)),
        ((2, 3), (3,)),
        ((2, 3), (1, 3)),
        ((2, 3), (2, 1)),
        ((4, 2, 3), ()),
        ((4, 2, 3), (2, 1)),
        ((5, 1, 3), (1, 1, 3)),
    ],
)
def test_unbroadcast_sums_what_broadcasting_copied(grad_shape, shape):
    grad = np.random.default_rng(0).standard_normal(grad_shape)
    x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    x.expand(grad_shape).backward(torch.tensor(grad))
    result = unbroadcast(grad, shape)
    assert isinstance(result, np.ndarray) and result.shape == shape
    np.testing.assert_allclose(result, x.grad.numpy(), rtol=1e-12)


def test_add_backward_passes_the_gradient_through_without_copying():
    g = np.ones((2, 3))
    ctx = type("Ctx", (), {"shapes": ((2, 3), (2, 3)), "needs_input_grad": (True, True)})()
    grad_a, grad_b = F.math.Add.backward(ctx, g)
    assert grad_a is g and grad_b is g


def test_linear_layer_gradients_reach_leaves_without_copies():
    x = cr.tensor(np.ones((8, 5, 4)))
    w = cr.tensor(np.ones((4, 3)), requires_grad=True)
    b = cr.tensor(np.zeros(3), requires_grad=True)
    (x @ w + b).sum().backward()
    for p in (w, b):
        assert p.grad.data.base is None and p.grad.data.flags.writeable
    np.testing.assert_allclose(w.grad.numpy(), np.full((4, 3), 40.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, 40.0))


def test_basic_getitem_and_transpose_are_views():
    x = cr.tensor(np.arange(12.0).reshape(3, 4))
    assert np.shares_memory(x[1:, ::2].data, x.data)
    assert np.shares_memory(x.T.data, x.data)
    assert np.shares_memory(x.reshape(4, 3).data, x.data)
