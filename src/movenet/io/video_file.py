"""Video files and URLs as frame sources, decoded with PyAV one frame at a time, damage reported.

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from movenet.io.frames import Frame, FrameSource, PathLike, VideoError
from movenet.io.images import _one_line
from movenet.io.video_damage import missing_frames_problem

__all__ = ["VideoFileSource", "av_message"]

# Codecs FFmpeg offers for text files (ANSI art and friends): a .txt file must not become a video.
_TEXT_ART_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})
_TEXT_ART_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})


class VideoFileSource(FrameSource):
    """A video file or URL decoded with PyAV, one frame at a time (see :func:`movenet.io.video.open_source`)."""

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
                f"{self.name}: not a video file, or one too damaged to open ({av_message(exc)})"
            ) from exc
        except Exception as exc:
            raise VideoError(f"{self.name}: cannot open video ({av_message(exc)})") from exc
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
            and s.codec_context is not None  # a truncated header can leave a stream without codec
            and s.codec_context.name not in _TEXT_ART_CODECS
        ]
        if not videos:
            kinds = sorted({s.type for s in container.streams})
            if any(s.codec_context is None for s in container.streams.video):
                what = "a video stream without codec parameters: damaged or truncated"
            elif container.streams.video:
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
                self._note(f"cannot read the file past this point ({av_message(exc)})", packet_index)
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
                self._note(f"the decoder failed ({av_message(exc)})", max(packet_index - 1, 0))
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
        reason = missing_frames_problem(self._stream, self._container, self._path, frame_count=self.frame_count,
                                        decoded=self._decoded, first_time=first_time, last_time=last_time,
                                        interval=interval)
        if reason is not None:
            self._note(reason)


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


def av_message(exc: BaseException) -> str:
    """A one-line reason from a PyAV/FFmpeg exception, without the file name FFmpeg appends."""
    text = getattr(exc, "strerror", None) if isinstance(exc, av.FFmpegError) else None
    return _one_line(text or exc)
