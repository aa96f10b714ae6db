"""Heatmap pictures for `movenet explain`: a colour map over a dimmed crop, and a font (Pillow only)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFont

__all__ = ["COLOR_MAP", "colorize", "font"]

# An "inferno"-like colour map: black, purple, red, orange, pale yellow.
_ANCHORS = np.array([(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)], np.float64)
COLOR_MAP = np.stack(
    [np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_ANCHORS)), _ANCHORS[:, c]) for c in range(3)], axis=1
).astype(np.uint8)


def font(size: int) -> Any:  # noqa: ANN401 - FreeTypeFont or the bitmap fallback
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed-size bitmap font
        return ImageFont.load_default()


def _upsample(heat: np.ndarray, side: int) -> np.ndarray:
    """Bilinear (G, G) -> (side, side) with the decoder's convention: grid cell i is at crop
    position i / G (output pixel p samples grid position (p + 0.5) * G / side)."""
    grid = heat.shape[0]
    pos = np.clip((np.arange(side) + 0.5) * grid / side, 0, grid - 1)
    i0 = np.minimum(np.floor(pos).astype(int), grid - 2)
    w = pos - i0
    rows = heat[i0] * (1 - w)[:, None] + heat[i0 + 1] * w[:, None]
    return rows[:, i0] * (1 - w)[None, :] + rows[:, i0 + 1] * w[None, :]


def colorize(heat: np.ndarray, background: np.ndarray, side: int) -> Image.Image:
    """`heat` (G, G) in [0, 1] as colour over a dimmed grey `background` (side x side x 3 uint8)."""
    h = np.clip(_upsample(heat.astype(np.float64), side), 0.0, 1.0)
    colour = COLOR_MAP[np.clip(h * 255.0 + 0.5, 0, 255).astype(np.uint8)].astype(np.float64)
    alpha = np.sqrt(h)[..., None] * 0.9  # sqrt: faint evidence stays visible
    grey = background.astype(np.float64).mean(axis=2, keepdims=True) * 0.55
    out = grey * (1 - alpha) + colour * alpha
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


