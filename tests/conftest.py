"""What tests in every folder share: the MNIST data root, float64 as the default dtype, and
the comparison of a model's gradients with its PyTorch twin's."""

import numpy as np
import pytest

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
