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
    "pow": lambda t: t**2,
    "pow_tensor": lambda t: (t * t + 1) ** t,
    "rpow": lambda t: 2**t,
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
    "t_matrix": lambda t: t[0, 0].t(),
    "t_vector": lambda t: t[0, 0, 0].t(),
    "contiguous": lambda t: t.transpose(0, 2).contiguous(),
    "relu": lambda t: t.relu(),
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "softmax": lambda t: t.softmax(-1),
    "log_softmax": lambda t: t.log_softmax(dim=2),
    "add_alpha": lambda t: t.add(t * t, alpha=-0.5),
    "sub_alpha": lambda t: t.sub(t[0], alpha=2),
    "mul_method": lambda t: t.mul(t[..., :1]),
    "div_method": lambda t: t.div(2.0),
    "std": lambda t: t.std(3),
    "std_correction": lambda t: t.std((0, 2), correction=0, keepdim=True),
    "logsumexp": lambda t: t.logsumexp(-1),
    "cumsum": lambda t: t.cumsum(2),
    "maximum": lambda t: t.maximum(t[0] * 0.5),
    "minimum": lambda t: t.minimum(t.flip(3)),
    "clamp_tensor": lambda t: t.clamp(min=t[1] * 0.3, max=t[0].abs()),
    "clip": lambda t: t.clip(-0.3, 0.2),
    "flip_varargs": lambda t: t.flip(0, 3),
    "flip_tuple": lambda t: t.flip((2,)),
    "roll": lambda t: t.roll(1, 2),
    "repeat": lambda t: t.repeat(1, 2, 1, 2),
    "expand": lambda t: t.expand(2, 3, 3, 4),
    "expand_as": lambda t: t[0].expand_as(t),
    "view_as": lambda t: t.view_as(t.reshape(4, 6)),
    "reshape_as": lambda t: t.transpose(0, 3).reshape_as(t),
    "triu": lambda t: t.triu(),
    "tril": lambda t: t.tril(1),
    "masked_fill": lambda t: t.masked_fill(t > 0.5, 0.25),
    "topk": lambda t: t.topk(2).values,
    "sort": lambda t: t.sort(dim=2, descending=True).values,
    "split": lambda t: t.split(3, 3)[0],
    "chunk": lambda t: t.chunk(2, dim=2)[1],
    "gather": lambda t: t.gather(3, _index_like(t, [[[[3, 0], [1, 1], [2, 0]]]] * 2)),
    "scatter_add": lambda t: t.scatter_add(
        2, _index_like(t, [[[[2, 0, 1, 0]]]] * 2), t[:, :, :1] * 2
    ),
}


def _index_like(t, values):
    """An int64 index tensor of the framework ``t`` belongs to."""
    return torch.tensor(values) if isinstance(t, torch.Tensor) else cr.tensor(values)


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
        result = eval(f"a {compare} other", {"a": a, "other": other})
        expected = eval(
            f"torch.tensor([1.0, 2.0, 3.0]) {compare} "
            f"{'torch.tensor([3.0, 2.0, 1.0])' if other is b else other}"
        )
        assert result.dtype == cr.backend.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_methods_match_torch(name):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    for other, torch_other in ((cr.tensor(b), torch.tensor(b)), (2.0, 2.0)):
        result = getattr(cr.tensor(a, requires_grad=True), name)(other)
        expected = getattr(torch.tensor(a), name)(torch_other)
        assert result.dtype == cr.backend.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_sort_and_topk_return_values_and_indices_as_torch():
    x = np.random.default_rng(3).standard_normal((3, 5))
    ours, theirs = cr.tensor(x).sort(1), torch.tensor(x).sort(1)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    values, indices = cr.tensor(x).topk(2, dim=0, largest=False)
    expected = torch.tensor(x).topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    assert cr.tensor(x).max(1).indices.dtype == cr.int64


@pytest.mark.parametrize(
    "method, args",
    [
        ("new_zeros", ((2, 3),)),
        ("new_zeros", (2, 3)),
        ("new_ones", (4,)),
        ("new_full", ((2, 2), 7.5)),
        ("new_tensor", ([[1, 2], [3, 4]],)),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_new_tensors_take_the_dtype_and_device_of_self(method, args, dtype):
    ours = getattr(cr.zeros(1, dtype=getattr(cr, dtype)), method)(*args)
    theirs = getattr(torch.zeros(1, dtype=getattr(torch, dtype)), method)(*args)
    assert ours.dtype == np.dtype(dtype) and ours.device == "cpu" and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_new_tensor_copies_and_takes_dtype_and_requires_grad():
    source = np.array([1.0, 2.0])
    made = cr.zeros(1).new_tensor(source, dtype=cr.float64, requires_grad=True)
    source[0] = 5.0
    assert made.tolist() == [1.0, 2.0] and made.dtype == cr.float64 and made.requires_grad


@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}])
def test_argmax_argmin_match_torch(method, kwargs):
    x = np.random.default_rng(2).standard_normal((3, 5))
    theirs = getattr(torch.tensor(x), method)(**kwargs)
    for ours in (
        getattr(cr.tensor(x, requires_grad=True), method)(**kwargs),
        getattr(cr, method)(cr.tensor(x), **kwargs),
    ):
        assert ours.dtype == cr.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_clone_is_a_copy_in_the_graph_as_torch():
    x = np.random.default_rng(3).standard_normal((2, 3))
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_copy, theirs_copy = ours.clone(), theirs.clone()
    assert ours_copy.requires_grad and not np.shares_memory(ours_copy.data, ours.data)
    weights = np.random.default_rng(4).standard_normal((2, 3))
    (ours_copy * ours_copy * cr.tensor(weights)).sum().backward()
    (theirs_copy * theirs_copy * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("method", ["long", "int", "bool", "half", "float", "double"])
def test_dtype_methods_match_torch_and_leave_the_graph_for_non_floats(method):
    x = np.array([[-1.7, 0.0, 2.5]])
    ours = getattr(cr.tensor(x, requires_grad=True), method)()
    theirs = getattr(torch.tensor(x, requires_grad=True), method)()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


def test_backward_takes_torchs_gradient_keyword():
    ours, theirs = (
        cr.tensor([1.0, 2.0], requires_grad=True),
        torch.tensor([1.0, 2.0], requires_grad=True),
    )
    (ours * ours).backward(gradient=cr.tensor([3.0, 5.0]))
    (theirs * theirs).backward(gradient=torch.tensor([3.0, 5.0]))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


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


@pytest.mark.parametrize(
    "expression, message",
    [
        (lambda a, b: a + b, r"add: shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a * b, r"mul: shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a / b, r"div: shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a @ b, r"matmul: shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a.reshape(5, -1), r"reshape.*\(2, 3\).*\(5, -1\)"),
        (lambda a, b: a.permute(0, 0), r"permute.*\(2, 3\)"),
        (lambda a, b: F.cat([a, b]), r"cat: shapes \(2, 3\), \(4,\)"),
        (lambda a, b: F.stack([a, b]), r"stack.*\(2, 3\), \(4,\)"),
        (lambda a, b: a.clamp(), "clamp: at least one"),
    ],
)
def test_bad_shapes_raise_errors_naming_the_op(expression, message):
    with pytest.raises((ValueError, TypeError), match=message):
        expression(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones(4)))


# -- in-place methods: values, versions and torch's rules -----------------------------------

IN_PLACE = {
    "add_": lambda t, o: t.add_(o),
    "add_alpha": lambda t, o: t.add_(o, alpha=-0.1),
    "sub_": lambda t, o: t.sub_(o, alpha=2),
    "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o.abs() + 1),
    "mul_number": lambda t, o: t.mul_(3),
    "zero_": lambda t, o: t.zero_(),
    "fill_": lambda t, o: t.fill_(2.5),
    "copy_": lambda t, o: t.copy_(o),
    "copy_broadcast": lambda t, o: t.copy_(o[0]),
    "clamp_": lambda t, o: t.clamp_(-0.2, 0.3),
    "clamp_min": lambda t, o: t.clamp_(min=0.0),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_under_no_grad_matches_torch_and_bumps_the_version(name):
    x, other = np.random.default_rng(4).standard_normal((2, 3, 4))
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    array = ours.data
    with cr.no_grad():
        returned = IN_PLACE[name](ours, cr.tensor(other))
    with torch.no_grad():
        IN_PLACE[name](theirs, torch.tensor(other))
    assert returned is ours and ours.data is array and ours._version == 1
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_in_place_on_a_tensor_without_grad_needs_no_no_grad():
    t = cr.tensor([1.0, 2.0])
    t.mul_(2).add_(cr.tensor([1.0, 1.0]), alpha=3)
    assert t.tolist() == [5.0, 7.0] and t._version == 2 and not t.requires_grad


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_is_refused_as_torch(name):
    ours = cr.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="a leaf Variable that requires grad is being used in an in-place operation",
    ):
        IN_PLACE[name](ours, cr.tensor(np.ones((3, 4))))
    theirs = torch.ones(3, 4, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        IN_PLACE[name](theirs, torch.ones(3, 4, dtype=torch.float64))


def test_in_place_on_a_non_leaf_of_the_graph_is_refused_clearly():
    hidden = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="mul_: in-place ops on a tensor computed in the graph"):
        hidden.mul_(3)


def test_backward_refuses_an_output_saved_for_backward_and_rewritten_in_place():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    with cr.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: output 0 of Exp"):
        y.sum().backward()
    tx = torch.tensor([0.5, 1.0], requires_grad=True)
    ty = tx.exp()
    with torch.no_grad():
        ty.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()


def test_backward_refuses_an_input_saved_for_backward_and_rewritten_in_place():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    a = cr.tensor([3.0, 4.0])
    product = w * a  # mul saves a for w's gradient
    a.add_(1)
    with pytest.raises(
        RuntimeError,
        match=r"input 1 of Mul \(shape \(2,\)\) is at version 1; "
        r"expected version 0",
    ):
        product.sum().backward()


def test_an_input_that_was_not_saved_may_change_in_place_as_in_torch():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    a = cr.tensor([3.0, 4.0])
    total = w + a  # add saves nothing
    a.add_(1)
    total.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_in_place_with_an_argument_that_requires_grad_joins_the_graph_as_torch():
    x = np.array([0.5, -1.0, 2.0])
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for w, zeros in ((ours, cr.tensor(np.zeros(3))), (theirs, torch.zeros(3, dtype=torch.float64))):
        zeros.add_(w * w, alpha=3)
        assert zeros.requires_grad and not zeros.is_leaf
        (zeros * w).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_manual_sgd_step_in_place_matches_torch():
    x = np.random.default_rng(5).standard_normal((4, 3))
    params = [cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)]
    for p in params:
        for _ in range(3):
            (p * p).sum().backward()
            with cr.no_grad() if isinstance(p, cr.Tensor) else torch.no_grad():
                p.add_(p.grad, alpha=-0.1)
            p.grad = None
    np.testing.assert_allclose(params[0].numpy(), params[1].detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_of_two_tensors_are_maximum_minimum_as_torch(name):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    ours_x, ours_y = cr.tensor(x, requires_grad=True), cr.tensor(y, requires_grad=True)
    theirs_x, theirs_y = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    ours, theirs = getattr(cr, name)(ours_x, ours_y), getattr(torch, name)(theirs_x, theirs_y)
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())
    np.testing.assert_array_equal(ours_y.grad.numpy(), theirs_y.grad.numpy())
