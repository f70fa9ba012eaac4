"""Image captioning on synthetic MNIST scenes (``data.captions``): the trainer of
``models.captioner.Captioner``.

Training scenes are built from the first 55,000 MNIST training digits, held-out scenes from the
test digits, a share of them (``unseen_fraction``) around the caption combinations that no
training scene holds. Each epoch: teacher forcing with Adam over the training scenes, shuffled,
at a learning rate that follows a cosine to 0 over the epochs; then greedy captions of the
held-out scenes, scored by exact match (the whole caption right) and corpus BLEU-4 (sacrebleu,
``train.metrics.bleu``), over all of them and over the unseen combinations alone.

A run folder holds::

    RUN_DIR/config.json         the CaptionConfig
    RUN_DIR/log.jsonl           one line per epoch: loss, held-out exact match and BLEU
    RUN_DIR/checkpoints/        last.ckpt (model, optimiser, epoch, random state)
    RUN_DIR/metrics.json        the last epoch's held-out figures (greedy, and ``beam_…`` with
                            beam search), seconds, config
    RUN_DIR/captions.png        held-out scenes with the captions the model writes
"""

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import data, random
from ..creation import as_tensor
from ..data.captions import CANVAS, WORDS, make_scenes
from ..models.captioner import Captioner
from ..optim import clip_grad_norm_
from ..optim.lr_scheduler import CosineAnnealingLR
from ..train import checkpoint
from ..train.metrics import bleu
from .common import (
    ConfigError,
    check_same_run,
    make_optimizer,
    read_grey_image,
    read_run_config,
    resume_schedule,
    write_json,
)

__all__ = [
    "CaptionConfig",
    "make_corpus",
    "encode_captions",
    "caption",
    "evaluate",
    "train_captioner",
    "load_captioner",
    "read_scene",
]

WORD_IDS = {word: i for i, word in enumerate(WORDS)}
PAD, BOS, EOS = (WORD_IDS[w] for w in ("<pad>", "<bos>", "<eos>"))
TRAIN_DIGITS = 55000
PICTURE_SCENES = 12


@dataclass
class CaptionConfig:
    """Every choice of a captioning run; saved as ``config.json``. ``attention``: "additive"
    or "dot" over the encoder's 6×6 grid, or None (the picture reaches the decoder through h₀
    alone; measured: with Adam the wide h₀ layer saturates within a few steps and the decoder
    learns only the grammar, 0% exact match). ``width``: the encoder's first convolution's
    channels, doubled by each of the next two. ``lr`` is Adam's learning rate at the start; it
    follows a cosine from there to 0 over ``epochs`` (``optim.lr_scheduler.CosineAnnealingLR``,
    stepped once an epoch). ``beam``: the width of the beam search that captions the held-out
    scenes once more after the last epoch (0: greedy decoding only)."""

    train_scenes: int = 40000
    test_scenes: int = 2000
    unseen_fraction: float = 0.25
    attention: str = "additive"
    hidden: int = 128
    embedding: int = 32
    width: int = 16
    epochs: int = 30
    batch_size: int = 64
    lr: float = 2e-3
    clip: float = 5.0
    beam: int = 5
    seed: int = 0
    data_dir: str = None


def make_corpus(config, download=False):
    """(training scenes, held-out scenes) of ``config``, from MNIST's training and test digits."""
    train = data.MNIST(config.data_dir, train=True, download=download)
    test = data.MNIST(config.data_dir, train=False, download=download)
    train_digits = (train.data[:TRAIN_DIGITS], train.labels[:TRAIN_DIGITS])
    return (
        make_scenes(*train_digits, config.train_scenes, seed=config.seed),
        make_scenes(
            test.data,
            test.labels,
            config.test_scenes,
            seed=config.seed + 1,
            unseen_fraction=config.unseen_fraction,
        ),
    )


def encode_captions(captions):
    """Word lists → ids (T, N): ``<bos>`` words ``<eos>``, padded with ``<pad>``."""
    length = max(len(c) for c in captions) + 2
    ids = np.full((length, len(captions)), PAD, dtype=np.int64)
    for n, caption in enumerate(captions):
        ids[: len(caption) + 2, n] = [BOS, *(WORD_IDS[w] for w in caption), EOS]
    return ids


def build_model(config):
    random.manual_seed(config.seed)
    return Captioner(
        len(WORDS),
        config.hidden,
        config.embedding,
        config.attention,
        PAD,
        BOS,
        EOS,
        config.width,
    )


def caption(model, images, beam_width=0, batch_size=500):
    """Captions (word lists) of ``images`` (N, 1, 96, 96): greedy, or beam search of
    ``beam_width``."""
    model.eval()
    written = []
    for start in range(0, len(images), batch_size):
        batch = as_tensor(images[start : start + batch_size])
        ids = model.beam_search(batch, beam_width) if beam_width else model.greedy(batch)
        written += [[WORDS[i] for i in sentence] for sentence in ids]
    return written


def evaluate(model, scenes, beam_width=0):
    """Exact match and BLEU-4 of the captions of ``scenes`` (greedy, or beam search of
    ``beam_width``), all and unseen only (None where no scene holds an unseen combination)."""
    written = caption(model, scenes.images, beam_width)
    result = {}
    for name, rows in (("", slice(None)), ("unseen_", scenes.unseen)):
        picked = np.arange(len(written))[rows]
        if len(picked) == 0:
            result[f"{name}exact_match"] = result[f"{name}bleu"] = None
            continue
        hypotheses = [written[i] for i in picked]
        references = [scenes.captions[i] for i in picked]
        result[f"{name}exact_match"] = float(
            np.mean([h == r for h, r in zip(hypotheses, references)])
        )
        result[f"{name}bleu"] = bleu(hypotheses, references)
    return result, written


def train_captioner(config, out_dir, resume=False, log=print, download=False):
    """Train into ``out_dir``; return the final held-out metrics (also in ``metrics.json``)."""
    os.makedirs(os.path.join(out_dir, "checkpoints"), exist_ok=True)
    last = os.path.join(out_dir, "checkpoints", "last.ckpt")
    if resume and os.path.isfile(last):
        check_same_run(CaptionConfig(**read_run_config(out_dir)), config)
    write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
    train, test = make_corpus(config, download)
    targets = encode_captions(train.captions)
    model = build_model(config)
    optimizer = make_optimizer("adam", model.parameters(), config.lr)
    epoch, order = 0, np.random.default_rng(config.seed)
    if resume and os.path.isfile(last):
        saved = checkpoint.load(last)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        epoch = int(saved["epoch"])
        order.bit_generator.state = saved["order"]
    schedule = CosineAnnealingLR(optimizer, T_max=config.epochs)
    resume_schedule(schedule, epoch)
    started = time.perf_counter()
    metrics = {}
    while epoch < config.epochs:
        loss = _train_epoch(model, optimizer, train.images, targets, order, config)
        epoch += 1
        schedule.step()
        metrics, written = evaluate(model, test)
        metrics.update(epoch=epoch, loss=loss, seconds=round(time.perf_counter() - started, 1))
        log(json.dumps(metrics))
        with open(os.path.join(out_dir, "log.jsonl"), "a") as f:
            f.write(json.dumps(metrics) + "\n")
        snapshot = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch,
            "order": order.bit_generator.state,
        }
        checkpoint.save(snapshot, last)
        _draw(test, written, os.path.join(out_dir, "captions.png"))
    if not metrics:  # resumed after its last epoch: measure the saved model again
        metrics, _ = evaluate(model, test)
        metrics["epoch"] = epoch
    if config.beam:
        beam, _ = evaluate(model, test, config.beam)
        metrics.update({f"beam_{name}": value for name, value in beam.items()})
    metrics["config"] = dataclasses.asdict(config)
    write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def load_captioner(run_dir):
    """The trained model of a run folder (last checkpoint, eval mode) and its config;
    ``ConfigError`` when the folder holds no captioner run."""
    last = Path(run_dir) / "checkpoints" / "last.ckpt"
    saved = read_run_config(run_dir)
    if "unseen_fraction" not in saved or not last.exists():
        raise ConfigError(
            f"{run_dir} holds no trained captioner: train one with chainrule train captioner"
        )
    config = CaptionConfig(**saved)
    model = build_model(config)
    model.load_state_dict(checkpoint.load(last)["model"])
    model.eval()
    return model, config


def read_scene(config, path=None, scene=None):
    """The (96, 96) picture to caption, in [0, 1]: the grey-level image file ``path`` (ink
    bright on dark, as MNIST), or held-out scene ``scene`` of the run."""
    if path is not None:
        return read_grey_image(path, CANVAS, "the captioner") / np.float32(255)
    _, test = make_corpus(config)
    if scene >= len(test.images):
        raise ConfigError(
            f"--scene {scene} is out of range: the run has {len(test.images)} held-out scenes"
        )
    return test.images[scene, 0]


def _train_epoch(model, optimizer, images, targets, order, config):
    model.train()
    total, batches = 0.0, 0
    permutation = order.permutation(len(images))
    for start in range(0, len(images), config.batch_size):
        rows = permutation[start : start + config.batch_size]
        batch = targets[:, rows]
        batch = batch[: (batch != PAD).any(axis=1).sum()]
        loss = model.loss(as_tensor(images[rows]), as_tensor(batch))
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        total, batches = total + loss.item(), batches + 1
    return total / batches


def _draw(scenes, written, path):
    from ..viz.figure import plt, save

    figure, axes = plt.subplots(3, 4, figsize=(12, 10), layout="constrained")
    for ax, image, truth, said in zip(axes.ravel(), scenes.images, scenes.captions, written):
        ax.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
        mark = "✓" if said == truth else "✗"
        ax.set_title(f"{mark} {' '.join(said)}", fontsize=8, color="k" if said == truth else "r")
    save(figure, path)
