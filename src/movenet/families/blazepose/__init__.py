"""BlazePose (the TF.js ``tfjs`` runtime of ``@tensorflow-models/pose-detection``): 33
keypoints with depth, 3D world keypoints in metres and a person mask, from the person detector
and one of the lite/full/heavy landmark networks.

``BlazePoseDetector(detector_network, landmark_network, model_type="full", ...)`` takes two
loaded networks (:class:`movenet.runtime.Backend`); see :class:`BlazePoseOptions`.
"""

from movenet.families.blazepose.detector import BlazePoseDetector
from movenet.families.blazepose.options import BlazePoseOptions

__all__ = ["BlazePoseDetector", "BlazePoseOptions"]
