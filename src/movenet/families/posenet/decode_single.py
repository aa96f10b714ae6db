"""PoseNet single-person decoding: every keypoint at its heatmap maximum plus its offset.

Follows ``pose-detection/src/posenet/calculators/{decode_single_pose,decode_single_pose_util}.ts``
(spec section 15). The position is a float32 tensor op in the reference (``cast(idx * stride)
+ offset``), so it is rounded to float32 here too; the pose score is a float64 sum.
"""

from __future__ import annotations

import numpy as np

from movenet.families.posenet.pose import InputPose
from movenet.types import NUM_KEYPOINTS


def argmax2d(scores: np.ndarray) -> np.ndarray:
    """(17, 2) int grid cells (y, x) of each keypoint's maximum in `scores` [h, w, 17]; the
    first maximum in row-major order wins, as ``tf.argMax`` does."""
    height, width, depth = scores.shape
    flat = np.argmax(scores.reshape(height * width, depth), axis=0)
    ys = flat // width
    return np.stack([ys, flat - ys * width], axis=1)


def decode_single_pose(heatmap_scores: np.ndarray, offsets: np.ndarray, output_stride: int) -> InputPose:
    """The one pose of `heatmap_scores` [h, w, 17] and `offsets` [h, w, 34] (float32), in
    network-input pixels. Always returns a pose, whatever the scores (no threshold)."""
    cells = argmax2d(heatmap_scores)
    ys, xs = cells[:, 0], cells[:, 1]
    ids = np.arange(NUM_KEYPOINTS)
    offset_y = offsets[ys, xs, ids]
    offset_x = offsets[ys, xs, ids + NUM_KEYPOINTS]
    # float32 arithmetic, as the tensor ops of getOffsetPoints
    y = (ys * output_stride).astype(np.float32) + offset_y.astype(np.float32)
    x = (xs * output_stride).astype(np.float32) + offset_x.astype(np.float32)
    scores = heatmap_scores[ys, xs, ids]
    total = 0.0
    for s in scores.tolist():  # summed one by one in float64, in keypoint order
        total += s
    keypoints = np.stack([y.astype(np.float64), x.astype(np.float64), scores.astype(np.float64)], axis=1)
    return InputPose(keypoints=keypoints, score=total / NUM_KEYPOINTS)
