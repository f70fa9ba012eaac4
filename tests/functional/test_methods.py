"""Tests of the Tensor operators and methods bound by chainrule.functional.methods.

The method names are PyTorch's, so each row is one expression run on a chainrule tensor and
on a torch tensor; values and input gradients must agree (float64).
"""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F

_X = np.random.default_rng(0).standard_normal((2, 1, 3, 4))

EXPRESSIONS = {
    "add": lambda t: t + t[0],
    "radd": lambda t: 1.5 + t,
    "sub": lambda t: t - t[..., :1],
    "rsub": lambda t: 2 - t,
    "mul": lambda t: t * 3,
    "rmul": lambda t: 3 * t,
    "truediv": lambda t: t / (t.abs() + 1),
    "rtruediv": lambda t: 1 / (t * t + 1),
    "pow": lambda t: t ** 2,
    "pow_tensor": lambda t: (t * t + 1) ** t,
    "rpow": lambda t: 2 ** t,
    "matmul": lambda t: t @ t.transpose(-1, -2),
    "rmatmul": lambda t: t.reshape(6, 4)[0] @ t.reshape(6, 4).T,
    "neg": lambda t: -t,
    "getitem": lambda t: t[1, 0, ::2, [3, 0, 3]],
    "sum": lambda t: t.sum(),
    "sum_dims": lambda t: t.sum((0, -1), keepdim=True),
    "mean": lambda t: t.mean(2),
    "max": lambda t: t.max(),
    "max_dim": lambda t: t.max(-1)[0],
    "min_dim": lambda t: t.min(dim=2, keepdim=True)[0],
    "var": lambda t: t.var(3),
    "var_biased": lambda t: t.var(unbiased=False),
    "reshape_varargs": lambda t: t.reshape(4, -1),
    "reshape_tuple": lambda t: t.reshape((3, 8)),
    "view": lambda t: t.view(-1),
    "transpose": lambda t: t.transpose(0, 3),
    "permute_varargs": lambda t: t.permute(3, 2, 1, 0),
    "permute_tuple": lambda t: t.permute((0, 2, 1, 3)),
    "flatten": lambda t: t.flatten(),
    "flatten_from_1": lambda t: t.flatten(1),
    "flatten_middle": lambda t: t.flatten(1, 2),
    "unsqueeze": lambda t: t.unsqueeze(1),
    "unsqueeze_negative": lambda t: t.unsqueeze(-1),
    "squeeze": lambda t: t.squeeze(),
    "squeeze_dim": lambda t: t.squeeze(1),
    "squeeze_not_one": lambda t: t.squeeze(0),
    "exp": lambda t: t.exp(),
    "log": lambda t: (t * t + 0.1).log(),
    "sqrt": lambda t: (t * t + 0.1).sqrt(),
    "abs": lambda t: t.abs(),
    "abs_builtin": lambda t: abs(t),
    "clamp": lambda t: t.clamp(-0.5, 0.5),
    "clamp_min": lambda t: t.clamp(min=0.0),
    "T": lambda t: t[0, 0].T,
    "relu": lambda t: t.relu(),
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "softmax": lambda t: t.softmax(-1),
    "log_softmax": lambda t: t.log_softmax(dim=2),
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_method_matches_torch(name):
    expression = EXPRESSIONS[name]
    ours = cr.tensor(_X, requires_grad=True)
    theirs = torch.tensor(_X, requires_grad=True)
    out, expected = expression(ours), expression(theirs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * cr.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("compare", ["<", "<=", ">", ">=", "==", "!="])
def test_comparisons_give_bool_tensors_outside_the_graph(compare):
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor([3.0, 2.0, 1.0])
    for other in (b, 2.0, 2):
        result = eval(f"a {compare} other")
        expected = eval(f"torch.tensor([1.0, 2.0, 3.0]) {compare} "
                        f"{'torch.tensor([3.0, 2.0, 1.0])' if other is b else other}")
        assert result.dtype == cr.backend.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}])
def test_argmax_argmin_match_torch(method, kwargs):
    x = np.random.default_rng(2).standard_normal((3, 5))
    ours = getattr(cr.tensor(x, requires_grad=True), method)(**kwargs)
    theirs = getattr(torch.tensor(x), method)(**kwargs)
    assert ours.dtype == cr.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_max_with_dim_returns_values_and_int64_indices():
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(1)
    expected_values, expected_indices = torch.tensor(x.numpy()).max(1)
    np.testing.assert_array_equal(values.numpy(), expected_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert indices.dtype == cr.int64 and not indices.requires_grad and values.requires_grad


def test_one_element_conversions():
    assert bool(cr.tensor([1.0])) and float(cr.tensor(2.5)) == 2.5 and int(cr.tensor([[3]])) == 3
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))


def test_index_with_tensors_and_masks():
    x = cr.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    picked = x[cr.tensor([2, 0, 2])]
    masked = x[x > 6]
    np.testing.assert_array_equal(picked.numpy()[:, 0], [8.0, 0.0, 8.0])
    np.testing.assert_array_equal(masked.numpy(), [7.0, 8.0, 9.0, 10.0, 11.0])
    (picked.sum() + masked.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 1, 1], [0, 0, 0, 1], [3, 3, 3, 3]])


@pytest.mark.parametrize("expression, message", [
    (lambda a, b: a + b, r"add: shapes \(2, 3\) and \(4,\)"),
    (lambda a, b: a * b, r"mul: shapes \(2, 3\) and \(4,\)"),
    (lambda a, b: a / b, r"div: shapes \(2, 3\) and \(4,\)"),
    (lambda a, b: a @ b, r"matmul: shapes \(2, 3\) and \(4,\)"),
    (lambda a, b: a.reshape(5, -1), r"reshape.*\(2, 3\).*\(5, -1\)"),
    (lambda a, b: a.permute(0, 0), r"permute.*\(2, 3\)"),
    (lambda a, b: F.cat([a, b]), r"cat: shapes \(2, 3\), \(4,\)"),
    (lambda a, b: F.stack([a, b]), r"stack.*\(2, 3\), \(4,\)"),
    (lambda a, b: a.clamp(), "clamp: at least one"),
])
def test_bad_shapes_raise_errors_naming_the_op(expression, message):
    with pytest.raises((ValueError, TypeError), match=message):
        expression(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones(4)))
