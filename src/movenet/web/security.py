"""Browser-facing protections: the pages' Content-Security-Policy headers, the same-origin check
(WebSocket handshakes and POSTs) and the Host allow-list (against DNS rebinding)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

__all__ = ["CSP", "LOCAL_HOSTS", "host_allowed", "host_name", "page_headers", "same_origin"]

#: Host names always allowed: this machine by its loopback names.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

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


def host_name(host: str) -> str:
    """The name or address part of a Host header (or of an address to bind), lower case, without
    port, brackets or a trailing dot: ``[::1]:8000`` -> ``::1``, ``Example.COM.:80`` -> ``example.com``."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str | None, allowed: Iterable[str], *, any_ip: bool = False) -> bool:
    """Whether a request's Host header names this server. A page on another site can make a
    browser send requests here under the site's own name (DNS rebinding); refusing unknown names
    stops it. `allowed` holds names and addresses (``"*"`` allows all); `any_ip` also lets in any
    IP address (a name can be rebound, an address typed by the user cannot). No Host (HTTP/1.0,
    never a browser) is allowed."""
    if host is None:
        return True
    names = {host_name(a) for a in allowed}
    name = host_name(host)
    return "*" in names or name in names or (any_ip and _is_ip(name))
