"""PoseNet multi-person decoding: root candidates, part-graph traversal, part-based NMS.

Follows ``pose-detection/src/posenet/calculators/{decode_multiple_poses,decode_multiple_poses_util,
build_part_with_score_queue}.ts`` and the part graph of ``posenet/constants.ts`` (spec section
16). The reference reads the float32 maps into JavaScript numbers, so everything here is
float64 arithmetic on float32 values, in the reference's order of operations.

In short: every heatmap cell that scores >= the threshold and is the maximum of its 3x3
window is a root candidate. Candidates leave a max-heap by score; one whose keypoint lies
within the NMS radius of the same keypoint of an accepted pose is skipped, otherwise a pose
grows from it along the tree of 16 edges (backward displacements towards the nose, then
forward ones towards the limbs), each step refined twice with the short-range offsets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from movenet.families.posenet.max_heap import MaxHeap
from movenet.families.posenet.options import LOCAL_MAXIMUM_RADIUS
from movenet.families.posenet.pose import InputPose
from movenet.types import KEYPOINT_INDEX, NUM_KEYPOINTS

#: The part graph (``POSE_CHAIN``): 16 (parent, child) edges rooted at the nose. Edge e's
#: displacement is channel e (y) and 16 + e (x) of displacement_fwd (parent -> child) and
#: displacement_bwd (child -> parent).
POSE_CHAIN: tuple[tuple[str, str], ...] = (
    ("nose", "left_eye"), ("left_eye", "left_ear"), ("nose", "right_eye"), ("right_eye", "right_ear"),
    ("nose", "left_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("left_shoulder", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("nose", "right_shoulder"), ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("right_shoulder", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
)  # fmt: skip
POSE_CHAIN_IDS: tuple[tuple[int, int], ...] = tuple((KEYPOINT_INDEX[p], KEYPOINT_INDEX[c]) for p, c in POSE_CHAIN)

#: Refinements of a displaced keypoint with the offsets (``offsetRefineStep``).
OFFSET_REFINE_STEPS = 2


@dataclass(frozen=True)
class Candidate:
    """A root candidate: heatmap cell (y, x) of keypoint `part` with its score."""

    score: float
    y: int
    x: int
    part: int


def js_round(v: float) -> int:
    """JavaScript ``Math.round``: the nearest integer, halves towards +infinity (2.5 -> 3,
    -2.5 -> -2), unlike Python's ``round`` (halves to even)."""
    whole = math.floor(v)
    return whole + 1 if v - whole >= 0.5 else whole


def local_maxima(scores: np.ndarray, score_threshold: float, radius: int = LOCAL_MAXIMUM_RADIUS) -> np.ndarray:
    """(n, 3) cells (y, x, keypoint), in row-major order, whose score is >= `score_threshold`
    and not exceeded by any cell of the same keypoint within `radius` (the window clipped to
    the grid; equal neighbours do not count, so plateaus keep every cell)."""
    height, width, _ = scores.shape
    padded = np.pad(scores, ((radius, radius), (radius, radius), (0, 0)), constant_values=-np.inf)
    window_max = np.full_like(scores, -np.inf)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            np.maximum(window_max, padded[dy:dy + height, dx:dx + width], out=window_max)
    return np.argwhere((scores >= score_threshold) & (scores >= window_max))


def build_part_queue(scores: np.ndarray, score_threshold: float,
                     radius: int = LOCAL_MAXIMUM_RADIUS) -> MaxHeap[Candidate]:
    """buildPartWithScoreQueue: every local maximum, pushed in the reference's scan order."""
    queue: MaxHeap[Candidate] = MaxHeap(key=lambda c: c.score)
    for y, x, k in local_maxima(scores, score_threshold, radius).tolist():
        queue.push(Candidate(score=float(scores[y, x, k]), y=y, x=x, part=k))
    return queue


class _Maps:
    """The four maps as float64 arrays (JavaScript reads float32 buffers as doubles)."""

    def __init__(self, scores: np.ndarray, offsets: np.ndarray, fwd: np.ndarray, bwd: np.ndarray,
                 output_stride: int) -> None:
        self.scores = np.asarray(scores, np.float64)
        self.offsets = np.asarray(offsets, np.float64)
        self.fwd = np.asarray(fwd, np.float64)
        self.bwd = np.asarray(bwd, np.float64)
        self.stride = output_stride
        self.height, self.width = self.scores.shape[:2]

    def near(self, y: float, x: float) -> tuple[int, int]:
        """getStridedIndexNearPoint: the grid cell nearest a point in input pixels."""
        iy = min(max(js_round(y / self.stride), 0), self.height - 1)
        ix = min(max(js_round(x / self.stride), 0), self.width - 1)
        return iy, ix

    def keypoint_at(self, iy: int, ix: int, part: int) -> tuple[float, float]:
        """getImageCoords: cell position plus the keypoint's offset, in input pixels."""
        return (iy * self.stride + float(self.offsets[iy, ix, part]),
                ix * self.stride + float(self.offsets[iy, ix, part + NUM_KEYPOINTS]))

    def traverse(self, edge: int, source: tuple[float, float], target: int, displacements: np.ndarray
                 ) -> tuple[float, float, float]:
        """traverseToTargetKeypoint: follow edge `edge`'s displacement from `source` (y, x), then
        refine with the target's offsets; returns (y, x, score) of keypoint `target`."""
        num_edges = displacements.shape[2] // 2
        iy, ix = self.near(*source)
        y = source[0] + float(displacements[iy, ix, edge])
        x = source[1] + float(displacements[iy, ix, num_edges + edge])
        for _ in range(OFFSET_REFINE_STEPS):
            iy, ix = self.near(y, x)
            y, x = self.keypoint_at(iy, ix, target)
        iy, ix = self.near(y, x)
        return y, x, float(self.scores[iy, ix, target])


def decode_pose(root: Candidate, maps: _Maps) -> np.ndarray:
    """decodePose: the (17, 3) keypoints (y, x, score) grown from `root` along POSE_CHAIN."""
    keypoints: list[tuple[float, float, float] | None] = [None] * NUM_KEYPOINTS
    ry, rx = maps.keypoint_at(root.y, root.x, root.part)
    keypoints[root.part] = (ry, rx, root.score)
    for edge in range(len(POSE_CHAIN_IDS) - 1, -1, -1):  # towards the root, backward displacements
        parent, child = POSE_CHAIN_IDS[edge]
        src = keypoints[child]
        if src is not None and keypoints[parent] is None:
            keypoints[parent] = maps.traverse(edge, (src[0], src[1]), parent, maps.bwd)
    for edge in range(len(POSE_CHAIN_IDS)):  # towards the leaves, forward displacements
        parent, child = POSE_CHAIN_IDS[edge]
        src = keypoints[parent]
        if src is not None and keypoints[child] is None:
            keypoints[child] = maps.traverse(edge, (src[0], src[1]), child, maps.fwd)
    return np.array(keypoints, dtype=np.float64)


def within_nms_radius(poses: list[np.ndarray], squared_radius: float, y: float, x: float, part: int) -> bool:
    """withinNmsRadiusOfCorrespondingPoint: whether keypoint `part` of any pose lies within
    the radius of (y, x) (inclusive)."""
    for keypoints in poses:
        dy = keypoints[part, 0] - y
        dx = keypoints[part, 1] - x
        if dy * dy + dx * dx <= squared_radius:
            return True
    return False


def instance_score(poses: list[np.ndarray], squared_radius: float, keypoints: np.ndarray) -> float:
    """getInstanceScore: the sum of the scores of the keypoints not claimed by an earlier pose
    (not within the radius of its same keypoint), divided by 17."""
    total = 0.0
    for part, (y, x, score) in enumerate(keypoints.tolist()):
        if not within_nms_radius(poses, squared_radius, y, x, part):
            total += score
    return total / len(keypoints)


def decode_multiple_poses(heatmap_scores: np.ndarray, offsets: np.ndarray, displacements_fwd: np.ndarray,
                          displacements_bwd: np.ndarray, output_stride: int, max_poses: int,
                          score_threshold: float = 0.5, nms_radius: float = 20.0) -> list[InputPose]:
    """Up to `max_poses` poses in network-input pixels, in the order their roots left the queue
    (descending root score; not sorted by pose score, no pose-score threshold, as the reference)."""
    maps = _Maps(heatmap_scores, offsets, displacements_fwd, displacements_bwd, output_stride)
    queue = build_part_queue(maps.scores, score_threshold)
    squared_radius = nms_radius * nms_radius
    found: list[np.ndarray] = []
    scores: list[float] = []
    while len(found) < max_poses and not queue.empty():
        root = queue.pop()
        ry, rx = maps.keypoint_at(root.y, root.x, root.part)
        if within_nms_radius(found, squared_radius, ry, rx, root.part):
            continue
        keypoints = decode_pose(root, maps)
        scores.append(instance_score(found, squared_radius, keypoints))
        found.append(keypoints)
    return [InputPose(keypoints=k, score=s) for k, s in zip(found, scores, strict=True)]
