"""BlazePose options (``pose-detection/src/blazepose_tfjs/detector_utils.ts`` and ``types.ts``;
spec §1)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from movenet.families.blazepose.constants import MODEL_TYPES

__all__ = ["BlazePoseOptions", "check_max_poses"]


@dataclass(frozen=True)
class BlazePoseOptions:
    """How a :class:`~movenet.families.blazepose.detector.BlazePoseDetector` runs.

    model_type: "lite", "full" or "heavy" (which landmark network; checked here, where the
        reference only checks it inside the first landmark step, with the same message).
    enable_smoothing: filter the keypoints over time (needs timestamps).
    enable_segmentation: also return the person mask.
    smooth_segmentation: blend each mask with the previous one (also without timestamps).
    reference_z: True (default) reproduces the reference's keypoint z exactly, which is
        multiplied by the image width once more whenever smoothing runs (a TF.js bug);
        False always returns z in pixels, scaled like x.
    max_poses: must be 1 (the reference has no multi-pose BlazePose).
    """

    model_type: str = "full"
    enable_smoothing: bool = True
    enable_segmentation: bool = False
    smooth_segmentation: bool = True
    reference_z: bool = True
    max_poses: int = 1

    def __post_init__(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"Model type must be one of lite, full or heavy,but got {self.model_type}")
        for name in ("enable_smoothing", "enable_segmentation", "smooth_segmentation", "reference_z"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_max_poses(self.max_poses)


def check_max_poses(max_poses: int | None) -> int:
    """The reference's estimation-config check: None means 1; only 1 is allowed."""
    if max_poses is None:
        return 1
    if isinstance(max_poses, bool) or not isinstance(max_poses, Integral):
        raise ValueError(f"max_poses must be a whole number, got {max_poses!r}")
    if max_poses <= 0:
        raise ValueError(f"Invalid max_poses {max_poses}. Should be > 0.")
    if max_poses > 1:
        raise ValueError(f"max_poses must be 1 for BlazePose, got {max_poses} (multi-pose detection is not "
                         "implemented, as in TF.js)")
    return max_poses
