"""Truncated BPTT helpers: BPTTBatches against PyTorch's word_language_model batching
(batchify + get_batch), detach_hidden, and a chunked LSTM run against torch.nn.LSTM over the
whole stream."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils import BPTTBatches, detach_hidden


def _torch_example_batches(tokens, batch_size, bptt):
    """pytorch/examples word_language_model: batchify, then get_batch(i) for i in steps of bptt."""
    data = torch.tensor(tokens)
    nbatch = data.size(0) // batch_size
    data = data.narrow(0, 0, nbatch * batch_size).view(batch_size, -1).t().contiguous()
    for i in range(0, data.size(0) - 1, bptt):
        seq_len = min(bptt, len(data) - 1 - i)
        yield data[i : i + seq_len], data[i + 1 : i + 1 + seq_len]


@pytest.mark.parametrize(
    "count, batch_size, seq_len",
    [(100, 4, 7), (101, 4, 8), (37, 1, 5), (64 * 32 + 1, 32, 64), (10, 5, 3)],
)
def test_batches_match_pytorchs_word_language_model_batching(count, batch_size, seq_len):
    tokens = np.random.default_rng(0).integers(0, 65, count)
    ours = list(BPTTBatches(tokens, batch_size, seq_len))
    theirs = list(_torch_example_batches(tokens, batch_size, seq_len))
    assert len(ours) == len(theirs) == len(BPTTBatches(tokens, batch_size, seq_len))
    for (inputs, targets), (t_inputs, t_targets) in zip(ours, theirs):
        assert inputs.dtype == targets.dtype == np.int64
        np.testing.assert_array_equal(inputs.numpy(), t_inputs.numpy())
        np.testing.assert_array_equal(targets.numpy(), t_targets.numpy())


def test_each_column_is_a_contiguous_stream_and_targets_are_the_next_tokens():
    tokens = np.arange(1000)
    length = 1000 // 6
    seen = []
    for inputs, targets in BPTTBatches(tokens, batch_size=6, seq_len=9, batch_first=True):
        assert inputs.shape[0] == 6
        np.testing.assert_array_equal(targets.numpy(), inputs.numpy() + 1)
        seen.append(inputs.numpy())
    streams = np.concatenate(seen, axis=1)
    np.testing.assert_array_equal(streams, np.arange(6 * length).reshape(6, length)[:, :-1])


def test_batches_accept_tensors_and_lists_and_reject_bad_streams():
    first = next(iter(BPTTBatches(cr.tensor(np.arange(20)), 2, 4)))[0]
    np.testing.assert_array_equal(first.numpy(), [[0, 10], [1, 11], [2, 12], [3, 13]])
    assert len(BPTTBatches(list(range(20)), 2, 4)) == 3
    with pytest.raises(ValueError, match="BPTTBatches: tokens must be a 1-D integer"):
        BPTTBatches(np.zeros(10), 2, 4)
    with pytest.raises(ValueError, match="cannot make 8 streams"):
        BPTTBatches(np.arange(10), 8, 4)


def test_detach_hidden_keeps_values_and_structure_and_cuts_the_graph():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    h, c = x * 2, x * 3
    assert detach_hidden(None) is None
    detached = detach_hidden((h, [c]))
    assert isinstance(detached, tuple) and isinstance(detached[1], list)
    for before, after in ((h, detached[0]), (c, detached[1][0])):
        assert after.grad_fn is None and not after.requires_grad
        np.testing.assert_array_equal(after.numpy(), before.numpy())
    with pytest.raises(TypeError, match="detach_hidden"):
        detach_hidden(np.ones(3))


def test_chunked_lstm_with_carried_state_matches_torch():
    """Forward: chunks with a carried, detached state give the outputs of one pass over the
    whole stream. Backward: each chunk's gradients are those of torch with the state detached
    at the same boundary (and nothing flows into the previous chunk)."""
    vocab, hidden, batch, seq_len = 11, 8, 3, 4
    tokens = np.random.default_rng(0).integers(0, vocab, 3 * 13)
    torch.manual_seed(0)
    t_embed = torch.nn.Embedding(vocab, 5).double()
    t_lstm = torch.nn.LSTM(5, hidden).double()
    embed = nn.Embedding(vocab, 5).to(cr.float64)
    lstm = nn.LSTM(5, hidden).to(cr.float64)
    embed.load_state_dict({k: v.numpy() for k, v in t_embed.state_dict().items()})
    lstm.load_state_dict({k: v.detach().numpy() for k, v in t_lstm.state_dict().items()})

    batches = BPTTBatches(tokens, batch, seq_len)
    with torch.no_grad():
        whole, _ = t_lstm(t_embed(torch.tensor(batches.streams[:-1])))
    ours_outputs, state, t_state = [], None, None
    for inputs, _ in batches:
        state = detach_hidden(state)
        output, state = lstm(embed(inputs), state)
        ours_outputs.append(output.numpy())
        t_state = None if t_state is None else tuple(s.detach() for s in t_state)
        t_output, t_state = t_lstm(t_embed(torch.tensor(inputs.numpy())), t_state)
        lstm.zero_grad()
        t_lstm.zero_grad()
        (output * output).sum().backward()
        (t_output * t_output).sum().backward()
        for name, param in t_lstm.named_parameters():
            np.testing.assert_allclose(
                getattr(lstm, name).grad.numpy(), param.grad.numpy(), rtol=1e-9, err_msg=name
            )
    np.testing.assert_allclose(np.concatenate(ours_outputs), whole.numpy(), rtol=1e-9)
