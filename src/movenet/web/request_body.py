"""The body of ``POST /v1/poses``: its Content-Type checked and its bytes read within the size limit."""

from __future__ import annotations

from fastapi import Request

from movenet.web.errors import ApiError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "check_content_type", "read_body"]

#: Largest request body / WebSocket frame message accepted by default (``--max-body-mb``).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


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


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; ApiError 413 past `limit` bytes (declared or streamed), 400 for a bad Content-Length."""
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
