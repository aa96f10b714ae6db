"""The BlazePose 33-keypoint skeleton as data: names, edges and sides
(``pose-detection/src/constants.ts`` BLAZEPOSE_KEYPOINTS, ``util.ts`` getAdjacentPairs and
getKeypointIndexBySide; spec §10)."""

from __future__ import annotations

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
KEYPOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

#: The reference's 36 pairs, in its order; (15, 17) occurs twice there and is kept.
EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 4), (1, 2), (2, 3), (3, 7), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13),
    (11, 23), (12, 14), (14, 16), (12, 24), (13, 15), (15, 17), (16, 18), (16, 20), (15, 17),
    (15, 19), (15, 21), (16, 22), (17, 19), (18, 20), (23, 25), (23, 24), (24, 26), (25, 27),
    (26, 28), (27, 29), (28, 30), (27, 31), (28, 32), (29, 31), (30, 32),
)  # fmt: skip

#: Keypoint indices by body side.
SIDES: dict[str, tuple[int, ...]] = {
    "left": (1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
    "right": (4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32),
    "middle": (0,),
}

#: The 17 COCO keypoints BlazePose shares, as (COCO name, BlazePose index), in COCO order
#: (for COCO evaluation and MoveNet-style analysis).
COCO_KEYPOINTS: tuple[tuple[str, int], ...] = (
    ("nose", 0), ("left_eye", 2), ("right_eye", 5), ("left_ear", 7), ("right_ear", 8),
    ("left_shoulder", 11), ("right_shoulder", 12), ("left_elbow", 13), ("right_elbow", 14),
    ("left_wrist", 15), ("right_wrist", 16), ("left_hip", 23), ("right_hip", 24),
    ("left_knee", 25), ("right_knee", 26), ("left_ankle", 27), ("right_ankle", 28),
)  # fmt: skip
