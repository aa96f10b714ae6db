"""Person masks as image files: ``movenet detect/track --segmentation DIR``.

A mask (``Pose.segmentation``: H x W float32 person probability, BlazePose) is written as an
8-bit grey PNG, ``round(255 * probability)``; a frame without a person gets an all-zero mask,
so a folder of masks has one file per input frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from movenet.types import Pose

__all__ = ["mask_image", "pose_mask", "save_mask"]


def pose_mask(poses: list[Pose], height: int, width: int) -> np.ndarray:
    """The person probability of a frame (H x W float32): the first pose's mask, zeros without one."""
    for pose in poses:
        if pose.segmentation is not None:
            return np.asarray(pose.segmentation, dtype=np.float32)
    return np.zeros((height, width), np.float32)


def mask_image(mask: np.ndarray) -> np.ndarray:
    """``round(255 * probability)`` as uint8 (probabilities clipped to 0..1, NaN as 0)."""
    m = np.nan_to_num(np.asarray(mask, dtype=np.float32), nan=0.0)
    return np.rint(np.clip(m, 0.0, 1.0) * 255.0).astype(np.uint8)


def save_mask(path: str | os.PathLike[str], mask: np.ndarray) -> Path:
    """Write `mask` as an 8-bit grey PNG at `path` (its folder is created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask_image(mask), mode="L").save(out, format="PNG")
    return out
