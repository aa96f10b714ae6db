"""Server-wide state (limits, shared networks) and each WebSocket client's session, which owns its
own detector so that two clients never share smoothing or tracking state."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from movenet.api import PoseDetector
from movenet.errors import ModelFileError
from movenet.io.results import frame_record
from movenet.models.fetch import model_files
from movenet.registry import get_entry
from movenet.types import Pose
from movenet.web.errors import ApiError, error_message
from movenet.web.masks import with_masks
from movenet.web.messages import DEFAULT_STREAM_IDLE_S, decode_image, parse_json, split_frame_message
from movenet.web.networks import NetworkPool
from movenet.web.options import StreamConfig

__all__ = ["DecodedFrame", "FrameEvent", "ServerState", "StreamSession"]

log = logging.getLogger("movenet.web")


@dataclass(frozen=True)
class FrameEvent:
    """What a ``frame_hook`` sees after each stream frame (called in the worker thread)."""

    stream: int
    header: dict[str, Any]
    image: bytes
    reply: dict[str, Any]


@dataclass(frozen=True)
class DecodedFrame:
    """A stream frame message split and decoded: its header, JPEG/PNG bytes, RGB pixels, the
    timestamp it will be detected at (and whether the client or the server gave it)."""

    header: dict[str, Any]
    image: bytes
    rgb: np.ndarray
    timestamp_ms: float
    decode_ms: float

    @property
    def timestamp_source(self) -> str:
        """Who gave the timestamp: "client" (the frame's header) or "server" (its arrival)."""
        return "server" if self.header.get("timestamp_ms") is None else "client"


@dataclass
class ServerState:
    """What every request and stream shares: the network pool, the limits, the frame hook, counters."""

    pool: NetworkPool
    model_dir: str | Path | None
    max_body_bytes: int
    max_pixels: int
    frame_hook: Callable[[FrameEvent], None] | None
    stream_idle_s: float = DEFAULT_STREAM_IDLE_S
    streams: int = 0
    stream_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _available: set[str] = field(default_factory=set)

    def available(self, name: str) -> bool:
        """Whether the model's weights are present and intact (checked once when they are)."""
        if name in self._available or name in self.pool.loaded():
            return True
        try:
            for graph in get_entry(name).graphs:
                model_files(graph, self.model_dir, fetch=False)
        except (ModelFileError, ValueError):
            return False
        self._available.add(name)
        return True

    def detect_image(self, config: StreamConfig, body: bytes) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        rgb = decode_image(body, self.max_pixels, "request body")
        detector = config.build(self.pool)
        poses = detector.estimate_poses(rgb)
        height, width = rgb.shape[:2]
        return _frame_json(0, width, height, poses), (time.perf_counter() - start) * 1000


class StreamSession:
    """One WebSocket client's state: its config and its own detector (smoothing, crop, tracks)."""

    def __init__(self, server: ServerState, config: StreamConfig) -> None:
        self.server = server
        self.config = config
        self.detector: PoseDetector | None = None
        self.frames = 0
        self.opened = time.monotonic()
        self.id = next(server.stream_ids)

    def decode_frame(self, data: bytes, received_ms: float) -> DecodedFrame | dict[str, Any]:
        """Split and decode one frame message (thread-safe: it may run ahead of the detection of the
        frames before it); the error reply when it cannot be decoded."""
        frame_id = None
        try:
            header, image = split_frame_message(data)
            frame_id = header.get("id")
            timestamp = header.get("timestamp_ms")
            start = time.perf_counter()
            rgb = decode_image(image, self.server.max_pixels, "frame")
            return DecodedFrame(header, image, rgb, received_ms if timestamp is None else timestamp,
                                (time.perf_counter() - start) * 1000)
        except Exception as exc:
            return self._frame_error(exc, frame_id)

    def handle_frame(self, frame: DecodedFrame | dict[str, Any]) -> dict[str, Any]:
        """Detect the poses in one frame (what :meth:`decode_frame` made of its message), in the
        stream's worker thread, frames in order; the reply message."""
        if not isinstance(frame, DecodedFrame):
            return frame  # the frame's error reply
        frame_id = frame.header.get("id")
        try:
            start = time.perf_counter()
            if self.detector is None:
                self.detector = self.config.build(self.server.pool)
            poses = self.detector.estimate_poses(frame.rgb, float(frame.timestamp_ms))
            elapsed = (time.perf_counter() - start) * 1000 + frame.decode_ms
            height, width = frame.rgb.shape[:2]
            reply = {"type": "poses", "id": frame_id, "model": self.config.model, "smoothing": self.config.smoothing,
                     "timestamp_ms": frame.timestamp_ms, "timestamp_source": frame.timestamp_source,
                     "inference_ms": round(elapsed, 3),
                     "frame": _frame_json(self.frames, width, height, poses, frame.timestamp_ms)}
            self.frames += 1
        except Exception as exc:
            return self._frame_error(exc, frame_id)
        if self.server.frame_hook is not None:
            try:
                self.server.frame_hook(FrameEvent(self.id, frame.header, frame.image, reply))
            except Exception:
                log.exception("frame_hook failed")
        return reply

    def _frame_error(self, exc: Exception, frame_id: Any) -> dict[str, Any]:  # noqa: ANN401 - the client's id
        """The error reply for a frame that failed: the client's mistake as its status, missing
        model files as 503, anything else (a bug) logged and answered 500; the stream goes on."""
        if isinstance(exc, ApiError):
            return error_message(exc.status, exc.message, frame_id)
        if isinstance(exc, ModelFileError):
            return error_message(503, str(exc), frame_id)
        log.error("stream %d: frame %r failed", self.id, frame_id, exc_info=exc)
        return error_message(500, f"internal error: {type(exc).__name__}", frame_id)

    def handle_text(self, text: str) -> dict[str, Any]:
        """Answer one control message (runs in the stream's worker thread, in order with the frames)."""
        try:
            message = parse_json(text, "text message")
        except ApiError as exc:
            return error_message(400, f"{exc.message}; text messages must be JSON objects such as "
                                      '{"type": "config", "model": "thunder"}')
        if not isinstance(message, dict):
            return error_message(400, "text messages must be JSON objects")
        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong"}
        if kind == "reset":
            if self.detector is not None:
                self.detector.reset()
            return {"type": "reset"}
        if kind == "config":
            changes = {k: v for k, v in message.items() if k != "type"}
            try:
                config = self.config.updated(changes)
            except ValueError as exc:
                return error_message(422, str(exc))
            try:
                config.build(self.server.pool)  # loads its networks now
            except ModelFileError as exc:
                return error_message(503, str(exc))
            except ValueError as exc:  # e.g. decoder="heads" at precision int8
                return error_message(422, str(exc))
            if config != self.config:
                self.config = config
                self.detector = None  # fresh temporal state for the new settings
            return {"type": "config", "config": self.config.to_json(),
                    "skeleton": get_entry(self.config.model).skeleton.to_json()}
        return error_message(400, f"unknown message type {kind!r}; expected config, reset "
                                  "or ping (frames are binary messages)")


def _frame_json(index: int, width: int, height: int, poses: list[Pose], timestamp_ms: float | None = None,
                ) -> dict[str, Any]:
    """One frame's poses as the JSON record the CLI writes, each pose's mask as a compact PNG."""
    extra = {} if timestamp_ms is None else {"timestamp_ms": timestamp_ms}
    return with_masks(frame_record(index, None, width, height, poses, **extra), [p.segmentation for p in poses])
