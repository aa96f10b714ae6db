"""The options of each MoveNet model, validated when they are made (``pose-detection/src/movenet/
types.ts``: ``MoveNetModelConfig`` and ``MoveNetEstimationConfig``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from movenet.calculators.tracking import TrackerConfig
from movenet.families.movenet.constants import MULTIPOSE_DEFAULT_MAX_DIMENSION
from movenet.families.movenet.decode import Target, check_target
from movenet.families.movenet.multipose import check_multipose_options, tracker_type_name

__all__ = ["MultiPoseOptions", "SinglePoseOptions"]

_DECODERS = ("graph", "heads")


def _check_min_pose_score(value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"min_pose_score should be between 0.0 and 1.0, got {value}")


@dataclass(frozen=True)
class SinglePoseOptions:
    """SinglePose Lightning and Thunder.

    enable_smoothing: one-euro smoothing of the keypoints over time (needs timestamps).
    min_pose_score: poses below it are dropped and the state reset (None: 0.25).
    decoder: "graph" (the network's own post-processing) or "heads" (the same decoding in NumPy
        from the four head outputs, :mod:`movenet.families.movenet.decode`), which allows `target`.
    target: who to follow (decoder="heads"): "center", "largest" or an (x, y) image point.
    """

    #: Named in the error for an option given to a model that does not take it.
    applies_to: ClassVar[str] = "the single-pose models (lightning, thunder)"

    enable_smoothing: bool = True
    min_pose_score: float | None = None
    decoder: str = "graph"
    target: Target = "center"

    def __post_init__(self) -> None:
        _check_min_pose_score(self.min_pose_score)
        if self.decoder not in _DECODERS:
            raise ValueError(f"decoder must be 'graph' or 'heads', got {self.decoder!r}")
        target = check_target(self.target)
        object.__setattr__(self, "target", target)
        if target != "center" and self.decoder != "heads":
            raise ValueError(f"target={target!r} needs decoder='heads'")


@dataclass(frozen=True)
class MultiPoseOptions:
    """MultiPose Lightning.

    enable_smoothing: one-euro smoothing of each track's keypoints (needs tracking, timestamps).
    min_pose_score: people scoring below it are dropped (None: 0.25).
    tracker: "boundingBox" (default), "keypoint", or None / "none" (no ids, no smoothing).
    tracker_config: a TrackerConfig, or a mapping merged onto the tracker's defaults.
    max_poses: return at most this many people (None: all that pass min_pose_score, up to 6).
    multipose_max_dimension: longer side of the network input, a multiple of 32 (default 256).
    """

    applies_to: ClassVar[str] = "the multi-pose model (multipose)"

    enable_smoothing: bool = True
    min_pose_score: float | None = None
    tracker: str | None = "boundingBox"
    tracker_config: TrackerConfig | Mapping[str, Any] | None = None
    max_poses: int | None = None
    multipose_max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "tracker", tracker_type_name(self.tracker))  # "none" -> None, aliases
        check_multipose_options(min_pose_score=self.min_pose_score, max_dimension=self.multipose_max_dimension,
                                tracker=self.tracker, tracker_config=self.tracker_config,
                                max_poses=self.max_poses)
