"""Classifying images: the app behind ``chainrule train mlp`` and ``chainrule train lenet5``.

A complete training run in a folder: data splits, optimiser by name, callbacks, final test (the
MNIST reproduction scripts call it too). ``RunConfig`` names every choice; ``load_splits`` reads
a data set and holds out a validation split (the *last* ``val_size`` training samples — the test
set is never used for choices); ``train_run`` trains a model given to it and writes the run folder::

    RUN_DIR/config.json     the RunConfig
    RUN_DIR/log.csv         one row per epoch (also log.jsonl)
    RUN_DIR/curves.png      train/validation loss and accuracy per epoch
    RUN_DIR/checkpoints/    last.ckpt (every epoch), best.ckpt (lowest val_loss); resumable
    RUN_DIR/metrics.json    final test_loss, test_accuracy, epochs, seconds, config
    RUN_DIR/confusion.csv   test confusion matrix (rows: true class, columns: predicted)

The model itself comes from the caller (``chainrule.models.build(name, ...)``, whose
``RECIPES`` hold each model's training values); ``apps.runs`` reads a finished run back.
"""

import dataclasses
import os
import time
from dataclasses import dataclass

import numpy as np

from .. import data, distributed, random
from ..creation import as_tensor
from ..data.augment import RandomDistortion
from ..data.cifar import CIFAR10_MEAN, CIFAR10_STD
from ..data.mnist import MNIST_MEAN, MNIST_STD
from ..train import checkpoint
from ..train.callbacks import EarlyStopping, ModelCheckpoint
from ..train.loop import evaluate, fit
from .common import (
    LR_SCHEDULES,
    ConfigError,
    check_same_run,
    make_optimizer,
    progress_callbacks,
    read_run_config,
    resume_schedule,
    run_logs,
    run_timing,
    write_json,
)

__all__ = [
    "RunConfig",
    "DATASETS",
    "LOSS_NAMES",
    "loss_name",
    "Splits",
    "load_splits",
    "train_run",
    "evaluate_test_set",
    "read_config",
]


@dataclass
class RunConfig:
    """Every choice of a training run; saved as ``config.json`` in the run folder.

    ``lr=None`` takes the optimiser's standard rate from ``common.OPTIMIZERS``; ``lr_schedule``
    is a key of ``common.LR_SCHEDULES``, stepped once per epoch. ``limit_train`` keeps only the
    first N training samples (quick runs and tests). ``patience`` turns on early stopping on
    ``val_loss``. ``variant`` picks one of the model's registered variants (None: its default).
    ``distort`` draws a fresh random distortion (``data.augment.RandomDistortion``) of every
    training image each time it is used.
    """

    model: str = "mlp"
    variant: str = None
    dataset: str = "mnist"
    epochs: int = 10
    optimizer: str = "adam"
    lr: float = None
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    batch_size: int = 128
    val_size: int = 5000
    limit_train: int = None
    patience: int = None
    seed: int = 0
    device: str = "cpu"
    data_dir: str = None
    distort: bool = False


@dataclass
class Splits:
    """Train, validation and test sets (``TensorDataset``s), the input shape and class count."""

    train: object
    val: object
    test: object
    input_shape: tuple
    num_classes: int


def _mnist(data_dir, download, distort=False):
    def transform(*distortion):
        return data.transforms.Compose(
            [
                data.transforms.ToTensor(),
                *distortion,
                data.transforms.Normalize(MNIST_MEAN, MNIST_STD),
            ]
        )

    train = data.MNIST(data_dir, train=True, download=download, transform=transform())
    test = data.MNIST(data_dir, train=False, download=download, transform=transform())
    distorted = (
        data.MNIST(data_dir, train=True, transform=transform(RandomDistortion()))
        if distort
        else None
    )
    return train, test, (1, 28, 28), 10, distorted


def _cifar10(data_dir, download, distort=False):
    """CIFAR-10 normalised per channel; ``distort``: He et al. 2016's augmentation, a random
    32×32 crop of the image padded by 4 black pixels, mirrored with probability 1/2.

    The training images are interleaved by class (one of each class in turn), so the last
    ``val_size`` of them hold every class equally, whatever the file order."""

    def transform(*augmentation):
        return data.transforms.Compose(
            [
                data.transforms.ToTensor(),
                *augmentation,
                data.transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD),
            ]
        )

    train = data.CIFAR10(data_dir, train=True, download=download, transform=transform())
    test = data.CIFAR10(data_dir, train=False, download=download, transform=transform())
    order = _interleaved_by_class(train.targets)
    augmented = None
    if distort:
        augmentation = (
            data.transforms.RandomCrop(32, padding=4),
            data.transforms.RandomHorizontalFlip(),
        )
        augmented = data.Subset(
            data.CIFAR10(data_dir, train=True, transform=transform(*augmentation)), order
        )
    return data.Subset(train, order), test, (3, 32, 32), 10, augmented


def _interleaved_by_class(labels):
    """Indices taking the first sample of each class, then the second of each, and so on."""
    labels = np.asarray(labels)
    rank_in_class = np.empty(len(labels), np.int64)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rank_in_class[members] = np.arange(len(members))
    return np.lexsort((labels, rank_in_class))


def _image_folder(root, distort=False):
    """The user's images: ``root/train/<class>/…`` and ``root/test/<class>/…`` (or ``val/``),
    each split in torchvision's ``ImageFolder`` layout with the same classes and images of one
    size; decoded once into memory and normalised per channel by the training images' mean and
    standard deviation. ``distort``: the CIFAR-10 augmentation (a random crop of the image
    padded by 4 pixels, a horizontal flip).

    The training images are interleaved by class, as CIFAR-10's, so the last ``val_size`` of
    them (the validation split) and the first ``limit_train`` hold every class, not the last
    class folder's images alone."""
    train_images, train_labels, classes = _image_split(root, "train")
    order = _interleaved_by_class(train_labels)
    train_images, train_labels = train_images[order], train_labels[order]
    test_split = "test" if os.path.isdir(os.path.join(root, "test")) else "val"
    test_images, test_labels, test_classes = _image_split(root, test_split)
    if test_classes != classes:
        raise ConfigError(
            f"{root}: {test_split}/ has the classes {', '.join(test_classes)} but train/ has "
            f"{', '.join(classes)}; both splits need the same class folders"
        )
    channels = [train_images[..., c] / 255.0 for c in range(3)]
    mean = tuple(float(channel.mean()) for channel in channels)
    std = tuple(max(float(channel.std()), 1 / 255) for channel in channels)  # a flat channel

    def transform(*augmentation):
        return data.transforms.Compose(
            [data.transforms.ToTensor(), *augmentation, data.transforms.Normalize(mean, std)]
        )

    height, width = train_images.shape[1:3]
    augmented = None
    if distort:
        augmentation = (
            data.transforms.RandomCrop((height, width), padding=4),
            data.transforms.RandomHorizontalFlip(),
        )
        augmented = data.ImageArrays(train_images, train_labels, transform(*augmentation))
    return (
        data.ImageArrays(train_images, train_labels, transform()),
        data.ImageArrays(test_images, test_labels, transform()),
        (3, height, width),
        len(classes),
        augmented,
    )


def _image_split(root, split):
    folder = os.path.join(root, split)
    if not os.path.isdir(folder):
        raise ConfigError(
            f"imagefolder:{root} needs a train/ and a test/ (or val/) folder, each holding one "
            f"folder of images per class; {folder} is missing"
        )
    images = data.ImageFolder(folder)
    return (*images.to_arrays(), images.classes)


IMAGE_FOLDER = "imagefolder:"
DATASETS = {"mnist": _mnist, "cifar10": _cifar10}

# (model, variant) -> the loss it trains with, where that is not the cross-entropy: LeNet-5's
# RBF outputs are trained with the MAP criterion (LeCun et al. 1998)
LOSS_NAMES = {("lenet5", "classic"): "MAP loss", ("lenet5", "learned-connections"): "MAP loss"}


def loss_name(config):
    """The name of the loss a run of ``config`` trains and is tested with."""
    return LOSS_NAMES.get((config.model, config.variant), "cross-entropy")


def load_splits(config, download=False):
    """The data set of ``config``, normalised once and held on ``config.device``.

    Validation = the last ``val_size`` training samples; ``limit_train`` then keeps the first N
    of the rest. Raises ``chainrule.data.DatasetNotFoundError`` when the files are missing,
    unless ``download`` fetches them (with checksums) into the data root.
    """
    if config.dataset.startswith(IMAGE_FOLDER):
        root = config.dataset[len(IMAGE_FOLDER) :]
        train, test, input_shape, num_classes, distorted = _image_folder(root, config.distort)
    elif config.dataset in DATASETS:
        read = DATASETS[config.dataset]
        train, test, input_shape, num_classes, distorted = read(
            config.data_dir, download, config.distort
        )
    else:
        raise KeyError(
            f"unknown dataset {config.dataset!r}; choose one of {', '.join(DATASETS)} "
            f"or {IMAGE_FOLDER}PATH"
        )
    if not 0 <= config.val_size < len(train):
        raise ConfigError(
            f"val_size must be between 0 and {len(train) - 1}, got {config.val_size}: the data "
            f"set has {len(train)} training samples (--val-size N holds out the last N)"
        )
    cut = len(train) - config.val_size
    kept = cut if config.limit_train is None else min(config.limit_train, cut)
    return Splits(
        train=(
            data.Subset(distorted, range(kept))
            if config.distort
            else _rows(train, 0, kept, config.device)
        ),
        val=_rows(train, cut, len(train), config.device) if config.val_size else None,
        test=_rows(test, 0, len(test), config.device),
        input_shape=input_shape,
        num_classes=num_classes,
    )


def _rows(dataset, start, stop, device):
    """Samples start..stop of an in-memory data set, transformed once, as a TensorDataset."""
    images, labels = dataset.get_batch(slice(start, stop))
    return data.TensorDataset(as_tensor(images, device=device), as_tensor(labels, device=device))


def train_run(config, model, splits, out_dir, resume=False, progress="auto"):
    """Train ``model`` as ``config`` says, writing the run folder ``out_dir``; return the final
    metrics (also written to ``metrics.json``).

    ``resume=True`` continues from ``out_dir/checkpoints/last.ckpt`` (if the run got that far) and
    requires the same config apart from ``epochs`` and ``device``; the learning-rate schedule is
    laid out over the epochs of the run now (``common.resume_schedule``). ``progress`` is what
    ``common.progress_callbacks`` shows. Without a validation split, ``best.ckpt`` is the epoch
    of the lowest training loss.

    Under MPI (``chainrule train … --workers N``) each rank trains on its shard of every epoch
    with batch ``batch_size / N`` (the global batch stays ``batch_size``), and only rank 0
    writes the run folder.
    """
    main = distributed.is_main_process()
    os.makedirs(out_dir, exist_ok=True)
    last = os.path.join(out_dir, "checkpoints", "last.ckpt")
    snapshot = None
    if resume and os.path.isfile(last):
        check_same_run(read_config(out_dir), config)
        snapshot = checkpoint.load(last)
    if main:
        write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
    random.manual_seed(config.seed)
    model.to(config.device)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay)
    scheduler = LR_SCHEDULES[config.lr_schedule](optimizer, config.epochs)
    if snapshot is not None and scheduler is not None:
        snapshot = _rescheduled(snapshot, optimizer, scheduler)
    train_loader = _train_loader(splits.train, config)
    val_loader = _eval_loader(splits.val, config) if splits.val is not None else None
    monitor = "val_loss" if val_loader is not None else "loss"
    callbacks = _rank_0_callbacks(out_dir, config, monitor, progress) if main else []
    started = time.perf_counter()
    history = fit(
        model,
        optimizer,
        train_loader,
        config.epochs,
        val_loader=val_loader,
        scheduler=scheduler,
        callbacks=callbacks,
        device=config.device,
        resume=snapshot,
    )
    seconds = time.perf_counter() - started
    metrics = evaluate_test_set(model, splits.test, config)
    confusion = metrics.pop("test_confusion")
    metrics.update(
        **run_timing(history, seconds, snapshot),
        loss_name=loss_name(config),
        best_checkpoint_by=monitor,
        final_epoch=history[-1] if history else None,
        config=dataclasses.asdict(config),
        workers=distributed.get_world_size(),
    )
    if main:
        np.savetxt(os.path.join(out_dir, "confusion.csv"), confusion, fmt="%d", delimiter=",")
        write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def _train_loader(train_set, config):
    """Shuffled batches of ``batch_size``; on N ranks, this rank's shard in batches of
    ``batch_size / N``."""
    workers = distributed.get_world_size()
    if workers == 1:
        return data.DataLoader(
            train_set, batch_size=config.batch_size, shuffle=True, seed=config.seed
        )
    if config.batch_size % workers:
        raise ConfigError(
            f"--batch-size {config.batch_size} does not split into {workers} equal worker "
            "batches; choose a multiple of the number of workers"
        )
    sampler = distributed.DistributedSampler(train_set, seed=config.seed)
    return data.DataLoader(train_set, batch_size=config.batch_size // workers, sampler=sampler)


def _rank_0_callbacks(out_dir, config, monitor, progress):
    """The logs, curves, early stopping, checkpoints and progress display of a run."""
    callbacks = run_logs(out_dir)
    if config.patience is not None:
        callbacks.append(EarlyStopping(monitor=monitor, patience=config.patience))
    callbacks.append(ModelCheckpoint(os.path.join(out_dir, "checkpoints"), monitor=monitor))
    return callbacks + progress_callbacks(progress)


def _rescheduled(snapshot, optimizer, scheduler):
    """The checkpoint ``snapshot`` with the state of ``scheduler`` (built for the run's epochs
    now) continued after the snapshot's epoch, and the optimiser's learning rate set by it."""
    optimizer.load_state_dict(snapshot["optimizer"])
    resume_schedule(scheduler, int(snapshot["epoch"]))
    return {**snapshot, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}


def read_config(out_dir):
    """The ``RunConfig`` saved in a run folder."""
    saved = read_run_config(out_dir)
    if "model" not in saved or not set(saved) <= {f.name for f in dataclasses.fields(RunConfig)}:
        raise ConfigError(f"{out_dir} is not a classifier run (its config.json is no RunConfig)")
    return RunConfig(**saved)


def evaluate_test_set(model, test_set, config):
    """Loss, accuracy and confusion matrix of ``model`` on the test set, as ``test_*``."""
    measured = evaluate(model, _eval_loader(test_set, config), device=config.device)
    return {
        "test_loss": measured["loss"],
        "test_accuracy": measured["accuracy"],
        "test_confusion": measured["confusion"],
    }


def _eval_loader(dataset, config):
    return data.DataLoader(dataset, batch_size=max(config.batch_size, 1000))
