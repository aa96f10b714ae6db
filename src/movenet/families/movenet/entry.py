"""MoveNet's models as the registry sees them, and the loader that builds each detector on
already loaded networks (``pose-detection/src/movenet/detector.ts``: ``load``)."""

from __future__ import annotations

from functools import partial

from movenet.families.base import EngineOptions, ModelEntry, Networks, PoseDetector
from movenet.families.movenet.calibration import calibration
from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.heads import load_heads_network
from movenet.families.movenet.multipose import MultiPoseDetector
from movenet.families.movenet.options import MultiPoseOptions, SinglePoseOptions
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.runtime import Network
from movenet.skeletons import COCO_17

__all__ = ["MODELS", "build_multipose", "build_singlepose"]


def _heads(model: str, engine: EngineOptions) -> Network:
    return load_heads_network(model, engine.model_dir, backend=engine.backend, threads=engine.threads,
                              spin_wait=engine.spin_wait)


def build_singlepose(model: str, options: SinglePoseOptions, networks: Networks) -> PoseDetector:
    """A SinglePose detector; the heads network (``detector.heads()``, decoder="heads") is the
    fp32 variant with the four head outputs, loaded when first needed."""
    heads_key = f"{model}/heads"
    if options.decoder == "heads":
        if networks.engine.precision != "fp32":
            raise ValueError(f"decoder='heads' runs the fp32 network only, not precision={networks.engine.precision!r}")
        network = networks.get(heads_key, partial(_heads, model))
        return SinglePoseDetector(network, INPUT_SIZES[model], model=model, enable_smoothing=options.enable_smoothing,
                                  min_pose_score=options.min_pose_score, decoder="heads", target=options.target)
    return SinglePoseDetector(networks.graph(model), INPUT_SIZES[model], model=model,
                              enable_smoothing=options.enable_smoothing, min_pose_score=options.min_pose_score,
                              heads_network=partial(networks.get, heads_key, partial(_heads, model)))


def build_multipose(model: str, options: MultiPoseOptions, networks: Networks) -> PoseDetector:
    """A MultiPose detector."""
    return MultiPoseDetector(networks.graph(model), enable_smoothing=options.enable_smoothing,
                             min_pose_score=options.min_pose_score, max_dimension=options.multipose_max_dimension,
                             tracker=options.tracker, tracker_config=options.tracker_config,
                             max_poses=options.max_poses)


MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(name="lightning", family="movenet", aliases=("singlepose.lightning",), skeleton=COCO_17,
               graphs=("lightning",), options=SinglePoseOptions, build=build_singlepose,
               description="SinglePose Lightning: one person, 192x192 input, fastest",
               input_size=INPUT_SIZES["lightning"], calibration=calibration),
    ModelEntry(name="thunder", family="movenet", aliases=("singlepose.thunder",), skeleton=COCO_17,
               graphs=("thunder",), options=SinglePoseOptions, build=build_singlepose,
               description="SinglePose Thunder: one person, 256x256 input, most accurate",
               input_size=INPUT_SIZES["thunder"], calibration=calibration),
    ModelEntry(name="multipose", family="movenet", aliases=("multipose.lightning",), skeleton=COCO_17,
               graphs=("multipose",), options=MultiPoseOptions, build=build_multipose,
               description="MultiPose Lightning: up to 6 people with boxes and track ids",
               input_size=None, calibration=calibration, single_person=False),
)
