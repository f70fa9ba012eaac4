"""Metrics: classification ones computed on whole arrays on the device the arrays live on, and
BLEU for translations.

``accuracy`` and ``confusion_matrix`` work on one batch (or a whole set) of scores and labels.
``RunningMetrics`` sums a training epoch's loss and correct count as device scalars, so a loop
can update it every batch without forcing a GPU synchronisation; the sums become Python numbers
only when ``compute()`` is called (once per epoch, or when a progress bar refreshes).
``bleu`` scores translations against references (Papineni et al. 2002) through sacrebleu.
"""

from ..autograd import Tensor
from ..backend import get_array_module
from ..data.vocab import detokenize

__all__ = ["accuracy", "confusion_matrix", "RunningMetrics", "bleu"]


def _array(x):
    return x.data if isinstance(x, Tensor) else x


def accuracy(scores, labels):
    """Fraction of rows of ``scores`` (N, C) whose argmax equals ``labels`` (N,), a float."""
    scores, labels = _array(scores), _array(labels)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(
            f"accuracy: expected scores (N, C) and labels (N,), got "
            f"{scores.shape} and {labels.shape}"
        )
    return float((scores.argmax(axis=1) == labels).mean())


def confusion_matrix(predicted, labels, num_classes):
    """Counts ``M[i, j]`` of samples of true class ``i`` predicted as class ``j`` (int64 array).

    One ``bincount`` over the pair index ``i * C + j``: no loop over samples or classes.
    ``predicted`` may be class indices (N,) or scores (N, C).
    """
    predicted, labels = _array(predicted), _array(labels)
    if predicted.ndim == 2:
        predicted = predicted.argmax(axis=1)
    xp = get_array_module(labels)
    pairs = labels.astype(xp.int64) * num_classes + predicted.astype(xp.int64)
    return xp.bincount(pairs.ravel(), minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


class RunningMetrics:
    """Sample-weighted mean loss and accuracy over the batches seen so far.

    ``update(loss, scores, labels)`` adds the batch's loss times its size and, for classification
    outputs (scores of shape (N, C) with integer labels), its number of correct predictions; with
    ``confusion=True`` it also accumulates the confusion matrix. All sums stay device arrays.
    ``predict(scores)`` turns outputs into class indices (default: the argmax; a model whose
    outputs are distances, such as LeNet-5's RBF layer, passes its own ``predict``).
    """

    def __init__(self, confusion=False, predict=None):
        self.track_confusion = confusion
        self.predict = predict
        self.count = 0
        self.loss_sum = None
        self.correct = None
        self.confusion = None

    def update(self, loss, scores, labels):
        scores, labels = _array(scores), _array(labels)
        n = len(labels)
        self.count += n
        batch_loss = _array(loss).astype("float64") * n
        self.loss_sum = batch_loss if self.loss_sum is None else self.loss_sum + batch_loss
        if scores.ndim != 2 or labels.ndim != 1 or labels.dtype.kind not in "iu":
            return
        predicted = scores.argmax(axis=1) if self.predict is None else self.predict(scores)
        correct = (predicted == labels).sum()
        self.correct = correct if self.correct is None else self.correct + correct
        if self.track_confusion:
            batch = confusion_matrix(predicted, labels, scores.shape[1])
            self.confusion = batch if self.confusion is None else self.confusion + batch

    def compute(self):
        """``{"loss": …, "accuracy": …}`` as Python floats (accuracy only for classification)."""
        if self.count == 0:
            return {}
        result = {"loss": float(self.loss_sum) / self.count}
        if self.correct is not None:
            result["accuracy"] = int(self.correct) / self.count
        return result


def bleu(hypotheses, references):
    """Corpus BLEU (0–100) of the token lists ``hypotheses`` against one reference token list
    each (Papineni et al. 2002): the geometric mean of the 1- to 4-gram precisions of the whole
    corpus times the brevity penalty min(1, exp(1 − r/c)), r and c the reference and hypothesis
    lengths. Computed by sacrebleu on the tokens joined by spaces (``data.vocab.detokenize``),
    so its own tokenizer sees the text as the model writes it."""
    import sacrebleu  # loaded on first use: a tenth of a second that training never needs

    if len(hypotheses) != len(references):
        raise ValueError(f"bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    return sacrebleu.corpus_bleu(
        [detokenize(h) for h in hypotheses], [[detokenize(r) for r in references]], force=True
    ).score
