"""Draw poses onto an image, in the style of the TF.js pose-detection demo.

Without a track id, keypoints are filled by body side as in the demo (``middle`` red, ``left``
green, ``right`` orange, each with a white outline) and the skeleton is white. With ``pose.id``
set, the whole pose (skeleton, keypoints, box) takes the demo's palette colour for that id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from movenet.io.images import load_image
from movenet.types import Pose

__all__ = ["COLOR_PALETTE", "MASK_COLOR", "SIDE_COLORS", "default_sizes", "draw_poses", "draw_segmentation",
           "pose_color"]

RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)

#: Keypoint fill colours by body side (the demo's Red / Green / Orange).
SIDE_COLORS: dict[str, RGB] = {
    "middle": (255, 0, 0),
    "left": (0, 128, 0),
    "right": (255, 165, 0),
}

#: The demo's 20 track-id colours; pose ``id`` picks ``COLOR_PALETTE[id % 20]``.
COLOR_PALETTE: tuple[RGB, ...] = tuple(
    (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    for h in (
        "ffffff", "800000", "469990", "e6194b", "42d4f4", "fabed4", "aaffc3", "9a6324", "000075", "f58231",
        "4363d8", "ffd8b1", "dcbeff", "808000", "ffe119", "911eb4", "bfef45", "f032e6", "3cb44b", "a9a9a9",
    )
)  # fmt: skip

# Colour indices used in the label image: 0 untouched, then white, the sides, the palette.
_WHITE_INDEX = 1
_SIDE_INDEX: dict[str, int] = {"middle": 2, "left": 3, "right": 4}
_PALETTE_BASE = 5
_LUT = np.zeros((256, 3), np.uint8)
_LUT[_WHITE_INDEX] = WHITE
for _side, _i in _SIDE_INDEX.items():
    _LUT[_i] = SIDE_COLORS[_side]
_LUT[_PALETTE_BASE : _PALETTE_BASE + len(COLOR_PALETTE)] = COLOR_PALETTE
_PIXEL = np.dtype("V3")
_LUT_PIXELS = _LUT.view(_PIXEL)[:, 0]

# Coordinates further than this outside the image are clamped (Pillow needs C-int-sized values).
_COORD_LIMIT = 1e7


def pose_color(pose_id: int) -> RGB:
    """The palette colour used for a tracked pose."""
    return COLOR_PALETTE[pose_id % len(COLOR_PALETTE)]


def default_sizes(height: int, width: int) -> tuple[int, int]:
    """Default ``(radius, line_width)`` for an image of this size."""
    radius = max(2, round(min(height, width) / 150))
    return radius, max(1, round(radius / 2))


def draw_poses(
    image_rgb: np.ndarray,
    poses: Sequence[Pose],
    *,
    min_score: float = 0.3,
    radius: int | None = None,
    line_width: int | None = None,
) -> np.ndarray:
    """Return a copy of `image_rgb` (``HxWx3`` ``uint8`` RGB; grey or RGBA arrays are accepted too)
    with each pose's skeleton, keypoints and box drawn. Keypoints with ``score < min_score`` are
    hidden, and so are edges touching them. `radius` (keypoint circles) and `line_width` default to
    sizes that scale with the image (:func:`default_sizes`). The input array is not modified."""
    rgb = load_image(image_rgb)
    height, width = rgb.shape[:2]
    default_radius, default_width = default_sizes(height, width)
    r = default_radius if radius is None else int(radius)
    lw = default_width if line_width is None else int(line_width)
    if r < 0 or lw < 0:
        raise ValueError(f"radius and line_width must be >= 0, got radius={radius}, line_width={line_width}")

    out: np.ndarray = rgb.copy()
    if not poses or (r == 0 and lw == 0):
        return out
    # Shapes are drawn as colour indices into a one-byte label image (0 = untouched), then painted
    # onto the copy in one numpy step: several times faster than a round trip through a PIL RGB image.
    labels = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(labels)
    for pose in poses:
        _draw_pose(draw, pose, min_score, r, lw)
    bbox = labels.getbbox()
    if bbox is None:
        return out
    x0, y0, x1, y1 = bbox
    index = np.asarray(labels.crop(bbox))
    mask = index != 0
    # View each RGB pixel as one 3-byte item: one fancy assignment per pixel instead of per byte.
    target = out[y0:y1, x0:x1].view(_PIXEL)[:, :, 0]
    target[mask] = _LUT_PIXELS[index[mask]]
    return out


def _clamp(value: float) -> float:
    return min(max(value, -_COORD_LIMIT), _COORD_LIMIT)


def _draw_pose(draw: ImageDraw.ImageDraw, pose: Pose, min_score: float, r: int, lw: int) -> None:
    pose_index = _PALETTE_BASE + pose.id % len(COLOR_PALETTE) if pose.id is not None else None
    line_index = pose_index or _WHITE_INDEX

    box = pose.box
    if box is not None and lw > 0:
        coords = (box.x_min, box.y_min, box.x_max, box.y_max)
        if all(math.isfinite(c) for c in coords):
            x0, y0, x1, y1 = (_clamp(c) for c in coords)
            draw.rectangle((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), outline=line_index, width=lw)

    points: dict[int, tuple[float, float]] = {}
    for i, kp in enumerate(pose.keypoints):
        if kp.score >= min_score and math.isfinite(kp.x) and math.isfinite(kp.y):
            points[i] = (_clamp(kp.x), _clamp(kp.y))

    if lw > 0:
        for a, b in pose.skeleton.edges:
            pa = points.get(a)
            pb = points.get(b)
            if pa is not None and pb is not None:
                draw.line((pa, pb), fill=line_index, width=lw)

    if r > 0:
        outline_width = max(1, lw // 2)
        for i, (x, y) in points.items():
            fill = pose_index or _SIDE_INDEX[pose.skeleton.side_of(i)]
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=_WHITE_INDEX, width=outline_width)


#: The tint of a person mask drawn under the skeleton (the TF.js demo's segmentation colour is
#: not fixed; a light blue keeps the keypoint colours readable).
MASK_COLOR: RGB = (0, 120, 255)


def draw_segmentation(image_rgb: np.ndarray, mask: np.ndarray, *, color: RGB = MASK_COLOR,
                      opacity: float = 0.5) -> np.ndarray:
    """A copy of `image_rgb` tinted with `color` where the person mask is (``HxW`` probabilities,
    the image's size, e.g. ``Pose.segmentation``): each pixel moves towards `color` by
    ``opacity * probability``."""
    rgb = load_image(image_rgb)
    m = np.nan_to_num(np.asarray(mask, dtype=np.float32), nan=0.0)
    if m.shape != rgb.shape[:2]:
        raise ValueError(f"mask of shape {m.shape} for an image of {rgb.shape[1]}x{rgb.shape[0]}")
    weight = (np.clip(m, 0.0, 1.0) * float(opacity))[..., None]
    blended = rgb.astype(np.float32) * (1.0 - weight) + np.asarray(color, np.float32) * weight
    return np.rint(blended).astype(np.uint8)
