"""Video input: frames flow one way, source -> :class:`Frame` -> detector -> sinks.

:func:`open_source` opens a video file (decoded with PyAV, streaming), a directory of images or
a camera (OpenCV, optional) as a :class:`FrameSource` that yields :class:`Frame` objects: a
C-contiguous ``HxWx3`` ``uint8`` RGB image and its time in milliseconds from the first frame.
:func:`read_video` is the short form that yields ``(rgb, timestamp_ms)`` pairs.
The video sink, :class:`movenet.io.video_writer.VideoWriter`, is in its own module.

Problems raise :class:`VideoError` with a one-line message naming the file and the problem.

Damaged files
-------------
A video file is decoded to the end even when part of it is damaged: every frame the decoder can
produce is yielded, then :class:`VideoError` is raised ("video is corrupt or truncated after frame
N: reason", N being the number of good frames before the first sign of damage). Damage is seen when

* the demuxer or the decoder reports an error (for example H.264 data overwritten with garbage);
* the demuxer marks a packet as incomplete (the file ends inside a frame: truncated MP4/MOV with the
  index at the front, truncated AVI) or the decoder marks a frame as damaged (concealed errors);
* the container's index points past the end of the file (truncated MP4/MOV with the index at the
  front, even when the cut falls between two frames);
* the frames stop more than 1.5 frame intervals before the duration the container declares, when
  the container also declares more frames than were decoded (or declares no frame count) -- this
  catches truncated Matroska/WebM files, which otherwise end silently. Matroska/WebM only declare a
  duration for the whole file, so the check is made there only when the file holds one stream;
* a GIF does not end with its trailer byte (truncated GIF).

What cannot be seen: damage the decoder conceals without reporting it (some bit flips inside
frame data), a truncated Matroska/WebM file that also holds audio, a MP4/MOV whose index is at the
end (a truncated one cannot be opened at all and raises :class:`VideoError` at open), a GIF damaged
in the middle, and frames lost from the end of a stream whose container declares neither a frame
count nor a duration (raw H.264, MPEG-TS).
"""

from __future__ import annotations

import math
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from movenet.errors import ImageError, MovenetError
from movenet.io.images import IMAGE_EXTENSIONS, _one_line, image_paths, load_image

__all__ = [
    "Frame",
    "FrameSource",
    "VideoError",
    "open_source",
    "read_video",
]

PathLike = str | os.PathLike[str]

# Codecs FFmpeg offers for text files (ANSI art and friends): a .txt file must not become a video.
_TEXT_ART_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})
_TEXT_ART_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})

# A camera that delivers no frame this many times in a row is given up.
_CAMERA_MAX_FAILED_READS = 10


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
    :func:`open_source`) and `frame_count` (``None`` when unknown; for video files it is the count
    the container declares). Use it as a context manager, or call :meth:`close`.
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


# --- video files --------------------------------------------------------------------------------


class VideoFileSource(FrameSource):
    """A video file or URL decoded with PyAV, one frame at a time (see :func:`open_source`)."""

    def __init__(self, spec: PathLike, *, fps: float = 30.0, is_url: bool = False) -> None:
        super().__init__()
        self.name = str(spec)
        self._path = None if is_url else Path(spec)
        if self._path is not None:
            _check_file(self._path)
        try:
            container = av.open(self.name, mode="r", metadata_errors="replace")
        except MemoryError:
            raise
        except av.error.InvalidDataError as exc:
            raise VideoError(
                f"{self.name}: not a video file, or one too damaged to open ({_av_message(exc)})"
            ) from exc
        except Exception as exc:
            raise VideoError(f"{self.name}: cannot open video ({_av_message(exc)})") from exc
        self._container: Any = container
        try:
            self._stream: Any = self._pick_stream(container)
            self._setup(fps)
        except BaseException:
            container.close()
            raise

    def _pick_stream(self, container: Any) -> Any:
        if container.format.name in _TEXT_ART_FORMATS:
            raise VideoError(f"{self.name}: not a video file (FFmpeg reads it as {container.format.name} text)")
        videos = [
            s
            for s in container.streams.video
            if not (s.disposition & av.stream.Disposition.attached_pic)
            and s.codec_context.name not in _TEXT_ART_CODECS
        ]
        if not videos:
            kinds = sorted({s.type for s in container.streams})
            if container.streams.video:
                what = "only a still picture (cover art)"
            elif kinds:
                what = " and ".join(kinds) + " only"
            else:
                what = "no streams at all"
            raise VideoError(f"{self.name}: no video stream (the file holds {what})")
        return videos[0]

    def _setup(self, default_fps: float) -> None:
        stream = self._stream
        stream.thread_type = "AUTO"  # frame and slice threads: decoding runs beside the caller
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        self.fps = float(rate) if rate and float(rate) > 0 and math.isfinite(float(rate)) else default_fps
        self.frame_count = int(stream.frames) if stream.frames and stream.frames > 0 else None
        self._reformatter = VideoReformatter()
        self._coded_size: tuple[int, int] | None = None  # decoded width, height of the first frame
        self._problem: tuple[int, str] | None = None
        self._decoded = 0
        # Decode the first frame now: it gives the displayed size (after rotation) and shows at
        # open time a file from which nothing can be decoded.
        self._frames = self._generate()
        try:
            self._first: Frame | None = next(self._frames)
        except StopIteration:
            raise VideoError(f"{self.name}: the video stream holds no frames") from None
        self.height, self.width = self._first.image.shape[:2]

    def __next__(self) -> Frame:
        if self._first is not None and not self._closed:
            first, self._first = self._first, None
            return first
        return super().__next__()

    def _release(self) -> None:
        self._first = None
        self._container.close()

    def _generate(self) -> Iterator[Frame]:
        stream = self._stream
        codec = stream.codec_context
        first_time: float | None = None
        last_time: float | None = None
        last_interval = 1.0 / self.fps
        packets = self._container.demux(stream)
        packet_index = 0  # data packets demuxed so far; packet k holds (about) frame k
        flushed = False
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as exc:
                self._note(f"cannot read the file past this point ({_av_message(exc)})", packet_index)
                break
            if packet.size == 0:
                flushed = True
            else:
                if packet.is_corrupt:
                    where = f" at byte {packet.pos}" if packet.pos is not None and packet.pos >= 0 else ""
                    self._note(f"incomplete or damaged data{where}", packet_index)
                packet_index += 1
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                self._note(f"the decoder failed ({_av_message(exc)})", max(packet_index - 1, 0))
                continue
            for vf in frames:
                frame, first_time, last_time, last_interval = self._convert(vf, first_time, last_interval)
                yield frame
        if not flushed:  # the demuxer stopped on an error: get the frames still inside the decoder
            try:
                frames = codec.decode(None)
            except av.FFmpegError:
                frames = []
            for vf in frames:
                frame, first_time, last_time, last_interval = self._convert(vf, first_time, last_interval)
                yield frame
        if self._problem is None:
            self._check_complete(first_time, last_time, last_interval)
        if self._problem is not None:
            n, reason = self._problem
            n = min(n, self._decoded)  # packet k can be past the last frame the decoder gave back
            raise VideoError(f"{self.name}: video is corrupt or truncated after frame {n}: {reason}")

    def _convert(
        self, vf: Any, first_time: float | None, interval: float
    ) -> tuple[Frame, float | None, float | None, float]:
        if vf.is_corrupt:
            self._note("the decoder reported a damaged frame")
        if self._coded_size is None:
            self._coded_size = (vf.width, vf.height)
        width, height = self._coded_size
        # One reformatter for all frames (its scaler is reused); a mid-stream size change is scaled
        # back to the first frame's size so that every frame of a source has the same shape.
        rgb = self._reformatter.reformat(vf, width=width, height=height, format="rgb24", threads=1)
        image: np.ndarray = rgb.to_ndarray()
        turns = _quarter_turns(vf)
        if turns:
            image = np.rot90(image, turns)
        if not image.flags.c_contiguous:
            image = np.ascontiguousarray(image)
        t = vf.time
        index = self._decoded
        if t is None:
            ms = index * 1000.0 / self.fps
        else:
            if first_time is None:
                first_time = t
            ms = (t - first_time) * 1000.0
        if vf.duration and vf.time_base:
            interval = float(vf.duration * vf.time_base)
        self._decoded += 1
        return Frame(image, ms, index, self.name), first_time, t, interval

    def _note(self, reason: str, frame: int | None = None) -> None:
        """Remember the first problem: `reason`, seen at `frame` (default: the frames decoded so far)."""
        if self._problem is None:
            self._problem = (self._decoded if frame is None else frame, reason)

    def _check_complete(self, first_time: float | None, last_time: float | None, interval: float) -> None:
        """After a clean end of stream: look for signs that frames are missing at the end."""
        stream = self._stream
        container = self._container
        size = None
        if self._path is not None:
            try:
                size = self._path.stat().st_size
            except OSError:
                size = None
        if size is not None:
            ends = [e.pos + e.size for e in stream.index_entries if e.pos >= 0]
            if ends and max(ends) > size:
                self._note(f"the file ends at byte {size} but its index points to data up to byte {max(ends)}")
                return
        if last_time is not None:
            start: float | None = None
            length: float | None = None
            if stream.duration and stream.time_base:
                length = float(stream.duration * stream.time_base)
                if stream.start_time is not None:
                    start = float(stream.start_time * stream.time_base)
            elif container.duration and len(container.streams) == 1:
                length = container.duration / av.time_base
                if container.start_time is not None:
                    start = container.start_time / av.time_base
            if start is None:
                start = first_time if first_time is not None else 0.0
            fewer = self.frame_count is None or self._decoded < self.frame_count
            if length is not None and fewer:
                frames_end = last_time + interval - start
                if length - frames_end > 1.5 * interval:
                    counts = f", {self._decoded} of {self.frame_count} frames" if self.frame_count else ""
                    self._note(
                        f"the container declares {length:.3f} s of video but the frames end at "
                        f"{frames_end:.3f} s{counts}"
                    )
                    return
        if size is not None and container.format.name == "gif" and self._path is not None:
            try:
                with open(self._path, "rb") as fh:
                    fh.seek(-1, os.SEEK_END)
                    last_byte = fh.read(1)
            except OSError:
                return
            if last_byte != b";":
                self._note("the GIF ends without its trailer byte")


def _quarter_turns(vf: Any) -> int:
    """Counter-clockwise quarter turns that show the frame upright (display-matrix rotation)."""
    try:
        degrees = vf.rotation
    except Exception:  # no display matrix, or one PyAV cannot read
        return 0
    if not degrees:
        return 0
    return round(float(degrees) / 90.0) % 4


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise VideoError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise VideoError(f"{path}: cannot access file ({_one_line(exc)})") from exc
    if st.st_size == 0:
        raise VideoError(f"{path}: file is empty (0 bytes)")


# --- image directories --------------------------------------------------------------------------


class ImageFolderSource(FrameSource):
    """The image files of a directory, sorted by name, as frames ``k * 1000 / fps`` ms apart.

    Every image must have the size of the first one (a video has one frame size)."""

    def __init__(self, directory: PathLike, *, fps: float = 30.0) -> None:
        super().__init__()
        self.name = str(directory)
        try:
            self._paths = image_paths([directory])
        except ImageError as exc:
            raise VideoError(str(exc)) from exc
        if not self._paths:
            kinds = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise VideoError(f"{self.name}: directory holds no image files ({kinds})")
        self._first: np.ndarray | None = self._load(self._paths[0])
        self.height, self.width = self._first.shape[:2]
        self.fps = float(fps)
        self.frame_count = len(self._paths)

    @staticmethod
    def _load(path: Path) -> np.ndarray:
        try:
            return load_image(path)
        except ImageError as exc:
            raise VideoError(str(exc)) from exc

    def _generate(self) -> Iterator[Frame]:
        for k, path in enumerate(self._paths):
            if k == 0 and self._first is not None:
                image, self._first = self._first, None
            else:
                image = self._load(path)
            if image.shape[:2] != (self.height, self.width):
                raise VideoError(
                    f"{path}: image is {image.shape[1]}x{image.shape[0]}, but the first image of "
                    f"{self.name} is {self.width}x{self.height}; all frames must have one size"
                )
            yield Frame(image, k * 1000.0 / self.fps, k, str(path))

    def _release(self) -> None:
        self._first = None


# --- cameras ------------------------------------------------------------------------------------


class CameraSource(FrameSource):
    """An OpenCV camera (``cv2.VideoCapture(index)``); timestamps from a monotonic clock."""

    def __init__(self, index: int, *, fps: float = 30.0) -> None:
        super().__init__()
        self.name = f"camera {index}"
        try:
            import cv2
        except ImportError as exc:
            raise VideoError(
                f"{self.name}: reading cameras needs OpenCV; install it with "
                "`pip install opencv-python-headless`"
            ) from exc
        self._cv2: Any = cv2
        capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            capture.release()
            raise VideoError(f"{self.name}: cannot open the camera (is it connected and not in use?)")
        self._capture: Any = capture
        self.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        rate = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = rate if rate > 0 and math.isfinite(rate) else float(fps)
        self.frame_count = None

    def _generate(self) -> Iterator[Frame]:
        cv2 = self._cv2
        start: float | None = None
        index = 0
        failures = 0
        while True:
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                failures += 1
                if failures >= _CAMERA_MAX_FAILED_READS:
                    raise VideoError(
                        f"{self.name}: the camera stopped delivering frames after frame {index}"
                    )
                time.sleep(0.01)
                continue
            failures = 0
            now = time.monotonic()
            if start is None:
                start = now
            if bgr.ndim == 2:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
            elif bgr.shape[2] == 4:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
            else:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
            if index == 0:
                self.height, self.width = rgb.shape[:2]
            yield Frame(rgb, (now - start) * 1000.0, index, self.name)
            index += 1

    def _release(self) -> None:
        self._capture.release()


# --- opening ------------------------------------------------------------------------------------


def open_source(spec: PathLike | int, *, fps: float = 30.0) -> FrameSource:
    """Open a source of frames.

    `spec` is

    * a video file (mp4, mov, avi, mkv, webm, gif, ... anything FFmpeg reads; a single image
      file is a one-frame video), decoded with PyAV one frame at a time. ``timestamp_ms`` comes
      from each frame's presentation time, relative to the first frame (``index * 1000 / fps`` for
      frames without one). Rotation metadata (phone videos) is applied. See the module docstring
      for how damaged files are reported;
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


# --- writing ------------------------------------------------------------------------------------


def _av_message(exc: BaseException) -> str:
    """A one-line reason from a PyAV/FFmpeg exception, without the file name FFmpeg appends."""
    text = getattr(exc, "strerror", None) if isinstance(exc, av.FFmpegError) else None
    return _one_line(text or exc)


def prefetch(frames: Iterable[Frame], depth: int = 8) -> Generator[Frame, None, None]:
    """Decode ahead in a background thread, so decoding overlaps inference (PyAV and ONNX Runtime
    both release the GIL). Errors from the source are re-raised in order, after the frames before
    them; the queue is bounded, so memory stays flat."""
    import queue
    import threading

    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        q.put(("frame", frame), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(("error", exc))

    thread = threading.Thread(target=work, name="movenet-decode", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "frame":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        thread.join(timeout=5)
