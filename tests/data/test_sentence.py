"""Kim 2014's sentence sets: clean_str against Kim's own code, the file format, folds, padding."""

import os
import re

import numpy as np
import pytest

from chainrule.data.download import DatasetNotFoundError
from chainrule.data.sentence import (
    SentenceFormatError,
    clean_str,
    clean_str_sst,
    holdout,
    kfold_indices,
    load_sentences,
    padded_ids,
    read_labelled_lines,
)
from chainrule.data.vocab import Vocab


def kims_clean_str(string, TREC=False):  # noqa: N803  (verbatim from Kim's process_data.py)
    string = re.sub(r"[^A-Za-z0-9(),!?\'\`]", " ", string)
    string = re.sub(r"\'s", " 's", string)
    string = re.sub(r"\'ve", " 've", string)
    string = re.sub(r"n\'t", " n't", string)
    string = re.sub(r"\'re", " 're", string)
    string = re.sub(r"\'d", " 'd", string)
    string = re.sub(r"\'ll", " 'll", string)
    string = re.sub(r",", " , ", string)
    string = re.sub(r"!", " ! ", string)
    string = re.sub(r"\(", " \\( ", string)
    string = re.sub(r"\)", " \\) ", string)
    string = re.sub(r"\?", " \\? ", string)
    string = re.sub(r"\s{2,}", " ", string)
    return string.strip() if TREC else string.strip().lower()


SENTENCES = [
    "It's a movie, isn't it?",
    "I've (really) loved it!! We'd say: you'll see.",
    "They're here -- aren't they? \"Yes\" ... `maybe'",
    "What is Ozzy Osbourne's age in 1998 ?",
    "naïve café, 100% rock'n'roll!",
]


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("cased", [False, True])
def test_clean_str_splits_as_kims_code_without_its_backslashes(sentence, cased):
    kims = kims_clean_str(sentence, TREC=cased).replace("\\", "").split()
    assert clean_str(sentence, lower=not cased) == kims


def test_clean_str_by_hand():
    assert clean_str("It's a movie, isn't it?") == [
        "it", "'s", "a", "movie", ",", "is", "n't", "it", "?"
    ]  # fmt: skip
    assert clean_str("What's TREC?", lower=False) == ["What", "'s", "TREC", "?"]
    assert clean_str_sst("a re-imagining of beauty , and 1930s horror !") == [
        "a", "re", "imagining", "of", "beauty", ",", "and", "1930s", "horror", "!"
    ]  # fmt: skip


def test_lines_split_on_newline_only_and_latin1_when_not_utf8():
    data = "1 caf\xe9 \x85 trois points\n0 second line\n\n".encode("latin-1")
    assert read_labelled_lines(data) == (["1", "0"], ["caf\xe9 \x85 trois points", "second line"])
    assert read_labelled_lines("pos naïve\n".encode()) == (["pos"], ["naïve"])


def test_a_label_without_a_sentence_is_named_by_its_line():
    with pytest.raises(SentenceFormatError, match="line 2"):
        read_labelled_lines(b"1 fine\n0\n")


def test_a_file_gets_its_labels_in_numeric_then_alphabetical_order(tmp_path):
    path = tmp_path / "set.txt"
    path.write_text("10 ten\n9 nine\n10 ten again\n")
    data = load_sentences(str(path))
    assert data.classes == ["9", "10"]
    assert data.train[1].tolist() == [1, 0, 1]
    assert data.train[0][0] == ["ten"] and data.dev is None and data.test is None


def test_a_missing_file_is_named():
    with pytest.raises(DatasetNotFoundError, match="neither a known set"):
        load_sentences("no/such/file.txt")


def test_padding_as_kims_code_lays_it_out():
    vocab = Vocab.build([["a", "b", "c"]])
    ids = padded_ids([["a", "b"], ["c"]], vocab, max_window=3)
    a, b, c = vocab["a"], vocab["b"], vocab["c"]
    # max_window − 1 = 2 pads left; longest (2) + 2·2 = 6 columns
    assert ids.tolist() == [[0, 0, a, b, 0, 0], [0, 0, c, 0, 0, 0]]


def test_folds_are_disjoint_cover_everything_and_follow_the_seed():
    folds = kfold_indices(103, 10, seed=4)
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(103))
    assert {len(f) for f in folds} == {10, 11}
    again = kfold_indices(103, 10, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(folds, again))
    assert not np.array_equal(folds[0], kfold_indices(103, 10, seed=5)[0])


def test_holdout_takes_a_tenth_away():
    kept, held = holdout(np.arange(50, 150), 0.1, seed=0)
    assert len(held) == 10 and len(kept) == 90
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(50, 150))


SIZES = {  # the mirror's README
    "mr": (10662, None, None),
    "subj": (10000, None, None),
    "sst1": (8544, 1101, 2210),
    "sst2": (6920, 872, 1821),
    "trec": (5452, None, 500),
}


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(os.environ.get("CHAINRULE_DATA", "/nonexistent"), "sentence")),
    reason="the sentence sets are not in $CHAINRULE_DATA",
)
@pytest.mark.parametrize("name", sorted(SIZES))
def test_the_papers_sets_load_with_their_sizes_and_case(name):
    data = load_sentences(name)
    sizes = tuple(
        None if part is None else len(part[0]) for part in (data.train, data.dev, data.test)
    )
    assert sizes == SIZES[name]
    has_capitals = any(w != w.lower() for s in data.train[0][:200] for w in s)
    assert has_capitals == (name == "trec")
