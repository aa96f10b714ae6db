"""A decoded PoseNet pose in network-input pixels, and its way back to the image.

Follows ``pose-detection/src/posenet/calculators/{scale_poses,flip_poses}.ts`` (spec section
17): the letterbox is undone in float64 with the reference's formula, then ``flip_horizontal``
mirrors x as ``W - 1 - x`` (the reference's pixel-index mirror).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movenet.calculators.rects import Padding
from movenet.types import KEYPOINT_NAMES, Keypoint, Pose


@dataclass(frozen=True)
class InputPose:
    """keypoints: (17, 3) float64 rows (y, x, score) in network-input pixels; score: the pose score."""

    keypoints: np.ndarray
    score: float


def to_image_pose(pose: InputPose, image_size: tuple[int, int], resolution: tuple[int, int], padding: Padding,
                  flip_horizontal: bool = False) -> Pose:
    """`pose` in the pixels of the image (width, height) it came from: ``scalePoses`` for a
    network input of `resolution` (width, height) letterboxed with `padding`, then
    ``flipPosesHorizontal`` when asked. Keypoints are not clipped to the image."""
    width, height = image_size
    res_w, res_h = resolution
    scale_y = height / (res_h * (1 - padding.top - padding.bottom))
    scale_x = width / (res_w * (1 - padding.left - padding.right))
    offset_y = -padding.top * res_h
    offset_x = -padding.left * res_w
    rows: list[list[float]] = pose.keypoints.tolist()
    keypoints = []
    for (y, x, score), name in zip(rows, KEYPOINT_NAMES, strict=True):
        if not (scale_x == 1 and scale_y == 1 and offset_y == 0 and offset_x == 0):
            x = (x + offset_x) * scale_x
            y = (y + offset_y) * scale_y
        if flip_horizontal:
            x = width - 1 - x
        keypoints.append(Keypoint(x=x, y=y, score=score, name=name))
    return Pose(keypoints=tuple(keypoints), score=pose.score)
