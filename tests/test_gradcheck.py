"""chainrule.gradcheck: passes on correct ops, catches a wrong backward and names where, as
torch.autograd.gradcheck (which the same functions are also run through, as the oracle)."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F


def _inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(cr.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes)


class Cube(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


class WrongCube(cr.Function):
    """x³ with a bug in its backward: 2x² instead of 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x**2 * grad


class SwappedGradients(cr.Function):
    """(a·b, a + b) with the gradients of a and b swapped in the product's backward."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, grad_product, grad_sum):
        a, b = ctx.saved_tensors
        return grad_product * a + grad_sum, grad_product * b + grad_sum


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (Cube.apply, [(4, 3)]),
        (lambda x, w, b: F.linear(x, w, b), [(2, 3), (4, 3), (4,)]),
        (lambda x: F.softmax(x, dim=-1), [(3, 5)]),
        (lambda x, w: F.conv2d(x, w, padding=1), [(1, 2, 4, 5), (3, 2, 3, 3)]),
        (lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), [(1, 2, 3, 4)]),
        (lambda x: F.pad(x, (2, 1), mode="reflect"), [(2, 3, 4)]),
        (lambda a, b: (a * b, (a - b).sum()), [(3, 2), (3, 2)]),
    ],
)
def test_passes_on_correct_ops(fn, shapes):
    assert cr.gradcheck(fn, _inputs(*shapes))


def test_catches_a_wrong_backward_and_names_the_worst_entry():
    (x,) = _inputs((2, 3))
    with pytest.raises(cr.GradcheckError, match=r"output 0 with respect to input 0") as caught:
        cr.gradcheck(WrongCube.apply, x)
    worst = [int(i) for i in np.unravel_index(np.argmax(np.abs(x.data)), x.shape)]
    assert f"d output 0{worst} / d input 0{worst}" in str(caught.value)
    assert "6 of 36 entries disagree" in str(caught.value)
    assert not cr.gradcheck(WrongCube.apply, x, raise_exception=False)


def test_names_the_input_whose_gradient_is_wrong():
    a, b = _inputs((3,), (3,), seed=1)
    with pytest.raises(cr.GradcheckError, match="output 0 with respect to input 0"):
        cr.gradcheck(SwappedGradients.apply, (a, b))


def test_agrees_with_torch_gradcheck_on_a_correct_and_a_wrong_op():
    class TorchWrongCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x**2 * grad

    x = np.random.default_rng(3).standard_normal((3, 2))
    theirs = torch.tensor(x, requires_grad=True)
    ours = cr.tensor(x, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: t**3, (theirs,))
    assert cr.gradcheck(Cube.apply, (ours,))
    assert not torch.autograd.gradcheck(TorchWrongCube.apply, (theirs,), raise_exception=False)
    assert not cr.gradcheck(WrongCube.apply, (ours,), raise_exception=False)


def test_checks_only_inputs_that_require_grad_and_leaves_them_as_they_were():
    (x,) = _inputs((2, 2))
    constant = cr.tensor(np.full((2, 2), 3.0))
    x.grad = cr.tensor(np.ones((2, 2)))
    before = x.data.copy()
    assert cr.gradcheck(lambda a, c, k: a * c * k, (x, constant, 2.0))
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)))


def _almost_cube(t):
    """x³ whose gradient is off by 1e-4·x² (the wrong backward weighted by 1e-4)."""
    return Cube.apply(t) + 1e-4 * WrongCube.apply(t) - 1e-4 * Cube.apply(t)


def test_tolerances_decide():
    (x,) = _inputs((3,))
    assert cr.gradcheck(_almost_cube, x, atol=1e-3)
    assert not cr.gradcheck(_almost_cube, x, atol=1e-9, rtol=1e-9, raise_exception=False)


def test_refuses_what_it_cannot_check():
    with pytest.raises(ValueError, match="no input requires grad"):
        cr.gradcheck(lambda t: t * 2, cr.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="input 0 is float32"):
        cr.gradcheck(lambda t: t * 2, cr.tensor(np.ones(3, np.float32), requires_grad=True))
    with pytest.raises(ValueError, match="no floating-point Tensor"):
        cr.gradcheck(lambda t: 3, _inputs((2,)))
    with pytest.raises(TypeError, match="fast_mode"):
        cr.gradcheck(Cube.apply, _inputs((2,)), fast_mode=True)
