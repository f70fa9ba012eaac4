"""Detection scenes: real MNIST digits scattered on a larger black canvas, with their boxes.

A scene is a ``canvas × canvas`` uint8 image holding 1 to ``max_digits`` digits, each scaled to
a random side in ``digit_sizes`` and placed at a random position where it overlaps no earlier
digit's box by more than ``max_overlap`` (intersection over the smaller box). Its box is the
tight rectangle around the scaled digit's ink (pixels above zero), ``[x, y, w, h]`` in pixels
as COCO writes it, and its category is the digit's label. Training scenes draw their digits
from the MNIST training split, test scenes from the test split, so no test digit is ever seen
in training. Everything follows from the seed: the same seed gives the same scenes.

On disk a set is two files (``save_scenes``): ``<split>.npy``, the images (N, H, W) uint8, and
``<split>.json``, COCO-style annotations (``images``, ``annotations`` with ``bbox``,
``categories``) that any COCO reader opens.
"""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .mnist import MNIST

__all__ = [
    "Scene",
    "place_digits",
    "make_scenes",
    "to_coco",
    "from_coco",
    "save_scenes",
    "load_scenes",
    "scene_set",
]

CATEGORIES = [{"id": digit, "name": str(digit)} for digit in range(10)]


class Scene:
    """One canvas: ``image`` (H, W) uint8, ``boxes`` (n, 4) float ``[x, y, w, h]`` in pixels,
    ``labels`` (n,) int64."""

    def __init__(self, image, boxes, labels):
        self.image, self.boxes, self.labels = image, boxes, labels


def ink_box(patch):
    """``[x, y, w, h]`` of the smallest rectangle holding every non-zero pixel of ``patch``."""
    rows = np.flatnonzero(patch.any(axis=1))
    cols = np.flatnonzero(patch.any(axis=0))
    return np.array(
        [cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1], dtype=np.float64
    )


def _scaled(digit, side):
    return np.asarray(Image.fromarray(digit).resize((side, side), Image.BILINEAR))


def _overlap(box, others):
    """Largest intersection of ``box`` with any of ``others``, over the smaller box's area."""
    if not others:
        return 0.0
    others = np.array(others)
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[0] + box[2], others[:, 0] + others[:, 2])
    y1 = np.minimum(box[1] + box[3], others[:, 1] + others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    smaller = np.minimum(box[2] * box[3], others[:, 2] * others[:, 3])
    return float((inter / smaller).max())


def place_digits(digits, labels, rng, canvas=112, digit_sizes=(24, 48), max_overlap=0.2):
    """Paste ``digits`` (n, h, w) uint8 onto a ``canvas × canvas`` black image.

    Each digit is scaled to a side drawn uniformly from ``digit_sizes`` (inclusive) and tried at
    up to 50 random positions until its ink box overlaps earlier ones by at most
    ``max_overlap``; a digit that finds no place is left out. Overlapping ink is combined by
    its maximum. Returns a ``Scene`` (the digits placed, in order).
    """
    image = np.zeros((canvas, canvas), dtype=np.uint8)
    boxes, kept = [], []
    for digit, label in zip(digits, labels):
        patch = _scaled(digit, int(rng.integers(digit_sizes[0], digit_sizes[1] + 1)))
        side = patch.shape[0]
        for _ in range(50):
            top, left = rng.integers(0, canvas - side + 1, size=2)
            box = ink_box(patch) + np.array([left, top, 0, 0])
            if _overlap(box, boxes) <= max_overlap:
                region = image[top : top + side, left : left + side]
                np.maximum(region, patch, out=region)
                boxes.append(box)
                kept.append(int(label))
                break
    return Scene(image, np.array(boxes).reshape(-1, 4), np.array(kept, dtype=np.int64))


def make_scenes(digits, labels, count, seed, canvas=112, max_digits=5, digit_sizes=(24, 48)):
    """``count`` scenes, each of 1 to ``max_digits`` digits drawn at random from ``digits``
    (N, 28, 28) uint8 with their ``labels``; deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    scenes = []
    for _ in range(count):
        chosen = rng.integers(0, len(digits), size=int(rng.integers(1, max_digits + 1)))
        scenes.append(place_digits(digits[chosen], labels[chosen], rng, canvas, digit_sizes))
    return scenes


def to_coco(scenes, file_prefix="scene"):
    """A COCO-style dictionary of ``scenes``: image ``i`` has id ``i`` and file name
    ``<file_prefix>_<i>.png``; boxes are ``[x, y, w, h]`` in pixels."""
    images, annotations = [], []
    for index, scene in enumerate(scenes):
        height, width = scene.image.shape
        images.append(
            {
                "id": index,
                "file_name": f"{file_prefix}_{index}.png",
                "width": width,
                "height": height,
            }
        )
        for box, label in zip(scene.boxes, scene.labels):
            annotations.append(
                {
                    "id": len(annotations),
                    "image_id": index,
                    "category_id": int(label),
                    "bbox": [float(v) for v in box],
                    "area": float(box[2] * box[3]),
                    "iscrowd": 0,
                }
            )
    return {"images": images, "annotations": annotations, "categories": CATEGORIES}


def from_coco(images, coco):
    """The ``Scene`` list of stacked ``images`` (N, H, W) and their COCO dictionary."""
    boxes = {entry["id"]: [] for entry in coco["images"]}
    labels = {entry["id"]: [] for entry in coco["images"]}
    for annotation in coco["annotations"]:
        boxes[annotation["image_id"]].append(annotation["bbox"])
        labels[annotation["image_id"]].append(annotation["category_id"])
    return [
        Scene(
            images[entry["id"]],
            np.array(boxes[entry["id"]], dtype=np.float64).reshape(-1, 4),
            np.array(labels[entry["id"]], dtype=np.int64),
        )
        for entry in coco["images"]
    ]


def save_scenes(folder, split, scenes, info=None):
    """Write ``<folder>/<split>.npy`` (the images) and ``<folder>/<split>.json`` (COCO, with
    ``info`` as its ``info`` entry where given)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    coco = to_coco(scenes, split)
    if info is not None:
        coco["info"] = info
    np.save(folder / f"{split}.npy", np.stack([scene.image for scene in scenes]))
    (folder / f"{split}.json").write_text(json.dumps(coco), encoding="utf-8")


def load_scenes(folder, split):
    """The scenes ``save_scenes`` wrote and the COCO dictionary's ``info`` (``{}`` where it
    has none), or ``None, None`` where they are not there."""
    folder = Path(folder)
    if not (folder / f"{split}.npy").exists() or not (folder / f"{split}.json").exists():
        return None, None
    coco = json.loads((folder / f"{split}.json").read_text(encoding="utf-8"))
    return from_coco(np.load(folder / f"{split}.npy"), coco), coco.get("info", {})


def scene_set(folder, train, count, seed, canvas=112, data_dir=None, download=False):
    """The training or test scenes cached in ``folder``, generated from MNIST's matching split
    (and saved there, its ``info`` naming the seed) the first time. A cache of another count,
    canvas or seed is generated again."""
    split = "train" if train else "test"
    scenes, info = load_scenes(folder, split)
    if scenes is not None and info.get("seed") == seed and len(scenes) == count:
        if scenes[0].image.shape[0] == canvas:
            return scenes
    mnist = MNIST(data_dir, train=train, download=download)
    scenes = make_scenes(mnist.data, mnist.targets, count, seed, canvas)
    save_scenes(folder, split, scenes, info={"seed": seed, "digits": f"MNIST {split}"})
    return scenes
