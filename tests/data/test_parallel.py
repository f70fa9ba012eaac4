"""Multi30k from the data root (counts, alignment, text read straight from the gzip files,
checksums) and the padded, length-bucketed batches of ``data.parallel``.

The data root is ``$CHAINRULE_DATA``, else the shared mirror beside the repository; the
Multi30k tests skip, saying why, when neither holds multi30k/.
"""

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import ChecksumError, DatasetNotFoundError
from chainrule.data.parallel import Multi30k, TranslationBatches, pad_sequences

MIRROR_BESIDE_REPO = Path(__file__).resolve().parents[2].parent / "shared" / "data"
COUNTS = {"train": 29_000, "val": 1_014, "test": 1_000}


@pytest.fixture(scope="module")
def root():
    root = (
        Path(os.environ["CHAINRULE_DATA"])
        if os.environ.get("CHAINRULE_DATA")
        else MIRROR_BESIDE_REPO
    )
    if not (root / "multi30k").is_dir():
        pytest.skip(
            f"no multi30k/ folder in the data root {root} (set CHAINRULE_DATA to the "
            "shared data mirror)"
        )
    return root


@pytest.mark.parametrize("split", COUNTS)
def test_split_sizes_and_alignment(root, split):
    data = Multi30k(root, split)
    assert len(data) == COUNTS[split] == len(data.source) == len(data.target)
    name = Multi30k.splits[split]
    with gzip.open(root / "multi30k" / f"{name}.en.gz", "rt", encoding="utf-8") as f:
        english = f.read().splitlines()
    assert data.target == english
    assert all(s and t for s, t in data)


def test_first_training_pair(root):
    assert Multi30k(root, "train")[0] == (
        "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
        "Two young, White males are outside near many bushes.",
    )
    french = Multi30k(root, "val", languages=("en", "fr"))
    assert len(french) == 1_014 and french[0][0] == Multi30k(root, "val")[0][1]


def test_corrupt_file_fails_its_checksum_by_name(root, tmp_path):
    folder = tmp_path / "multi30k"
    folder.mkdir()
    for language in ("de", "en"):
        shutil.copy(root / "multi30k" / f"val.{language}.gz", folder)
    text = gzip.decompress((folder / "val.en.gz").read_bytes()).replace(b"dog", b"cat", 1)
    (folder / "val.en.gz").write_bytes(gzip.compress(text))
    with pytest.raises(ChecksumError, match=r"val\.en\.gz.*checksum mismatch"):
        Multi30k(tmp_path, "val")


def test_missing_files_and_bad_arguments(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"(?s)Multi30k.*test_2016_flickr\.de\.gz"):
        Multi30k(tmp_path, "test")
    with pytest.raises(ValueError, match="split"):
        Multi30k(tmp_path, "dev")
    with pytest.raises(ValueError, match="languages"):
        Multi30k(tmp_path, "val", languages=("de", "xx"))


def test_pad_sequences_is_time_major():
    padded = pad_sequences([[5, 6, 7], [8]], pad_index=0)
    np.testing.assert_array_equal(padded, [[5, 8], [6, 0], [7, 0]])
    assert padded.dtype == np.int64


def _pairs(count, rng):
    sources = [list(rng.integers(4, 50, rng.integers(2, 20))) for _ in range(count)]
    return sources, [[len(s)] * (1 + len(s) % 3) for s in sources]


def test_batches_cover_every_pair_once_per_epoch():
    sources, targets = _pairs(103, np.random.default_rng(0))
    batches = TranslationBatches(sources, targets, batch_size=10, pad_index=0, seed=3, pool=4)
    assert len(batches) == 11
    for _ in range(2):
        seen = []
        for source, target in batches:
            assert source.shape[1] == target.shape[1] <= 10
            for n in range(source.shape[1]):
                words = [int(w) for w in source[:, n] if w]
                assert len(words) == (source[:, n] != 0).sum()
                assert [int(w) for w in target[:, n] if w] == [len(words)] * (1 + len(words) % 3)
                seen.append(tuple(words))
        assert sorted(seen) == sorted(tuple(int(w) for w in s) for s in sources)


def test_batches_are_reproducible_reshuffled_and_less_padded():
    sources, targets = _pairs(400, np.random.default_rng(1))

    def epochs(seed, pool):
        batches = TranslationBatches(sources, targets, 16, 0, seed=seed, pool=pool)
        return [[s for s, _ in batches] for _ in range(2)]

    first, again = epochs(7, 5), epochs(7, 5)
    for a, b in zip(first, again):
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(first[0], first[1]))
    padding = {pool: sum((s == 0).sum() for s in epochs(7, pool)[0]) for pool in (1, 25)}
    assert padding[25] < padding[1] / 3  # sorted within pools: far less padding than random


def test_unshuffled_batches_keep_the_corpus_order():
    sources, targets = _pairs(25, np.random.default_rng(2))
    order = [
        tuple(int(w) for w in s[:, n] if w)
        for s, _ in TranslationBatches(sources, targets, 8, 0, shuffle=False)
        for n in range(s.shape[1])
    ]
    assert order == [tuple(int(w) for w in s) for s in sources]
