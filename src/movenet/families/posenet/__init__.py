"""PoseNet (MobileNetV1 0.75, output stride 16), the third model of TF.js pose-detection.

Port of ``pose-detection/src/posenet``: letterbox with a replicated border, the network's
heatmaps, offsets and displacements, single- or multi-person decoding, back to image pixels.
"""

from movenet.families.posenet.detector import PoseNetDetector
from movenet.families.posenet.options import PoseNetOptions

__all__ = ["PoseNetDetector", "PoseNetOptions"]
