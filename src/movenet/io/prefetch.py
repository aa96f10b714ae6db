"""Decoding ahead: a background thread that reads frames while the caller runs inference."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import Any

from movenet.io.frames import Frame

__all__ = ["prefetch"]


def prefetch(frames: Iterable[Frame], depth: int = 8) -> Generator[Frame, None, None]:
    """Decode ahead in a background thread, so decoding overlaps inference (PyAV and ONNX Runtime
    both release the GIL). Errors from the source are re-raised in order, after the frames before
    them; the queue is bounded, so memory stays flat."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        q.put(("frame", frame), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(("error", exc))

    thread = threading.Thread(target=work, name="movenet-decode", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "frame":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        thread.join(timeout=5)
