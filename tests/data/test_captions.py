"""The caption grammar and its splits, on hand-made digits: captions say where the digits are,
training scenes never hold an unseen combination, held-out scenes do, and a seed fixes all."""

import numpy as np

from chainrule.data.captions import (
    CANVAS,
    UNSEEN,
    WORDS,
    caption_combinations,
    make_scenes,
)


def _digits():
    """Ten 28×28 'digits', each a full square of its own grey level (label + 1) * 20."""
    labels = np.repeat(np.arange(10), 3)
    images = np.repeat(((labels + 1) * 20).astype(np.uint8)[:, None, None], 28, axis=1)
    return np.repeat(images, 28, axis=2), labels


def _centre_of(image, digit):
    rows, columns = np.nonzero(np.isclose(image, (digit + 1) * 20 / 255))
    return rows.mean(), columns.mean()


def test_caption_combinations_read_neighbours():
    caption = "a large 7 left of a small 2 left of a large 5".split()
    assert caption_combinations(caption) == [(7, "left of", 2), (2, "left of", 5)]
    assert caption_combinations("a small 3 above a large 0".split()) == [(3, "above", 0)]
    assert caption_combinations("a small 3".split()) == []


def test_captions_say_where_and_how_large_the_digits_are():
    images, labels = _digits()
    scenes = make_scenes(images, labels, 200, seed=0)
    assert scenes.images.shape == (200, 1, CANVAS, CANVAS)
    for image, caption in zip(scenes.images[:, 0], scenes.captions):
        assert set(caption) <= set(WORDS)
        digits = [int(w) for w in caption if w.isdigit()]
        if len(set(digits)) < len(digits):
            continue  # a repeated digit: its pixels cannot be told apart here
        centres = [_centre_of(image, d) for d in digits]
        for (_, relation, _), first, second in zip(
            caption_combinations(caption), centres, centres[1:]
        ):
            axis = 1 if relation == "left of" else 0
            assert first[axis] < second[axis] - 16
        sizes = [word for word in caption if word in ("large", "small")]
        for size, digit in zip(sizes, digits):
            pixels = np.isclose(image, (digit + 1) * 20 / 255).sum()
            assert pixels == (28 * 28 if size == "large" else 16 * 16)


def test_training_scenes_never_hold_an_unseen_combination():
    images, labels = _digits()
    scenes = make_scenes(images, labels, 2000, seed=1)
    combinations = {c for caption in scenes.captions for c in caption_combinations(caption)}
    assert not combinations & set(UNSEEN)
    assert not scenes.unseen.any()
    assert len(combinations) == 10 * 2 * 10 - len(UNSEEN)  # every other one occurs


def test_held_out_scenes_hold_unseen_combinations_in_that_share():
    images, labels = _digits()
    scenes = make_scenes(images, labels, 1000, seed=2, unseen_fraction=0.3)
    assert 0.25 < scenes.unseen.mean() < 0.35
    for caption, unseen in zip(scenes.captions, scenes.unseen):
        assert unseen == any(c in UNSEEN for c in caption_combinations(caption))


def test_a_seed_fixes_the_scenes():
    images, labels = _digits()
    first, again = (make_scenes(images, labels, 50, seed=3, unseen_fraction=0.5) for _ in "ab")
    np.testing.assert_array_equal(first.images, again.images)
    assert first.captions == again.captions
    other = make_scenes(images, labels, 50, seed=4, unseen_fraction=0.5)
    assert other.captions != first.captions
