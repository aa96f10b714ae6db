"""The run manifest, ``_manifest.parquet`` (or ``_manifest.jsonl``) in the output folder: one row
per input with its status ("done": computed in this run, "skipped": complete from an earlier run,
"failed": with the error), frame counts, wall time, model, precision, package version and options
hash. It is rewritten whole to a temporary name and renamed, so it is always a complete file; and
how a rerun decides, with :func:`is_complete`, which inputs it can skip."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from movenet.batch.inputs import InputItem
from movenet.batch.outputs import parquet_description, replace_atomically, temporary_path
from movenet.batch.settings import TaskOptions
from movenet.batch.task import analysis_path, input_stat, output_path

__all__ = ["MANIFEST_FIELDS", "is_complete", "manifest_path", "read_manifest", "skipped_row", "write_manifest"]

#: Manifest columns, in order, with their Arrow types.
MANIFEST_FIELDS: tuple[tuple[str, str], ...] = (
    ("source", "string"), ("path", "string"), ("kind", "string"), ("output", "string"), ("status", "string"),
    ("error", "string"), ("frames", "int64"), ("frames_with_pose", "int64"), ("wall_s", "float64"),
    ("model", "string"), ("backend", "string"), ("precision", "string"), ("version", "string"),
    ("options_hash", "string"), ("input_bytes", "int64"), ("input_mtime_ns", "int64"),
    ("output_bytes", "int64"), ("analysis", "string"),
)
NAMES = ("_manifest.parquet", "_manifest.jsonl")


def manifest_path(out: Path, fmt: str) -> Path:
    """``_manifest.parquet`` for Parquet outputs, else ``_manifest.jsonl``."""
    return out / (NAMES[0] if fmt == "parquet" else NAMES[1])


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The rows of an earlier run's manifest(s) in `out`, by source; {} when there is none or it is
    unreadable (then only self-describing Parquet outputs can be trusted)."""
    rows: dict[str, dict[str, Any]] = {}
    for name in NAMES:
        path = out / name
        if not path.is_file():
            continue
        try:
            if name.endswith(".parquet"):
                import pyarrow.parquet as pq

                found = pq.read_table(path).to_pylist()
            else:
                found = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except Exception:  # a damaged manifest only costs recomputation
            continue
        for row in found:
            if isinstance(row, dict) and isinstance(row.get("source"), str):
                rows[row["source"]] = row
    return rows


def write_manifest(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write all `rows` to `path` atomically (Parquet or JSON lines, by the suffix)."""
    rows = [{name: row.get(name) for name, _ in MANIFEST_FIELDS} for row in rows]
    tmp = temporary_path(path)
    try:
        if path.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in MANIFEST_FIELDS])
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(row) + "\n" for row in rows)
        replace_atomically(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def is_complete(item: InputItem, out: Path, options: TaskOptions,
                previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row to record when `item`'s outputs from an earlier run can be kept as they are, else None.

    Kept when the output exists and is complete, was made with the same options hash from the
    same input file (size and modification time), and the analysis JSON exists where asked for.
    A Parquet output proves all that by its own footer (so a run killed between writing an output
    and rewriting the manifest loses nothing); a JSONL or CSV output needs the earlier manifest
    row, whose recorded size it must have."""
    final = output_path(out, item, options)
    wanted = options.options_hash()
    size, mtime = input_stat(item.path)
    if size is None or mtime is None or not final.is_file():
        return None
    if options.analyze is not None and item.kind == "video" and not analysis_path(out, item).is_file():
        return None
    if options.format == "parquet":
        found = parquet_description(final)
        if found is None:
            return None
        description, summary = found
        if (description.get("options_hash"), description.get("input_bytes"),
                description.get("input_mtime_ns")) != (wanted, size, mtime):
            return None
        base = dict(previous) if previous and previous.get("options_hash") == wanted else {}
        base.update(frames=summary.get("frames"), frames_with_pose=summary.get("frames_with_pose"),
                    model=description.get("model"), backend=description.get("backend"),
                    precision=description.get("precision"), version=description.get("version"))
    else:
        if not previous or previous.get("status") not in ("done", "skipped"):
            return None
        if (previous.get("options_hash"), previous.get("input_bytes"), previous.get("input_mtime_ns"),
                previous.get("output_bytes")) != (wanted, size, mtime, os.path.getsize(final)):
            return None
        base = dict(previous)
    return skipped_row(item, out, options, base, size, mtime, final)


def skipped_row(item: InputItem, out: Path, options: TaskOptions, base: dict[str, Any], size: int,
                mtime: int, final: Path) -> dict[str, Any]:
    row = dict(base)
    row.update(source=item.source, path=item.path, kind=item.kind, output=final.relative_to(out).as_posix(),
               status="skipped", error=None, options_hash=options.options_hash(), input_bytes=size,
               input_mtime_ns=mtime, output_bytes=os.path.getsize(final))
    row.setdefault("wall_s", 0.0)
    if options.analyze is not None and item.kind == "video":
        row["analysis"] = analysis_path(out, item).relative_to(out).as_posix()
    return row
