"""The local web server: live demo page, HTTP API and WebSocket stream (FastAPI).

Endpoints (``create_app()``; ``movenet serve`` runs it with uvicorn on 127.0.0.1:8000):

``GET /``
    The live demo: webcam (or a local video file) -> JPEG frames over ``/v1/stream`` -> poses drawn
    over the video, FPS and latency shown. Everything it loads comes from this server (works offline).
``POST /v1/poses?model=lightning``
    The body is one image (JPEG, PNG, WebP, ... as raw bytes). Returns one frame of
    ``movenet detect --json``: ``{"index": 0, "source": null, "width", "height", "poses": [...]}``.
    Every request is an independent image (fresh detector state). Query: ``model``
    (lightning|thunder|multipose, TF.js names too), ``min_pose_score``, and for multipose
    ``tracker``, ``max_poses``, ``multipose_max_dim``.
``GET /v1/models``, ``GET /healthz``
    The models (weights present? loaded?) and a liveness check.
``GET /docs``, ``GET /openapi.json``
    API docs: a page of our own that renders ``/openapi.json`` (FastAPI's Swagger UI page loads
    its code from a CDN, so it is switched off; ReDoc too).

Errors are JSON ``{"error": "<message>", "status": <code>}``: 400 (empty, corrupt or truncated
image, bad Content-Length), 413 (body over ``max_body_bytes``, checked on Content-Length and on the
bytes actually streamed; image over ``max_pixels``), 415 (a Content-Type that is not an image, or
bytes no decoder recognises), 422 (unknown model, option out of range), 503 (weights missing).

WebSocket ``/v1/stream`` (query parameters may set the initial config, e.g. ``?model=thunder``):

* server -> client on connect: ``{"type": "hello", "protocol": 1, "version", "models", "config",
  "max_message_bytes"}``.
* client -> server, a **binary** message = one frame. Either the bare image bytes (JPEG/PNG/...),
  or ``uint32 big-endian N`` + ``N`` bytes of UTF-8 JSON header + the image bytes. Header fields
  (all optional): ``"id"`` (int or string, echoed back), ``"timestamp_ms"`` (the frame's capture
  time in ms, e.g. ``performance.now()``; it drives smoothing and tracking). Without a timestamp
  the server's receive time is used (ms since the stream opened, monotonic clock).
* server -> client per frame: ``{"type": "poses", "id", "model", "smoothing", "timestamp_ms",
  "timestamp_source": "client"|"server", "inference_ms", "frame": {<one frame of movenet track's
  JSON: index, source null, width, height, timestamp_ms, poses>}}``. Frames are answered in order.
* client -> server, **text** JSON: ``{"type": "config", "model"?, "smoothing"?, "min_pose_score"?,
  "tracker"?, "max_poses"?, "multipose_max_dim"?}`` (fields not given keep their value; any change
  starts a fresh detector state) -> ``{"type": "config", "config": {...}}``; ``{"type": "reset"}``
  -> ``{"type": "reset"}``; ``{"type": "ping"}`` -> ``{"type": "pong"}``.
* errors: ``{"type": "error", "status": <http-like code>, "error": "<message>", "id": <frame id or
  null>}``; the stream stays open, except for a message over the size limit (then closed with
  1009) and a cross-origin browser connection (refused, 1008).

Each WebSocket has its own detector (crop state, one-euro filters, tracker): two clients never
share smoothing or tracking state. Networks are loaded once per model, lazily (or up front with
``preload``), and shared by all requests and streams; inference runs in the threadpool, off the
event loop. ONNX Runtime's ``InferenceSession.run`` is thread-safe, so no lock is held around it;
each detector owns its input buffers, and one stream's frames are processed one after another.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, Query, Request, WebSocket
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect

from movenet.constants import MULTIPOSE_DEFAULT_MAX_DIMENSION
from movenet.detector import PoseDetector, canonical_model_name, detector_on_network
from movenet.errors import ImageError, ModelFileError
from movenet.io.images import load_image
from movenet.io.images import max_pixels as movenet_max_pixels
from movenet.io.results import frame_record
from movenet.models.catalog import MODEL_NAMES
from movenet.multipose import check_multipose_options, tracker_type_name
from movenet.runtime import Backend

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_PIXELS",
    "PROTOCOL_VERSION",
    "STATIC_DIR",
    "ApiError",
    "FrameEvent",
    "NetworkPool",
    "StreamConfig",
    "create_app",
    "decode_image",
    "pack_frame",
    "split_frame_message",
]

log = logging.getLogger("movenet.web")

#: Largest request body / WebSocket frame message accepted by default (``--max-body-mb``).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
#: Largest decoded image (width x height) accepted by default: a small compressed file can hold a
#: huge image, and the server must not be made to allocate gigabytes for one request.
DEFAULT_MAX_PIXELS = 40_000_000
#: Largest JSON header in a binary frame message, and largest text (control) message.
MAX_HEADER_BYTES = 64 * 1024
PROTOCOL_VERSION = 1
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Pages get a strict Content-Security-Policy: everything from this server, nothing from elsewhere.
#: ``{connect}`` becomes this server's own WebSocket origin (older Safari does not count ws: as 'self').
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _page_headers(host: str | None) -> dict[str, str]:
    connect = f" ws://{host} wss://{host}" if host and _HOST.fullmatch(host) else ""
    return {"Content-Security-Policy": CSP.format(connect=connect), "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}

MODEL_DESCRIPTIONS = {
    "lightning": "SinglePose Lightning: one person, 192x192 input, fastest",
    "thunder": "SinglePose Thunder: one person, 256x256 input, most accurate",
    "multipose": "MultiPose Lightning: up to 6 people with boxes and track ids",
}

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")

NetworkLoader = Callable[[str], Backend]


class ApiError(Exception):
    """An error answered to the client: an HTTP-like status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "status": status, **extra}


# --- networks ----------------------------------------------------------------------------------


class NetworkPool:
    """Loads each model's network once, on first use, and shares it (thread-safe)."""

    def __init__(self, loader: NetworkLoader) -> None:
        self._loader = loader
        self._networks: dict[str, Backend] = {}
        self._locks = {name: threading.Lock() for name in MODEL_NAMES}

    def get(self, name: str) -> Backend:
        network = self._networks.get(name)
        if network is not None:
            return network
        with self._locks[name]:  # two first requests for a model load it once
            network = self._networks.get(name)
            if network is None:
                log.info("loading the %s network", name)
                network = self._loader(name)
                self._networks[name] = network
        return network

    def loaded(self) -> list[str]:
        return [name for name in MODEL_NAMES if name in self._networks]


# --- detector options --------------------------------------------------------------------------


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _parse_number(value: Any, *, integer: bool = False) -> float | int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    if integer:
        if value != int(value):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    return float(value)


@dataclass(frozen=True)
class StreamConfig:
    """Detector options of a request or a stream. ``tracker`` "none" turns multipose tracking off."""

    model: str = "lightning"
    smoothing: bool = True
    min_pose_score: float | None = None
    tracker: str = "boundingBox"
    max_poses: int | None = None
    multipose_max_dim: int = MULTIPOSE_DEFAULT_MAX_DIMENSION

    def updated(self, changes: Mapping[str, Any]) -> StreamConfig:
        """A copy with `changes` applied (JSON values or query strings); ValueError names the bad field."""
        known = {f.name for f in fields(self)}
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known: {', '.join(sorted(known))}")
            try:
                if key == "model":
                    if not isinstance(raw, str):
                        raise ValueError(f"expected a model name, got {raw!r}")
                    values[key] = canonical_model_name(raw)
                elif key == "smoothing":
                    values[key] = _parse_bool(raw)
                elif key == "min_pose_score":
                    values[key] = _parse_number(raw)
                elif key in ("max_poses", "multipose_max_dim"):
                    number = _parse_number(raw, integer=True)
                    if number is None and key == "multipose_max_dim":
                        number = MULTIPOSE_DEFAULT_MAX_DIMENSION
                    values[key] = number
                elif key == "tracker":
                    kind = tracker_type_name(raw if isinstance(raw, str) or raw is None else str(raw))
                    values[key] = "none" if kind is None else kind
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{key}: {exc}") from None
        config = replace(self, **values)
        check_multipose_options(min_pose_score=config.min_pose_score, max_dimension=config.multipose_max_dim,
                                tracker=config.tracker, max_poses=config.max_poses)
        return config

    def build(self, network: Backend) -> PoseDetector:
        """A fresh detector (no temporal state) on the shared `network`."""
        return detector_on_network(self.model, network, enable_smoothing=self.smoothing,
                                   min_pose_score=self.min_pose_score, tracker=tracker_type_name(self.tracker),
                                   max_poses=self.max_poses, multipose_max_dimension=self.multipose_max_dim)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- images and frame messages -----------------------------------------------------------------


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
    try:
        header = json.loads(data[4:4 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "frame message header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise ApiError(400, "frame message header must be a JSON object")
    frame_id = header.get("id")
    if frame_id is not None and (isinstance(frame_id, bool) or not isinstance(frame_id, (int, str))):
        raise ApiError(400, f"frame id must be an integer or a string, got {frame_id!r}")
    timestamp = header.get("timestamp_ms")
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float))
                                  or not math.isfinite(timestamp)):
        raise ApiError(400, f"timestamp_ms must be a finite number of milliseconds, got {timestamp!r}")
    return header, data[4 + size:]


@dataclass(frozen=True)
class FrameEvent:
    """What a ``frame_hook`` sees after each stream frame (called in the worker thread)."""

    stream: int
    header: dict[str, Any]
    image: bytes
    reply: dict[str, Any]


# --- server state and streams ------------------------------------------------------------------


@dataclass
class _Server:
    pool: NetworkPool
    model_dir: str | Path | None
    max_body_bytes: int
    max_pixels: int
    frame_hook: Callable[[FrameEvent], None] | None
    streams: int = 0
    stream_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _available: set[str] = field(default_factory=set)

    def available(self, name: str) -> bool:
        """Whether the model's weights are present and intact (checked once when they are)."""
        if name in self._available or name in self.pool.loaded():
            return True
        from movenet.models.fetch import model_files

        try:
            model_files(name, self.model_dir, fetch=False)
        except (ModelFileError, ValueError):
            return False
        self._available.add(name)
        return True

    def detect_image(self, config: StreamConfig, body: bytes) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        rgb = decode_image(body, self.max_pixels, "request body")
        detector = config.build(self.pool.get(config.model))
        poses = detector.estimate_poses(rgb)
        height, width = rgb.shape[:2]
        return frame_record(0, None, width, height, poses), (time.perf_counter() - start) * 1000


class _Stream:
    """One WebSocket client's state: its config and its own detector (smoothing, crop, tracks)."""

    def __init__(self, server: _Server, config: StreamConfig) -> None:
        self.server = server
        self.config = config
        self.detector: PoseDetector | None = None
        self.frames = 0
        self.opened = time.monotonic()
        self.id = next(server.stream_ids)

    def handle_frame(self, data: bytes, received_ms: float) -> dict[str, Any]:
        """Decode and detect one frame (runs in the threadpool); the reply message."""
        frame_id = None
        try:
            header, image = split_frame_message(data)
            frame_id = header.get("id")
            timestamp = header.get("timestamp_ms")
            source = "client" if timestamp is not None else "server"
            if timestamp is None:
                timestamp = received_ms
            start = time.perf_counter()
            rgb = decode_image(image, self.server.max_pixels, "frame")
            if self.detector is None:
                self.detector = self.config.build(self.server.pool.get(self.config.model))
            poses = self.detector.estimate_poses(rgb, float(timestamp))
            elapsed = (time.perf_counter() - start) * 1000
            height, width = rgb.shape[:2]
            reply = {"type": "poses", "id": frame_id, "model": self.config.model, "smoothing": self.config.smoothing,
                     "timestamp_ms": timestamp, "timestamp_source": source, "inference_ms": round(elapsed, 3),
                     "frame": frame_record(self.frames, None, width, height, poses, timestamp_ms=timestamp)}
            self.frames += 1
        except ApiError as exc:
            return {"type": "error", **_error_body(exc.status, exc.message), "id": frame_id}
        except ModelFileError as exc:
            return {"type": "error", **_error_body(503, str(exc)), "id": frame_id}
        except Exception as exc:  # keep the stream (and the server) going; log the bug
            log.exception("stream %d: frame %r failed", self.id, frame_id)
            return {"type": "error", **_error_body(500, f"internal error: {type(exc).__name__}"), "id": frame_id}
        if self.server.frame_hook is not None:
            try:
                self.server.frame_hook(FrameEvent(self.id, header, image, reply))
            except Exception:
                log.exception("frame_hook failed")
        return reply

    async def handle_text(self, text: str) -> dict[str, Any]:
        try:
            message = json.loads(text)
        except ValueError:
            return {"type": "error", **_error_body(400, "text messages must be JSON objects such as "
                                                   '{"type": "config", "model": "thunder"}'), "id": None}
        if not isinstance(message, dict):
            return {"type": "error", **_error_body(400, "text messages must be JSON objects"), "id": None}
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
                return {"type": "error", **_error_body(422, str(exc)), "id": None}
            try:
                await run_in_threadpool(self.server.pool.get, config.model)
            except ModelFileError as exc:
                return {"type": "error", **_error_body(503, str(exc)), "id": None}
            if config != self.config:
                self.config = config
                self.detector = None  # fresh temporal state for the new settings
            return {"type": "config", "config": self.config.to_json()}
        return {"type": "error", **_error_body(400, f"unknown message type {kind!r}; expected config, reset "
                                               "or ping (frames are binary messages)"), "id": None}


def _same_origin(headers: Mapping[str, str], allowed: Iterable[str]) -> bool:
    """Browsers send Origin: refuse pages from other sites (a page on the web must not use a local
    server through the visitor's browser). Non-browser clients send no Origin and are let in."""
    origin = headers.get("origin")
    if origin is None or origin in allowed:
        return True
    host = headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


# --- response models (for the API docs) --------------------------------------------------------


class KeypointOut(BaseModel):
    name: str
    x: float
    y: float
    score: float


class BoxOut(BaseModel):
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    width: float
    height: float


class PoseOut(BaseModel):
    score: float
    keypoints: list[KeypointOut]
    box: BoxOut | None = None
    id: int | None = None


class FrameOut(BaseModel):
    index: int
    source: str | None
    width: int
    height: int
    poses: list[PoseOut]


class ErrorOut(BaseModel):
    error: str
    status: int


class ModelOut(BaseModel):
    name: str
    description: str
    input_size: int | None
    available: bool
    loaded: bool


class ModelsOut(BaseModel):
    default: str
    models: list[ModelOut]


class HealthOut(BaseModel):
    status: str
    version: str
    models_loaded: list[str]
    streams: int


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in ((400, "empty, corrupt or truncated image"), (413, "body or image too large"),
                       (415, "not an image"), (422, "unknown model or bad option"),
                       (503, "model weights not available"))
}
_IMAGE_BODY = {"requestBody": {"required": True, "description": "the image file's bytes", "content": {
    mime: {"schema": {"type": "string", "format": "binary"}}
    for mime in ("image/jpeg", "image/png", "image/webp", "application/octet-stream")}}}


# --- the app -----------------------------------------------------------------------------------


def create_app(*, model_dir: str | Path | None = None, threads: int | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
               network_loader: NetworkLoader | None = None, preload: Iterable[str] = (),
               allowed_origins: Iterable[str] = (),
               frame_hook: Callable[[FrameEvent], None] | None = None) -> FastAPI:
    """The FastAPI app serving the demo page, ``/v1/poses``, ``/v1/models``, ``/healthz`` and ``/v1/stream``.

    model_dir, threads: where the weights are and ONNX Runtime's intra-op threads (as for
        ``create_detector``); ignored when `network_loader` is given.
    max_body_bytes: largest POST body and WebSocket frame message (413 beyond it).
    max_pixels: largest decoded image, width x height (413 beyond it).
    network_loader: ``name -> Backend``; default ``load_network(name, model_dir, threads=threads)``.
        Each model's network is loaded once, on first use, and shared.
    preload: models to load now rather than on first use (errors surface here).
    allowed_origins: extra browser origins allowed to open ``/v1/stream`` (same-origin always is).
    frame_hook: called with a :class:`FrameEvent` after each stream frame (recording, tests).
    """
    import movenet

    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be positive, got {max_pixels}")
    if network_loader is None:
        from movenet.models.store import load_network

        def network_loader(name: str) -> Backend:
            return load_network(name, model_dir, threads=threads)

    server = _Server(NetworkPool(network_loader), model_dir, max_body_bytes, max_pixels, frame_hook)
    for name in preload:
        server.pool.get(canonical_model_name(name))
    origins = frozenset(allowed_origins)

    app = FastAPI(title="MoveNet", version=movenet.__version__, docs_url=None, redoc_url=None,
                  description="MoveNet pose detection served locally. `POST /v1/poses` for one image, the "
                              "`/v1/stream` WebSocket for video (protocol on this page, below).")
    app.state.movenet = server

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_error_body(exc.status, exc.message), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        summary = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)
        return JSONResponse(_error_body(422, summary or "invalid request", detail=jsonable_encoder(errors)),
                            status_code=422)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_page_headers(request.headers.get("host")))

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", headers=_page_headers(request.headers.get("host")))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", response_model=HealthOut, summary="Liveness check")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": movenet.__version__, "models_loaded": server.pool.loaded(),
                "streams": server.streams}

    @app.get("/v1/models", response_model=ModelsOut, summary="The models, whether present and loaded")
    async def models() -> dict[str, Any]:
        from movenet.models.catalog import get_spec

        available = await run_in_threadpool(lambda: {name: server.available(name) for name in MODEL_NAMES})
        loaded = server.pool.loaded()
        return {"default": "lightning", "models": [
            {"name": name, "description": MODEL_DESCRIPTIONS[name], "input_size": get_spec(name).input_size,
             "available": available[name], "loaded": name in loaded} for name in MODEL_NAMES]}

    @app.post("/v1/poses", summary="Poses in one image", response_model=FrameOut,
              responses=_ERRORS, openapi_extra=_IMAGE_BODY)
    async def poses(
        request: Request,
        model: Annotated[str, Query(description="lightning, thunder or multipose")] = "lightning",
        min_pose_score: Annotated[float | None, Query(ge=0, le=1, description="drop poses below (0.25)")] = None,
        tracker: Annotated[str, Query(description="multipose: boundingBox, keypoint or none")] = "boundingBox",
        max_poses: Annotated[int | None, Query(ge=1, description="multipose: at most this many people")] = None,
        multipose_max_dim: Annotated[int, Query(ge=32, description="multipose: input's longer side, "
                                                                   "a multiple of 32")] = 256,
    ) -> Response:
        """One image in the body (raw bytes, not a form) -> one frame of `movenet detect --json`.

        Each request is independent: a fresh detector, no smoothing or tracking across requests."""
        try:
            config = StreamConfig().updated({"model": model, "min_pose_score": min_pose_score, "tracker": tracker,
                                             "max_poses": max_poses, "multipose_max_dim": multipose_max_dim})
        except ValueError as exc:
            raise ApiError(422, str(exc)) from None
        _check_content_type(request.headers.get("content-type"))
        body = await _read_body(request, server.max_body_bytes)
        try:
            frame, elapsed = await run_in_threadpool(server.detect_image, config, body)
        except ModelFileError as exc:
            raise ApiError(503, str(exc)) from None
        return JSONResponse(frame, headers={"X-Movenet-Model": config.model,
                                            "Server-Timing": f"inference;dur={elapsed:.1f}"})

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        if not _same_origin(websocket.headers, origins):
            await websocket.close(code=1008, reason="cross-origin WebSocket refused")
            return
        await websocket.accept()
        server.streams += 1
        try:
            await _run_stream(websocket, server)
        finally:
            server.streams -= 1

    return app


def _check_content_type(content_type: str | None) -> None:
    if content_type is None:
        return  # decoded by its bytes
    mime = content_type.split(";", 1)[0].strip().lower()
    # curl --data-binary sends application/x-www-form-urlencoded unless told otherwise: judged by its bytes.
    if mime.startswith("image/") or mime in ("application/octet-stream", "application/x-www-form-urlencoded", ""):
        return
    hint = " (a form upload: send the file's bytes as the body instead)" if mime.startswith("multipart/") else ""
    raise ApiError(415, f"Content-Type {mime} is not an image: send the image bytes as image/jpeg or image/png{hint}")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, f"invalid Content-Length {declared!r}") from None
        if size > limit:
            raise ApiError(413, f"request body is {size:,} bytes; the limit is {limit:,} (--max-body-mb)")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:  # a chunked body, or one longer than it said
            raise ApiError(413, f"request body exceeds the limit of {limit:,} bytes (--max-body-mb)")
        chunks.append(chunk)
    return b"".join(chunks)


async def _send(websocket: WebSocket, message: dict[str, Any]) -> bool:
    try:
        await websocket.send_text(json.dumps(message))
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False  # the client went away
    return True


async def _run_stream(websocket: WebSocket, server: _Server) -> None:
    try:
        config = StreamConfig().updated(dict(websocket.query_params))
    except ValueError as exc:
        await _send(websocket, {"type": "error", **_error_body(422, str(exc)), "id": None})
        await websocket.close(code=1008)
        return
    session = _Stream(server, config)
    hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "version": _version(), "models": list(MODEL_NAMES),
             "config": config.to_json(), "max_message_bytes": server.max_body_bytes}
    if not await _send(websocket, hello):
        return
    log.info("stream %d opened (%s)", session.id, config.model)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            received_ms = (time.monotonic() - session.opened) * 1000
            data, text = message.get("bytes"), message.get("text")
            close_code = None
            if data is not None:
                if len(data) > server.max_body_bytes:
                    reply = {"type": "error", **_error_body(413, f"frame message is {len(data):,} bytes; the limit "
                                                                 f"is {server.max_body_bytes:,}"), "id": None}
                    close_code = 1009
                else:
                    reply = await run_in_threadpool(session.handle_frame, data, received_ms)
            elif text is not None:
                if len(text) > MAX_HEADER_BYTES:
                    reply = {"type": "error", **_error_body(413, "text message too long"), "id": None}
                    close_code = 1009
                else:
                    reply = await session.handle_text(text)
            else:
                continue
            if not await _send(websocket, reply):
                break
            if close_code is not None:
                await websocket.close(code=close_code)
                break
    except WebSocketDisconnect:
        pass
    log.info("stream %d closed after %d frames", session.id, session.frames)


def _version() -> str:
    import movenet

    return movenet.__version__
