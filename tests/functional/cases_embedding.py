"""Differential table for chainrule.functional.embedding: repeated indices (the scatter-add must
sum their gradients), padding_idx (its row gets none), index tensors of several shapes.

padding_idx rows skip finite differences on purpose: like PyTorch, the forward reads the padding
row but its gradient is defined to be zero, so the derivative of the forward is not the answer.
"""

import numpy as np
import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, fixed, integers, randn


def _lookup(f, **options):
    return lambda indices, weight: f.embedding(indices, weight, **options)


CASES = [
    Case("embedding/vector", _lookup(F), _lookup(TF), [integers(7, 5), randn(7, 3)]),
    Case(
        "embedding/repeated-2d",
        _lookup(F),
        _lookup(TF),
        [fixed(np.array([[1, 4, 1], [4, 4, 0]])), randn(5, 4)],
    ),
    Case("embedding/batch1-3d", _lookup(F), _lookup(TF), [integers(6, 1, 3, 2), randn(6, 5)]),
    Case(
        "embedding/padding-idx",
        _lookup(F, padding_idx=2),
        _lookup(TF, padding_idx=2),
        [fixed(np.array([[2, 0, 2], [1, 2, 3]])), randn(4, 3)],
        fd=False,
    ),
    Case(
        "embedding/negative-padding-idx",
        _lookup(F, padding_idx=-1),
        _lookup(TF, padding_idx=-1),
        [fixed(np.array([3, 3, 1, 0, 3])), randn(4, 2)],
        fd=False,
    ),
]
