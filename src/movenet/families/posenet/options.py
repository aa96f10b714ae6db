"""PoseNet configuration: what the reference accepts, and the one variant we ship.

Follows ``pose-detection/src/posenet/{constants,detector_utils,load_utils}.ts`` (spec sections
12.1 and 12.2): the reference's checks run first, with its messages, so a config that TF.js
rejects is rejected here for the same reason. Then comes our own limit: the npm package ships
one PoseNet, MobileNetV1 with multiplier 0.75, output stride 16 and float32 weights; asking for
any other variant (which TF.js would download) is a ValueError naming what is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

#: Architectures, strides and multipliers the reference knows (constants.ts).
VALID_ARCHITECTURES: tuple[str, ...] = ("MobileNetV1", "ResNet50")
VALID_STRIDES: dict[str, tuple[int, ...]] = {"MobileNetV1": (8, 16), "ResNet50": (16,)}
VALID_MULTIPLIERS: dict[str, tuple[float, ...]] = {"MobileNetV1": (0.5, 0.75, 1.0), "ResNet50": (1.0,)}
VALID_QUANT_BYTES: tuple[int, ...] = (1, 2, 4)

#: The variant the package ships (the reference's MOBILENET_V1_CONFIG with float32 weights).
SHIPPED_ARCHITECTURE = "MobileNetV1"
SHIPPED_OUTPUT_STRIDE = 16
SHIPPED_MULTIPLIER = 0.75
SHIPPED_QUANT_BYTES = 4
SHIPPED = (f"{SHIPPED_ARCHITECTURE} with multiplier {SHIPPED_MULTIPLIER}, output stride {SHIPPED_OUTPUT_STRIDE} "
           f"and float32 weights (quant_bytes={SHIPPED_QUANT_BYTES})")

DEFAULT_INPUT_RESOLUTION = 257
DEFAULT_SCORE_THRESHOLD = 0.5
DEFAULT_NMS_RADIUS = 20.0
#: Multi-person decoding: a candidate root must be the maximum of its (2r+1)^2 heatmap window.
LOCAL_MAXIMUM_RADIUS = 1

#: ``input_resolution`` as given: one side for a square input, or ``(width, height)``.
Resolution = int | tuple[int, int]


def snap_resolution(side: int, output_stride: int) -> int:
    """The reference's ``toValidInputResolution``: a side of the form ``k * stride + 1`` is kept,
    any other is rounded down to ``floor(side / stride) * stride + 1`` (300 -> 289 for 16)."""
    if (side - 1) % output_stride == 0:
        return side
    return (side // output_stride) * output_stride + 1


#: Largest input side: 16x the default's area at 1025 already; beyond 4097 the letterbox's buffers
#: alone take gigabytes (the reference has no bound and runs out of memory instead).
MAX_INPUT_SIDE = 4097


def _check_side(value: object, what: str) -> int:
    where = f" {what}" if what else ""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"input_resolution{where} must be a positive whole number of pixels, got {value!r}")
    if value > MAX_INPUT_SIDE:
        raise ValueError(f"input_resolution{where} is at most {MAX_INPUT_SIDE} pixels, got {value}")
    return value


def _resolution_sides(resolution: object) -> tuple[int, int]:
    """(width, height) of an ``input_resolution`` given as an int or a (width, height) pair."""
    if isinstance(resolution, (tuple, list)):
        if len(resolution) != 2:
            raise ValueError(f"input_resolution must be one int or (width, height), got {resolution!r}")
        return _check_side(resolution[0], "width"), _check_side(resolution[1], "height")
    side = _check_side(resolution, "")
    return side, side


def _check_model(architecture: str, output_stride: int, multiplier: float, quant_bytes: int) -> None:
    # The reference's validateModelConfig, in its order and with its messages ...
    if architecture not in VALID_ARCHITECTURES:
        raise ValueError(f"Invalid architecture {architecture}. Should be one of {','.join(VALID_ARCHITECTURES)}")
    strides = VALID_STRIDES[architecture]
    if output_stride not in strides:
        raise ValueError(f"Invalid outputStride {output_stride}. Should be one of "
                         f"{','.join(map(str, strides))} for architecture {architecture}.")
    multipliers = VALID_MULTIPLIERS[architecture]
    if multiplier not in multipliers:
        raise ValueError(f"Invalid multiplier {multiplier}. Should be one of "
                         f"{','.join(f'{m:g}' for m in multipliers)} for architecture {architecture}.")
    if quant_bytes not in VALID_QUANT_BYTES:
        raise ValueError(f"Invalid quantBytes {quant_bytes}. Should be one of "
                         f"{','.join(map(str, VALID_QUANT_BYTES))} for architecture {architecture}.")
    # ... then ours: only the shipped network exists offline.
    wanted = []
    if architecture != SHIPPED_ARCHITECTURE:
        wanted.append(f"architecture {architecture}")
    if output_stride != SHIPPED_OUTPUT_STRIDE:
        wanted.append(f"output stride {output_stride}")
    if multiplier != SHIPPED_MULTIPLIER:
        wanted.append(f"multiplier {multiplier:g}")
    if quant_bytes != SHIPPED_QUANT_BYTES:
        wanted.append(f"{quant_bytes}-byte quantised weights")
    if wanted:
        raise ValueError(f"PoseNet with {', '.join(wanted)} is not available; the only PoseNet shipped is {SHIPPED}")


def _check_estimation(max_poses: object, score_threshold: float, nms_radius: float) -> None:
    # validateEstimationConfig, except that the multi-person fields are checked whatever
    # max_poses is (the reference ignores a bad threshold when max_poses == 1).
    if isinstance(max_poses, bool) or not isinstance(max_poses, int) or max_poses <= 0:
        raise ValueError(f"Invalid maxPoses {max_poses}. Should be > 0.")
    if not (isinstance(score_threshold, (int, float)) and 0.0 <= score_threshold <= 1.0):
        raise ValueError(f"Invalid scoreThreshold {score_threshold}. Should be in range [0.0, 1.0]")
    if not (isinstance(nms_radius, (int, float)) and math.isfinite(nms_radius) and nms_radius > 0):
        raise ValueError(f"Invalid nmsRadius {nms_radius}.")


@dataclass(frozen=True)
class PoseNetOptions:
    """A validated PoseNet configuration (model config and estimation config of the reference).

    max_poses: 1 (default) = single-person decoding (every keypoint at its heatmap maximum,
        always exactly one pose); > 1 = multi-person decoding, up to that many poses.
    score_threshold: multi-person only: a root candidate needs a heatmap score >= this.
    nms_radius: multi-person only: a root within this distance (in network-input pixels, as
        in the reference) of the same keypoint of an earlier pose is skipped.
    input_resolution: the network input, one side or (width, height); each side is snapped
        down to ``k * 16 + 1`` as the reference does (300 -> 289). Default 257.
    architecture, output_stride, multiplier, quant_bytes: the reference's model choice; only
        the shipped "MobileNetV1", 16, 0.75, 4 are available (anything else is a ValueError).
    """

    applies_to: ClassVar[str] = "PoseNet (posenet)"

    max_poses: int = 1
    score_threshold: float = DEFAULT_SCORE_THRESHOLD
    nms_radius: float = DEFAULT_NMS_RADIUS
    input_resolution: Resolution = DEFAULT_INPUT_RESOLUTION
    architecture: str = SHIPPED_ARCHITECTURE
    output_stride: int = SHIPPED_OUTPUT_STRIDE
    multiplier: float = SHIPPED_MULTIPLIER
    quant_bytes: int = SHIPPED_QUANT_BYTES

    def __post_init__(self) -> None:
        _check_model(self.architecture, self.output_stride, self.multiplier, self.quant_bytes)
        _check_estimation(self.max_poses, self.score_threshold, self.nms_radius)
        _resolution_sides(self.input_resolution)

    @cached_property
    def resolution(self) -> tuple[int, int]:
        """(width, height) after snapping: the size of the network input."""
        width, height = _resolution_sides(self.input_resolution)
        return snap_resolution(width, self.output_stride), snap_resolution(height, self.output_stride)

    @property
    def multi_person(self) -> bool:
        """Whether poses are found by multi-person decoding (max_poses > 1)."""
        return self.max_poses > 1

    @property
    def grid_size(self) -> tuple[int, int]:
        """(width, height) of the network's output grid: ``(side - 1) / stride + 1``."""
        width, height = self.resolution
        return (width - 1) // self.output_stride + 1, (height - 1) // self.output_stride + 1
