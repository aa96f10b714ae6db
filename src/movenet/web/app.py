"""The local web server: live demo page, HTTP API and WebSocket stream (FastAPI).

Endpoints (``create_app()``; ``movenet serve`` runs it with uvicorn on 127.0.0.1:8000):

``GET /``
    The live demo: webcam (or a local video file) -> JPEG frames over ``/v1/stream`` -> poses drawn
    over the video, FPS and latency shown. Everything it loads comes from this server (works offline).
``POST /v1/poses?model=lightning``
    The body is one image (JPEG, PNG, WebP, ... as raw bytes). Returns one frame of
    ``movenet detect --json``: ``{"index": 0, "source": null, "width", "height", "poses": [...]}``.
    Every request is an independent image (fresh detector state). Query: ``model``
    (any of ``GET /v1/models``: lightning|thunder|multipose|blazepose-lite|blazepose-full|
    blazepose-heavy|posenet, TF.js names too), ``min_pose_score`` (MoveNet), for multipose
    ``tracker``, ``max_poses``, ``multipose_max_dim``; for BlazePose ``segmentation=1`` (each pose
    gets ``"segmentation": {"width", "height", "png_base64"}``: the person mask as an 8-bit grey
    PNG, value/255 = probability, longer side at most 256 px, :mod:`movenet.web.masks`); for
    posenet ``max_poses`` (1: single-person decoding), ``score_threshold``, ``nms_radius``,
    ``input_resolution`` (a side or ``width,height``, at most 1025). BlazePose poses carry ``z``
    per keypoint and ``keypoints_3d``, as ``movenet detect --json`` writes them.
``GET /v1/models``, ``GET /healthz``
    The models (family, keypoint count, the stream options each takes, weights present?
    loaded?) and a liveness check.
``GET /docs``, ``GET /openapi.json``
    API docs: a page of our own that renders ``/openapi.json`` (FastAPI's Swagger UI page loads
    its code from a CDN, so it is switched off; ReDoc too).

Errors are JSON ``{"error": "<message>", "status": <code>}``: 400 (empty, corrupt or truncated
image, bad Content-Length), 403 (a Host header not in the allow-list, or a cross-origin POST), 408
(the body did not arrive within ``body_timeout``), 413 (body over ``max_body_bytes``, checked on
Content-Length and on the bytes actually streamed; image over ``max_pixels``), 415 (a Content-Type
that is not an image, or bytes no decoder recognises), 422 (unknown model, option out of range: ``multipose_max_dim`` at
most 1024, ``max_poses`` at most 6 for multipose and 20 for posenet, 1 for BlazePose,
``input_resolution`` at most 1025), 503 (weights missing).

WebSocket ``/v1/stream`` (query parameters may set the initial config, e.g. ``?model=thunder``):

* server -> client on connect: ``{"type": "hello", "protocol": 1, "version", "models",
  "model_descriptions", "model_options" (model -> the config fields it uses), "config", "skeleton",
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
  "tracker"?, "max_poses"?, "multipose_max_dim"?, "segmentation"?, "smooth_segmentation"?,
  "score_threshold"?, "nms_radius"?, "input_resolution"?}`` (fields not given keep their value; any change
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

The pieces: :mod:`~movenet.web.options` (detector options), :mod:`~movenet.web.messages` (image
bytes and frame messages), :mod:`~movenet.web.sessions` (server and per-client state),
:mod:`~movenet.web.stream` (the WebSocket loop), :mod:`~movenet.web.request_body`,
:mod:`~movenet.web.security`, :mod:`~movenet.web.schemas` and :mod:`~movenet.web.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, WebSocket
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import movenet
from movenet.api import EngineOptions, build_detector, canonical_model_name
from movenet.errors import ModelFileError
from movenet.registry import MODEL_NAMES, MODELS
from movenet.runtime import physical_cores
from movenet.web.errors import ApiError, error_body
from movenet.web.host_guard import HostGuard
from movenet.web.messages import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_STREAMS,
    DEFAULT_STREAM_IDLE_S,
    decode_image,
    pack_frame,
    split_frame_message,
)
from movenet.web.networks import NetworkLoader, NetworkPool
from movenet.web.options import StreamConfig, stream_options
from movenet.web.request_body import DEFAULT_BODY_TIMEOUT_S, DEFAULT_MAX_BODY_BYTES, check_content_type, read_body
from movenet.web.schemas import ERROR_RESPONSES, IMAGE_BODY, FrameOut, HealthOut, ModelsOut
from movenet.web.security import LOCAL_HOSTS, page_headers, same_origin
from movenet.web.sessions import FrameEvent, ServerState
from movenet.web.stream import PROTOCOL_VERSION, refuse_stream, run_stream

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

STATIC_DIR = Path(__file__).resolve().parent / "static"

MODEL_DESCRIPTIONS = {name: entry.description for name, entry in MODELS.items()}


def default_server_threads() -> int:
    """Inference threads per run when none are asked for: all physical cores but one (at least
    one; ONNX Runtime's own default is all physical cores). The one left over takes the server's
    own work (receiving and decoding frames, the event loop, encoding replies) and, for a page
    opened on the same machine, the browser. ONNX Runtime's threads meet at every operator, so
    one of them losing its core to another process holds up the run: on the live page on 2 cores
    (benchmarks/live_page.py) one thread kept up with the bench rate where two fell behind it
    (README, "The live page")."""
    return max(1, physical_cores() - 1)


def create_app(*, model_dir: str | Path | None = None, threads: int | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
               network_loader: NetworkLoader | None = None, preload: Iterable[str] = (),
               allowed_origins: Iterable[str] = (),
               frame_hook: Callable[[FrameEvent], None] | None = None,
               allowed_hosts: Iterable[str] | None = None, allow_any_ip: bool = False,
               body_timeout: float = DEFAULT_BODY_TIMEOUT_S, max_streams: int = DEFAULT_MAX_STREAMS,
               stream_idle_timeout: float = DEFAULT_STREAM_IDLE_S) -> FastAPI:
    """The FastAPI app serving the demo page, ``/v1/poses``, ``/v1/models``, ``/healthz`` and ``/v1/stream``.

    model_dir, threads: where the weights are and ONNX Runtime's intra-op threads per run
        (default :func:`default_server_threads`: all physical cores but one); ignored when
        `network_loader` is given.
    max_body_bytes: largest POST body and WebSocket frame message (413 beyond it).
    max_pixels: largest decoded image, width x height (413 beyond it).
    network_loader: ``graph name -> Network``; default ``movenet.api.load_network`` on the
        engine a request or stream asks for. Each network is loaded once, on first use, and shared.
    preload: models to load now rather than on first use (errors surface here).
    allowed_origins: extra browser origins allowed to open ``/v1/stream`` (same-origin always is).
    frame_hook: called with a :class:`FrameEvent` after each stream frame (recording, tests).
    allowed_hosts: the names and addresses a request's Host header may give (403 otherwise, against
        DNS rebinding); default the loopback names (localhost, 127.0.0.1, ::1); ``["*"]`` allows all.
    allow_any_ip: also allow any IP address as Host (for a server bound to all interfaces).
    body_timeout: seconds a POST body may take to arrive (408 beyond).
    max_streams: ``/v1/stream`` connections open at once (each has its own detector and threads);
        one more is told so and closed (code 1013, try again later).
    stream_idle_timeout: seconds a stream may go without a message; then it is told so (408) and
        closed (code 1000), giving its place back.
    """
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be positive, got {max_pixels}")
    if max_streams < 1:
        raise ValueError(f"max_streams must be positive, got {max_streams}")
    if not 0 < stream_idle_timeout < float("inf"):
        raise ValueError(f"stream_idle_timeout must be a positive number of seconds, got {stream_idle_timeout}")
    # The server shares its cores (event loop, image decoding, other clients, often the browser
    # itself): its inference threads sleep when idle rather than spin (docs/performance.md,
    # "Threads that wait").
    if threads is None:
        threads = default_server_threads()
    pool = NetworkPool(EngineOptions(threads=threads, model_dir=model_dir, spin_wait=False), network_loader)
    server = ServerState(pool, model_dir, max_body_bytes, max_pixels, frame_hook, stream_idle_timeout)
    for name in preload:
        build_detector(canonical_model_name(name), pool.networks())
    origins = frozenset(allowed_origins)
    hosts = tuple(LOCAL_HOSTS if allowed_hosts is None else allowed_hosts)

    app = FastAPI(title="MoveNet", version=movenet.__version__, docs_url=None, redoc_url=None,
                  description="MoveNet pose detection served locally. `POST /v1/poses` for one image, the "
                              "`/v1/stream` WebSocket for video (protocol on this page, below).")
    app.state.movenet = server
    app.add_middleware(HostGuard, allowed_hosts=hosts, allowed_origins=origins, any_ip=allow_any_ip)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        # A body cut short (too large, too slow) leaves bytes unread: close rather than wait for them.
        headers = {"Connection": "close"} if exc.status in (408, 413) else None
        return JSONResponse(error_body(exc.status, exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        summary = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)
        return JSONResponse(error_body(422, summary or "invalid request", detail=jsonable_encoder(errors)),
                            status_code=422)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=page_headers(request.headers.get("host")))

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", headers=page_headers(request.headers.get("host")))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", response_model=HealthOut, summary="Liveness check")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": movenet.__version__, "models_loaded": server.pool.loaded(),
                "streams": server.streams}

    @app.get("/v1/models", response_model=ModelsOut, summary="The models, whether present and loaded")
    async def models() -> dict[str, Any]:
        available = await run_in_threadpool(lambda: {name: server.available(name) for name in MODEL_NAMES})
        loaded = server.pool.loaded()
        return {"default": "lightning", "models": [
            {"name": name, "description": MODEL_DESCRIPTIONS[name], "input_size": MODELS[name].input_size,
             "family": MODELS[name].family, "keypoints": MODELS[name].skeleton.num_keypoints,
             "options": list(stream_options(name)), "available": available[name], "loaded": name in loaded}
            for name in MODEL_NAMES]}

    @app.post("/v1/poses", summary="Poses in one image", response_model=FrameOut,
              responses=ERROR_RESPONSES, openapi_extra=IMAGE_BODY)
    async def poses(
        request: Request,
        model: Annotated[str, Query(description="one of GET /v1/models (lightning, thunder, multipose, "
                                                 "blazepose-lite|full|heavy, posenet)")] = "lightning",
        min_pose_score: Annotated[float | None, Query(ge=0, le=1, description="drop poses below (0.25)")] = None,
        tracker: Annotated[str, Query(description="multipose: boundingBox, keypoint or none")] = "boundingBox",
        max_poses: Annotated[int | None, Query(ge=1, description="multipose: at most this many people")] = None,
        multipose_max_dim: Annotated[int, Query(ge=32, description="multipose: input's longer side, "
                                                                   "a multiple of 32")] = 256,
        segmentation: Annotated[bool, Query(description="BlazePose: add each pose's person mask, 8-bit PNG "
                                                         "(base64), longer side at most 256 px")] = False,
        score_threshold: Annotated[float, Query(ge=0, le=1, description="posenet, max_poses > 1: a root "
                                                                        "keypoint's least score (0.5)")] = 0.5,
        nms_radius: Annotated[float, Query(gt=0, description="posenet, max_poses > 1: px between people's "
                                                             "same keypoints, in network input pixels (20)")] = 20.0,
        input_resolution: Annotated[str, Query(description="posenet: network input side, or width,height; "
                                                           "snapped to k*16+1, at most 1025 (257)")] = "257",
    ) -> Response:
        """One image in the body (raw bytes, not a form) -> one frame of `movenet detect --json`.

        Each request is independent: a fresh detector, no smoothing or tracking across requests."""
        try:
            config = StreamConfig().updated({"model": model, "min_pose_score": min_pose_score, "tracker": tracker,
                                             "max_poses": max_poses, "multipose_max_dim": multipose_max_dim,
                                             "segmentation": segmentation, "score_threshold": score_threshold,
                                             "nms_radius": nms_radius, "input_resolution": input_resolution})
            if max_poses not in (None, 1) and MODELS[config.model].single_person:
                raise ValueError(f"max_poses: {config.model} finds one person (max_poses 1), got {max_poses}")
        except ValueError as exc:
            raise ApiError(422, str(exc)) from None
        check_content_type(request.headers.get("content-type"))
        body = await read_body(request, server.max_body_bytes, body_timeout)
        try:
            frame, elapsed = await run_in_threadpool(server.detect_image, config, body)
        except ModelFileError as exc:
            raise ApiError(503, str(exc)) from None
        return JSONResponse(frame, headers={"X-Movenet-Model": config.model,
                                            "Server-Timing": f"inference;dur={elapsed:.1f}"})

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        if not same_origin(websocket.headers, origins):
            await websocket.close(code=1008, reason="cross-origin WebSocket refused")
            return
        await websocket.accept()
        if server.streams >= max_streams:
            await refuse_stream(websocket, f"the server has {server.streams} streams open, its limit; "
                                           "try again later")
            return
        server.streams += 1
        try:
            await run_stream(websocket, server)
        finally:
            server.streams -= 1

    return app
