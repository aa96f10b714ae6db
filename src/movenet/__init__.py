"""MoveNet pose detection (Lightning, Thunder, MultiPose) in Python, matching the TF.js reference."""

from movenet.errors import ImageError, ModelFileError, MovenetError
from movenet.types import KEYPOINT_NAMES, SKELETON_EDGES, BoundingBox, Keypoint, Pose

__all__ = [
    "KEYPOINT_NAMES",
    "SKELETON_EDGES",
    "BoundingBox",
    "ImageError",
    "Keypoint",
    "ModelFileError",
    "MovenetError",
    "Pose",
]
__version__ = "0.1.0"
