"""SSD detector outputs to detections: box decoding, score filter, non-max suppression and
letterbox removal (model-agnostic; spec §4.2-§4.5).

Ports of TF.js ``shared/calculators/tensors_to_detections.ts``, ``non_max_suppression.ts``
(with tfjs-core's ``non_max_suppression_impl.ts``) and ``remove_detection_letterbox.ts``.
Decoding runs as float32 tensor operations in the reference (each one rounded to float32);
the rest is float64 on the float32 values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from movenet.calculators.rects import Padding

__all__ = [
    "Detection",
    "TensorsToDetectionsConfig",
    "decode_boxes",
    "intersection_over_union",
    "non_max_suppression",
    "remove_detection_letterbox",
    "tensors_to_detections",
]

_F32 = np.float32


@dataclass(frozen=True)
class TensorsToDetectionsConfig:
    """``TensorsToDetectionsConfig`` of the reference (the fields the decoder reads)."""

    num_boxes: int
    num_coords: int
    box_coord_offset: int
    keypoint_coord_offset: int
    num_keypoints: int
    num_values_per_keypoint: int
    x_scale: float
    y_scale: float
    w_scale: float
    h_scale: float
    reverse_output_order: bool = False
    apply_exponential_on_box_size: bool = False
    sigmoid_score: bool = True
    score_clipping_thresh: float | None = None
    min_score_thresh: float | None = None
    flip_vertically: bool = False


@dataclass(frozen=True)
class Detection:
    """One detection, normalized to the detector input (or, after letterbox removal, to the
    image): a box ``(x_min, y_min, x_max, y_max)`` with its width and height, keypoints
    ``(K, 2)`` of ``(x, y)``, the score and the anchor index."""

    score: float
    index: int
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    width: float
    height: float
    keypoints: np.ndarray


def decode_boxes(raw_boxes: np.ndarray, anchors: np.ndarray, config: TensorsToDetectionsConfig) -> np.ndarray:
    """decodeBoxes: ``(N, 4 + 2K)`` float32 of ``yMin, xMin, yMax, xMax`` then ``x, y`` per
    keypoint, from raw regressors ``(N, num_coords)`` and anchors ``(N, 4)`` =
    ``(x, y, w, h)``, every operation in float32."""
    raw = np.asarray(raw_boxes, dtype=_F32)
    anc = np.asarray(anchors, dtype=_F32)
    ax, ay, aw, ah = anc[:, 0], anc[:, 1], anc[:, 2], anc[:, 3]
    o = config.box_coord_offset
    if config.reverse_output_order:
        x_c, y_c, w, h = raw[:, o], raw[:, o + 1], raw[:, o + 2], raw[:, o + 3]
    else:
        y_c, x_c, h, w = raw[:, o], raw[:, o + 1], raw[:, o + 2], raw[:, o + 3]
    x_c = (x_c / _F32(config.x_scale)) * aw + ax
    y_c = (y_c / _F32(config.y_scale)) * ah + ay
    if config.apply_exponential_on_box_size:
        h = np.exp(h / _F32(config.h_scale)) * ah
        w = np.exp(w / _F32(config.w_scale)) * aw
    else:
        h = (h / _F32(config.h_scale)) * ah
        w = (w / _F32(config.w_scale)) * ah  # the reference multiplies by the anchor height
    half_h = h / _F32(2)
    half_w = w / _F32(2)
    columns = [y_c - half_h, x_c - half_w, y_c + half_h, x_c + half_w]
    for k in range(config.num_keypoints):
        off = config.keypoint_coord_offset + k * config.num_values_per_keypoint
        if config.reverse_output_order:
            kx, ky = raw[:, off], raw[:, off + 1]
        else:
            ky, kx = raw[:, off], raw[:, off + 1]
        columns.append((kx / _F32(config.x_scale)) * aw + ax)
        columns.append((ky / _F32(config.y_scale)) * ah + ay)
    return np.stack(columns, axis=1).astype(_F32)


def _scores(raw_scores: np.ndarray, config: TensorsToDetectionsConfig) -> np.ndarray:
    scores = np.asarray(raw_scores, dtype=_F32).reshape(-1)
    if not config.sigmoid_score:
        return scores
    if config.score_clipping_thresh is not None:
        t = _F32(config.score_clipping_thresh)
        scores = np.clip(scores, -t, t)
    # float32 sigmoid: exact in float64, rounded once.
    return (1.0 / (1.0 + np.exp(-scores.astype(np.float64)))).astype(_F32)


def tensors_to_detections(raw_scores: np.ndarray, raw_boxes: np.ndarray, anchors: np.ndarray,
                          config: TensorsToDetectionsConfig) -> list[Detection]:
    """tensorsToDetections: decode, score, and keep the anchors whose score is at least
    ``min_score_thresh`` and whose box has a non-negative size, in anchor order."""
    boxes = decode_boxes(raw_boxes, anchors, config)
    scores = _scores(raw_scores, config)
    if config.min_score_thresh is not None:
        candidates = np.nonzero(scores >= _F32(config.min_score_thresh))[0]
    else:
        candidates = np.arange(config.num_boxes)
    out: list[Detection] = []
    for i in candidates.tolist():
        y_min, x_min, y_max, x_max = (float(v) for v in boxes[i, :4])
        if config.flip_vertically:
            y_min, y_max = 1 - y_max, 1 - y_min
        width = x_max - x_min
        height = y_max - y_min
        if width < 0 or height < 0:
            continue
        kps = boxes[i, 4:4 + 2 * config.num_keypoints].astype(np.float64).reshape(-1, 2)
        if config.flip_vertically:
            kps[:, 1] = 1 - kps[:, 1]
        out.append(Detection(float(scores[i]), i, x_min, y_min, x_max, y_max, width, height, kps))
    return out


def intersection_over_union(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """IoU of two ``(y_min, x_min, y_max, x_max)`` boxes as tfjs-core computes it (corners
    normalized to min/max; 0 if either area is not positive)."""
    ymin_i, xmin_i, ymax_i, xmax_i = min(a[0], a[2]), min(a[1], a[3]), max(a[0], a[2]), max(a[1], a[3])
    ymin_j, xmin_j, ymax_j, xmax_j = min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])
    area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i)
    area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j)
    if area_i <= 0 or area_j <= 0:
        return 0.0
    inter = max(min(ymax_i, ymax_j) - max(ymin_i, ymin_j), 0.0) * max(min(xmax_i, xmax_j) - max(xmin_i, xmin_j), 0.0)
    return inter / (area_i + area_j - inter)


def non_max_suppression(detections: list[Detection], max_detections: int, iou_threshold: float) -> list[Detection]:
    """nonMaxSuppression (IoU, hard): sort by score (stable, descending), then TF's greedy
    selection: candidates by descending score, ties to the lower sorted index; a candidate
    overlapping a selected box with IoU >= ``iou_threshold`` is dropped; at most
    ``max_detections``. Boxes and scores are float32 tensors in the reference."""
    ordered = sorted(detections, key=lambda d: -d.score)  # Python's sort is stable too
    boxes = [(float(_F32(d.y_min)), float(_F32(d.x_min)), float(_F32(d.y_max)), float(_F32(d.x_max))) for d in ordered]
    scores = [float(_F32(d.score)) for d in ordered]
    # Pop order: descending score, then ascending index.
    queue = sorted(range(len(ordered)), key=lambda i: (-scores[i], i))
    selected: list[int] = []
    for i in queue:
        if len(selected) >= max_detections:
            break
        if all(intersection_over_union(boxes[i], boxes[j]) < iou_threshold for j in reversed(selected)):
            selected.append(i)
    keep = set(selected)
    return [d for k, d in enumerate(ordered) if k in keep]


def remove_detection_letterbox(detection: Detection, padding: Padding) -> Detection:
    """removeDetectionLetterbox: box and keypoints from the letterboxed input to the image."""
    left = padding.left
    top = padding.top
    left_and_right = padding.left + padding.right
    top_and_bottom = padding.top + padding.bottom
    x_min = (detection.x_min - left) / (1 - left_and_right)
    y_min = (detection.y_min - top) / (1 - top_and_bottom)
    width = detection.width / (1 - left_and_right)
    height = detection.height / (1 - top_and_bottom)
    kps = detection.keypoints.copy()
    kps[:, 0] = (kps[:, 0] - left) / (1 - left_and_right)
    kps[:, 1] = (kps[:, 1] - top) / (1 - top_and_bottom)
    return replace(detection, x_min=x_min, y_min=y_min, x_max=x_min + width, y_max=y_min + height,
                   width=width, height=height, keypoints=kps)
