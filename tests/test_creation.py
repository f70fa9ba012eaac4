"""Tests of chainrule.creation against torch's factories: dtype inference, shapes, copying vs
sharing, value ranges of the random factories, and manual_seed reproducibility."""

import numpy as np
import pytest
import torch

import chainrule as cr


def torch_dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize(
    "data",
    [
        1.5,
        3,
        True,
        [1.0, 2.0],
        [1, 2],
        [[1, 2], [3, 4.5]],
        [True, False],
        np.array([1.0, 2.0]),
        np.array([1.0], np.float32),
        np.array([1, 2], np.int32),
        np.float64(2.0),
    ],
    ids=repr,
)
def test_tensor_infers_dtype_like_torch(data):
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == torch_dtype_name(theirs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_with_explicit_dtype():
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == cr.float64
    assert (
        cr.tensor([1.7], dtype=cr.int64).tolist() == torch.tensor([1.7], dtype=torch.int64).tolist()
    )


def test_default_dtype_governs_python_floats():
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor([1.5]).dtype == cr.float64
        assert cr.zeros(2).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.tensor([1.5]).dtype == cr.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        cr.set_default_dtype(np.int32)


def test_tensor_copies_and_as_tensor_shares():
    source = np.array([1.0, 2.0], np.float32)
    copied, shared = cr.tensor(source), cr.as_tensor(source)
    source[0] = 99.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [99.0, 2.0]
    assert cr.as_tensor(source, dtype=cr.float64).dtype == cr.float64


def test_tensor_from_tensor_is_a_copy_outside_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor(x * 2)
    assert y.is_leaf and not y.requires_grad
    y.data[0] = 7.0
    assert x.tolist() == [1.0, 2.0]


def test_only_floating_tensors_require_grad():
    with pytest.raises(TypeError, match="int64"):
        cr.tensor([1, 2], requires_grad=True)
    assert cr.tensor([1.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("name", ["zeros", "ones", "rand", "randn"])
def test_shape_factories_take_varargs_or_a_tuple(name):
    make = getattr(cr, name)
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == tuple(getattr(torch, name)(2, 3).shape)
        assert t.dtype == cr.float32 and t.is_leaf and not t.requires_grad
    assert make(4, dtype=cr.float64).dtype == cr.float64
    assert make(3, requires_grad=True).requires_grad


def test_zeros_and_ones_values():
    np.testing.assert_array_equal(cr.zeros(2, 2).numpy(), torch.zeros(2, 2).numpy())
    np.testing.assert_array_equal(cr.ones(3).numpy(), torch.ones(3).numpy())
    assert cr.zeros(0, 3).shape == (0, 3)
    assert cr.ones(()).shape == ()


def test_like_factories_keep_shape_and_dtype():
    x = cr.tensor(np.ones((2, 3)))
    for made in (cr.zeros_like(x), cr.ones_like(x)):
        assert made.shape == (2, 3) and made.dtype == cr.float64
    assert cr.zeros_like(x).numpy().sum() == 0 and cr.ones_like(x).numpy().sum() == 6
    assert cr.zeros_like(x, dtype=cr.float32).dtype == cr.float32
    assert cr.zeros_like(cr.tensor([1, 2])).dtype == cr.int64


def test_rand_is_uniform_on_unit_interval():
    cr.manual_seed(0)
    u = cr.rand(100_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005


def test_randn_is_standard_normal():
    cr.manual_seed(0)
    z = cr.randn(100_000, dtype=cr.float64).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02


def test_manual_seed_makes_draws_reproducible():
    cr.manual_seed(7)
    first = (cr.rand(5).numpy(), cr.randn(2, 2).numpy())
    cr.manual_seed(7)
    second = (cr.rand(5).numpy(), cr.randn(2, 2).numpy())
    cr.manual_seed(8)
    other = cr.rand(5).numpy()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((5,), {}),
        ((2, 9), {}),
        ((0, 10, 3), {}),
        ((0, 1, 0.25), {}),
        ((1.5, 4), {}),
        ((4,), {"dtype": cr.float64}),
        ((-3, 3, 2), {}),
    ],
    ids=repr,
)
def test_arange_matches_torch(args, kwargs):
    ours = cr.arange(*args, **kwargs)
    theirs = torch.arange(*args, **{k: getattr(torch, str(v)) for k, v in kwargs.items()})
    assert str(ours.dtype) == torch_dtype_name(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("fill", [7, 7.0, True, -2.5])
def test_full_infers_dtype_from_the_value_like_torch(fill):
    ours, theirs = cr.full((2, 3), fill), torch.full((2, 3), fill)
    assert str(ours.dtype) == torch_dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert cr.full((2,), 1, dtype=cr.float64).dtype == cr.float64


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2)])
def test_eye_matches_torch(args):
    ours, theirs = cr.eye(*args), torch.eye(*args)
    assert str(ours.dtype) == torch_dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_randint_takes_torchs_argument_order_and_stays_in_range():
    cr.manual_seed(0)
    high_only = cr.randint(10, (2, 3))
    assert high_only.shape == (2, 3) and high_only.dtype == cr.int64
    draws = cr.randint(3, 6, size=(2000,)).numpy()
    assert set(np.unique(draws)) == {3, 4, 5}
    cr.manual_seed(1)
    first = cr.randint(0, 100, (5,)).tolist()
    cr.manual_seed(1)
    assert cr.randint(0, 100, (5,)).tolist() == first


@pytest.mark.parametrize(
    "args, torch_error, error",
    [((5,), TypeError, TypeError), ((5, 5, (2,)), RuntimeError, ValueError)],
)
def test_randint_refuses_what_torch_refuses(args, torch_error, error):
    with pytest.raises(torch_error):
        torch.randint(*args)
    with pytest.raises(error, match="randint"):
        cr.randint(*args)
