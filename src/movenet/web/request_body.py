"""The body of ``POST /v1/poses``: its Content-Type checked and its bytes read within the size limit."""

from __future__ import annotations

import asyncio
import logging

from fastapi import Request
from starlette.requests import ClientDisconnect

from movenet.web.errors import ApiError

__all__ = ["DEFAULT_BODY_TIMEOUT_S", "DEFAULT_MAX_BODY_BYTES", "check_content_type", "read_body"]

log = logging.getLogger("movenet.web")

#: Largest request body / WebSocket frame message accepted by default (``--max-body-mb``).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
#: Seconds a request body may take to arrive (``--body-timeout``): a stalled upload gets 408.
DEFAULT_BODY_TIMEOUT_S = 30.0


def check_content_type(content_type: str | None) -> None:
    """ApiError 415 unless `content_type` may hold an image (a missing one is judged by the bytes)."""
    if content_type is None:
        return  # decoded by its bytes
    mime = content_type.split(";", 1)[0].strip().lower()
    # curl --data-binary sends application/x-www-form-urlencoded unless told otherwise: judged by its bytes.
    if mime.startswith("image/") or mime in ("application/octet-stream", "application/x-www-form-urlencoded", ""):
        return
    hint = " (a form upload: send the file's bytes as the body instead)" if mime.startswith("multipart/") else ""
    raise ApiError(415, f"Content-Type {mime} is not an image: send the image bytes as image/jpeg or image/png{hint}")


async def read_body(request: Request, limit: int, timeout: float = DEFAULT_BODY_TIMEOUT_S) -> bytes:
    """The request's body; ApiError 413 past `limit` bytes (declared or streamed), 400 for a bad
    Content-Length, 408 when it has not all arrived within `timeout` seconds. A client that leaves
    mid-upload is logged in one line (ApiError 400, answered to nobody)."""
    try:
        return await asyncio.wait_for(_read_body(request, limit), timeout)
    except asyncio.TimeoutError:
        raise ApiError(408, f"the request body did not arrive within {timeout:g} s (--body-timeout)") from None
    except ClientDisconnect:
        log.info("client %s left during its upload", request.client.host if request.client else "?")
        raise ApiError(400, "client disconnected during the upload") from None


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
