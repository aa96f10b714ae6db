"""`create_detector`: the one entry point that builds a detector for a model name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from movenet.calculators.tracking import TrackerConfig
from movenet.families.movenet.constants import INPUT_SIZES, MULTIPOSE_DEFAULT_MAX_DIMENSION
from movenet.families.movenet.decode import Target, check_target
from movenet.families.movenet.heads import load_heads_network
from movenet.families.movenet.multipose import MultiPoseDetector, check_multipose_options
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.io.images import ImageSource
from movenet.models.catalog import MODEL_NAMES
from movenet.models.store import load_network
from movenet.runtime import Backend
from movenet.types import Pose

#: TF.js model-type names accepted as aliases of ours.
MODEL_ALIASES = {
    "singlepose.lightning": "lightning",
    "singlepose.thunder": "thunder",
    "multipose.lightning": "multipose",
}


class PoseDetector(Protocol):
    """What every detector offers (the TF.js PoseDetector interface)."""

    model: str

    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]: ...

    def reset(self) -> None: ...


def canonical_model_name(model: str) -> str:
    """'lightning', 'thunder' or 'multipose' from our name or a TF.js model type."""
    name = MODEL_ALIASES.get(model.lower(), model.lower())
    if name not in MODEL_NAMES:
        raise ValueError(f"Invalid architecture {model}. Should be one of {', '.join(MODEL_NAMES)}")
    return name


def detector_on_network(model: str, network: Backend, *, enable_smoothing: bool = True,
                        min_pose_score: float | None = None, tracker: str | None = "boundingBox",
                        tracker_config: TrackerConfig | Mapping[str, Any] | None = None,
                        max_poses: int | None = None,
                        multipose_max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION,
                        heads_network: Backend | Callable[[], Backend] | None = None) -> PoseDetector:
    """A fresh detector (no temporal state) on an already loaded `network` (`load_network`).

    One network can back many detectors, e.g. one per video stream; options as in
    `create_detector` (the multi-pose ones are ignored by the single-pose models).
    """
    name = canonical_model_name(model)
    if name == "multipose":
        return MultiPoseDetector(network, enable_smoothing=enable_smoothing, min_pose_score=min_pose_score,
                                 max_dimension=multipose_max_dimension, tracker=tracker,
                                 tracker_config=tracker_config, max_poses=max_poses)
    return SinglePoseDetector(network, INPUT_SIZES[name], model=name, enable_smoothing=enable_smoothing,
                              min_pose_score=min_pose_score, heads_network=heads_network)


def create_detector(model: str = "lightning", *, enable_smoothing: bool = True,
                    min_pose_score: float | None = None, model_dir: str | Path | None = None,
                    backend: str = "onnxruntime", threads: int | None = None,
                    tracker: str | None = "boundingBox",
                    tracker_config: TrackerConfig | Mapping[str, Any] | None = None,
                    max_poses: int | None = None,
                    multipose_max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION,
                    decoder: str = "graph", target: Target = "center", precision: str = "fp32") -> PoseDetector:
    """Build a MoveNet detector.

    model: "lightning" (default, 192x192, fastest), "thunder" (256x256, most accurate), or
        "multipose"; TF.js names such as "SinglePose.Thunder" work too.
    enable_smoothing: one-euro smoothing of keypoints over time (needs timestamps).
    min_pose_score: poses scoring below it are dropped (default 0.25).
    model_dir: folder holding the TF.js model files (default: $MOVENET_MODEL_DIR, else the
        user cache, fetched on first use).
    backend, threads: inference engine ("onnxruntime" or "openvino") and its intra-op thread count.
    precision: "fp32" (default, matches TF.js), "int8" (quantised, any backend), "bf16" or "fp16"
        (backend="openvino" on CPUs with the instructions): faster, less exact; docs/performance.md.

    Multi-pose only (ignored by the single-pose models, which find at most one person):
    tracker: "boundingBox" (default), "keypoint", or None / "none" (no ids, no smoothing).
    tracker_config: a movenet.calculators.tracking.TrackerConfig, or a mapping merged onto the tracker's
        defaults, e.g. {"max_age": 500}.
    max_poses: return at most this many people (default: all that pass min_pose_score, up to 6).
    multipose_max_dimension: longer side of the network input, a multiple of 32 (default 256).

    Single-pose only:
    decoder: "graph" (default): the network's own post-processing; "heads": the same decoding
        done in NumPy from the four head outputs (movenet.families.movenet.decode), which allows `target`.
    target: who to follow (needs decoder="heads"): "center" (default, the person nearest the
        frame centre, as the graph), "largest", or an (x, y) point in image pixels. It picks the
        person on the first frame (and after a reset or a lost pose); the crop then follows them.
    """
    name = canonical_model_name(model)
    if decoder not in ("graph", "heads"):
        raise ValueError(f"decoder must be 'graph' or 'heads', got {decoder!r}")
    target = check_target(target)
    if target != "center" and decoder != "heads":
        raise ValueError(f"target={target!r} needs decoder='heads'")
    if name == "multipose":
        if decoder != "graph" or target != "center":
            raise ValueError("decoder and target apply to the single-pose models (lightning, thunder) only")
        # Fail on bad options before the (slower) network load.
        check_multipose_options(min_pose_score=min_pose_score, max_dimension=multipose_max_dimension,
                                tracker=tracker, tracker_config=tracker_config, max_poses=max_poses)
        network = load_network(name, model_dir, backend=backend, threads=threads, precision=precision)
        return detector_on_network(name, network, enable_smoothing=enable_smoothing, min_pose_score=min_pose_score,
                                   tracker=tracker, tracker_config=tracker_config, max_poses=max_poses,
                                   multipose_max_dimension=multipose_max_dimension)
    if decoder == "heads":
        if precision != "fp32":
            raise ValueError(f"decoder='heads' runs the fp32 network only, not precision={precision!r}")
        network = load_heads_network(name, model_dir, backend=backend, threads=threads)
        return SinglePoseDetector(network, INPUT_SIZES[name], model=name, enable_smoothing=enable_smoothing,
                                  min_pose_score=min_pose_score, decoder=decoder, target=target)
    network = load_network(name, model_dir, backend=backend, threads=threads, precision=precision)
    return detector_on_network(name, network, enable_smoothing=enable_smoothing, min_pose_score=min_pose_score,
                               heads_network=partial(load_heads_network, name, model_dir, backend=backend,
                                                     threads=threads))
