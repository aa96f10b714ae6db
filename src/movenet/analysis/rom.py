"""Range of motion: the smallest and largest value of each angle over a recording."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ROM", "range_of_motion"]


@dataclass(frozen=True)
class ROM:
    """Range of motion of one angle. Angles in degrees, times in milliseconds.

    `min` / `max` are the extreme values over the frames where the angle is known, `range` is
    ``max - min``, `min_index` / `max_index` the (first) frame where each occurs and
    `min_time_ms` / `max_time_ms` that frame's time. `frames` counts the frames where the angle is
    known, `total_frames` all frames. When it is never known, the values are ``NaN`` and the
    indices and times ``None``."""

    joint: str
    min: float
    max: float
    range: float
    min_index: int | None
    max_index: int | None
    min_time_ms: float | None
    max_time_ms: float | None
    frames: int
    total_frames: int

    @property
    def coverage(self) -> float:
        """The fraction of frames where the angle is known."""
        return self.frames / self.total_frames if self.total_frames else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "joint": self.joint,
            "min": _num(self.min),
            "max": _num(self.max),
            "range": _num(self.range),
            "min_index": self.min_index,
            "max_index": self.max_index,
            "min_time_ms": self.min_time_ms,
            "max_time_ms": self.max_time_ms,
            "frames": self.frames,
            "total_frames": self.total_frames,
        }


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def range_of_motion(
    angles: Mapping[str, Sequence[float] | np.ndarray], timestamps_ms: Sequence[float] | np.ndarray
) -> dict[str, ROM]:
    """``{joint: ROM}`` for each series of `angles` (as returned by
    :func:`movenet.analysis.joint_angles`), ignoring ``NaN`` frames. `timestamps_ms` gives each
    frame's time; every series must have one value per timestamp."""
    times = np.asarray(timestamps_ms, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError(f"timestamps_ms must be one-dimensional, got shape {times.shape}")
    out: dict[str, ROM] = {}
    for joint, series in angles.items():
        values = np.asarray(series, dtype=np.float64)
        if values.shape != times.shape:
            raise ValueError(f"{joint}: {values.size} values for {times.size} timestamps")
        known = np.isfinite(values)
        n = int(known.sum())
        if n == 0:
            out[joint] = ROM(joint, math.nan, math.nan, math.nan, None, None, None, None, 0, values.size)
            continue
        masked_low = np.where(known, values, np.inf)
        masked_high = np.where(known, values, -np.inf)
        i_min, i_max = int(np.argmin(masked_low)), int(np.argmax(masked_high))
        low, high = float(values[i_min]), float(values[i_max])
        out[joint] = ROM(joint, low, high, high - low, i_min, i_max, float(times[i_min]), float(times[i_max]),
                         n, values.size)
    return out
