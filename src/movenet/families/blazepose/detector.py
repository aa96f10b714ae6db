"""The BlazePose detector (TF.js runtime): 33 keypoints, 3D world keypoints and a person mask.

Follows ``pose-detection/src/blazepose_tfjs/detector.ts`` (``estimatePoses``, ``reset``),
spec §2: the person detector runs only when there is no ROI (first frame, after a lost pose or
:meth:`~BlazePoseDetector.reset`); otherwise the ROI comes from the previous frame's auxiliary
landmarks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import numpy as np

from movenet.calculators.filters import MILLISECOND_TO_MICRO_SECONDS
from movenet.calculators.rects import Rect
from movenet.calculators.segmentation import smooth_segmentation
from movenet.calculators.timestamps import check_timestamp_ms
from movenet.families.blazepose import constants as C
from movenet.families.blazepose.detection import (
    detection_to_roi,
    detections_from_output,
    detector_input,
    roi_from_points,
)
from movenet.families.blazepose.filtering import LandmarkFilters
from movenet.families.blazepose.landmarks import LandmarkResult, decode_landmarks, landmark_input
from movenet.families.blazepose.options import BlazePoseOptions, check_max_poses
from movenet.families.concurrency import exclusive
from movenet.io.images import ImageSource, load_image
from movenet.runtime import Backend, check_threads
from movenet.skeletons import BLAZEPOSE_33
from movenet.types import Keypoint, Pose

__all__ = ["BlazePoseDetector", "landmark_output_names"]

_NODE_TO_NAME = {node: name for name, node in C.LANDMARK_OUTPUTS.items()}


def landmark_output_names(output_names: list[str]) -> list[str]:
    """The landmark network's output names as the reference's signature names (``ld_3d`` ...),
    accepting the graph node names (``Identity_2:0`` ...) too. ValueError if one is missing
    (``activation_segmentation`` may be: a network built without the mask's decoder)."""
    names = []
    for raw in output_names:
        base = raw.split(":")[0]
        names.append(base if base in C.LANDMARK_OUTPUTS else _NODE_TO_NAME.get(base, raw))
    # The mask's output may be absent: the variant built for detectors without segmentation.
    missing = [n for n in C.LANDMARK_OUTPUTS if n not in names and n != "activation_segmentation"]
    if missing:
        raise ValueError(f"landmark network lacks the outputs {', '.join(missing)} (has {', '.join(output_names)})")
    return names


class BlazePoseDetector:
    """BlazePose lite/full/heavy on two loaded networks, the person detector and the landmark
    model (any :class:`~movenet.runtime.Backend`), with the reference's ROI tracking,
    smoothing and segmentation.

    ``options`` (a :class:`BlazePoseOptions`) or its fields as keywords, e.g.
    ``BlazePoseDetector(det, lm, model_type="heavy", enable_segmentation=True)``.
    ``threads``: the image warps (the crops and the mask) run on up to this many threads, the
    engine's intra-op count (None: every core); the values are the same on any number.
    Call :meth:`estimate_poses` once per frame, with increasing ``timestamp_ms`` for a video
    (smoothing needs them). Use as a context manager or call :meth:`close`.
    """

    def __init__(self, detector_network: Backend, landmark_network: Backend, options: BlazePoseOptions | None = None,
                 *, threads: int | None = None, **overrides: Any) -> None:
        if options is not None and overrides:
            raise TypeError("pass either options or keyword options, not both")
        self.options = options if options is not None else BlazePoseOptions(**overrides)
        self._landmark_names = landmark_output_names(list(landmark_network.output_names))
        if self.options.enable_segmentation and "activation_segmentation" not in self._landmark_names:
            raise ValueError("enable_segmentation needs a landmark network with the activation_segmentation output")
        self.detector_network: Backend | None = detector_network
        self.landmark_network: Backend | None = landmark_network
        self._roi: Rect | None = None
        self._previous_mask: np.ndarray | None = None
        self._filters = LandmarkFilters()
        check_threads(threads)
        self.threads = threads

    @property
    def model(self) -> str:
        """The registry name: "blazepose-lite", "blazepose-full" or "blazepose-heavy"."""
        return f"blazepose-{self.options.model_type}"

    # ---------------------------------------------------------------------------- state

    @property
    def roi(self) -> Rect | None:
        """The normalized rotated ROI the next frame will use (None: the detector runs)."""
        return self._roi

    def reset(self) -> None:
        """Forget the ROI, the previous mask and the filters (except the world-landmark
        filter, which the reference's reset keeps)."""
        self._roi = None
        self._previous_mask = None
        self._filters.reset()

    def close(self) -> None:
        """Release the networks; the detector cannot be used afterwards."""
        self.detector_network = None
        self.landmark_network = None

    def __enter__(self) -> BlazePoseDetector:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ---------------------------------------------------------------------------- steps

    def _networks(self) -> tuple[Backend, Backend]:
        if self.detector_network is None or self.landmark_network is None:
            raise RuntimeError("this BlazePose detector is closed")
        return self.detector_network, self.landmark_network

    def detect_roi(self, image: np.ndarray) -> Rect | None:
        """Run the person detector on the whole image (HxWx3 uint8): the ROI of the best
        detection, or None when nobody is found (or the detection gives no usable rectangle)."""
        detector, _ = self._networks()
        prepared = detector_input(image, self.threads)
        detections = detections_from_output(detector.run(prepared.tensor)[0], prepared, 1)
        if not detections:
            return None
        roi = detection_to_roi(detections[0], image.shape[1], image.shape[0])
        return roi if _usable(roi) else None

    def run_landmarks(self, image: np.ndarray, roi: Rect) -> LandmarkResult | None:
        """The landmark network on ``roi`` of ``image``, decoded to normalized image
        coordinates; None when the pose flag is below 0.5."""
        _, network = self._networks()
        prepared = landmark_input(image, roi, self.threads)
        outputs: Mapping[str, np.ndarray] = dict(zip(self._landmark_names, network.run(prepared.tensor), strict=True))
        return decode_landmarks(outputs, prepared, roi, image.shape[1], image.shape[0],
                                self.options.enable_segmentation, self.threads)

    def _smooth_mask(self, mask: np.ndarray) -> np.ndarray:
        previous = self._previous_mask
        # The reference throws when the frame size changes; we start the smoothing over instead.
        if previous is None or previous.shape != mask.shape:
            self._previous_mask = mask
        else:
            self._previous_mask = smooth_segmentation(previous, mask, C.SEGMENTATION_SMOOTHING_RATIO)
        return self._previous_mask

    # ------------------------------------------------------------------------ estimate

    @exclusive
    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False, max_poses: int | None = None) -> list[Pose]:
        """Detect the person in one frame: ``[]`` or one :class:`~movenet.types.Pose` with 33
        keypoints (x, y pixels, z scaled like x, score = visibility), ``keypoints_3d``
        (metres, hip-centred) and, with segmentation on, ``segmentation`` (H x W float32).

        ``image``: HxWx3 uint8 RGB array (or grey, RGBA, PIL image, path), as for MoveNet.
        ``timestamp_ms``: the frame's time; smoothing runs only with timestamps.
        ``flip_horizontal`` mirrors the output (x to ``width - 1 - x``, 3D x negated, the mask
        flipped); an extension, as for MoveNet: the reference ignores it.
        ``max_poses``: None or 1 (ValueError otherwise, as in the reference).
        """
        check_max_poses(max_poses)
        self._networks()
        timestamp_ms = check_timestamp_ms(timestamp_ms)
        if image is None:
            self.reset()
            return []
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        time_us = None if timestamp_ms is None else timestamp_ms * MILLISECOND_TO_MICRO_SECONDS

        roi = self._roi
        if roi is None:
            roi = self.detect_roi(rgb)
            if roi is None:
                self.reset()
                return []
        result = self.run_landmarks(rgb, roi)
        if result is None:
            self.reset()
            return []

        smoothed = time_us is not None and self.options.enable_smoothing
        if smoothed:
            assert time_us is not None
            filtered = self._filters.apply(result.landmarks, result.auxiliary, result.world, time_us, width, height)
            landmarks, auxiliary, world = filtered.landmarks, filtered.auxiliary, filtered.world
        else:
            landmarks, auxiliary, world = result.landmarks, result.auxiliary, result.world
        next_roi = roi_from_points((float(auxiliary[0, 0]), float(auxiliary[0, 1])),
                                   (float(auxiliary[1, 0]), float(auxiliary[1, 1])), width, height)
        # Two coinciding auxiliary points give an empty ROI, on which the reference throws on
        # every later frame; here the next frame runs the person detector instead.
        self._roi = next_roi if _usable(next_roi) else None
        mask = result.mask
        if mask is not None and self.options.smooth_segmentation:
            mask = self._smooth_mask(mask)

        xs = landmarks[:, 0] * width
        ys = landmarks[:, 1] * height
        if smoothed and not self.options.reference_z:
            zs = landmarks[:, 2]  # already pixels after the filter
        else:
            zs = landmarks[:, 2] * width  # with smoothing: the reference's double scaling
        world_x = world[:, 0]
        if flip_horizontal:
            xs = width - 1 - xs
            world_x = -world_x
            if mask is not None:
                mask = np.ascontiguousarray(mask[:, ::-1])
        keypoints = tuple(
            Keypoint(x=x, y=y, score=s, name=name, z=z)
            for x, y, z, s, name in zip(xs.tolist(), ys.tolist(), zs.tolist(), landmarks[:, 3].tolist(),
                                        BLAZEPOSE_33.keypoint_names, strict=True))
        keypoints_3d = tuple(
            Keypoint(x=x, y=y, score=s, name=name, z=z)
            for x, y, z, s, name in zip(world_x.tolist(), world[:, 1].tolist(), world[:, 2].tolist(),
                                        world[:, 3].tolist(), BLAZEPOSE_33.keypoint_names, strict=True))
        if mask is not None and mask is self._previous_mask:
            mask = mask.copy()  # the caller may change it; the state must not
        return [Pose(keypoints=keypoints, score=result.pose_score, keypoints_3d=keypoints_3d, segmentation=mask,
                     skeleton=BLAZEPOSE_33)]


def _usable(roi: Rect) -> bool:
    """Whether the landmark network can be run on `roi`: a finite rectangle of positive size."""
    values = (roi.x_center, roi.y_center, roi.width, roi.height, roi.rotation)
    return all(map(math.isfinite, values)) and roi.width > 0 and roi.height > 0
