"""Parallel text for translation: the Multi30k corpus, and batches of padded sentence pairs.

``Multi30k(root, split, languages=("de", "en"))`` reads Multi30k task 1 (Elliott et al. 2016:
Flickr30k image descriptions with German and French translations) from
``<data root>/multi30k/{train,val,test_2016_flickr}.{de,en,fr}.gz`` — the file names of the
``multi30k/dataset`` repository's ``data/task1/raw`` folder, gzipped UTF-8, one sentence a line,
line i of every language being translations of each other: 29,000 training, 1,014 validation
and 1,000 test (2016 Flickr) pairs. The data root is found as for every data set
(``download.py``); each file is checked against the MD5 of its uncompressed content, so the
canonical ``.gz``, a re-compressed copy and the raw text all pass (the ``.gz`` files of the
shared data mirror also match its SHA256SUMS).

``TranslationBatches`` turns id sequences into time-major padded batches, sorting sentences of
similar length together so that little of each batch is padding.
"""

import numpy as np

from .dataset import Dataset
from .download import RemoteFile, data_root, locate, read_verified

__all__ = ["Multi30k", "TranslationBatches", "pad_sequences"]

MULTI30K_MIRRORS = ("https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/",)

# MD5 of the uncompressed files.
MULTI30K_CHECKSUMS = {
    "train.de.gz": "d3b4bc1671cfb805267f97f16884beba",
    "train.en.gz": "053a34ece7c904dbc8c7361799afbe4c",
    "train.fr.gz": "849ec62eac03bcc3335f8bac00a4045a",
    "val.de.gz": "9f139b15d9d11936dea7af2904e57d8c",
    "val.en.gz": "2234730e7925354b766681b029b347ec",
    "val.fr.gz": "5c6267b6b147feb0fd6a826d01b7a53a",
    "test_2016_flickr.de.gz": "cde61d7401b116652ee84099c7858ca3",
    "test_2016_flickr.en.gz": "2022a6c31e2418047a0511333d55ed42",
    "test_2016_flickr.fr.gz": "091159ae517b43efa0faaa650c49923b",
}


class Multi30k(Dataset):
    """One split of Multi30k as sentence pairs: ``dataset[i]`` is ``(source, target)``, two
    ``str`` (the lines of ``languages[0]`` and ``languages[1]``, newline removed).

    ``split`` is ``"train"``, ``"val"`` or ``"test"`` (the 2016 Flickr test set);
    ``languages`` two of ``"de"``, ``"en"``, ``"fr"``.
    """

    folder = "multi30k"
    mirrors = MULTI30K_MIRRORS
    checksums = MULTI30K_CHECKSUMS
    splits = {"train": "train", "val": "val", "test": "test_2016_flickr"}
    languages_available = ("de", "en", "fr")

    def __init__(self, root=None, split="train", languages=("de", "en"), download=False):
        if split not in self.splits:
            raise ValueError(
                f"Multi30k: split must be one of {', '.join(self.splits)}, got {split!r}"
            )
        languages = tuple(languages)
        if len(languages) != 2 or not set(languages) <= set(self.languages_available):
            raise ValueError(
                f"Multi30k: languages must be two of "
                f"{', '.join(self.languages_available)}, got {languages}"
            )
        self.split, self.languages = split, languages
        names = [f"{self.splits[split]}.{language}.gz" for language in languages]
        files = [RemoteFile(name, self.checksums[name], self.mirrors) for name in names]
        root, reason = data_root(root)
        paths = locate(files, root / self.folder, reason, download, "Multi30k")
        self.source, self.target = (
            _lines(read_verified(path, f.md5), path) for path, f in zip(paths, files)
        )
        if len(self.source) != len(self.target):
            raise ValueError(
                f"Multi30k: {paths[0]} has {len(self.source)} lines but "
                f"{paths[1]} has {len(self.target)}; the files must be aligned"
            )

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        return self.source[index], self.target[index]

    def __repr__(self):
        return f"Multi30k(split={self.split}, languages={self.languages}, pairs={len(self)})"


def _lines(content, path):
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error})") from None
    return text.rstrip("\n").split("\n")


def pad_sequences(sequences, pad_index):
    """A time-major (T, N) int64 array of N id lists, each padded with ``pad_index`` to the
    longest length T."""
    longest = max(len(s) for s in sequences)
    padded = np.full((longest, len(sequences)), pad_index, dtype=np.int64)
    for column, sequence in enumerate(sequences):
        padded[: len(sequence), column] = sequence
    return padded


class TranslationBatches:
    """Batches ``(source, target)`` of time-major padded id arrays, (S, N) and (T, N).

    Each epoch (one ``iter``) shuffles the pairs with ``seed`` + epoch, cuts them into pools
    of ``pool`` batches, sorts each pool by source length, cuts it into batches and shuffles
    the batches: sentences of similar length share a batch (little padding) yet the order
    changes every epoch, like torchtext's BucketIterator. ``shuffle=False`` keeps the corpus
    order (for evaluation). The same seed gives the same batches, so two frameworks can be
    fed identical data.
    """

    def __init__(self, sources, targets, batch_size, pad_index, shuffle=True, seed=0, pool=50):
        if len(sources) != len(targets):
            raise ValueError(
                f"TranslationBatches: {len(sources)} sources but {len(targets)} targets"
            )
        self.sources, self.targets = list(sources), list(targets)
        self.batch_size, self.pad_index = batch_size, pad_index
        self.shuffle, self.seed, self.pool = shuffle, seed, pool
        self.epoch = 0

    def __len__(self):
        return -(-len(self.sources) // self.batch_size)

    def _batch_indices(self):
        count = len(self.sources)
        if not self.shuffle:
            return [
                np.arange(start, min(start + self.batch_size, count))
                for start in range(0, count, self.batch_size)
            ]
        rng = np.random.default_rng(self.seed + self.epoch)
        order = rng.permutation(count)
        lengths = np.array([len(s) for s in self.sources])
        batches = []
        step = self.batch_size * self.pool
        for start in range(0, count, step):
            chunk = order[start : start + step]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            ]
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self):
        indices = self._batch_indices()
        self.epoch += 1
        for batch in indices:
            yield (
                pad_sequences([self.sources[i] for i in batch], self.pad_index),
                pad_sequences([self.targets[i] for i in batch], self.pad_index),
            )
