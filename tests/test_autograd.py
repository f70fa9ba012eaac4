"""Tests of chainrule.autograd: accumulation, deep graphs, graph freeing, no_grad, dtype and
device checks, multi-output Functions, detach/to, and the Tensor's ways out of the graph.

Oracles: closed-form derivatives, PyTorch on the same computation, and the error messages the
contract promises (naming the op, the shapes, the reason).
"""

import types

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule import backend
from chainrule.autograd import Function, Tensor


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


# -- accumulation ----------------------------------------------------------------------------


def test_tensor_used_twice_accumulates_both_paths():
    a = leaf([0.5, -1.5, 2.0])
    (a + a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 1 + 2 * a.numpy())


def test_same_tensor_as_both_inputs_of_add():
    a = leaf([1.0, 2.0])
    (a + a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


def test_gradients_add_up_over_two_backward_calls():
    a = leaf([1.0, -2.0])
    (a * 3.0).sum().backward()
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3.0 + 2 * a.numpy())


def test_leaf_gradients_are_own_writable_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # sum hands back a broadcast view; add gives it to both inputs
    a.grad.data *= 10
    np.testing.assert_allclose(a.grad.numpy(), [10.0, 10.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_leaf_gradient_does_not_alias_the_callers_gradient():
    a = leaf([1.0, 2.0])
    g = np.array([1.0, 1.0])
    (a + 0.0).backward(g)
    a.grad.data *= 3
    np.testing.assert_allclose(g, [1.0, 1.0])


def test_backward_with_explicit_gradient_matches_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    g = np.random.default_rng(1).standard_normal((2, 3))
    ours = leaf(x)
    (ours * ours * 3.0).backward(g)
    theirs = torch.tensor(x, requires_grad=True)
    (theirs * theirs * 3.0).backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


# -- deep graphs -----------------------------------------------------------------------------


def test_ten_thousand_step_chain_backprops_without_recursion_error():
    steps = 10_000
    x, w = leaf(0.5), leaf(0.9)
    h = x
    for _ in range(steps):
        h = F.tanh(h * w + x)
    h.backward()

    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    th = tx
    for _ in range(steps):
        th = torch.tanh(th * tw + tx)
    th.backward()
    np.testing.assert_allclose(h.item(), th.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.item(), tx.grad.item(), rtol=1e-10)
    np.testing.assert_allclose(w.grad.item(), tw.grad.item(), rtol=1e-10)


def test_linear_recurrence_gradient_has_closed_form():
    # h_n = w h_{n-1} + x with h_0 = x: dh_n/dx = w^n + (1 - w^n)/(1 - w).
    steps, w_value = 10_000, 0.999
    x, w = leaf(0.3), leaf(w_value)
    h = x
    for _ in range(steps):
        h = h * w + x
    h.backward()
    w_n = w_value**steps
    np.testing.assert_allclose(x.grad.item(), w_n + (1 - w_n) / (1 - w_value), rtol=1e-9)


# -- freeing the graph -----------------------------------------------------------------------


def test_second_backward_through_freed_graph_raises_clearly():
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * 2 * a.numpy())


def test_backward_frees_saved_arrays():
    a = leaf([1.0, 2.0])
    product = a * a
    node = product._node
    product.sum().backward()
    assert node.freed and node.saved_tensors is None


# -- no_grad ---------------------------------------------------------------------------------


def test_no_grad_records_nothing():
    a = leaf([1.0, 2.0])
    with cr.no_grad():
        b = a * 2 + 1
    assert not b.requires_grad and b.grad_fn is None
    assert cr.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        b.sum().backward()


def test_no_grad_as_decorator_and_enable_grad_inside():
    a = leaf([1.0])

    @cr.no_grad()
    def step():
        inside = a * 2
        with cr.enable_grad():
            again = a * 2
        return inside, again

    inside, again = step()
    assert not inside.requires_grad
    assert again.requires_grad and again.grad_fn is not None
    assert cr.is_grad_enabled()


# -- dtypes and devices ----------------------------------------------------------------------


def test_mixing_float32_and_float64_names_the_op_and_shapes():
    a = cr.tensor(np.ones((2, 3), np.float32))
    b = cr.tensor(np.ones((3,), np.float64))
    with pytest.raises(TypeError, match=r"Add.*\(2, 3\) float32.*\(3,\) float64"):
        a + b


def test_inputs_on_different_devices_name_the_op_and_shapes(monkeypatch):
    class FakeGpuArray(np.ndarray):
        pass

    monkeypatch.setattr(backend, "cupy", types.SimpleNamespace(ndarray=FakeGpuArray))
    on_gpu = Tensor(np.ones((2, 2)).view(FakeGpuArray))
    on_cpu = cr.tensor(np.ones((4, 2)))
    assert on_gpu.device == "cuda"
    with pytest.raises(backend.DeviceError, match=r"MatMul.*\(2, 2\) on cuda.*\(2, 4\) on cpu"):
        on_gpu.T @ on_cpu.T


def test_python_scalars_take_the_tensor_dtype():
    x = cr.tensor([1.0, 2.0])
    for result in (
        x * 2.5,
        2.5 - x,
        x / 3,
        2**x,
        x**2,
        F.where(x > 1, x, 0.0),
        x * np.float64(2.5),
        np.float64(2.5) * x,
    ):
        assert result.dtype == cr.float32
    assert (x.to(cr.float64) * np.float32(2)).dtype == cr.float64
    assert (cr.tensor([1, 2]) * 2).dtype == cr.int64


def test_float64_end_to_end_keeps_float64_gradients():
    w = leaf(np.ones((3, 2)))
    x = cr.tensor(np.ones((4, 3)))
    loss = ((x @ w).exp().mean() - 1.0) ** 2
    assert loss.dtype == cr.float64
    loss.backward()
    assert w.grad.dtype == cr.float64


def test_float32_is_the_default_and_stays_float32():
    w = cr.tensor([[0.5, -0.5]], requires_grad=True)
    assert w.dtype == cr.float32
    loss = (w * 3.0 + 1.0).sum() / 2.0
    assert loss.dtype == cr.float32
    loss.backward()
    assert w.grad.dtype == cr.float32


def test_to_dtype_is_differentiable():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(cr.float64) * cr.tensor([3.0, 4.0], dtype=cr.float64)
    assert y.dtype == cr.float64
    y.sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_cuda_without_a_gpu_raises_device_error_with_the_reason():
    if cr.cuda_is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(backend.DeviceError, match="'cuda'.*CuPy"):
        cr.tensor([1.0], device="cuda")
    with pytest.raises(backend.DeviceError, match="CuPy"):
        cr.tensor([1.0]).to("cuda")


# -- errors ----------------------------------------------------------------------------------


def test_backward_on_non_scalar_without_grad_names_the_shape():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        y.backward()


def test_backward_grad_of_wrong_shape_is_refused():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


def test_function_returning_a_wrong_shape_gradient_is_named():
    class BadSum(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match=r"BadSum.*shape \(\).*shape \(3,\)"):
        BadSum.apply(leaf([1.0, 2.0, 3.0])).backward()


# -- Functions with several outputs, or that stop the gradient ------------------------------


class DoubleAndSquare(Function):
    """(2x, x²): backward 2·g₁ + 2x·g₂."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 2 * x, x * x

    @staticmethod
    def backward(ctx, grad_double, grad_square):
        (x,) = ctx.saved_tensors
        return 2 * grad_double + 2 * x * grad_square


def test_multi_output_function_combines_both_gradients():
    x = leaf([1.0, -3.0])
    double, square = DoubleAndSquare.apply(x)
    np.testing.assert_allclose(square.numpy(), [1.0, 9.0])
    (double * 5.0 + square).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 10.0 + 2 * x.numpy())


def test_multi_output_function_with_one_output_unused():
    x = leaf([1.0, -3.0])
    _, square = DoubleAndSquare.apply(x)
    square.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


def test_node_that_no_gradient_reaches_is_skipped():
    class StopGradient(Function):
        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            return None

    x = leaf([1.0, 2.0])
    (StopGradient.apply(x * 2) + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    cut = x.detach()
    assert not cut.requires_grad and cut.is_leaf
    (x * 2 + cut * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


# -- leaving the graph -----------------------------------------------------------------------


def test_item_numpy_tolist():
    x = cr.tensor([[1.5, 2.0]])
    assert x.sum().item() == 3.5 and isinstance(x.sum().item(), float)
    assert x.numpy() is x.data
    assert x.tolist() == [[1.5, 2.0]]
    with pytest.raises(ValueError, match=r"shape \(1, 2\)"):
        x.item()


def test_repr_follows_torch():
    assert repr(cr.tensor([1.0, 2.0])) == repr(torch.tensor([1.0, 2.0]))
    assert repr(cr.tensor([1, 2])) == repr(torch.tensor([1, 2]))
    assert repr(cr.tensor([1.0], requires_grad=True)) == repr(
        torch.tensor([1.0], requires_grad=True)
    )
    assert "dtype=float64" in repr(cr.tensor([1.0], dtype=cr.float64))
    assert "grad_fn=<Mul>" in repr(cr.tensor([1.0], requires_grad=True) * 2)


def test_tensors_are_hashable_by_identity():
    a, b = cr.tensor([1.0]), cr.tensor([1.0])
    assert len({a, b}) == 2
    assert {a: "a"}[a] == "a"


class _ScaleAndMaybeShift(Function):
    """y = a·x (+ b when b is given): an op with an optional input, as a bias is."""

    @staticmethod
    def forward(ctx, x, a, b):
        ctx.save_for_backward(x, a)
        ctx.has_shift = b is not None
        return a * x if b is None else a * x + b

    @staticmethod
    def backward(ctx, grad):
        x, a = ctx.saved_tensors
        db = grad.sum() if ctx.has_shift and ctx.needs_input_grad[2] else None
        return grad * a, (grad * x).sum(), db


def test_apply_passes_none_through_as_torch_function_does():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = cr.tensor(2.0, requires_grad=True)
    y = _ScaleAndMaybeShift.apply(x, a, None)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])
    assert float(a.grad.item()) == 6.0
    assert y.grad_fn is _ScaleAndMaybeShift


def test_apply_with_none_input_reports_no_grad_needed_for_it():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, maybe):
            seen["forward"] = maybe
            seen["needs"] = ctx.needs_input_grad
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    Probe.apply(x, None).sum().backward()
    assert seen == {"forward": None, "needs": (True, False)}
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
