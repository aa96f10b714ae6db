"""Temporal filters: low-pass, one-euro and the vectorized keypoint one-euro filter
(``pose-detection/src/shared/filters/``).

All arithmetic is float64 in the same order of operations as the JavaScript reference
(``shared/filters/one_euro_filter.ts``, ``low_pass_filter.ts``), so that
:class:`KeypointsOneEuroFilter`, one filter per coordinate done with numpy, reproduces the
reference bit for bit (up to ``asinh``, see :func:`_asinh`); the tests check it against a
scalar port of the reference's filter (``tests/reference_filters.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CROP_FILTER_ALPHA",
    "KEYPOINT_FILTER_CONFIG",
    "KeypointsOneEuroFilter",
    "LowPassFilter",
    "OneEuroConfig",
    "timestamp_ms_to_us",
]

#: ``MICRO_SECONDS_TO_SECOND`` of the reference.
MICRO_SECONDS_TO_SECOND = 1e-6
#: ``MILLISECOND_TO_MICRO_SECONDS`` of the reference.
MILLISECOND_TO_MICRO_SECONDS = 1000

#: Alpha of the four crop-region low-pass filters (``pose-detection/src/movenet/constants.ts``).
CROP_FILTER_ALPHA = 0.9

_TWO_PI = 2 * math.pi  # the reference computes ``2 * Math.PI * cutoff`` left to right


def timestamp_ms_to_us(ms: float) -> int:
    """Milliseconds to integer microseconds: ``trunc(ms * 1000)`` (``movenet/detector.ts``; the filters
    truncate the microsecond value with ``Math.trunc``)."""
    return math.trunc(ms * MILLISECOND_TO_MICRO_SECONDS)


def _asinh(x: float) -> float:
    # The reference uses V8's Math.asinh (an fdlibm port). math.asinh (C libm) agrees with it
    # except for an occasional 1-ulp difference; numpy's arcsinh differs more often, so both the
    # scalar and the vectorized filters use math.asinh to stay identical to each other.
    return math.asinh(x)


@dataclass(frozen=True)
class OneEuroConfig:
    """Configuration of a one-euro filter (``OneEuroFilterConfig`` of the reference)."""

    frequency: float
    min_cutoff: float
    beta: float
    derivate_cutoff: float
    threshold_cutoff: float | None = None
    threshold_beta: float | None = None
    #: Only used by :class:`KeypointsOneEuroFilter`: when true the value scale is 1.
    disable_value_scaling: bool = False
    #: Only used by :class:`KeypointsOneEuroFilter` when value scaling is on: a smaller object
    #: scale returns the keypoints unfiltered. ``None`` (unset) never skips filtering.
    min_allowed_object_scale: float | None = None


#: MoveNet's keypoint filter configuration (``KEYPOINT_FILTER_CONFIG``, ``movenet/constants.ts``).
KEYPOINT_FILTER_CONFIG = OneEuroConfig(
    frequency=30,
    min_cutoff=2.5,
    beta=300.0,
    derivate_cutoff=2.5,
    threshold_cutoff=0.5,
    threshold_beta=5.0,
    disable_value_scaling=True,
)


class LowPassFilter:
    """Exponential smoothing with an optional asinh soft clamp (``shared/filters/low_pass_filter.ts``)."""

    __slots__ = ("alpha", "_initialized", "_raw_value", "_stored_value")

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._initialized = False
        self._raw_value = 0.0
        self._stored_value = 0.0

    def apply(self, value: float, threshold: float | None = None) -> float:
        """Filter one value. The first value after construction or :meth:`reset` passes
        through unchanged."""
        if self._initialized:
            stored = self._stored_value
            if threshold is None:
                result = stored + self.alpha * (value - stored)
            else:
                result = stored + self.alpha * threshold * _asinh((value - stored) / threshold)
        else:
            result = value
            self._initialized = True
        self._raw_value = value
        self._stored_value = result
        return result

    def apply_with_alpha(self, value: float, alpha: float, threshold: float | None = None) -> float:
        """Replace alpha (persistently), then :meth:`apply`."""
        self.alpha = alpha
        return self.apply(value, threshold)

    def has_last_raw_value(self) -> bool:
        return self._initialized

    def last_raw_value(self) -> float:
        return self._raw_value

    def reset(self) -> None:
        self._initialized = False


class KeypointsOneEuroFilter:
    """One one-euro filter per coordinate of an (N, D) array, vectorized
    (``shared/filters/keypoints_one_euro_filter.ts``).

    All coordinates share the timestamp, so they share the timestamp, frequency and
    "initialized" state; only the values and the filtered derivative are per element. The
    result is identical to running the reference's scalar filter per element.
    """

    def __init__(self, config: OneEuroConfig = KEYPOINT_FILTER_CONFIG) -> None:
        if config.threshold_cutoff is not None and config.threshold_beta is None:
            raise ValueError("threshold_beta is required when threshold_cutoff is set")
        self.config = config
        self._shape: tuple[int, ...] | None = None
        self._init_state()

    def _init_state(self) -> None:
        self._frequency = float(self.config.frequency)
        self._last_timestamp = 0
        self._initialized = False  # x and dx low-pass filters have a value (always together)
        self._x_raw: np.ndarray | None = None
        self._x_stored: np.ndarray | None = None
        self._dx_stored: np.ndarray | None = None

    def reset(self) -> None:
        """Drop all per-keypoint filters; the next sample passes through."""
        self._shape = None
        self._init_state()

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        return 1.0 / (1.0 + (self._frequency / (_TWO_PI * cutoff)))

    def apply(self, values: np.ndarray, timestamp_us: float, object_scale: float = 1.0) -> np.ndarray:
        """Filter ``values`` (N, D), e.g. (17, 2) of (x, y) image-normalized coordinates, taken at
        ``timestamp_us``. Returns a new float64 array of the same shape."""
        vals = np.array(values, dtype=np.float64)  # a copy: the result is built in place
        if self._shape != vals.shape:
            self._shape = vals.shape
            self._init_state()

        cfg = self.config
        value_scale = 1.0
        if not cfg.disable_value_scaling:
            if cfg.min_allowed_object_scale is not None and object_scale < cfg.min_allowed_object_scale:
                return vals
            value_scale = 1.0 / object_scale

        t = math.trunc(timestamp_us)
        if self._last_timestamp >= t:
            return vals
        if self._last_timestamp != 0 and t != 0:
            self._frequency = 1 / ((t - self._last_timestamp) * MICRO_SECONDS_TO_SECOND)
        self._last_timestamp = t

        if not self._initialized:
            # dx gets d = 0 and x gets the value; both pass through (first sample).
            self._initialized = True
            self._x_raw = vals.copy()
            self._x_stored = vals.copy()
            self._dx_stored = np.zeros_like(vals)
            return vals

        assert self._x_raw is not None and self._x_stored is not None and self._dx_stored is not None
        d_value = (vals - self._x_raw) * value_scale * self._frequency
        dx_alpha = self._alpha(cfg.derivate_cutoff)
        ed_value = self._dx_stored + dx_alpha * (d_value - self._dx_stored)
        abs_ed = np.abs(ed_value)
        cutoff = cfg.min_cutoff + cfg.beta * abs_ed
        alpha = self._alpha(cutoff)
        stored = self._x_stored
        if cfg.threshold_cutoff is None:
            result = stored + alpha * (vals - stored)
        else:
            assert cfg.threshold_beta is not None
            threshold = cfg.threshold_cutoff + cfg.threshold_beta * abs_ed
            z = (vals - stored) / threshold
            asinh_z = np.fromiter(map(_asinh, z.ravel().tolist()), dtype=np.float64, count=z.size)
            result = stored + alpha * threshold * asinh_z.reshape(z.shape)
        self._dx_stored = ed_value
        self._x_raw = vals
        self._x_stored = result
        return result.copy()
