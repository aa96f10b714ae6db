"""The ``/v1/stream`` WebSocket loop: the hello message, then frames and control messages answered
in order, within the size limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

import movenet
from movenet.registry import MODEL_NAMES, get_entry
from movenet.web.errors import error_message
from movenet.web.messages import MAX_HEADER_BYTES
from movenet.web.options import StreamConfig, stream_options
from movenet.web.sessions import DecodedFrame, ServerState, StreamSession

__all__ = ["PROTOCOL_VERSION", "refuse_stream", "run_stream"]

log = logging.getLogger("movenet.web")

PROTOCOL_VERSION = 1


#: Messages handed to the stream's worker thread ahead of the reply being sent. The page keeps two
#: frames in flight; the worker answers them back to back, so receiving, sending and the event
#: loop's wake-ups stay off the inference's path (BlazePose heavy on the live page: 3 ms of 56 per
#: frame), and the next frame is decoded while this one is detected. Beyond it the socket holds the
#: rest: a client that does not read its replies is held up.
READ_AHEAD = 2


async def _send(websocket: WebSocket, text: str) -> bool:
    try:
        await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False  # the client went away
    return True


async def refuse_stream(websocket: WebSocket, reason: str, status: int = 503, close_code: int = 1013) -> None:
    """Tell an accepted client why it is not served (an error message with `status`), then close
    with `close_code` (default: 503 and 1013, try again later)."""
    if await _send(websocket, _error_text(status, reason)):
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # it may be gone already
            await websocket.close(code=close_code)


async def run_stream(websocket: WebSocket, server: ServerState) -> None:
    """Serve one accepted WebSocket until the client leaves (its query parameters set the initial config).

    The reader hands each message to the stream's own worker thread (one: the session's temporal
    state needs the frames in order) as soon as it arrives, at most `READ_AHEAD` ahead; the writer
    sends the answers in that same order."""
    try:
        config = StreamConfig().updated(dict(websocket.query_params))
    except ValueError as exc:
        await refuse_stream(websocket, str(exc), status=422, close_code=1008)
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
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"movenet-stream-{session.id}")
    decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"movenet-decode-{session.id}")
    answers: asyncio.Queue[asyncio.Future[Answer] | None] = asyncio.Queue()
    slots = asyncio.Semaphore(READ_AHEAD)  # taken when a message is handed over, given back once answered
    reader = asyncio.create_task(_read(websocket, answers, slots, (decoder, worker), session, server))
    try:
        await _write(websocket, answers, slots)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        worker.shutdown(wait=False, cancel_futures=True)  # a frame being answered finishes in its thread
        decoder.shutdown(wait=False, cancel_futures=True)
    log.info("stream %d closed after %d frames", session.id, session.frames)


#: A reply as JSON text, and the close code when the stream ends after it.
Answer = tuple[str, int | None]


async def _read(websocket: WebSocket, answers: asyncio.Queue[asyncio.Future[Answer] | None],
                slots: asyncio.Semaphore, threads: tuple[ThreadPoolExecutor, ThreadPoolExecutor],
                session: StreamSession, server: ServerState) -> None:
    """Hand each message to the worker, a frame's decoding to the decoder first (None queued last:
    the client left or the stream ends)."""
    loop = asyncio.get_running_loop()
    decoder, worker = threads
    try:
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), server.stream_idle_s)
            except asyncio.TimeoutError:  # a quiet client: give its place back (Python 3.10: not TimeoutError)
                await slots.acquire()
                answers.put_nowait(_answered(loop, _error_text(
                    408, f"no message for {server.stream_idle_s:g} s; the stream is closed"), 1000))
                break
            if message["type"] == "websocket.disconnect":
                break
            data, text = message.get("bytes"), message.get("text")
            if data is None and text is None:
                continue
            await slots.acquire()
            too_long = _too_long(data, text, server.max_body_bytes)
            if too_long is not None:  # answered at once; nothing after it is read
                answers.put_nowait(_answered(loop, too_long, 1009))
                break
            received_ms = (time.monotonic() - session.opened) * 1000
            decoded = None if data is None else decoder.submit(session.decode_frame, data, received_ms)
            answers.put_nowait(loop.run_in_executor(worker, _answer, session, decoded, text))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    except Exception:  # a bug: end the stream (the writer must not wait for ever), log it
        log.exception("stream %d: reading failed", session.id)
    answers.put_nowait(None)


async def _write(websocket: WebSocket, answers: asyncio.Queue[asyncio.Future[Answer] | None],
                 slots: asyncio.Semaphore) -> None:
    while (answer := await answers.get()) is not None:
        text, close_code = await answer
        slots.release()
        if not await _send(websocket, text):
            return
        if close_code is not None:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # it may be gone already
                await websocket.close(code=close_code)
            return


def _answered(loop: asyncio.AbstractEventLoop, text: str, close_code: int | None) -> asyncio.Future[Answer]:
    """An answer that is ready now (it still waits its turn behind the ones before it)."""
    done: asyncio.Future[Answer] = loop.create_future()
    done.set_result((text, close_code))
    return done


def _too_long(data: bytes | None, text: str | None, max_bytes: int) -> str | None:
    """The error reply for a message over its size limit, or None."""
    if data is not None and len(data) > max_bytes:
        return _error_text(413, f"frame message is {len(data):,} bytes; the limit is {max_bytes:,}")
    if text is not None and len(text) > MAX_HEADER_BYTES:
        return _error_text(413, "text message too long")
    return None


def _answer(session: StreamSession, decoded: Future[DecodedFrame | dict[str, Any]] | None, text: str | None) -> Answer:
    """The answer to one frame (being decoded) or control message (text), in the stream's worker thread."""
    try:
        reply = session.handle_frame(decoded.result()) if decoded is not None else session.handle_text(text or "")
        return json.dumps(reply), None
    except CancelledError:  # the stream is closing: nobody reads this answer
        return _error_text(503, "the stream closed"), None
    except Exception as exc:  # keep the stream (and the server) going; log the bug
        log.exception("stream %d: a message failed", session.id)
        return _error_text(500, f"internal error: {type(exc).__name__}"), None


def _error_text(status: int, message: str) -> str:
    return json.dumps(error_message(status, message))


def _version() -> str:
    return movenet.__version__
