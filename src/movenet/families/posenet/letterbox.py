"""PoseNet preprocessing: letterbox the whole image into the network input, scale to [-1, 1].

Follows ``pose-detection/src/posenet/detector.ts`` (``convertImageToTensor`` with
``keepAspectRatio: true, borderMode: 'replicate'``, then ``shiftImageValue(.., [-1, 1])``;
spec sections 3 and 13): the geometry of the shared calculators (movenet.calculators.rects),
sampled as the TF.js wasm ``Transform`` kernel does (movenet.ops.transform): bilinear, no
half-pixel term, fill mode ``nearest`` (the border replicates the edge pixels).

The whole-image letterbox has no rotation, so its warp is axis-aligned: the input column
depends on the output column only, the row on the row. :func:`letterbox` uses that to gather
whole rows, then columns, instead of the general kernel's per-pixel reads (640x480 to 257x257:
3-6 ms against 21 ms on the dev VM), with the kernel's float32 operations in the kernel's order, so the result is
bit-identical to ``convert_image_to_tensor`` (tests/test_posenet_decode.py checks it). Any
other warp falls back to the general kernel.
"""

from __future__ import annotations

import numpy as np

from movenet.calculators.image_to_tensor import convert_image_to_tensor, shift_image_value
from movenet.calculators.rects import Padding, get_roi, pad_roi, projective_transform, rotated_subrect_matrix

__all__ = ["Padding", "letterbox", "letterbox_reference"]

#: MobileNetV1 input range (ResNet50, not shipped, would subtract the ImageNet mean instead).
VALUE_RANGE = (-1.0, 1.0)

_F32 = np.float32


def letterbox_reference(image: np.ndarray, resolution: tuple[int, int]) -> tuple[np.ndarray, Padding]:
    """:func:`letterbox` through the general ``convertImageToTensor`` port (slower, same result)."""
    converted = convert_image_to_tensor(image, resolution, keep_aspect_ratio=True, border_mode="replicate",
                                        value_range=VALUE_RANGE)
    return converted.tensor, converted.padding


def _axis_samples(scale: np.float32, shift: np.float32, count: int, size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For output indices 0..count-1 along one axis: the two source indices (clipped into the
    image) and their float32 bilinear weights, as the wasm kernel computes them for
    ``in = scale * i + shift`` with the coordinate clamped to ``[0, size - 1]``."""
    idx = np.arange(count, dtype=_F32)
    coord = scale * idx + shift
    coord = np.maximum(_F32(0), np.minimum(coord, _F32(size - 1)))
    lo = np.floor(coord)
    hi = lo + _F32(1)
    w_lo = hi - coord  # weight of the lower index
    w_hi = coord - lo
    # hi == size only where the coordinate is clamped to size - 1, so w_hi == 0 there: reading
    # the edge pixel instead of the kernel's fill value 0 adds the same +0.
    lo_i = lo.astype(np.intp)
    hi_i = np.minimum(lo_i + 1, size - 1)
    return lo_i, hi_i, w_lo, w_hi


def letterbox(image: np.ndarray, resolution: tuple[int, int]) -> tuple[np.ndarray, Padding]:
    """The network input for `image` (HxWx3 uint8 RGB) at `resolution` (width, height):
    float32 [1, h, w, 3] in [-1, 1], and the letterbox padding (fractions of the input)."""
    height, width = image.shape[:2]
    out_w, out_h = resolution
    roi, padding = pad_roi(get_roi(width, height), out_w, out_h, keep_aspect_ratio=True)
    matrix = rotated_subrect_matrix(roi, width, height, False)
    a0, a1, a2, b0, b1, b2, c0, c1 = (_F32(v) for v in projective_transform(matrix, width, height, out_w, out_h))
    if a1 != 0 or b0 != 0 or c0 != 0 or c1 != 0 or image.dtype != np.uint8 or image.ndim != 3:
        return letterbox_reference(image, resolution)
    # The kernel computes in_x = ((a0*x + a1*y) + a2) / ((c0*x + c1*y) + 1); with a1 = c0 = c1 = 0
    # the terms dropped here add or divide by exact zeros and ones (all values non-negative).
    x_lo, x_hi, wx_lo, wx_hi = _axis_samples(a0, a2, out_w, width)
    y_lo, y_hi, wy_lo, wy_hi = _axis_samples(b1, b2, out_h, height)
    # Gather whole rows first, then the columns' bytes (one index per byte: x * 3 + channel).
    rows = np.ascontiguousarray(image).reshape(height, width * 3)
    channel = np.arange(3)
    cols_lo = (x_lo[:, None] * 3 + channel).reshape(-1)
    cols_hi = (x_hi[:, None] * 3 + channel).reshape(-1)
    wx_lo3 = np.repeat(wx_lo, 3)
    wx_hi3 = np.repeat(wx_hi, 3)
    rows_lo = rows[y_lo]
    rows_hi = rows[y_hi]
    # float32 products of float32 weights and (exactly converted) uint8 pixels, summed in the
    # kernel's order: top row, bottom row, then the vertical blend.
    top = np.multiply(wx_lo3, rows_lo[:, cols_lo], dtype=_F32)
    top += np.multiply(wx_hi3, rows_lo[:, cols_hi], dtype=_F32)
    bottom = np.multiply(wx_lo3, rows_hi[:, cols_lo], dtype=_F32)
    bottom += np.multiply(wx_hi3, rows_hi[:, cols_hi], dtype=_F32)
    top *= wy_lo[:, None]
    bottom *= wy_hi[:, None]
    top += bottom
    warped = top.reshape(out_h, out_w, 3)
    return shift_image_value(warped, VALUE_RANGE)[None], padding
