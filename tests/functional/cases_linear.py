"""Differential table for chainrule.functional.linear: with and without bias, batch 1, odd sizes,
a 1-D input, and leading shapes (N, *, in) of three and four dimensions."""

import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, randn

CASES = [
    Case("linear/bias", F.linear, TF.linear, [randn(6, 5), randn(3, 5), randn(3)]),
    Case("linear/no-bias", F.linear, TF.linear, [randn(6, 5), randn(3, 5)]),
    Case("linear/batch1-odd", F.linear, TF.linear, [randn(1, 7), randn(9, 7), randn(9)]),
    Case("linear/1d-input", F.linear, TF.linear, [randn(5), randn(4, 5), randn(4)]),
    Case("linear/3d-input", F.linear, TF.linear, [randn(2, 3, 5), randn(4, 5), randn(4)]),
    Case("linear/4d-input-no-bias", F.linear, TF.linear, [randn(2, 3, 1, 5), randn(7, 5)]),
    Case("linear/one-output", F.linear, TF.linear, [randn(5, 3), randn(1, 3), randn(1)]),
]
