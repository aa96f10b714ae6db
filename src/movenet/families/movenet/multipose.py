"""The multi-pose detector (MultiPose Lightning), after ``pose-detection/src/movenet/detector.ts``
(``estimateMultiplePoses``).

Per frame: resize the whole image so its longer side is ``max_dimension`` (TF's legacy bilinear
resize, in float32 as the TF.js wasm kernel computes it), zero-pad the shorter side to a
multiple of 32, run the network (up to 6 people, each 17 keypoints, a box and a score), keep the
people scoring at least ``min_pose_score`` in the model's order, give each a track id and smooth
each track's keypoints over time.

Deliberate differences from the reference, all documented in :class:`MultiPoseDetector`:
``Pose.box`` is in image pixels (the reference returns it normalized to the padded model input),
``reset()`` works (the reference throws), ``max_poses`` is honoured (the reference ignores it),
and an explicit ``min_pose_score=0`` means 0 (the reference treats it as 0.25).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from movenet.calculators.filters import KEYPOINT_FILTER_CONFIG, MILLISECOND_TO_MICRO_SECONDS, KeypointsOneEuroFilter
from movenet.calculators.timestamps import check_timestamp_ms
from movenet.calculators.tracking import (
    Detection,
    Tracker,
    TrackerConfig,
    create_tracker,
    normalize_tracker_type,
    resolve_tracker_config,
    validate_tracker_config,
)
from movenet.families.base import DetectorLifecycle
from movenet.families.concurrency import exclusive
from movenet.families.movenet.constants import DEFAULT_MIN_POSE_SCORE, MULTIPOSE_DEFAULT_MAX_DIMENSION
from movenet.families.movenet.poses import make_pose
from movenet.io.images import ImageSource, load_image
from movenet.ops.bilinear import lerp_corners
from movenet.runtime import Backend
from movenet.types import NUM_KEYPOINTS, BoundingBox, Pose

__all__ = [
    "MULTIPOSE_BOX_IDX",
    "MULTIPOSE_BOX_SCORE_IDX",
    "MULTIPOSE_INSTANCE_SIZE",
    "InputSize",
    "MultiPoseDetector",
    "check_multipose_options",
    "js_round",
    "multipose_input_size",
    "resize_bilinear_legacy",
    "tracker_type_name",
]

#: Values per detected person in the model output: 17 x (y, x, score), box, score.
MULTIPOSE_INSTANCE_SIZE = 56
#: Offset of the box (y_min, x_min, y_max, x_max) within an instance.
MULTIPOSE_BOX_IDX = 51
#: Offset of the instance score within an instance.
MULTIPOSE_BOX_SCORE_IDX = 55
#: The network input's height and width must be multiples of this.
DIMENSION_DIVISOR = 32

_F32 = np.float32
_PLAN_CACHE_SIZE = 8


def js_round(x: float) -> int:
    """JavaScript ``Math.round``: the nearest integer, halves rounded up (not Python's
    round-half-to-even)."""
    f = math.floor(x)
    return int(f) + 1 if x - f >= 0.5 else int(f)


@dataclass(frozen=True)
class InputSize:
    """How an image is fitted into the network input (``detector.ts``): resized to
    ``resized_height x resized_width``, then zero-padded at the bottom or right to
    ``padded_height x padded_width``."""

    resized_height: int
    resized_width: int
    padded_height: int
    padded_width: int


def _check_max_dimension(max_dimension: int) -> int:
    if isinstance(max_dimension, bool) or not isinstance(max_dimension, (int, np.integer)) \
            or max_dimension % DIMENSION_DIVISOR != 0 or max_dimension < DIMENSION_DIVISOR:
        raise ValueError(
            f"multiPoseMaxDimension must be a multiple of 32 and higher than 0 (max_dimension={max_dimension!r})"
        )
    return int(max_dimension)


def multipose_input_size(height: int, width: int, max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION) -> InputSize:
    """The resized and padded sizes for an ``height x width`` image (``detector.ts``).

    The longer side becomes ``max_dimension`` (width when ``width > height``) and the other
    ``Math.round(max_dimension * other / longer)``, padded up to a multiple of 32. Examples:
    640x480 (WxH) -> 256x192, not padded; 720x1280 -> 144x256 padded to 160x256.

    Deviation: a side that would round to 0 (an image more than 512 times longer than wide)
    is made 1 pixel instead (the reference fails on it).
    """
    d = _check_max_dimension(max_dimension)
    if height < 1 or width < 1:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    if width > height:
        rw = d
        rh = max(1, js_round(d * height / width))
        return InputSize(rh, rw, math.ceil(rh / DIMENSION_DIVISOR) * DIMENSION_DIVISOR, rw)
    rh = d
    rw = max(1, js_round(d * width / height))
    return InputSize(rh, rw, rh, math.ceil(rw / DIMENSION_DIVISOR) * DIMENSION_DIVISOR)


# --------------------------------------------------------------------------------------------
# Resize: TF legacy bilinear (align_corners = half_pixel_centers = False), float32 as the wasm
# kernel computes it
# --------------------------------------------------------------------------------------------


def _axis_samples(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source positions of one axis as the wasm ResizeBilinear kernel computes them, in float32:
    ``scale = float(in) / float(out)``, ``ind = scale * i``; neighbours ``floor(ind)`` and
    ``min(in - 1, ceil(ind))``; weight ``ind - floor(ind)``."""
    scale = _F32(in_size) / _F32(out_size)
    ind = scale * np.arange(out_size, dtype=_F32)
    low = np.floor(ind)
    high = np.minimum(_F32(in_size - 1), np.ceil(ind))
    lerp = ind - low
    return low.astype(np.intp), high.astype(np.intp), lerp.astype(_F32)


class _ResizePlan:
    """Everything that depends only on (image size, max dimension): the input size, the flat
    pixel index of the four neighbours of every output pixel, the weights, and the buffers."""

    def __init__(self, height: int, width: int, channels: int, size: InputSize) -> None:
        self.size = size
        rh, rw = size.resized_height, size.resized_width
        top, bottom, y_lerp = _axis_samples(height, rh)
        left, right, x_lerp = _axis_samples(width, rw)
        idx = np.empty((4, rh, rw), dtype=np.intp)
        np.add((top * width)[:, None], left[None, :], out=idx[0])
        np.add((top * width)[:, None], right[None, :], out=idx[1])
        np.add((bottom * width)[:, None], left[None, :], out=idx[2])
        np.add((bottom * width)[:, None], right[None, :], out=idx[3])
        self.index = idx
        self.x_lerp = x_lerp[None, :, None]
        self.y_lerp = y_lerp[:, None, None]
        self.corners = np.empty((4, rh, rw, channels), dtype=_F32)
        # The network input; the padding is zero once and never written.
        self.input = np.zeros((1, size.padded_height, size.padded_width, channels), dtype=np.int32)

    def resize(self, image: np.ndarray) -> np.ndarray:
        """The float32 resized image (a view of an internal buffer, valid until the next call)."""
        channels = image.shape[2]
        img = np.ascontiguousarray(image)
        pixels = img.view(np.dtype((np.void, img.itemsize * channels))).reshape(-1)
        gathered = pixels.take(self.index).view(img.dtype).reshape(self.corners.shape)
        np.copyto(self.corners, gathered)
        tl, tr, bl, br = self.corners
        return lerp_corners(tl, tr, bl, br, self.x_lerp, self.y_lerp)

    def fill_input(self, image: np.ndarray) -> np.ndarray:
        """Resize `image` into the int32 network input (truncation, as ``tf.cast``) and return it."""
        rh, rw = self.size.resized_height, self.size.resized_width
        self.input[0, :rh, :rw] = self.resize(image)  # float32 -> int32 assignment truncates
        return self.input


def resize_bilinear_legacy(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``tf.image.resizeBilinear(image, [height, width])`` (align_corners = half_pixel_centers =
    False) on the TF.js wasm backend, as a float32 (height, width, C) array: source position
    ``dst * in / out``, floor and clamped ceil neighbours, all arithmetic in float32."""
    if image.ndim != 3:
        raise ValueError(f"image must be (H, W, C), got shape {image.shape}")
    size = InputSize(height, width, height, width)
    plan = _ResizePlan(image.shape[0], image.shape[1], image.shape[2], size)
    return plan.resize(np.asarray(image, dtype=np.uint8)).copy()


# --------------------------------------------------------------------------------------------
# The detector
# --------------------------------------------------------------------------------------------

_NO_TRACKER = ("none", "off", "false", "")


def tracker_type_name(tracker: str | None) -> str | None:
    """'boundingBox', 'keypoint', or None for no tracking (None, "none", "off")."""
    if tracker is None or (isinstance(tracker, str) and tracker.strip().lower() in _NO_TRACKER):
        return None
    return normalize_tracker_type(tracker)


def check_multipose_options(*, min_pose_score: float | None = None,
                            max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION,
                            tracker: str | None = "boundingBox",
                            tracker_config: TrackerConfig | Mapping[str, Any] | None = None,
                            max_poses: int | None = None) -> None:
    """Raise ValueError (or TypeError) for options :class:`MultiPoseDetector` would reject, without
    a network (so a caller can fail fast before loading the model)."""
    if min_pose_score is not None and not 0.0 <= min_pose_score <= 1.0:
        raise ValueError(f"min_pose_score should be between 0.0 and 1.0, got {min_pose_score}")
    if max_poses is not None and (isinstance(max_poses, bool) or int(max_poses) != max_poses or max_poses < 1):
        raise ValueError(f"max_poses must be a positive integer or None, got {max_poses!r}")
    _check_max_dimension(max_dimension)
    kind = tracker_type_name(tracker)
    if kind is not None:
        validate_tracker_config(resolve_tracker_config(kind, tracker_config))


class MultiPoseDetector(DetectorLifecycle):
    """MoveNet MultiPose Lightning: up to 6 people per image, with tracking and smoothing.

    Use ``estimate_poses(image, timestamp_ms)`` once per frame. Each returned :class:`Pose` has
    17 keypoints in image pixels (always all 17, with their scores), ``score`` (the model's
    instance score), ``box`` and, when tracking, ``id``.

    network: the loaded multipose network (``load_network("multipose")``).
    enable_smoothing: one-euro smoothing of each track's keypoints (needs tracking and
        timestamps).
    min_pose_score: people scoring below it are dropped (default 0.25; an explicit 0 keeps
        everyone, where the reference would use 0.25).
    max_dimension: longer side of the network input, a multiple of 32 (default 256; larger
        finds smaller people but is slower).
    tracker: "boundingBox" (default: IoU of the boxes), "keypoint" (OKS of the keypoints), or
        None / "none" for no tracking (then no ids and no smoothing).
    tracker_config: a :class:`~movenet.calculators.tracking.TrackerConfig` (used whole) or a mapping merged
        onto the tracker type's defaults (``{"max_age": 500}``, camelCase keys work too).
    max_poses: keep at most this many people, the first ones in the model's order (an
        extension; the reference returns all that pass ``min_pose_score``).

    Behaviour to know (matching the reference unless said otherwise):

    * Without ``timestamp_ms`` every track is too old by the next frame (the reference's NaN age),
      so each frame's people get new ids and smoothing does nothing. Pass timestamps for video.
    * Boxes: **deviation** -- ``Pose.box`` is in image pixels, corrected for the padding like the
      keypoints. The reference returns the raw box, normalized to the padded model input. The
      tracker still compares the raw boxes, so ids match the reference's.
    * ``reset()`` forgets all tracks and per-track filters (a fix: the reference's multi-pose
      ``reset()`` throws). Ids keep counting up after a reset; they are never reused.
    * ``estimate_poses(None)`` resets and returns ``[]``.
    """

    model = "multipose"

    def __init__(self, network: Backend, *, enable_smoothing: bool = True, min_pose_score: float | None = None,
                 max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION, tracker: str | None = "boundingBox",
                 tracker_config: TrackerConfig | Mapping[str, Any] | None = None,
                 max_poses: int | None = None) -> None:
        check_multipose_options(min_pose_score=min_pose_score, max_dimension=max_dimension, tracker=tracker,
                                tracker_config=tracker_config, max_poses=max_poses)
        self.network = network
        self.enable_smoothing = enable_smoothing
        self.min_pose_score = DEFAULT_MIN_POSE_SCORE if min_pose_score is None else float(min_pose_score)
        self.max_dimension = _check_max_dimension(max_dimension)
        self.max_poses = None if max_poses is None else int(max_poses)
        #: 'boundingBox', 'keypoint', or None (no tracking).
        self.tracker_type = tracker_type_name(tracker)
        self.tracker: Tracker | None = None
        if self.tracker_type is not None:
            self.tracker = create_tracker(self.tracker_type, tracker_config)
        self._filters: dict[int, KeypointsOneEuroFilter] = {}
        self._plans: OrderedDict[tuple[int, int, int], _ResizePlan] = OrderedDict()

    @exclusive
    def reset(self) -> None:
        """Forget all temporal state: tracks and per-track keypoint filters (ids keep counting)."""
        if self.tracker is not None:
            self.tracker.reset()
        self._filters.clear()

    # -- preprocessing and network -------------------------------------------------------------

    def input_size(self, height: int, width: int) -> InputSize:
        """Resized and padded size of the network input for an ``height x width`` image."""
        return multipose_input_size(height, width, self.max_dimension)

    def _plan(self, image: np.ndarray) -> _ResizePlan:
        key = (image.shape[0], image.shape[1], image.shape[2])
        plan = self._plans.get(key)
        if plan is None:
            plan = _ResizePlan(key[0], key[1], key[2], self.input_size(key[0], key[1]))
            self._plans[key] = plan
            if len(self._plans) > _PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan

    @exclusive
    def preprocess(self, image: ImageSource) -> tuple[np.ndarray, InputSize]:
        """The int32 network input [1, ph, pw, 3] for `image` (HxWx3 uint8 RGB, or anything
        :func:`~movenet.io.images.load_image` takes) and the sizes used. The array is an internal
        buffer, overwritten by the next call for the same image size."""
        rgb = load_image(image)
        plan = self._plan(rgb)
        return plan.fill_input(rgb), plan.size

    @staticmethod
    def preprocess_image(image: ImageSource, max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION) -> np.ndarray:
        """The int32 network input [1, ph, pw, 3] for an HxWx3 uint8 RGB `image` (a new array;
        no detector needed)."""
        rgb = load_image(image)
        size = multipose_input_size(rgb.shape[0], rgb.shape[1], max_dimension)
        return _ResizePlan(rgb.shape[0], rgb.shape[1], rgb.shape[2], size).fill_input(rgb)

    @exclusive
    def run_network(self, image: ImageSource) -> tuple[np.ndarray, InputSize]:
        """Resize, pad and run the network on `image` (HxWx3 uint8 RGB): the raw (N, 56) float32
        output (per person: 17 x (y, x, score), y_min, x_min, y_max, x_max, score, all normalized
        to the padded input) and the sizes used."""
        inputs, size = self.preprocess(image)
        output = self.network.run(inputs)[0]
        if output.ndim != 3 or output.shape[0] != 1 or output.shape[2] != MULTIPOSE_INSTANCE_SIZE:
            raise RuntimeError(f"Unexpected output shape from model: {list(output.shape)}")
        return output[0], size

    # -- per frame -------------------------------------------------------------------------------

    @exclusive
    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]:
        """Detect the people in one frame: a list of Poses (possibly empty), keypoints and boxes
        in pixels, in the model's order.

        `image`: HxWx3 uint8 RGB array (or grey, RGBA, PIL image, path). `timestamp_ms`: the
        frame's time, needed for tracking across frames and for smoothing. `flip_horizontal`
        mirrors the output x coordinates (an extension; the reference ignores it for MoveNet).
        """
        self._check_open()
        timestamp_ms = check_timestamp_ms(timestamp_ms)
        if image is None:  # the reference's reset call (pose-detection/src/movenet/detector.ts)
            self.reset()
            return []
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        raw, size = self.run_network(rgb)
        instances = raw.astype(np.float64)  # JS reads the float32 output into doubles
        keep = np.flatnonzero(instances[:, MULTIPOSE_BOX_SCORE_IDX] >= self.min_pose_score)
        if self.max_poses is not None:
            keep = keep[: self.max_poses]
        instances = instances[keep]
        n = instances.shape[0]

        keypoints = instances[:, : 3 * NUM_KEYPOINTS].reshape(n, NUM_KEYPOINTS, 3)  # y, x, score
        y_scale = size.padded_height / size.resized_height
        x_scale = size.padded_width / size.resized_width
        ys = keypoints[:, :, 0] * y_scale  # image-normalized
        xs = keypoints[:, :, 1] * x_scale
        scores = keypoints[:, :, 2]
        boxes = instances[:, MULTIPOSE_BOX_IDX:MULTIPOSE_BOX_IDX + 4]  # y_min, x_min, y_max, x_max (padded input)

        ids: list[int | None] = [None] * n
        if self.tracker is not None:
            t_us = None if timestamp_ms is None else timestamp_ms * MILLISECOND_TO_MICRO_SECONDS
            detections = [
                Detection(
                    keypoints=np.stack([xs[i], ys[i], scores[i]], axis=-1),
                    # The reference's uncorrected box, with width and height as it computes them.
                    box=np.array([boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3],
                                  boxes[i, 3] - boxes[i, 1], boxes[i, 2] - boxes[i, 0]]),
                )
                for i in range(n)
            ]
            ids = list(self.tracker.apply(detections, t_us))
            if self.enable_smoothing:
                if t_us is not None:
                    # Without a timestamp every id is new, and a new filter passes through.
                    for i, track_id in enumerate(ids):
                        assert track_id is not None
                        filt = self._filters.get(track_id)
                        if filt is None:
                            filt = self._filters[track_id] = KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)
                        xy = filt.apply(np.column_stack([xs[i], ys[i]]), t_us)
                        xs[i] = xy[:, 0]
                        ys[i] = xy[:, 1]
                live = self.tracker.get_track_ids()
                for track_id in [k for k in self._filters if k not in live]:
                    del self._filters[track_id]

        poses = []
        for i in range(n):
            pose = make_pose(np.column_stack([ys[i], xs[i]]), scores[i], height, width,
                             float(instances[i, MULTIPOSE_BOX_SCORE_IDX]), flip_horizontal)
            y_min, x_min, y_max, x_max = (float(v) for v in boxes[i])
            px_y_min, px_y_max = y_min * y_scale * height, y_max * y_scale * height
            px_x_min, px_x_max = x_min * x_scale * width, x_max * x_scale * width
            if flip_horizontal:
                px_x_min, px_x_max = width - 1 - px_x_max, width - 1 - px_x_min
            box = BoundingBox(x_min=px_x_min, y_min=px_y_min, x_max=px_x_max, y_max=px_y_max)
            poses.append(Pose(keypoints=pose.keypoints, score=pose.score, box=box, id=ids[i]))
        return poses
