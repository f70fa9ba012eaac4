"""TextCNN (Kim 2014) against a PyTorch twin holding the same weights, and max-norm by hand."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.models.textcnn import EMBEDDING_RANGE, TextCNN, max_norm_


class TorchTextCNN(torch.nn.Module):
    def __init__(self, vocab_size, num_classes, embedding_dim, windows, maps):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.convs = torch.nn.ModuleList(torch.nn.Conv1d(embedding_dim, maps, h) for h in windows)
        self.fc = torch.nn.Linear(maps * len(windows), num_classes)

    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        pooled = [torch.relu(conv(x)).max(dim=2).values for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def _pair(windows=(2, 3, 5)):
    cr.manual_seed(0)
    ours = TextCNN(20, 3, embedding_dim=6, windows=windows, maps=4, dropout=0.0).to(cr.float64)
    theirs = TorchTextCNN(20, 3, 6, windows, 4).double()
    theirs.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


def test_logits_and_every_gradient_equal_torch_with_the_same_weights():
    ours, theirs = _pair()
    ids = np.random.default_rng(1).integers(0, 20, size=(5, 9))
    ids[:, :4] = 0  # Kim's left padding: the padding word's vector must stay out of the gradient
    targets = np.array([0, 2, 1, 1, 0])
    logits = ours(cr.tensor(ids))
    t_logits = theirs(torch.from_numpy(ids))
    np.testing.assert_allclose(logits.numpy(), t_logits.detach().numpy(), rtol=1e-12)
    cr.nn.functional.cross_entropy(logits, cr.tensor(targets)).backward()
    torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(targets)).backward()
    for name, p in ours.named_parameters():
        expected = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-9, atol=1e-14, err_msg=name)
    assert not ours.embedding.weight.grad.numpy()[0].any()


def test_max_over_time_makes_one_feature_per_filter_whatever_the_length():
    ours, _ = _pair()
    for length in (5, 9, 30):
        assert ours.features(cr.tensor(np.ones((2, length), np.int64))).shape == (2, 12)


def test_embeddings_start_uniform_in_kims_range_with_a_zero_padding_vector():
    cr.manual_seed(0)
    weight = TextCNN(500, 2).embedding.weight.numpy()
    assert not weight[0].any()
    assert np.abs(weight).max() <= EMBEDDING_RANGE
    # U[-a, a] has variance a²/3
    assert weight[1:].var() == pytest.approx(EMBEDDING_RANGE**2 / 3, rel=0.01)


def test_max_norm_rescales_only_the_rows_longer_than_s():
    weight = cr.tensor([[3.0, 4.0], [0.6, 0.8], [0.0, 0.0], [0.0, -6.0]])
    max_norm_(weight, 3.0)
    # |(3, 4)| = 5 → × 3/5; |(0, -6)| = 6 → × 1/2; the others are within the bound
    np.testing.assert_allclose(
        weight.numpy(), [[1.8, 2.4], [0.6, 0.8], [0.0, 0.0], [0.0, -3.0]], rtol=1e-6
    )


def test_the_model_constrains_its_output_layer_only():
    ours, _ = _pair()
    ours.fc.weight.data[...] = 10.0
    conv_before = ours.convs[0].weight.numpy().copy()
    ours.max_norm_(1.5)
    np.testing.assert_allclose(np.linalg.norm(ours.fc.weight.numpy(), axis=1), 1.5)
    np.testing.assert_array_equal(ours.convs[0].weight.numpy(), conv_before)
