"""``tf.image.transform`` as the TF.js kernels compute it (projective warp, batch of one).

Follows ``tfjs-backend-wasm/src/cc/kernels/Transform.cc`` (``kernel="wasm"``, the default:
every operation in float32) and ``tfjs-backend-cpu/src/kernels/Transform.ts``
(``kernel="cpu"``: float64 arithmetic on the float32 parameters, result rounded to float32),
both ports of TensorFlow's ``image_ops.h``.

For output pixel (column ``x``, row ``y``) the kernel samples the input at

    proj = c0·x + c1·y + 1
    in_x = (a0·x + a1·y + a2) / proj,   in_y = (b0·x + b1·y + b2) / proj

with the eight parameters ``[a0, a1, a2, b0, b1, b2, c0, c1]`` rounded to float32 (TF.js
holds them in a float32 tensor). There is no half-pixel term: output index ``x`` maps to
``a0·x + a2``. Fill modes (``fill_mode``): ``"constant"`` uses the coordinate as is, so a
read outside the image returns ``fill_value`` and bilinear samples within one pixel of the
border blend with it; ``"nearest"`` clamps the coordinate to ``[0, len - 1]`` first (the
"replicate" border of MediaPipe). ``"reflect"`` and ``"wrap"`` are not ported (no pose
pipeline uses them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["FILL_MODES", "INTERPOLATIONS", "KERNELS", "image_transform"]

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("constant", "nearest")
KERNELS = ("wasm", "cpu")

_F32 = np.float32


def image_transform(
    image: np.ndarray,
    transform: Sequence[float] | np.ndarray,
    output_size: tuple[int, int] | None = None,
    *,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    kernel: str = "wasm",
) -> np.ndarray:
    """Warp ``image`` (``H x W x C`` or ``1 x H x W x C``; any real dtype, read as float32, as
    TF.js casts the image first) with the eight projective parameters ``transform``.

    ``output_size`` is ``(height, width)`` (default: the input's). Returns a float32 array of
    shape ``out_h x out_w x C`` (or ``1 x out_h x out_w x C`` for a 4-D input), equal to
    ``tf.image.transform(image, [transform], interpolation, fill_mode, fill_value,
    output_size)`` on the named TF.js backend ``kernel``.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    batched = image.ndim == 4
    if batched:
        if image.shape[0] != 1:
            raise ValueError(f"only a batch of one image is supported, got shape {image.shape}")
        image = image[0]
    if image.ndim != 3:
        raise ValueError(f"image must be H x W x C or 1 x H x W x C, got shape {image.shape}")
    params = np.asarray(transform, dtype=np.float64).reshape(-1)
    if params.size != 8:
        raise ValueError(f"transform must have 8 values, got {params.size}")
    height, width, _ = image.shape
    out_h, out_w = (height, width) if output_size is None else (int(output_size[0]), int(output_size[1]))
    if out_h < 1 or out_w < 1:
        raise ValueError(f"output size must be positive, got {(out_h, out_w)}")
    src = np.ascontiguousarray(image, dtype=_F32)
    t32 = params.astype(_F32)  # the float32 transform tensor
    if kernel == "wasm":
        out = _warp_f32(src, t32, out_h, out_w, interpolation, fill_mode, _F32(fill_value))
    else:
        out = _warp_f64(src, t32.astype(np.float64), out_h, out_w, interpolation, fill_mode, float(_F32(fill_value)))
    return out[None] if batched else out


# ------------------------------------------------------------------------------------ wasm


def _warp_f32(src: np.ndarray, t: np.ndarray, out_h: int, out_w: int, interpolation: str, fill_mode: str,
              fill: np.float32) -> np.ndarray:
    """Transform.cc: float32 throughout (``size_t`` indices converted to float)."""
    xs = np.arange(out_w, dtype=_F32)[None, :]
    ys = np.arange(out_h, dtype=_F32)[:, None]
    # projection = t6*x + t7*y + 1.0 (a double literal; float32 operands make the sum exact
    # to round once more to float32, which equals a float32 addition).
    proj = (t[6] * xs + t[7] * ys) + _F32(1.0)
    in_x = ((t[0] * xs + t[1] * ys) + t[2]) / proj
    in_y = ((t[3] * xs + t[4] * ys) + t[5]) / proj
    if fill_mode == "nearest":
        in_x = np.maximum(_F32(0), np.minimum(in_x, _F32(src.shape[1] - 1)))
        in_y = np.maximum(_F32(0), np.minimum(in_y, _F32(src.shape[0] - 1)))
    if interpolation == "nearest":
        out = _read(src, _round_half_away(in_y), _round_half_away(in_x), fill)
    else:
        x0 = np.floor(in_x)
        y0 = np.floor(in_y)
        x1 = x0 + _F32(1)
        y1 = y0 + _F32(1)
        wx1 = (x1 - in_x)[..., None]  # weight of the x0 column
        wx0 = (in_x - x0)[..., None]
        wy1 = (y1 - in_y)[..., None]
        wy0 = (in_y - y0)[..., None]
        top = wx1 * _read(src, y0, x0, fill) + wx0 * _read(src, y0, x1, fill)
        bottom = wx1 * _read(src, y1, x0, fill) + wx0 * _read(src, y1, x1, fill)
        out = wy1 * top + wy0 * bottom
    if np.any(proj == 0):  # infinite coordinates: the fill value
        out[np.broadcast_to(proj == 0, (out_h, out_w))] = fill
    return np.ascontiguousarray(out, dtype=_F32)


def _round_half_away(v: np.ndarray) -> np.ndarray:
    """C ``round``: halves away from zero (numpy's ``round`` goes to even)."""
    whole = np.trunc(v)
    frac = v - whole  # exact
    return whole + np.where(np.abs(frac) >= 0.5, np.sign(v), 0).astype(v.dtype)


# ------------------------------------------------------------------------------------- cpu


def _warp_f64(src: np.ndarray, t: np.ndarray, out_h: int, out_w: int, interpolation: str, fill_mode: str,
              fill: float) -> np.ndarray:
    """Transform.ts (cpu): JavaScript float64 arithmetic, stored into a Float32Array."""
    xs = np.arange(out_w, dtype=np.float64)[None, :]
    ys = np.arange(out_h, dtype=np.float64)[:, None]
    proj = t[6] * xs + t[7] * ys + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        in_x = (t[0] * xs + t[1] * ys + t[2]) / proj
        in_y = (t[3] * xs + t[4] * ys + t[5]) / proj
    if fill_mode == "nearest":
        in_x = np.clip(in_x, 0, src.shape[1] - 1)
        in_y = np.clip(in_y, 0, src.shape[0] - 1)
    if interpolation == "nearest":
        # Math.round: halves toward +infinity.
        out = _read(src, np.floor(in_y + 0.5), np.floor(in_x + 0.5), fill).astype(np.float64)
    else:
        x0 = np.floor(in_x)
        y0 = np.floor(in_y)
        x1 = x0 + 1
        y1 = y0 + 1
        wx1 = (x1 - in_x)[..., None]
        wx0 = (in_x - x0)[..., None]
        wy1 = (y1 - in_y)[..., None]
        wy0 = (in_y - y0)[..., None]
        top = wx1 * _read(src, y0, x0, fill) + wx0 * _read(src, y0, x1, fill)
        bottom = wx1 * _read(src, y1, x0, fill) + wx0 * _read(src, y1, x1, fill)
        out = wy1 * top + wy0 * bottom
    out = out.astype(_F32)
    if np.any(proj == 0):
        out[np.broadcast_to(proj == 0, (out_h, out_w))] = fill
    return np.ascontiguousarray(out)


# ---------------------------------------------------------------------------------- shared


def _read(src: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill: float | np.float32) -> np.ndarray:
    """``read_with_fill_value`` for whole index grids: the pixel at integer (row, col) when it
    lies inside the image, else ``fill``. Returns ``rows.shape + (C,)`` float32 values (the
    image tensor is float32)."""
    height, width, _ = src.shape
    rows_b, cols_b = np.broadcast_arrays(rows, cols)
    with np.errstate(invalid="ignore"):
        inside = (rows_b >= 0) & (rows_b < height) & (cols_b >= 0) & (cols_b < width)
    r = np.where(inside, rows_b, 0).astype(np.intp)
    c = np.where(inside, cols_b, 0).astype(np.intp)
    values = src[r, c]
    if not inside.all():
        values[~inside] = fill
    return values
