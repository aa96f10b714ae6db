"""The BlazePose landmark network on a rotated ROI: crop, decode, refine, project back.

Follows ``pose-detection/src/blazepose_tfjs/detector.ts`` (``poseLandmarksByRoi``,
``tensorsToPoseLandmarksAndSegmentation``, ``poseLandmarksAndSegmentationInverseProjection``);
spec §6 and §9.1-§9.2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from movenet.calculators.image_to_tensor import ImageTensor, convert_image_to_tensor
from movenet.calculators.landmarks import (
    landmark_projection,
    refine_landmarks_from_heatmap,
    remove_landmark_letterbox,
    tensors_to_landmarks,
    world_landmark_projection,
)
from movenet.calculators.rects import Rect
from movenet.calculators.segmentation import mask_to_image
from movenet.families.blazepose import constants as C

__all__ = ["LandmarkResult", "decode_landmarks", "landmark_input"]


@dataclass(frozen=True)
class LandmarkResult:
    """One landmark-network pass, mapped to the image (normalized coordinates).

    ``landmarks`` (33, 4) and ``auxiliary`` (2, 4): x, y, z (z scaled like x), visibility.
    ``world`` (33, 4): metres, hip-centred, rotated with the ROI; score copied from the
    landmarks. ``mask``: the person probability on the image grid (H x W float32), or None.
    """

    pose_score: float
    landmarks: np.ndarray
    auxiliary: np.ndarray
    world: np.ndarray
    mask: np.ndarray | None


def landmark_input(image: np.ndarray, roi: Rect, threads: int | None = 1) -> ImageTensor:
    """The 256x256 crop of the rotated ROI, letterboxed, zero border, values in [0, 1];
    ``threads`` for the warp (None: all cores; the same values)."""
    size = C.LANDMARK_INPUT_SIZE
    return convert_image_to_tensor(image, (size, size), keep_aspect_ratio=True, border_mode="zero",
                                   value_range=(0.0, 1.0), rect=roi, threads=threads)


def decode_landmarks(outputs: Mapping[str, np.ndarray], prepared: ImageTensor, roi: Rect, image_width: int,
                     image_height: int, with_segmentation: bool, threads: int | None = 1) -> LandmarkResult | None:
    """Decode the named landmark outputs (``ld_3d``, ``output_poseflag``,
    ``activation_heatmap``, ``world_3d``, and ``activation_segmentation`` when
    ``with_segmentation``; ``threads`` for its warp). None when the pose flag is below 0.5 (no pose)."""
    pose_score = float(np.asarray(outputs["output_poseflag"], dtype=np.float32).reshape(-1)[0])
    if pose_score < C.POSE_PRESENCE_SCORE:
        return None
    size = C.LANDMARK_INPUT_SIZE
    raw = tensors_to_landmarks(outputs["ld_3d"], C.NUM_LANDMARKS, size, size)
    refined = refine_landmarks_from_heatmap(raw, outputs["activation_heatmap"], C.REFINE_KERNEL_SIZE,
                                            C.REFINE_MIN_CONFIDENCE)
    landmarks = refined[: C.NUM_KEYPOINTS]
    auxiliary = refined[C.AUXILIARY_LANDMARKS]
    world = tensors_to_landmarks(outputs["world_3d"], C.NUM_LANDMARKS, 1, 1)[: C.NUM_KEYPOINTS]
    world[:, 3] = landmarks[:, 3]  # calculateScoreCopy: visibility from the 2D landmarks

    landmarks = landmark_projection(remove_landmark_letterbox(landmarks, prepared.padding), roi)
    auxiliary = landmark_projection(remove_landmark_letterbox(auxiliary, prepared.padding), roi)
    world = world_landmark_projection(world, roi)
    mask = None
    if with_segmentation:
        mask = mask_to_image(outputs["activation_segmentation"], prepared.matrix, image_width, image_height,
                             threads=threads)
    return LandmarkResult(pose_score, landmarks, auxiliary, world, mask)
