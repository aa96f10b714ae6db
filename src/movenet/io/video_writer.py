"""The video sink: an H.264 mp4 (yuv420p, index at the front) that browsers play, written
frame by frame so memory stays flat however long the video is."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from movenet.errors import ImageError
from movenet.io.frames import PathLike, VideoError
from movenet.io.images import load_image
from movenet.io.video_file import av_message

__all__ = ["VideoWriter"]

# Extensions VideoWriter accepts (H.264 fits in each) and those that take MP4's +faststart.
_WRITER_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".mkv"})
_FASTSTART_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov"})

_X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"
)  # fmt: skip


def _frame_rate(fps: float) -> Fraction:
    """`fps` as an exact rate: NTSC rates written in decimals (29.97, 23.976, 59.94) become
    N * 1000 / 1001, others ``Fraction(fps).limit_denominator(1001)``."""
    ntsc = fps * 1.001
    if fps != round(fps) and round(ntsc) > 0 and abs(ntsc - round(ntsc)) < 1e-3:
        return Fraction(round(ntsc) * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _h264_available() -> bool:
    try:
        av.codec.Codec("libx264", "w")
    except Exception:
        return False
    return True


class VideoWriter:
    """Write RGB frames to an H.264 video that browsers play, one frame at a time.

    ``VideoWriter(path, width, height, fps)``, then :meth:`write` for each ``HxWx3`` ``uint8``
    RGB frame (grey and RGBA arrays are accepted too), then :meth:`close` (or use ``with``).

    The file is H.264 (libx264, ``yuv420p``, BT.709 tagged) in an MP4 with the index at the front
    (``+faststart``); ``.m4v``, ``.mov`` and ``.mkv`` work too. The frame rate is
    ``Fraction(fps).limit_denominator(1001)`` (so a source's 29.97002997 becomes 30000/1001; a typed
    29.97, 23.976 or 59.94 is read as the NTSC rate N*1000/1001), or `fps` itself when it is a
    :class:`~fractions.Fraction`. Frames are written at a constant rate: frame ``k`` is shown at
    ``k / fps`` seconds. ``yuv420p`` needs an even width and height: an odd size is padded by one
    pixel (the last column or row repeated), so the stored video is `encoded_width` x
    `encoded_height` and pixel coordinates are unchanged. If the bundled FFmpeg lacks libx264 the
    writer falls back to MPEG-4 Part 2, with a warning (browsers do not play that).

    `crf` is x264's quality (0 lossless, 51 worst; 18-23 look good) and `preset` its speed:
    ``"superfast"`` encodes 640x480 at about 190 frames/s on two busy cores; ``"veryfast"`` makes
    files about a third smaller at about 115 frames/s, ``"ultrafast"`` runs at about 330 frames/s
    with files 2.5 times larger.
    """

    def __init__(
        self,
        path: PathLike,
        width: int,
        height: int,
        fps: float | Fraction = 30.0,
        *,
        crf: int = 20,
        preset: str = "superfast",
    ) -> None:
        self.path = Path(path)
        for label, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"{self.path}: {label} must be a positive whole number, not {value!r}")
        if isinstance(fps, Fraction):
            rate = fps
        elif isinstance(fps, (int, float)) and not isinstance(fps, bool) and math.isfinite(fps):
            rate = _frame_rate(float(fps))
        else:
            raise ValueError(f"{self.path}: fps must be a positive number, not {fps!r}")
        if rate <= 0:
            raise ValueError(f"{self.path}: fps must be a positive number, not {fps!r}")
        if preset not in _X264_PRESETS:
            raise ValueError(f"{self.path}: preset must be one of {', '.join(_X264_PRESETS)}, not {preset!r}")
        if isinstance(crf, bool) or not isinstance(crf, (int, np.integer)) or not 0 <= crf <= 51:
            raise ValueError(f"{self.path}: crf must be a whole number from 0 (lossless) to 51, not {crf!r}")
        ext = self.path.suffix.lower()
        if ext not in _WRITER_EXTENSIONS:
            raise VideoError(
                f"{self.path}: cannot write video as {ext or 'a file without extension'!r}; use .mp4"
            )
        self.width = int(width)
        self.height = int(height)
        self.encoded_width = self.width + self.width % 2
        self.encoded_height = self.height + self.height % 2
        self.rate = rate
        self.fps = float(rate)
        self.frames_written = 0
        self._closed = False
        self._reformatter = VideoReformatter()
        self._pad: np.ndarray | None = None
        if self.encoded_width != self.width or self.encoded_height != self.height:
            self._pad = np.empty((self.encoded_height, self.encoded_width, 3), np.uint8)

        if _h264_available():
            self.codec = "libx264"
            options = {"crf": str(int(crf)), "preset": str(preset)}
        else:
            self.codec = "mpeg4"
            options = {}
            warnings.warn(
                f"{self.path}: PyAV's FFmpeg has no libx264 encoder; writing MPEG-4 Part 2, "
                "which browsers do not play",
                RuntimeWarning,
                stacklevel=2,
            )
        container_options = {"movflags": "+faststart"} if ext in _FASTSTART_EXTENSIONS else {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container: Any = av.open(str(self.path), mode="w", options=container_options)
        except Exception as exc:
            raise VideoError(f"{self.path}: cannot create video file ({av_message(exc)})") from exc
        try:
            stream: Any = self._container.add_stream(self.codec, rate=rate, options=options)
            stream.width = self.encoded_width
            stream.height = self.encoded_height
            stream.pix_fmt = "yuv420p"
            cc = stream.codec_context
            cc.time_base = 1 / rate
            cc.colorspace = 1  # BT.709 matrix
            cc.color_primaries = 1  # BT.709
            cc.color_trc = 1  # BT.709
            cc.color_range = 1  # limited ("MPEG") range
            if self.codec == "mpeg4":
                cc.bit_rate = max(400_000, int(self.encoded_width * self.encoded_height * float(rate) * 0.2))
            self._stream = stream
        except Exception as exc:
            self._container.close()
            raise VideoError(f"{self.path}: cannot set up the {self.codec} encoder ({av_message(exc)})") from exc

    def write(self, rgb: np.ndarray) -> None:
        """Encode one frame: an ``HxWx3`` ``uint8`` RGB array of the writer's size."""
        if self._closed:
            raise ValueError(f"{self.path}: the video writer is closed")
        try:
            image = load_image(rgb)
        except ImageError as exc:
            raise VideoError(f"{self.path}: frame {self.frames_written}: {exc}") from exc
        h, w = image.shape[:2]
        if (h, w) != (self.height, self.width):
            raise VideoError(
                f"{self.path}: frame {self.frames_written} is {w}x{h}, but the video is "
                f"{self.width}x{self.height}"
            )
        if self._pad is not None:
            pad = self._pad
            pad[:h, :w] = image
            if w < self.encoded_width:
                pad[:h, w] = image[:, w - 1]
            if h < self.encoded_height:
                pad[h] = pad[h - 1]
            image = pad
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame = self._reformatter.reformat(
            frame,
            format="yuv420p",
            dst_colorspace=Colorspace.ITU709,
            dst_color_range=ColorRange.MPEG,
            threads=1,
        )
        frame.pts = self.frames_written
        frame.time_base = 1 / self.rate
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except Exception as exc:
            raise VideoError(
                f"{self.path}: cannot write frame {self.frames_written} ({av_message(exc)})"
            ) from exc
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file. Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        except Exception as exc:
            self._container.close()
            raise VideoError(f"{self.path}: cannot finish the video ({av_message(exc)})") from exc
        try:
            self._container.close()
        except Exception as exc:
            raise VideoError(f"{self.path}: cannot finish the video ({av_message(exc)})") from exc

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VideoWriter({str(self.path)!r}, {self.width}, {self.height}, fps={self.rate}, "
            f"codec={self.codec!r}, frames_written={self.frames_written})"
        )


# --- messages -----------------------------------------------------------------------------------
