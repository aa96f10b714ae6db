"""What clients send: image bytes decoded to RGB (with size limits) and binary WebSocket frame
messages (an optional JSON header, then the image)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from movenet.errors import ImageError
from movenet.io.images import load_image
from movenet.io.images import max_pixels as movenet_max_pixels
from movenet.web.errors import ApiError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_STREAMS",
    "DEFAULT_STREAM_IDLE_S",
    "MAX_HEADER_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TIMESTAMP_MS",
    "decode_image",
    "pack_frame",
    "parse_json",
    "split_frame_message",
]

#: Largest decoded image (width x height) accepted by default: a small compressed file can hold a
#: huge image, and the server must not be made to allocate gigabytes for one request.
DEFAULT_MAX_PIXELS = 40_000_000
#: Live streams served at once by default: each has a detector and two threads of its own.
DEFAULT_MAX_STREAMS = 32
#: Seconds a stream may go without a message before the server closes it (so that clients which
#: open a stream and go quiet do not hold the places of `DEFAULT_MAX_STREAMS` for ever).
DEFAULT_STREAM_IDLE_S = 300.0
#: Largest JSON header in a binary frame message, and largest text (control) message.
MAX_HEADER_BYTES = 64 * 1024
#: Deepest nesting of arrays and objects in a client's JSON (ours never go past 2 levels).
MAX_JSON_DEPTH = 32
#: Largest ``|timestamp_ms|`` of a frame: 10^15 ms is 31,700 years (``Date.now()`` is about 1.7e12),
#: and keeps the filters' integer microseconds well inside 64 bits.
MAX_TIMESTAMP_MS = 1e15

# A frame message that starts like an image file is bare image bytes, not a header length.
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, name: str = "image") -> np.ndarray:
    """Decode image bytes as ``movenet detect`` decodes a file (EXIF orientation, any mode to RGB).

    Raises ApiError: 400 empty/corrupt/truncated, 413 more than `max_pixels` pixels, 415 not an
    image format Pillow recognises.
    """
    if not data:
        raise ApiError(400, f"{name} is empty: send the image bytes (JPEG or PNG)")
    limit = min(max_pixels, movenet_max_pixels())
    try:
        im = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError as exc:
        raise ApiError(413, f"{name} is too large ({exc})") from None
    except UnidentifiedImageError:
        raise ApiError(415, f"{name} is not an image (no decoder recognises its {len(data)} bytes); "
                            "send JPEG or PNG") from None
    except Exception as exc:  # hostile headers make plugins raise all sorts of things
        raise ApiError(400, f"{name} has a corrupt image header ({' '.join(str(exc).split())})") from None
    with im:
        width, height = im.size
        if width * height > limit:
            raise ApiError(413, f"{name} is too large: {width}x{height} = {width * height:,} pixels "
                                f"(the limit is {limit:,})")
        try:
            return load_image(im)
        except ImageError as exc:
            message = str(exc).removeprefix("PIL image: ")
            raise ApiError(400, f"{name}: {message}") from None


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON (0 for a scalar), walked without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth + 1)
            if depth + 1 > MAX_JSON_DEPTH:
                break
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_json(text: str | bytes, what: str) -> Any:  # noqa: ANN401 - any JSON value
    """`text` parsed as JSON; ApiError 400 naming `what` if it is not JSON or nests deeper than
    :data:`MAX_JSON_DEPTH` (Python's parser would raise RecursionError on thousands of ``[``)."""
    try:
        value = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except RecursionError:
        raise ApiError(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, f"{what} is not UTF-8 JSON") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ApiError(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def pack_frame(image: bytes, header: Mapping[str, Any] | None = None) -> bytes:
    """A binary WebSocket frame message: ``uint32 big-endian N``, N bytes of JSON header, the image."""
    if not header:
        return bytes(image)
    head = json.dumps(dict(header)).encode()
    return len(head).to_bytes(4, "big") + head + bytes(image)


def split_frame_message(data: bytes) -> tuple[dict[str, Any], bytes]:
    """``(header, image bytes)`` of a binary frame message (see the module docs). ApiError 400 if malformed."""
    if data.startswith(_IMAGE_MAGIC) or len(data) < 4:
        return {}, data
    size = int.from_bytes(data[:4], "big")
    if size > MAX_HEADER_BYTES:
        # Not our header: let the image decoder say what it is (WebP, TIFF, ... or garbage).
        return {}, data
    if 4 + size > len(data):
        raise ApiError(400, f"truncated frame message: the header announces {size} bytes, "
                            f"{len(data) - 4} follow")
    header = parse_json(data[4:4 + size], "frame message header")
    if not isinstance(header, dict):
        raise ApiError(400, "frame message header must be a JSON object")
    frame_id = header.get("id")
    if frame_id is not None and (isinstance(frame_id, bool) or not isinstance(frame_id, (int, str))):
        raise ApiError(400, f"frame id must be an integer or a string, got {frame_id!r}")
    timestamp = header.get("timestamp_ms")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))
                                  or not abs(timestamp) <= MAX_TIMESTAMP_MS):  # also NaN; ints of any size
        shown = repr(timestamp) if len(repr(timestamp)) < 40 else f"{repr(timestamp)[:30]}..."
        raise ApiError(400, f"timestamp_ms must be a finite number of milliseconds within +-{MAX_TIMESTAMP_MS:.0e}, "
                            f"got {shown}")
    return header, data[4 + size:]
