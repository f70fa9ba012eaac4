"""Digit detection with a YOLO v1-style network: the app behind ``chainrule train yolo`` and
``chainrule detect``.

The data are ``data.scenes``: MNIST digits scattered on canvases, training scenes from the
training digits and test scenes from the test digits, generated from the run's seed the first
time and cached in the run folder (COCO JSON and the images as one .npy). Each epoch visits
the training scenes in an order drawn from (seed, epoch), so a resumed run sees the same
batches as one never stopped; after it the test scenes are detected (``models.yolo.decode``)
and scored by VOC mean average precision at IoU 0.5 (``vision.boxes``).

A run folder holds::

    RUN_DIR/config.json      the DetectConfig
    RUN_DIR/scenes/          train.npy, train.json, test.npy, test.json (COCO)
    RUN_DIR/log.jsonl        one line per epoch: loss, test_map, seconds
    RUN_DIR/checkpoints/     last.ckpt (every epoch): model, optimiser, epoch, history
    RUN_DIR/metrics.json     test mAP@0.5 and AP per digit after the last epoch, seconds, config
"""

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .. import random
from ..autograd import no_grad
from ..creation import as_tensor
from ..data.scenes import scene_set
from ..models.yolo import YOLO, decode, encode_targets, yolo_loss
from ..train import checkpoint
from ..train.loop import check_finite_loss
from ..vision.boxes import mean_average_precision
from .common import (
    LR_SCHEDULES,
    ConfigError,
    check_same_run,
    make_optimizer,
    read_grey_image,
    read_run_config,
    resume_schedule,
    write_json,
)

__all__ = [
    "DetectConfig",
    "train_detector",
    "evaluate_detector",
    "load_detector",
    "read_image",
    "detect_image",
    "draw_detections",
]

GRID, BOXES, CLASSES = 7, 2, 10


@dataclass
class DetectConfig:
    """Every choice of a detection run; saved as ``config.json`` in the run folder.

    ``canvas`` is the scenes' side in pixels (16·7 = 112 for the 7×7 grid); ``width`` the
    backbone's first channel count (it doubles three times).
    """

    train_scenes: int = 5000
    test_scenes: int = 500
    canvas: int = 112
    width: int = 8
    epochs: int = 16
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    lr_schedule: str = "cosine"
    seed: int = 0
    device: str = "cpu"
    data_dir: str = None


def _images(scenes):
    """Scenes' images as the network's (N, 1, H, W) float32 input in [0, 1]."""
    return np.stack([scene.image for scene in scenes])[:, None].astype(np.float32) / 255


def _truths(scenes):
    return [(scene.boxes, scene.labels) for scene in scenes]


def _corners(boxes):
    """``[x, y, w, h]`` boxes as ``[x1, y1, x2, y2]``."""
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def evaluate_detector(model, scenes, device="cpu", batch_size=100):
    """Test mAP@0.5 of ``model`` on ``scenes``: ``mean_average_precision``'s dict."""
    was_training = model.training
    model.eval()
    found = []
    with no_grad():
        for start in range(0, len(scenes), batch_size):
            batch = scenes[start : start + batch_size]
            output = model(as_tensor(_images(batch), device=device))
            found += decode(output.to("cpu"), batch[0].image.shape[0], BOXES)
    model.train(was_training)
    truths = [{"boxes": _corners(s.boxes), "labels": s.labels} for s in scenes]
    return mean_average_precision(found, truths, iou_threshold=0.5)


def _train_epoch(model, optimizer, scenes, batch_size, order, epoch, device):
    model.train()
    total, count = 0.0, 0
    for step, start in enumerate(range(0, len(order), batch_size)):
        batch = [scenes[i] for i in order[start : start + batch_size]]
        targets = encode_targets(_truths(batch), GRID, CLASSES, batch[0].image.shape[0])
        output = model(as_tensor(_images(batch), device=device)).to("cpu")
        loss = yolo_loss(output, targets, BOXES)
        check_finite_loss(loss.item(), SimpleNamespace(epoch=epoch, step=step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
        count += len(batch)
    return total / count


def _scenes(config, out_dir, download):
    folder = Path(out_dir) / "scenes"
    train = scene_set(
        folder, True, config.train_scenes, config.seed, config.canvas, config.data_dir, download
    )
    test = scene_set(
        folder, False, config.test_scenes, config.seed + 1, config.canvas, config.data_dir, download
    )
    return train, test


def _check(config):
    if config.canvas != 16 * GRID:
        raise ConfigError(f"canvas must be {16 * GRID} pixels for the {GRID}×{GRID} grid")
    if config.lr_schedule not in LR_SCHEDULES:
        raise ConfigError(f"unknown lr_schedule {config.lr_schedule!r}")


def train_detector(config, out_dir, resume=False, download=False, log=print):
    """Train (or, with ``resume``, continue) a detector in ``out_dir``; returns the metrics."""
    _check(config)
    out_dir = Path(out_dir)
    (out_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    if resume:
        check_same_run(DetectConfig(**read_run_config(out_dir)), config)
    write_json(out_dir / "config.json", dataclasses.asdict(config))
    train, test = _scenes(config, out_dir, download)
    random.manual_seed(config.seed)
    model = YOLO(GRID, BOXES, CLASSES, config.width).to(config.device)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    scheduler = LR_SCHEDULES[config.lr_schedule](optimizer, config.epochs)
    epoch, history, seconds = 0, [], 0.0
    if resume:
        saved = checkpoint.load(out_dir / "checkpoints" / "last.ckpt")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        epoch, history, seconds = (
            int(saved["epoch"]),
            list(saved["history"]),
            float(saved["seconds"]),
        )
        if scheduler is not None:
            resume_schedule(scheduler, epoch)
    while epoch < config.epochs:
        started = time.perf_counter()
        order = np.random.default_rng([config.seed, epoch]).permutation(len(train))
        loss = _train_epoch(model, optimizer, train, config.batch_size, order, epoch, config.device)
        if scheduler is not None:
            scheduler.step()
        test_map = evaluate_detector(model, test, config.device)["map"]
        epoch, seconds = epoch + 1, seconds + time.perf_counter() - started
        history.append({"epoch": epoch, "loss": loss, "test_map": test_map, "seconds": seconds})
        with open(out_dir / "log.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(history[-1]) + "\n")
        snapshot = {"epoch": epoch, "history": history, "seconds": seconds}
        snapshot.update(model=model.state_dict(), optimizer=optimizer.state_dict())
        checkpoint.save(snapshot, out_dir / "checkpoints" / "last.ckpt")
        log(f"epoch {epoch}/{config.epochs}: loss {loss:.4f}, test mAP@0.5 {test_map:.4f}")
    result = evaluate_detector(model, test, config.device)
    metrics = {
        "test_map50": result["map"],
        "test_ap50": {str(k): v for k, v in result["ap"].items()},
        "epochs": epoch,
        "seconds": seconds,
        "config": dataclasses.asdict(config),
    }
    write_json(out_dir / "metrics.json", metrics)
    return metrics


def load_detector(run_dir):
    """The trained model of a run folder (last checkpoint) and its config; ``ConfigError``
    when the folder holds no detector run."""
    saved = read_run_config(run_dir)
    if "train_scenes" not in saved or not (Path(run_dir) / "checkpoints" / "last.ckpt").exists():
        raise ConfigError(
            f"{run_dir} holds no trained detector: train one with chainrule train yolo"
        )
    config = DetectConfig(**saved)
    model = YOLO(GRID, BOXES, CLASSES, config.width)
    model.load_state_dict(checkpoint.load(Path(run_dir) / "checkpoints" / "last.ckpt")["model"])
    model.eval()
    return model, config


def read_image(run_dir, config, path=None, scene=None):
    """The image to detect in: the grey-level image file ``path``, or test scene ``scene`` of
    the run; it must be the run's canvas size."""
    if path is None:
        test = scene_set(
            Path(run_dir) / "scenes",
            False,
            config.test_scenes,
            config.seed + 1,
            config.canvas,
            config.data_dir,
        )
        if scene >= len(test):
            raise ConfigError(
                f"--scene {scene} is out of range: the run has {len(test)} test scenes"
            )
        return test[scene].image
    return read_grey_image(path, config.canvas, "the detector")


def detect_image(model, image, score_threshold=0.3):
    """Detections in one (H, W) uint8 image of the model's canvas size: a dict of corner
    ``boxes`` in pixels, ``scores`` and ``labels``."""
    with no_grad():
        output = model(as_tensor(image[None, None].astype(np.float32) / 255))
    return decode(output, image.shape[0], BOXES, score_threshold=score_threshold)[0]


def draw_detections(image, found, path, scale=4):
    """Save ``image`` enlarged ``scale`` times with each box drawn and labelled with its digit
    and score."""
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.fromarray(image).convert("RGB")
    picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    pen = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=4 * scale)
    for box, score, label in zip(found["boxes"], found["scores"], found["labels"]):
        x1, y1, x2, y2 = (float(v) * scale for v in box)
        pen.rectangle([x1, y1, x2, y2], outline=(255, 64, 64), width=2)
        text = f"{label}: {score:.2f}"
        anchor = "lb" if y1 >= 4 * scale else "lt"  # above the box, or inside at the top
        left, top, right, bottom = pen.textbbox((x1, y1), text, font=font, anchor=anchor)
        pen.rectangle([left - 1, top - 1, right + 1, bottom], fill=(255, 64, 64))
        pen.text((x1, y1), text, fill=(255, 255, 255), font=font, anchor=anchor)
    picture.save(path)
