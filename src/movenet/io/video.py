"""Video input: frames flow one way, source -> :class:`Frame` -> detector -> sinks.

:func:`open_source` opens a video file (decoded with PyAV, streaming), a directory of images or
a camera (OpenCV, optional) as a :class:`FrameSource` that yields :class:`Frame` objects: a
C-contiguous ``HxWx3`` ``uint8`` RGB image and its time in milliseconds from the first frame.
:func:`read_video` is the short form that yields ``(rgb, timestamp_ms)`` pairs.
The video sink, :class:`movenet.io.video_writer.VideoWriter`, is in its own module.

Problems raise :class:`VideoError` with a one-line message naming the file and the problem.

How damaged files are detected and reported is described in :mod:`movenet.io.video_file`.
The sources themselves live in :mod:`movenet.io.video_file`, :mod:`movenet.io.image_folder` and
:mod:`movenet.io.camera`, on the :class:`FrameSource` interface of :mod:`movenet.io.frames`;
:func:`prefetch` (:mod:`movenet.io.prefetch`) decodes ahead in a background thread.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from movenet.io.camera import CameraSource
from movenet.io.frames import Frame, FrameSource, PathLike, VideoError
from movenet.io.image_folder import ImageFolderSource
from movenet.io.prefetch import prefetch as prefetch  # re-exported: callers import it from here
from movenet.io.video_file import VideoFileSource

__all__ = [
    "Frame",
    "FrameSource",
    "VideoError",
    "open_source",
    "read_video",
]


def open_source(spec: PathLike | int, *, fps: float = 30.0) -> FrameSource:
    """Open a source of frames.

    `spec` is

    * a video file (mp4, mov, avi, mkv, webm, gif, ... anything FFmpeg reads; a single image
      file is a one-frame video), decoded with PyAV one frame at a time. ``timestamp_ms`` comes
      from each frame's presentation time, relative to the first frame (``index * 1000 / fps`` for
      frames without one). Rotation metadata (phone videos) is applied. See
      :mod:`movenet.io.video_file` for how damaged files are reported;
    * a directory: its image files sorted by name (see :func:`movenet.io.images.image_paths`),
      ``k * 1000 / fps`` ms apart;
    * a camera: an ``int``, or a string of digits that is not the name of an existing file or
      directory ("0"). Needs OpenCV (``opencv-python-headless``);
    * a URL (a string with ``://``, e.g. ``rtsp://...``), handed to FFmpeg as is.

    `fps` is the frame rate of directories, of videos that do not declare one, and of cameras that
    do not report one. Errors raise :class:`VideoError`.
    """
    if not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, not {fps!r}")
    if isinstance(spec, bool):
        raise TypeError("cannot use a bool as a frame source; pass a path, a URL or a camera index")
    if isinstance(spec, int):
        if spec < 0:
            raise VideoError(f"camera {spec}: camera indices start at 0")
        return CameraSource(spec, fps=fps)
    if isinstance(spec, str):
        text = spec.strip()
        if text.isdigit() and text.isascii() and not os.path.exists(spec):
            return CameraSource(int(text), fps=fps)
        if "://" in spec:
            return VideoFileSource(spec, fps=fps, is_url=True)
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(
            f"cannot use a {type(spec).__name__} as a frame source; pass a path, a URL or a camera index"
        )
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, fps=fps)
    return VideoFileSource(path, fps=fps)


def read_video(spec: PathLike | int, *, fps: float = 30.0) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(rgb, timestamp_ms)`` for each frame of `spec` (see :func:`open_source`)::

        for frame, t_ms in movenet.read_video("squat.mp4"):
            ...

    The source is opened at once (a missing or unreadable file raises here, not at the first
    frame) and closed when the loop ends or the iterator is dropped."""
    source = open_source(spec, fps=fps)
    return _pairs(source)


def _pairs(source: FrameSource) -> Iterator[tuple[np.ndarray, float]]:
    with source:
        for frame in source:
            yield frame.image, frame.timestamp_ms
