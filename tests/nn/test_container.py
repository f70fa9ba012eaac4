"""nn.Sequential and nn.ModuleList against torch.nn: forward, names, indexing, repr."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import run_both


def mlp(lib, named=False):
    layers = [lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)]
    if named:
        return lib.nn.Sequential(OrderedDict(zip(["fc1", "act", "fc2"], layers)))
    return lib.nn.Sequential(*layers)


@pytest.mark.parametrize("named", [False, True])
def test_sequential_matches_torch(named):
    ours, theirs = mlp(cr, named), mlp(torch, named)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    run_both(ours, theirs, np.random.default_rng(0).standard_normal((3, 5)))


def test_sequential_indexing_len_append():
    model = mlp(cr, named=True)
    assert len(model) == 3
    assert model[0] is model.fc1 and model[-1] is model.fc2
    tail = model[1:]
    assert isinstance(tail, nn.Sequential)
    assert [n for n, _ in tail.named_children()] == ["act", "fc2"]
    assert tail(cr.zeros(1, 4)).shape == (1, 2)
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    model.append(nn.ReLU())
    assert len(model) == 4 and [type(m).__name__ for m in model][-1] == "ReLU"


def test_module_list_registers_items_and_indexes():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    twins = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert repr(layers) == repr(twins)  # "(0-2): 3 x Linear(...)"
    assert list(layers.state_dict()) == list(twins.state_dict())
    layers.append(nn.ReLU())
    twins.append(torch.nn.ReLU())
    layers.insert(0, nn.Tanh())
    twins.insert(0, torch.nn.Tanh())
    assert repr(layers) == repr(twins)
    layers[1] = nn.Linear(2, 3)
    assert layers[1].out_features == 3 and len(layers) == 5
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert len(list(layers.parameters())) == 6
    assert all(isinstance(m, nn.Module) for m in layers)
