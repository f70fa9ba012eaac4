"""A small YOLO v1 (Redmon, Divvala, Girshick and Farhadi, "You Only Look Once: Unified,
Real-Time Object Detection", CVPR 2016; deck D2): one network pass maps the whole image to an
S×S grid, and each cell predicts B boxes, each with an objectness, and one set of C class
probabilities.

The cell holding an object's centre is the one that detects it. Per cell the output holds
B·5 + C numbers: for each box ``x, y`` (the centre's offset inside the cell, in cell widths),
``w, h`` (the size as fractions of the image) and the confidence ``Ĉ``, then the class scores.
Here the box numbers pass through a logistic sigmoid (each lies in (0, 1), and √w is defined)
and the class scores through a softmax: the paper's last layer is linear, but its targets lie
in the same ranges.

The backbone is five 3×3 convolutions (batch norm, leaky ReLU 0.1 as in the paper): the first
of stride 2, the next three followed by 2×2 max pooling (112 → 7 = S for a 112×112 canvas),
and a 1×1 convolution to the B·5 + C outputs of every cell.
"""

import numpy as np

from .. import nn
from ..autograd import Tensor
from ..creation import as_tensor
from ..functional.activation import sigmoid, softmax
from ..vision.boxes import batched_nms

__all__ = ["YOLO", "yolo_loss", "encode_targets", "decode", "cell_boxes"]

LAMBDA_COORD, LAMBDA_NOOBJ = 5.0, 0.5


class YOLO(nn.Module):
    """The detector: (N, 1, H, W) images → (N, S, S, B·5 + C) raw outputs (before the sigmoid
    and softmax ``yolo_loss`` and ``decode`` apply); H = W = 16·S."""

    def __init__(self, grid=7, boxes=2, classes=10, width=8, in_channels=1):
        super().__init__()
        self.grid, self.boxes, self.classes = grid, boxes, classes
        layers, channels = [], in_channels
        for index, out in enumerate([width, 2 * width, 4 * width, 8 * width, 8 * width]):
            stride = 2 if index == 0 else 1
            layers += [
                nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.LeakyReLU(0.1),
            ]
            if 1 <= index <= 3:
                layers.append(nn.MaxPool2d(2))
            channels = out
        layers.append(nn.Conv2d(channels, boxes * 5 + classes, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).permute(0, 2, 3, 1)


def cell_boxes(box_values, grid):
    """Corner boxes (…, 4), in fractions of the image, of cell-relative ``x, y, w, h`` values
    (N, S, S, B, 4): the centre is ((column + x)/S, (row + y)/S)."""
    rows, columns = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    centre_x = (columns[None, :, :, None] + box_values[..., 0]) / grid
    centre_y = (rows[None, :, :, None] + box_values[..., 1]) / grid
    half_w, half_h = box_values[..., 2] / 2, box_values[..., 3] / 2
    return np.stack(
        [centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], axis=-1
    )


def encode_targets(truths, grid, classes, image_size):
    """The grid targets of a batch: ``truths`` is one ``(boxes, labels)`` per image, boxes
    ``[x, y, w, h]`` in pixels. Returns ``has_object`` (N, S, S) bool, ``box`` (N, S, S, 4)
    (cell-relative x, y; w, h as fractions of the image) and ``one_hot`` (N, S, S, C). A cell
    holds one object: of two centres in one cell, the later box replaces the earlier."""
    count = len(truths)
    has_object = np.zeros((count, grid, grid), dtype=bool)
    box = np.zeros((count, grid, grid, 4))
    one_hot = np.zeros((count, grid, grid, classes))
    for index, (boxes, labels) in enumerate(truths):
        for (x, y, w, h), label in zip(np.asarray(boxes, dtype=np.float64) / image_size, labels):
            centre_x, centre_y = (x + w / 2) * grid, (y + h / 2) * grid
            column, row = min(int(centre_x), grid - 1), min(int(centre_y), grid - 1)
            has_object[index, row, column] = True
            box[index, row, column] = [centre_x - column, centre_y - row, w, h]
            one_hot[index, row, column] = np.eye(classes)[label]
    return has_object, box, one_hot


def _responsible(predicted, has_object, target_box, grid):
    """``responsible`` (N, S, S, B), 1 for the box of each object's cell whose prediction has
    the highest IoU with the object, and ``iou`` (N, S, S, B), each box's IoU with its cell's
    object (0 where the cell has none)."""
    corners = cell_boxes(predicted, grid)
    truth = cell_boxes(np.broadcast_to(target_box[..., None, :], predicted.shape), grid)
    top_left = np.maximum(corners[..., :2], truth[..., :2])
    bottom_right = np.minimum(corners[..., 2:], truth[..., 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=-1)
    areas = np.prod(corners[..., 2:] - corners[..., :2], axis=-1)
    union = areas + np.prod(truth[..., 2:] - truth[..., :2], axis=-1) - intersection
    iou = np.where(has_object[..., None], intersection / union, 0.0)
    best = np.argmax(iou, axis=-1)
    responsible = (np.arange(predicted.shape[-2]) == best[..., None]) & has_object[..., None]
    return responsible.astype(np.float64), iou


def yolo_loss(output, targets, boxes=2):
    """YOLO v1's sum-squared loss (the paper's equation 3), averaged over the batch::

        λ_coord Σ_i Σ_j 1ᵒᵇʲ_ij [(x_i − x̂_i)² + (y_i − ŷ_i)²]
      + λ_coord Σ_i Σ_j 1ᵒᵇʲ_ij [(√w_i − √ŵ_i)² + (√h_i − √ĥ_i)²]
      + Σ_i Σ_j 1ᵒᵇʲ_ij (C_i − Ĉ_i)²
      + λ_noobj Σ_i Σ_j 1ⁿᵒᵒᵇʲ_ij (C_i − Ĉ_i)²
      + Σ_i 1ᵒᵇʲ_i Σ_c (p_i(c) − p̂_i(c))²

    over the cells i and their boxes j, with λ_coord = 5 and λ_noobj = 0.5. 1ᵒᵇʲ_i marks a
    cell holding an object's centre; 1ᵒᵇʲ_ij the box j of that cell "responsible" for the
    object, the one whose current prediction has the highest IoU with it; 1ⁿᵒᵒᵇʲ_ij every
    other box. The confidence target C_i of a responsible box is that IoU (held constant),
    of any other box 0. The square roots make an error of a few pixels count more on a small
    box than on a large one. ``output`` is the raw (N, S, S, B·5 + C) tensor, ``targets``
    ``encode_targets``' triple.
    """
    has_object, target_box, one_hot = targets
    count, grid = output.shape[0], output.shape[1]

    def constant(array):
        return as_tensor(np.asarray(array, dtype=output.dtype))

    box_values = sigmoid(output[..., : boxes * 5]).reshape(count, grid, grid, boxes, 5)
    predicted = box_values.detach().numpy()[..., :4].astype(np.float64)
    responsible, iou = _responsible(predicted, has_object, target_box, grid)
    target = np.broadcast_to(target_box[..., None, :], predicted.shape)
    weight = constant(responsible[..., None])
    centre_error = ((box_values[..., 0:2] - constant(target[..., 0:2])) ** 2 * weight).sum()
    root_sizes = box_values[..., 2:4].sqrt()
    size_error = ((root_sizes - constant(np.sqrt(target[..., 2:4]))) ** 2 * weight).sum()
    confidence = box_values[..., 4]
    object_error = ((confidence - constant(iou)) ** 2 * constant(responsible)).sum()
    no_object_error = (confidence**2 * constant(1.0 - responsible)).sum()
    probabilities = softmax(output[..., boxes * 5 :], dim=-1)
    class_error = ((probabilities - constant(one_hot)) ** 2 * constant(has_object[..., None])).sum()
    total = (
        LAMBDA_COORD * (centre_error + size_error)
        + object_error
        + LAMBDA_NOOBJ * no_object_error
        + class_error
    )
    return total / count


def decode(output, image_size, boxes=2, score_threshold=0.05, iou_threshold=0.5):
    """Detections of raw outputs (N, S, S, B·5 + C): one dict per image with ``boxes`` (n, 4)
    corners in pixels, ``scores`` and ``labels``. A box's score is its confidence times its
    cell's highest class probability (the paper's class-specific confidence); boxes scoring
    under ``score_threshold`` are dropped, then NMS per class at ``iou_threshold``."""
    raw = output.detach().numpy() if isinstance(output, Tensor) else np.asarray(output)
    count, grid = raw.shape[0], raw.shape[1]
    values = 1 / (1 + np.exp(-raw[..., : boxes * 5].reshape(count, grid, grid, boxes, 5)))
    scores = np.exp(raw[..., boxes * 5 :] - raw[..., boxes * 5 :].max(axis=-1, keepdims=True))
    probabilities = scores / scores.sum(axis=-1, keepdims=True)
    corners = np.clip(cell_boxes(values[..., :4], grid), 0, 1) * image_size
    box_scores = values[..., 4] * probabilities.max(axis=-1)[..., None]
    labels = np.broadcast_to(probabilities.argmax(axis=-1)[..., None], box_scores.shape)
    found = []
    for index in range(count):
        keep = box_scores[index].ravel() >= score_threshold
        kept_boxes = corners[index].reshape(-1, 4)[keep]
        kept_scores = box_scores[index].ravel()[keep]
        kept_labels = labels[index].ravel()[keep]
        chosen = batched_nms(kept_boxes, kept_scores, kept_labels, iou_threshold)
        found.append(
            {
                "boxes": kept_boxes[chosen],
                "scores": kept_scores[chosen],
                "labels": kept_labels[chosen],
            }
        )
    return found
