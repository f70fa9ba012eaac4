"""A synthetic caption corpus from MNIST digits (deck D1's "picture talking"): scenes of one
to three digits on a 96×96 canvas, each described by a small grammar.

    scene     := digit | digit RELATION digit | digit "left of" digit "left of" digit
    digit     := "a" SIZE DIGIT          SIZE := "large" (28 px) | "small" (16 px)
    RELATION  := "left of" | "above"

The canvas is a 3×3 grid of 32-pixel cells; each digit sits in its own cell, shifted by a few
pixels at random. "a large 7 left of a small 2": the 7 is in a column left of the 2's, in the
same row; "above": same column, a higher row. Three digits stand in one row, left to right.

Generalisation is measured on caption *combinations* never seen in training: the triples
(first digit, relation, second digit) of ``UNSEEN``, one per first digit, never occur between
neighbours of a training scene; held-out scenes are drawn from the test digits, and a share of
them (``unseen_fraction``) is built around one of those triples. Everything is decided by the
seed: the same seed gives the same scenes.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CANVAS",
    "SIZES",
    "RELATIONS",
    "UNSEEN",
    "WORDS",
    "Scenes",
    "make_scenes",
    "caption_combinations",
]

CANVAS = 96
CELL = 32
GRID = CANVAS // CELL
SIZES = {"large": 28, "small": 16}
RELATIONS = ("left of", "above")
JITTER = 2
# (first digit, relation, second digit) combinations kept out of every training scene
UNSEEN = tuple((digit, RELATIONS[digit % 2], (3 * digit + 5) % 10) for digit in range(10))
WORDS = ("<pad>", "<bos>", "<eos>", "a", "large", "small", "left", "of", "above") + tuple(
    str(d) for d in range(10)
)


@dataclass
class Scenes:
    """``images`` (N, 1, 96, 96) float32 in [0, 1]; ``captions``: N lists of words;
    ``unseen``: (N,) bool, True where the caption holds a combination of ``UNSEEN``."""

    images: np.ndarray
    captions: list
    unseen: np.ndarray


def caption_combinations(caption):
    """The (digit, relation, digit) triples between neighbours in a caption (a word list)."""
    text = " ".join(caption)
    parts = [
        p.split()
        for p in text.replace(" left of ", "|left of|").replace(" above ", "|above|").split("|")
    ]
    digits = [int(p[-1]) for p in parts[::2]]
    relations = [" ".join(p) for p in parts[1::2]]
    return [(a, r, b) for a, r, b in zip(digits, relations, digits[1:])]


def make_scenes(images, labels, count, seed, unseen_fraction=0.0):
    """``count`` scenes from the digits ``images`` (N, 28, 28) uint8 with ``labels`` (N,).

    ``unseen_fraction=0`` (training scenes): no caption holds a combination of ``UNSEEN``.
    Otherwise that share of the scenes is built around one combination of ``UNSEEN`` (two digits)
    and the rest are drawn like training scenes."""
    rng = np.random.default_rng(seed)
    by_digit = [np.flatnonzero(labels == d) for d in range(10)]
    canvases = np.zeros((count, 1, CANVAS, CANVAS), np.float32)
    captions, unseen = [], np.zeros(count, bool)
    for i in range(count):
        if rng.random() < unseen_fraction:
            first, relation, second = UNSEEN[rng.integers(len(UNSEEN))]
            digits, relations = [first, second], [relation]
        else:
            digits, relations = _seen_layout(rng)
        cells = _cells(rng, relations)
        sizes = [str(rng.choice(list(SIZES))) for _ in digits]
        for digit, cell, size in zip(digits, cells, sizes):
            image = images[rng.choice(by_digit[digit])]
            _paste(canvases[i, 0], image, cell, SIZES[size], rng)
        captions.append(_caption(digits, sizes, relations))
        unseen[i] = any(c in UNSEEN for c in caption_combinations(captions[-1]))
    return Scenes(canvases, captions, unseen)


def _seen_layout(rng):
    """Digits and relations of a scene of 1–3 digits with no combination of ``UNSEEN``."""
    while True:
        count = int(rng.integers(1, 4))
        digits = [int(d) for d in rng.integers(0, 10, count)]
        relation = RELATIONS[int(rng.integers(2))] if count == 2 else "left of"
        relations = [relation] * (count - 1)
        triples = zip(digits, relations, digits[1:])
        if not any(t in UNSEEN for t in triples):
            return digits, relations


def _cells(rng, relations):
    """Grid cells (row, column) for the digits, in caption order."""
    if not relations:
        return [(int(rng.integers(GRID)), int(rng.integers(GRID)))]
    if len(relations) == 2:
        return [(int(rng.integers(GRID)), column) for column in range(GRID)]
    first, second = sorted(rng.choice(GRID, 2, replace=False))
    other = int(rng.integers(GRID))
    if relations[0] == "left of":
        return [(other, int(first)), (other, int(second))]
    return [(int(first), other), (int(second), other)]


def _paste(canvas, image, cell, size, rng):
    """The digit resized to ``size`` pixels (nearest neighbour), centred in ``cell`` and
    shifted by up to ``JITTER`` pixels, drawn as the maximum with what is there."""
    index = (np.arange(size) * 28 // size).astype(int)
    digit = image[np.ix_(index, index)].astype(np.float32) / 255
    row, column = cell
    top = row * CELL + (CELL - size) // 2 + int(rng.integers(-JITTER, JITTER + 1))
    left = column * CELL + (CELL - size) // 2 + int(rng.integers(-JITTER, JITTER + 1))
    top, left = np.clip([top, left], 0, CANVAS - size)
    window = canvas[top : top + size, left : left + size]
    np.maximum(window, digit, out=window)


def _caption(digits, sizes, relations):
    words = ["a", sizes[0], str(digits[0])]
    for relation, size, digit in zip(relations, sizes[1:], digits[1:]):
        words += [*relation.split(), "a", size, str(digit)]
    return words
