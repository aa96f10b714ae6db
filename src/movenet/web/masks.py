"""The person mask in a JSON reply: compact enough for a video stream.

A BlazePose mask is an H x W float32 probability map in the image's size (1.2 MB at 640x480).
The server sends it as ``{"width", "height", "png_base64"}``: the mask scaled down (bilinear) so
that its longer side is at most :data:`MASK_MAX_SIDE` px (never up), quantised to 8 bits
(``round(p * 255)``, so a pixel value v means probability v / 255), PNG-encoded (8-bit grey)
and base64'd: a few KB a frame. A client scales it back up to the image's size (``width`` and
``height`` here are the mask's own; the frame's are in the frame record).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image

from movenet.io.masks import mask_image

__all__ = ["MASK_MAX_SIDE", "compact_mask", "decode_compact_mask", "with_masks"]

#: Longest side of a mask in a reply, in pixels.
MASK_MAX_SIDE = 256


def compact_mask(mask: np.ndarray, max_side: int = MASK_MAX_SIDE) -> dict[str, Any]:
    """`mask` (H x W probabilities in [0, 1]) as ``{"width", "height", "png_base64"}`` (see the module)."""
    probabilities = np.clip(np.nan_to_num(np.asarray(mask, dtype=np.float32), nan=0.0), 0.0, 1.0)
    height, width = probabilities.shape
    scale = min(1.0, max_side / max(width, height))
    image = Image.fromarray(probabilities)  # float32: mode "F"
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    grey = mask_image(np.asarray(image))
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG")  # uint8: 8-bit grey
    return {"width": grey.shape[1], "height": grey.shape[0],
            "png_base64": base64.b64encode(buffer.getvalue()).decode("ascii")}


def decode_compact_mask(compact: dict[str, Any]) -> np.ndarray:
    """The float32 probabilities (mask size) of a :func:`compact_mask` (for clients and tests)."""
    with Image.open(io.BytesIO(base64.b64decode(compact["png_base64"]))) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def with_masks(record: dict[str, Any], masks: list[np.ndarray | None]) -> dict[str, Any]:
    """`record` (one frame of ``movenet detect --json``) with each pose's compact mask added as
    ``"segmentation"`` (one entry of `masks` per pose, in order; None adds nothing)."""
    for pose, mask in zip(record["poses"], masks, strict=True):
        if mask is not None:
            pose["segmentation"] = compact_mask(mask)
    return record
