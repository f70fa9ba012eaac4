"""nn.Flatten against torch.nn.Flatten."""

import numpy as np
import pytest
import torch

from chainrule import nn

from .torch_oracle import run_both


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (2, -1), (-3, -2)])
def test_flatten_matches_torch(args):
    ours, theirs = nn.Flatten(*args), torch.nn.Flatten(*args)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, np.random.default_rng(0).standard_normal((2, 3, 4, 5)))
