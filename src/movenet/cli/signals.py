"""SIGTERM handled like Ctrl+C: the command stops where it is and closes its outputs (the JSON
document ends, the CSV and the video are flushed), instead of dying with half a file."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Terminated", "sigterm_as_exception"]


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process gets SIGTERM (a KeyboardInterrupt, so everything
    that cleans up after Ctrl+C cleans up after it too)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


@contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
