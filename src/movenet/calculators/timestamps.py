"""Validation of the ``timestamp_ms`` given to ``estimate_poses``, up front: a bad value must not
fail deep inside the filters (and only when a pose is found), nor be silently used."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["MAX_TIMESTAMP_MS", "check_timestamp_ms"]

#: Largest ``|timestamp_ms|``: 10^15 ms is 31,700 years (``Date.now()`` is about 1.7e12); it keeps
#: the filters' integer microseconds well inside 64 bits, and catches ns or µs passed as ms.
MAX_TIMESTAMP_MS = 1e15


def check_timestamp_ms(value: Any) -> float | None:  # noqa: ANN401 - anything a caller passes
    """`value` as a float (None stays None): TypeError unless a real number (bools are refused),
    ValueError if NaN, infinite or beyond +-:data:`MAX_TIMESTAMP_MS`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"timestamp_ms must be a number of milliseconds or None, got {type(value).__name__} "
                        f"{_short(value)}")
    magnitude: Any = abs(value)
    if not magnitude <= MAX_TIMESTAMP_MS:  # NaN fails too; exact for ints of any size
        raise ValueError(f"timestamp_ms must be a finite number of milliseconds within +-{MAX_TIMESTAMP_MS:.0e}, "
                         f"got {_short(value)}")
    ms = float(value)
    assert math.isfinite(ms)
    return ms


def _short(value: Any) -> str:  # noqa: ANN401
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}..."
