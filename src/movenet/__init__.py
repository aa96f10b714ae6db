"""Google's pose-detection models (MoveNet Lightning, Thunder, MultiPose) in Python, matching the
TF.js reference (``@tensorflow-models/pose-detection``).

    import movenet
    detector = movenet.create_detector("lightning")
    poses = detector.estimate_poses(rgb_uint8_hwc)
"""

from movenet.api import PoseDetector, build_detector, create_detector
from movenet.errors import ImageError, ModelFileError, MovenetError
from movenet.io.images import load_image
from movenet.io.video import VideoError, read_video
from movenet.registry import MODEL_NAMES
from movenet.skeletons import BLAZEPOSE_33, COCO_17, Skeleton
from movenet.types import KEYPOINT_INDEX, KEYPOINT_NAMES, SKELETON_EDGES, BoundingBox, Keypoint, Pose

__all__ = [
    "BLAZEPOSE_33",
    "COCO_17",
    "KEYPOINT_INDEX",
    "KEYPOINT_NAMES",
    "MODEL_NAMES",
    "SKELETON_EDGES",
    "BoundingBox",
    "ImageError",
    "Keypoint",
    "ModelFileError",
    "MovenetError",
    "Pose",
    "PoseDetector",
    "Skeleton",
    "VideoError",
    "build_detector",
    "create_detector",
    "load_image",
    "read_video",
]
__version__ = "0.1.0"
