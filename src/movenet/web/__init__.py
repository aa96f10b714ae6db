"""The local web server: a live pose demo in the browser and an HTTP/WebSocket API.

    from movenet.web import create_app     # needs the `web` extra: pip install "movenet[web]"
    app = create_app()                     # a FastAPI app; `movenet serve` runs it with uvicorn

See :mod:`movenet.web.app` for the endpoints and the WebSocket protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from movenet.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Import FastAPI only when the app is asked for, so `import movenet.web` works without the extra.
    if name == "create_app":
        from movenet.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
