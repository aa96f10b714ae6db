"""Postural sway: how much the body's centre wanders, e.g. in a single-leg stance test.

The tracked point is the hip midpoint (``point="hips"``, both hips confident) or the centroid of
all confident keypoints (``point="centroid"``). Its trajectory is expressed in *torso lengths*
(the median, over the recording, of the distance from the shoulder midpoint to the hip midpoint),
so that numbers do not depend on how far the person stands from the camera, and measured per time
window:

* ``rms``: root mean square distance from the window's mean position (``rms_x``, ``rms_y`` per axis);
* ``range_x`` / ``range_y``: extent of the wander (max - min) along each axis;
* ``path_length``: total distance travelled (sum of the steps between successive known frames),
  and ``mean_speed``: path length per second.

Image axes: x to the right, y downwards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from movenet.analysis.angles import PosesInput, keypoint_array, poses_skeleton

__all__ = ["Sway", "SwayWindow", "sway"]



@dataclass(frozen=True)
class SwayWindow:
    """Sway statistics over ``[start_ms, end_ms)`` (torso lengths; `mean_speed` per second).
    Statistics are ``NaN`` when fewer than two frames of the window have a known position."""

    start_ms: float
    end_ms: float
    frames: int
    rms: float
    rms_x: float
    rms_y: float
    range_x: float
    range_y: float
    path_length: float
    mean_speed: float

    def to_dict(self) -> dict[str, object]:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Sway:
    """The result of :func:`sway`: the trajectory (`x`, `y`: torso lengths from the mean position,
    ``NaN`` where unknown, one per frame at `timestamps_ms`), `torso_px` (the torso length in
    pixels used to normalise), the statistics per window and over the whole recording (`overall`)."""

    timestamps_ms: np.ndarray
    x: np.ndarray
    y: np.ndarray
    torso_px: float
    point: str
    window_s: float
    windows: list[SwayWindow] = field(default_factory=list)
    overall: SwayWindow | None = None

    def to_dict(self, *, trajectory: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "point": self.point,
            "units": "torso lengths",
            "torso_px": self.torso_px if math.isfinite(self.torso_px) else None,
            "window_s": self.window_s,
            "overall": self.overall.to_dict() if self.overall else None,
            "windows": [w.to_dict() for w in self.windows],
        }
        if trajectory:
            out["x"] = [float(v) if math.isfinite(v) else None for v in self.x]
            out["y"] = [float(v) if math.isfinite(v) else None for v in self.y]
        return out


def _window_stats(t: np.ndarray, x: np.ndarray, y: np.ndarray, start: float, end: float) -> SwayWindow:
    known = np.isfinite(x) & np.isfinite(y)
    n = int(known.sum())
    if n < 2:
        nan = math.nan
        return SwayWindow(start, end, n, nan, nan, nan, nan, nan, nan, nan)
    px, py, pt = x[known], y[known], t[known]
    dx, dy = px - px.mean(), py - py.mean()
    path = float(np.hypot(np.diff(px), np.diff(py)).sum())
    span_s = float(pt[-1] - pt[0]) / 1000.0
    return SwayWindow(
        start_ms=start,
        end_ms=end,
        frames=n,
        rms=float(np.sqrt(np.mean(dx**2 + dy**2))),
        rms_x=float(np.sqrt(np.mean(dx**2))),
        rms_y=float(np.sqrt(np.mean(dy**2))),
        range_x=float(px.max() - px.min()),
        range_y=float(py.max() - py.min()),
        path_length=path,
        mean_speed=path / span_s if span_s > 0 else math.nan,
    )


def sway(
    poses_per_frame: PosesInput,
    timestamps_ms: Sequence[float] | np.ndarray,
    window_s: float = 5.0,
    *,
    min_score: float = 0.3,
    point: Literal["hips", "centroid"] = "hips",
) -> Sway:
    """Sway of the hip midpoint (or the centroid of confident keypoints) over time, normalised by
    torso length, in consecutive windows of `window_s` seconds from the first frame (the last one
    may be shorter). `poses_per_frame` is as for :func:`movenet.analysis.joint_angles`. See the
    module docstring. When the torso is never seen (no frame with both shoulders and both hips
    above `min_score`) the trajectory and statistics are ``NaN``."""
    t = np.asarray(timestamps_ms, dtype=np.float64)
    if t.ndim != 1 or t.size != len(poses_per_frame):
        raise ValueError(f"{len(poses_per_frame)} frames of poses for {t.size} timestamps")
    if not (isinstance(window_s, (int, float)) and math.isfinite(window_s) and window_s > 0):
        raise ValueError(f"window_s must be a positive number of seconds, not {window_s!r}")
    if point not in ("hips", "centroid"):
        raise ValueError(f"point must be 'hips' or 'centroid', not {point!r}")
    xy = keypoint_array(poses_per_frame, min_score)
    index = poses_skeleton(poses_per_frame).index_of
    hips = (xy[:, index("left_hip")] + xy[:, index("right_hip")]) / 2.0
    shoulders = (xy[:, index("left_shoulder")] + xy[:, index("right_shoulder")]) / 2.0
    torso = np.hypot(*(shoulders - hips).T)
    torso = torso[np.isfinite(torso) & (torso > 0)]
    torso_px = float(np.median(torso)) if torso.size else math.nan

    if point == "hips":
        centre = hips
    else:
        with np.errstate(invalid="ignore"):
            counts = np.isfinite(xy[:, :, 0]).sum(axis=1)
            sums = np.where(np.isfinite(xy), xy, 0.0).sum(axis=1)
            centre = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], np.nan)
    known = np.isfinite(centre).all(axis=1)
    if known.any() and math.isfinite(torso_px):
        mean = centre[known].mean(axis=0)
        norm = (centre - mean) / torso_px
    else:
        norm = np.full_like(centre, np.nan)
    x, y = norm[:, 0], norm[:, 1]

    windows: list[SwayWindow] = []
    if t.size:
        t0, t_end = float(t[0]), float(t[-1])
        step = window_s * 1000.0
        k = 0
        while t0 + k * step <= t_end:
            start, end = t0 + k * step, t0 + (k + 1) * step
            inside = (t >= start) & (t < end)
            windows.append(_window_stats(t[inside], x[inside], y[inside], start, end))
            k += 1
        overall = _window_stats(t, x, y, t0, t_end)
    else:
        overall = None
    return Sway(t, x, y, torso_px, point, float(window_s), windows, overall)
