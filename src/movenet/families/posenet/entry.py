"""PoseNet as the registry sees it (``pose-detection/src/posenet/detector.ts``: ``load``): the
MobileNetV1 network the npm package ships (multiplier 0.75, output stride 16)."""

from __future__ import annotations

from movenet.families.base import ModelEntry, Networks, PoseDetector
from movenet.families.posenet.detector import PoseNetDetector
from movenet.families.posenet.options import PoseNetOptions
from movenet.skeletons import COCO_17

__all__ = ["MODELS", "build_posenet"]


def build_posenet(model: str, options: PoseNetOptions, networks: Networks) -> PoseDetector:
    """A PoseNet detector on `networks` (no temporal state: each frame stands alone)."""
    return PoseNetDetector(networks.graph("posenet"), options)


MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(name="posenet", family="posenet", aliases=("posenet.mobilenetv1",), skeleton=COCO_17,
               graphs=("posenet",), options=PoseNetOptions, build=build_posenet,
               description="PoseNet MobileNetV1 0.75: one person, or up to max_poses people (17 keypoints)",
               input_size=None, single_person=False),
)
