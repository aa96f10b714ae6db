"""Frames and where they come from: the :class:`Frame` record, the :class:`FrameSource` interface
every source implements, and :class:`VideoError`."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from movenet.errors import MovenetError

__all__ = ["Frame", "FrameSource", "PathLike", "VideoError"]

PathLike = str | os.PathLike[str]


class VideoError(MovenetError, ValueError):
    """A video, image directory or camera could not be opened, read or written."""


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame of a source.

    `image` is a C-contiguous ``HxWx3`` ``uint8`` RGB array, `timestamp_ms` the frame's time in
    milliseconds from the source's first frame (which is at 0), `index` its position in the source
    (0, 1, 2, ...) and `source` the source's name (file path or ``"camera N"``).
    """

    image: np.ndarray
    timestamp_ms: float
    index: int
    source: str


class FrameSource(ABC):
    """An iterator of :class:`Frame`, read once from start to end.

    Attributes: `name` (file path or ``"camera N"``), `width` and `height` (of every frame),
    `fps` (the source's average frame rate where known, else the `fps` given to
    :func:`movenet.io.video.open_source`) and `frame_count` (``None`` when unknown; for video
    files it is the count the container declares). Use it as a context manager, or call :meth:`close`.
    """

    name: str
    width: int
    height: int
    fps: float
    frame_count: int | None

    def __init__(self) -> None:
        self._frames: Iterator[Frame] | None = None
        self._closed = False

    @abstractmethod
    def _generate(self) -> Iterator[Frame]:
        """Yield the frames; called once, on the first ``next()``."""

    @abstractmethod
    def _release(self) -> None:
        """Free what the source holds (files, devices). Called once, by :meth:`close`."""

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        if self._closed:
            raise ValueError(f"{self.name}: the frame source is closed")
        if self._frames is None:
            self._frames = self._generate()
        return next(self._frames)

    def close(self) -> None:
        """Stop reading and free the file or camera. Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._frames is not None and hasattr(self._frames, "close"):
                self._frames.close()
        finally:
            self._release()

    def __enter__(self) -> FrameSource:
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
            f"{type(self).__name__}(name={self.name!r}, width={self.width}, height={self.height}, "
            f"fps={self.fps:g}, frame_count={self.frame_count})"
        )
