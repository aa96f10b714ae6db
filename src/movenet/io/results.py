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


class CsvPosesWriter:
    """One CSV row per frame x person x keypoint, flushed per frame (valid up to the last frame)."""

    def __init__(self, path: str | Path) -> None:
        self._own = str(path) != "-"
        if self._own:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="") if self._own else sys.stdout  # noqa: SIM115
        self._csv = csv.writer(self._fh)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, index: int, timestamp_ms: float | None, poses: list[Pose]) -> None:
        for p, pose in enumerate(poses):
            for k in pose.keypoints:
                self._csv.writerow((index, "" if timestamp_ms is None else f"{timestamp_ms:.3f}", p,
                                    "" if pose.id is None else pose.id, f"{pose.score:.6f}", k.name,
                                    f"{k.x:.3f}", f"{k.y:.3f}", f"{k.score:.6f}"))
        self._fh.flush()

    def close(self) -> None:
        if self._own:
            self._fh.close()

    def __enter__(self) -> CsvPosesWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
