"""The concurrency rule of detectors: one detector per thread (per stream), networks shared.

A detector holds one stream's state (the crop that follows the person, the one-euro filters, the
tracker) and reuses its input buffers, so two threads inside one detector at once would get each
other's crops and pixels: wrong poses, silently. A lock would make the calls safe but not right:
the two threads would still share the temporal state, in an order nobody chose, and run one
after the other anyway. So a second thread entering a detector that is busy gets
:class:`ConcurrentUseError` instead. The loaded network (ONNX Runtime's session is thread-safe)
is what to share: ``movenet.build_detector(model, networks)`` per thread (one shared ``Networks``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from movenet.errors import MovenetError

__all__ = ["ConcurrentUseError", "exclusive"]

F = TypeVar("F", bound=Callable[..., Any])

_LOCK_ATTRIBUTE = "_movenet_exclusive_lock"


class ConcurrentUseError(MovenetError, RuntimeError):
    """A detector was entered by a second thread while another was inside it."""


def exclusive(method: F) -> F:
    """Decorate a detector method: a call while another thread is inside any ``@exclusive`` method of
    the same object raises :class:`ConcurrentUseError` (the same thread may re-enter)."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        lock = self.__dict__.get(_LOCK_ATTRIBUTE)
        if lock is None:
            lock = self.__dict__.setdefault(_LOCK_ATTRIBUTE, threading.RLock())  # atomic under the GIL
        if not lock.acquire(blocking=False):
            kind = type(self).__name__
            raise ConcurrentUseError(
                f"{kind}.{method.__name__} called while another thread is using this detector: a detector "
                "holds one stream's state and buffers, so use one detector per thread (or stream); they can "
                "share the loaded networks: movenet.build_detector(model, networks)")
        try:
            return method(self, *args, **kwargs)
        finally:
            lock.release()

    return guarded  # type: ignore[return-value]
