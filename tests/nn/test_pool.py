"""Pooling modules against torch.nn (outputs, input gradients, repr); no parameters. The 1-D
modules pool (N, C, L) signals; return_indices and MaxUnpool are checked as a pair."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_close, run_both

CASES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}),
    ("MaxPool2d", ((2, 3),), {"stride": (1, 2)}),
    ("MaxPool2d", (3, 2, 1, 2), {"ceil_mode": True}),
    ("MaxPool1d", (3,), {}),
    ("MaxPool1d", (3, 2, 1), {"dilation": 2, "ceil_mode": True}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1}),
    ("AvgPool2d", (3,), {"stride": 1, "padding": 1, "count_include_pad": False}),
    ("AvgPool2d", (3, 2, 1, True), {"divisor_override": 4}),
    ("AvgPool1d", (2,), {}),
    ("AvgPool1d", (3, 2, 1, True, False), {}),
    ("LPPool2d", (2, 2), {}),
    ("LPPool2d", (3, (2, 3)), {"stride": 1}),
    ("LPPool2d", (2, 3, 2, True), {}),
    ("LPPool1d", (2, 3), {}),
    ("LPPool1d", (3, 2, 3), {"ceil_mode": True}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool2d", ((3, 2),), {}),
    ("AdaptiveAvgPool2d", ((None, 4),), {}),
    ("AdaptiveMaxPool2d", (1,), {}),
    ("AdaptiveMaxPool2d", ((3, None),), {}),
    ("AdaptiveMaxPool1d", (4,), {}),
    ("AdaptiveMaxPool1d", (1,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_pool_matches_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    shape = (2, 3, 9) if name.endswith("1d") else (2, 3, 7, 8)
    x = np.random.default_rng(0).standard_normal(shape)
    if name.startswith("LPPool"):
        x = np.abs(x) + 0.1  # torch's lp_pool takes the root of a signed sum
    run_both(ours, theirs, x)
    assert list(ours.parameters()) == [] and ours.state_dict() == {}


@pytest.mark.parametrize("dims, args", [(2, (2,)), (2, (3, 2, 1)), (1, (2,)), (1, (3, 3, 1))])
def test_max_pool_indices_and_max_unpool_match_torch(dims, args):
    """MaxPoolNd(return_indices=True) then MaxUnpoolNd, as in a deconvnet (Zeiler & Fergus
    2014): the pooled values, the indices, the unpooled map and the input's gradient."""
    pool, unpool = f"MaxPool{dims}d", f"MaxUnpool{dims}d"
    shape = (2, 3, 9) if dims == 1 else (2, 3, 7, 8)
    x = np.random.default_rng(1).standard_normal(shape)
    size = shape[2:]
    results = []
    for lib, tensor in (
        (nn, lambda a: cr.tensor(a, requires_grad=True)),
        (torch.nn, lambda a: torch.tensor(a, requires_grad=True)),
    ):
        pooling, unpooling = (
            getattr(lib, pool)(*args, return_indices=True),
            getattr(lib, unpool)(*args),
        )
        inputs = tensor(x)
        values, indices = pooling(inputs)
        out = unpooling(values, indices, output_size=size)
        out.sum().backward()
        results.append((repr(unpooling), values, indices, out, inputs.grad))
    (ours_repr, *ours), (theirs_repr, *theirs) = results
    assert ours_repr == theirs_repr
    for what, a, b in zip(["values", "indices", "unpooled", "grad"], ours, theirs):
        assert_close(a, b, what)
