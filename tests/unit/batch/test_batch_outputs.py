"""The batch output writers on their own: the tidy columns, `z` only where keypoints have one,
empty outputs, the completion footer a rerun trusts, and the temporary-name protocol."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from movenet.batch.outputs import (
    COLUMNS,
    open_writer,
    parquet_description,
    remove_stale_temporaries,
    sweep_temporaries,
    temporary_path,
)
from movenet.batch.reading import read_output
from movenet.types import KEYPOINT_NAMES, Keypoint, Pose

pq = pytest.importorskip("pyarrow.parquet", reason="the batch extra (pyarrow) is not installed")


def _pose(offset: float, *, with_z: bool = False, pose_id: int | None = None) -> Pose:
    points = [Keypoint(offset + i, 2 * i, 0.5, n, z=-0.1 * i if with_z else None) for i, n in enumerate(KEYPOINT_NAMES)]
    return Pose(keypoints=tuple(points), score=0.7, id=pose_id)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
@pytest.mark.parametrize("with_z", [False, True])
def test_rows_per_frame_person_keypoint(fmt: str, with_z: bool, tmp_path: Path) -> None:
    path = tmp_path / f"clip.mp4.{fmt}"
    writer = open_writer(fmt, path, "a/clip.mp4", {"options_hash": "x"})
    writer.write(0, 0.0, 64, 48, [_pose(1.0, with_z=with_z)])
    writer.write(1, 33.3, 64, 48, [])
    writer.write(2, 66.7, 64, 48, [_pose(5.0, with_z=with_z, pose_id=3), _pose(9.0, with_z=with_z, pose_id=7)])
    writer.close({"frames": 3, "frames_with_pose": 2})
    table = read_output(path)
    # JSONL is `movenet track --json`'s frame schema, which carries z like the others
    has_z = with_z
    assert table.column_names == ([*COLUMNS, "z"] if has_z else list(COLUMNS))
    assert table.num_rows == 3 * 17
    cols = table.to_pydict()
    assert set(cols["source"]) == {"a/clip.mp4"}
    assert cols["frame_index"] == [0] * 17 + [2] * 34
    assert cols["person_id"] == [0] * 17 + [3] * 17 + [7] * 17  # the tracker's id where there is one
    assert cols["keypoint"][:17] == list(KEYPOINT_NAMES) and cols["x"][17] == 5.0 and cols["y"][16] == 32.0
    assert cols["timestamp_ms"][17] == 66.7
    if has_z:
        assert cols["z"][1] == pytest.approx(-0.1)


def test_an_empty_output_is_valid_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "nobody.mp4.parquet"
    writer = open_writer("parquet", path, "nobody.mp4", {"options_hash": "abc"})
    for k in range(3):
        writer.write(k, k * 40.0, 64, 48, [])
    writer.close({"frames": 3, "frames_with_pose": 0})
    assert pq.read_table(path).num_rows == 0
    description, summary = parquet_description(path)  # type: ignore[misc]
    assert description["options_hash"] == "abc" and summary == {"frames": 3, "frames_with_pose": 0, "rows": 0}


def test_an_unfinished_or_foreign_parquet_is_not_trusted(tmp_path: Path) -> None:
    import pyarrow as pa

    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"x": [1.0]}), foreign)
    assert parquet_description(foreign) is None
    path = tmp_path / "cut.parquet"
    writer = open_writer("parquet", path, "cut.mp4", {})
    writer.write(0, 0.0, 64, 48, [_pose(0.0)])
    writer.close({"frames": 1, "frames_with_pose": 1})
    data = path.read_bytes()
    path.write_bytes(data[:-20])
    assert parquet_description(path) is None
    assert parquet_description(tmp_path / "missing.parquet") is None


def test_temporary_names_are_hidden_and_swept(tmp_path: Path) -> None:
    final = tmp_path / "sub" / "clip.mp4.parquet"
    final.parent.mkdir()
    mine = temporary_path(final)
    assert mine.parent == final.parent and mine.name.startswith(".clip.mp4.parquet.partial-")
    dead = final.with_name(".clip.mp4.parquet.partial-999999999")  # no such process
    other = final.with_name(".other.mp4.parquet.partial-999999999")
    for path in (mine, dead, other):
        path.write_bytes(b"half")
    live = final.with_name(f".live.mp4.parquet.partial-{os.getppid()}")  # a running process: kept
    live.write_bytes(b"half")
    assert sweep_temporaries(tmp_path) == 3
    assert [p.name for p in final.parent.iterdir()] == [live.name]
    remove_stale_temporaries(final.with_name("live.mp4.parquet"))  # about to redo it: every leftover goes
    assert list(final.parent.iterdir()) == []
