"""Sequence-to-sequence encoder–decoder (deck D4, "Sequence to Sequence Model") with optional
attention, for translation.

The encoder reads the source sentence x_1 … x_S (word ids → embedding → LSTM or GRU, optionally
bidirectional) into outputs h̄_1 … h̄_S and a final state. The decoder is a conditional language
model of the target y_1 … y_T: p(y | x) = Π_t p(y_t | y_<t, x). Its recurrent state starts at
the encoder's final state (each layer's forward and backward final states concatenated, so the
decoder's hidden size is num_directions · hidden_size) and it reads the previous target word:

- ``attention=None``: the plain encoder–decoder (Sutskever et al. 2014, Cho et al. 2014): the
  final encoder state is all the decoder knows of the source; logits = W_out h_t + b.
- ``attention="dot"`` or ``"additive"`` (beyond the deck): Luong et al. 2015's global attention
  on top of the decoder RNN. At every step the decoder state h_t scores each source position s,
  the scores are softmax-normalised over the real (non-padding) source words into weights a_ts,
  the context is c_t = Σ_s a_ts h̄_s, and logits = W_out tanh(W_c [c_t; h_t] + b_c) + b. The
  score is Luong's dot product ``score = h_tᵀ h̄_s``, or Bahdanau et al. 2014's additive
  ``score = vᵀ tanh(W_q h_t + W_k h̄_s + b_k)``. Padding positions get the score −10⁹ (``where``)
  so their weight is exactly 0 — no new op is needed, and every gradient is the existing ops'.

Because attention sits after the recurrence (no input feeding), a teacher-forced decoder runs
its whole target in one call of the fused sequence kernel; only the encoder, whose padded
positions must leave the state untouched (as PyTorch's packed sequences do), steps through
time with the fused cells and a ``where`` per step. Training is teacher forcing: the decoder
reads the gold previous word, or with probability 1 − ``teacher_forcing_ratio`` (one draw per
step for the whole batch) its own previous argmax. The loss is the cross-entropy of every
target word after ``<bos>``, padding excluded (``ignore_index``).

Decoding: ``greedy`` picks the most probable word at every step; ``beam_search`` keeps the
``beam_width`` best partial translations of every sentence (all sentences and beams as one
batch), finished ones carried along unchanged, and returns the one with the best
length-normalised log-probability log p(y|x) / |y|^α (|y| counting ``<eos>``; α =
``length_penalty``, 0 for the raw probability).
Both are the methods of ``Decoding``, which the image captioner shares (a picture in place of
the source sentence).

``translate`` turns German text into English text with a trained model and its vocabularies;
``save_translator``/``load_translator`` keep all three in a folder (``model.safetensors`` and
``seq2seq.json``: the constructor arguments and both word lists), which is what
``chainrule translate RUN_DIR "ein Satz"`` reads.

Token arrays are time-major (S, N) / (T, N) int64, padded with ``pad_index``, sentences wrapped
in ``<bos>`` … ``<eos>`` (``data.vocab``). Parameter names and shapes match the equivalent
PyTorch model (``torch.nn.Embedding``/``GRU``/``LSTM``/``Linear``), so state dicts move across.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from .. import functional as F
from .. import nn, serialization
from ..autograd import Tensor, no_grad
from ..backend import get_array_module
from ..data.parallel import pad_sequences
from ..data.vocab import Vocab, detokenize, tokenize
from ..random import generator

__all__ = [
    "Seq2Seq",
    "Encoder",
    "Decoder",
    "Attention",
    "CELLS",
    "ATTENTIONS",
    "Decoding",
    "translate",
    "save_translator",
    "load_translator",
]

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}
ATTENTIONS = (None, "dot", "additive")
_STEP = {"gru": F.gru_cell, "lstm": F.lstm_cell}
MASKED_SCORE = -1e9


def _raw(ids):
    return ids.data if isinstance(ids, Tensor) else ids


class Encoder(nn.Module):
    """Embedding → multi-layer (bi)directional GRU/LSTM over a padded (S, N) source.

    Returns ``outputs`` (S, N, D·H), the last layer's states (both directions concatenated; at
    padding positions they are not meaningful and are masked by attention), and the final
    state as the decoder wants it: (L, N, D·H), each sentence's state after its last real word
    (for the backward direction, after its first), a pair (h, c) for the LSTM.
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        hidden_size,
        cell="gru",
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pad_index=0,
    ):
        super().__init__()
        self.cell, self.pad_index, self.dropout = cell, pad_index, dropout
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers, bidirectional=bidirectional)

    def forward(self, source):
        source = _raw(source)
        xp = get_array_module(source)
        mask = (source != self.pad_index)[:, :, None]
        layer_input = F.dropout(self.embedding(source), self.dropout, self.training)
        rnn, finals = self.rnn, []
        zeros = xp.zeros((source.shape[1], rnn.hidden_size), layer_input.dtype)
        for layer in range(rnn.num_layers):
            outputs, states = [], []
            for direction in range(rnn.num_directions):
                start = (zeros, zeros) if self.cell == "lstm" else (zeros,)
                output, state = self._run(
                    layer_input,
                    mask,
                    start,
                    _weights(rnn, layer, direction),
                    reverse=direction == 1,
                )
                outputs.append(output)
                states.append(state)
            layer_input = _join(outputs, dim=2)
            finals.append([_join(list(kind), dim=1) for kind in zip(*states)])  # h (and c)
        final = [F.stack(list(kind)) for kind in zip(*finals)]
        return layer_input, (tuple(final) if self.cell == "lstm" else final[0])

    def _run(self, inputs, mask, state, weights, reverse):
        """One layer and direction, one fused cell per step; at padding positions the state
        is carried over unchanged, so a sentence's final state is that after its last word."""
        step = _STEP[self.cell]
        steps = range(inputs.shape[0] - 1, -1, -1) if reverse else range(inputs.shape[0])
        outputs = [None] * inputs.shape[0]
        for t in steps:
            new = step(inputs[t], *state, *weights)
            new = new if isinstance(new, tuple) else (new,)
            state = tuple(F.where(mask[t], n, s) for n, s in zip(new, state))
            outputs[t] = state[0]
        return F.stack(outputs), state


def _join(directions, dim):
    """One direction's tensor, or both concatenated (forward first) along ``dim``."""
    return directions[0] if len(directions) == 1 else F.cat(directions, dim=dim)


def _weights(rnn, layer, direction):
    suffix = f"l{layer}" + ("_reverse" if direction else "")
    return tuple(
        getattr(rnn, f"{kind}_{suffix}")
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )


class Attention(nn.Module):
    """Global attention of decoder states over encoder outputs, batch first.

    ``keys(values)`` precomputes what depends on the source only (W_k h̄_s + b_k for the
    additive score, h̄_s itself for the dot score); ``forward(queries (N, T, H), values
    (N, S, H), keys, mask (N, 1, S) bool)`` → contexts (N, T, H) and weights (N, T, S).
    """

    def __init__(self, score, hidden_size):
        super().__init__()
        if score not in ("dot", "additive"):
            raise ValueError(f"Attention: score must be 'dot' or 'additive', got {score!r}")
        self.score = score
        if score == "additive":
            self.query = nn.Linear(hidden_size, hidden_size, bias=False)
            self.key = nn.Linear(hidden_size, hidden_size)
            self.v = nn.Linear(hidden_size, 1, bias=False)

    def keys(self, values):
        return self.key(values) if self.score == "additive" else values

    def forward(self, queries, values, keys, mask):
        if self.score == "dot":
            scores = queries @ keys.transpose(1, 2)
        else:
            energy = F.tanh(self.query(queries).unsqueeze(2) + keys.unsqueeze(1))
            scores = self.v(energy).squeeze(3)
        weights = F.softmax(F.where(mask, scores, MASKED_SCORE), dim=2)
        return weights @ values, weights

    def extra_repr(self):
        return f"score={self.score}"


@dataclass
class EncodedSource:
    """What the decoder attends to, batch first: encoder outputs (N, S, H), their attention
    keys, and the mask (N, 1, S) of real source words."""

    values: Tensor
    keys: Tensor
    mask: object

    def select(self, rows):
        """The same for the sentences ``rows`` (an index array; repeats allowed)."""
        return EncodedSource(self.values[rows], self.keys[rows], self.mask[rows])


class Decoder(nn.Module):
    """Embedding → GRU/LSTM → (attention →) Linear to the target vocabulary.

    ``forward(inputs (T, N), state, source)`` → logits (T, N, V) and the new state; T = 1 is
    one decoding step.
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        hidden_size,
        cell="gru",
        num_layers=1,
        attention=None,
        dropout=0.0,
        pad_index=0,
    ):
        super().__init__()
        self.dropout = dropout
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers)
        if attention is not None:
            self.attention = Attention(attention, hidden_size)
            self.combine = nn.Linear(2 * hidden_size, hidden_size)
        else:
            self.attention = None
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, inputs, state, source):
        embedded = F.dropout(self.embedding(_raw(inputs)), self.dropout, self.training)
        output, state = self.rnn(embedded, state)
        if self.attention is not None:
            queries = output.transpose(0, 1)
            context, _ = self.attention(queries, source.values, source.keys, source.mask)
            output = F.tanh(self.combine(F.cat([context, queries], dim=2))).transpose(0, 1)
        return self.out(F.dropout(output, self.dropout, self.training)), state


class Decoding:
    """Greedy decoding and beam search for an encoder–decoder: a model whose ``encode(source)``
    gives (EncodedSource, the decoder's initial state), with a ``decoder`` (``Decoder``) and
    ``bos_index``/``eos_index``. Seq2Seq decodes a sentence with it, the image captioner a
    picture. ``max_len``: the most words an output has unless a call says otherwise."""

    max_len = 50

    @no_grad()
    def greedy(self, source, max_len=None):
        """The most probable next word at every step, up to ``<eos>`` or ``max_len`` words:
        one id list per source, without ``<bos>``/``<eos>``. Call ``eval()`` first."""
        encoded, state = self.encode(source)
        xp = get_array_module(encoded.values.data)
        token = xp.full((1, len(encoded.values.data)), self.bos_index, dtype="int64")
        words = []
        for _ in range(self.max_len if max_len is None else max_len):
            logits, state = self.decoder(token, state, encoded)
            token = logits.data.argmax(axis=2)
            words.append(token[0])
            if (xp.stack(words) == self.eos_index).any(axis=0).all():
                break
        return [_until(column, self.eos_index) for column in xp.stack(words).T]

    @no_grad()
    def beam_search(self, source, beam_width=5, max_len=None, length_penalty=1.0):
        """The best of ``beam_width`` hypotheses per source by log p(y|x) / |y|^α (|y|
        counting ``<eos>``; α = ``length_penalty``): the partial outputs of every source are
        decoded together as one batch, finished ones carried along unchanged. One id list per
        source, without ``<bos>``/``<eos>``. Call ``eval()`` first."""
        eos = self.eos_index
        encoded, state = self.encode(source)
        xp = get_array_module(encoded.values.data)
        batch, k = len(encoded.values.data), beam_width
        rows = xp.repeat(xp.arange(batch), k)
        encoded, state = encoded.select(rows), _select_state(state, rows)
        scores = xp.full((batch, k), -xp.inf)
        scores[:, 0] = 0
        words = xp.zeros((batch, k, 0), dtype="int64")
        finished = xp.zeros((batch, k), dtype=bool)
        token = xp.full((1, batch * k), self.bos_index, dtype="int64")
        for _ in range(self.max_len if max_len is None else max_len):
            logits, state = self.decoder(token, state, encoded)
            log_p = F.log_softmax(logits[0], dim=1).data.astype(scores.dtype)
            log_p = log_p.reshape(batch, k, -1)
            log_p[finished] = -xp.inf
            log_p[finished, eos] = 0
            vocab = log_p.shape[2]
            candidates = (scores[:, :, None] + log_p).reshape(batch, k * vocab)
            best = xp.argsort(-candidates, axis=1, kind="stable")[:, :k]
            origin, word = best // vocab, best % vocab
            scores = xp.take_along_axis(candidates, best, axis=1)
            words = xp.concatenate(
                [xp.take_along_axis(words, origin[:, :, None], axis=1), word[:, :, None]], axis=2
            )
            finished = xp.take_along_axis(finished, origin, axis=1) | (word == eos)
            state = _select_state(state, (xp.arange(batch)[:, None] * k + origin).reshape(-1))
            token = word.reshape(1, -1)
            if finished.all():
                break
        is_eos = words == eos
        lengths = xp.where(is_eos.any(axis=2), is_eos.argmax(axis=2) + 1, words.shape[2])
        chosen = (scores / lengths**length_penalty).argmax(axis=1)
        return [_until(words[n, chosen[n]], eos) for n in range(batch)]


class Seq2Seq(Decoding, nn.Module):
    """Encoder–decoder for translation; see the module docstring.

    ``cell`` ``"gru"`` or ``"lstm"``; ``attention`` None, ``"dot"`` or ``"additive"``; dropout
    (training mode only) on the embeddings and before the output layer. The decoder's hidden
    size is num_directions · ``hidden_size``.
    """

    def __init__(
        self,
        source_vocab_size,
        target_vocab_size,
        embedding_dim=256,
        hidden_size=256,
        cell="gru",
        num_layers=1,
        bidirectional=False,
        attention=None,
        dropout=0.0,
        pad_index=0,
        bos_index=2,
        eos_index=3,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"Seq2Seq: cell must be one of {', '.join(CELLS)}, got {cell!r}")
        if attention not in ATTENTIONS:
            raise ValueError(f"Seq2Seq: attention must be one of {ATTENTIONS}, got {attention!r}")
        self.config = dict(
            source_vocab_size=source_vocab_size,
            target_vocab_size=target_vocab_size,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            cell=cell,
            num_layers=num_layers,
            bidirectional=bidirectional,
            attention=attention,
            dropout=dropout,
            pad_index=pad_index,
            bos_index=bos_index,
            eos_index=eos_index,
        )
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos_index, eos_index
        self.encoder = Encoder(
            source_vocab_size,
            embedding_dim,
            hidden_size,
            cell,
            num_layers,
            bidirectional,
            dropout,
            pad_index,
        )
        decoder_size = hidden_size * (2 if bidirectional else 1)
        self.decoder = Decoder(
            target_vocab_size,
            embedding_dim,
            decoder_size,
            cell,
            num_layers,
            attention,
            dropout,
            pad_index,
        )

    def encode(self, source):
        """(EncodedSource, the decoder's initial state) of a padded (S, N) source."""
        source = _raw(source)
        outputs, state = self.encoder(source)
        values = outputs.transpose(0, 1)
        keys = self.decoder.attention.keys(values) if self.decoder.attention is not None else values
        mask = (source != self.pad_index).T[:, None, :]
        return EncodedSource(values, keys, mask), state

    def forward(self, source, target, teacher_forcing_ratio=1.0):
        """Logits (T − 1, N, V) of target[1:] given the source and target[:-1]."""
        target = _raw(target)
        encoded, state = self.encode(source)
        inputs = target[:-1]
        if teacher_forcing_ratio >= 1:
            logits, _ = self.decoder(inputs, state, encoded)
            return logits
        steps, token = [], inputs[:1]
        for t in range(inputs.shape[0]):
            if t > 0 and generator().random() < teacher_forcing_ratio:
                token = inputs[t : t + 1]
            logits, state = self.decoder(token, state, encoded)
            steps.append(logits)
            token = logits.data.argmax(axis=2)
        return F.cat(steps, dim=0)

    def loss(self, source, target, teacher_forcing_ratio=1.0):
        """Mean cross-entropy (nats per target word) of target[1:], padding excluded."""
        target = _raw(target)
        logits = self(source, target, teacher_forcing_ratio)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            target[1:].reshape(-1),
            ignore_index=self.pad_index,
        )


def _until(ids, eos):
    """The ids before the first ``eos`` (all of them if there is none), as ints."""
    ids = [int(i) for i in ids]
    return ids[: ids.index(eos)] if eos in ids else ids


def _select_state(state, rows):
    """The decoder state (L, N, H) (a pair for the LSTM) of the batch entries ``rows``."""
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]


def translate(model, sentences, source_vocab, target_vocab, beam_width=5, max_len=50):
    """The translations (``str``, tokenized and lowercased) of the texts ``sentences``: beam
    search of ``beam_width`` (greedy decoding for 0), in evaluation mode."""
    model.eval()
    ids = [source_vocab.encode(tokenize(text)) for text in sentences]
    source = pad_sequences(ids, source_vocab.pad_index)
    found = (
        model.greedy(source, max_len)
        if beam_width == 0
        else model.beam_search(source, beam_width, max_len)
    )
    return [detokenize(target_vocab.decode(words)) for words in found]


CONFIG_FILE, WEIGHTS_FILE = "seq2seq.json", "model.safetensors"


def save_translator(folder, model, source_vocab, target_vocab):
    """Write ``model``'s weights, constructor arguments and both vocabularies into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    serialization.save_file(model.state_dict(), folder / WEIGHTS_FILE)
    document = dict(
        model=model.config, source_vocab=source_vocab.itos, target_vocab=target_vocab.itos
    )
    (folder / CONFIG_FILE).write_text(
        json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def load_translator(folder):
    """``(model, source_vocab, target_vocab)`` as ``save_translator`` wrote them."""
    folder = Path(folder)
    if not (folder / CONFIG_FILE).is_file():
        raise FileNotFoundError(
            f"{folder}: no {CONFIG_FILE} here; is it a folder written by "
            "chainrule train seq2seq or save_translator?"
        )
    document = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    model = Seq2Seq(**document["model"])
    model.load_state_dict(serialization.load_file(folder / WEIGHTS_FILE))
    return model, Vocab(document["source_vocab"]), Vocab(document["target_vocab"])
