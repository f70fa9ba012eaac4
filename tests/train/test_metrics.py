"""train/metrics.py against PyTorch, against a per-sample count, and BLEU against a plain
reimplementation of Papineni et al. 2002."""

import math
from collections import Counter

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule.train.metrics import RunningMetrics, accuracy, bleu, confusion_matrix


def _scores_and_labels(n=257, classes=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, classes)).astype(np.float32), rng.integers(0, classes, n)


def test_accuracy_matches_torch():
    scores, labels = _scores_and_labels()
    expected = (torch.from_numpy(scores).argmax(1) == torch.from_numpy(labels)).float().mean()
    assert accuracy(cr.tensor(scores), cr.tensor(labels)) == np.float32(expected.item())


def test_confusion_matrix_counts_every_pair():
    scores, labels = _scores_and_labels()
    predicted = scores.argmax(1)
    expected = np.zeros((7, 7), np.int64)
    for truth, guess in zip(labels, predicted):
        expected[truth, guess] += 1
    np.testing.assert_array_equal(confusion_matrix(scores, labels, 7), expected)
    np.testing.assert_array_equal(confusion_matrix(predicted, labels, 7), expected)


def test_running_metrics_equal_whole_set_metrics():
    scores, labels = _scores_and_labels()
    running = RunningMetrics(confusion=True)
    for start in range(0, len(labels), 50):  # uneven last batch: weighting by batch size matters
        x, y = cr.tensor(scores[start : start + 50]), cr.tensor(labels[start : start + 50])
        running.update(F.cross_entropy(x, y), x, y)
    result = running.compute()
    whole = torch.nn.functional.cross_entropy(torch.from_numpy(scores), torch.from_numpy(labels))
    assert abs(result["loss"] - whole.item()) < 1e-5
    assert result["accuracy"] == (scores.argmax(1) == labels).mean()
    np.testing.assert_array_equal(running.confusion, confusion_matrix(scores, labels, 7))


def test_running_metrics_skip_accuracy_for_regression():
    running = RunningMetrics()
    prediction, target = cr.randn(8, 3), cr.randn(8, 3)
    running.update(F.mse_loss(prediction, target), prediction, target)
    assert set(running.compute()) == {"loss"}


def _plain_corpus_bleu(hypotheses, references):
    """Corpus BLEU as Papineni et al. 2002 define it: clipped n-gram precisions (n = 1…4)
    summed over the corpus, their geometric mean, times exp(1 − r/c) when c < r."""
    matches, totals = [0] * 4, [0] * 4
    for hypothesis, reference in zip(hypotheses, references):
        for n in range(1, 5):
            grams = Counter(tuple(hypothesis[i : i + n]) for i in range(len(hypothesis) - n + 1))
            reference_grams = Counter(
                tuple(reference[i : i + n]) for i in range(len(reference) - n + 1)
            )
            matches[n - 1] += sum(min(c, reference_grams[g]) for g, c in grams.items())
            totals[n - 1] += max(len(hypothesis) - n + 1, 0)
    c = sum(len(h) for h in hypotheses)
    r = sum(len(ref) for ref in references)
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / 4
    return 100 * math.exp(min(0.0, 1 - r / c) + log_precision)


def test_bleu_equals_the_papers_formula():
    rng = np.random.default_rng(0)
    words = "a dog cat runs sits on the mat grass in park man woman".split()
    references = [list(rng.choice(words, rng.integers(6, 12))) for _ in range(30)]
    hypotheses = [
        [w if rng.random() < 0.8 else str(rng.choice(words)) for w in ref][:-1]
        for ref in references
    ]  # one word short: the brevity penalty applies
    assert bleu(hypotheses, references) == pytest.approx(
        _plain_corpus_bleu(hypotheses, references), abs=1e-9
    )
    assert bleu(references, references) == pytest.approx(100)


def test_bleu_needs_one_reference_per_hypothesis():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        bleu([["a"], ["b"]], [["a"]])
