"""train/metrics.py against PyTorch and against a per-sample count."""

import numpy as np
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule.train.metrics import RunningMetrics, accuracy, confusion_matrix


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
        x, y = cr.tensor(scores[start:start + 50]), cr.tensor(labels[start:start + 50])
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
