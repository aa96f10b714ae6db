"""A camera as a frame source, read with OpenCV (optional), timestamps from a monotonic clock."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from movenet.io.frames import Frame, FrameSource, VideoError

__all__ = ["CameraSource"]

# A camera that delivers no frame this many times in a row is given up.
_CAMERA_MAX_FAILED_READS = 10


def _open_quietly(cv2: Any, index: int) -> Any:
    """``cv2.VideoCapture(index)`` without OpenCV's own warnings on stderr: a camera that cannot
    be opened makes each capture backend print one, before our one-line error says the same."""
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    if log is None:  # builds without the logging module
        return cv2.VideoCapture(index)
    level = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_ERROR)
    try:
        return cv2.VideoCapture(index)
    finally:
        log.setLogLevel(level)


class CameraSource(FrameSource):
    """An OpenCV camera (``cv2.VideoCapture(index)``); timestamps from a monotonic clock."""

    def __init__(self, index: int, *, fps: float = 30.0) -> None:
        super().__init__()
        self.name = f"camera {index}"
        try:
            import cv2  # optional dependency (the camera extra), imported only for a camera
        except ImportError as exc:
            raise VideoError(
                f"{self.name}: reading cameras needs OpenCV; install it with "
                "`pip install opencv-python-headless`"
            ) from exc
        self._cv2: Any = cv2
        capture = _open_quietly(cv2, index)
        if not capture.isOpened():
            capture.release()
            raise VideoError(f"{self.name}: cannot open the camera (is it connected and not in use?)")
        self._capture: Any = capture
        self.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        rate = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = rate if rate > 0 and math.isfinite(rate) else float(fps)
        self.frame_count = None

    def _generate(self) -> Iterator[Frame]:
        cv2 = self._cv2
        start: float | None = None
        index = 0
        failures = 0
        while True:
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                failures += 1
                if failures >= _CAMERA_MAX_FAILED_READS:
                    raise VideoError(
                        f"{self.name}: the camera stopped delivering frames after frame {index}"
                    )
                time.sleep(0.01)
                continue
            failures = 0
            now = time.monotonic()
            if start is None:
                start = now
            if bgr.ndim == 2:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
            elif bgr.shape[2] == 4:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
            else:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
            if index == 0:
                self.height, self.width = rgb.shape[:2]
            yield Frame(rgb, (now - start) * 1000.0, index, self.name)
            index += 1

    def _release(self) -> None:
        self._capture.release()
