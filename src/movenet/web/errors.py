"""API errors: the exception answered to a client and the JSON body every error has."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body", "error_message"]


class ApiError(Exception):
    """An error answered to the client: an HTTP-like status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """``{"error": message, "status": status, ...extra}``: HTTP error responses and stream error messages."""
    return {"error": message, "status": status, **extra}


def error_message(status: int, message: str, frame_id: Any = None) -> dict[str, Any]:  # noqa: ANN401 - the client's id
    """A stream's error message: ``{"type": "error", "error": ..., "status": ..., "id": frame_id}``."""
    return {"type": "error", **error_body(status, message), "id": frame_id}
