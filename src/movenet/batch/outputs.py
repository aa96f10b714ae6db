"""Per-input output files: one row per frame x person x keypoint (Parquet, CSV) or one line per
frame (JSONL), written to a temporary name beside the final one and renamed when complete.

Columns (Parquet and CSV): ``source``, ``frame_index``, ``timestamp_ms`` (empty for a still
image), ``person_id`` (the tracker's id where the model tracks people, else the pose's position in
the frame: 0 for the single-pose models), ``pose_score``, ``keypoint`` (its name), ``x``, ``y``
(image pixels), ``score``, and ``z`` only for models that give one. A Parquet file also carries
the run's description in its key-value metadata (``movenet``: model, options hash, input size and
time, frame size; ``movenet.complete``: frame and row counts), which is how a rerun checks it.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from movenet.io.results import frame_record
from movenet.types import Pose

__all__ = ["COLUMNS", "ROW_GROUP_ROWS", "PoseWriter", "open_writer", "parquet_description", "replace_atomically",
           "temporary_path", "remove_stale_temporaries", "sweep_temporaries", "pose_schema"]

COLUMNS = ("source", "frame_index", "timestamp_ms", "person_id", "pose_score", "keypoint", "x", "y", "score")
#: Rows buffered before a Parquet row group is written (memory stays flat on long videos).
ROW_GROUP_ROWS = 1 << 16
_TEMP_MARK = ".partial-"


def pose_schema(has_z: bool, metadata: dict[str, str] | None = None) -> Any:
    """The pyarrow schema of the tidy rows: `COLUMNS`, then ``z`` for models with one."""
    import pyarrow as pa

    types = {"source": pa.string(), "frame_index": pa.int32(), "timestamp_ms": pa.float64(),
             "person_id": pa.int32(), "pose_score": pa.float64(), "keypoint": pa.string(), "x": pa.float64(),
             "y": pa.float64(), "score": pa.float64(), "z": pa.float64()}
    return pa.schema([(n, types[n]) for n in (*COLUMNS, "z") if n != "z" or has_z], metadata=metadata)


def temporary_path(final: Path) -> Path:
    """A hidden name beside `final`, unique to this process: ``.NAME.partial-PID``."""
    return final.with_name(f".{final.name}{_TEMP_MARK}{os.getpid()}")


def remove_stale_temporaries(final: Path) -> None:
    """Delete what killed runs left behind for `final` (their ``.NAME.partial-*`` files)."""
    try:
        for stale in final.parent.glob(f".{glob_escape(final.name)}{_TEMP_MARK}*"):
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def sweep_temporaries(folder: Path) -> int:
    """Delete the temporary files below `folder` left by processes that no longer run (killed
    runs); those of live processes are kept. Returns how many were deleted."""
    removed = 0
    for path in folder.rglob(f".*{_TEMP_MARK}*"):
        pid_text = path.name.rsplit(_TEMP_MARK, 1)[-1]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _alive(int(pid_text)):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def replace_atomically(tmp: Path, final: Path) -> None:
    """Flush `tmp` to disk and rename it to `final` (a reader sees the old file or the whole new one)."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)


class PoseWriter(Protocol):
    """Writes one input's frames; `close` finishes the file (it is still at its temporary name)."""

    def write(self, index: int, timestamp_ms: float | None, width: int, height: int, poses: Sequence[Pose]) -> None: ...

    def close(self, summary: dict[str, Any]) -> None: ...

    def abort(self) -> None: ...


def _person_id(pose: Pose, position: int) -> int:
    return pose.id if pose.id is not None else position


class _Rows:
    """Column buffers of the tidy table."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.has_z: bool | None = None
        self.clear()

    def clear(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in (*COLUMNS, "z")}

    def add(self, index: int, timestamp_ms: float | None, poses: Sequence[Pose]) -> None:
        cols = self.cols
        for position, pose in enumerate(poses):
            pid = _person_id(pose, position)
            for k in pose.keypoints:
                z = getattr(k, "z", None)
                if self.has_z is None:
                    self.has_z = z is not None
                cols["frame_index"].append(index)
                cols["timestamp_ms"].append(timestamp_ms)
                cols["person_id"].append(pid)
                cols["pose_score"].append(pose.score)
                cols["keypoint"].append(k.name)
                cols["x"].append(k.x)
                cols["y"].append(k.y)
                cols["score"].append(k.score)
                cols["z"].append(z)
        cols["source"].extend([self.source] * (len(cols["frame_index"]) - len(cols["source"])))

    def __len__(self) -> int:
        return len(self.cols["frame_index"])


class ParquetPoseWriter:
    """Streams row groups of the tidy table with pyarrow; the description goes in the metadata."""

    def __init__(self, path: Path, source: str, description: dict[str, Any]) -> None:
        # The file exists from the start (the schema, which depends on the first keypoint, waits
        # for the first row group): a run in progress shows as its temporary file.
        self._fh: IO[bytes] = open(path, "wb")  # noqa: SIM115
        self._rows = _Rows(source)
        self._description = description
        self._writer: Any = None
        self._count = 0

    def _schema(self) -> Any:
        return pose_schema(bool(self._rows.has_z), metadata={"movenet": json.dumps(self._description)})

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self._fh, self._schema(), compression="zstd")
        schema = self._writer.schema
        table = pa.Table.from_pydict({name: self._rows.cols[name] for name in schema.names}, schema=schema)
        self._writer.write_table(table)
        self._count += len(self._rows)
        self._rows.clear()

    def write(self, index: int, timestamp_ms: float | None, width: int, height: int, poses: Sequence[Pose]) -> None:
        self._rows.add(index, timestamp_ms, poses)
        if len(self._rows) >= ROW_GROUP_ROWS:
            self._flush()

    def close(self, summary: dict[str, Any]) -> None:
        if len(self._rows) or self._writer is None:
            self._flush()
        summary = {**summary, "rows": self._count}
        self._writer.add_key_value_metadata({"movenet.complete": json.dumps(summary)})
        self._writer.close()
        self._fh.close()

    def abort(self) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
        except Exception:  # the file is deleted anyway
            pass
        self._fh.close()


class CsvPoseWriter:
    """The tidy table as CSV (floats written in full, so they read back exactly)."""

    def __init__(self, path: Path, source: str) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._fh)
        self._rows = _Rows(source)
        self._header = False

    def _write_rows(self) -> None:
        names = [*COLUMNS, "z"] if self._rows.has_z else list(COLUMNS)
        if not self._header:
            self._csv.writerow(names)
            self._header = True
        cols = [self._rows.cols[n] for n in names]
        self._csv.writerows(("" if v is None else v for v in row) for row in zip(*cols, strict=True))
        self._rows.clear()

    def write(self, index: int, timestamp_ms: float | None, width: int, height: int, poses: Sequence[Pose]) -> None:
        self._rows.add(index, timestamp_ms, poses)
        if len(self._rows) >= 4096:
            self._write_rows()

    def close(self, summary: dict[str, Any]) -> None:
        self._write_rows()
        self._fh.close()

    def abort(self) -> None:
        self._fh.close()


class JsonlPoseWriter:
    """One JSON object a line per frame, in the ``movenet track --json`` frame schema."""

    def __init__(self, path: Path, source: str) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._source = source

    def write(self, index: int, timestamp_ms: float | None, width: int, height: int, poses: Sequence[Pose]) -> None:
        record = frame_record(index, self._source, width, height, list(poses), timestamp_ms=timestamp_ms)
        self._fh.write(json.dumps(record) + "\n")

    def close(self, summary: dict[str, Any]) -> None:
        self._fh.close()

    def abort(self) -> None:
        self._fh.close()


def open_writer(fmt: str, path: Path, source: str, description: dict[str, Any]) -> PoseWriter:
    """A writer of `fmt` ("parquet", "jsonl", "csv") to `path` (a temporary name)."""
    if fmt == "parquet":
        return ParquetPoseWriter(path, source, description)
    if fmt == "csv":
        return CsvPoseWriter(path, source)
    if fmt == "jsonl":
        return JsonlPoseWriter(path, source)
    raise ValueError(f"unknown output format {fmt!r}; use parquet, jsonl or csv")


def parquet_description(path: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(description, completion summary) from a Parquet output's footer, or None when the file is
    not a complete Parquet output of ours (missing, truncated, foreign, or without the summary)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        kv = meta.metadata or {}
        description = json.loads(kv[b"movenet"])
        summary = json.loads(kv[b"movenet.complete"])
    except (OSError, KeyError, ValueError, TypeError):
        return None
    except Exception:  # pyarrow raises its own errors on damaged files
        return None
    if summary.get("rows") != meta.num_rows:
        return None
    return description, summary
