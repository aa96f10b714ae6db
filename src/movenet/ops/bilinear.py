"""The bilinear interpolation step shared by the TF.js wasm kernels (``CropAndResize`` and
``ResizeBilinear``, ``tfjs-backend-wasm/src/cc/interpolate_bilinear_impl.cc``): every operation
rounded to float32, in the kernels' order."""

from __future__ import annotations

import numpy as np

__all__ = ["lerp_corners"]


def lerp_corners(top_left: np.ndarray, top_right: np.ndarray, bottom_left: np.ndarray, bottom_right: np.ndarray,
                 x_lerp: np.ndarray, y_lerp: np.ndarray) -> np.ndarray:
    """``top = tl + (tr - tl) * x_lerp; bottom = bl + (br - bl) * x_lerp;
    out = top + (bottom - top) * y_lerp``, in float32, in place: the four corner arrays are
    overwritten (no temporaries) and the result is `top_left`."""
    top_right -= top_left
    top_right *= x_lerp
    top_left += top_right  # top
    bottom_right -= bottom_left
    bottom_right *= x_lerp
    bottom_left += bottom_right  # bottom
    bottom_left -= top_left
    bottom_left *= y_lerp
    top_left += bottom_left
    return top_left
