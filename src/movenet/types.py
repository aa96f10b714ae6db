"""Output types: Keypoint, BoundingBox, Pose (``pose-detection/src/types.ts``), and the COCO
keypoint constants of the MoveNet models, kept for compatibility (the data lives in
:mod:`movenet.skeletons`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

import numpy as np

from movenet.skeletons import COCO_17, Skeleton

#: The 17 COCO keypoint names (``COCO_17.keypoint_names``).
KEYPOINT_NAMES: tuple[str, ...] = COCO_17.keypoint_names
NUM_KEYPOINTS = COCO_17.num_keypoints
KEYPOINT_INDEX: dict[str, int] = dict(COCO_17.index)
#: The 16 COCO skeleton edges, in the reference's order (getAdjacentPairs).
SKELETON_EDGES: tuple[tuple[int, int], ...] = COCO_17.edges
#: Keypoint indices by body side (getKeypointIndexBySide).
KEYPOINTS_BY_SIDE: dict[str, tuple[int, ...]] = COCO_17.sides


@dataclass(frozen=True)
class Keypoint:
    """One body keypoint, in input-image pixels; `z` (depth, scaled like x) where the model has it."""

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
    """A detected person: the keypoints of its `skeleton` (always all of them, with scores), a
    pose score, and where the model gives them a box, a track id, 3D keypoints (metres) and a
    segmentation mask (HxW float32 in the image's size)."""

    keypoints: tuple[Keypoint, ...]
    score: float
    box: BoundingBox | None = None
    id: int | None = None
    keypoints_3d: tuple[Keypoint, ...] | None = None
    segmentation: np.ndarray | None = field(default=None, compare=False, repr=False)
    skeleton: Skeleton = field(default=COCO_17, repr=False)

    def keypoint(self, name: str) -> Keypoint:
        """The keypoint with this name (in the pose's skeleton)."""
        return self.keypoints[self.skeleton.index_of(name)]

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by the CLI (`movenet detect --json`); the mask is not included."""
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
