"""BlazePose's models as the registry sees them (``pose-detection/src/blazepose_tfjs/detector.ts``:
``load``): each runs the person detector and one landmark network, both loaded once per engine
setting and shared by every detector built on the same networks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import ClassVar

from movenet.families.base import EngineOptions, ModelEntry, Networks, PoseDetector
from movenet.families.blazepose.constants import MODEL_TYPES
from movenet.families.blazepose.detector import BlazePoseDetector
from movenet.families.blazepose.options import BlazePoseOptions
from movenet.models.store import check_model_precision, check_precision, onnx_model_path
from movenet.runtime import Network, create_backend
from movenet.skeletons import BLAZEPOSE_33

__all__ = ["MODELS", "BlazePoseModelOptions", "build_blazepose"]

DETECTOR_GRAPH = "blazepose-detector"


@dataclass(frozen=True)
class BlazePoseModelOptions:
    """The options of ``create_detector("blazepose-lite|full|heavy", ...)`` (the model name chooses
    the landmark network).

    enable_smoothing: filter keypoints, 3D keypoints and visibility over time (needs timestamps).
    enable_segmentation: also return the person mask (``Pose.segmentation``, HxW float32).
    smooth_segmentation: blend each mask with the previous frame's (as the reference, default on).
    reference_z: False (default) returns keypoint z in pixels, scaled like x, always; True
        reproduces the reference exactly, whose z is multiplied by the image width once more
        whenever smoothing runs (a TF.js bug, ``shared/calculators/keypoints_to_normalized_keypoints.ts``).
    max_poses: must be 1 (the reference has no multi-person BlazePose).
    """

    applies_to: ClassVar[str] = "the BlazePose models (blazepose-lite, blazepose-full, blazepose-heavy)"

    enable_smoothing: bool = True
    enable_segmentation: bool = False
    smooth_segmentation: bool = True
    reference_z: bool = False
    max_poses: int = 1

    def __post_init__(self) -> None:
        self.for_model("full")  # the shared checks (the switches are bools, max_poses)

    def for_model(self, model_type: str) -> BlazePoseOptions:
        return BlazePoseOptions(model_type=model_type, **asdict(self))


#: The landmark network's output that only the person mask needs.
SEGMENTATION_OUTPUT = "activation_segmentation"
NO_SEGMENTATION_VARIANT = "nomask"


def _landmarks_without_mask(model: str, engine: EngineOptions) -> Network:
    # The same network without the 256x256 segmentation decoder: TF.js executes only the nodes
    # its requested outputs need (no mask asked, none computed), ONNX Runtime the whole graph,
    # where that decoder is half the landmark network's time. The other outputs are bit-identical.
    check_precision(engine.precision, engine.backend)
    check_model_precision(model, engine.precision)
    path = onnx_model_path(model, engine.model_dir, variant=NO_SEGMENTATION_VARIANT,
                           drop_outputs=(SEGMENTATION_OUTPUT,))
    return create_backend(path, backend=engine.backend, threads=engine.threads, spin_wait=engine.spin_wait)


def build_blazepose(model: str, options: BlazePoseModelOptions, networks: Networks) -> PoseDetector:
    """A BlazePose detector for `model` ("blazepose-full" ...) on `networks`; without
    segmentation its landmark network is the variant that does not compute the mask."""
    if options.enable_segmentation:
        landmarks = networks.graph(model)
    else:
        landmarks = networks.get(f"{model}-{NO_SEGMENTATION_VARIANT}", partial(_landmarks_without_mask, model))
    return BlazePoseDetector(networks.graph(DETECTOR_GRAPH), landmarks,
                             options.for_model(model.removeprefix("blazepose-")), threads=networks.engine.threads)


MODELS: tuple[ModelEntry, ...] = tuple(
    ModelEntry(name=f"blazepose-{kind}", family="blazepose",
               aliases=(("blazepose",) if kind == "full" else ()) + (f"blazepose.{kind}",), skeleton=BLAZEPOSE_33,
               graphs=(DETECTOR_GRAPH, f"blazepose-{kind}"), options=BlazePoseModelOptions, build=build_blazepose,
               description=f"BlazePose {kind}: one person, 33 keypoints with 3D and an optional mask"
                           + {"lite": ", fastest", "full": "", "heavy": ", most accurate"}[kind],
               input_size=256, keypoints_3d=True)
    for kind in MODEL_TYPES
)
