"""Landmark regression outputs to image landmarks (model-agnostic; spec §6.3-§6.7).

Ports of TF.js ``shared/calculators/tensors_to_landmarks.ts``,
``refine_landmarks_from_heatmap.ts``, ``remove_landmark_letterbox.ts``,
``calculate_landmark_projection.ts`` and ``calculate_world_landmark_projection.ts``.
Landmarks are ``(N, 4)`` float64 arrays of ``x, y, z, score`` (score NaN when the model gives
none); everything is float64 on the float32 model values, in the reference's order.
"""

from __future__ import annotations

import math

import numpy as np

from movenet.calculators.rects import Padding, Rect

__all__ = [
    "landmark_projection",
    "refine_landmarks_from_heatmap",
    "remove_landmark_letterbox",
    "tensors_to_landmarks",
    "world_landmark_projection",
]


def tensors_to_landmarks(raw: np.ndarray, num_landmarks: int, input_width: float, input_height: float,
                         visibility_sigmoid: bool = True, normalize_z: float = 1.0) -> np.ndarray:
    """tensorsToLandmarks without flips: ``x/width``, ``y/height``, ``z/width/normalize_z`` and
    the visibility ``sigmoid(v[3])`` (when the landmarks have more than 3 values; v[4], the
    presence, is not used)."""
    values = np.asarray(raw, dtype=np.float32).reshape(num_landmarks, -1).astype(np.float64)
    dims = values.shape[1]
    out = np.full((num_landmarks, 4), np.nan)
    out[:, 0] = values[:, 0]
    out[:, 1] = values[:, 1] if dims > 1 else 0.0
    z = values[:, 2] if dims > 2 else np.full(num_landmarks, np.nan)
    if dims > 3:
        v = values[:, 3]
        out[:, 3] = [1 / (1 + math.exp(-s)) for s in v.tolist()] if visibility_sigmoid else v
    out[:, 0] = out[:, 0] / input_width
    out[:, 1] = out[:, 1] / input_height
    out[:, 2] = z / input_width / normalize_z
    return out


def refine_landmarks_from_heatmap(landmarks: np.ndarray, heatmap: np.ndarray, kernel_size: int,
                                  min_confidence: float) -> np.ndarray:
    """refineLandmarksFromHeatmap: each landmark's x, y replaced by the heatmap-weighted mean
    of the cell indices in a ``kernel_size`` window around it, when the window's maximum is at
    least ``min_confidence``. ``heatmap`` is ``[1,] H x W x N`` (probabilities).

    Reproduces the reference's bounds test, which compares the column with the heatmap height
    where the row is meant: a landmark up to ``kernel_size // 2`` rows below the heatmap is
    still refined from the rows it reaches. Cells are truncated toward zero.
    """
    hm = np.asarray(heatmap, dtype=np.float32)
    if hm.ndim == 4:
        hm = hm[0]
    hm_height, hm_width, channels = hm.shape
    if landmarks.shape[0] != channels:
        raise ValueError("Expected heatmap to have same number of channels as the number of landmarks. "
                         f"But got landmarks length: {landmarks.shape[0]}, heatmap length: {channels}")
    out = landmarks.copy()
    center_col = np.trunc(landmarks[:, 0] * hm_width)
    center_row = np.trunc(landmarks[:, 1] * hm_height)
    inside = (center_col >= 0) & (center_col < hm_width) & (center_row >= 0) & (center_col < hm_height)
    if not inside.any():
        return out
    # All windows at once: (N, k, k) cells around each centre, cells outside the heatmap read
    # as 0. Adding zeros leaves the reference's row-by-row running sums unchanged, and
    # cumulative sums are sequential, so the float64 results are the reference's.
    offset = math.trunc((kernel_size - 1) / 2)
    steps = np.arange(-offset, offset + 1)
    rows = np.where(inside, center_row, 0).astype(np.int64)[:, None] + steps  # (N, k)
    cols = np.where(inside, center_col, 0).astype(np.int64)[:, None] + steps
    valid = ((rows >= 0) & (rows < hm_height))[:, :, None] & ((cols >= 0) & (cols < hm_width))[:, None, :]
    cells = hm[np.clip(rows, 0, hm_height - 1)[:, :, None], np.clip(cols, 0, hm_width - 1)[:, None, :],
               np.arange(channels)[:, None, None]].astype(np.float64)
    cells = np.where(valid, cells, 0.0).reshape(channels, -1)
    col_index = np.broadcast_to(cols[:, None, :], valid.shape).reshape(channels, -1)
    row_index = np.broadcast_to(rows[:, :, None], valid.shape).reshape(channels, -1)
    total = np.cumsum(cells, axis=1)[:, -1]
    weighted_col = np.cumsum(col_index * cells, axis=1)[:, -1]
    weighted_row = np.cumsum(row_index * cells, axis=1)[:, -1]
    max_value = np.maximum(cells.max(axis=1), 0.0)
    refine = inside & (max_value >= min_confidence) & (total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 0] = np.where(refine, weighted_col / hm_width / total, out[:, 0])
        out[:, 1] = np.where(refine, weighted_row / hm_height / total, out[:, 1])
    return out


def remove_landmark_letterbox(landmarks: np.ndarray, padding: Padding) -> np.ndarray:
    """removeLandmarkLetterbox: from the letterboxed crop to the ROI (z scaled like x)."""
    left_and_right = padding.left + padding.right
    top_and_bottom = padding.top + padding.bottom
    out = landmarks.copy()
    out[:, 0] = (landmarks[:, 0] - padding.left) / (1 - left_and_right)
    out[:, 1] = (landmarks[:, 1] - padding.top) / (1 - top_and_bottom)
    out[:, 2] = landmarks[:, 2] / (1 - left_and_right)
    return out


def landmark_projection(landmarks: np.ndarray, rect: Rect) -> np.ndarray:
    """calculateLandmarkProjection: from the (normalized, rotated) ``rect`` to the image."""
    x = landmarks[:, 0] - 0.5
    y = landmarks[:, 1] - 0.5
    angle = rect.rotation
    cos = math.cos(angle)
    sin = math.sin(angle)
    out = landmarks.copy()
    out[:, 0] = (cos * x - sin * y) * rect.width + rect.x_center
    out[:, 1] = (sin * x + cos * y) * rect.height + rect.y_center
    out[:, 2] = landmarks[:, 2] * rect.width
    return out


def world_landmark_projection(landmarks: np.ndarray, rect: Rect) -> np.ndarray:
    """calculateWorldLandmarkProjection: rotate x, y by the rect's angle (no scale or shift)."""
    x = landmarks[:, 0]
    y = landmarks[:, 1]
    cos = math.cos(rect.rotation)
    sin = math.sin(rect.rotation)
    out = landmarks.copy()
    out[:, 0] = cos * x - sin * y
    out[:, 1] = sin * x + cos * y
    return out
