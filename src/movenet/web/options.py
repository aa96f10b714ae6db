"""Detector options of a request or a stream (model, engine, smoothing, per-model settings),
parsed from query strings or JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from movenet.api import EngineOptions, PoseDetector, build_detector, canonical_model_name, make_options
from movenet.registry import get_entry, models_with_option, option_default, option_names
from movenet.web.networks import NetworkPool

__all__ = ["MAX_INPUT_RESOLUTION", "MAX_MULTIPOSE_DIM", "MAX_POSENET_POSES", "MAX_POSES", "StreamConfig",
           "stream_options"]

#: Largest ``multipose_max_dim`` a client may ask for. The network input (and ONNX Runtime's
#: buffers, kept afterwards) grows with its square: about 90 MB at 512, 430 MB and 1.3 s a frame
#: per core at 1024, gigabytes beyond; TF.js's default is 256.
MAX_MULTIPOSE_DIM = 1024
#: Largest ``max_poses`` of MultiPose Lightning: the network finds at most 6 people.
MAX_POSES = 6
#: Largest ``max_poses`` of PoseNet (and of any model but MultiPose): multi-person decoding walks
#: the part graph once per pose; 20 people is a crowd for one camera.
MAX_POSENET_POSES = 20
#: Largest side of PoseNet's ``input_resolution``: the network input and its buffers grow with its
#: square (about 1 s a frame per core at 1025, 16x the default 257).
MAX_INPUT_RESOLUTION = 1025


def _check_limits(config: StreamConfig) -> None:
    """ValueError naming the limit when a size-like option is beyond what this server allows."""
    if config.multipose_max_dim > MAX_MULTIPOSE_DIM:
        raise ValueError(f"multipose_max_dim: at most {MAX_MULTIPOSE_DIM} on this server (memory grows with its "
                         f"square), got {config.multipose_max_dim}")
    if config.max_poses is not None and config.model == "multipose" and config.max_poses > MAX_POSES:
        raise ValueError(f"max_poses: at most {MAX_POSES} (the network finds at most {MAX_POSES} people), "
                         f"got {config.max_poses}")
    if config.max_poses is not None and config.max_poses > MAX_POSENET_POSES:
        raise ValueError(f"max_poses: at most {MAX_POSENET_POSES} on this server, got {config.max_poses}")
    sides = config.input_resolution if isinstance(config.input_resolution, tuple) else (config.input_resolution,)
    if max(sides) > MAX_INPUT_RESOLUTION:
        raise ValueError(f"input_resolution: at most {MAX_INPUT_RESOLUTION} px a side on this server (memory "
                         f"grows with its square), got {max(sides)}")


def _parse_resolution(value: Any) -> int | tuple[int, int]:
    """One side ("385", 385) or a width, height pair ("385,289", [385, 289]), whole pixels; the
    size limit is judged before PoseNet's own checks (which allocate nothing)."""
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"expected one side or a width,height pair, got {value!r}")
        width, height = (_parse_number(v, integer=True) for v in value)
        if width is None or height is None:
            raise ValueError(f"expected whole numbers of pixels, got {value!r}")
        return int(width), int(height)
    side = _parse_number(value, integer=True)
    if side is None:
        return int(option_default("input_resolution"))
    return int(side)



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
    if isinstance(value, str) and integer and value.strip().lstrip("+-").isdigit():
        return int(value)  # judged by the limits, however many digits
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


def _checked(option: str, value: Any, **context: Any) -> Any:  # noqa: ANN401 - the option's value
    """`value` as the options of the first model taking `option` store it (validated there), so
    that a setting is checked whichever model the stream runs now."""
    models = models_with_option(option)
    if not models:
        raise ValueError(f"no model takes the option {option!r}")
    return getattr(make_options(models[0], {**context, option: value}), option)


def _parse_target(value: Any) -> str | tuple[float, float]:
    """"center", "largest", an [x, y] pair or an "x,y" string."""
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    target = _checked("target", value, decoder="heads")
    return target if isinstance(target, str) else (float(target[0]), float(target[1]))


MAX_DIM_DEFAULT: int = option_default("multipose_max_dimension")


#: StreamConfig fields -> the detector option they set (the engine fields are separate).
_DETECTOR_OPTIONS = {"smoothing": "enable_smoothing", "min_pose_score": "min_pose_score", "tracker": "tracker",
                     "max_poses": "max_poses", "multipose_max_dim": "multipose_max_dimension",
                     "decoder": "decoder", "target": "target", "segmentation": "enable_segmentation",
                     "smooth_segmentation": "smooth_segmentation", "score_threshold": "score_threshold",
                     "nms_radius": "nms_radius", "input_resolution": "input_resolution"}


def stream_options(model: str) -> tuple[str, ...]:
    """The :class:`StreamConfig` detector fields that `model` uses (the live page shows only their
    controls): those whose detector option the model takes; ``max_poses`` only for multi-person models."""
    accepted = option_names(model)
    single = get_entry(model).single_person
    return tuple(name for name, option in _DETECTOR_OPTIONS.items()
                 if option in accepted and not (single and option == "max_poses"))


@dataclass(frozen=True)
class StreamConfig:
    """Detector options of a request or a stream. ``tracker`` "none" turns multipose tracking off.

    Every field is validated whatever the model; the detector gets the ones its model accepts
    (the page keeps, say, its tracker setting while switching to a single-pose model).
    ``segmentation`` turns on BlazePose's person mask (``enable_segmentation``); the replies then
    carry it compactly (:mod:`movenet.web.masks`). ``max_poses`` is not given to single-person
    models (BlazePose takes only 1), and None leaves a model's default (PoseNet: 1)."""

    model: str = "lightning"
    smoothing: bool = True
    min_pose_score: float | None = None
    tracker: str = "boundingBox"
    max_poses: int | None = None
    multipose_max_dim: int = MAX_DIM_DEFAULT
    backend: str = "onnxruntime"
    precision: str = "fp32"
    decoder: str = "graph"
    target: str | tuple[float, float] = "center"
    segmentation: bool = False
    smooth_segmentation: bool = True
    score_threshold: float = option_default("score_threshold")
    nms_radius: float = option_default("nms_radius")
    input_resolution: int | tuple[int, int] = option_default("input_resolution")

    def updated(self, changes: Mapping[str, Any]) -> StreamConfig:
        """A copy with `changes` applied (JSON values or query strings); ValueError names the bad field."""
        known = {f.name for f in fields(self)}
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known: {', '.join(sorted(known))}")
            try:
                if key in ("model", "backend", "precision", "decoder"):
                    if not isinstance(raw, str):
                        raise ValueError(f"expected a name, got {raw!r}")
                    values[key] = canonical_model_name(raw) if key == "model" else raw
                elif key in ("smoothing", "segmentation", "smooth_segmentation"):
                    values[key] = _parse_bool(raw)
                elif key == "min_pose_score":
                    values[key] = _parse_number(raw)
                elif key in ("score_threshold", "nms_radius"):
                    number = _parse_number(raw)
                    values[key] = option_default(key) if number is None else number
                elif key == "input_resolution":
                    values[key] = _parse_resolution(raw)
                elif key in ("max_poses", "multipose_max_dim"):
                    number = _parse_number(raw, integer=True)
                    if number is None and key == "multipose_max_dim":
                        number = MAX_DIM_DEFAULT
                    values[key] = number
                elif key == "tracker":
                    kind = _checked("tracker", raw if isinstance(raw, str) or raw is None else str(raw))
                    values[key] = "none" if kind is None else kind
                elif key == "target":
                    values[key] = _parse_target(raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{key}: {exc}") from None
        config = replace(self, **values)
        _check_limits(config)
        _checked("min_pose_score", config.min_pose_score)
        _checked("max_poses", config.max_poses)
        _checked("multipose_max_dimension", config.multipose_max_dim)
        _checked("score_threshold", config.score_threshold)
        _checked("nms_radius", config.nms_radius)
        _checked("input_resolution", config.input_resolution)
        if config.max_poses is not None and config.model == "posenet":
            make_options("posenet", {"max_poses": config.max_poses})  # PoseNet's own check (> 0)
        config.engine()  # unknown backend or precision
        if config.decoder not in ("graph", "heads"):
            raise ValueError(f"decoder must be 'graph' or 'heads', got {config.decoder!r}")
        return config

    def engine(self) -> EngineOptions:
        return EngineOptions(backend=self.backend, precision=self.precision)

    def detector_options(self) -> dict[str, Any]:
        """The options for this config's model (only those the model accepts)."""
        accepted = option_names(self.model)
        options = {option: getattr(self, name) for name, option in _DETECTOR_OPTIONS.items() if option in accepted}
        if options.get("tracker") == "none":
            options["tracker"] = None
        # Single-person models take only 1; None means "the model's default" (PoseNet's is 1).
        if get_entry(self.model).single_person or options.get("max_poses", 0) is None:
            options.pop("max_poses", None)
        return options

    def build(self, pool: NetworkPool) -> PoseDetector:
        """A fresh detector (no temporal state) on the pool's shared networks (loaded on first use)."""
        engine = self.engine()
        engine = EngineOptions(backend=engine.backend, threads=pool.default.threads, precision=engine.precision,
                               model_dir=pool.default.model_dir, spin_wait=pool.default.spin_wait)
        return build_detector(self.model, pool.networks(engine), **self.detector_options())

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
