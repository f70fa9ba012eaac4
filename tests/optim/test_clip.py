"""Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim

SHAPES = [(4, 3), (3,), (2, 2, 2)]


def with_gradients(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    grads = [scale * rng.standard_normal(shape) for shape in SHAPES]
    ours, theirs = [], []
    for g in grads:
        p = cr.tensor(np.zeros(g.shape), requires_grad=True)
        p.grad = cr.tensor(g)
        ours.append(p)
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.from_numpy(g.copy())
        theirs.append(t)
    return ours, theirs


def assert_grads_equal(ours, theirs):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = with_gradients()
    total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), their_total.item(), rtol=1e-12)
    assert_grads_equal(ours, theirs)


def test_clip_grad_norm_bounds_the_norm_and_keeps_direction():
    ours, _ = with_gradients(scale=10.0)
    before = np.concatenate([p.grad.data.ravel() for p in ours])
    optim.clip_grad_norm_(iter(ours), 2.0)
    after = np.concatenate([p.grad.data.ravel() for p in ours])
    assert np.linalg.norm(after) == pytest.approx(2.0, rel=1e-5)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))


def test_clip_skips_parameters_without_gradient_and_takes_one_tensor():
    ours, theirs = with_gradients()
    ours.append(cr.tensor(np.ones(2), requires_grad=True))
    theirs.append(torch.ones(2, dtype=torch.float64, requires_grad=True))
    assert optim.clip_grad_norm_(ours, 1.0).item() == pytest.approx(
        torch.nn.utils.clip_grad_norm_(theirs, 1.0).item()
    )
    single, torch_single = with_gradients(seed=3)
    optim.clip_grad_norm_(single[0], 0.1)
    torch.nn.utils.clip_grad_norm_(torch_single[0], 0.1)
    assert_grads_equal(single, torch_single)


def test_clip_grad_norm_keeps_float32():
    p = cr.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    p.grad = cr.tensor(np.full(3, 5.0, dtype=np.float32))
    total = optim.clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32 and total.dtype == np.float32


@pytest.mark.parametrize("clip_value", [0.3, 1.0, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = with_gradients(seed=1)
    optim.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_grads_equal(ours, theirs)
    assert max(np.abs(p.grad.data).max() for p in ours) <= clip_value


def test_clipping_does_not_touch_a_shared_gradient_array_twice():
    """Two leaves may hold the same gradient array (autograd hands ``a + b``'s gradient to both)."""
    shared = np.array([3.0, 4.0])
    a, b = (cr.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    a.grad, b.grad = cr.Tensor(shared), cr.Tensor(shared)
    optim.clip_grad_value_([a, b], 1.0)
    np.testing.assert_array_equal(shared, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


@pytest.mark.parametrize("max_norm", [-1, -0.5, float("nan"), float("-inf")])
def test_clip_grad_norm_refuses_a_negative_or_nan_bound(max_norm):
    """A negative bound would multiply every gradient by a negative scale: training uphill."""
    ours, _ = with_gradients()
    before = [p.grad.data.copy() for p in ours]
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        optim.clip_grad_norm_(ours, max_norm)
    for p, g in zip(ours, before):
        np.testing.assert_array_equal(p.grad.data, g)


def test_clip_grad_norm_with_an_infinite_bound_only_measures():
    ours, theirs = with_gradients()
    total = optim.clip_grad_norm_(ours, float("inf"))
    their_total = torch.nn.utils.clip_grad_norm_(theirs, float("inf"))
    assert total.item() == pytest.approx(their_total.item(), rel=1e-12)
    assert_grads_equal(ours, theirs)


def test_clip_grad_norm_error_if_nonfinite_as_torch():
    ours, theirs = with_gradients()
    ours[1].grad.data[0] = np.nan
    theirs[1].grad[0] = float("nan")
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert np.isnan(optim.clip_grad_norm_(ours, 1.0).item())


@pytest.mark.parametrize("clip_value", [-1, float("nan")])
def test_clip_grad_value_refuses_a_negative_or_nan_bound(clip_value):
    ours, _ = with_gradients()
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        optim.clip_grad_value_(ours, clip_value)


def test_clipping_refuses_foreach():
    ours, _ = with_gradients()
    with pytest.raises(ValueError, match="foreach=True is not supported"):
        optim.clip_grad_norm_(ours, 1.0, foreach=True)
    with pytest.raises(ValueError, match="foreach=True is not supported"):
        optim.clip_grad_value_(ours, 1.0, foreach=True)
