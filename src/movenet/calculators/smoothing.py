"""Landmark smoothing on top of :mod:`movenet.filters` (model-agnostic; spec §7).

Ports of TF.js ``shared/filters/visibility_smoothing.ts`` (LowPassVisibilityFilter),
``shared/filters/keypoints_smoothing.ts`` (KeypointsSmoothingFilter with a one-euro filter)
and ``shared/calculators/get_object_scale.ts``. The one-euro arithmetic is
:class:`movenet.filters.KeypointsOneEuroFilter` (the same algorithm as MoveNet's, here with
value scaling by the object scale and no threshold); timestamps are microseconds, truncated
by the filter.
"""

from __future__ import annotations

import numpy as np

from movenet.calculators.filters import KeypointsOneEuroFilter, OneEuroConfig
from movenet.calculators.rects import Rect

__all__ = ["KeypointsSmoothingFilter", "VisibilityFilter", "object_scale"]


def object_scale(rect: Rect, image_width: int, image_height: int) -> float:
    """getObjectScale: the mean of the normalized rect's pixel width and height."""
    return (rect.width * image_width + rect.height * image_height) / 2


class VisibilityFilter:
    """LowPassVisibilityFilter: one low-pass filter (``alpha``) per landmark score. The first
    sample after construction or :meth:`reset` passes through and seeds the filters; a change
    in the number of landmarks starts new filters."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._stored: np.ndarray | None = None

    def reset(self) -> None:
        self._stored = None

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Filtered copy of ``scores`` (one per landmark)."""
        values = np.array(scores, dtype=np.float64)
        if self._stored is None or self._stored.shape != values.shape:
            self._stored = values.copy()
            return values
        result = self._stored + self.alpha * (values - self._stored)
        self._stored = result
        return result.copy()


class KeypointsSmoothingFilter:
    """KeypointsSmoothingFilter with a one-euro filter per coordinate.

    :meth:`apply` takes ``(N, D)`` coordinates (x, y and optionally z). With ``image_size``
    they are normalized and are filtered in pixels (x·width, y·height, z·width); the result is
    normalized back for x and y only. **z stays in pixels**, as in the reference, whose
    ``keypointsToNormalizedKeypoints`` divides the input's z instead of the output's.
    """

    def __init__(self, config: OneEuroConfig) -> None:
        self.config = config
        self._filter = KeypointsOneEuroFilter(config)

    def reset(self) -> None:
        self._filter.reset()

    def apply(self, coords: np.ndarray, timestamp_us: float, image_size: tuple[int, int] | None = None,
              object_scale_rect: Rect | None = None) -> np.ndarray:
        """Filtered copy of ``coords``. ``image_size`` = ``(width, height)`` marks normalized
        coordinates; ``object_scale_rect`` gives the object scale (default 1)."""
        values = np.array(coords, dtype=np.float64)
        scale = 1.0
        if object_scale_rect is not None:
            if image_size is None:
                raise ValueError("object_scale_rect needs image_size")
            scale = object_scale(object_scale_rect, *image_size)
        if image_size is None:
            return self._filter.apply(values, timestamp_us, scale)
        width, height = image_size
        pixels = values.copy()
        pixels[:, 0] = values[:, 0] * width
        pixels[:, 1] = values[:, 1] * height
        if values.shape[1] > 2:
            pixels[:, 2] = values[:, 2] * width
        filtered = self._filter.apply(pixels, timestamp_us, scale)
        out = filtered.copy()
        out[:, 0] = filtered[:, 0] / width
        out[:, 1] = filtered[:, 1] / height
        return out
