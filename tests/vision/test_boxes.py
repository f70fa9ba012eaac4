"""box_iou against torchvision.ops; nms by the property that defines greedy suppression, with
torchvision's IoU as the oracle of overlap; VOC mAP against hand arithmetic.

PyPI's torchvision is built against CUDA PyTorch, so with the CPU build ``import torchvision``
fails on its compiled operators (nms among them); ``torchvision.ops.boxes``' box_iou is plain
torch code and is imported alone (as tests/torchvision_models.py does for the models).
"""

import importlib
import importlib.util
import sys
import types

import numpy as np
import pytest
import torch

from chainrule.vision import batched_nms, box_iou, mean_average_precision, nms


def torchvision_box_iou(a, b):
    if "torchvision" not in sys.modules:
        spec = importlib.util.find_spec("torchvision")
        if spec is None:
            pytest.skip("torchvision is not installed")
        package = types.ModuleType("torchvision")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchvision"] = package
    boxes = importlib.import_module("torchvision.ops.boxes")
    return boxes.box_iou(torch.tensor(a), torch.tensor(b)).numpy()


def random_boxes(rng, count, size=100.0):
    corners = rng.uniform(0, size, size=(count, 2))
    sides = rng.uniform(1, size / 3, size=(count, 2))
    return np.concatenate([corners, corners + sides], axis=1)


def test_box_iou_equals_torchvision():
    rng = np.random.default_rng(0)
    a, b = random_boxes(rng, 30), random_boxes(rng, 20)
    np.testing.assert_allclose(box_iou(a, b), torchvision_box_iou(a, b), rtol=1e-12, atol=1e-12)


def check_greedy_suppression(boxes, scores, kept, threshold):
    """torchvision.ops.nms's result, which these three facts fix for distinct scores: kept
    boxes come by decreasing score; no two overlap by IoU > threshold; every other box
    overlaps a kept box of higher score by IoU > threshold."""
    iou = torchvision_box_iou(boxes, boxes)
    assert np.all(np.diff(scores[kept]) < 0)
    among_kept = iou[np.ix_(kept, kept)]
    assert np.all(among_kept[~np.eye(len(kept), dtype=bool)] <= threshold)
    for dropped in np.setdiff1d(np.arange(len(boxes)), kept):
        stronger = kept[scores[kept] > scores[dropped]]
        assert np.any(iou[dropped, stronger] > threshold)


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.4, 0.6])
def test_nms_keeps_what_greedy_suppression_keeps(threshold):
    rng = np.random.default_rng(1)
    boxes, scores = random_boxes(rng, 200, size=30.0), rng.uniform(size=200)
    kept = nms(boxes, scores, threshold)
    assert 0 < len(kept) < 200
    check_greedy_suppression(boxes, scores, kept, threshold)


def test_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 5]])
    scores = np.array([0.5, 0.9, 0.4, 0.8])
    # 1 beats 0 (IoU 9/11 > 0.5); 3 overlaps 1 by 45/105, so stays; 2 overlaps nothing
    np.testing.assert_array_equal(nms(boxes, scores, 0.5), [1, 3, 2])


def test_batched_nms_suppresses_within_a_label_only():
    rng = np.random.default_rng(2)
    boxes, scores = random_boxes(rng, 150, size=60.0), rng.uniform(size=150)
    labels = rng.integers(0, 4, size=150)
    kept = batched_nms(boxes, scores, labels, 0.4)
    assert np.all(np.diff(scores[kept]) < 0)
    for label in range(4):
        mine = np.flatnonzero(labels == label)
        expected = mine[nms(boxes[mine], scores[mine], 0.4)]
        np.testing.assert_array_equal(kept[labels[kept] == label], expected)


def test_map_by_hand():
    """Class 0: ranked detections TP (0.9), FP (0.8, no overlap), FP (0.7, IoU 0.4), TP (0.6),
    FP (0.5, a second hit on a matched box); 3 truths. Recall 1/3, 1/3, 1/3, 2/3, 2/3 with
    precision 1, 1/2, 1/3, 1/2, 2/5, made monotone 1, 1/2, 1/2, 1/2, 2/5:
    AP = 1/3 · 1 + 1/3 · 1/2 = 1/2. Class 1: one truth found first, AP 1. Class 2 has
    detections but no truth: it is not counted. mAP = 3/4."""
    box = np.array([[0, 0, 10, 10]])
    truths = [
        {
            "boxes": np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]),
            "labels": np.array([0, 0, 1]),
        },
        {"boxes": np.array([[0, 0, 10, 10]]), "labels": np.array([0])},
    ]
    detections = [
        {
            "boxes": np.concatenate(
                [box, [[70, 70, 80, 80]], [[20, 20, 30, 30]], box, [[50, 50, 60, 60]], box]
            ),
            "scores": np.array([0.9, 0.8, 0.6, 0.5, 0.3, 0.95]),
            "labels": np.array([0, 0, 0, 0, 1, 2]),
        },
        {"boxes": np.array([[0, 0, 4, 10]]), "scores": np.array([0.7]), "labels": np.array([0])},
    ]
    result = mean_average_precision(detections, truths)
    assert result["ap"] == pytest.approx({0: 0.5, 1: 1.0})
    assert result["map"] == pytest.approx(0.75)


def test_map_is_one_for_perfect_detections_and_zero_for_none():
    rng = np.random.default_rng(3)
    truths = [{"boxes": random_boxes(rng, 4), "labels": rng.integers(0, 3, 4)} for _ in range(5)]
    perfect = [dict(t, scores=np.ones(len(t["labels"]))) for t in truths]
    assert mean_average_precision(perfect, truths)["map"] == pytest.approx(1.0)
    empty = [{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0)}] * 5
    assert mean_average_precision(empty, truths)["map"] == 0.0


def coco_precision_at_iou_half(detections, truths):
    """pycocotools' interpolated precision at recall 0, 0.01, …, 1 (101 points) per class,
    IoU 0.5, all areas, up to 100 detections an image."""
    coco_module = pytest.importorskip("pycocotools.coco")
    cocoeval = pytest.importorskip("pycocotools.cocoeval")

    def xywh(box):
        return [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]

    annotations = []
    for image, truth in enumerate(truths):
        for box, label in zip(truth["boxes"], truth["labels"]):
            x, y, w, h = xywh(box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image,
                    "category_id": int(label),
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    ground = coco_module.COCO()
    ground.dataset = {
        "images": [{"id": i} for i in range(len(truths))],
        "categories": [{"id": c} for c in range(3)],
        "annotations": annotations,
    }
    ground.createIndex()
    found = ground.loadRes(
        [
            {"image_id": i, "category_id": int(c), "bbox": xywh(b), "score": float(s)}
            for i, d in enumerate(detections)
            for b, c, s in zip(d["boxes"], d["labels"], d["scores"])
        ]
    )
    evaluation = cocoeval.COCOeval(ground, found, "bbox")
    evaluation.params.iouThrs = np.array([0.5])
    evaluation.evaluate()
    evaluation.accumulate()
    return evaluation.eval["precision"][0, :, :, 0, -1]  # (101 recalls, classes)


def test_map_equals_pycocotools_where_the_two_interpolations_agree():
    """COCO samples the interpolated precision at 101 recalls, VOC integrates it. With 4 truths
    a class every recall reached is a multiple of 1/4, so VOC's area equals the mean of COCO's
    samples at recall 0.01 … 1. Each detection overlaps at most one truth (by IoU ≥ 0.5 or not
    at all; duplicates included), where the two matching rules agree."""
    rng = np.random.default_rng(4)
    truths, detections = [], []
    for _ in range(4):
        centres = rng.permutation(9)[:3]
        boxes = np.array([[x, y, x + 20, y + 20] for x, y in 40 * np.c_[centres % 3, centres // 3]])
        truths.append({"boxes": boxes, "labels": np.array([0, 1, 2])})
        shifted = boxes + rng.choice([0, 3, 9, 40], size=(3, 1))  # IoU 1, 0.57, 0.18 or 0
        duplicate = boxes[:1] + 1
        detections.append(
            {
                "boxes": np.concatenate([shifted, duplicate]).astype(float),
                "labels": np.array([0, 1, 2, 0]),
                "scores": rng.permutation(100)[:4] / 100 + rng.uniform(0, 0.005, 4),
            }
        )
    result = mean_average_precision(detections, truths)
    coco = coco_precision_at_iou_half(detections, truths)
    assert 0 < min(result["ap"].values()) < max(result["ap"].values()) < 1
    for label in range(3):
        assert result["ap"][label] == pytest.approx(coco[1:, label].mean(), abs=1e-12)
