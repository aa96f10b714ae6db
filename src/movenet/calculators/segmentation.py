"""Segmentation masks: warp from a model crop back to the image, and temporal smoothing
(model-agnostic; spec §9). Ports of TF.js ``blazepose_tfjs/detector.ts`` (the inverse
projection of the mask, with ``shared/calculators/calculate_inverse_matrix.ts``) and
``shared/calculators/segmentation_smoothing.ts`` (the non-WebGL path), float32 as the
reference's tensor operations."""

from __future__ import annotations

import numpy as np

from movenet.calculators.rects import Matrix4x4, inverse_matrix, projective_transform
from movenet.ops.transform import image_transform

__all__ = ["mask_to_image", "smooth_segmentation"]

_F32 = np.float32
# Polynomial approximation of the squared binary-entropy uncertainty, in (p - 0.5)^2.
_C1, _C2, _C3, _C4, _C5 = (_F32(c) for c in (5.68842, -0.748699, -57.8051, 291.309, -624.717))


def mask_to_image(mask: np.ndarray, crop_matrix: Matrix4x4, image_width: int, image_height: int,
                  kernel: str = "wasm", threads: int | None = 1) -> np.ndarray:
    """The crop's mask (``h x w``, or ``1 x h x w x 1``) sampled back onto the image
    (``image_height x image_width`` float32) through the inverse of the crop's matrix,
    bilinear, 0 outside the crop. ``threads``: for the warp (same values)."""
    m = np.asarray(mask, dtype=_F32)
    m = m.reshape(m.shape[-3], m.shape[-2]) if m.ndim == 4 else m
    mask_h, mask_w = m.shape
    params = projective_transform(inverse_matrix(crop_matrix), mask_w, mask_h, image_width, image_height)
    out = image_transform(m[:, :, None], params, (image_height, image_width), interpolation="bilinear",
                          fill_mode="constant", fill_value=0.0, kernel=kernel, threads=threads)
    return out[:, :, 0]


def smooth_segmentation(previous: np.ndarray, current: np.ndarray, combine_with_previous_ratio: float) -> np.ndarray:
    """smoothSegmentation: pixels the current mask is unsure about (near 0.5) lean toward the
    previous mask, confident ones keep the current value. Same-shaped float32 masks."""
    if previous.shape != current.shape:
        raise ValueError(f"previous mask shape {previous.shape} differs from the current {current.shape}")
    p = np.asarray(current, dtype=_F32)
    q = np.asarray(previous, dtype=_F32)
    t = p - _F32(0.5)
    x = t * t
    poly = x * (_C1 + x * (_C2 + x * (_C3 + x * (_C4 + x * _C5))))
    uncertainty = _F32(1) - np.minimum(_F32(1), poly)
    return p + (q - p) * (uncertainty * _F32(combine_with_previous_ratio))
