"""Image input and output: paths, numpy arrays and PIL images to one RGB uint8 layout.

Everything the detectors see goes through :func:`load_image`, which returns a C-contiguous
``HxWx3`` ``uint8`` RGB array. Problems with the input raise :class:`~movenet.errors.ImageError`
with a one-line message that names the file (or the array's shape/dtype) and the problem.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from movenet.errors import ImageError

__all__ = [
    "example_image_path",
    "IMAGE_EXTENSIONS",
    "MAX_PIXELS",
    "MAX_PIXELS_ENV",
    "ImageSource",
    "image_path_entries",
    "image_paths",
    "load_image",
    "max_pixels",
    "missing_path_reason",
    "save_image",
]

#: Largest image (width * height) that :func:`load_image` decodes from a file. It is Pillow's own
#: decompression-bomb error threshold. The environment variable ``MOVENET_MAX_PIXELS`` overrides it.
MAX_PIXELS = 178_956_970
_DEFAULT_MAX_PIXELS = MAX_PIXELS
MAX_PIXELS_ENV = "MOVENET_MAX_PIXELS"

#: File extensions (lower case) that :func:`image_paths` picks up from directories.
IMAGE_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})

ImageSource = Union[str, "os.PathLike[str]", np.ndarray, Image.Image]

_COLOR_ORDERS = ("rgb", "bgr")
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_EXIF_ORIENTATION = 0x0112
_PIXELS_IN_MESSAGE = re.compile(r"\((\d+) pixels\)")


def example_image_path() -> Path:
    """The bundled example photo (NASA astronaut portrait, public domain)."""
    return Path(str(resources.files("movenet") / "data" / "astronaut.jpg"))


def max_pixels() -> int:
    """The pixel limit in force: ``$MOVENET_MAX_PIXELS`` when set, else :data:`MAX_PIXELS`."""
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return MAX_PIXELS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ImageError(f"{MAX_PIXELS_ENV}={raw!r} is not a positive whole number of pixels")
    return value


def load_image(source: ImageSource, *, color_order: str = "rgb") -> np.ndarray:
    """Return `source` as a C-contiguous ``HxWx3`` ``uint8`` RGB array.

    `source` is one of

    * a path (``str`` or ``os.PathLike``): decoded with Pillow, EXIF orientation applied, any
      mode converted to RGB (alpha dropped without compositing, 16-bit grey scaled by ``>> 8``);
    * a ``numpy`` ``uint8`` array: ``HxWx3``, ``HxWx4`` (alpha dropped), ``HxW`` or ``HxWx1``
      (grey, replicated). ``color_order="bgr"`` says a 3/4-channel array is BGR/BGRA, as OpenCV
      produces: ``load_image(frame, color_order="bgr")``. An array that is already C-contiguous
      RGB is returned as is (no copy);
    * a ``PIL.Image.Image``: treated like a decoded file (EXIF orientation applied).

    `color_order` only concerns arrays; files and PIL images carry their own colour layout.
    """
    order = color_order.lower() if isinstance(color_order, str) else color_order
    if order not in _COLOR_ORDERS:
        raise ValueError(f"color_order must be 'rgb' or 'bgr', not {color_order!r}")
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, bgr=order == "bgr")
    if isinstance(source, Image.Image):
        name = str(getattr(source, "filename", "") or "PIL image")
        return _pil_to_rgb(source, name)
    if isinstance(source, (str, os.PathLike)):
        return _load_path(Path(source))
    raise ImageError(
        f"cannot use a {type(source).__name__} as an image; pass a file path, a numpy uint8 array or a PIL.Image.Image"
    )


def image_paths(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand `inputs` into the image files to process.

    A directory contributes its image files (extensions in :data:`IMAGE_EXTENSIONS`, any case;
    not recursive; hidden files skipped) sorted by name. A file is kept as given, in order, whatever
    its extension (so that decoding reports what is wrong with it). A missing path raises
    :class:`ImageError`.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    result: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            try:
                entries = list(path.iterdir())
            except OSError as exc:
                raise ImageError(f"{path}: cannot list directory ({_one_line(exc)})") from exc
            found = [
                entry
                for entry in entries
                if entry.suffix.lower() in IMAGE_EXTENSIONS and not entry.name.startswith(".") and entry.is_file()
            ]
            result.extend(sorted(found, key=lambda p: p.name))
        elif path.exists():
            result.append(path)
        else:
            raise ImageError(f"{path}: {missing_path_reason(path)}")
    return result


def missing_path_reason(path: Path) -> str:
    """Why `path` cannot be opened, in words: a symbolic link loop, a broken link, no such file..."""
    import errno

    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (too many levels of symbolic links)"
        if path.is_symlink() and exc.errno == errno.ENOENT:
            return f"broken symbolic link (it points to {os.readlink(path)}, which does not exist)"
        if exc.errno == errno.ENOENT:
            return "no such file or directory"
        return _one_line(exc.strerror or exc).lower()
    return "no such file or directory"


def image_path_entries(inputs: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, ImageError | None]]:
    """:func:`image_paths` per input, keeping going past bad ones: ``(path, None)`` for each image
    found, ``(input, error)`` for an input that is missing or cannot be listed."""
    entries: list[tuple[Path, ImageError | None]] = []
    for item in inputs:
        try:
            entries.extend((path, None) for path in image_paths([item]))
        except ImageError as exc:
            entries.append((Path(item), exc))
    return entries


def save_image(path: str | os.PathLike[str], rgb: np.ndarray) -> Path:
    """Write an RGB ``uint8`` array (``HxWx3``, or grey ``HxW``) to `path` as PNG or JPEG, chosen by
    the extension (``.png``, ``.jpg``/``.jpeg``). Parent directories are created. Returns the path."""
    out = Path(path)
    ext = out.suffix.lower()
    if ext == ".png":
        fmt, options = "PNG", {}
    elif ext in (".jpg", ".jpeg"):
        fmt, options = "JPEG", {"quality": 95}
    else:
        raise ImageError(f"{out}: cannot save as {ext or 'a file without extension'!r}; use .png, .jpg or .jpeg")
    pixels = _array_to_rgb(rgb, bgr=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(out, format=fmt, **options)
    return out


# --- arrays -------------------------------------------------------------------------------------


def _dtype_advice(dtype: np.dtype[Any]) -> str:
    if dtype == np.bool_:
        return "convert with img.astype(np.uint8) * 255"
    if dtype.kind == "f":
        return (
            "convert with (np.clip(img, 0, 1) * 255).round().astype(np.uint8) for values in [0, 1], "
            "or np.clip(img, 0, 255).round().astype(np.uint8) for values in [0, 255]"
        )
    if dtype == np.uint16:
        return "convert 16-bit data with (img >> 8).astype(np.uint8)"
    if dtype.kind in "iu":
        return "scale the values to 0..255 and convert with np.clip(img, 0, 255).astype(np.uint8)"
    return "convert 8-bit pixel values with np.asarray(img, dtype=np.uint8)"


def _array_to_rgb(arr: np.ndarray, *, bgr: bool) -> np.ndarray:
    if arr.dtype != np.uint8:
        raise ImageError(
            f"image array has dtype {arr.dtype} (shape {arr.shape}); uint8 is required: " + _dtype_advice(arr.dtype)
        )
    shape = tuple(arr.shape)
    if arr.ndim == 2:
        channels = 1
    elif arr.ndim == 3 and shape[2] in (1, 3, 4):
        channels = shape[2]
    else:
        raise ImageError(
            f"image array has shape {shape}; expected HxW (grey), HxWx1, HxWx3 (RGB/BGR) or HxWx4 (RGBA/BGRA)"
        )
    if 0 in shape:
        raise ImageError(f"image array has shape {shape}, which holds no pixels")
    arr = np.asarray(arr)  # drop ndarray subclasses (masked arrays, matrices)
    if channels == 1:
        grey = arr.reshape(shape[0], shape[1], 1)
        return np.ascontiguousarray(np.broadcast_to(grey, (shape[0], shape[1], 3)))
    if bgr:
        return np.ascontiguousarray(arr[:, :, 2::-1])
    if channels == 4:
        return np.ascontiguousarray(arr[:, :, :3])
    return np.ascontiguousarray(arr)


# --- PIL images ---------------------------------------------------------------------------------


def _pil_to_rgb(im: Image.Image, name: str) -> np.ndarray:
    """Decode (if lazy), orient and convert a PIL image. Errors name `name`."""
    try:
        im.load()
    except MemoryError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_large(name, None, exc) from exc
    except Exception as exc:
        raise ImageError(f"{name}: image data is truncated or corrupt ({_one_line(exc)})") from exc
    im = _apply_exif_orientation(im)
    if im.size[0] == 0 or im.size[1] == 0:
        raise ImageError(f"{name}: image has size {im.size[0]}x{im.size[1]}, which holds no pixels")
    try:
        return _mode_to_rgb(im)
    except MemoryError:
        raise
    except Exception as exc:
        raise ImageError(f"{name}: cannot convert {im.mode} image to RGB ({_one_line(exc)})") from exc


def _apply_exif_orientation(im: Image.Image) -> Image.Image:
    # Only transpose when needed: exif_transpose copies the image even when there is nothing to do.
    try:
        orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    except MemoryError:
        raise
    except Exception:  # an unreadable EXIF block must not make a decodable image unusable
        return im
    if orientation not in (2, 3, 4, 5, 6, 7, 8):
        return im
    try:
        oriented = ImageOps.exif_transpose(im)
    except MemoryError:
        raise
    except Exception:
        return im
    return oriented if oriented is not None else im


def _mode_to_rgb(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode == "RGB":
        rgb = np.array(im, dtype=np.uint8)
    elif mode in _SIXTEEN_BIT_MODES or mode == "I":
        # 16-bit grey (and 32-bit "I", which Pillow also uses for 16-bit data): keep the high byte,
        # as pngjs does for 16-bit PNGs in the reference.
        wide = np.asarray(im)
        if mode == "I":
            wide = np.clip(wide, 0, 0xFFFF)
        grey = (wide.astype(np.uint32) >> 8).astype(np.uint8)
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
    elif mode in ("L", "1", "LA", "La", "F"):
        grey = np.array(im.convert("L") if mode != "La" else im.convert("LA").convert("L"), dtype=np.uint8)
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
    else:  # P, PA, RGBA, RGBa, RGBX, CMYK, YCbCr, LAB, HSV, ...: alpha/transparency dropped, not composited
        rgb = np.array(im.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb)


# --- files --------------------------------------------------------------------------------------


def _load_path(path: Path) -> np.ndarray:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageError(f"{path}: file not found") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot access file ({_one_line(exc)})") from exc
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image file")
    if st.st_size == 0:
        raise ImageError(f"{path}: file is empty (0 bytes)")
    limit = max_pixels()
    _allow_in_pillow(limit)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise ImageError(f"{path}: cannot open file ({_one_line(exc)})") from exc
    with fh:
        im = _open(fh, path, limit)
        with im:
            return _pil_to_rgb(im, str(path))


def _open(fh: Any, path: Path, limit: int) -> Image.Image:
    """Read only the header; refuse images above `limit` pixels before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow warns from half its error threshold on; our own limit below is the one that counts.
            # (Only the header is read in here, so the thread-unsafe window of catch_warnings is short.)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(fh)
    except Image.DecompressionBombError as exc:
        raise _too_large(str(path), None, exc, _effective_limit(limit)) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{path}: not an image file (Pillow cannot identify its format)") from exc
    except MemoryError:
        raise
    except OSError as exc:
        raise ImageError(f"{path}: cannot read image ({_one_line(exc)})") from exc
    except Exception as exc:  # plugin bugs on hostile headers: SyntaxError, ValueError, ...
        raise ImageError(f"{path}: corrupt image header ({_one_line(exc)})") from exc
    width, height = im.size
    if width * height > limit:
        im.close()
        raise _too_large(str(path), (width, height), None, limit)
    return im


def _allow_in_pillow(limit: int) -> None:
    """Pillow refuses images above 2 * ``Image.MAX_IMAGE_PIXELS`` by itself. When the user raised our
    limit past that (``MOVENET_MAX_PIXELS`` or ``MAX_PIXELS``), raise Pillow's (process-wide, only
    ever upwards) so that the user's choice counts. With the default limit, a Pillow limit lowered
    by the application is respected."""
    pillow = Image.MAX_IMAGE_PIXELS
    explicit = bool(os.environ.get(MAX_PIXELS_ENV, "").strip()) or MAX_PIXELS != _DEFAULT_MAX_PIXELS
    if explicit and pillow is not None and 2 * pillow < limit:
        Image.MAX_IMAGE_PIXELS = (limit + 1) // 2


def _effective_limit(limit: int) -> int:
    pillow = Image.MAX_IMAGE_PIXELS
    return limit if pillow is None else min(limit, 2 * pillow)


def _too_large(
    name: str, size: tuple[int, int] | None, exc: BaseException | None, limit: int | None = None
) -> ImageError:
    if limit is None:
        limit = _effective_limit(max_pixels())
    if size is not None:
        what = f"{size[0]}x{size[1]} = {size[0] * size[1]:,} pixels"
    else:
        match = _PIXELS_IN_MESSAGE.search(str(exc)) if exc is not None else None
        what = f"{int(match.group(1)):,} pixels" if match else "too many pixels"
    return ImageError(
        f"{name}: image is too large ({what}; the limit is {limit:,} pixels, set {MAX_PIXELS_ENV} to change it)"
    )


def _one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
