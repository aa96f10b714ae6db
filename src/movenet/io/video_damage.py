"""Signs that a video file lost frames at its end, looked for after the decoder ends cleanly.

These are the index, declared-duration and GIF-trailer checks listed under "Damaged files" in
:mod:`movenet.io.video_file`, which notes the errors seen while demuxing and decoding itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av

__all__ = ["missing_frames_problem"]


def missing_frames_problem(
    stream: Any,
    container: Any,
    path: Path | None,
    *,
    frame_count: int | None,
    decoded: int,
    first_time: float | None,
    last_time: float | None,
    interval: float,
) -> str | None:
    """Why frames seem to be missing at the end of `stream` (a PyAV stream of `container`, read from
    the file `path` or a URL), or ``None``. `frame_count` is the count the container declares,
    `decoded` the frames decoded, `first_time`/`last_time` the first and last frame's time in
    seconds and `interval` the last frame's duration."""
    size = None
    if path is not None:
        try:
            size = path.stat().st_size
        except OSError:
            size = None
    if size is not None:
        ends = [e.pos + e.size for e in stream.index_entries if e.pos >= 0]
        if ends and max(ends) > size:
            return f"the file ends at byte {size} but its index points to data up to byte {max(ends)}"
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
        fewer = frame_count is None or decoded < frame_count
        if length is not None and fewer:
            frames_end = last_time + interval - start
            if length - frames_end > 1.5 * interval:
                counts = f", {decoded} of {frame_count} frames" if frame_count else ""
                return (
                    f"the container declares {length:.3f} s of video but the frames end at "
                    f"{frames_end:.3f} s{counts}"
                )
    if size is not None and container.format.name == "gif" and path is not None:
        try:
            with open(path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                last_byte = fh.read(1)
        except OSError:
            return None
        if last_byte != b";":
            return "the GIF ends without its trailer byte"
    return None
