"""Error analysis: predictions, the misclassified list and the confusion matrix against
independent computations; the pictures are PNGs of the expected size."""

import numpy as np
import torch

from chainrule import nn
from chainrule.viz import errors


def test_predictions_misclassified_and_confusion_of_a_trained_run(trained, tmp_path, assert_png):
    images, labels = trained.images[:300], trained.labels[:300]
    predicted = errors.predict_classes(trained.model, images, batch_size=128)
    logits = trained.model(images).data  # the modern variant's output: logits
    np.testing.assert_array_equal(predicted, np.argmax(logits, axis=1))
    assert (predicted == labels).mean() > 0.5  # trained, if briefly
    wrong = errors.plot_misclassified(
        images, labels, predicted, tmp_path / "wrong.png", limit=30, columns=10
    )
    np.testing.assert_array_equal(wrong, [i for i in range(300) if predicted[i] != labels[i]])
    assert_png(tmp_path / "wrong.png", (9.0, 1.05 * min(3, -(-len(wrong) // 10)) + 0.5))
    matrix = errors.confusion_matrix(predicted, labels, 10)
    expected = torch.zeros(10, 10, dtype=torch.int64)
    expected.index_put_(
        (torch.from_numpy(labels), torch.from_numpy(predicted)),
        torch.ones(300, dtype=torch.int64),
        accumulate=True,
    )
    np.testing.assert_array_equal(matrix, expected.numpy())
    assert matrix.sum() == 300 and np.trace(matrix) == 300 - len(wrong)
    errors.plot_confusion(matrix, tmp_path / "confusion.png")
    assert_png(tmp_path / "confusion.png", (0.55 * 10 + 1.8 + 0.8, 0.55 * 10 + 1.8))


def test_predict_classes_uses_the_models_own_predict_and_restores_its_mode():
    class Nearest(nn.Module):
        """Outputs distances: the class is the smallest, as LeNet-5's RBF layer."""

        def forward(self, x):
            return x.reshape(len(x), -1)

        def predict(self, output):
            return output.data.argmin(axis=1)

    model = Nearest()
    model.train()
    scores = np.random.default_rng(0).random((7, 5))
    np.testing.assert_array_equal(
        errors.predict_classes(model, scores, batch_size=3), scores.argmin(axis=1)
    )
    assert model.training
