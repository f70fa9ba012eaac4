"""Tests of chainrule.functional.activation beyond the differential table: stability at
|x| = 1000 against PyTorch in float32 and float64, dtype preservation, inputs left untouched,
and clear errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F

EXTREMES = np.array(
    [[-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], [1000.0, 999.0, -1000.0, 3.0, -20.0, 0.5, 0.0]]
)

PAIRS = {
    "identity": (F.identity, lambda x: x * 1),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "relu": (F.relu, TF.relu),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu),
    "elu": (F.elu, TF.elu),
    "selu": (F.selu, TF.selu),
    "softmax-dim1": (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    "softmax-dim0": (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    "log_softmax-dim1": (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
    "log_softmax-dim0": (lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
}


def forward_backward(f, x, grad):
    """Output and input gradient of chainrule's f at x for the upstream gradient ``grad``."""
    t = cr.tensor(x, requires_grad=True)
    y = f(t)
    y.backward(grad)
    return y.data, t.grad.data


def torch_forward_backward(f, x, grad):
    t = torch.tensor(x, requires_grad=True)
    y = f(t)
    y.backward(torch.tensor(grad))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_extreme_inputs_are_finite_and_match_torch(name, dtype):
    ours, theirs = PAIRS[name]
    x = EXTREMES.astype(dtype)
    grad = np.linspace(-1, 1, x.size).reshape(x.shape).astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y, dx = forward_backward(ours, x, grad)
    y_torch, dx_torch = torch_forward_backward(theirs, x, grad)
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    # float32: a 1-ulp difference in tanh(3) becomes ~1e-5 relative in 1 − y², both libraries
    rtol = 2e-5 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(y, y_torch, rtol=rtol, atol=1e-30)
    np.testing.assert_allclose(dx, dx_torch, rtol=rtol, atol=1e-30)


def test_prelu_extremes_match_torch():
    x = EXTREMES.astype(np.float32).reshape(2, 7, 1)
    weight = np.linspace(0.1, 0.7, 7).astype(np.float32)
    grad = np.ones_like(x)
    tx, tw = cr.tensor(x, requires_grad=True), cr.tensor(weight, requires_grad=True)
    F.prelu(tx, tw).backward(grad)
    px, pw = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)
    TF.prelu(px, pw).backward(torch.tensor(grad))
    np.testing.assert_allclose(tx.grad.data, px.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(tw.grad.data, pw.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(PAIRS) + ["prelu"])
def test_float32_stays_float32(name):
    x = cr.tensor(
        np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), requires_grad=True
    )
    if name == "prelu":
        weight = cr.tensor(np.full(4, 0.25, np.float32), requires_grad=True)
        y = F.prelu(x, weight)
    else:
        y = PAIRS[name][0](x)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_input_is_not_mutated(name):
    x = np.random.default_rng(1).standard_normal((4, 5))
    original = x.copy()
    t = cr.tensor(x, requires_grad=True)
    t_data = t.data.copy()
    y = PAIRS[name][0](t)
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.data, t_data)
    np.testing.assert_array_equal(x, original)


def test_relu_gradient_at_zero_is_zero_like_torch():
    x = np.array([-1.0, 0.0, 1.0])
    _, dx = forward_backward(F.relu, x, np.ones(3))
    _, dx_torch = torch_forward_backward(TF.relu, x, np.ones(3))
    np.testing.assert_array_equal(dx, dx_torch)


def test_selu_constants_match_torch():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_allclose(
        F.selu(cr.tensor(x)).data, TF.selu(torch.tensor(x)).numpy(), rtol=1e-15
    )


def test_softmax_rows_sum_to_one():
    x = cr.tensor(np.random.default_rng(2).standard_normal((5, 7)) * 30)
    np.testing.assert_allclose(F.softmax(x, -1).data.sum(axis=-1), np.ones(5), rtol=1e-6)


def test_prelu_rejects_a_weight_of_the_wrong_size():
    x = cr.zeros(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"prelu: .*\(2,\).*\(2, 3, 4, 4\)"):
        F.prelu(x, cr.zeros(2))
