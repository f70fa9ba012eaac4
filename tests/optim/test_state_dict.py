"""Optimizer checkpoints: save after 10 steps, restore, go on 15 steps == 25 steps in one go."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim

from .problem import (
    assert_params_close,
    chainrule_params,
    initial_weights,
    step_chainrule,
    step_torch,
    torch_params,
)
from .test_optimizers import CONFIGS, IDS


def as_checkpoint(state_dict):
    """What a checkpoint file gives back: arrays as Tensors, steps as 0-d arrays, lists for
    tuples, string keys — nothing shared with the live optimizer."""
    state = {
        str(i): {
            name: np.array(value) if name == "step" else cr.tensor(value)
            for name, value in entries.items()
        }
        for i, entries in state_dict["state"].items()
    }
    groups = [
        {name: list(value) if isinstance(value, tuple) else value for name, value in group.items()}
        for group in state_dict["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_round_trip_continues_exactly(name, kwargs):
    optimizer_class = getattr(optim, name)
    straight = chainrule_params(initial_weights())
    step_chainrule(optimizer_class(straight, **kwargs), straight, 25)

    first = chainrule_params(initial_weights())
    first_opt = optimizer_class(first, **kwargs)
    step_chainrule(first_opt, first, 10)
    checkpoint = as_checkpoint(first_opt.state_dict())
    resumed = chainrule_params([p.data for p in first])
    resumed_opt = optimizer_class(resumed, lr=123.0)  # the checkpoint's options must win
    resumed_opt.load_state_dict(checkpoint)
    step_chainrule(resumed_opt, resumed, 15)
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_loads_torchs_state_dict(name, kwargs):
    """The layout is torch's: a torch.optim state_dict (tensors as arrays) resumes here."""
    theirs = torch_params(initial_weights())
    their_opt = getattr(torch.optim, name)(theirs, **kwargs)
    step_torch(their_opt, theirs, 10)
    saved = their_opt.state_dict()
    state = {
        i: {k: v.numpy() if torch.is_tensor(v) else v for k, v in entries.items()}
        for i, entries in saved["state"].items()
    }
    ours = chainrule_params([p.detach().numpy() for p in theirs])
    our_opt = getattr(optim, name)(ours, **kwargs)
    our_opt.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    step_chainrule(our_opt, ours, 15)
    step_torch(their_opt, theirs, 15)
    assert_params_close(ours, theirs)


def test_layout_is_torchs():
    ours = chainrule_params(initial_weights())
    our_opt = optim.Adam([{"params": ours[:3]}, {"params": ours[3:], "lr": 0.1}], amsgrad=True)
    step_chainrule(our_opt, ours, 2)
    theirs = torch_params(initial_weights())
    their_opt = torch.optim.Adam(
        [{"params": theirs[:3]}, {"params": theirs[3:], "lr": 0.1}], amsgrad=True
    )
    step_torch(their_opt, theirs, 2)
    mine, reference = our_opt.state_dict(), their_opt.state_dict()
    assert list(mine["state"]) == list(reference["state"]) == [0, 1, 2, 3]
    for i, entries in mine["state"].items():
        assert set(entries) == set(reference["state"][i])
        assert entries["step"] == reference["state"][i]["step"].item() == 2
        np.testing.assert_allclose(
            entries["exp_avg_sq"], reference["state"][i]["exp_avg_sq"], rtol=1e-6
        )
    for group, their_group in zip(mine["param_groups"], reference["param_groups"]):
        assert group["params"] == their_group["params"]
        assert all(group[k] == their_group[k] for k in group)


def test_loaded_state_is_a_copy():
    params = chainrule_params(initial_weights())
    optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    step_chainrule(optimizer, params, 2)
    saved = optimizer.state_dict()
    before = saved["state"][0]["momentum_buffer"].copy()
    fresh = optim.SGD(chainrule_params(initial_weights()), lr=0.1, momentum=0.9)
    fresh.load_state_dict(saved)
    step_chainrule(fresh, fresh.param_groups[0]["params"], 3)
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], before)


def test_load_refuses_a_different_layout():
    params = chainrule_params(initial_weights())
    saved = optim.SGD(params).state_dict()
    with pytest.raises(ValueError, match="groups"):
        optim.SGD([{"params": params[:2]}, {"params": params[2:]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="3 in this optimizer"):
        optim.SGD(params[:3]).load_state_dict(saved)
