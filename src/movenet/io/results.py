"""Streaming result writers: frames are written as they come, so a crash or a bad frame late in
a long run still leaves a valid file holding everything before it."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from movenet.types import Pose


def frame_record(index: int, source: str | None, width: int | None, height: int | None,
                 poses: list[Pose], **extra: Any) -> dict[str, Any]:
    """One frame of the CLI's JSON schema."""
    record: dict[str, Any] = {"index": index, "source": source, "width": width, "height": height}
    record.update(extra)
    record["poses"] = [p.to_dict() for p in poses]
    return record


class JsonFramesWriter:
    """Writes `{"model": ..., <header>, "frames": [...]}` one frame at a time.

    `path` "-" means standard output. Use as a context manager; the document is closed
    (valid JSON) even when the body raises.
    """

    def __init__(self, path: str | Path, header: dict[str, Any]) -> None:
        self._own = str(path) != "-"
        if self._own:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(path, "w", encoding="utf-8") if self._own else sys.stdout  # noqa: SIM115
        head = json.dumps(header)[:-1]  # drop the closing brace; frames follow
        self._fh.write(head + (', ' if header else '') + '"frames": [')
        self._count = 0

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(("," if self._count else "") + "\n  " + json.dumps(record))
        self._count += 1
        self._fh.flush()

    def close(self) -> None:
        self._fh.write("\n]}\n")
        self._fh.flush()
        if self._own:
            self._fh.close()

    def __enter__(self) -> JsonFramesWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


CSV_COLUMNS = ("frame", "timestamp_ms", "pose", "pose_id", "pose_score", "keypoint", "x", "y", "score")
#: The extra columns of models with depth (BlazePose): keypoint z (pixels, scaled like x) and the
#: 3D keypoint (metres, hip-centred), after the 2D columns.
CSV_COLUMNS_3D = ("z", "x_3d", "y_3d", "z_3d")


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


class CsvPosesWriter:
    """One CSV row per frame x person x keypoint, flushed per frame (valid up to the last frame).

    with_3d: add the :data:`CSV_COLUMNS_3D` columns (for models whose poses have z and 3D
    keypoints; a value the pose lacks is left empty). Without it the columns are
    :data:`CSV_COLUMNS`, as for MoveNet and PoseNet.
    """

    def __init__(self, path: str | Path, *, with_3d: bool = False) -> None:
        self._own = str(path) != "-"
        if self._own:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="") if self._own else sys.stdout  # noqa: SIM115
        self._csv = csv.writer(self._fh)
        self._with_3d = with_3d
        self._csv.writerow(CSV_COLUMNS + (CSV_COLUMNS_3D if with_3d else ()))

    def write(self, index: int, timestamp_ms: float | None, poses: list[Pose]) -> None:
        for p, pose in enumerate(poses):
            world = pose.keypoints_3d
            for i, k in enumerate(pose.keypoints):
                row: tuple[object, ...] = (
                    index, "" if timestamp_ms is None else f"{timestamp_ms:.3f}", p,
                    "" if pose.id is None else pose.id, f"{pose.score:.6f}", k.name,
                    f"{k.x:.3f}", f"{k.y:.3f}", f"{k.score:.6f}")
                if self._with_3d:
                    w = world[i] if world is not None and i < len(world) else None
                    row += (_num(k.z, 3), _num(w.x if w else None, 5), _num(w.y if w else None, 5),
                            _num(w.z if w else None, 5))
                self._csv.writerow(row)
        self._fh.flush()

    def close(self) -> None:
        if self._own:
            self._fh.close()

    def __enter__(self) -> CsvPosesWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
