"""Compare a chainrule module with its torch.nn twin: same weights, same inputs, float64.

``run_both`` copies the torch module's state_dict into the chainrule one (through strict
``load_state_dict``), runs both forwards, backpropagates L = Σ(w · out) with one fixed random w,
and checks the outputs, every input gradient and every parameter gradient (by name), then the
state dicts (BatchNorm's running statistics) after the step.
"""

import numpy as np
import torch

import chainrule as cr

RTOL, ATOL = 1e-6, 1e-9


def torch_state_as_numpy(module):
    return {name: value.detach().numpy() for name, value in module.state_dict().items()}


def assert_close(actual, expected, what):
    actual = actual.numpy() if isinstance(actual, cr.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs torch {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def assert_same_state(ours, theirs):
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for name, value in theirs_state.items():
        assert ours_state[name].dtype == np.dtype(str(value.dtype).replace("torch.", "")), name
        assert_close(ours_state[name], value, f"state_dict[{name!r}]")


def run_both(ours, theirs, *inputs, seed=0):
    """Run ``ours`` and ``theirs`` (float64) on NumPy ``inputs`` (floating ones differentiated)
    and assert they agree; returns both outputs."""
    ours.to(cr.float64)
    theirs.double()
    ours.load_state_dict(torch_state_as_numpy(theirs))
    ours_in = [cr.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    theirs_in = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    out_ours, out_theirs = ours(*ours_in), theirs(*theirs_in)
    assert_close(out_ours, out_theirs, "output")
    w = np.random.default_rng(seed).standard_normal(out_theirs.shape)
    (out_ours * cr.tensor(w)).sum().backward()
    (out_theirs * torch.tensor(w)).sum().backward()
    for i, (x_ours, x_theirs) in enumerate(zip(ours_in, theirs_in)):
        if x_theirs.requires_grad:
            assert_close(x_ours.grad, x_theirs.grad, f"grad of input {i}")
    ours_params, theirs_params = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(ours_params) == list(theirs_params)
    for name, param in theirs_params.items():
        if param.grad is None:
            assert ours_params[name].grad is None, name
        else:
            assert_close(ours_params[name].grad, param.grad, f"grad of {name}")
    assert_same_state(ours, theirs)
    return out_ours, out_theirs


def assert_moves_to_torch(ours, theirs, seed=1):
    """Fill ``ours``' floating state with fresh random values, load it into ``theirs`` with
    strict loading, and check both now hold the same state."""
    rng = np.random.default_rng(seed)
    for tensor in list(ours.parameters()) + list(ours.buffers()):
        if tensor.dtype.kind == "f":
            tensor.data[...] = rng.standard_normal(tensor.shape) ** 2
        else:
            tensor.data[...] = rng.integers(1, 100, tensor.shape)
    theirs.load_state_dict(
        {name: torch.tensor(value.numpy()) for name, value in ours.state_dict().items()},
        strict=True,
    )
    assert_same_state(ours, theirs)
