"""Words to integer ids and back: a tokenizer and a word vocabulary for translation models.

``tokenize(text)`` is deliberately simple and reversible enough to read: the text is lowercased
and cut into runs of word characters (letters of any script, digits, underscore — so German
``"Mädchen"`` stays one word) and single punctuation marks, each its own token; whitespace only
separates. ``"Two young, White males."`` → ``["two", "young", ",", "white", "males", "."]``.
Apostrophes split too: ``"man's"`` → ``["man", "'", "s"]``.

``Vocab.build(sentences, min_freq)`` keeps every word seen at least ``min_freq`` times. Ids
0–3 are the special tokens, in this order: ``<pad>`` (fills short sequences in a batch),
``<unk>`` (any word not in the vocabulary), ``<bos>`` and ``<eos>`` (begin and end of a
sentence); the words follow from most to least frequent, ties in alphabetical order, so the
same corpus always gives the same ids.
"""

import re
from collections import Counter

__all__ = ["PAD", "UNK", "BOS", "EOS", "SPECIALS", "tokenize", "detokenize", "Vocab"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text):
    """The lowercased words and punctuation marks of ``text``, in order (see module docstring)."""
    return _TOKEN.findall(text.lower())


def detokenize(tokens):
    """The tokens joined by spaces: the form BLEU is computed on (its own tokenizer re-splits
    punctuation, so ``"a dog ."`` and ``"a dog."`` score the same)."""
    return " ".join(tokens)


class Vocab:
    """A word list: ``vocab[word]`` → id (``<unk>``'s for unknown words), ``vocab.itos[id]`` →
    word; ``len(vocab)`` counts the specials too."""

    pad_index, unk_index, bos_index, eos_index = range(len(SPECIALS))

    def __init__(self, words):
        words = list(words)
        if tuple(words[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(
                f"Vocab: the word list must start with the special tokens "
                f"{SPECIALS}, got {words[: len(SPECIALS)]}"
            )
        if len(set(words)) != len(words):
            raise ValueError("Vocab: the word list holds a word twice")
        self.itos = words
        self.stoi = {word: index for index, word in enumerate(words)}

    @classmethod
    def build(cls, sentences, min_freq=1):
        """The vocabulary of the tokenized ``sentences`` (lists of words): the specials, then
        every word seen at least ``min_freq`` times, most frequent first."""
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be at least 1, got {min_freq}")
        counts = Counter(word for sentence in sentences for word in sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted(
            (word for word, n in counts.items() if n >= min_freq),
            key=lambda word: (-counts[word], word),
        )
        return cls(SPECIALS + tuple(kept))

    def __len__(self):
        return len(self.itos)

    def __getitem__(self, word):
        return self.stoi.get(word, self.unk_index)

    def __contains__(self, word):
        return word in self.stoi

    def encode(self, tokens, bos_eos=True):
        """Ids of ``tokens``, between ``<bos>`` and ``<eos>`` unless ``bos_eos`` is False."""
        ids = [self[word] for word in tokens]
        return [self.bos_index, *ids, self.eos_index] if bos_eos else ids

    def decode(self, ids):
        """The words of ``ids`` up to the first ``<eos>``, leaving out ``<bos>`` and ``<pad>``
        (``<unk>`` stays, so a reader sees where a word was unknown)."""
        words = []
        for index in ids:
            index = int(index)
            if index == self.eos_index:
                break
            if index not in (self.bos_index, self.pad_index):
                words.append(self.itos[index])
        return words

    def __repr__(self):
        return f"Vocab(size={len(self)})"
