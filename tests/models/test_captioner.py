"""The image captioner against an independent oracle: the same network written in ``torch.nn``
(conv encoder, position embedding, LayerNorm'd initial state, LSTM decoder with attention over
the grid) with copied weights gives the same loss and every parameter's gradient (float64), and
the same greedy captions; beam search of width 1 is greedy decoding."""

import numpy as np
import pytest
import torch
from torch import nn

import chainrule
from chainrule.models.captioner import GRID_CELLS, Captioner
from tests.conftest import assert_gradients_equal_torch

PAD, BOS, EOS, VOCAB = 0, 1, 2, 9


class TorchAttention(nn.Module):
    def __init__(self, score, hidden):
        super().__init__()
        self.score = score
        if score == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.key = nn.Linear(hidden, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, queries, values):
        if self.score == "dot":
            scores = queries @ values.transpose(1, 2)
        else:
            energy = torch.tanh(self.query(queries)[:, :, None] + self.key(values)[:, None])
            scores = self.v(energy)[..., 0]
        return torch.softmax(scores, dim=2) @ values


class TorchCaptioner(nn.Module):
    """Captioner as a PyTorch user writes it: parameter names match chainrule's."""

    def __init__(self, hidden, embedding, attention, width):
        super().__init__()
        widths = (1, width, 2 * width, 4 * width, hidden)
        layers = []
        for channels_in, channels_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(channels_in, channels_out, 3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*layers)
        self.position = nn.Embedding(GRID_CELLS, hidden)
        self.normalise = nn.LayerNorm(hidden * GRID_CELLS)
        self.initial = nn.Linear(hidden * GRID_CELLS, hidden)
        self.decoder = nn.Module()
        self.decoder.embedding = nn.Embedding(VOCAB, embedding, padding_idx=PAD)
        self.decoder.rnn = nn.LSTM(embedding, hidden)
        self.decoder.attention = TorchAttention(attention, hidden)
        self.decoder.combine = nn.Linear(2 * hidden, hidden)
        self.decoder.out = nn.Linear(hidden, VOCAB)

    def encode(self, images):
        grid = self.encoder(images)
        values = grid.flatten(2).transpose(1, 2) + self.position.weight
        h0 = torch.tanh(self.initial(self.normalise(grid.flatten(1))))[None]
        return values, (h0, torch.zeros_like(h0))

    def decode(self, inputs, state, values):
        output, state = self.decoder.rnn(self.decoder.embedding(inputs), state)
        queries = output.transpose(0, 1)
        context = self.decoder.attention(queries, values)
        output = torch.tanh(self.decoder.combine(torch.cat([context, queries], 2)))
        return self.decoder.out(output.transpose(0, 1)), state

    def loss(self, images, captions):
        values, state = self.encode(images)
        logits, _ = self.decode(captions[:-1], state, values)
        return nn.functional.cross_entropy(
            logits.reshape(-1, VOCAB), captions[1:].reshape(-1), ignore_index=PAD
        )

    @torch.no_grad()
    def greedy(self, images, max_len):
        values, state = self.encode(images)
        token = torch.full((1, len(images)), BOS, dtype=torch.long)
        words = []
        for _ in range(max_len):
            logits, state = self.decode(token, state, values)
            token = logits.argmax(2)
            words.append(token[0])
        columns = torch.stack(words).T.tolist()
        return [c[: c.index(EOS)] if EOS in c else c for c in columns]


def pair(attention, seed=0):
    """A small chainrule captioner and its PyTorch twin with the same weights."""
    chainrule.manual_seed(seed)
    model = Captioner(VOCAB, hidden=8, embedding=5, attention=attention, width=4)
    twin = TorchCaptioner(8, 5, attention, 4).double()
    twin.load_state_dict(
        {name: torch.from_numpy(np.array(t.data)) for name, t in model.state_dict().items()}
    )
    return model, twin


def captions(rng, lengths):
    """Time-major (T, N) caption ids: <bos> words <eos>, padded."""
    ids = np.full((max(lengths) + 2, len(lengths)), PAD, dtype=np.int64)
    for n, length in enumerate(lengths):
        ids[: length + 2, n] = [BOS, *rng.integers(3, VOCAB, length), EOS]
    return ids


@pytest.mark.parametrize("attention", ["additive", "dot"])
def test_loss_and_gradients_equal_torch(attention, float64):
    rng = np.random.default_rng(0)
    model, twin = pair(attention)
    images = rng.random((3, 1, 96, 96))
    ids = captions(rng, [3, 7, 1])
    loss = model.loss(chainrule.as_tensor(images), chainrule.as_tensor(ids))
    loss.backward()
    expected = twin.loss(torch.from_numpy(images), torch.from_numpy(ids))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-10)
    assert_gradients_equal_torch(model, twin, rtol=1e-8, atol=1e-12)


def test_greedy_captions_equal_torch_and_beam_of_width_one(float64):
    rng = np.random.default_rng(1)
    model, twin = pair("additive", seed=3)
    model.eval()
    images = rng.random((6, 1, 96, 96))
    greedy = model.greedy(chainrule.as_tensor(images), max_len=7)
    assert greedy == twin.greedy(torch.from_numpy(images), max_len=7)
    assert model.beam_search(chainrule.as_tensor(images), 1, 7, length_penalty=0.0) == greedy


def test_beam_search_scores_at_least_as_well_as_greedy(float64):
    """Beam search keeps the greedy caption among its hypotheses, so the caption it returns
    (length penalty 0: the raw log-probability) is at least as probable as greedy's."""
    rng = np.random.default_rng(2)
    model, twin = pair("additive", seed=5)
    model.eval()
    images = rng.random((8, 1, 96, 96))
    greedy = model.greedy(chainrule.as_tensor(images), max_len=6)
    beam = model.beam_search(chainrule.as_tensor(images), 4, 6, length_penalty=0.0)

    def log_p(words, row):
        ids = np.array([BOS, *words, EOS] if len(words) < 6 else [BOS, *words])[:, None]
        with torch.no_grad():
            values, state = twin.encode(torch.from_numpy(images[row : row + 1]))
            logits, _ = twin.decode(torch.from_numpy(ids[:-1]), state, values)
        chosen = torch.log_softmax(logits[:, 0], 1).gather(1, torch.from_numpy(ids[1:]))
        return chosen.sum().item()

    better = [log_p(b, n) >= log_p(g, n) - 1e-9 for n, (b, g) in enumerate(zip(beam, greedy))]
    assert all(better)
