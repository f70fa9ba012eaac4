"""nn.Embedding against torch.nn.Embedding: lookup, weight gradient (padding row gets none),
default init N(0, 1) with a zero padding row, from_pretrained, repr, state dict."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, run_both


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding_matches_torch(padding_idx):
    ours = nn.Embedding(7, 4, padding_idx=padding_idx)
    theirs = torch.nn.Embedding(7, 4, padding_idx=padding_idx)
    assert repr(ours) == repr(theirs)
    indices = np.array([[0, 3, 3, 6], [1, 0, 2, 6]])
    run_both(ours, theirs, indices)


def test_default_init_like_torch():
    cr.manual_seed(0)
    ours = nn.Embedding(1000, 64, padding_idx=2)
    values = ours.weight.numpy()
    np.testing.assert_array_equal(values[2], 0)
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01
    assert values.dtype == np.float32


def test_from_pretrained_freezes_by_default():
    vectors = np.arange(12.0).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(vectors)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(vectors))
    assert not ours.weight.requires_grad and not theirs.weight.requires_grad
    np.testing.assert_array_equal(
        ours(cr.tensor([3, 1])).numpy(), theirs(torch.tensor([3, 1])).numpy()
    )
    vectors[0, 0] = 100
    assert ours.weight.numpy()[0, 0] == 0  # a copy
    assert nn.Embedding.from_pretrained(cr.tensor(vectors), freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))


def test_state_dict_moves_to_torch():
    assert_moves_to_torch(nn.Embedding(5, 2), torch.nn.Embedding(5, 2))
