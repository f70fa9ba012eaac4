"""Values are checked where they are given, as torch checks them: a wrong size, batch size or
tensor element fails at construction with one sentence naming it, not later inside NumPy.

Each row is ``(make with chainrule, make with torch, error type or None, message fragment)``;
torch is the oracle for which values are accepted.
"""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import DataLoader

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

ROWS = [
    # nn.Linear: 0 features is allowed (torch too); negative or non-integer sizes are not.
    (lambda: cr.nn.Linear(0, 5), lambda: torch.nn.Linear(0, 5), None, None),
    (lambda: cr.nn.Linear(5, 0), lambda: torch.nn.Linear(5, 0), None, None),
    (lambda: cr.nn.Linear(np.int64(3), 2), lambda: torch.nn.Linear(3, 2), None, None),
    (
        lambda: cr.nn.Linear(-1, 5),
        lambda: torch.nn.Linear(-1, 5),
        ValueError,
        "Linear: in_features must be >= 0, got -1",
    ),
    (
        lambda: cr.nn.Linear(2, -3),
        lambda: torch.nn.Linear(2, -3),
        ValueError,
        "Linear: out_features must be >= 0, got -3",
    ),
    (
        lambda: cr.nn.Linear(2.5, 3),
        lambda: torch.nn.Linear(2.5, 3),
        TypeError,
        "Linear: in_features must be an integer, got 2.5",
    ),
    # DataLoader: batch_size a positive integer.
    (lambda: DataLoader(list(range(4)), batch_size=2), None, None, None),
    (
        lambda: DataLoader(list(range(4)), batch_size=2.5),
        lambda: torch.utils.data.DataLoader(list(range(4)), batch_size=2.5),
        ValueError,
        "batch_size should be a positive integer value, but got batch_size=2.5",
    ),
    (
        lambda: DataLoader(list(range(4)), batch_size=0),
        lambda: torch.utils.data.DataLoader(list(range(4)), batch_size=0),
        ValueError,
        "got batch_size=0",
    ),
    (
        lambda: DataLoader(list(range(4)), batch_size=-2),
        lambda: torch.utils.data.DataLoader(list(range(4)), batch_size=-2),
        ValueError,
        "got batch_size=-2",
    ),
    (
        lambda: DataLoader(list(range(4)), batch_size=True),
        lambda: torch.utils.data.DataLoader(list(range(4)), batch_size=True),
        ValueError,
        "got batch_size=True",
    ),
    (
        lambda: DataLoader(list(range(4)), batch_size="2"),
        lambda: torch.utils.data.DataLoader(list(range(4)), batch_size="2"),
        ValueError,
        "got batch_size='2'",
    ),
    # tensor / as_tensor: numbers and bools only.
    (
        lambda: cr.tensor(["a"]),
        lambda: torch.tensor(["a"]),
        TypeError,
        "tensor(): invalid data type 'str'",
    ),
    (
        lambda: cr.tensor([1, "a"]),
        lambda: torch.tensor([1, "a"]),
        TypeError,
        "invalid data type 'str'",
    ),
    (lambda: cr.tensor(b"ab"), lambda: torch.tensor(b"ab"), TypeError, "invalid data type 'bytes'"),
    (
        lambda: cr.tensor([None]),
        lambda: torch.tensor([None]),
        TypeError,
        "invalid data type 'NoneType'",
    ),
    (
        lambda: cr.tensor([2**100]),
        lambda: torch.tensor([2**100]),
        TypeError,
        "an integer beyond int64",
    ),
    (
        lambda: cr.as_tensor(["a"]),
        lambda: torch.as_tensor(["a"]),
        TypeError,
        "as_tensor(): invalid data type 'str'",
    ),
    (lambda: cr.tensor([True, 2.5]), lambda: torch.tensor([True, 2.5]), None, None),
]


@pytest.mark.parametrize("ours, theirs, error, message", ROWS)
def test_values_are_checked_where_they_are_given(ours, theirs, error, message):
    if theirs is not None:
        try:
            theirs()
            torch_refuses = False
        except (TypeError, ValueError, RuntimeError):
            torch_refuses = True
        assert torch_refuses == (error is not None)
    if error is None:
        ours()
        return
    with pytest.raises(error) as caught:
        ours()
    assert message in str(caught.value)


def test_an_empty_linear_layer_computes_like_torchs():
    """Linear(0, 5) maps a (2, 0) input to its bias; its weight gradient is (5, 0)."""
    ours, theirs = cr.nn.Linear(0, 5), torch.nn.Linear(0, 5)
    ours.bias.data[...] = theirs.bias.detach().numpy()
    out = ours(cr.zeros(2, 0))
    out.sum().backward()
    expected = theirs(torch.zeros(2, 0))
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy())
    assert ours.weight.grad.shape == tuple(theirs.weight.grad.shape) == (5, 0)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy())


# Windows torch accepts when a layer is built but refuses when it runs (ZeroDivisionError or a
# NumPy error inside chainrule before): chainrule refuses them where they are given.
WINDOWS = [
    ("Conv2d", (1, 2, 0), {}, "kernel_size must be whole numbers above 0, got 0"),
    ("Conv2d", (1, 2, 3), {"stride": 0}, "stride must be whole numbers above 0, got 0"),
    ("Conv2d", (1, 2, 3), {"padding": -1}, "padding must be whole numbers 0 or more, got -1"),
    ("Conv2d", (1, 2, 3), {"dilation": (1, 0)}, "dilation must be whole numbers above 0"),
    ("Conv1d", (1, 2, 3), {"stride": 0}, "stride must be whole numbers above 0"),
    ("MaxPool2d", (0,), {}, "kernel_size must be whole numbers above 0, got 0"),
    ("MaxPool2d", (2,), {"stride": 0}, "stride must be whole numbers above 0, got 0"),
    ("MaxPool1d", (2,), {"padding": -1}, "padding must be whole numbers 0 or more"),
    ("AvgPool2d", (2,), {"padding": -1}, "padding must be whole numbers 0 or more"),
    ("AvgPool1d", (0,), {}, "kernel_size must be whole numbers above 0"),
]


@pytest.mark.parametrize("name, args, kwargs, message", WINDOWS)
def test_windows_torch_refuses_when_run_are_refused_when_built(name, args, kwargs, message):
    layer = getattr(torch.nn, name)(*args, **kwargs)
    signal = torch.zeros((1, 1, 8) if name.endswith("1d") else (1, 1, 8, 8))
    with pytest.raises((RuntimeError, ValueError, ZeroDivisionError)):
        layer(signal)
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        getattr(cr.nn, name)(*args, **kwargs)
