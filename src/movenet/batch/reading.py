"""Reading a batch run's outputs back as one tidy table (pyarrow; ``.to_pandas()`` for pandas)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from movenet.batch.manifest import read_manifest
from movenet.batch.outputs import pose_schema

__all__ = ["read_output", "read_poses"]


def read_output(path: str | os.PathLike[str]) -> Any:
    """One output file (``.parquet``, ``.csv`` or ``.jsonl``) as a pyarrow Table of the tidy columns."""
    import pyarrow as pa

    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if path.suffix == ".csv":
        import pyarrow.csv as pcsv

        with open(path, encoding="utf-8") as fh:
            has_z = "z" in fh.readline().strip().split(",")
        schema = pose_schema(has_z)
        return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=schema)).select(schema.names)
    if path.suffix == ".jsonl":
        rows: list[dict[str, Any]] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            frame = json.loads(line)
            for position, pose in enumerate(frame["poses"]):
                pid = pose["id"] if pose.get("id") is not None else position
                for k in pose["keypoints"]:
                    rows.append({"source": frame["source"], "frame_index": frame["index"],
                                 "timestamp_ms": frame.get("timestamp_ms"), "person_id": pid,
                                 "pose_score": pose["score"], "keypoint": k["name"], "x": k["x"], "y": k["y"],
                                 "score": k["score"], **({"z": k["z"]} if "z" in k else {})})
        return pa.Table.from_pylist(rows, schema=pose_schema(bool(rows) and "z" in rows[0]))
    raise ValueError(f"{path}: not a batch output (.parquet, .csv or .jsonl)")


def read_poses(out: str | os.PathLike[str]) -> Any:
    """Every output the manifest of `out` lists as done or skipped, in input order, as one table."""
    import pyarrow as pa

    out = Path(out)
    rows = read_manifest(out)
    tables = [read_output(out / r["output"]) for r in rows.values() if r.get("status") in ("done", "skipped")]
    if not tables:
        return pose_schema(False).empty_table()
    return pa.concat_tables(tables, promote_options="default")
