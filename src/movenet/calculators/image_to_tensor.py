"""An image, or a rotated rectangle of it, as a model input tensor (TF.js
``shared/calculators/convert_image_to_tensor.ts`` and ``shift_image_value.ts``; spec §3).

The rectangle is grown to the output's aspect ratio (letterbox), sampled with
``tf.image.transform`` (bilinear; border ``"zero"`` = fill 0, ``"replicate"`` = clamp), and
optionally mapped from 0..255 to a float range with two float32 tensor operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movenet.calculators.rects import (
    Matrix4x4,
    Padding,
    Rect,
    get_roi,
    pad_roi,
    projective_transform,
    rotated_subrect_matrix,
)
from movenet.ops.transform import image_transform

__all__ = ["BORDER_MODES", "ImageTensor", "convert_image_to_tensor", "shift_image_value"]

BORDER_MODES = {"zero": "constant", "replicate": "nearest"}


@dataclass(frozen=True)
class ImageTensor:
    """The model input ``[1, H, W, C]`` float32, the letterbox padding and the matrix from
    the output tensor to the image (both normalized), used to map results back."""

    tensor: np.ndarray
    padding: Padding
    matrix: Matrix4x4


def shift_image_value(image: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """``image * scale + offset`` in float32 for the range ``[lo, hi]``
    (``transformValueRange(0, 255, lo, hi)``: ``scale = (hi - lo) / 255``, ``offset = lo - 0·scale``)."""
    lo, hi = value_range
    scale = (hi - lo) / (255 - 0)
    offset = lo - 0 * scale
    out = np.multiply(image, np.float32(scale), dtype=np.float32)
    out += np.float32(offset)
    return out


def convert_image_to_tensor(
    image: np.ndarray,
    output_size: tuple[int, int],
    *,
    keep_aspect_ratio: bool,
    border_mode: str,
    value_range: tuple[float, float] | None = None,
    rect: Rect | None = None,
    kernel: str = "wasm",
    threads: int | None = 1,
) -> ImageTensor:
    """The ``rect`` (normalized, rotated; default the whole image) of ``image`` (``H x W x C``,
    any dtype, read as float32) resampled to ``output_size`` = ``(width, height)``.

    ``border_mode``: ``"zero"`` or ``"replicate"``. ``value_range``: ``(lo, hi)`` to map
    0..255 to, or None to keep raw values. ``kernel``: which TF.js Transform kernel to match.
    ``threads``: for the warp (see :func:`~movenet.ops.transform.image_transform`; same values).
    """
    if border_mode not in BORDER_MODES:
        raise ValueError(f"border_mode must be 'zero' or 'replicate', got {border_mode!r}")
    height, width = image.shape[:2]
    out_w, out_h = output_size
    roi = get_roi(width, height, rect)
    roi, padding = pad_roi(roi, out_w, out_h, keep_aspect_ratio)
    matrix = rotated_subrect_matrix(roi, width, height, False)
    params = projective_transform(matrix, width, height, out_w, out_h)
    warped = image_transform(image, params, (out_h, out_w), interpolation="bilinear",
                             fill_mode=BORDER_MODES[border_mode], fill_value=0.0, kernel=kernel, threads=threads)
    if value_range is not None:
        warped = shift_image_value(warped, value_range)
    return ImageTensor(warped[None], padding, matrix)
