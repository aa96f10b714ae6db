"""Output types and COCO keypoint constants (reference-spec section 1.7 and 1.8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

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
    """One body keypoint, in input-image pixels. ``z`` (depth, scaled like x) only for models
    that give one (BlazePose); for 3D keypoints x, y, z are metres."""

    x: float
    y: float
    score: float
    name: str
    z: float | None = None

    def to_dict(self) -> dict[str, object]:
        """``name, x, y[, z], score`` (z only when the model gives one)."""
        if self.z is None:
            return {"name": self.name, "x": self.x, "y": self.y, "score": self.score}
        return {"name": self.name, "x": self.x, "y": self.y, "z": self.z, "score": self.score}


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
    """A detected person: the model's keypoints (17 COCO for MoveNet, 33 for BlazePose; always
    all of them), a pose score, for the multi-pose model a box and a track id, and for
    BlazePose ``keypoints_3d`` (metres, hip-centred) and optionally ``segmentation`` (an
    ``H x W`` float32 person probability over the image)."""

    keypoints: tuple[Keypoint, ...]
    score: float
    box: BoundingBox | None = None
    id: int | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    keypoints_3d: tuple[Keypoint, ...] | None = None
    segmentation: np.ndarray | None = field(default=None, compare=False, repr=False)

    def keypoint(self, name: str) -> Keypoint:
        """The keypoint with this name."""
        index = KEYPOINT_INDEX.get(name)
        if index is not None and index < len(self.keypoints) and self.keypoints[index].name == name:
            return self.keypoints[index]
        for k in self.keypoints:
            if k.name == name:
                return k
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by the CLI (`movenet detect --json`)."""
        box = None
        if self.box is not None:
            b = self.box
            box = {"x_min": b.x_min, "y_min": b.y_min, "x_max": b.x_max, "y_max": b.y_max,
                   "width": b.width, "height": b.height}
        out: dict[str, object] = {
            "score": self.score,
            "keypoints": [k.to_dict() for k in self.keypoints],
            "box": box,
            "id": self.id,
        }
        if self.keypoints_3d is not None:
            out["keypoints_3d"] = [k.to_dict() for k in self.keypoints_3d]
        return out
