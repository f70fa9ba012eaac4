"""Sentence classification with Kim 2014's CNN-rand: the app behind ``chainrule train textcnn``.

Training as in Kim's paper and released code: Adadelta (ρ = 0.95, ε = 10⁻⁶, no learning
rate), mini-batches of 50 in a fresh shuffled order every epoch, the max-norm constraint
(s = 3) on the output weights after every step, 25 epochs. After each epoch the model is
measured on a dev set; the figure reported for a split is the test accuracy at the epoch of the
best dev accuracy (early stopping; ties go to the later epoch, as in Kim's code).

Splits (``split_indices``): a set with a test split (SST-1, SST-2, TREC) is trained once, on
its dev set where it has one, else on a seeded 10% of its training sentences (TREC, as the
paper). A set without one (MR, SUBJ, a user's file) is cross-validated: 10 seeded folds, each
in turn the test set, 10% of the rest held out as dev; ``folds`` K runs the first K. The
vocabulary is every word of the whole set (CNN-rand gives test-only words a random vector,
as Kim's code does).

A run folder holds::

    RUN_DIR/config.json              the TextCNNConfig
    RUN_DIR/vocab.json               the words in id order, and the class names
    RUN_DIR/log.csv                  one row per epoch: fold, loss, train/dev/test accuracy
    RUN_DIR/checkpoints/last.ckpt    everything to resume (fold, epoch, model, optimiser,
                                     random state, finished folds), written every epoch
    RUN_DIR/checkpoints/fold-K.ckpt  the model of fold K at its best dev accuracy
    RUN_DIR/metrics.json             per-fold results, their mean test accuracy, seconds

``--resume`` continues from the last finished epoch; with the same seed on the CPU the resumed
run ends with the same numbers as one never stopped. It may ask for more ``folds`` (the
splits after the last one run) or more ``epochs`` (the split in progress, and those after it,
train that long; finished splits keep theirs).
"""

import csv
import dataclasses
import os
import time
from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .. import optim, random
from ..autograd import no_grad
from ..creation import as_tensor
from ..data.sentence import holdout, kfold_indices, load_sentences, padded_ids
from ..data.vocab import Vocab
from ..kernels import memory
from ..models.textcnn import TextCNN
from ..train import checkpoint
from .common import ConfigError, check_same_run, read_run_config, write_json

__all__ = [
    "TextCNNConfig",
    "Split",
    "Experiment",
    "prepare",
    "split_indices",
    "batch_order",
    "build_model",
    "make_optimizer",
    "accuracy",
    "train_epoch",
    "train_textcnn",
    "read_textcnn_config",
]

CV_FOLDS = 10
EVAL_BATCH = 500


@dataclass
class TextCNNConfig:
    """Every choice of a TextCNN run; saved as ``config.json``. ``dataset``: a name of
    ``data.sentence.SENTENCE_SETS`` or a ``label sentence`` file. ``folds``: how many of the 10
    cross-validation folds to run (sets without a test split only; None: all)."""

    dataset: str = "mr"
    folds: int = None
    epochs: int = 25
    batch_size: int = 50
    embedding_dim: int = 300
    windows: list = field(default_factory=lambda: [3, 4, 5])
    maps: int = 100
    dropout: float = 0.5
    max_norm: float = 3.0
    rho: float = 0.95
    eps: float = 1e-6
    dev_fraction: float = 0.1
    seed: int = 0
    device: str = "cpu"
    data_dir: str = None


@dataclass
class Split:
    """Index arrays into ``Experiment.ids`` of one train / dev / test split."""

    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray


@dataclass
class Experiment:
    """A data set ready to train on: every sentence as a padded id row, its label, the
    vocabulary, the class names and the splits to run."""

    ids: np.ndarray
    labels: np.ndarray
    vocab: Vocab
    classes: list
    splits: list


def prepare(config, download=False):
    """Load ``config.dataset``, build its vocabulary and padded ids, and its splits."""
    data = load_sentences(config.dataset, config.data_dir, download)
    parts = [part for part in (data.train, data.dev, data.test) if part is not None]
    sentences = [s for part in parts for s in part[0]]
    vocab = Vocab.build(sentences)
    ids = padded_ids(sentences, vocab, max(config.windows))
    labels = np.concatenate([part[1] for part in parts])
    sizes = [None if part is None else len(part[0]) for part in (data.train, data.dev, data.test)]
    splits = split_indices(sizes, config)
    return Experiment(ids, labels, vocab, data.classes, splits)


def split_indices(sizes, config):
    """The ``Split`` list for a set whose train / dev / test parts have ``sizes`` (None: absent),
    their sentences stored in that order (see the module docstring)."""
    n_train, n_dev, n_test = sizes
    if n_test is None:
        if config.folds is not None and config.folds > CV_FOLDS:
            raise ConfigError(f"--folds is at most {CV_FOLDS}, got {config.folds}")
        if n_train < CV_FOLDS:
            raise ConfigError(
                f"{config.dataset} has {n_train} sentences: {CV_FOLDS}-fold cross-validation "
                f"needs at least {CV_FOLDS}"
            )
        folds = kfold_indices(n_train, CV_FOLDS, config.seed)
        chosen = range(CV_FOLDS if config.folds is None else config.folds)
        return [_fold_split(folds, k, config) for k in chosen]
    if config.folds is not None:
        raise ConfigError(
            f"{config.dataset} has its own test split: --folds applies only to a set "
            "without one (mr, subj, a file)"
        )
    train = np.arange(n_train)
    if n_dev is None:
        train, dev = holdout(train, config.dev_fraction, config.seed)
        return [Split(train, dev, n_train + np.arange(n_test))]
    return [Split(train, n_train + np.arange(n_dev), n_train + n_dev + np.arange(n_test))]


def _fold_split(folds, k, config):
    rest = np.concatenate([fold for i, fold in enumerate(folds) if i != k])
    train, dev = holdout(rest, config.dev_fraction, config.seed + k)
    return Split(train, dev, folds[k])


def batch_order(n, seed, fold, epoch):
    """The shuffled order of the ``n`` training sentences in epoch ``epoch`` of split
    ``fold``: a function of the four numbers alone, so a resumed run and a PyTorch twin see
    the same batches."""
    return np.random.default_rng([seed, fold, epoch]).permutation(n)


def build_model(config, vocab_size, num_classes, fold=0):
    """The ``TextCNN`` of ``config``, initialised from seed ``config.seed + fold``."""
    random.manual_seed(config.seed + fold)
    return TextCNN(
        vocab_size,
        num_classes,
        embedding_dim=config.embedding_dim,
        windows=config.windows,
        maps=config.maps,
        dropout=config.dropout,
    )


def make_optimizer(config, model):
    """Kim's Adadelta: ρ and ε of ``config``, learning rate 1 (Zeiler's rule as it is)."""
    return optim.Adadelta(model.parameters(), lr=1.0, rho=config.rho, eps=config.eps)


def accuracy(model, ids, labels, device="cpu"):
    """Fraction of ``ids`` rows (eval mode, batches of 500) whose argmax is their label."""
    was_training = model.training
    model.eval()
    correct = 0
    with no_grad():
        for start in range(0, len(ids), EVAL_BATCH):
            scores = model(as_tensor(ids[start : start + EVAL_BATCH], device=device))
            predicted = np.asarray(scores.numpy()).argmax(axis=1)
            correct += int((predicted == labels[start : start + EVAL_BATCH]).sum())
    model.train(was_training)
    return correct / max(len(ids), 1)


def train_epoch(model, optimizer, ids, labels, order, config):
    """One pass over the training rows in ``order``, batch by batch: cross-entropy, Adadelta
    step, max-norm on the output weights. Returns the mean training loss and accuracy."""
    model.train()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(order), config.batch_size):
        rows = order[start : start + config.batch_size]
        scores = model(as_tensor(ids[rows], device=config.device))
        targets = as_tensor(labels[rows], device=config.device)
        loss = F.cross_entropy(scores, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.max_norm_(config.max_norm)
        loss_sum += loss.item() * len(rows)
        correct += int((np.asarray(scores.numpy()).argmax(axis=1) == labels[rows]).sum())
    return loss_sum / len(order), correct / len(order)


def train_textcnn(config, out_dir, resume=False, download=False, log=None):
    """Train every split of ``config`` into the run folder ``out_dir``; return the metrics
    (also written to ``metrics.json``). ``log(line)`` is told one line per epoch and fold."""
    memory.keep_freed_memory()
    log = log or (lambda line: None)
    last = os.path.join(out_dir, "checkpoints", "last.ckpt")
    snapshot = None
    if resume and os.path.isfile(last):
        check_same_run(
            read_textcnn_config(out_dir), config, may_differ=("epochs", "folds", "device")
        )
        snapshot = checkpoint.load(last)
    experiment = prepare(config, download)
    os.makedirs(os.path.join(out_dir, "checkpoints"), exist_ok=True)
    write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
    write_json(
        os.path.join(out_dir, "vocab.json"),
        {"words": experiment.vocab.itos, "classes": experiment.classes},
    )
    started = time.perf_counter()
    results, start, saved = [], 0, None
    if snapshot is not None:
        results, start = list(snapshot["earlier"]), int(snapshot["fold"])
        if int(snapshot["epoch"]) < config.epochs:
            saved = snapshot
        else:
            results.append(dict(snapshot["best"]))
            start += 1
    for fold in range(start, len(experiment.splits)):
        resumed = saved if fold == start else None
        results.append(_train_split(experiment, fold, config, out_dir, resumed, results, log))
    return _finish(results, config, out_dir, time.perf_counter() - started)


def _train_split(experiment, fold, config, out_dir, snapshot, earlier, log):
    """Train split ``fold`` for ``config.epochs`` epochs (from ``snapshot`` when resuming);
    return its result: the best dev accuracy, its epoch and the test accuracy there.
    ``earlier``, the results of the splits before, goes into every checkpoint."""
    model = build_model(config, len(experiment.vocab), len(experiment.classes), fold)
    model.to(config.device)
    optimizer = make_optimizer(config, model)
    best = {"fold": fold + 1, "best_epoch": 0, "dev_accuracy": -1.0, "test_accuracy": None}
    epoch = 0
    if snapshot is not None:
        model.load_state_dict(snapshot["model"])
        optimizer.load_state_dict(snapshot["optimizer"])
        random.set_state(snapshot["rng"])
        best, epoch = dict(snapshot["best"]), int(snapshot["epoch"])
    while epoch < config.epochs:
        row = _run_epoch(model, optimizer, experiment, fold, epoch, config)
        epoch += 1
        if row["dev_accuracy"] >= best["dev_accuracy"]:
            best.update(best_epoch=epoch, **{k: row[k] for k in ("dev_accuracy", "test_accuracy")})
            checkpoint.save({"model": model.state_dict()}, _fold_checkpoint(out_dir, fold))
        _append_log(out_dir, row)
        checkpoint.save(
            {
                "fold": fold,
                "epoch": epoch,
                "best": best,
                "earlier": list(earlier),
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "rng": random.get_state(),
            },
            os.path.join(out_dir, "checkpoints", "last.ckpt"),
        )
        log(
            f"fold {fold + 1}/{len(experiment.splits)} epoch {epoch}/{config.epochs}: "
            f"loss {row['loss']:.4f}, dev {row['dev_accuracy']:.4f}, "
            f"test {row['test_accuracy']:.4f} ({row['seconds']:.1f} s)"
        )
    return best


def _run_epoch(model, optimizer, experiment, fold, epoch, config):
    """Train split ``fold`` for its epoch ``epoch`` (counted from 0), then measure it: the
    log row (split and epoch counted from 1)."""
    began = time.perf_counter()
    split, ids, labels = experiment.splits[fold], experiment.ids, experiment.labels
    order = split.train[batch_order(len(split.train), config.seed, fold, epoch)]
    loss, train_accuracy = train_epoch(model, optimizer, ids, labels, order, config)
    return {
        "fold": fold + 1,
        "epoch": epoch + 1,
        "loss": loss,
        "accuracy": train_accuracy,
        "dev_accuracy": accuracy(model, ids[split.dev], labels[split.dev], config.device),
        "test_accuracy": accuracy(model, ids[split.test], labels[split.test], config.device),
        "seconds": time.perf_counter() - began,
    }


def _fold_checkpoint(out_dir, fold):
    return os.path.join(out_dir, "checkpoints", f"fold-{fold + 1}.ckpt")


def _append_log(out_dir, row):
    path = os.path.join(out_dir, "log.csv")
    new = not os.path.isfile(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def _finish(results, config, out_dir, seconds):
    tests = [r["test_accuracy"] for r in results]
    metrics = {
        "dataset": config.dataset,
        "test_accuracy": float(np.mean(tests)),
        "test_accuracy_std": float(np.std(tests)),
        "splits": len(results),
        "folds": results,
        "seconds": round(seconds, 3),
        "config": dataclasses.asdict(config),
    }
    write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def read_textcnn_config(out_dir):
    """The ``TextCNNConfig`` saved in a TextCNN run folder."""
    saved = read_run_config(out_dir)
    known = {f.name for f in dataclasses.fields(TextCNNConfig)}
    if "windows" not in saved or not set(saved) <= known:
        raise ConfigError(
            f"{out_dir} is not a textcnn run (its config.json is not a TextCNNConfig)"
        )
    return TextCNNConfig(**saved)
