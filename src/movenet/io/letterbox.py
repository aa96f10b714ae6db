"""Fitting a frame into another size without distorting it (scaled, then centred on black bars):
``movenet track --draw`` writes one video size while a folder of frames may change size."""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["letterbox"]


def letterbox(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """`rgb` (HxWx3 uint8) scaled to fit ``width x height`` keeping its aspect ratio, centred on
    black; returned as is when it already has that size."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = np.asarray(Image.fromarray(rgb).resize((new_w, new_h), Image.Resampling.BILINEAR))
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top:top + new_h, left:left + new_w] = resized
    return out
