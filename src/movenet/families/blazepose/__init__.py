"""BlazePose (the TF.js ``tfjs`` runtime of ``@tensorflow-models/pose-detection``): 33
keypoints with depth, 3D world keypoints in metres and a person mask, from the person detector
and one of the lite/full/heavy landmark networks.

``BlazePoseDetector(detector_network, landmark_network, model_type="full", ...)`` takes two
loaded networks (:class:`movenet.runtime.Backend`); see :class:`BlazePoseOptions`.
``load_blazepose("blazepose-heavy", enable_segmentation=True)`` loads both networks by name.
"""

from movenet.families.blazepose.detector import BlazePoseDetector
from movenet.families.blazepose.load import MODEL_NAMES, load_blazepose
from movenet.families.blazepose.options import BlazePoseOptions

__all__ = ["MODEL_NAMES", "BlazePoseDetector", "BlazePoseOptions", "load_blazepose"]
