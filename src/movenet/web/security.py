"""Browser-facing protections: the pages' Content-Security-Policy headers and the WebSocket
same-origin check."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

__all__ = ["CSP", "page_headers", "same_origin"]

#: Pages get a strict Content-Security-Policy: everything from this server, nothing from elsewhere.
#: ``{connect}`` becomes this server's own WebSocket origin (older Safari does not count ws: as 'self').
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def page_headers(host: str | None) -> dict[str, str]:
    """Headers of the HTML pages; `host` (the request's Host) is allowed as WebSocket origin if well-formed."""
    connect = f" ws://{host} wss://{host}" if host and _HOST.fullmatch(host) else ""
    return {"Content-Security-Policy": CSP.format(connect=connect), "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def same_origin(headers: Mapping[str, str], allowed: Iterable[str]) -> bool:
    """Browsers send Origin: refuse pages from other sites (a page on the web must not use a local
    server through the visitor's browser). Non-browser clients send no Origin and are let in."""
    origin = headers.get("origin")
    if origin is None or origin in allowed:
        return True
    host = headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()
