"""ASGI middleware in front of every route: the Host allow-list (HTTP and WebSocket) and the
refusal of cross-origin requests that do something (POST, ...), as the WebSocket handshake
already refuses cross-origin pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from movenet.web.errors import error_body
from movenet.web.security import host_allowed, same_origin

__all__ = ["SAFE_METHODS", "HostGuard"]

#: Methods that only read: a cross-origin page may send them (it cannot read the answer).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class HostGuard:
    """Refuse (HTTP 403 with a JSON error; WebSocket close 1008 before the handshake completes)
    requests whose Host is not in `allowed_hosts`, and HTTP requests other than GET/HEAD/OPTIONS
    whose Origin is neither this server nor in `allowed_origins`."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str], allowed_origins: Iterable[str] = (), *,
                 any_ip: bool = False) -> None:
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)
        self.allowed_origins = frozenset(allowed_origins)
        self.any_ip = any_ip

    def problem(self, scope: Scope) -> str | None:
        """Why the request is refused, or None."""
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not host_allowed(host, self.allowed_hosts, any_ip=self.any_ip):
            return (f"Host {(host or '')[:100]!r} is not allowed (a page on another site may be using this server); "
                    "start the server with --allowed-host NAME to allow that name")
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS \
                and not same_origin(headers, self.allowed_origins):
            return f"cross-origin {scope['method']} from {headers.get('origin', '')[:100]!r} refused"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            response = JSONResponse(error_body(403, problem), status_code=403)
            await response(scope, receive, send)
        else:
            reason = problem.encode()[:120].decode("utf-8", "ignore")  # a close reason has at most 123 bytes
            message: dict[str, Any] = {"type": "websocket.close", "code": 1008, "reason": reason}
            await send(message)
