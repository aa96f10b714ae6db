"""Crop regions of the single-pose models: the first crop, the next crop from the keypoints, its
low-pass filter, and crop-to-image coordinates (``pose-detection/src/movenet/detector.ts``:
``initCropRegion``, ``torsoVisible``, ``determineCropRegion``, ``filterCropRegion``).

Region arithmetic is float64 in the reference's order of operations; the sampling itself is
:func:`movenet.ops.crop_and_resize.crop_and_resize`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movenet.calculators.filters import CROP_FILTER_ALPHA, LowPassFilter
from movenet.families.movenet.constants import MIN_CROP_KEYPOINT_SCORE
from movenet.skeletons import COCO_17

__all__ = [
    "MIN_CROP_KEYPOINT_SCORE",
    "CropRegion",
    "CropRegionFilter",
    "crop_to_image",
    "determine_next_crop_region",
    "init_crop_region",
    "torso_visible",
]

NUM_KEYPOINTS = COCO_17.num_keypoints
_LEFT_SHOULDER = COCO_17.index["left_shoulder"]
_RIGHT_SHOULDER = COCO_17.index["right_shoulder"]
_LEFT_HIP = COCO_17.index["left_hip"]
_RIGHT_HIP = COCO_17.index["right_hip"]
_TORSO_JOINTS = (_LEFT_SHOULDER, _RIGHT_SHOULDER, _LEFT_HIP, _RIGHT_HIP)


@dataclass(frozen=True)
class CropRegion:
    """A crop box in normalized image coordinates (may extend past [0, 1]).

    ``height``/``width`` are ``y_max - y_min``/``x_max - x_min``, except for the regions made
    by :func:`init_crop_region`, where the reference stores the box size it added
    (``yMax = yMin + h``, ``height = h``); ``box_height``/``box_width`` keep that value.
    """

    y_min: float
    x_min: float
    y_max: float
    x_max: float
    box_height: float | None = field(default=None, repr=False)
    box_width: float | None = field(default=None, repr=False)

    @property
    def height(self) -> float:
        return self.y_max - self.y_min if self.box_height is None else self.box_height

    @property
    def width(self) -> float:
        return self.x_max - self.x_min if self.box_width is None else self.box_width

    def as_box(self) -> tuple[float, float, float, float]:
        """``(y_min, x_min, y_max, x_max)``, the order crop-and-resize takes."""
        return (self.y_min, self.x_min, self.y_max, self.x_max)


def init_crop_region(first_frame: bool, image_height: int, image_width: int) -> CropRegion:
    """The initial crop (``initCropRegion``): the centre square inside the image when ``first_frame``,
    else the whole image padded to a square (the parts outside the image read as zeros)."""
    h = image_height
    w = image_width
    if first_frame:
        if w > h:
            box_height = 1.0
            box_width = h / w
            y_min = 0.0
            x_min = (w / 2 - h / 2) / w
        else:
            box_height = w / h
            box_width = 1.0
            y_min = (h / 2 - w / 2) / h
            x_min = 0.0
    else:
        if w > h:
            box_height = w / h
            box_width = 1.0
            y_min = (h / 2 - w / 2) / h
            x_min = 0.0
        else:
            box_height = 1.0
            box_width = h / w
            y_min = 0.0
            x_min = (w / 2 - h / 2) / w
    return CropRegion(
        y_min=y_min,
        x_min=x_min,
        y_max=y_min + box_height,
        x_max=x_min + box_width,
        box_height=box_height,
        box_width=box_width,
    )


def torso_visible(keypoints: np.ndarray) -> bool:
    """``torsoVisible``: (either hip > 0.2) and (either shoulder > 0.2). ``keypoints`` is (17, 3) of
    (y, x, score)."""
    s = keypoints[:, 2]
    return bool(
        (float(s[_LEFT_HIP]) > MIN_CROP_KEYPOINT_SCORE or float(s[_RIGHT_HIP]) > MIN_CROP_KEYPOINT_SCORE)
        and (float(s[_LEFT_SHOULDER]) > MIN_CROP_KEYPOINT_SCORE or float(s[_RIGHT_SHOULDER]) > MIN_CROP_KEYPOINT_SCORE)
    )


def determine_next_crop_region(keypoints: np.ndarray, image_height: int, image_width: int) -> CropRegion:
    """``determineCropRegion``: the square crop around the hips that holds the body, from image-normalized
    keypoints (17, 3) of (y, x, score). Falls back to ``init_crop_region(False, ...)``."""
    kps = np.asarray(keypoints, dtype=np.float64)
    if kps.shape != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape ({NUM_KEYPOINTS}, 3), got {kps.shape}")
    height = image_height
    width = image_width
    rows: list[list[float]] = kps.tolist()
    target = [(y * height, x * width) for y, x, _ in rows]

    if not torso_visible(kps):
        return init_crop_region(False, image_height, image_width)

    center_y = (target[_LEFT_HIP][0] + target[_RIGHT_HIP][0]) / 2
    center_x = (target[_LEFT_HIP][1] + target[_RIGHT_HIP][1]) / 2

    max_torso_y = 0.0
    max_torso_x = 0.0
    for k in _TORSO_JOINTS:
        dist_y = abs(center_y - target[k][0])
        dist_x = abs(center_x - target[k][1])
        if dist_y > max_torso_y:
            max_torso_y = dist_y
        if dist_x > max_torso_x:
            max_torso_x = dist_x

    max_body_y = 0.0
    max_body_x = 0.0
    for k in range(NUM_KEYPOINTS):
        if rows[k][2] < MIN_CROP_KEYPOINT_SCORE:
            continue
        dist_y = abs(center_y - target[k][0])
        dist_x = abs(center_x - target[k][1])
        if dist_y > max_body_y:
            max_body_y = dist_y
        if dist_x > max_body_x:
            max_body_x = dist_x

    half = max(max_torso_x * 1.9, max_torso_y * 1.9, max_body_y * 1.2, max_body_x * 1.2)
    half = min(half, max(center_x, width - center_x, center_y, height - center_y))
    corner_y = center_y - half
    corner_x = center_x - half
    if half > max(width, height) / 2:
        return init_crop_region(False, image_height, image_width)
    length = half * 2
    return CropRegion(
        y_min=corner_y / height,
        x_min=corner_x / width,
        y_max=(corner_y + length) / height,
        x_max=(corner_x + length) / width,
    )


class CropRegionFilter:
    """``filterCropRegion``: one LowPassFilter(0.9) each for y_min, x_min, y_max, x_max."""

    def __init__(self, alpha: float = CROP_FILTER_ALPHA) -> None:
        self._filters = tuple(LowPassFilter(alpha) for _ in range(4))

    def apply(self, region: CropRegion) -> CropRegion:
        fy0, fx0, fy1, fx1 = self._filters
        return CropRegion(
            y_min=fy0.apply(region.y_min),
            x_min=fx0.apply(region.x_min),
            y_max=fy1.apply(region.y_max),
            x_max=fx1.apply(region.x_max),
        )

    def reset(self) -> None:
        for f in self._filters:
            f.reset()


def crop_to_image(keypoints_yx: np.ndarray, region: CropRegion) -> np.ndarray:
    """``estimateSinglePose``, last step: crop-normalized to image-normalized coordinates,
    ``y = y_min + y·height``, ``x = x_min + x·width``, in float64. Column 0 is y and column 1 is
    x; further columns (e.g. score) are copied unchanged."""
    out = np.array(keypoints_yx, dtype=np.float64)
    out[..., 0] = region.y_min + out[..., 0] * region.height
    out[..., 1] = region.x_min + out[..., 1] * region.width
    return out
