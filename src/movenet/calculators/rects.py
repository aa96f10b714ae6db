"""Rotated rectangles and the matrices between a rectangle and the image (model-agnostic).

Ports of TF.js ``shared/calculators/``: ``image_utils.ts`` (getRoi, padRoi,
normalizeRadians, getProjectiveTransformMatrix), ``get_rotated_sub_rect_to_rect_transformation_matrix.ts``,
``calculate_inverse_matrix.ts``, ``detection_to_rect.ts`` (computeRotation),
``calculate_alignment_points_rects.ts`` and ``transform_rect.ts``. All arithmetic is float64
in the reference's order of operations (spec §3, §5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Matrix4x4",
    "Padding",
    "Rect",
    "alignment_points_rect",
    "compute_rotation",
    "get_roi",
    "inverse_matrix",
    "normalize_radians",
    "pad_roi",
    "projective_transform",
    "rotated_subrect_matrix",
    "transform_normalized_rect",
]

#: A row-major 4x4 matrix as nested tuples.
Matrix4x4 = tuple[tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class Rect:
    """A rotated rectangle: centre, size and rotation (radians, clockwise on screen). In
    normalized image units (x by width, y by height) or in pixels, depending on use."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """The reference's field names (``xCenter`` ...), as the oracle prints them."""
        return {"xCenter": self.x_center, "yCenter": self.y_center, "width": self.width,
                "height": self.height, "rotation": self.rotation}


@dataclass(frozen=True)
class Padding:
    """Letterbox padding as fractions of the output tensor size."""

    left: float = 0.0
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0


def normalize_radians(angle: float) -> float:
    """``angle`` mapped into ``[-π, π)``."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def get_roi(image_width: int, image_height: int, rect: Rect | None = None) -> Rect:
    """The normalized ``rect`` in pixels, or the whole image (getRoi)."""
    if rect is None:
        return Rect(0.5 * image_width, 0.5 * image_height, image_width, image_height, 0.0)
    return Rect(rect.x_center * image_width, rect.y_center * image_height, rect.width * image_width,
                rect.height * image_height, rect.rotation)


def pad_roi(roi: Rect, target_width: int, target_height: int, keep_aspect_ratio: bool) -> tuple[Rect, Padding]:
    """padRoi: the ROI grown to the target's aspect ratio and the letterbox padding this
    implies (fractions of the target). Without ``keep_aspect_ratio`` nothing changes."""
    if not keep_aspect_ratio:
        return roi, Padding()
    for name, w, h in (("targetSize", target_width, target_height), ("roi", roi.width, roi.height)):
        if w == 0:
            raise ValueError(f"{name} width cannot be 0.")
        if h == 0:
            raise ValueError(f"{name} height cannot be 0.")
    tensor_ar = target_height / target_width
    roi_ar = roi.height / roi.width
    if tensor_ar > roi_ar:  # pad height
        new_w = roi.width
        new_h = roi.width * tensor_ar
        vertical = (1 - roi_ar / tensor_ar) / 2
        padding = Padding(left=0.0, top=vertical, right=0.0, bottom=vertical)
    else:  # pad width
        new_w = roi.height / tensor_ar
        new_h = roi.height
        horizontal = (1 - tensor_ar / roi_ar) / 2
        padding = Padding(left=horizontal, top=0.0, right=horizontal, bottom=0.0)
    return Rect(roi.x_center, roi.y_center, new_w, new_h, roi.rotation), padding


def rotated_subrect_matrix(roi: Rect, image_width: int, image_height: int, flip_horizontally: bool = False
                           ) -> Matrix4x4:
    """getRotatedSubRectToRectTransformMatrix: maps a point normalized to the output tensor
    to image coordinates normalized by (width, height). ``roi`` is in pixels."""
    a = roi.width
    b = roi.height
    flip = -1 if flip_horizontally else 1
    c = math.cos(roi.rotation)
    d = math.sin(roi.rotation)
    e = roi.x_center
    f = roi.y_center
    g = 1.0 / image_width
    h = 1.0 / image_height
    return (
        (a * c * flip * g, -b * d * g, 0.0, (-0.5 * a * c * flip + 0.5 * b * d + e) * g),
        (a * d * flip * h, b * c * h, 0.0, (-0.5 * b * c - 0.5 * a * d * flip + f) * h),
        (0.0, 0.0, a * g, 0.0),
        (0.0, 0.0, 0.0, 1.0),
    )


def projective_transform(matrix: Matrix4x4, image_width: int, image_height: int, out_width: int,
                         out_height: int) -> tuple[float, ...]:
    """getProjectiveTransformMatrix: the eight ``tf.image.transform`` parameters that sample
    the image (``image_width`` x ``image_height``) through ``matrix`` into an output of
    ``out_width`` x ``out_height``."""
    if out_width == 0:
        raise ValueError("inputResolution width cannot be 0.")
    if out_height == 0:
        raise ValueError("inputResolution height cannot be 0.")
    a0 = (1 / out_width) * matrix[0][0] * image_width
    a1 = (1 / out_height) * matrix[0][1] * image_width
    a2 = matrix[0][3] * image_width
    b0 = (1 / out_width) * matrix[1][0] * image_height
    b1 = (1 / out_height) * matrix[1][1] * image_height
    b2 = matrix[1][3] * image_height
    return (a0, a1, a2, b0, b1, b2, 0.0, 0.0)


def _det3(m: Matrix4x4, i1: int, i2: int, i3: int, j1: int, j2: int, j3: int) -> float:
    return m[i1][j1] * (m[i2][j2] * m[i3][j3] - m[i2][j3] * m[i3][j2])


def _cofactor(m: Matrix4x4, i: int, j: int) -> float:
    i1, i2, i3 = (i + 1) % 4, (i + 2) % 4, (i + 3) % 4
    j1, j2, j3 = (j + 1) % 4, (j + 2) % 4, (j + 3) % 4
    return _det3(m, i1, i2, i3, j1, j2, j3) + _det3(m, i2, i3, i1, j1, j2, j3) + _det3(m, i3, i1, i2, j1, j2, j3)


def inverse_matrix(m: Matrix4x4) -> Matrix4x4:
    """calculateInverseMatrix: the inverse by cofactors, in the reference's order."""
    inv = [[0.0] * 4 for _ in range(4)]
    for i in range(4):
        for j in range(4):
            sign = 1.0 if (i + j) % 2 == 0 else -1.0
            cof = _cofactor(m, j, i)
            inv[i][j] = cof if sign > 0 else -cof
    scale = m[0][0] * inv[0][0] + m[1][0] * inv[0][1] + m[2][0] * inv[0][2] + m[3][0] * inv[0][3]
    return tuple((row[0] / scale, row[1] / scale, row[2] / scale, row[3] / scale) for row in inv)


def compute_rotation(start: tuple[float, float], end: tuple[float, float], image_width: int, image_height: int,
                     target_angle_degree: float = 90.0) -> float:
    """computeRotation: the angle that turns the start->end vector (normalized points) to the
    target angle, normalized to ``[-π, π)``."""
    target = math.pi * target_angle_degree / 180
    x0 = start[0] * image_width
    y0 = start[1] * image_height
    x1 = end[0] * image_width
    y1 = end[1] * image_height
    return normalize_radians(target - math.atan2(-(y1 - y0), x1 - x0))


def alignment_points_rect(start: tuple[float, float], end: tuple[float, float], image_width: int,
                          image_height: int, target_angle_degree: float = 90.0) -> Rect:
    """calculateAlignmentPointsRects: a square (in pixels) centred on ``start`` whose side is
    twice the start-to-end distance, rotated so that start->end points at the target angle.
    Points and result are normalized."""
    x_center = start[0] * image_width
    y_center = start[1] * image_height
    x_scale = end[0] * image_width
    y_scale = end[1] * image_height
    box_size = math.sqrt((x_scale - x_center) * (x_scale - x_center)
                         + (y_scale - y_center) * (y_scale - y_center)) * 2
    rotation = compute_rotation(start, end, image_width, image_height, target_angle_degree)
    return Rect(x_center / image_width, y_center / image_height, box_size / image_width,
                box_size / image_height, rotation)


def transform_normalized_rect(rect: Rect, image_width: int, image_height: int, *, scale_x: float = 1.0,
                              scale_y: float = 1.0, shift_x: float = 0.0, shift_y: float = 0.0,
                              square_long: bool = False, square_short: bool = False) -> Rect:
    """transformNormalizedRect (without the optional extra rotation): shift, square and scale
    a normalized rect."""
    width = rect.width
    height = rect.height
    rotation = rect.rotation
    if rotation == 0:
        x_center = rect.x_center + width * shift_x
        y_center = rect.y_center + height * shift_y
    else:
        x_shift = (image_width * width * shift_x * math.cos(rotation)
                   - image_height * height * shift_y * math.sin(rotation)) / image_width
        y_shift = (image_width * width * shift_x * math.sin(rotation)
                   + image_height * height * shift_y * math.cos(rotation)) / image_height
        x_center = rect.x_center + x_shift
        y_center = rect.y_center + y_shift
    if square_long:
        long_side = max(width * image_width, height * image_height)
        width = long_side / image_width
        height = long_side / image_height
    elif square_short:
        short_side = min(width * image_width, height * image_height)
        width = short_side / image_width
        height = short_side / image_height
    return Rect(x_center, y_center, width * scale_x, height * scale_y, rotation)
