"""`movenet serve`: the live browser demo and the HTTP API on a local port (FastAPI + uvicorn).

  movenet serve [--host 127.0.0.1] [--port 8000] [--max-body-mb 8] [--preload lightning] [--model-dir DIR]
                [--allowed-host NAME ...] [--body-timeout 30] [--threads N] [--max-streams 32]
                [--stream-idle-timeout 300]

Registered by ``add_serve_parser(subparsers)`` from ``movenet.cli``; FastAPI and uvicorn are only
imported when the command runs (they come with the ``web`` extra: ``pip install "movenet[web]"``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

from movenet.cli.common import EXIT_FAILURE, EXIT_OK, positive_int, positive_number
from movenet.registry import MODEL_NAMES
from movenet.web.messages import DEFAULT_MAX_STREAMS, DEFAULT_STREAM_IDLE_S

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Bind addresses meaning "every interface".
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _preload_list(value: str) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if names in ([], ["none"]):
        return []
    bad = [n for n in names if n not in MODEL_NAMES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown model {bad[0]!r}; use {', '.join(MODEL_NAMES)} or none")
    return names


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1..65535, got {port}")
    return port


def allowed_hosts(bind: str, extra: list[str]) -> tuple[list[str], bool]:
    """The Host names the server answers to: the loopback names, the bound address (for a
    wildcard bind: this machine's name, and any IP address), and `extra`; and whether any IP is."""
    import socket

    from movenet.web.security import LOCAL_HOSTS

    names = [*LOCAL_HOSTS, *extra]
    wildcard = bind in WILDCARD_HOSTS
    if wildcard:
        names += [socket.gethostname(), socket.getfqdn()]
    else:
        names.append(bind)
    return names, wildcard


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `serve` subcommand to `subparsers` (from ``parser.add_subparsers()``)."""
    srv = subparsers.add_parser(
        "serve", help="serve the live browser demo and the HTTP API locally (needs movenet[web])",
        description="Serve the live demo at http://HOST:PORT/ (webcam or video file in the browser, poses drawn "
                    "live), POST /v1/poses for one image, the /v1/stream WebSocket, and the API docs at /docs. "
                    "Everything is served locally; nothing is loaded from the internet.")
    srv.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 exposes it to the network)")
    srv.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    srv.add_argument("--max-body-mb", type=positive_number("megabytes"), default=8.0, metavar="N",
                     help="largest accepted image upload / stream frame, in MiB (default 8); larger gets 413")
    srv.add_argument("--preload", type=_preload_list, default=["lightning"], metavar="MODELS",
                     help="comma-separated models to load at start-up (default lightning; 'none' loads each "
                          "on first use)")
    srv.add_argument("--model-dir", help="folder with the TF.js model files (default: $MOVENET_MODEL_DIR or the "
                     "user cache, fetched on first use)")
    srv.add_argument("--threads", type=positive_int, default=None, metavar="N",
                     help="inference threads per run (default: all physical cores but one, left to "
                          "decoding frames and, on the same machine, the browser)")
    srv.add_argument("--max-streams", type=positive_int, default=DEFAULT_MAX_STREAMS, metavar="N",
                     help=f"live streams served at once (default {DEFAULT_MAX_STREAMS}); one more is told to try "
                          "again later")
    srv.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                     help="a host name (or address) clients may use in the URL, besides localhost, 127.0.0.1, [::1] "
                          "and the bound address (repeatable; '*' allows any). Other Host headers get 403: this "
                          "stops web pages from reaching the server through DNS rebinding")
    srv.add_argument("--stream-idle-timeout", type=positive_number("seconds"), default=DEFAULT_STREAM_IDLE_S,
                     metavar="S",
                     help=f"seconds a live stream may go without a message (default {DEFAULT_STREAM_IDLE_S:g}); then "
                          "it is closed and its place freed")
    srv.add_argument("--body-timeout", type=positive_number("seconds"), default=30.0, metavar="S",
                     help="seconds an upload may take to arrive (default 30); slower gets 408")
    srv.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    srv.set_defaults(func=cmd_serve)
    return srv


def cmd_serve(args: argparse.Namespace) -> int:
    try:  # the web extra is optional: imported only when the command runs
        import uvicorn

        from movenet.web.app import create_app
    except ImportError as exc:
        print(f"movenet: error: `movenet serve` needs the web extra: pip install \"movenet[web]\" ({exc})",
              file=sys.stderr)
        return EXIT_FAILURE
    if not any(importlib.util.find_spec(lib) for lib in ("websockets", "wsproto")):
        print("movenet: error: `movenet serve` needs a WebSocket library for the live stream: "
              "pip install \"movenet[web]\" (or pip install websockets)", file=sys.stderr)
        return EXIT_FAILURE
    max_body = int(args.max_body_mb * 1024 * 1024)
    hosts, any_ip = allowed_hosts(args.host, args.allowed_host)
    app = create_app(model_dir=args.model_dir, threads=args.threads, max_body_bytes=max_body, preload=args.preload,
                     allowed_hosts=hosts, allow_any_ip=any_ip, body_timeout=args.body_timeout,
                     max_streams=args.max_streams, stream_idle_timeout=args.stream_idle_timeout)
    if args.host not in LOOPBACK_HOSTS:
        print(f"movenet: warning: serving on {args.host}: anyone who can reach this machine can use the API; "
              "browsers give pages on other hosts the camera only over https (a video file still works)",
              file=sys.stderr)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"movenet: serving the live demo at http://{host}:{args.port}/ (API docs at /docs; Ctrl+C stops)",
          file=sys.stderr)
    # The WebSocket layer refuses (close 1009) messages beyond the frame limit plus the JSON header.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, ws_max_size=max_body + 70_000)
    return EXIT_OK
