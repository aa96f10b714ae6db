"""The MoveNet single-pose decoder in NumPy: from the four heads to 17 keypoints.

The published SinglePose graphs do this post-processing inside the network (the nodes between
the heads and ``Identity``); this module is the same computation in the open, one function per
step, reproducing the graph's constants and float32 arithmetic so the result is identical:

1. :func:`weight_center_heatmap`: the person-centre heatmap times ``1 / (d + 1.8)``, ``d`` the
   distance (in grid cells) of each cell to the frame centre ``(G/2, G/2)`` (``G`` = grid size,
   48 Lightning, 64 Thunder). The graph stores that weight table in float16
   (:func:`center_weight_table` rebuilds it bit for bit); :func:`select_center` takes the first
   maximum (row-major ``argmax``, as TF's ``ArgMax``).
2. :func:`regress_keypoints`: the keypoint regression read at the chosen centre cell
   ``(cy, cx)``: keypoint k at ``(cy + dy_k, cx + dx_k)`` (channels ``2k``, ``2k + 1``).
3. :func:`weight_keypoint_heatmaps`: every keypoint heatmap divided by
   ``sqrt((y - ry_k)² + (x - rx_k)²) + 1.7998046875``, the distance to its regressed keypoint
   (1.7998046875 is 1.8 stored in float16, as in the graph).
4. :func:`keypoint_cells` (per-channel first ``argmax``) and :func:`refine_keypoints`:
   ``y = (ky + oy) * s``, ``x = (kx + ox) * s`` with the offsets at the argmax cell and
   ``s = float16(1 / G)`` (0.020828247 for Lightning, exactly 1/64 for Thunder); the score is
   the *unweighted* heatmap value at the argmax cell.

Extensions (not in the graph): the person can be chosen by ``target`` instead of the frame
centre, see :func:`select_person`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from movenet.families.movenet.heads import Heads
from movenet.types import NUM_KEYPOINTS

__all__ = [
    "CENTER_DISTANCE_OFFSET",
    "DEFAULT_MIN_CENTER_SCORE",
    "KEYPOINT_DISTANCE_OFFSET",
    "Decoded",
    "Target",
    "center_candidates",
    "center_weight_table",
    "check_target",
    "image_bounds",
    "decode",
    "decode_single_pose",
    "keypoint_cells",
    "output_scale",
    "person_extent",
    "point_weight_table",
    "refine_keypoints",
    "regress_keypoints",
    "select_center",
    "select_person",
    "target_to_grid",
    "weight_center_heatmap",
    "weight_keypoint_heatmaps",
]

_F32 = np.float32

#: Step 1: the centre weight is ``1 / (d + 1.8)`` (computed before the float16 rounding).
CENTER_DISTANCE_OFFSET = 1.8
#: Step 3: the keypoint re-weighting divides by ``d + 1.8``, with 1.8 as stored in float16.
KEYPOINT_DISTANCE_OFFSET = _F32(np.float16(1.8))  # 1.7998046875
#: "largest": centre-heatmap peaks below this score are not candidates.
DEFAULT_MIN_CENTER_SCORE = 0.1

#: Who to decode: "center" (the graph's choice: the person nearest the frame centre),
#: "largest" (the biggest person), or an (x, y) point in image pixels (the person nearest it).
Target = Literal["center", "largest"] | tuple[float, float]

@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Float32 row and column indices of a size x size grid, as (size, 1) and (1, size)."""
    idx = np.arange(size, dtype=_F32)
    ys, xs = idx[:, None], idx[None, :]
    ys.setflags(write=False)
    xs.setflags(write=False)
    return ys, xs


def _float16_ties_away(values: np.ndarray) -> np.ndarray:
    """float32 -> float16, rounding to nearest with exact ties away from zero (NumPy's cast breaks
    ties to even). The published tables were rounded this way: their only ties, the 8 Thunder
    cells with dy² + dx² = 1261, hold the upper neighbour."""
    half = values.astype(np.float16)
    nearest = half.astype(np.float64)
    other = np.nextafter(half, np.where(nearest < values, np.float16(np.inf), np.float16(-np.inf)))
    tie = (values.astype(np.float64) - nearest) == (other.astype(np.float64) - values)
    away = tie & (np.abs(other.astype(np.float64)) > np.abs(nearest))
    half[away] = other[away]
    return half


@lru_cache(maxsize=8)
def center_weight_table(size: int) -> np.ndarray:
    """The graph's (size, size) float32 centre-weight table: ``1 / (d + 1.8)``, ``d`` the distance
    of each cell to ``(size/2, size/2)``, computed in float64, stored as float32 and then float16
    (ties away from zero). Read-only; equals the published
    ``ConstantFolding/StatefulPartitionedCall/truediv_2_recip`` constant bit for bit."""
    ys, xs = (a.astype(np.float64) for a in _grid(size))
    c = size / 2
    weights = 1.0 / (np.sqrt((ys - c) ** 2 + (xs - c) ** 2) + CENTER_DISTANCE_OFFSET)
    out = _float16_ties_away(weights.astype(_F32)).astype(_F32)
    out.setflags(write=False)
    return out


def point_weight_table(size: int, y: float, x: float) -> np.ndarray:
    """``1 / (d + 1.8)`` in float32, ``d`` the distance of each cell to the grid point (y, x): the
    frame-centre weighting of step 1 moved to another point (the ``(x, y)`` target)."""
    ys, xs = _grid(size)
    dy = ys - _F32(y)
    dx = xs - _F32(x)
    return _F32(1) / (np.sqrt(dy * dy + dx * dx) + _F32(CENTER_DISTANCE_OFFSET))


def output_scale(size: int) -> np.float32:
    """Grid cells to crop-normalized coordinates: ``float16(1 / size)`` as stored in the graph."""
    return _F32(np.float16(1.0 / size))


# --- step 1: the person centre ------------------------------------------------------------------

def weight_center_heatmap(center: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The centre heatmap (G, G) or (G, G, 1) times the weight table (G, G), in float32."""
    heat = center[..., 0] if center.ndim == 3 else center
    return heat.astype(_F32, copy=False) * weights


def select_center(weighted: np.ndarray) -> tuple[int, int]:
    """(row, column) of the first maximum of a (G, G) map in row-major order (TF's ArgMax)."""
    flat = int(np.argmax(weighted))
    size = weighted.shape[1]
    cy = flat // size
    return cy, flat - cy * size


def center_candidates(center: np.ndarray, min_score: float = DEFAULT_MIN_CENTER_SCORE) -> list[tuple[int, int]]:
    """Local maxima (3x3 neighbourhood, edges padded) of the raw centre heatmap with a score of
    at least `min_score`, best first; each a (row, column) cell. Of a plateau, every cell counts."""
    heat = center[..., 0] if center.ndim == 3 else center
    padded = np.pad(heat, 1, mode="constant", constant_values=-np.inf)
    h, w = heat.shape
    neighbourhood = np.max(
        np.stack([padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]), axis=0
    )
    peaks = np.argwhere((heat >= neighbourhood) & (heat >= min_score))
    order = np.argsort(-heat[peaks[:, 0], peaks[:, 1]], kind="stable")
    return [(int(peaks[i, 0]), int(peaks[i, 1])) for i in order]


# --- step 2: keypoint regression from the centre -------------------------------------------------

def regress_keypoints(regress: np.ndarray, cy: int, cx: int) -> np.ndarray:
    """(17, 2) float32 grid positions ``(cy + dy_k, cx + dx_k)`` regressed from cell (cy, cx)."""
    offsets = regress[cy, cx].reshape(NUM_KEYPOINTS, 2)
    return np.array([cy, cx], dtype=_F32) + offsets


def image_bounds(heads: Heads) -> tuple[float, float, float, float]:
    """(top, left, bottom, right) of the part of the crop inside the image, in grid positions."""
    rows, cols = heads.grid_size
    crop = heads.crop
    top = max(0.0, -crop.y_min / crop.height * rows)
    bottom = min(float(rows), (1.0 - crop.y_min) / crop.height * rows)
    left = max(0.0, -crop.x_min / crop.width * cols)
    right = min(float(cols), (1.0 - crop.x_min) / crop.width * cols)
    return top, left, bottom, right


def person_extent(regressed: np.ndarray, bounds: tuple[float, float, float, float]) -> float:
    """Area (grid cells²) of the box around a person's regressed keypoints, clipped to `bounds`
    (top, left, bottom, right): how much of the image the person covers."""
    top, left, bottom, right = bounds
    ys = np.clip(regressed[:, 0], top, bottom)
    xs = np.clip(regressed[:, 1], left, right)
    return float(ys.max() - ys.min()) * float(xs.max() - xs.min())


# --- step 3: keypoint heatmaps re-weighted by the distance to the regressed keypoints -------------

def weight_keypoint_heatmaps(heatmaps: np.ndarray, regressed: np.ndarray) -> np.ndarray:
    """(17, G, G), keypoint-major: ``heatmap_k / (sqrt((y - ry_k)² + (x - rx_k)²) + 1.7998046875)``
    in float32 with the graph's order of operations (SquaredDifference, Add, Sqrt, Add, RealDiv);
    `heatmaps` is (G, G, 17) as the network gives it."""
    ys, xs = _grid(heatmaps.shape[0])
    dy = ys[None, :, :] - regressed[:, 0, None, None]  # (17, G, 1)
    dx = xs[None, :, :] - regressed[:, 1, None, None]  # (17, 1, G)
    dy *= dy
    dx *= dx
    dist = dy + dx
    np.sqrt(dist, out=dist)
    dist += KEYPOINT_DISTANCE_OFFSET
    return np.divide(heatmaps.transpose(2, 0, 1), dist, dtype=_F32)


# --- step 4: per-keypoint argmax and the sub-pixel offset ----------------------------------------

def keypoint_cells(weighted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns), each (17,) int, of every keypoint map's first maximum in row-major order;
    `weighted` is (17, G, G)."""
    size = weighted.shape[2]
    flat = np.argmax(weighted.reshape(weighted.shape[0], -1), axis=1)
    ky = flat // size
    return ky, flat - ky * size


def refine_keypoints(offsets: np.ndarray, heatmaps: np.ndarray, ky: np.ndarray, kx: np.ndarray) -> np.ndarray:
    """(17, 3) float32 y, x, score in crop coordinates: ``(cell + offset) * float16(1 / G)`` and
    the unweighted heatmap value at the cell."""
    k = np.arange(NUM_KEYPOINTS)
    off = offsets[ky, kx].reshape(NUM_KEYPOINTS, NUM_KEYPOINTS, 2)[k, k]  # keypoint k's own (dy, dx)
    out = np.empty((NUM_KEYPOINTS, 3), _F32)
    out[:, 0] = ky.astype(_F32) + off[:, 0]
    out[:, 1] = kx.astype(_F32) + off[:, 1]
    out[:, :2] *= output_scale(heatmaps.shape[0])
    out[:, 2] = heatmaps[ky, kx, k]
    return out


# --- the whole decoder ------------------------------------------------------------------------

def check_target(target: object) -> Target:
    """`target` validated: "center", "largest" or a finite (x, y) pair (returned as floats)."""
    if isinstance(target, str):
        if target in ("center", "largest"):
            return target  # type: ignore[return-value]
        raise ValueError(f"target must be 'center', 'largest' or an (x, y) point, got {target!r}")
    try:
        x, y = (float(v) for v in target)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"target must be 'center', 'largest' or an (x, y) point, got {target!r}") from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"target point must be finite, got {target!r}")
    return (x, y)


def target_to_grid(heads: Heads, x: float, y: float) -> tuple[float, float]:
    """An image pixel (x, y) as a (row, column) position on the heads' grid (cell i is at i)."""
    height, width = heads.image_size
    rows, cols = heads.grid_size
    crop = heads.crop
    gy = ((y / height) - crop.y_min) / crop.height * rows
    gx = ((x / width) - crop.x_min) / crop.width * cols
    return gy, gx


def select_person(heads: Heads, target: Target = "center", *,
                  min_center_score: float = DEFAULT_MIN_CENTER_SCORE) -> tuple[tuple[int, int], np.ndarray]:
    """Step 1 with a choice of person: the centre cell and the (G, G) map it is the argmax of.

    "center": the graph's choice, the centre heatmap weighted towards the frame centre.
    (x, y): the same weighting towards that image pixel instead, so the nearest person wins.
    "largest": among the centre-heatmap peaks (3x3 local maxima) scoring at least
    `min_center_score`, the one whose regressed keypoints span the largest box inside the image
    (:func:`person_extent`); the returned map is the raw centre heatmap. With no peak, falls back
    to "center".
    """
    size = heads.grid_size[0]
    if target == "largest":
        candidates = center_candidates(heads.center, min_center_score)
        if candidates:
            bounds = image_bounds(heads)
            extents = [person_extent(regress_keypoints(heads.regress, cy, cx), bounds) for cy, cx in candidates]
            best = candidates[int(np.argmax(extents))]
            return best, heads.center[..., 0]
        target = "center"
    if target == "center":
        weights = center_weight_table(size)
    else:
        x, y = target
        gy, gx = target_to_grid(heads, x, y)
        weights = point_weight_table(size, gy, gx)
    weighted = weight_center_heatmap(heads.center, weights)
    return select_center(weighted), weighted


@dataclass(frozen=True)
class Decoded:
    """Every intermediate of the decoder, for inspection (``movenet explain``)."""

    center_map: np.ndarray  #: (G, G) the map the centre was chosen from
    center_cell: tuple[int, int]  #: (row, column) of the chosen person centre
    regressed: np.ndarray  #: (17, 2) grid positions regressed from the centre
    keypoint_cells: tuple[np.ndarray, np.ndarray]  #: rows, columns (17,) of the keypoint argmaxes
    keypoints: np.ndarray  #: (17, 3) float32 y, x, score in crop coordinates


def decode(heads: Heads, target: Target = "center", *, min_center_score: float = DEFAULT_MIN_CENTER_SCORE) -> Decoded:
    """Run the four steps on `heads`, keeping the intermediates."""
    (cy, cx), center_map = select_person(heads, target, min_center_score=min_center_score)
    regressed = regress_keypoints(heads.regress, cy, cx)
    weighted = weight_keypoint_heatmaps(heads.heatmaps, regressed)
    ky, kx = keypoint_cells(weighted)
    keypoints = refine_keypoints(heads.offsets, heads.heatmaps, ky, kx)
    return Decoded(center_map=center_map, center_cell=(cy, cx), regressed=regressed,
                   keypoint_cells=(ky, kx), keypoints=keypoints)


def decode_single_pose(heads: Heads, target: Target = "center", *,
                       min_center_score: float = DEFAULT_MIN_CENTER_SCORE) -> np.ndarray:
    """(17, 3) float32 y, x, score in crop coordinates, as the graph's output for target "center".

    `target`: "center" (the graph's behaviour), "largest", or an (x, y) point in image pixels
    (see :func:`select_person`).
    """
    return decode(heads, target, min_center_score=min_center_score).keypoints

