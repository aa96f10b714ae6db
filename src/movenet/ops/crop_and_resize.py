"""TF-exact crop-and-resize: the TF.js **wasm** backend's ``CropAndResize`` kernel (tfjs 4.x,
``tfjs-backend-wasm/src/cc/kernels/CropAndResize.cc`` and ``interpolate_bilinear_impl.cc``) in
float32, followed by the int32 cast (truncation), as ``pose-detection/src/movenet/detector.ts``
feeds the single-pose network. Pure numpy, no model.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from movenet.ops.bilinear import lerp_corners

__all__ = ["Box", "crop_and_resize"]


class Box(Protocol):
    """Anything with a normalized ``(y_min, x_min, y_max, x_max)`` box (e.g. a crop region)."""

    def as_box(self) -> tuple[float, float, float, float]: ...


# --------------------------------------------------------------------------------------------
# crop_and_resize: the wasm kernel in float32
# --------------------------------------------------------------------------------------------

_F32 = np.float32


def _sample_positions(c1: np.float32, c2: np.float32, size: int, extent: int) -> np.ndarray:
    """In-image sample positions for one axis, float32, as the wasm kernel computes them:
    ``scale = (c2 - c1) * (extent - 1) / (size - 1)`` and ``ind = c1 * (extent - 1) + i * scale``,
    every operation rounded to float32. For ``size == 1`` it is
    ``float(0.5 * double(c1 + c2) * (extent - 1))`` (C++ promotes ``0.5 *`` to double)."""
    m1 = _F32(extent - 1)
    if size > 1:
        scale = (c2 - c1) * m1 / _F32(size - 1)
        start = c1 * m1
        return start + np.arange(size, dtype=_F32) * scale
    return np.array([0.5 * float(c1 + c2) * float(extent - 1)], dtype=_F32)


def _valid_range(ind: np.ndarray, extent: int) -> tuple[np.ndarray, int, int]:
    """Indices of positions inside [0, extent - 1] (the kernel's ``ind < 0 || ind > extent - 1``
    test; NaN counts as inside there, but never occurs for finite boxes). The valid positions
    form one run because the positions are monotonic; returns (indices, first, stop)."""
    valid = np.nonzero((ind >= 0) & (ind <= _F32(extent - 1)))[0]
    if valid.size == 0:
        return valid, 0, 0
    return valid, int(valid[0]), int(valid[-1]) + 1


def _memcpy_path(
    y1: np.float32, x1: np.float32, y2: np.float32, x2: np.float32, size: int, image_height: int, image_width: int
) -> bool:
    """The wasm kernel's ``should_memcpy`` shortcut condition, in float32 (including its use of
    ``image_height`` instead of ``image_height - 1`` for the y test)."""
    crop_size_eq_box_size = _F32(size) == _F32(1) + (x2 - x1) * _F32(image_width - 1)
    if size > 1:
        hscale = (y2 - y1) * _F32(image_height - 1) / _F32(size - 1)
        wscale = (x2 - x1) * _F32(image_width - 1) / _F32(size - 1)
        y_lerp_factor = y1 * _F32(image_height) + hscale
        x_lerp_factor = x1 * _F32(image_width - 1) + wscale
    else:
        y_lerp_factor = _F32(0.5 * float(y1 + y2) * float(image_height - 1))
        x_lerp_factor = _F32(0.5 * float(x1 + x2) * float(image_width - 1))
    requires_interpolation = bool(y_lerp_factor - np.floor(y_lerp_factor) != 0) or bool(
        x_lerp_factor - np.floor(x_lerp_factor) != 0
    )
    return bool(x2 > x1) and bool(x1 >= 0) and bool(crop_size_eq_box_size) and not requires_interpolation


def crop_and_resize(
    image: np.ndarray,
    region: Box | tuple[float, float, float, float],
    size: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Bilinear crop-and-resize of ``image`` (H, W, C) uint8 over the normalized box
    ``(y_min, x_min, y_max, x_max)`` to (size, size), extrapolation value 0, then cast to int32
    by truncation: ``tf.cast(tf.image.cropAndResize(image[None], [box], [0], [size, size],
    'bilinear', 0), 'int32')[0]`` on the TF.js wasm backend (``detector.ts`` ``estimatePoses``).

    The box coordinates are rounded to float32 (the reference puts JS doubles into a float32
    tensor) and all sampling arithmetic is float32 in the kernel's order of operations.
    ``out``, if given, is an int32 (size, size, C) buffer that receives the result (and is
    returned), to avoid a per-frame allocation.
    """
    if image.ndim != 3:
        raise ValueError(f"image must be (H, W, C), got shape {image.shape}")
    if size < 1:
        raise ValueError("size must be >= 1")
    channels = image.shape[2]
    if out is None:
        out = np.empty((size, size, channels), dtype=np.int32)
    elif out.shape != (size, size, channels) or out.dtype != np.int32:
        raise ValueError(f"out must be an int32 array of shape {(size, size, channels)}")
    box = region if isinstance(region, tuple) else region.as_box()
    _crop_and_resize_into(image, box, size, out)
    return out


def _crop_and_resize_into(
    image: np.ndarray, box: tuple[float, float, float, float], size: int, out: np.ndarray
) -> None:
    """The kernel proper. ``out`` may be float32 (the kernel's own output, before the cast; used
    by tests) or int32 (assigning float32 to int32 truncates toward zero, like the reference's
    ``Int32Array.set`` in the wasm Cast kernel)."""
    image_height, image_width, _ = image.shape
    y1, x1, y2, x2 = (_F32(v) for v in box)

    y_ind = _sample_positions(y1, y2, size, image_height)
    x_ind = _sample_positions(x1, x2, size, image_width)
    rows, r0, r1 = _valid_range(y_ind, image_height)
    if rows.size == 0:
        out.fill(0)
        return
    # The kernel tests the shortcut per row after the row range test and before any column test.
    if _memcpy_path(y1, x1, y2, x2, size, image_height, image_width):
        _memcpy_rows(image, y_ind, rows, size, out)
        return
    cols, c0, c1 = _valid_range(x_ind, image_width)
    if cols.size == 0:
        out.fill(0)
        return
    # Positions are monotonic in the output index, so the in-range ones form one run.
    assert rows.size == r1 - r0 and cols.size == c1 - c0

    # Per-row / per-column indices and weights (interpolate_bilinear_impl.cc). The in-range
    # positions form one run (positions are monotonic in the output index), rows r0:r1 and
    # columns c0:c1.
    channels = image.shape[2]
    yv = y_ind[r0:r1]
    top = np.floor(yv)
    bottom = np.minimum(_F32(image_height - 1), np.ceil(yv))
    y_lerp = (yv - top)[:, None]
    xv = x_ind[c0:c1]
    left = np.floor(xv)
    right = np.minimum(_F32(image_width - 1), np.ceil(xv))
    x_lerp = np.repeat(xv - left, channels)  # per (column, channel), the inner axis below

    # corners: top-left, top-right, bottom-left, bottom-right, each (rows, cols * C) float32.
    if image.size <= _F32_EXACT_INT:
        corners = _gather_exact(image, top, bottom, left, right)
    else:
        corners = _gather_float_index(image, top, bottom, left, right)
    top_left, top_right, bottom_left, bottom_right = corners

    top_left = lerp_corners(top_left, top_right, bottom_left, bottom_right, x_lerp, y_lerp)  # the kernel's output

    if r0 > 0:
        out[:r0] = 0
    if r1 < size:
        out[r1:] = 0
    if c0 > 0:
        out[r0:r1, :c0] = 0
    if c1 < size:
        out[r0:r1, c1:] = 0
    out[r0:r1, c0:c1] = top_left.reshape(r1 - r0, c1 - c0, channels)


def _gather_exact(
    image: np.ndarray, top: np.ndarray, bottom: np.ndarray, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four corner values for every (row, column), each a separate float32 (rows, cols * C)
    array (in-place arithmetic on views of one shared array would make numpy copy them). The
    top and bottom image rows are copied whole, restricted to the columns the crop reads, then
    their left and right columns are picked byte by byte: about twice as fast as gathering
    C-byte pixels one at a time."""
    image_width = image.shape[1]
    channels = image.shape[2]
    lo = int(left.min())  # only the columns between these are read
    hi = int(right.max()) + 1
    rows = np.ascontiguousarray(image).reshape(image.shape[0], image_width * channels)
    span = slice(lo * channels, hi * channels)
    top_rows = rows[top.astype(np.intp), span]
    bottom_rows = rows[bottom.astype(np.intp), span]
    offsets = np.arange(channels)
    left_idx = ((left.astype(np.intp) - lo)[:, None] * channels + offsets).reshape(-1)
    right_idx = ((right.astype(np.intp) - lo)[:, None] * channels + offsets).reshape(-1)
    return (top_rows[:, left_idx].astype(_F32), top_rows[:, right_idx].astype(_F32),
            bottom_rows[:, left_idx].astype(_F32), bottom_rows[:, right_idx].astype(_F32))


#: Integers up to 2**24 are exact in float32.
_F32_EXACT_INT = 1 << 24


def _gather_float_index(
    image: np.ndarray, top: np.ndarray, bottom: np.ndarray, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Corner gathers for images with more than 2**24 values. The kernel computes the flat
    index ``c + col * stride_w + row * stride_h`` in float32 (the float row/column indices
    promote the expression), so past 2**24 it rounds and reads a neighbouring value. Mirrored
    here; an index past the end (heap memory in the reference) reads as 0."""
    _, image_width, channels = image.shape
    flat = np.ascontiguousarray(image).reshape(-1)
    s_w = _F32(channels)
    s_h = _F32(image_width * channels)
    c = np.arange(channels, dtype=_F32)[None, None, :]

    def gather(rows_f: np.ndarray, cols_f: np.ndarray) -> np.ndarray:
        col_term = (cols_f * s_w)[None, :, None]
        row_term = (rows_f * s_h)[:, None, None]
        idx = ((c + col_term) + row_term).astype(np.int64)
        inside = idx < flat.size
        vals = flat[np.where(inside, idx, 0)].astype(_F32)
        vals[~inside] = 0
        return vals

    shape = (top.size, left.size * channels)
    return (gather(top, left).reshape(shape), gather(top, right).reshape(shape),
            gather(bottom, left).reshape(shape), gather(bottom, right).reshape(shape))


def _memcpy_rows(image: np.ndarray, y_ind: np.ndarray, rows: np.ndarray, size: int, out: np.ndarray) -> None:
    """The wasm kernel's memcpy shortcut: each in-range output row is image row
    ``trunc(y_ind)`` read from column 0 (not from the box's left edge), ``size`` pixels long,
    continuing into the following row(s) if the image is narrower. Data past the end of the
    image (heap contents in the reference) reads as 0 here."""
    channels = image.shape[2]
    flat = np.ascontiguousarray(image).reshape(-1)
    row_len = image.shape[1] * channels
    n = size * channels
    out.fill(0)
    row = np.zeros(n, dtype=flat.dtype)
    for r in rows.tolist():
        start = int(y_ind[r]) * row_len
        chunk = flat[start : start + n]
        row[: chunk.size] = chunk
        row[chunk.size :] = 0
        out[r] = row.reshape(size, channels)
