"""The ``/v1/stream`` WebSocket loop: the hello message, then frames and control messages answered
in order, within the size limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from fastapi import WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

import movenet
from movenet.registry import MODEL_NAMES, get_entry
from movenet.web.errors import error_body
from movenet.web.messages import MAX_HEADER_BYTES
from movenet.web.options import StreamConfig, stream_options
from movenet.web.sessions import ServerState, StreamSession

__all__ = ["PROTOCOL_VERSION", "run_stream"]

log = logging.getLogger("movenet.web")

PROTOCOL_VERSION = 1


#: Messages read ahead of the one being answered. The page keeps two frames in flight; reading the
#: next while one is inferred takes receiving, decoding the reply's JSON and sending it off the
#: inference's path (BlazePose heavy: 3 ms of 56 per frame). Beyond it the socket holds the rest.
READ_AHEAD = 2

_END = None  # the reader's last item: the client left


async def _send(websocket: WebSocket, text: str) -> bool:
    try:
        await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False  # the client went away
    return True


async def run_stream(websocket: WebSocket, server: ServerState) -> None:
    """Serve one accepted WebSocket until the client leaves (its query parameters set the initial config).

    Three tasks, one way: a reader queues the incoming messages (at most `READ_AHEAD`), the
    answering loop takes them in order (frames in the threadpool, one at a time: the session's
    temporal state needs them in order), a writer sends the replies in that same order."""
    try:
        config = StreamConfig().updated(dict(websocket.query_params))
    except ValueError as exc:
        await _send(websocket, json.dumps({"type": "error", **error_body(422, str(exc)), "id": None}))
        await websocket.close(code=1008)
        return
    session = StreamSession(server, config)
    hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "version": _version(), "models": list(MODEL_NAMES),
             "model_descriptions": {name: get_entry(name).description for name in MODEL_NAMES},
             "model_options": {name: list(stream_options(name)) for name in MODEL_NAMES},
             "config": config.to_json(), "skeleton": get_entry(config.model).skeleton.to_json(),
             "max_message_bytes": server.max_body_bytes}
    if not await _send(websocket, json.dumps(hello)):
        return
    log.info("stream %d opened (%s)", session.id, config.model)
    inbox: asyncio.Queue[tuple[Mapping[str, Any], float] | None] = asyncio.Queue(maxsize=READ_AHEAD)
    # Bounded both ways: a client that sends without reading its replies is held up by the socket.
    outbox: asyncio.Queue[tuple[str, int | None] | None] = asyncio.Queue(maxsize=READ_AHEAD)
    reader = asyncio.create_task(_read(websocket, inbox, session.opened))
    gone = asyncio.Event()  # set by the writer: the client left, or the stream was closed
    writer = asyncio.create_task(_write(websocket, outbox, gone))
    try:
        while not gone.is_set():
            item = await inbox.get()
            if item is _END:
                break
            answer = await _answer(session, server, *item)
            if answer is not None:
                await outbox.put(answer)
                if answer[1] is not None:  # closing: nothing after this reply
                    break
    finally:
        reader.cancel()
        try:
            outbox.put_nowait(_END)  # the writer sends what is queued, then stops
        except asyncio.QueueFull:
            writer.cancel()  # stuck on a client that does not read
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(reader, writer, return_exceptions=True)
    log.info("stream %d closed after %d frames", session.id, session.frames)


async def _read(websocket: WebSocket, inbox: asyncio.Queue[tuple[Mapping[str, Any], float] | None],
                opened: float) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            await inbox.put((message, (time.monotonic() - opened) * 1000))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    await inbox.put(_END)


async def _write(websocket: WebSocket, outbox: asyncio.Queue[tuple[str, int | None] | None],
                 gone: asyncio.Event) -> None:
    # Once the client is gone (or the stream closed) the replies still queued are dropped, so that
    # the answering loop never waits on a full outbox.
    while (item := await outbox.get()) is not _END:
        if gone.is_set():
            continue
        text, close_code = item
        if not await _send(websocket, text):
            gone.set()
        elif close_code is not None:
            gone.set()
            await websocket.close(code=close_code)


async def _answer(session: StreamSession, server: ServerState, message: Mapping[str, Any],
                  received_ms: float) -> tuple[str, int | None] | None:
    """The reply to one message as JSON text, and the close code when the stream must end after it."""
    data, text = message.get("bytes"), message.get("text")
    if data is not None:
        if len(data) > server.max_body_bytes:
            return _error_text(413, f"frame message is {len(data):,} bytes; the limit is "
                                    f"{server.max_body_bytes:,}"), 1009
        # Detection and the reply's JSON both in the worker thread (ONNX Runtime releases the GIL).
        return await run_in_threadpool(lambda: json.dumps(session.handle_frame(data, received_ms))), None
    if text is not None:
        if len(text) > MAX_HEADER_BYTES:
            return _error_text(413, "text message too long"), 1009
        return json.dumps(await session.handle_text(text)), None
    return None


def _error_text(status: int, message: str) -> str:
    return json.dumps({"type": "error", **error_body(status, message), "id": None})


def _version() -> str:
    return movenet.__version__
