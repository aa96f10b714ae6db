"""MoveNet pose detection (Lightning, Thunder, MultiPose) in Python, matching the TF.js reference.

    import movenet
    detector = movenet.create_detector("lightning")
    poses = detector.estimate_poses(rgb_uint8_hwc)
"""

from movenet.api import PoseDetector, create_detector
from movenet.errors import ImageError, ModelFileError, MovenetError
from movenet.io.images import load_image
from movenet.io.video import VideoError, read_video
from movenet.types import KEYPOINT_INDEX, KEYPOINT_NAMES, SKELETON_EDGES, BoundingBox, Keypoint, Pose

__all__ = [
    "KEYPOINT_INDEX",
    "KEYPOINT_NAMES",
    "SKELETON_EDGES",
    "BoundingBox",
    "ImageError",
    "Keypoint",
    "ModelFileError",
    "MovenetError",
    "Pose",
    "PoseDetector",
    "VideoError",
    "create_detector",
    "load_image",
    "read_video",
]
__version__ = "0.1.0"
