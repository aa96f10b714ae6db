"""Poses from decoded keypoints: the pose score and the Pose in image pixels, shared by the
single- and multi-pose detectors (``pose-detection/src/movenet/detector.ts``)."""

from __future__ import annotations

import numpy as np

from movenet.families.movenet.constants import MIN_CROP_KEYPOINT_SCORE
from movenet.skeletons import COCO_17
from movenet.types import Keypoint, Pose

__all__ = ["make_pose", "pose_score"]


def pose_score(scores: np.ndarray) -> float:
    """Mean of the keypoint scores above 0.2, or 0 when none is (``detector.ts``), summed one by
    one in float64 as the reference does (numpy's pairwise sum can differ in the last bit)."""
    total = 0.0
    count = 0
    for s in scores.tolist():  # plain floats: 17 numpy scalars would cost more than the sum
        if s > MIN_CROP_KEYPOINT_SCORE:
            total += s
            count += 1
    return total / count if count else 0.0


def make_pose(yx_norm: np.ndarray, scores: np.ndarray, height: int, width: int, score: float,
              flip_horizontal: bool = False) -> Pose:
    """A Pose in pixels from image-normalized (y, x) keypoints."""
    ys = yx_norm[:, 0] * height
    xs = yx_norm[:, 1] * width
    if flip_horizontal:
        xs = width - 1 - xs
    keypoints = tuple(
        Keypoint(x=x, y=y, score=s, name=name)
        for x, y, s, name in zip(xs.tolist(), ys.tolist(), np.asarray(scores, np.float64).tolist(),
                                 COCO_17.keypoint_names, strict=True)
    )
    return Pose(keypoints=keypoints, score=score, skeleton=COCO_17)
