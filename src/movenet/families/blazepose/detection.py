"""The BlazePose person detector: whole image -> the first detection -> the landmark ROI.

Follows ``pose-detection/src/blazepose_tfjs/detector.ts`` (``detectPose``,
``poseDetectionToRoi``); spec §3.7, §4, §5.
"""

from __future__ import annotations

import numpy as np

from movenet.calculators.anchors import create_ssd_anchors
from movenet.calculators.detections import (
    Detection,
    non_max_suppression,
    remove_detection_letterbox,
    tensors_to_detections,
)
from movenet.calculators.image_to_tensor import ImageTensor, convert_image_to_tensor
from movenet.calculators.rects import Rect, alignment_points_rect, transform_normalized_rect
from movenet.families.blazepose import constants as C

__all__ = ["detector_anchors", "detector_input", "detections_from_output", "detection_to_roi", "roi_from_points"]

_ANCHORS: np.ndarray | None = None


def detector_anchors() -> np.ndarray:
    """The 2254 anchors ``(x, y, w, h)``, built once (the reference keeps them as float32)."""
    global _ANCHORS
    if _ANCHORS is None:
        _ANCHORS = create_ssd_anchors(C.DETECTOR_ANCHOR_CONFIG).astype(np.float32)
        assert _ANCHORS.shape[0] == C.NUM_ANCHORS
    return _ANCHORS


def detector_input(image: np.ndarray, threads: int | None = 1) -> ImageTensor:
    """The 224x224 letterboxed whole image in [-1, 1] (zero border: -1 after the shift);
    ``threads`` for the warp (None: all cores; the same values)."""
    return convert_image_to_tensor(image, (C.DETECTOR_INPUT_SIZE, C.DETECTOR_INPUT_SIZE), keep_aspect_ratio=True,
                                   border_mode="zero", value_range=(-1.0, 1.0), threads=threads)


def detections_from_output(output: np.ndarray, prepared: ImageTensor, max_poses: int = 1) -> list[Detection]:
    """The detector output ``[1, 2254, 13]`` (score logit, then 12 regressors per anchor) to
    at most ``max_poses`` detections normalized to the image, best first."""
    raw = np.asarray(output, dtype=np.float32).reshape(C.NUM_ANCHORS, -1)
    if raw.shape[1] != 1 + C.DETECTOR_DECODE_CONFIG.num_coords:
        raise ValueError(f"detector output must be [1, {C.NUM_ANCHORS}, 13], got {list(np.shape(output))}")
    detections = tensors_to_detections(raw[:, 0], raw[:, 1:], detector_anchors(), C.DETECTOR_DECODE_CONFIG)
    if not detections:
        return []
    selected = non_max_suppression(detections, max_poses, C.NMS_IOU_THRESHOLD)
    return [remove_detection_letterbox(d, prepared.padding) for d in selected]


def roi_from_points(start: tuple[float, float], end: tuple[float, float], image_width: int,
                    image_height: int) -> Rect:
    """The landmark ROI from a centre point and a scale/rotation point (normalized): a square
    twice their distance, rotated upright, enlarged 1.25 times (AlignmentPointsRects +
    RectTransformation)."""
    raw = alignment_points_rect(start, end, image_width, image_height, C.ROI_TARGET_ANGLE_DEGREE)
    return transform_normalized_rect(raw, image_width, image_height, scale_x=C.ROI_SCALE, scale_y=C.ROI_SCALE,
                                     shift_x=0.0, shift_y=0.0, square_long=True)


def detection_to_roi(detection: Detection, image_width: int, image_height: int) -> Rect:
    """poseDetectionToRoi: keypoint 0 (hip centre) and 1 (body scale and rotation)."""
    kps = detection.keypoints
    return roi_from_points((float(kps[0, 0]), float(kps[0, 1])), (float(kps[1, 0]), float(kps[1, 1])),
                           image_width, image_height)
