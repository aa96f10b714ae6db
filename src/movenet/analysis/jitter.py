"""Jitter and lag of keypoint trajectories: what temporal smoothing buys, in numbers.

Jitter of a keypoint = mean |p[t+1] - 2 p[t] + p[t-1]| (pixels per frame squared) over the
frames where that keypoint is confident in all three frames: still or smoothly moving points
score near zero, frame-to-frame noise scores high.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from movenet.skeletons import COCO_17, Skeleton
from movenet.types import Pose


def _skeleton(frames: Sequence[Sequence[Pose]]) -> Skeleton:
    """The skeleton of the first pose found (COCO_17 when there is none)."""
    return next((poses[0].skeleton for poses in frames if poses), COCO_17)


def trajectories(frames: Sequence[Sequence[Pose]], min_score: float = 0.3) -> np.ndarray:
    """(T, K, 2) keypoint positions of each frame's first pose (K of its skeleton); NaN where
    absent or not confident."""
    out = np.full((len(frames), _skeleton(frames).num_keypoints, 2), np.nan)
    for t, poses in enumerate(frames):
        if poses:
            for k, kp in enumerate(poses[0].keypoints):
                if kp.score >= min_score:
                    out[t, k] = (kp.x, kp.y)
    return out


def keypoint_jitter(track: np.ndarray) -> np.ndarray:
    """Per-keypoint mean acceleration magnitude (px/frame^2) of a (T, K, 2) trajectory; NaN if unknown."""
    if track.shape[0] < 3:
        return np.full(track.shape[1], np.nan)
    accel = np.linalg.norm(track[2:] - 2 * track[1:-1] + track[:-2], axis=-1)  # NaN where any frame lacks it
    with warnings.catch_warnings():  # all-NaN columns (never-confident keypoints) give NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(accel, axis=0)


def jitter_report(frames: Sequence[Sequence[Pose]], min_score: float = 0.3) -> dict[str, float]:
    """Jitter per keypoint name plus "mean" over the keypoints that have a value."""
    per_kp = keypoint_jitter(trajectories(frames, min_score))
    names = _skeleton(frames).keypoint_names
    report = {name: float(v) for name, v in zip(names, per_kp, strict=True)}
    finite = per_kp[np.isfinite(per_kp)]
    report["mean"] = float(finite.mean()) if finite.size else float("nan")
    return report


def mean_lag_frames(smoothed: np.ndarray, raw: np.ndarray, max_lag: float = 5.0, step: float = 0.05) -> float:
    """How many frames `smoothed` trails `raw`, on average over keypoints (both (T, K, 2)).

    For each candidate lag L the raw trajectory is delayed by L frames (linear interpolation)
    and compared with the smoothed one; the lag with the least mean squared difference wins.
    """
    t = np.arange(raw.shape[0], dtype=float)
    lags = []
    for k in range(raw.shape[1]):
        errs = []
        candidates = np.arange(0.0, max_lag + 1e-9, step)
        for lag in candidates:
            diffs = []
            for c in range(2):
                r, s = raw[:, k, c], smoothed[:, k, c]
                ok = np.isfinite(r) & np.isfinite(s)
                if ok.sum() < 10:
                    break
                delayed = np.interp(t - lag, t[ok], r[ok], left=np.nan)
                d = s - delayed
                diffs.append(d[ok & np.isfinite(d)])
            if len(diffs) < 2:
                break
            errs.append(float(np.mean(np.concatenate(diffs) ** 2)))
        if len(errs) == len(candidates):
            lags.append(float(candidates[int(np.argmin(errs))]))
    return float(np.mean(lags)) if lags else float("nan")
