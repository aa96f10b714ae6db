"""Deterministic image transforms used to build (and recreate) the oracle fixture inputs.

Every transform takes an ``HxWx3`` ``uint8`` RGB array and returns a new C-contiguous
``HxWx3`` ``uint8`` array. They use only integer numpy arithmetic, so the result is
bit-exact on every platform: ``hashlib.sha256(TRANSFORMS[name](load_rgb(path)).tobytes())``
equals the ``rgb_sha256`` recorded in ``tests/fixtures/oracle/*_images.json``.

Do not change a transform without regenerating the fixtures
(``python scripts/make_oracle_fixtures.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = [
    "TRANSFORMS",
    "case_image",
    "crop",
    "dark",
    "double",
    "flip",
    "grey",
    "half",
    "load_rgb",
    "pad16x9",
    "rgb_sha256",
    "rot90",
]


def load_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file with Pillow to an ``HxWx3`` uint8 RGB array.

    ``Image.open(path).convert("RGB")``: no EXIF orientation handling, alpha dropped
    (not composited), palette images expanded. JPEGs are decoded by Pillow here (the
    oracle's jpeg-js decoder gives different pixels), which is why the oracle is always
    fed PNGs written from these arrays.
    """
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(arr)


def rgb_sha256(arr: np.ndarray) -> str:
    """sha256 of the C-order bytes of an HxWx3 uint8 array (the oracle's ``rgb_sha256``)."""
    a = np.ascontiguousarray(arr, dtype=np.uint8)
    return hashlib.sha256(a.tobytes()).hexdigest()


def _check(a: np.ndarray) -> np.ndarray:
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"expected HxWx3 uint8, got shape {a.shape} dtype {a.dtype}")
    return a


def flip(a: np.ndarray) -> np.ndarray:
    """Horizontal mirror (left <-> right)."""
    return np.ascontiguousarray(_check(a)[:, ::-1])


def rot90(a: np.ndarray) -> np.ndarray:
    """Rotate 90 degrees clockwise: output is ``W x H``; output[r, c] = a[H-1-c, r]."""
    return np.ascontiguousarray(np.rot90(_check(a), k=-1))


def half(a: np.ndarray) -> np.ndarray:
    """Downscale 2x by 2x2 block mean, rounded half up: ``(p00+p01+p10+p11+2)//4``.

    An odd last row / column is cropped first. Output is ``H//2 x W//2``.
    """
    a = _check(a)
    h, w = (a.shape[0] // 2) * 2, (a.shape[1] // 2) * 2
    b = a[:h, :w].astype(np.uint16)
    s = b[0::2, 0::2] + b[0::2, 1::2] + b[1::2, 0::2] + b[1::2, 1::2]
    return np.ascontiguousarray(((s + 2) // 4).astype(np.uint8))


def double(a: np.ndarray) -> np.ndarray:
    """Upscale 2x by nearest neighbour (``np.repeat`` on both axes). Output ``2H x 2W``."""
    a = _check(a)
    return np.ascontiguousarray(np.repeat(np.repeat(a, 2, axis=0), 2, axis=1))


def pad16x9(a: np.ndarray) -> np.ndarray:
    """Zero-pad (black) to a 16:9 landscape canvas with the image centred.

    If the image is narrower than 16:9 (``9*W < 16*H``) the canvas is
    ``H x ceil(16*H/9)``; otherwise (already 16:9 or wider) it is the 9:16 portrait
    canvas ``ceil(16*W/9) x W``. The image's top-left corner sits at
    ``((H'-H)//2, (W'-W)//2)``.
    """
    a = _check(a)
    h, w = a.shape[:2]
    if 9 * w < 16 * h:
        nh, nw = h, -(-16 * h // 9)
    else:
        nh, nw = -(-16 * w // 9), w
    out = np.zeros((nh, nw, 3), dtype=np.uint8)
    top, left = (nh - h) // 2, (nw - w) // 2
    out[top : top + h, left : left + w] = a
    return out


def crop(a: np.ndarray) -> np.ndarray:
    """Central 70% region: size ``(H*7//10) x (W*7//10)`` at ``((H-h)//2, (W-w)//2)``."""
    a = _check(a)
    h, w = a.shape[:2]
    ch, cw = h * 7 // 10, w * 7 // 10
    top, left = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(a[top : top + ch, left : left + cw])


def dark(a: np.ndarray) -> np.ndarray:
    """Darken: ``x * 2 // 5`` per channel (integer)."""
    a = _check(a)
    return np.ascontiguousarray((a.astype(np.uint16) * 2 // 5).astype(np.uint8))


def grey(a: np.ndarray) -> np.ndarray:
    """Integer luma ``(299*R + 587*G + 114*B) // 1000`` replicated to 3 channels."""
    a = _check(a).astype(np.int32)
    y = (299 * a[..., 0] + 587 * a[..., 1] + 114 * a[..., 2]) // 1000
    return np.ascontiguousarray(np.repeat(y.astype(np.uint8)[..., None], 3, axis=2))


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "flip": flip,
    "rot90": rot90,
    "half": half,
    "double": double,
    "pad16x9": pad16x9,
    "crop": crop,
    "dark": dark,
    "grey": grey,
}


def case_image(case: str, data: Path) -> np.ndarray:
    """The input of a fixture case ``"kind/REL[#transform]"``: the image at ``data / REL``, with the
    named transform applied."""
    _, _, rest = case.partition("/")
    rel, _, transform = rest.partition("#")
    image = load_rgb(data / rel)
    return TRANSFORMS[transform](image) if transform else image
