"""Differential table for chainrule.functional.dropout.

Evaluation mode and p = 0 are the identity and compare directly with PyTorch. Training mode
draws a random mask, so the chainrule side reseeds (``chainrule.manual_seed(0)``) before every
call — the same mask for the gradient pass and every finite-difference evaluation — and the
PyTorch side applies that same mask, recovered from chainrule's output on an all-ones input
(ones·m/(1 − p) is exactly the scaled mask). The statistics of the mask itself are tested in
test_dropout.py.
"""

import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F

from .differential import Case, randn


def _seeded(p):
    def run(x):
        cr.manual_seed(0)
        return F.dropout(x, p, training=True)
    return run


def _torch_with_chainrule_mask(p):
    def run(x):
        cr.manual_seed(0)
        ones = cr.ones(*x.shape, dtype=cr.float64)
        scaled_mask = torch.tensor(F.dropout(ones, p, training=True).numpy())
        return x * scaled_mask
    return run


def _fixed(p, training):
    return lambda f: (lambda x: f.dropout(x, p, training=training))


CASES = [
    Case("dropout/eval", _fixed(0.5, False)(F), _fixed(0.5, False)(TF), [randn(4, 5)]),
    Case("dropout/p0-training", _fixed(0.0, True)(F), _fixed(0.0, True)(TF), [randn(3, 2, 5)]),
    Case("dropout/training-p0.5", _seeded(0.5), _torch_with_chainrule_mask(0.5), [randn(6, 7)]),
    Case("dropout/training-p0.2-batch1", _seeded(0.2), _torch_with_chainrule_mask(0.2),
         [randn(1, 3, 4, 5)]),
    Case("dropout/training-p1", _seeded(1.0), _torch_with_chainrule_mask(1.0), [randn(2, 3)]),
]
