"""The ``/v1/stream`` WebSocket loop: the hello message, then frames and control messages answered
in order, within the size limits."""

from __future__ import annotations

import json
import logging
import time
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


async def _send(websocket: WebSocket, message: dict[str, Any]) -> bool:
    try:
        await websocket.send_text(json.dumps(message))
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False  # the client went away
    return True


async def run_stream(websocket: WebSocket, server: ServerState) -> None:
    """Serve one accepted WebSocket until the client leaves (its query parameters set the initial config)."""
    try:
        config = StreamConfig().updated(dict(websocket.query_params))
    except ValueError as exc:
        await _send(websocket, {"type": "error", **error_body(422, str(exc)), "id": None})
        await websocket.close(code=1008)
        return
    session = StreamSession(server, config)
    hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "version": _version(), "models": list(MODEL_NAMES),
             "model_descriptions": {name: get_entry(name).description for name in MODEL_NAMES},
             "model_options": {name: list(stream_options(name)) for name in MODEL_NAMES},
             "config": config.to_json(), "skeleton": get_entry(config.model).skeleton.to_json(),
             "max_message_bytes": server.max_body_bytes}
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
                    reply = {"type": "error", **error_body(413, f"frame message is {len(data):,} bytes; the limit "
                                                                f"is {server.max_body_bytes:,}"), "id": None}
                    close_code = 1009
                else:
                    reply = await run_in_threadpool(session.handle_frame, data, received_ms)
            elif text is not None:
                if len(text) > MAX_HEADER_BYTES:
                    reply = {"type": "error", **error_body(413, "text message too long"), "id": None}
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
    return movenet.__version__
