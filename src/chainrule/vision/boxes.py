"""Boxes as ``torchvision.ops`` takes them, on NumPy arrays: ``(x1, y1, x2, y2)`` corners, with
``0 <= x1 < x2`` and ``0 <= y1 < y2``.

- ``box_iou``: intersection over union, |A ∩ B| / (|A| + |B| − |A ∩ B|), every pair.
- ``nms``: greedy non-maximum suppression: keep the highest-scoring box, drop every box whose
  IoU with it is above the threshold, repeat on what is left.
- ``mean_average_precision``: PASCAL VOC's detection metric (Everingham et al. 2010, all-point
  interpolation as from VOC 2010): per class, detections of every image ranked by score; each
  finds the ground-truth box of its class it overlaps most, and is a true positive when that
  IoU is ≥ the threshold and the box was not matched by a higher-scoring detection before;
  AP = Σ_k (r_k − r_{k−1}) · max_{r ≥ r_k} p(r), the area under the precision-recall
  curve made monotone; the mean over the classes that have ground truth.
"""

import numpy as np

__all__ = ["box_area", "box_iou", "nms", "batched_nms", "mean_average_precision"]


def box_area(boxes):
    """Areas (N,) of ``boxes`` (N, 4) in corner form."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """IoU (N, M) of every box of ``boxes1`` (N, 4) with every box of ``boxes2`` (M, 4)."""
    boxes1, boxes2 = np.asarray(boxes1, dtype=np.float64), np.asarray(boxes2, dtype=np.float64)
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    sides = np.clip(bottom_right - top_left, 0, None)
    intersection = sides[..., 0] * sides[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - intersection
    return intersection / union


def nms(boxes, scores, iou_threshold):
    """Indices of the boxes greedy NMS keeps, by decreasing score; a box is dropped when its IoU
    with a kept, higher-scoring box is strictly above ``iou_threshold``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while order.size:
        best, order = order[0], order[1:]
        keep.append(best)
        order = order[box_iou(boxes[best][None], boxes[order])[0] <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def batched_nms(boxes, scores, labels, iou_threshold):
    """NMS within each label separately (boxes of different labels never suppress each other);
    the indices kept, by decreasing score."""
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.asarray(labels)[:, None] * (boxes.max() + 1)
    return nms(boxes + offsets, scores, iou_threshold)


def average_precision(recall, precision):
    """Area under the precision-recall curve with precision made non-increasing (all-point
    interpolation): the curve runs from recall 0 to the last recall reached."""
    recall = np.concatenate([[0.0], recall])
    precision = np.concatenate([[0.0], precision])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum((recall[1:] - recall[:-1]) * precision[1:]))


def _class_detections(detections, truths, label, iou_threshold):
    """Scores and true-positive flags of every detection of ``label``, and the number of
    ground-truth boxes of that label."""
    scores, hits, positives = [], [], 0
    for found, truth in zip(detections, truths):
        truth_boxes = truth["boxes"][truth["labels"] == label]
        positives += len(truth_boxes)
        mine = found["labels"] == label
        boxes, box_scores = found["boxes"][mine], found["scores"][mine]
        order = np.argsort(-box_scores, kind="stable")
        matched = np.zeros(len(truth_boxes), dtype=bool)
        overlaps = box_iou(boxes[order], truth_boxes) if len(truth_boxes) else None
        for rank, index in enumerate(order):
            hit = False
            if overlaps is not None:
                best = int(np.argmax(overlaps[rank]))
                hit = overlaps[rank, best] >= iou_threshold and not matched[best]
                matched[best] |= hit
            scores.append(box_scores[index])
            hits.append(hit)
    return np.array(scores), np.array(hits, dtype=bool), positives


def mean_average_precision(detections, truths, iou_threshold=0.5):
    """VOC mAP of ``detections`` against ``truths``, one dict per image each.

    A detection dict holds ``boxes`` (n, 4) corners, ``scores`` (n,) and ``labels`` (n,); a
    truth dict ``boxes`` and ``labels``. Returns ``{"map": mean AP, "ap": {label: AP}}`` over
    the labels that have at least one ground-truth box.
    """
    detections = [{key: np.asarray(value) for key, value in d.items()} for d in detections]
    truths = [{key: np.asarray(value) for key, value in t.items()} for t in truths]
    labels = sorted({int(label) for t in truths for label in t["labels"]})
    ap = {}
    for label in labels:
        scores, hits, positives = _class_detections(detections, truths, label, iou_threshold)
        order = np.argsort(-scores, kind="stable")
        true_positives = np.cumsum(hits[order])
        precision = true_positives / np.arange(1, len(order) + 1)
        ap[label] = average_precision(true_positives / positives, precision)
    return {"map": float(np.mean(list(ap.values()))) if ap else 0.0, "ap": ap}
