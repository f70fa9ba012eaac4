"""The convolutional autoencoder on MNIST: the app behind ``chainrule train autoencoder``.

The model (``models.autoencoder.ConvAutoencoder``) is trained with the mean squared error
between its output and its own input, pixels scaled to [0, 1]; validation is the last
``val_size`` training digits, the test figure the reconstruction MSE of the 10,000 test digits.
With ``noise`` > 0 it is a denoising autoencoder: the training input is corrupted, the target
stays clean, and the run also reports ``test_denoised_mse``, the error of the reconstructions of
corrupted test digits against the clean ones.

A run folder holds::

    RUN_DIR/config.json          the AutoencoderConfig
    RUN_DIR/log.csv, log.jsonl   one row per epoch: loss, val_loss, lr, seconds
    RUN_DIR/curves.png           train/validation loss per epoch
    RUN_DIR/checkpoints/         last.ckpt (every epoch), best.ckpt (lowest val_loss)
    RUN_DIR/reconstructions.png  test digits (corrupted ones for a denoising run) above their
                                 reconstructions
    RUN_DIR/latent.png           with --latent 2: every test digit's code, coloured by digit
    RUN_DIR/metrics.json         test_mse (and test_denoised_mse), epochs, seconds, config

``--resume`` continues from the last finished epoch with the model, optimiser and random state
restored (``train.checkpoint``), as every app's.
"""

import dataclasses
import os
import time
from dataclasses import dataclass

import numpy as np

from .. import data, random
from ..autograd import no_grad
from ..backend import to_device
from ..creation import as_tensor
from ..models.autoencoder import ConvAutoencoder
from ..train import checkpoint
from ..train.callbacks import ModelCheckpoint
from ..train.loop import evaluate, fit
from .common import (
    ConfigError,
    check_same_run,
    make_optimizer,
    progress_callbacks,
    read_run_config,
    run_logs,
    run_timing,
    write_json,
)

__all__ = [
    "AutoencoderConfig",
    "load_digits",
    "build_model",
    "train_autoencoder",
    "read_autoencoder_config",
]

PICTURE_DIGITS = 12
EVAL_BATCH = 1000


@dataclass
class AutoencoderConfig:
    """Every choice of an autoencoder run; saved as ``config.json`` in the run folder.

    ``decoder``: "transpose" or "upsample". ``latent``: a bottleneck of that many numbers (None:
    the 32×7×7 code). ``noise``: the denoising corruption's σ (gaussian) or probability (mask),
    0 for a plain autoencoder. ``limit_train`` keeps the first N training digits.
    """

    decoder: str = "transpose"
    latent: int = None
    noise: float = 0.0
    noise_kind: str = "gaussian"
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    val_size: int = 5000
    limit_train: int = None
    seed: int = 0
    device: str = "cpu"
    data_dir: str = None


@dataclass
class Digits:
    """Images (N, 1, 28, 28) float32 in [0, 1] and labels (N,), NumPy, per split."""

    train: tuple
    val: tuple
    test: tuple


def load_digits(config, download=False):
    """MNIST scaled to [0, 1]: validation = the last ``val_size`` training digits, then the
    first ``limit_train`` of the rest; the whole test split."""
    train = data.MNIST(config.data_dir, train=True, download=download)
    test = data.MNIST(config.data_dir, train=False, download=download)
    if not 0 <= config.val_size < len(train):
        raise ConfigError(f"val_size must be between 0 and {len(train) - 1}, got {config.val_size}")
    cut = len(train) - config.val_size
    kept = cut if config.limit_train is None else min(config.limit_train, cut)
    return Digits(
        train=_scaled(train, 0, kept), val=_scaled(train, cut, len(train)), test=_scaled(test)
    )


def _scaled(split, start=0, stop=None):
    images = split.data[start:stop].astype(np.float32)[:, None] / 255
    return images, split.labels[start:stop]


def build_model(config):
    """The ``ConvAutoencoder`` of ``config``, initialised from ``config.seed``."""
    random.manual_seed(config.seed)
    return ConvAutoencoder(config.decoder, config.latent, config.noise, config.noise_kind)


def train_autoencoder(config, out_dir, resume=False, progress="auto", download=False):
    """Train the autoencoder of ``config`` into the run folder ``out_dir``; return the final
    metrics (also written to ``metrics.json``). ``resume=True`` continues from
    ``out_dir/checkpoints/last.ckpt`` and requires the same config apart from ``epochs`` and
    ``device``."""
    os.makedirs(out_dir, exist_ok=True)
    last = os.path.join(out_dir, "checkpoints", "last.ckpt")
    snapshot = None
    if resume and os.path.isfile(last):
        check_same_run(read_autoencoder_config(out_dir), config)
        snapshot = checkpoint.load(last)
    digits = load_digits(config, download)
    write_json(os.path.join(out_dir, "config.json"), dataclasses.asdict(config))
    model = build_model(config).to(config.device)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    train_loader = data.DataLoader(
        _pairs(digits.train, config.device),
        batch_size=config.batch_size,
        shuffle=True,
        seed=config.seed,
    )
    val_loader = None
    if config.val_size:
        val_loader = data.DataLoader(_pairs(digits.val, config.device), batch_size=EVAL_BATCH)
    monitor = "val_loss" if val_loader is not None else "loss"
    callbacks = [
        *run_logs(out_dir),
        ModelCheckpoint(os.path.join(out_dir, "checkpoints"), monitor=monitor),
        *progress_callbacks(progress),
    ]
    started = time.perf_counter()
    history = fit(
        model,
        optimizer,
        train_loader,
        config.epochs,
        val_loader=val_loader,
        callbacks=callbacks,
        device=config.device,
        resume=snapshot,
    )
    seconds = time.perf_counter() - started
    metrics = test_metrics(model, digits.test, config)
    draw_pictures(model, digits.test, config, out_dir)
    metrics.update(
        **run_timing(history, seconds, snapshot),
        final_epoch=history[-1] if history else None,
        config=dataclasses.asdict(config),
    )
    write_json(os.path.join(out_dir, "metrics.json"), metrics)
    return metrics


def _pairs(split, device):
    """(input, target) = (image, image): an autoencoder's target is its input."""
    images = as_tensor(split[0], device=device)
    return data.TensorDataset(images, images)


def test_metrics(model, test, config):
    """``test_mse``: the mean squared error of the reconstructions of the test digits; for a
    denoising model also ``test_denoised_mse``, of the reconstructions of corrupted digits (one
    draw, seeded by ``config.seed``) against the clean ones."""
    loader = data.DataLoader(_pairs(test, config.device), batch_size=EVAL_BATCH)
    metrics = {"test_mse": evaluate(model, loader, device=config.device)["loss"]}
    if config.noise > 0:
        corrupted = _corrupted(model, test[0], config)
        pairs = data.TensorDataset(corrupted, as_tensor(test[0], device=config.device))
        loader = data.DataLoader(pairs, batch_size=EVAL_BATCH)
        metrics["test_denoised_mse"] = evaluate(model, loader, device=config.device)["loss"]
    return metrics


def _corrupted(model, images, config):
    random.manual_seed(config.seed)
    return model.corrupt(as_tensor(images, device=config.device))


def reconstruct(model, images):
    """The model's output for ``images`` (N, 1, 28, 28), in eval mode, as a NumPy array."""
    model.eval()
    with no_grad():
        outputs = [model(batch) for batch in _batches(images)]
    return np.concatenate([to_device(o.data, "cpu") for o in outputs])


def encode(model, images):
    """The codes of ``images`` in eval mode, as a NumPy array."""
    model.eval()
    with no_grad():
        codes = [model.encode(batch) for batch in _batches(images)]
    return np.concatenate([to_device(c.data, "cpu") for c in codes])


def _batches(images):
    for start in range(0, len(images), EVAL_BATCH):
        yield images[start : start + EVAL_BATCH]


def draw_pictures(model, test, config, out_dir):
    """``reconstructions.png`` of the first test digits (corrupted first for a denoising run)
    and, with a 2-number bottleneck, ``latent.png`` of every test digit's code."""
    from ..viz.autoencoder import plot_latent, plot_reconstructions

    images = as_tensor(test[0][:PICTURE_DIGITS], device=config.device)
    if config.noise > 0:
        images = _corrupted(model, images.data, config)
    shown = to_device(images.data, "cpu")
    title = f"{config.decoder} decoder, test MSE of the first {PICTURE_DIGITS} digits"
    reconstructions = reconstruct(model, images)
    error = float(((reconstructions - test[0][:PICTURE_DIGITS]) ** 2).mean())
    plot_reconstructions(
        shown,
        reconstructions,
        os.path.join(out_dir, "reconstructions.png"),
        title=f"{title}: {error:.4f}",
    )
    if config.latent == 2:
        codes = encode(model, as_tensor(test[0], device=config.device))
        plot_latent(
            codes,
            test[1],
            os.path.join(out_dir, "latent.png"),
            title="2-unit bottleneck: the codes of the 10,000 test digits",
        )


def read_autoencoder_config(out_dir):
    """The ``AutoencoderConfig`` saved in an autoencoder run folder."""
    saved = read_run_config(out_dir)
    if "decoder" not in saved or not set(saved) <= {
        f.name for f in dataclasses.fields(AutoencoderConfig)
    }:
        raise ConfigError(
            f"{out_dir} is not an autoencoder run (its config.json is no autoencoder's)"
        )
    return AutoencoderConfig(**saved)
