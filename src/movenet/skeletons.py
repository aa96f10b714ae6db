"""Keypoint layouts as data: names, edges, body sides and OKS sigmas of each skeleton.

Follows ``pose-detection/src/constants.ts`` (``COCO_KEYPOINTS``, ``BLAZEPOSE_KEYPOINTS``,
``COCO_CONNECTED_KEYPOINTS_PAIRS``, ``BLAZEPOSE_CONNECTED_KEYPOINTS_PAIRS``,
``COCO_KEYPOINTS_BY_SIDE``, ``BLAZEPOSE_KEYPOINTS_BY_SIDE``) and the OKS falloffs of
``pose-detection/src/calculators/constants.ts`` (``DEFAULT_KEYPOINT_TRACKER_CONFIG``). A pose
carries its skeleton (:attr:`movenet.types.Pose.skeleton`), so drawing, tracking, analysis and
evaluation never assume 17 COCO keypoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BLAZEPOSE_33", "COCO_17", "Skeleton"]


@dataclass(frozen=True)
class Skeleton:
    """A keypoint layout.

    name: short identifier ("coco17", "blazepose33").
    keypoint_names: the names, in the network's output order.
    edges: the connected keypoint pairs (indices), in the reference's order.
    left, right, middle: keypoint indices by body side.
    oks_sigmas: per-keypoint OKS falloff (COCO's keypoint sigmas), or None where undefined.
    """

    name: str
    keypoint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    middle: tuple[int, ...]
    oks_sigmas: tuple[float, ...] | None = None
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.keypoint_names)
        if self.oks_sigmas is not None and len(self.oks_sigmas) != n:
            raise ValueError(f"{self.name}: {len(self.oks_sigmas)} OKS sigmas for {n} keypoints")
        if any(not (0 <= a < n and 0 <= b < n) for a, b in self.edges):
            raise ValueError(f"{self.name}: an edge names a keypoint index outside 0..{n - 1}")
        object.__setattr__(self, "_index", {k: i for i, k in enumerate(self.keypoint_names)})

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoint_names)

    @property
    def index(self) -> dict[str, int]:
        """Keypoint name -> index (``util.getKeypointIndexByName``)."""
        return self._index

    def index_of(self, name: str) -> int:
        """The index of keypoint `name`; KeyError naming the skeleton if it has no such keypoint."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a keypoint of the {self.name} skeleton") from None

    @property
    def sides(self) -> dict[str, tuple[int, ...]]:
        """``{"left": ..., "right": ..., "middle": ...}`` (``util.getKeypointIndexBySide``)."""
        return {"left": self.left, "right": self.right, "middle": self.middle}

    def to_json(self) -> dict[str, object]:
        """The layout as plain JSON data (what the live page draws with)."""
        return {"name": self.name, "keypoints": list(self.keypoint_names), "edges": [list(e) for e in self.edges],
                "left": list(self.left), "right": list(self.right), "middle": list(self.middle)}

    def side_of(self, index: int) -> str:
        """"left", "right" or "middle" for keypoint `index` ("middle" if unlisted)."""
        if index in self.left:
            return "left"
        if index in self.right:
            return "right"
        return "middle"


COCO_17 = Skeleton(
    name="coco17",
    keypoint_names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    # getAdjacentPairs for MoveNet/PoseNet, in the reference's order.
    edges=(
        (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (5, 11), (6, 8),
        (6, 12), (7, 9), (8, 10), (11, 12), (11, 13), (12, 14), (13, 15), (14, 16),
    ),
    left=(1, 3, 5, 7, 9, 11, 13, 15),
    right=(2, 4, 6, 8, 10, 12, 14, 16),
    middle=(0,),
    # The COCO keypoint sigmas, as the reference's keypoint tracker writes them (keypointFalloff).
    oks_sigmas=(
        0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072,
        0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089,
    ),
)  # fmt: skip

BLAZEPOSE_33 = Skeleton(
    name="blazepose33",
    keypoint_names=(
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
        "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    ),
    # BLAZEPOSE_CONNECTED_KEYPOINTS_PAIRS as upstream lists them ((15, 17) occurs twice there).
    edges=(
        (0, 1), (0, 4), (1, 2), (2, 3), (3, 7), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12),
        (11, 13), (11, 23), (12, 14), (14, 16), (12, 24), (13, 15), (15, 17), (16, 18), (16, 20),
        (15, 17), (15, 19), (15, 21), (16, 22), (17, 19), (18, 20), (23, 25), (23, 24), (24, 26),
        (25, 27), (26, 28), (27, 29), (28, 30), (27, 31), (28, 32), (29, 31), (30, 32),
    ),
    left=(1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
    right=(4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32),
    middle=(0,),
)  # fmt: skip
