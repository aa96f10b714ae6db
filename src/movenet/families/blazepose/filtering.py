"""BlazePose landmark smoothing: visibility, 2D landmarks, auxiliary landmarks and world
landmarks (``pose-detection/src/blazepose_tfjs/detector.ts`` ``poseLandmarkFiltering``;
spec §7).

Reproduces the reference's observable behaviour, quirks included:

* the object scale comes from the unsmoothed auxiliary landmarks (start 34, end 33);
* the 2D visibility filter runs twice per frame (on the landmarks, then on the world
  landmarks, whose result is dropped), so its state advances twice;
* world keypoint scores are the raw visibilities (the world filter gets the unfiltered input);
* the 2D filters return z in pixels (see :class:`~movenet.calculators.smoothing.KeypointsSmoothingFilter`);
* :meth:`LandmarkFilters.reset` keeps the world filter's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movenet.calculators.rects import alignment_points_rect
from movenet.calculators.smoothing import KeypointsSmoothingFilter, VisibilityFilter
from movenet.families.blazepose import constants as C

__all__ = ["FilteredLandmarks", "LandmarkFilters"]


@dataclass(frozen=True)
class FilteredLandmarks:
    """Smoothed landmarks: ``landmarks`` and ``auxiliary`` with x, y normalized and z in
    pixels; ``world`` in metres (scores raw)."""

    landmarks: np.ndarray
    auxiliary: np.ndarray
    world: np.ndarray


class LandmarkFilters:
    """The five filters of one BlazePose track."""

    def __init__(self) -> None:
        self.visibility = VisibilityFilter(C.VISIBILITY_ALPHA)
        self.auxiliary_visibility = VisibilityFilter(C.VISIBILITY_ALPHA)
        self.landmarks = KeypointsSmoothingFilter(C.LANDMARKS_FILTER)
        self.auxiliary = KeypointsSmoothingFilter(C.AUXILIARY_FILTER)
        self.world = KeypointsSmoothingFilter(C.WORLD_FILTER)

    def reset(self) -> None:
        """What the reference's ``reset()`` drops: everything but the world filter."""
        self.visibility.reset()
        self.auxiliary_visibility.reset()
        self.landmarks.reset()
        self.auxiliary.reset()

    def apply(self, landmarks: np.ndarray, auxiliary: np.ndarray, world: np.ndarray, timestamp_us: float,
              image_width: int, image_height: int) -> FilteredLandmarks:
        """Filter one frame's (33, 4), (2, 4) and (33, 4) landmarks (x, y, z, score)."""
        size = (image_width, image_height)
        scale_rect = alignment_points_rect((float(auxiliary[1, 0]), float(auxiliary[1, 1])),
                                           (float(auxiliary[0, 0]), float(auxiliary[0, 1])),
                                           image_width, image_height, C.ROI_TARGET_ANGLE_DEGREE)
        lm = landmarks.copy()
        lm[:, 3] = self.visibility.apply(landmarks[:, 3])
        aux = auxiliary.copy()
        aux[:, 3] = self.auxiliary_visibility.apply(auxiliary[:, 3])
        self.visibility.apply(world[:, 3])  # the reference's second pass; only its state counts
        lm[:, :3] = self.landmarks.apply(lm[:, :3], timestamp_us, size, scale_rect)
        aux[:, :3] = self.auxiliary.apply(aux[:, :3], timestamp_us, size, scale_rect)
        wl = world.copy()
        wl[:, :3] = self.world.apply(world[:, :3], timestamp_us)
        return FilteredLandmarks(lm, aux, wl)
