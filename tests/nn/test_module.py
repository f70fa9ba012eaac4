"""nn.Module's machinery against torch.nn.Module: registration and traversal order, state_dict
naming and order, strict loading errors, train/eval, to(dtype), zero_grad, apply, hooks, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, torch_state_as_numpy


def make_net(lib):
    """The same small tree in chainrule and torch: nested Sequentials, a norm with buffers,
    a parameterless layer and a non-persistent buffer."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(
                lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.ReLU()
            )
            self.register_buffer("scale", lib.ones(2))
            self.register_buffer("cache", lib.zeros(3), persistent=False)
            self.head = lib.nn.Sequential(
                OrderedDict([("flat", lib.nn.Flatten()), ("fc", lib.nn.Linear(8, 3))])
            )
            self.gain = lib.nn.Parameter(lib.ones(3))

        def forward(self, x):
            return self.head(self.features(x)) * self.gain

    return Net()


def test_traversal_and_state_dict_order_match_torch():
    ours, theirs = make_net(cr), make_net(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "cache" not in ours.state_dict()
    assert len(list(ours.parameters(recurse=False))) == 1
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == 2


def test_state_dict_moves_both_ways_with_strict_loading():
    ours, theirs = make_net(cr), make_net(torch)
    assert_moves_to_torch(ours, theirs)
    theirs.features[1].running_var.mul_(3)
    theirs.features[1].num_batches_tracked.fill_(7)
    ours.load_state_dict(torch_state_as_numpy(theirs))
    np.testing.assert_array_equal(
        ours.features[1].running_var.numpy(), theirs.features[1].running_var.numpy()
    )
    assert ours.features[1].num_batches_tracked.item() == 7
    assert ours.features[1].num_batches_tracked.dtype == np.int64


def test_state_dict_shares_arrays_and_loading_keeps_them():
    model = nn.Linear(3, 2)
    weight_array = model.weight.data
    state = model.state_dict()
    assert state["weight"].data is weight_array and not state["weight"].requires_grad
    model.load_state_dict({"weight": np.ones((2, 3)), "bias": cr.zeros(2)})
    assert model.weight.data is weight_array and model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.numpy(), np.ones((2, 3)))


def test_strict_load_names_missing_unexpected_and_shape_mismatch():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    del state["1.running_mean"]
    state["1.extra"] = np.zeros(1)
    state["0.weight"] = np.zeros((3, 2))
    before = model[0].bias.numpy().copy()
    state["0.bias"] = np.full(2, 5.0)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "1.running_mean"' in message
    assert 'Unexpected key(s) in state_dict: "1.extra"' in message
    assert "size mismatch for 0.weight" in message and "(3, 2)" in message and "(2, 3)" in message
    np.testing.assert_array_equal(model[0].bias.numpy(), before)  # nothing half-loaded


def test_non_strict_load_returns_missing_and_unexpected_like_torch():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    state = {"weight": np.ones((2, 3)), "other": np.zeros(1)}
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result.missing_keys == expected.missing_keys == ["bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["other"]
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        ours.load_state_dict({"weight": np.ones((3, 3))}, strict=False)


def test_to_float64_keeps_parameter_identity_and_converts_buffers():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    params = list(model.parameters())
    model(cr.randn(4, 3)).sum().backward()
    assert model.to(cr.float64) is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model(cr.randn(4, 3, dtype=cr.float64)).dtype == np.float64
    assert model.float()[0].weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        model.to(cr.int64)


def test_optimizer_built_before_to_keeps_training_like_torch():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours_opt = cr.optim.SGD(ours.parameters(), lr=0.1)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    ours.to(cr.float64)
    theirs.double()
    x = np.random.default_rng(0).standard_normal((5, 3))
    for _ in range(3):
        ours_opt.zero_grad()
        theirs_opt.zero_grad()
        (ours(cr.tensor(x)) ** 2).mean().backward()
        (theirs(torch.tensor(x)) ** 2).mean().backward()
        ours_opt.step()
        theirs_opt.step()
    assert ours.weight.dtype == np.float64
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6)


def test_train_eval_zero_grad_requires_grad():
    model = make_net(cr)
    assert model.training and model.features[1].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(cr.randn(2, 1, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.apply(lambda m: None) is model
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_apply_visits_children_before_parents_like_torch():
    ours, theirs = make_net(cr), make_net(torch)
    ours_order, theirs_order = [], []
    ours.apply(lambda m: ours_order.append(type(m).__name__))
    theirs.apply(lambda m: theirs_order.append(type(m).__name__))
    assert ours_order == theirs_order


def test_shared_parameter_listed_once_but_saved_under_each_name():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    twin_shared = torch.nn.Linear(2, 2)
    twin = torch.nn.Sequential(twin_shared, torch.nn.ReLU(), twin_shared)
    assert len(list(model.parameters())) == len(list(twin.parameters())) == 2
    assert list(model.state_dict()) == list(twin.state_dict())


def test_registration_rules():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter or None"):
        model.weight = cr.zeros(2, 2)
    with pytest.raises(KeyError, match="already exists"):
        model.register_buffer("weight", cr.zeros(1))
    with pytest.raises(KeyError, match="'.'"):
        model.register_parameter("a.b", None)
    model.bias = None
    assert "bias" not in model.state_dict() and model.bias is None
    model.extra = nn.Parameter(cr.zeros(1))
    assert [n for n, _ in model.named_parameters()] == ["weight", "extra"]
    del model.extra
    assert not hasattr(model, "extra")

    class Forgetful(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Forgetful()


def test_parameter_wraps_tensors_and_arrays():
    array = np.arange(3.0)
    param = nn.Parameter(array)
    assert param.requires_grad and param.is_leaf and param.data is array
    assert nn.Parameter(cr.ones(2), requires_grad=False).requires_grad is False
    assert repr(param).startswith("Parameter containing:\ntensor(")
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(np.arange(3))


def test_forward_hooks_run_and_can_be_removed():
    model = nn.Identity()
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = model.register_forward_hook(lambda m, args, out: out + 1)
    assert model(cr.tensor([1.0])).item() == 3.0
    pre.remove()
    post.remove()
    assert model(cr.tensor([1.0])).item() == 1.0


def test_repr_matches_torch():
    assert repr(make_net(cr)) == repr(make_net(torch))


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_deepcopy_gives_an_independent_model():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    twin = copy.deepcopy(model)
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    twin[0].weight.data[...] = 0
    assert model[0].weight.numpy().any()
    assert list(twin.state_dict()) == list(model.state_dict())


@pytest.mark.skipif(not cr.cuda_is_available(), reason="needs CuPy and a GPU")
def test_to_cuda_keeps_parameters_and_matches_cpu():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).eval()
    params = list(model.parameters())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    expected = model(cr.tensor(x)).numpy()
    model.to("cuda")
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(t.device == "cuda" for t in list(model.parameters()) + list(model.buffers()))
    np.testing.assert_allclose(model(cr.tensor(x, device="cuda")).numpy(), expected, rtol=1e-5)
    model.load_state_dict({k: v.numpy() for k, v in model.state_dict().items()})
    assert model[0].weight.device == "cuda"
    assert model.cpu()[1].running_var.device == "cpu"
