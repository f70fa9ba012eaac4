"""Pooling modules against torch.nn (outputs, input gradients, repr); no parameters."""

import numpy as np
import pytest
import torch

from chainrule import nn

from .torch_oracle import run_both

CASES = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3,), {"stride": 2, "padding": 1}),
    ("MaxPool2d", ((2, 3),), {"stride": (1, 2)}),
    ("AvgPool2d", (2,), {}), ("AvgPool2d", (3,), {"stride": 2, "padding": 1}),
    ("AvgPool2d", (3,), {"stride": 1, "padding": 1, "count_include_pad": False}),
    ("LPPool2d", (2, 2), {}), ("LPPool2d", (3, (2, 3)), {"stride": 1}),
    ("AdaptiveAvgPool2d", (1,), {}), ("AdaptiveAvgPool2d", ((3, 2),), {}),
    ("AdaptiveAvgPool2d", ((None, 4),), {}),
]


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_pool_matches_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    if name == "LPPool2d":
        x = np.abs(x) + 0.1  # torch's lp_pool2d takes the root of a signed sum
    run_both(ours, theirs, x)
    assert list(ours.parameters()) == [] and ours.state_dict() == {}
