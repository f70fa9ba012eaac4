"""YOLO v1: the loss against a hand computation on a 2×2 grid and against a PyTorch twin (value
and gradient), the gradient by finite differences, target encoding and decoding."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.models.yolo import YOLO, decode, encode_targets, yolo_loss


def logit(p):
    return math.log(p / (1 - p))


def test_output_is_a_grid_of_boxes_and_classes():
    model = YOLO(width=4)
    output = model(cr.tensor(np.zeros((2, 1, 112, 112), dtype=np.float32)))
    assert output.shape == (2, 7, 7, 2 * 5 + 10)


def test_loss_by_hand_on_a_two_by_two_grid():
    """A 100-pixel image, cells of 50: the box [10, 20, 40, 20] (label 1) has its centre (30,
    30) in cell (0, 0), at offset (0.6, 0.6), size (0.4, 0.2) of the image.

    Cell (0, 0) predicts box 0 at (0.5, 0.5) of size (0.4, 0.2), confidence 0.5 — corners
    (0.05, 0.15, 0.45, 0.35) against the truth's (0.1, 0.2, 0.5, 0.4): IoU 0.0525 / 0.1075 —
    and box 1 at (0.6, 0.6) of size (0.1, 0.1), confidence 0.2, inside the truth: IoU
    0.01 / 0.08. Box 0 is responsible. Every other box has confidence 0.3; the class scores
    are all 0, so p = (1/2, 1/2)."""
    raw = np.zeros((1, 2, 2, 12))
    raw[..., 0:4] = raw[..., 5:9] = logit(0.5)
    raw[..., 4] = raw[..., 9] = logit(0.3)
    raw[0, 0, 0, 0:5] = [logit(0.5), logit(0.5), logit(0.4), logit(0.2), logit(0.5)]
    raw[0, 0, 0, 5:10] = [logit(0.6), logit(0.6), logit(0.1), logit(0.1), logit(0.2)]
    targets = encode_targets([([[10, 20, 40, 20]], [1])], grid=2, classes=2, image_size=100)
    coordinates = 5 * ((0.5 - 0.6) ** 2 + (0.5 - 0.6) ** 2) + 5 * (0 + 0)
    objectness = (0.5 - 0.0525 / 0.1075) ** 2
    no_object = 0.5 * (0.2**2 + 6 * 0.3**2)
    classes = (0.5 - 0) ** 2 + (0.5 - 1) ** 2
    loss = yolo_loss(cr.tensor(raw), targets, boxes=2)
    assert loss.item() == pytest.approx(coordinates + objectness + no_object + classes, abs=1e-12)


def torch_yolo_loss(raw, has_object, target_box, one_hot, boxes):
    """The paper's loss written again in PyTorch: responsible box by IoU of corner boxes."""
    count, grid = raw.shape[0], raw.shape[1]
    values = torch.sigmoid(raw[..., : boxes * 5]).reshape(count, grid, grid, boxes, 5)
    offsets = torch.arange(grid, dtype=raw.dtype)

    def corners(xywh):
        cx = (offsets[None, None, :, None] + xywh[..., 0]) / grid
        cy = (offsets[None, :, None, None] + xywh[..., 1]) / grid
        return torch.stack(
            [
                cx - xywh[..., 2] / 2,
                cy - xywh[..., 3] / 2,
                cx + xywh[..., 2] / 2,
                cy + xywh[..., 3] / 2,
            ],
            -1,
        )

    truth = torch.tensor(target_box)[..., None, :].expand(count, grid, grid, boxes, 4)
    a, b = corners(values[..., :4].detach()), corners(truth)
    sides = (torch.minimum(a[..., 2:], b[..., 2:]) - torch.maximum(a[..., :2], b[..., :2])).clamp(
        min=0
    )
    inter = sides[..., 0] * sides[..., 1]
    area = lambda c: (c[..., 2] - c[..., 0]) * (c[..., 3] - c[..., 1])  # noqa: E731
    iou = inter / (area(a) + area(b) - inter)
    obj = torch.tensor(has_object)
    responsible = torch.nn.functional.one_hot(iou.argmax(-1), boxes).to(raw.dtype) * obj[..., None]
    coord = (responsible[..., None] * (values[..., :2] - truth[..., :2]) ** 2).sum()
    coord = (
        coord
        + (responsible[..., None] * (values[..., 2:4].sqrt() - truth[..., 2:4].sqrt()) ** 2).sum()
    )
    conf = values[..., 4]
    confidence = (responsible * (conf - iou * obj[..., None]) ** 2).sum()
    no_object = ((1 - responsible) * conf**2).sum()
    probabilities = torch.softmax(raw[..., boxes * 5 :], -1)
    classes = (obj[..., None] * (probabilities - torch.tensor(one_hot)) ** 2).sum()
    return (5 * coord + confidence + 0.5 * no_object + classes) / count


def random_truths(rng, count, image_size=112):
    truths = []
    for _ in range(count):
        n = int(rng.integers(1, 5))
        xy = rng.uniform(0, image_size * 0.6, size=(n, 2))
        wh = rng.uniform(8, image_size * 0.4, size=(n, 2))
        truths.append((np.concatenate([xy, wh], 1), rng.integers(0, 10, n)))
    return truths


def test_loss_and_gradient_equal_a_torch_twin():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(3, 7, 7, 20))
    targets = encode_targets(random_truths(rng, 3), grid=7, classes=10, image_size=112)
    output = cr.tensor(raw, requires_grad=True)
    loss = yolo_loss(output, targets)
    loss.backward()
    twin_raw = torch.tensor(raw, requires_grad=True)
    twin = torch_yolo_loss(twin_raw, *targets, boxes=2)
    twin.backward()
    assert loss.item() == pytest.approx(twin.item(), rel=1e-12)
    np.testing.assert_allclose(output.grad.numpy(), twin_raw.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_gradient_by_finite_differences():
    """Central differences match the gradient wherever the IoU target does not move: every
    output of an empty cell, and the confidences and class scores of an object's cell (the
    loss holds the responsible box's IoU target constant, so its x, y, w, h are checked by the
    torch twin only)."""
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(2, 7, 7, 20))
    targets = encode_targets(random_truths(rng, 2), grid=7, classes=10, image_size=112)
    output = cr.tensor(raw, requires_grad=True)
    yolo_loss(output, targets).backward()
    full, empty = np.argwhere(targets[0])[0], np.argwhere(~targets[0])[0]
    checked = [(*empty, channel) for channel in range(20)]
    checked += [(*full, channel) for channel in [4, 9, *range(10, 20)]]
    for index in checked:
        step = np.zeros_like(raw)
        step[index] = 1e-6
        plus = yolo_loss(cr.tensor(raw + step), targets).item()
        minus = yolo_loss(cr.tensor(raw - step), targets).item()
        assert output.grad.numpy()[index] == pytest.approx((plus - minus) / 2e-6, abs=1e-7)


def test_encoding_then_decoding_gives_the_boxes_back():
    """Outputs made from the targets (a sure box 0 where the object is, nothing elsewhere)
    decode to the original boxes, labels and scores near 1."""
    boxes = np.array([[10.0, 20.0, 30.0, 40.0], [60.0, 50.0, 40.0, 36.0]])
    labels = np.array([3, 8])
    has_object, box, one_hot = encode_targets([(boxes, labels)], 7, 10, 112)
    raw = np.full((1, 7, 7, 20), -20.0)
    clipped = np.clip(box, 1e-9, 1 - 1e-9)
    raw[..., 0:4] = np.log(clipped / (1 - clipped))
    raw[..., 4] = np.where(has_object, 20.0, -20.0)
    raw[..., 10:] = 20.0 * one_hot
    found = decode(raw, 112)[0]
    order = np.argsort(found["labels"])
    np.testing.assert_array_equal(found["labels"][order], labels)
    np.testing.assert_allclose(found["boxes"][order][:, :2], boxes[:, :2], atol=1e-6)
    np.testing.assert_allclose(found["boxes"][order][:, 2:], boxes[:, :2] + boxes[:, 2:], atol=1e-6)
    assert np.all(found["scores"] > 0.99)


def test_decode_suppresses_a_duplicate_of_the_same_digit():
    raw = np.full((1, 7, 7, 20), -20.0)
    raw[0, 3, 3, 0:5] = [0.0, 0.0, -1.0, -1.0, 5.0]  # a box at the cell's centre
    raw[0, 3, 3, 5:10] = [0.1, 0.0, -1.0, -1.0, 4.0]  # almost the same box, less sure
    raw[0, 3, 3, 10 + 7] = 10.0
    found = decode(raw, 112)[0]
    assert len(found["boxes"]) == 1 and found["labels"][0] == 7
