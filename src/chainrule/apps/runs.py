"""Run folders: which app wrote one (``run_kind``), whether ``chainrule train`` may write
into one (``check_run_folder``), and a trained classifier back from its folder — what
``chainrule eval`` measures and ``chainrule viz`` draws.

A classifier's ``config.json`` names the model, its variant and the data set; the model is
rebuilt from the registry (``models.build``) and given the weights of a checkpoint. The test
split comes with it, as the model sees it (normalised).
"""

import dataclasses
import os
from dataclasses import dataclass

from .. import data, models
from ..backend import to_device
from ..models.seq2seq import WEIGHTS_FILE
from ..train import checkpoint
from . import classify
from .common import ConfigError, RunFolderError, read_run_config

__all__ = [
    "KINDS",
    "run_kind",
    "require_kind",
    "last_checkpoint",
    "check_run_folder",
    "TrainedRun",
    "load_run",
    "evaluate_run",
]

# kind of run -> (the config.json key only its config has, the commands that read it)
KINDS = {
    "classifier": ("model", "chainrule eval or chainrule viz"),
    "char-lm": ("corpus", "chainrule sample"),
    "captioner": ("unseen_fraction", "its metrics.json and captions.png"),  # before seq2seq:
    "seq2seq": ("attention", "chainrule translate"),  # both configs have an attention
    "textcnn": ("windows", "its metrics.json"),
    "detector": ("canvas", "chainrule detect"),
    "autoencoder": ("noise_kind", "its metrics.json and reconstructions.png"),
}


def run_kind(run_dir):
    """Which app wrote the run folder ``run_dir``: a key of ``KINDS``, read from the keys of
    its ``config.json``."""
    saved = read_run_config(run_dir)
    for kind, (key, _) in KINDS.items():
        if key in saved:
            return kind
    raise ConfigError(f"{run_dir} is not a chainrule run folder: its config.json names no app")


def require_kind(run_dir, kind, command):
    """Raise ``ConfigError`` unless ``run_dir`` is a run of ``kind``, naming what the run is
    and the commands that read it (``command`` is the one that was refused)."""
    actual = run_kind(run_dir)
    if actual != kind:
        raise ConfigError(
            f"{run_dir} is a {actual} run, which {command} cannot read; "
            f"use {KINDS[actual][1]} with it"
        )


def last_checkpoint(run_dir):
    """The path of the checkpoint a resumed run continues from."""
    return os.path.join(run_dir, "checkpoints", "last.ckpt")


def check_run_folder(run_dir, resume, resumable=True):
    """Refuse (``ConfigError``) to train into ``run_dir`` when that would lose or invent a run:
    a file in its place; a new run where a run already is (a checkpoint, or a seq2seq run's
    model); a resume with no checkpoint to continue from. Nothing is deleted."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ConfigError(f"--out {run_dir} is a file, not a folder; choose another --out")
    checkpoint_path = last_checkpoint(run_dir)
    has_run = os.path.isfile(checkpoint_path) or os.path.isfile(os.path.join(run_dir, WEIGHTS_FILE))
    if resume and not os.path.isfile(checkpoint_path):
        raise ConfigError(
            f"{run_dir} holds no checkpoint to resume from (no {checkpoint_path}); "
            "leave out --resume to start a new run there"
        )
    if has_run and not resume:
        advice = "pass --resume to continue it or choose" if resumable else "choose"
        raise ConfigError(f"{run_dir} already holds a run; {advice} another --out")


@dataclass
class TrainedRun:
    """A rebuilt model in eval mode, its ``RunConfig`` (device and data root as loaded), and the
    test set as NumPy arrays: ``images`` (N, C, H, W) normalised as in training and ``labels``
    (N,) of ``num_classes``."""

    model: object
    config: object
    images: object
    labels: object
    num_classes: int
    directory: str


def load_run(run_dir, which="last", data_dir=None, device=None):
    """The model of run folder ``run_dir`` with the weights of checkpoint ``which`` (``last`` or
    ``best``), on ``device`` (None: the run's). ``data_dir`` overrides the run's data root."""
    config = classify.read_config(run_dir)
    config = dataclasses.replace(
        config, device=device or config.device, data_dir=data_dir or config.data_dir
    )
    path = os.path.join(run_dir, "checkpoints", f"{which}.ckpt")
    if not os.path.isfile(path):
        raise RunFolderError(
            f"{run_dir} has no '{which}' checkpoint (looked for {path}); "
            "was it written by `chainrule train`?"
        )
    splits = classify.load_splits(dataclasses.replace(config, distort=False))
    model = models.build(config.model, splits.input_shape, splits.num_classes, config.variant)
    model.to(config.device)
    model.load_state_dict(checkpoint.load(path)["model"])
    model.eval()
    images, labels = (to_device(array, "cpu") for array in splits.test.arrays)
    return TrainedRun(
        model=model,
        config=config,
        images=images,
        labels=labels,
        num_classes=splits.num_classes,
        directory=str(run_dir),
    )


def evaluate_run(trained):
    """Test loss, accuracy and confusion matrix of a ``TrainedRun`` (``test_*``), measured on
    the run's device."""
    test_set = data.TensorDataset(trained.images, trained.labels)
    return classify.evaluate_test_set(trained.model, test_set, trained.config)
