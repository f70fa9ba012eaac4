"""Differential table for chainrule.functional.dropout.

Evaluation mode and p = 0 are the identity and compare directly with PyTorch. Training mode
draws a random mask, so the chainrule side reseeds (``chainrule.manual_seed(0)``) before every
call — the same mask for the gradient pass and every finite-difference evaluation — and the
PyTorch side applies that same mask: the chainrule side also runs dropout on ones of the same
shape, dtype and device right after the same reseeding (ones·m/(1 − p) is exactly the scaled
mask) and leaves it for the PyTorch side, which the harness always calls after it. The
statistics of the mask itself are tested in test_dropout.py.
"""

import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F

from .differential import Case, randn


def _paired(p):
    """The chainrule and PyTorch sides of a training-mode case, sharing chainrule's mask."""
    shared = {}

    def ours(x):
        cr.manual_seed(0)
        ones = cr.ones(*x.shape, dtype=x.dtype, device=x.device)
        shared["scaled_mask"] = F.dropout(ones, p, training=True).numpy()
        cr.manual_seed(0)
        return F.dropout(x, p, training=True)

    def theirs(x):
        return x * torch.tensor(shared["scaled_mask"])

    return ours, theirs


def _dropout(f, p, training):
    return lambda x: f.dropout(x, p, training=training)


CASES = [
    Case("dropout/eval", _dropout(F, 0.5, False), _dropout(TF, 0.5, False), [randn(4, 5)]),
    Case("dropout/p0-training", _dropout(F, 0.0, True), _dropout(TF, 0.0, True), [randn(3, 2, 5)]),
    Case("dropout/training-p0.5", *_paired(0.5), [randn(6, 7)]),
    Case("dropout/training-p0.2-batch1", *_paired(0.2), [randn(1, 3, 4, 5)]),
    Case("dropout/training-p1", *_paired(1.0), [randn(2, 3)]),
]
