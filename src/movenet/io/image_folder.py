"""A directory of images as a frame source: its image files sorted by name, at a fixed frame rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from movenet.errors import ImageError
from movenet.io.frames import Frame, FrameSource, PathLike, VideoError
from movenet.io.images import IMAGE_EXTENSIONS, image_paths, load_image

__all__ = ["ImageFolderSource"]


class ImageFolderSource(FrameSource):
    """The image files of a directory, sorted by name, as frames ``k * 1000 / fps`` ms apart.

    Frames may change size from one to the next (a camera can change resolution; the detectors
    take any size per frame); ``width`` and ``height`` are the first frame's."""

    def __init__(self, directory: PathLike, *, fps: float = 30.0) -> None:
        super().__init__()
        self.name = str(directory)
        try:
            self._paths = image_paths([directory])
        except ImageError as exc:
            raise VideoError(str(exc)) from exc
        if not self._paths:
            kinds = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise VideoError(f"{self.name}: directory holds no image files ({kinds})")
        self._first: np.ndarray | None = self._load(self._paths[0])
        self.height, self.width = self._first.shape[:2]
        self.fps = float(fps)
        self.frame_count = len(self._paths)

    @staticmethod
    def _load(path: Path) -> np.ndarray:
        try:
            return load_image(path)
        except ImageError as exc:
            raise VideoError(str(exc)) from exc

    def _generate(self) -> Iterator[Frame]:
        for k, path in enumerate(self._paths):
            if k == 0 and self._first is not None:
                image, self._first = self._first, None
            else:
                image = self._load(path)
            yield Frame(image, k * 1000.0 / self.fps, k, str(path))

    def _release(self) -> None:
        self._first = None
