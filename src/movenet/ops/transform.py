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

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from movenet.runtime import available_cores, check_threads

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
    threads: int | None = 1,
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
    check_threads(threads)
    t32 = params.astype(_F32)  # the float32 transform tensor
    dtype = _F32 if kernel == "wasm" else np.float64
    fill = _F32(fill_value)
    out = np.empty((out_h, out_w, image.shape[2]), dtype=_F32)
    r0, r1, c0, c1 = _region(t32, height, width, out_h, out_w, fill_mode, fill)
    if (r0, r1, c0, c1) != (0, out_h, 0, out_w):
        out.fill(fill)  # exactly the kernel's value there: every read is outside, fill 0
    if r1 > r0 and c1 > c0:
        # Bands of rows small enough for the temporaries to stay in cache (same values).
        band = max(1, _BAND_PIXELS // (c1 - c0))
        starts = list(range(r0, r1, band))
        t = t32.astype(dtype)

        def warp_bands(group: Sequence[int]) -> None:
            for start in group:
                stop = min(start + band, r1)
                out[start:stop, c0:c1] = _warp(image, t, range(start, stop), range(c0, c1), interpolation,
                                               fill_mode, fill, dtype)

        cores = available_cores()
        workers = min(len(starts), cores if threads is None else min(threads, cores))
        groups = [starts[k::workers] for k in range(workers)]
        # The caller's thread takes the first group, the shared pool the others (if any).
        others = [_pool().submit(warp_bands, group) for group in groups[1:]]
        warp_bands(groups[0])
        for future in others:
            future.result()
    return out[None] if batched else out


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    # A forked child inherits the pool object but not its threads: work handed to it would wait
    # for ever. The child makes its own pool when it first needs one.
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool() -> ThreadPoolExecutor:
    """The threads that share the bands of multi-threaded warps (one pool per process)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, available_cores() - 1), thread_name_prefix="movenet-warp")
        return _POOL


#: Output pixels per band of rows computed at once.
_BAND_PIXELS = 16384


def _region(t: np.ndarray, height: int, width: int, out_h: int, out_w: int, fill_mode: str,
            fill: np.float32) -> tuple[int, int, int, int]:
    """Rows r0:r1 and columns c0:c1 of the output outside which every bilinear or nearest read
    falls outside the image. Only for affine maps with a constant fill of 0 (then the kernel
    writes exactly 0 there); otherwise the whole output."""
    whole = (0, out_h, 0, out_w)
    if fill_mode != "constant" or fill != 0 or t[6] != 0 or t[7] != 0:
        return whole
    a = np.array([[t[0], t[1]], [t[3], t[4]]], dtype=np.float64)
    if abs(np.linalg.det(a)) < 1e-12:
        return whole
    inv = np.linalg.inv(a)
    # Reads happen at in-coordinates within (-1, len): map that box's corners to the output.
    corners = np.array([[-1.0, -1.0], [width, -1.0], [-1.0, height], [width, height]])
    out_xy = (corners - np.array([t[2], t[5]], dtype=np.float64)) @ inv.T
    margin = 2  # output pixels, far more than float32 rounding of the coordinates
    c0 = int(np.clip(np.floor(out_xy[:, 0].min()) - margin, 0, out_w))
    c1 = int(np.clip(np.ceil(out_xy[:, 0].max()) + margin + 1, 0, out_w))
    r0 = int(np.clip(np.floor(out_xy[:, 1].min()) - margin, 0, out_h))
    r1 = int(np.clip(np.ceil(out_xy[:, 1].max()) + margin + 1, 0, out_h))
    return r0, r1, c0, c1


def _warp(image: np.ndarray, t: np.ndarray, rows: range, cols: range, interpolation: str, fill_mode: str,
          fill: np.float32, dtype: type) -> np.ndarray:
    """The kernel over output ``rows`` x ``cols``. ``dtype`` float32 follows Transform.cc (wasm:
    ``size_t`` indices converted to float, every operation rounded to float32); float64 follows
    Transform.ts (cpu: JavaScript numbers, stored into a Float32Array)."""
    height, width, _ = image.shape
    xs: np.ndarray = np.arange(cols.start, cols.stop, dtype=dtype)[None, :]
    ys: np.ndarray = np.arange(rows.start, rows.stop, dtype=dtype)[:, None]
    one = dtype(1)
    affine = t[6] == 0 and t[7] == 0  # every pose pipeline: the projection is exactly 1
    if affine:  # dividing by 1 is exact: the same values without the two divisions
        proj = None
        in_x = (t[0] * xs + t[1] * ys) + t[2]
        in_y = (t[3] * xs + t[4] * ys) + t[5]
    else:
        # projection = t6*x + t7*y + 1 (in wasm a double literal; the float32 operands make the
        # double sum round to the float32 sum).
        proj = (t[6] * xs + t[7] * ys) + one
        with np.errstate(divide="ignore", invalid="ignore"):
            in_x = ((t[0] * xs + t[1] * ys) + t[2]) / proj
            in_y = ((t[3] * xs + t[4] * ys) + t[5]) / proj
    in_x, in_y = np.broadcast_arrays(in_x, in_y)
    if fill_mode == "nearest":
        in_x = np.maximum(dtype(0), np.minimum(in_x, dtype(width - 1)))
        in_y = np.maximum(dtype(0), np.minimum(in_y, dtype(height - 1)))
    # Where the projection is 0 (or a coordinate overflows) the arithmetic meets inf - inf as the
    # kernels do; those pixels get the fill value below, so numpy need not warn about them.
    with np.errstate(invalid="ignore", over="ignore"):
        if interpolation == "nearest":
            if dtype is _F32:
                rx, ry = _round_half_away(in_x), _round_half_away(in_y)  # C round
            else:
                rx, ry = np.floor(in_x + 0.5), np.floor(in_y + 0.5)  # Math.round: halves up
            out = _Gather(image, ry, rx, fill).corner(0, 0).astype(_F32)
        else:
            x0 = np.floor(in_x)
            y0 = np.floor(in_y)
            wx1 = (x0 + one) - in_x  # weight of column x0
            wx0 = in_x - x0
            wy1 = (y0 + one) - in_y
            wy0 = in_y - y0
            g = _Gather(image, y0, x0, fill)
            top = wx1 * g.corner(0, 0)
            top += wx0 * g.corner(0, 1)
            bottom = wx1 * g.corner(1, 0)
            bottom += wx0 * g.corner(1, 1)
            top *= wy1
            bottom *= wy0
            top += bottom
            out = top.astype(_F32, copy=False)
    if proj is not None and np.any(proj == 0):  # infinite coordinates: the fill value
        out[:, np.broadcast_to(proj == 0, out.shape[1:])] = fill
    return np.moveaxis(out, 0, -1)  # channels last again (a view; the caller copies it into place)


def _round_half_away(v: np.ndarray) -> np.ndarray:
    """C ``round``: halves away from zero (numpy's ``round`` goes to even)."""
    whole = np.trunc(v)
    frac = v - whole  # exact
    return whole + np.where(np.abs(frac) >= 0.5, np.sign(v), 0).astype(v.dtype)


class _Gather:
    """``read_with_fill_value`` for whole grids of integer (row, col) positions and their
    right/lower neighbours: the pixel when inside the image, else the fill value.

    The part of the image the positions touch is copied once into a buffer with a two-pixel
    border of fill values; positions are clamped into that border, so every read is one flat
    ``take`` with no masks. The buffer keeps the image's dtype when the fill value fits it
    (values are converted to float32 after the read, as TF.js casts the image first). It holds
    the channels as planes, so reads come out ``C x rows x cols`` and the kernel's arithmetic
    runs over whole rows rather than three values at a time (the same operations, 2-3x faster)."""

    def __init__(self, image: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill: np.float32) -> None:
        height, width, channels = image.shape
        finite = np.isfinite(rows) & np.isfinite(cols)
        if finite.all():
            r = np.clip(rows, -2, height).astype(np.intp)
            c = np.clip(cols, -2, width).astype(np.intp)
        else:  # NaN positions (only with proj == 0) read the fill value
            r = np.clip(np.where(finite, rows, -2), -2, height).astype(np.intp)
            c = np.clip(np.where(finite, cols, -2), -2, width).astype(np.intp)
        r_lo = int(np.clip(r.min(), 0, height - 1))
        r_hi = int(np.clip(r.max() + 1, 0, height - 1))
        c_lo = int(np.clip(c.min(), 0, width - 1))
        c_hi = int(np.clip(c.max() + 1, 0, width - 1))
        keep_dtype = np.issubdtype(image.dtype, np.integer) and float(fill).is_integer() and \
            np.iinfo(image.dtype).min <= fill <= np.iinfo(image.dtype).max
        buf_dtype = image.dtype if keep_dtype or image.dtype == _F32 else _F32
        sub_h, sub_w = r_hi - r_lo + 1, c_hi - c_lo + 1
        buf = np.full((channels, sub_h + 4, sub_w + 4), fill, dtype=buf_dtype)
        buf[:, 2:-2, 2:-2] = np.moveaxis(image[r_lo:r_hi + 1, c_lo:c_hi + 1], -1, 0)
        self._flat = buf.reshape(channels, -1)
        self._stride = sub_w + 4
        self._index = (r - r_lo + 2) * self._stride + (c - c_lo + 2)

    def corner(self, dy: int, dx: int) -> np.ndarray:
        """The values at (row + dy, col + dx), shape ``(C,) + rows.shape``, float32."""
        values = np.take(self._flat, self._index + (dy * self._stride + dx), axis=1)
        return values if values.dtype == _F32 else values.astype(_F32)
