"""The single-pose detector (SinglePose Lightning and Thunder), reference-spec section 2.

Per frame: crop the image around the person found in the previous frame, run the network on
the crop, map keypoints back to the image, smooth them over time, and derive the next crop.
"""

from __future__ import annotations

import numpy as np

from movenet.constants import DEFAULT_MIN_POSE_SCORE, MIN_CROP_KEYPOINT_SCORE
from movenet.crop import (
    CropRegion,
    CropRegionFilter,
    crop_and_resize,
    crop_to_image,
    determine_next_crop_region,
    init_crop_region,
)
from movenet.filters import KEYPOINT_FILTER_CONFIG, KeypointsOneEuroFilter, timestamp_ms_to_us
from movenet.io.images import ImageSource, load_image
from movenet.runtime import Backend
from movenet.types import KEYPOINT_NAMES, NUM_KEYPOINTS, Keypoint, Pose


def pose_score(scores: np.ndarray) -> float:
    """Mean of the keypoint scores above 0.2, or 0 when none is (reference 2.5)."""
    valid = scores[scores > MIN_CROP_KEYPOINT_SCORE]
    return float(valid.mean()) if valid.size else 0.0


def make_pose(yx_norm: np.ndarray, scores: np.ndarray, height: int, width: int, score: float,
              flip_horizontal: bool = False) -> Pose:
    """A Pose in pixels from image-normalized (y, x) keypoints."""
    ys = yx_norm[:, 0] * height
    xs = yx_norm[:, 1] * width
    if flip_horizontal:
        xs = width - 1 - xs
    keypoints = tuple(
        Keypoint(x=float(x), y=float(y), score=float(s), name=name)
        for x, y, s, name in zip(xs, ys, scores, KEYPOINT_NAMES, strict=True)
    )
    return Pose(keypoints=keypoints, score=score)


class SinglePoseDetector:
    """MoveNet SinglePose (Lightning or Thunder) with the reference's crop loop and smoothing.

    Use `estimate_poses(image, timestamp_ms)` once per frame; pass increasing timestamps for a
    video so the keypoints are smoothed. `reset()` forgets the previous frames.
    """

    def __init__(self, network: Backend, input_size: int, *, model: str = "lightning",
                 enable_smoothing: bool = True, min_pose_score: float | None = None) -> None:
        if min_pose_score is not None and not 0.0 <= min_pose_score <= 1.0:
            raise ValueError(f"min_pose_score should be between 0.0 and 1.0, got {min_pose_score}")
        self.model = model
        self.network = network
        self.input_size = input_size
        self.enable_smoothing = enable_smoothing
        # The reference treats any falsy value as the default; we honour an explicit 0.
        self.min_pose_score = DEFAULT_MIN_POSE_SCORE if min_pose_score is None else min_pose_score
        self._input = np.zeros((1, input_size, input_size, 3), np.int32)  # reused every frame
        self._keypoint_filter = KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)
        self._crop_filter = CropRegionFilter()
        self._crop: CropRegion | None = None

    @property
    def crop_region(self) -> CropRegion | None:
        """The normalized crop the next frame will use (None: centre square of the next frame)."""
        return self._crop

    def reset(self) -> None:
        """Forget all temporal state: crop region, keypoint and crop filters."""
        self._crop = None
        self._keypoint_filter.reset()
        self._crop_filter.reset()

    def run_network(self, image: np.ndarray, crop: CropRegion) -> np.ndarray:
        """Crop-and-resize `image` (HxWx3 uint8) to the network input and run it: (17, 3) y, x, score."""
        crop_and_resize(image, crop, self.input_size, out=self._input[0])
        output = self.network.run(self._input)[0]
        if output.shape != (1, 1, NUM_KEYPOINTS, 3):
            raise RuntimeError(f"Unexpected output shape from model: {list(output.shape)}")
        return output.reshape(NUM_KEYPOINTS, 3)

    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]:
        """Detect the pose in one frame: a list with zero or one Pose, keypoints in pixels.

        `image`: HxWx3 uint8 RGB array (or grey, RGBA, PIL image, path). `timestamp_ms`: the
        frame's time, needed for smoothing. `flip_horizontal` mirrors the output x coordinates
        (an extension; the reference ignores it for MoveNet).
        """
        if image is None:
            self.reset()
            return []
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        if self._crop is None:
            self._crop = init_crop_region(True, height, width)
        crop = self._crop
        raw = self.run_network(rgb, crop)
        scores = raw[:, 2].astype(np.float64)
        score = pose_score(scores)
        if score < self.min_pose_score:
            self.reset()
            return []
        yx = crop_to_image(raw[:, :2].astype(np.float64), crop)
        if self.enable_smoothing and timestamp_ms is not None:
            xy = self._keypoint_filter.apply(yx[:, ::-1], timestamp_ms_to_us(timestamp_ms))
            yx = np.ascontiguousarray(xy[:, ::-1])
        keypoints = np.column_stack([yx, scores])
        self._crop = self._crop_filter.apply(determine_next_crop_region(keypoints, height, width))
        return [make_pose(yx, scores, height, width, score, flip_horizontal)]
