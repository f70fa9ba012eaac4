"""retain_grad and reading .grad of a non-leaf tensor, against torch: a non-leaf that retains
its gradient gets the same .grad as torch's; one that does not warns as torch warns and gives
None; leaves are unchanged."""

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function


def both(values):
    return (
        cr.tensor(values, dtype=cr.float64, requires_grad=True),
        torch.tensor(values, dtype=torch.float64, requires_grad=True),
    )


def test_a_retained_gradient_matches_torchs():
    (x, tx) = both([1.0, -2.0, 3.0])
    y, ty = x * 3, tx * 3
    y.retain_grad()
    ty.retain_grad()
    (y * y + y).sum().backward()  # y used three times: the gradients add up
    (ty * ty + ty).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert y.retains_grad and ty.retains_grad


def test_retained_gradients_accumulate_over_backward_calls_as_torchs():
    (x, tx) = both([0.5, 1.5])
    y, ty = x.exp(), tx.exp()
    y.retain_grad()
    ty.retain_grad()
    loss, tloss = (y * y).sum(), (ty * ty).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    tloss.backward(retain_graph=True)
    tloss.backward()
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_the_root_can_retain_its_gradient():
    (x, tx) = both([2.0])
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.retain_grad()
    ty.retain_grad()
    y.backward()
    ty.backward()
    assert y.grad.item() == ty.grad.item() == 1.0


def test_a_retained_gradient_is_its_own_array():
    """Changing y.grad in place must not change what flowed on to x (nor the reverse)."""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.sum().backward()
    y.grad.data += 10
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


class TwoOutputs(Function):
    """(a, b) = (2x, 3x); dx = 2·da + 3·db."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x, 3 * x

    @staticmethod
    def backward(ctx, da, db):
        return 2 * da + 3 * db


def test_each_output_of_a_multi_output_op_retains_its_own_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a, b = TwoOutputs.apply(x)
    b.retain_grad()
    (a * 5 + b * 7).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [7.0, 7.0])
    assert not a.retains_grad
    with pytest.warns(UserWarning, match="not a leaf"):
        assert a.grad is None


def test_reading_grad_of_a_non_leaf_warns_like_torch_and_gives_none():
    x, tx = both([1.0, 2.0])
    y, ty = x * 2, tx * 2
    y.sum().backward()
    ty.sum().backward()
    message = r"\.grad attribute of a Tensor that is not a leaf"
    with pytest.warns(UserWarning, match=message) as ours:
        assert y.grad is None
    with pytest.warns(UserWarning, match=message):
        assert ty.grad is None
    assert "retain_grad()" in str(ours[0].message)
    assert ours[0].filename == __file__  # points at the line that read it


def test_leaves_and_tensors_outside_the_graph_read_grad_silently():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    constant = cr.tensor([3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and constant.grad is None
        (x * 2).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
        x.retain_grad()  # a no-op on a leaf, as torch
        assert not x.retains_grad
        x.grad = None
        assert x.grad is None


def test_retain_grad_needs_requires_grad_like_torch():
    with pytest.raises(
        RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"
    ):
        torch.tensor([1.0]).retain_grad()
    with pytest.raises(
        RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"
    ):
        cr.tensor([1.0]).retain_grad()
