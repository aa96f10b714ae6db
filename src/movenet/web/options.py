"""Detector options of a request or a stream (model, smoothing, multipose settings), parsed from
query strings or JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from movenet.constants import MULTIPOSE_DEFAULT_MAX_DIMENSION
from movenet.detector import PoseDetector, canonical_model_name, detector_on_network
from movenet.multipose import check_multipose_options, tracker_type_name
from movenet.runtime import Backend

__all__ = ["MAX_MULTIPOSE_DIM", "MAX_POSES", "StreamConfig"]

#: Largest ``multipose_max_dim`` a client may ask for. The network input (and ONNX Runtime's
#: buffers, kept afterwards) grows with its square: about 90 MB at 512, 430 MB and 1.3 s a frame
#: per core at 1024, gigabytes beyond; TF.js's default is 256.
MAX_MULTIPOSE_DIM = 1024
#: Largest ``max_poses``: MultiPose Lightning finds at most 6 people.
MAX_POSES = 6


def _check_limits(config: StreamConfig) -> None:
    """ValueError naming the limit when a size-like option is beyond what this server allows."""
    if config.multipose_max_dim > MAX_MULTIPOSE_DIM:
        raise ValueError(f"multipose_max_dim: at most {MAX_MULTIPOSE_DIM} on this server (memory grows with its "
                         f"square), got {config.multipose_max_dim}")
    if config.max_poses is not None and config.max_poses > MAX_POSES:
        raise ValueError(f"max_poses: at most {MAX_POSES} (the network finds at most {MAX_POSES} people), "
                         f"got {config.max_poses}")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _parse_number(value: Any, *, integer: bool = False) -> float | int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if isinstance(value, int) and integer:
        return value  # JSON integers may have hundreds of digits: the limits judge them, not float()
    if isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"expected a finite number, got an integer of {len(str(value))} digits") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    if integer:
        if value != int(value):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return float(value)


@dataclass(frozen=True)
class StreamConfig:
    """Detector options of a request or a stream. ``tracker`` "none" turns multipose tracking off."""

    model: str = "lightning"
    smoothing: bool = True
    min_pose_score: float | None = None
    tracker: str = "boundingBox"
    max_poses: int | None = None
    multipose_max_dim: int = MULTIPOSE_DEFAULT_MAX_DIMENSION

    def updated(self, changes: Mapping[str, Any]) -> StreamConfig:
        """A copy with `changes` applied (JSON values or query strings); ValueError names the bad field."""
        known = {f.name for f in fields(self)}
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known: {', '.join(sorted(known))}")
            try:
                if key == "model":
                    if not isinstance(raw, str):
                        raise ValueError(f"expected a model name, got {raw!r}")
                    values[key] = canonical_model_name(raw)
                elif key == "smoothing":
                    values[key] = _parse_bool(raw)
                elif key == "min_pose_score":
                    values[key] = _parse_number(raw)
                elif key in ("max_poses", "multipose_max_dim"):
                    number = _parse_number(raw, integer=True)
                    if number is None and key == "multipose_max_dim":
                        number = MULTIPOSE_DEFAULT_MAX_DIMENSION
                    values[key] = number
                elif key == "tracker":
                    kind = tracker_type_name(raw if isinstance(raw, str) or raw is None else str(raw))
                    values[key] = "none" if kind is None else kind
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{key}: {exc}") from None
        config = replace(self, **values)
        _check_limits(config)
        check_multipose_options(min_pose_score=config.min_pose_score, max_dimension=config.multipose_max_dim,
                                tracker=config.tracker, max_poses=config.max_poses)
        return config

    def build(self, network: Backend) -> PoseDetector:
        """A fresh detector (no temporal state) on the shared `network`."""
        return detector_on_network(self.model, network, enable_smoothing=self.smoothing,
                                   min_pose_score=self.min_pose_score, tracker=tracker_type_name(self.tracker),
                                   max_poses=self.max_poses, multipose_max_dimension=self.multipose_max_dim)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
