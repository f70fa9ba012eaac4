"""What every app shares: optimisers and schedules by name, the run folder's JSON files, the
resume check, the progress shown while training, and the curves drawn after each epoch.

A run's config names its optimiser and learning-rate schedule by a word (``"adam"``,
``"cosine"``), so a run folder's ``config.json`` says everything needed to rebuild the run.
"""

import dataclasses
import json
import os
import sys

import numpy as np

from .. import optim
from ..errors import ChainruleError
from ..train.callbacks import CSVLogger, CurvePlot, EpochSummary, JSONLinesLogger, ProgressBar

__all__ = [
    "OPTIMIZERS",
    "LR_SCHEDULES",
    "make_optimizer",
    "ConfigError",
    "RunFolderError",
    "read_run_config",
    "check_same_run",
    "resume_schedule",
    "progress_callbacks",
    "write_json",
    "plot_curves",
]


class ConfigError(ChainruleError, ValueError):
    """A run's options cannot work: an impossible split, or a resume with other options."""


class RunFolderError(ChainruleError, FileNotFoundError):
    """A folder is not the run folder a command needs: no config.json, or no checkpoint."""


# name -> (factory(params, lr, weight_decay), standard learning rate)
OPTIMIZERS = {
    "sgd": (lambda p, lr, wd: optim.SGD(p, lr=lr, weight_decay=wd), 0.1),
    "momentum": (lambda p, lr, wd: optim.SGD(p, lr=lr, momentum=0.9, weight_decay=wd), 0.01),
    "nesterov": (
        lambda p, lr, wd: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd),
        0.01,
    ),
    "adagrad": (lambda p, lr, wd: optim.Adagrad(p, lr=lr, weight_decay=wd), 0.01),
    "adadelta": (lambda p, lr, wd: optim.Adadelta(p, lr=lr, weight_decay=wd), 1.0),
    "rmsprop": (lambda p, lr, wd: optim.RMSprop(p, lr=lr, weight_decay=wd), 1e-3),
    "adam": (lambda p, lr, wd: optim.Adam(p, lr=lr, weight_decay=wd), 1e-3),
    "adamw": (lambda p, lr, wd: optim.AdamW(p, lr=lr, weight_decay=wd or 1e-2), 1e-3),
}


# name -> factory(optimizer, epochs): the scheduler stepped after every epoch, or None
LR_SCHEDULES = {
    "constant": lambda optimizer, epochs: None,
    "cosine": lambda optimizer, epochs: optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=epochs
    ),
    # ÷10 at half and at three quarters of the run: He et al. 2016's epochs 82 and 123 of 164
    "multistep": lambda optimizer, epochs: optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[epochs // 2, epochs * 3 // 4], gamma=0.1
    ),
}


def make_optimizer(name, params, lr=None, weight_decay=0.0):
    """Optimiser ``name`` (a key of ``OPTIMIZERS``) over ``params``; ``lr=None`` → its standard
    rate. AdamW's decoupled weight decay defaults to 0.01 when ``weight_decay`` is 0."""
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    factory, standard_lr = OPTIMIZERS[name]
    return factory(params, standard_lr if lr is None else lr, weight_decay)


def read_run_config(out_dir):
    """The ``config.json`` of the run folder ``out_dir``, as a dict; ``RunFolderError`` when
    there is none, ``ConfigError`` when it is no JSON object."""
    path = os.path.join(out_dir, "config.json")
    if not os.path.isfile(path):
        raise RunFolderError(f"{path} not found: {out_dir} is not a chainrule run folder")
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
    except ValueError as error:  # not JSON, or not UTF-8
        raise ConfigError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(saved, dict):
        raise ConfigError(f"{path} holds no JSON object: {out_dir} is not a chainrule run folder")
    return saved


def check_same_run(saved, config, may_differ=("epochs", "device")):
    """Raise ``ConfigError`` naming every option of ``config`` (a dataclass) that differs from
    the ``saved`` config of the run being resumed, except those in ``may_differ``."""
    different = [
        f"{k}: {v!r} in the run, {getattr(config, k)!r} now"
        for k, v in dataclasses.asdict(saved).items()
        if k not in may_differ and getattr(config, k) != v
    ]
    if different:
        raise ConfigError(
            "cannot resume: the options differ from the run being "
            "resumed (" + "; ".join(different) + ")"
        )


def resume_schedule(scheduler, epoch):
    """Continue ``scheduler`` — built afresh for the number of epochs the run has now — after
    ``epoch`` finished epochs, setting the learning rate of the next one, as torch's
    ``Scheduler(optimizer, ..., last_epoch=epoch - 1)`` does (load the optimiser's state first).

    With the run's epochs unchanged this is the saved schedule to the bit (every schedule of
    ``LR_SCHEDULES`` computes epoch k's rate from k alone); a run resumed with more or fewer
    epochs follows the schedule laid out over the new total — a cosine stretched, multistep
    milestones moved — instead of the old one running past its end."""
    scheduler.last_epoch = epoch - 1
    scheduler.step()


def run_logs(out_dir):
    """The records every run folder holds, written after each epoch: ``log.csv``,
    ``log.jsonl`` and the curves of its metrics, ``curves.png``."""
    return [
        CSVLogger(os.path.join(out_dir, "log.csv")),
        JSONLinesLogger(os.path.join(out_dir, "log.jsonl")),
        CurvePlot(os.path.join(out_dir, "curves.png"), plot_curves),
    ]


def progress_callbacks(progress):
    """What a run shows while it trains: ``"auto"`` (or True), a tqdm bar when stderr is a
    terminal and one line per epoch (``EpochSummary``) when it is not; ``"lines"``, one line
    per epoch; False or None, nothing."""
    if not progress:
        return []
    if progress != "lines" and sys.stderr.isatty():
        return [ProgressBar()]
    return [EpochSummary()]


def read_grey_image(path, size, reader):
    """The image file ``path`` as a (size, size) uint8 grey-level array; ``ConfigError`` naming
    the file when it cannot be read or has another size (``reader`` names what takes it)."""
    from PIL import Image

    try:
        image = np.asarray(Image.open(path).convert("L"))
    except OSError as error:
        raise ConfigError(f"cannot read the image {path}: {error}") from None
    if image.shape != (size, size):
        raise ConfigError(
            f"{path} is {image.shape[1]}×{image.shape[0]}; {reader} takes {size}×{size} "
            "grey-level images"
        )
    return image


def run_timing(history, seconds, snapshot):
    """How long a run took, for its metrics.json: the epochs in its history, the wall seconds of
    this call, the training seconds of every epoch summed (across resumes), and the epoch it
    resumed from (None for a fresh run)."""
    return {
        "epochs": len(history),
        "seconds": round(seconds, 3),
        "train_seconds_total": round(sum(logs["seconds"] for logs in history), 3),
        "resumed_from_epoch": None if snapshot is None else int(snapshot["epoch"]),
    }


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def plot_curves(history, path):
    """The drawing that the apps hand to ``train.CurvePlot``: ``viz.curves.plot_history``,
    imported on the first call so that matplotlib loads only when a curve is drawn."""
    from ..viz.curves import plot_history

    plot_history(history, path)
