"""Error analysis of a classifier, as deck D3 ("错误识别分析") shows LeNet-5's: the test digits it
got wrong, each labelled "true→predicted", and the confusion matrix of all its answers."""

import numpy as np

from ..autograd import Tensor, no_grad
from ..backend import to_device
from ..train.metrics import confusion_matrix
from .figure import plt, save

__all__ = [
    "predict_classes",
    "misclassified",
    "confusion_matrix",
    "plot_misclassified",
    "plot_confusion",
]


def predict_classes(model, images, batch_size=1000):
    """Predicted class of every image (N, ...) as a NumPy int64 array, in eval mode without a
    graph: the model's own ``predict(output)`` where it has one (LeNet-5's RBF output picks the
    smallest penalty), else the argmax of the output. The model's mode is restored."""
    predict = getattr(model, "predict", None) or (lambda output: output.data.argmax(axis=1))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            chunks = [
                to_device(predict(model(Tensor(images[i : i + batch_size]))), "cpu")
                for i in range(0, len(images), batch_size)
            ]
    finally:
        model.train(was_training)
    return np.concatenate(chunks).astype(np.int64)


def misclassified(predicted, labels):
    """Indices of the samples whose prediction differs from the label, in data-set order."""
    return np.flatnonzero(np.asarray(predicted) != np.asarray(labels))


def plot_misclassified(images, labels, predicted, path, limit=100, columns=10, label=None):
    """A grid of the first ``limit`` misclassified images (N, 1, H, W) or (N, H, W), each with
    "true→predicted" under it (deck D3, "错误识别分析"); the title counts the errors, after
    ``label`` (e.g. the model's name) if given. Returns the indices of all misclassified
    samples."""
    images = np.asarray(images)
    images = images.reshape(len(images), *images.shape[-2:])
    wrong = misclassified(predicted, labels)
    shown = wrong[:limit]
    rows = max(-(-len(shown) // columns), 1)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(0.9 * columns, 1.05 * rows + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, i in zip(axes.ravel(), shown):
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax.set_title(f"{labels[i]}→{predicted[i]}", fontsize=9, y=-0.3)
    count = len(labels)
    figure.suptitle(
        _titled(
            label,
            f"{len(wrong)} of {count} misclassified "
            f"({100 * len(wrong) / count:.2f}% error); first "
            f"{len(shown)}, true→predicted",
        ),
        fontsize=10,
    )
    save(figure, path)
    return wrong


def plot_confusion(matrix, path, label=None, class_names=None):
    """The confusion matrix (rows: true class, columns: predicted) with every count written in
    its cell; colours on a log scale so that the few errors off the diagonal show. The title
    gives the accuracy, after ``label`` if given."""
    matrix = np.asarray(matrix)
    classes = len(matrix)
    names = class_names or [str(i) for i in range(classes)]
    size = 0.55 * classes + 1.8
    figure, ax = plt.subplots(figsize=(size + 0.8, size), layout="constrained")
    image = ax.imshow(np.log10(1 + matrix), cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            dark = np.log10(1 + count) > 0.6 * np.log10(1 + matrix.max())
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(classes), names)
    ax.set_yticks(range(classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    figure.colorbar(image, ax=ax, shrink=0.8, label="log10(1 + count)")
    correct = np.trace(matrix)
    ax.set_title(
        _titled(
            label,
            f"confusion matrix: {correct} of {matrix.sum()} right "
            f"({100 * correct / max(matrix.sum(), 1):.2f}%)",
        ),
        fontsize=10,
    )
    save(figure, path)


def _titled(label, text):
    return f"{label}: {text}" if label else text
