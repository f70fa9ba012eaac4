"""Each optimizer against torch.optim: same net, same start, 25 steps, same parameters."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim

from .problem import (
    assert_params_close,
    chainrule_params,
    initial_weights,
    set_hand_gradients,
    step_chainrule,
    step_torch,
    torch_params,
)

STEPS = 25

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.05)),
    ("SGD", dict(lr=0.01, momentum=0.9, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("SGD", dict(lr=0.1, foreach=False, fused=None, differentiable=False)),
    ("Adam", dict(lr=0.05, foreach=None, fused=False, capturable=False, differentiable=False)),
]
IDS = [f"{name}-" + ",".join(f"{k}={v}" for k, v in kwargs.items()) for name, kwargs in CONFIGS]


def make_pair(name, kwargs, weights):
    ours, theirs = chainrule_params(weights), torch_params(weights)
    return (
        ours,
        getattr(optim, name)(ours, **kwargs),
        theirs,
        getattr(torch.optim, name)(theirs, **kwargs),
    )


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_matches_torch_after_25_steps(name, kwargs):
    ours, our_opt, theirs, their_opt = make_pair(name, kwargs, initial_weights())
    step_chainrule(our_opt, ours, STEPS)
    step_torch(their_opt, theirs, STEPS)
    assert_params_close(ours, theirs)
    assert not np.allclose(ours[0].data, initial_weights()[0])  # the steps did move


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW"])
def test_defaults_are_torchs(name):
    weight = initial_weights()[1]
    ours = getattr(optim, name)([cr.tensor(weight, requires_grad=True)]).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.tensor(weight, requires_grad=True)]).param_groups[0]
    for option, value in ours.items():
        if option != "params":
            assert theirs[option] == value, f"{name} default {option}"


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_gradients_untouched_and_float32_kept(name, kwargs):
    params = [cr.tensor(w.astype(np.float32), requires_grad=True) for w in initial_weights()]
    optimizer = getattr(optim, name)(params, **kwargs)
    for _ in range(3):
        set_hand_gradients(params)
        grads = [p.grad.data.copy() for p in params]
        optimizer.step()
        for p, g in zip(params, grads):
            np.testing.assert_array_equal(p.grad.data, g)
            assert p.dtype == np.float32
    for entries in optimizer.state_dict()["state"].values():
        for value in entries.values():
            assert not hasattr(value, "dtype") or value.dtype == np.float32


def test_param_groups_with_their_own_options():
    weights = initial_weights()
    ours, theirs = chainrule_params(weights), torch_params(weights)
    our_opt = optim.SGD(
        [{"params": ours[:2]}, {"params": ours[2:], "lr": 0.02, "momentum": 0.9}], lr=0.2
    )
    their_opt = torch.optim.SGD(
        [{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.02, "momentum": 0.9}], lr=0.2
    )
    assert [g["lr"] for g in our_opt.param_groups] == [0.2, 0.02]
    step_chainrule(our_opt, ours, STEPS)
    step_torch(their_opt, theirs, STEPS)
    assert_params_close(ours, theirs)


def test_add_param_group_takes_defaults():
    weights = initial_weights()
    ours, theirs = chainrule_params(weights), torch_params(weights)
    our_opt = optim.Adam(ours[:2], lr=0.03)
    our_opt.add_param_group({"params": ours[2:], "betas": (0.5, 0.9)})
    their_opt = torch.optim.Adam(theirs[:2], lr=0.03)
    their_opt.add_param_group({"params": theirs[2:], "betas": (0.5, 0.9)})
    step_chainrule(our_opt, ours, STEPS)
    step_torch(their_opt, theirs, STEPS)
    assert_params_close(ours, theirs)


def test_parameters_without_gradient_are_skipped():
    weights = initial_weights()
    params = chainrule_params(weights)
    frozen = cr.tensor(np.ones(3), requires_grad=True)
    optimizer = optim.Adam(params + [frozen], lr=0.1)
    step_chainrule(optimizer, params, 3)
    np.testing.assert_array_equal(frozen.data, np.ones(3))
    assert frozen not in optimizer.state and len(optimizer.state) == 4


def test_zero_grad():
    params = chainrule_params(initial_weights())
    optimizer = optim.SGD(params)
    set_hand_gradients(params)
    grad = params[0].grad
    optimizer.zero_grad(set_to_none=False)
    assert params[0].grad is grad and not params[0].grad.data.any()
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_with_closure_returns_its_loss():
    params = chainrule_params(initial_weights())
    optimizer = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        set_hand_gradients(params)
        return 1.5

    assert optimizer.step(closure) == 1.5 and calls == [1]


def test_bad_arguments_are_refused():
    w = cr.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2])
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([w], lr=-1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])


@pytest.mark.parametrize(
    "name, switch",
    [
        ("SGD", "foreach"),
        ("SGD", "fused"),
        ("SGD", "differentiable"),
        ("Adam", "foreach"),
        ("Adam", "fused"),
        ("Adam", "capturable"),
        ("Adam", "differentiable"),
        ("AdamW", "fused"),
        ("AdamW", "capturable"),
    ],
)
def test_implementation_switches_are_refused_not_ignored(name, switch):
    w = cr.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"{name}: {switch}=True is not supported"):
        getattr(optim, name)([w], **{switch: True})


def test_adam_with_decoupled_weight_decay_is_adamw():
    weights = initial_weights()
    adam, adamw = chainrule_params(weights), chainrule_params(weights)
    step_chainrule(
        optim.Adam(adam, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), adam, STEPS
    )
    step_chainrule(optim.AdamW(adamw, lr=0.05, weight_decay=0.1), adamw, STEPS)
    for a, b in zip(adam, adamw):
        np.testing.assert_array_equal(a.data, b.data)
