"""Output types and COCO keypoint constants (reference-spec section 1.7 and 1.8)."""

from __future__ import annotations

from dataclasses import dataclass, field

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
KEYPOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

#: The 16 COCO skeleton edges, in the reference's order (getAdjacentPairs).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (5, 11), (6, 8),
    (6, 12), (7, 9), (8, 10), (11, 12), (11, 13), (12, 14), (13, 15), (14, 16),
)  # fmt: skip

#: Keypoint indices by body side (getKeypointIndexBySide).
KEYPOINTS_BY_SIDE: dict[str, tuple[int, ...]] = {
    "left": (1, 3, 5, 7, 9, 11, 13, 15),
    "right": (2, 4, 6, 8, 10, 12, 14, 16),
    "middle": (0,),
}


@dataclass(frozen=True)
class Keypoint:
    """One body keypoint, in input-image pixels."""

    x: float
    y: float
    score: float
    name: str


@dataclass(frozen=True)
class BoundingBox:
    """An axis-aligned box, in input-image pixels."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min


@dataclass(frozen=True)
class Pose:
    """A detected person: 17 COCO keypoints (always all 17), a pose score, and for the
    multi-pose model a box and a track id."""

    keypoints: tuple[Keypoint, ...]
    score: float
    box: BoundingBox | None = None
    id: int | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def keypoint(self, name: str) -> Keypoint:
        """The keypoint with this COCO name."""
        return self.keypoints[KEYPOINT_INDEX[name]]

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by the CLI (`movenet detect --json`)."""
        box = None
        if self.box is not None:
            b = self.box
            box = {"x_min": b.x_min, "y_min": b.y_min, "x_max": b.x_max, "y_max": b.y_max,
                   "width": b.width, "height": b.height}
        return {
            "score": self.score,
            "keypoints": [{"name": k.name, "x": k.x, "y": k.y, "score": k.score} for k in self.keypoints],
            "box": box,
            "id": self.id,
        }
