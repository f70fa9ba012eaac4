"""Vision helpers on plain arrays: boxes, their overlap, suppression and detection metrics."""

from .boxes import batched_nms, box_iou, mean_average_precision, nms

__all__ = ["box_iou", "nms", "batched_nms", "mean_average_precision"]
