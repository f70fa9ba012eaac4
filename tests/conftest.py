"""What tests in every folder share: the MNIST data root, float64 as the default dtype, and
the comparison of a model's gradients with its PyTorch twin's, and of two nested structures
of values (a checkpoint and what loading it gives back)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend
from tests.train.conftest import mnist_root


@pytest.fixture(scope="session")
def data_dir():
    """The data root holding MNIST; the test is skipped where there is none."""
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    return root


@pytest.fixture
def float64():
    """Tensors are created as float64 for the test, so gradients compare to 1e-8."""
    previous = backend.get_default_dtype()
    backend.set_default_dtype(np.float64)
    yield
    backend.set_default_dtype(previous)


def assert_gradients_equal_torch(model, twin, rtol, atol):
    """Every parameter of ``model`` has a namesake in the PyTorch ``twin`` (and no more), and
    their gradients agree."""
    theirs = dict(twin.named_parameters())
    assert set(theirs) == {name for name, _ in model.named_parameters()}
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad.data, theirs[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def assert_same(a, b):
    """``a`` and ``b`` are the same nested structure (dicts in the same key order, lists,
    tuples) holding equal values of the same types: tensors and arrays of the same dtype,
    shape and values, tensors with the same ``requires_grad``."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, cr.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b
