"""A real `movenet serve` process on a free 127.0.0.1 port, for tests (and benchmarks) that talk to it
as a client would: over sockets, with its log on disk to check for tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import movenet


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """The running server: its `port`, `base` URL, and its log (stdout and stderr together)."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.ws_base = f"ws://127.0.0.1:{port}"
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_mark(self) -> int:
        """A position in the log; `log_since(mark)` is what the server wrote after it."""
        return len(self.log())

    def log_since(self, mark: int) -> str:
        return self.log()[mark:]

    def alive(self) -> bool:
        return self.proc.poll() is None


@contextmanager
def serve_process(tmp_dir: Path, *args: str, timeout: float = 180.0) -> Iterator[ServeProcess]:
    """Start `python -m movenet serve --port <free> *args`, wait for /healthz, stop it afterwards.

    The package imported by this interpreter is the one served (its folder goes first on PYTHONPATH)."""
    import httpx

    port = free_port()
    log_path = tmp_dir / f"serve-{port}.log"
    env = dict(os.environ)
    src = str(Path(movenet.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "movenet", "serve", "--port", str(port), *args],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ServeProcess(proc, port, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if not server.alive():
                raise RuntimeError(f"movenet serve exited with {proc.returncode}:\n{server.log()[-3000:]}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"movenet serve did not answer within {timeout:.0f} s:\n{server.log()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
