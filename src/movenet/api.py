"""`create_detector`: looks the model up in the registry and hands off to its family.

``pose-detection/src/create_detector.ts`` in Python. Two ways in, one builder:

* :func:`create_detector` loads the networks the model needs and builds the detector;
* :func:`build_detector` builds one on networks already loaded (a shared :class:`Networks`,
  e.g. one per server, so many detectors run on one loaded network), with the same options.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from movenet.calculators.tracking import TrackerConfig
from movenet.families.base import EngineOptions, Networks, PoseDetector
from movenet.families.movenet.decode import Target
from movenet.models import store
from movenet.registry import MODELS, canonical_model_name, entry_for_graph, get_entry, option_names
from movenet.runtime import Network

__all__ = [
    "UNSET",
    "EngineOptions",
    "Networks",
    "PoseDetector",
    "build_detector",
    "canonical_model_name",
    "create_detector",
    "load_network",
    "make_options",
    "networks_for",
]


class _Unset:
    """The default of an option that was not given (so that "not given" differs from None)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def load_network(name: str, model_dir: str | Path | None = None, *, backend: str = "onnxruntime",
                 threads: int | None = None, precision: str = "fp32", spin_wait: bool = True) -> Network:
    """The catalog graph `name` loaded on `backend` at `precision` (converted, or for int8
    quantised with its family's calibration inputs, once); `spin_wait` as in EngineOptions."""
    calibration = None
    if precision == "int8":
        entry = entry_for_graph(name)
        if entry is not None and entry.calibration is not None:
            calibration = entry.calibration(name)
    return store.load_network(name, model_dir, backend=backend, threads=threads, precision=precision,
                              calibration=calibration, spin_wait=spin_wait)


def _load_graph(name: str, engine: EngineOptions) -> Network:
    # Looked up at call time, so tests can stand in for the module's load_network.
    return load_network(name, engine.model_dir, backend=engine.backend, threads=engine.threads,
                        precision=engine.precision, spin_wait=engine.spin_wait)


def networks_for(engine: EngineOptions) -> Networks:
    """A fresh provider of networks on `engine` (share it to share the loaded networks)."""
    return Networks(engine, _load_graph)


def make_options(model: str, options: Mapping[str, Any]) -> Any:  # noqa: ANN401 - the family's options class
    """`model`'s options object from the given `options` (UNSET values are left out); ValueError
    naming an option that does not apply to the model, or a bad value."""
    entry = get_entry(model)
    given = {k: v for k, v in options.items() if v is not UNSET}
    accepted = option_names(entry.name)
    unknown = [k for k in given if k not in accepted]
    if unknown:
        owners = sorted({getattr(e.options, "applies_to", e.name) for e in MODELS.values()
                         if unknown[0] in option_names(e.name)})
        where = f"it is an option of {' and '.join(owners)}" if owners else f"its options: {', '.join(accepted)}"
        raise ValueError(f"option {unknown[0]!r} does not apply to model {entry.name!r} ({where})")
    return entry.options(**given)


def build_detector(model: str, networks: Networks, **options: Any) -> PoseDetector:
    """A fresh detector (no temporal state) for `model` on the networks of `networks`, which loads
    (once) whatever the model needs that is not loaded yet. Options as in :func:`create_detector`."""
    entry = get_entry(model)
    return entry.build(entry.name, make_options(entry.name, options), networks)


def create_detector(model: str = "lightning", *, enable_smoothing: bool = UNSET, min_pose_score: float | None = UNSET,
                    model_dir: str | Path | None = None, backend: str = "onnxruntime", threads: int | None = None,
                    tracker: str | None = UNSET, tracker_config: TrackerConfig | Mapping[str, Any] | None = UNSET,
                    max_poses: int | None = UNSET, multipose_max_dimension: int = UNSET,
                    decoder: str = UNSET, target: Target = UNSET, precision: str = "fp32",
                    spin_wait: bool = True, **options: Any) -> PoseDetector:
    """Build a detector for `model`.

    model: "lightning" (default, 192x192, fastest), "thunder" (256x256, most accurate), or
        "multipose"; TF.js names such as "SinglePose.Thunder" work too (``movenet.registry``).

    Engine options (every model): model_dir (folder holding the TF.js model files, default:
    $MOVENET_MODEL_DIR, else the user cache, fetched on first use); backend ("onnxruntime" or
    "openvino"), threads (intra-op threads); precision: "fp32" (default, matches TF.js), "int8"
    (quantised, any backend), "bf16" or "fp16" (backend="openvino" on CPUs with the
    instructions): faster, less exact; docs/performance.md; spin_wait (default True): ONNX
    Runtime's idle worker threads busy-wait, fastest when the process has the cores to itself;
    False where it shares them (the server does).

    Options of every MoveNet model:
    enable_smoothing: one-euro smoothing of keypoints over time (needs timestamps; default on).
    min_pose_score: poses scoring below it are dropped (default 0.25).

    Multi-pose only:
    tracker: "boundingBox" (default), "keypoint", or None / "none" (no ids, no smoothing).
    tracker_config: a movenet.calculators.tracking.TrackerConfig, or a mapping merged onto the
        tracker's defaults, e.g. {"max_age": 500}.
    max_poses: return at most this many people (default: all that pass min_pose_score, up to 6).
    multipose_max_dimension: longer side of the network input, a multiple of 32 (default 256).

    Single-pose only:
    decoder: "graph" (default): the network's own post-processing; "heads": the same decoding
        done in NumPy from the four head outputs (movenet.families.movenet.decode), which allows
        `target`.
    target: who to follow (needs decoder="heads"): "center" (default, the person nearest the
        frame centre, as the graph), "largest", or an (x, y) point in image pixels. It picks the
        person on the first frame (and after a reset or a lost pose); the crop then follows them.

    Other families' options are passed as further keywords. An option that does not apply to the
    chosen model raises ValueError naming it; options are checked before any network is loaded.
    """
    entry = get_entry(model)
    given = dict(enable_smoothing=enable_smoothing, min_pose_score=min_pose_score, tracker=tracker,
                 tracker_config=tracker_config, max_poses=max_poses,
                 multipose_max_dimension=multipose_max_dimension, decoder=decoder, target=target, **options)
    family_options = make_options(entry.name, given)  # fail on bad options before the (slower) load
    engine = EngineOptions(backend=backend, threads=threads, precision=precision, model_dir=model_dir,
                           spin_wait=spin_wait)
    return entry.build(entry.name, family_options, networks_for(engine))

