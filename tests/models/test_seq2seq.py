"""The encoder–decoder of ``models.seq2seq``.

Oracles: the equivalent PyTorch model (``torch_seq2seq`` of reproductions/seq2seq_multi30k.py,
written with ``torch.nn`` and packed sequences) with copied weights, for the loss and every
gradient; each sentence alone versus inside a padded batch; an exhaustive search over all
short translations of a hand-built bigram decoder, which beam search must find and greedy
decoding misses; greedy decoding as beam search of width 1; and memorising 20 sentence pairs.
"""

import itertools

import numpy as np
import pytest
import torch

import chainrule
from chainrule import cli, optim
from chainrule.data.vocab import Vocab, tokenize
from chainrule.models.seq2seq import Seq2Seq, load_translator, save_translator, translate
from tests.conftest import assert_gradients_equal_torch
from tests.reproductions.conftest import load_script

PAD, BOS, EOS = 0, 2, 3


@pytest.fixture(scope="module")
def twin():
    return load_script("seq2seq_multi30k")


def sentences(vocab_size, lengths, rng):
    """Time-major (S, N) batch of <bos> w… <eos> with the given word counts, padded."""
    batch = np.full((max(lengths) + 2, len(lengths)), PAD, dtype=np.int64)
    for n, length in enumerate(lengths):
        batch[0, n], batch[length + 1, n] = BOS, EOS
        batch[1 : length + 1, n] = rng.integers(4, vocab_size, length)
    return batch


CONFIGS = [
    dict(cell=cell, attention=attention, bidirectional=bidirectional, num_layers=layers)
    for cell in ("gru", "lstm")
    for attention in (None, "dot", "additive")
    for bidirectional, layers in ((False, 1), (True, 2))
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_loss_and_gradients_equal_torch(config, twin, float64):
    rng = np.random.default_rng(0)
    arguments = dict(
        source_vocab_size=11, target_vocab_size=9, embedding_dim=5, hidden_size=4, **config
    )
    chainrule.manual_seed(0)
    model = Seq2Seq(**arguments)
    reference = twin.torch_seq2seq(**arguments).double()
    twin.copy_into_torch(model, reference)
    source, target = sentences(11, [5, 1, 3, 6], rng), sentences(9, [2, 6, 1, 4], rng)
    loss = model.loss(source, target)
    loss.backward()
    expected = reference.loss(torch.from_numpy(source), torch.from_numpy(target))
    expected.backward()
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-10)
    assert_gradients_equal_torch(model, reference, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("attention", [None, "dot", "additive"])
def test_a_sentence_scores_the_same_alone_and_in_a_padded_batch(attention, float64):
    rng = np.random.default_rng(1)
    chainrule.manual_seed(1)
    model = Seq2Seq(12, 10, embedding_dim=6, hidden_size=5, bidirectional=True, attention=attention)
    source, target = sentences(12, [7, 2, 4], rng), sentences(10, [3, 6, 1], rng)
    logits = model(source, target).data
    for n, (s, t) in enumerate(zip((7, 2, 4), (3, 6, 1))):
        alone = model(source[: s + 2, n : n + 1], target[: t + 2, n : n + 1]).data
        np.testing.assert_allclose(logits[: t + 1, n], alone[:, 0], rtol=1e-10)


def test_float32_throughout():
    chainrule.manual_seed(2)
    model = Seq2Seq(10, 10, embedding_dim=4, hidden_size=3, attention="additive")
    rng = np.random.default_rng(2)
    loss = model.loss(sentences(10, [3, 2], rng), sentences(10, [2, 4], rng))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_decoding_its_own_guesses_equals_teacher_forcing_on_them(float64):
    """With teacher_forcing_ratio=0 the decoder reads its previous argmax, step by step; the
    same logits must come out of the one-call decoder fed those argmaxes as the target."""
    rng = np.random.default_rng(3)
    chainrule.manual_seed(3)
    model = Seq2Seq(10, 8, embedding_dim=4, hidden_size=5, cell="lstm", attention="dot")
    source, target = sentences(10, [4, 2, 5], rng), sentences(8, [3, 3, 1], rng)
    free = model(source, target, teacher_forcing_ratio=0.0).data
    guesses = np.concatenate([target[:1], free.argmax(axis=2)])
    forced = model(source, guesses, teacher_forcing_ratio=1.0).data
    np.testing.assert_allclose(free, forced, rtol=1e-10)


def test_beam_search_of_width_one_is_greedy():
    rng = np.random.default_rng(4)
    for attention in (None, "dot"):
        chainrule.manual_seed(4)
        model = Seq2Seq(15, 12, embedding_dim=8, hidden_size=8, attention=attention).eval()
        source = sentences(15, [5, 1, 7, 3, 4], rng)
        greedy = model.greedy(source, max_len=9)
        assert model.beam_search(source, beam_width=1, max_len=9, length_penalty=0.0) == greedy
        assert model.beam_search(source, beam_width=1, max_len=9, length_penalty=1.0) == greedy
        assert all(len(words) <= 9 and EOS not in words for words in greedy)


# A bigram decoder: P(next word | previous word), the previous word being all the GRU keeps.
WORDS = {"a": 4, "b": 5, "c": 6, "d": 7}
BIGRAM = {
    BOS: {"a": 0.5, "b": 0.4, "c": 0.1},
    WORDS["a"]: {"c": 0.4, "d": 0.3, EOS: 0.3},
    WORDS["b"]: {EOS: 0.9, "a": 0.1},
    WORDS["c"]: {EOS: 1.0},
    WORDS["d"]: {EOS: 1.0},
}


def bigram_log_probabilities(vocab_size):
    """log P(next | previous) as a (V, V) table, column = previous word; unlisted words 1e-6."""
    table = np.full((vocab_size, vocab_size), 1e-6)
    for previous, nexts in BIGRAM.items():
        for word, p in nexts.items():
            table[WORDS.get(word, word), previous] = p
    return np.log(table / table.sum(axis=0))


def bigram_model(vocab_size):
    """A Seq2Seq whose decoder computes exactly the bigram table: the GRU's update gate is shut
    (z = σ(−40) ≈ 0, no recurrent weights), so h' = tanh(W_in x) with the embedding 20·one-hot
    and W_in = I, i.e. h' = one-hot(previous word); the output layer holds the log table."""
    model = Seq2Seq(6, vocab_size, embedding_dim=vocab_size, hidden_size=vocab_size).eval()
    decoder, size = model.decoder, vocab_size
    decoder.embedding.weight.data = 20 * np.eye(size)
    rnn = decoder.rnn
    rnn.weight_hh_l0.data[:] = 0
    rnn.bias_hh_l0.data[:] = 0
    rnn.weight_ih_l0.data[:] = 0
    rnn.weight_ih_l0.data[2 * size :] = np.eye(size)
    rnn.bias_ih_l0.data[:] = 0
    rnn.bias_ih_l0.data[size : 2 * size] = -40
    decoder.out.weight.data = bigram_log_probabilities(size)
    decoder.out.bias.data[:] = 0
    return model


def best_translation_by_exhaustion(vocab_size, max_len, length_penalty):
    """The highest-scoring word sequence ending in <eos>, trying every one of ≤ max_len words."""
    table = bigram_log_probabilities(vocab_size)
    best, best_score = None, -np.inf
    for length in range(1, max_len + 1):
        for words in itertools.product(
            [w for w in range(vocab_size) if w != EOS], repeat=length - 1
        ):
            sequence = (*words, EOS)
            previous = (BOS, *words)
            score = sum(table[w, p] for w, p in zip(sequence, previous)) / length**length_penalty
            if score > best_score:
                best, best_score = list(words), score
    return best


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_beam_search_finds_the_best_translation_greedy_misses(length_penalty, float64):
    vocab_size, max_len = 8, 4
    model = bigram_model(vocab_size)
    source = sentences(6, [3, 2], np.random.default_rng(5))
    best = best_translation_by_exhaustion(vocab_size, max_len, length_penalty)
    assert best == [WORDS["b"]]
    assert model.greedy(source, max_len) == [[WORDS["a"], WORDS["c"]]] * 2
    assert model.beam_search(source, 2, max_len, length_penalty) == [best] * 2
    assert model.beam_search(source, 4, max_len, length_penalty) == [best] * 2


def test_beam_search_batched_equals_one_sentence_at_a_time():
    rng = np.random.default_rng(6)
    chainrule.manual_seed(6)
    model = Seq2Seq(15, 12, embedding_dim=8, hidden_size=8, attention="additive").eval()
    lengths = [6, 2, 4]
    source = sentences(15, lengths, rng)
    batched = model.beam_search(source, beam_width=3, max_len=8)
    alone = [
        model.beam_search(source[: length + 2, n : n + 1], beam_width=3, max_len=8)[0]
        for n, length in enumerate(lengths)
    ]
    assert batched == alone


def test_a_tiny_model_memorises_20_sentence_pairs():
    rng = np.random.default_rng(7)
    source = sentences(20, list(rng.integers(2, 8, 20)), rng)
    target = np.full_like(source, PAD)
    for n in range(20):  # target: the source words reversed, each renamed (w → 4 + (w + 1) % 16)
        words = [w for w in source[1:, n] if w not in (PAD, EOS)]
        target[: len(words) + 2, n] = [BOS, *[4 + (w + 1) % 16 for w in reversed(words)], EOS]
    chainrule.manual_seed(7)
    model = Seq2Seq(20, 20, embedding_dim=16, hidden_size=32, attention="dot")
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        optimizer.zero_grad()
        loss = model.loss(source, target)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    model.eval()
    expected = [[int(w) for w in target[1:, n] if w not in (PAD, EOS)] for n in range(20)]
    assert model.greedy(source, max_len=10) == expected
    assert model.beam_search(source, beam_width=3, max_len=10) == expected


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="cell"):
        Seq2Seq(5, 5, cell="rnn")
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, attention="cosine")


def test_translate_and_a_saved_translator_read_back(tmp_path, capsys):
    german = ["Ein Hund läuft.", "Zwei Männer spielen Fußball im Park."]
    english = ["A dog runs.", "Two men play soccer in the park."]
    source_vocab = Vocab.build([tokenize(s) for s in german])
    target_vocab = Vocab.build([tokenize(s) for s in english])
    chainrule.manual_seed(8)
    model = Seq2Seq(
        len(source_vocab),
        len(target_vocab),
        embedding_dim=8,
        hidden_size=8,
        cell="lstm",
        attention="additive",
    )
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    source = np.array(
        [
            [2, 2],
            *[
                [source_vocab[w] for w in pair]
                for pair in zip(
                    ["ein", "hund", "läuft", ".", "<eos>", "<pad>", "<pad>", "<pad>"],
                    ["zwei", "männer", "spielen", "fußball", "im", "park", ".", "<eos>"],
                )
            ],
        ]
    )
    target = np.array(
        [
            [2, 2],
            *[
                [target_vocab[w] for w in pair]
                for pair in zip(
                    ["a", "dog", "runs", ".", "<eos>", "<pad>", "<pad>", "<pad>", "<pad>"],
                    ["two", "men", "play", "soccer", "in", "the", "park", ".", "<eos>"],
                )
            ],
        ]
    )
    for _ in range(60):
        optimizer.zero_grad()
        model.loss(source, target).backward()
        optimizer.step()
    expected = ["a dog runs .", "two men play soccer in the park ."]
    assert translate(model, german, source_vocab, target_vocab, beam_width=3) == expected
    assert translate(model, german, source_vocab, target_vocab, beam_width=0) == expected
    save_translator(tmp_path / "run", model, source_vocab, target_vocab)
    loaded, loaded_source, loaded_target = load_translator(tmp_path / "run")
    assert loaded.config == model.config and loaded_target.itos == target_vocab.itos
    assert translate(loaded, german, loaded_source, loaded_target) == expected
    assert cli.main(["translate", str(tmp_path / "run"), *german, "--beam", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == expected
    assert cli.main(["translate", str(tmp_path), "Ein Hund."]) == cli.EXIT_USAGE
    assert "seq2seq.json" in capsys.readouterr().err
