"""The word tokenizer and vocabulary of ``data.vocab``: the documented tokenization rule on
hand-worked sentences, special ids, min-frequency, frequency order, round trips and <unk>."""

import pytest

from chainrule.data.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab, detokenize, tokenize


def test_tokenize_lowercases_and_splits_punctuation():
    assert tokenize("Two young, White males are outside near many bushes.") == [
        "two",
        "young",
        ",",
        "white",
        "males",
        "are",
        "outside",
        "near",
        "many",
        "bushes",
        ".",
    ]
    assert tokenize("Ein kleines Mädchen klettert in ein Spielhaus aus Holz.") == [
        "ein",
        "kleines",
        "mädchen",
        "klettert",
        "in",
        "ein",
        "spielhaus",
        "aus",
        "holz",
        ".",
    ]
    assert tokenize("A man's hat!?  (red)") == [
        "a",
        "man",
        "'",
        "s",
        "hat",
        "!",
        "?",
        "(",
        "red",
        ")",
    ]
    assert tokenize("   ") == []


def test_specials_come_first_with_fixed_ids():
    vocab = Vocab.build([["b", "a", "b"]])
    assert vocab.itos[:4] == [PAD, UNK, BOS, EOS] and tuple(vocab.itos[:4]) == SPECIALS
    assert (vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index) == (0, 1, 2, 3)
    assert [vocab[s] for s in SPECIALS] == [0, 1, 2, 3]


def test_min_freq_and_frequency_order():
    sentences = [["the", "dog", "runs"], ["the", "cat", "runs"], ["the", "bird"]]
    vocab = Vocab.build(sentences, min_freq=2)
    assert vocab.itos[4:] == ["the", "runs"]  # 3 and 2 occurrences; singletons dropped
    assert len(vocab) == 6
    everything = Vocab.build(sentences, min_freq=1)
    assert everything.itos[4:] == ["the", "runs", "bird", "cat", "dog"]  # ties alphabetical
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(sentences, min_freq=0)


def test_round_trip_of_known_words():
    sentence = tokenize("A dog runs on the grass.")
    vocab = Vocab.build([sentence])
    ids = vocab.encode(sentence)
    assert ids[0] == vocab.bos_index and ids[-1] == vocab.eos_index and len(ids) == 9
    assert vocab.decode(ids) == sentence
    assert vocab.encode(sentence, bos_eos=False) == ids[1:-1]
    assert detokenize(vocab.decode(ids)) == "a dog runs on the grass ."


def test_unknown_words_map_to_unk_and_decode_stops_at_eos():
    vocab = Vocab.build([["a", "dog"]])
    ids = vocab.encode(["a", "zebra", "dog"])
    assert ids == [2, vocab["a"], vocab.unk_index, vocab["dog"], 3]
    assert "zebra" not in vocab and "dog" in vocab
    assert vocab.decode(ids) == ["a", UNK, "dog"]
    assert vocab.decode([vocab["a"], vocab.pad_index, vocab.eos_index, vocab["dog"]]) == ["a"]


def test_word_list_is_checked():
    with pytest.raises(ValueError, match="special tokens"):
        Vocab(["a", "b"])
    with pytest.raises(ValueError, match="twice"):
        Vocab([*SPECIALS, "a", "a"])
