"""`movenet batch` against hostile inputs: a list naming missing files, a pattern matching nothing,
--out inside the input folder, the same input named twice, an unwritable --out, a backend that is
not there, changed options. Each is a one-line error or a failed row, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from movenet.cli.main import main

from conftest import REPO, SHARED_DATA

# Each case runs whole batches of real clips through worker processes: slow, so outside the
# fast loop (-m "not parity").
pytestmark = [pytest.mark.parity, pytest.mark.usefixtures("shared_data", "lightning_network")]

pq = pytest.importorskip("pyarrow.parquet", reason="the batch extra (pyarrow) is not installed")

CLIP = SHARED_DATA / "videos" / "mmpose_street_walk_5frames.mp4"
PHOTO = SHARED_DATA / "stills" / "tfjs_pose.jpg"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    shutil.copyfile(CLIP, root / "walk.mp4")
    shutil.copyfile(PHOTO, root / "sub" / "pose.jpg")
    return root


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    return {r["source"]: r for r in pq.read_table(out / "_manifest.parquet").to_pylist()}


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("movenet: error: "), err
    return lines[0]


def test_a_list_naming_missing_files_records_them_as_failed(folder: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    listing = folder / "list.txt"
    listing.write_text("# recordings of the day\nwalk.mp4\n\nmissing.mp4\nsub/pose.jpg\nsub/gone.png\n")
    rc = main(["batch", str(listing), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"])
    assert rc == 2
    rows = _rows(tmp_path / "out")
    assert list(rows) == ["walk.mp4", "missing.mp4", "sub/pose.jpg", "sub/gone.png"]  # the list's order
    assert rows["walk.mp4"]["status"] == rows["sub/pose.jpg"]["status"] == "done"
    for name in ("missing.mp4", "sub/gone.png"):
        assert rows[name]["status"] == "failed"
        error = rows[name]["error"]
        assert error.startswith(str(folder / name)) and ("not found" in error or "no such file" in error)
    err = capsys.readouterr().err
    assert err.count("movenet: error:") == 2 and "Traceback" not in err


def test_an_empty_list_and_a_pattern_matching_nothing_are_one_line_errors(
        folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    cases = [(str(empty), "names no file"), (str(folder / "**" / "*.mkv"), "matches no video or image"),
             (str(tmp_path / "nowhere"), "no such file, folder or pattern"),
             (str(tmp_path), "no video or image files")]  # a folder with only a .txt list in it
    (tmp_path / "only").mkdir()
    cases[-1] = (str(tmp_path / "only"), "no video or image files")
    for spec, message in cases:
        assert main(["batch", spec, "--out", str(tmp_path / "out"), "--no-progress"]) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert message in line and spec in line, line
    assert not (tmp_path / "out").exists()  # nothing was started


def test_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "movenet", "batch", str(tmp_path / "*.mp4"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2
    assert "matches no video or image file" in _one_error_line(proc.stderr)


def test_globs_with_double_star_find_files_at_every_depth(folder: Path, tmp_path: Path) -> None:
    (folder / "sub" / "deeper").mkdir()
    shutil.copyfile(PHOTO, folder / "sub" / "deeper" / "again.jpg")
    rc = main(["batch", str(folder / "**" / "*.jpg"), "--out", str(tmp_path / "out"), "--workers", "1",
               "--no-progress"])
    assert rc == 0
    assert set(_rows(tmp_path / "out")) == {"sub/pose.jpg", "sub/deeper/again.jpg"}  # relative to the glob's root


def test_out_inside_the_input_folder_is_not_an_input(folder: Path) -> None:
    out = folder / "poses"
    for _ in range(2):
        assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
        assert set(_rows(out)) == {"walk.mp4", "sub/pose.jpg"}
    assert main(["batch", str(folder / "**" / "*"), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert set(_rows(out)) == {"walk.mp4", "sub/pose.jpg"}
    assert {r["status"] for r in _rows(out).values()} == {"skipped"}


def test_the_same_input_named_twice_is_processed_once(folder: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{folder / 'walk.mp4'}\n{folder / 'sub' / '..' / 'walk.mp4'}\n")
    rc = main(["batch", str(folder), str(folder / "walk.mp4"), str(listing), "--out", str(tmp_path / "out"),
               "--workers", "1", "--no-progress"])
    assert rc == 0
    # all three name in/walk.mp4 once, so the outputs stay below the folder that holds every input
    assert list(_rows(tmp_path / "out")) == ["walk.mp4", "sub/pose.jpg"]


def test_inputs_in_two_folders_keep_their_folder_names(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(CLIP, other / "walk.mp4")  # same name as folder/walk.mp4: a different output
    rc = main(["batch", str(folder), str(other), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"])
    assert rc == 0
    rows = _rows(tmp_path / "out")
    assert set(rows) == {"in/walk.mp4", "in/sub/pose.jpg", "other/walk.mp4"}
    assert (tmp_path / "out" / "in" / "walk.mp4.parquet").is_file()
    assert (tmp_path / "out" / "other" / "walk.mp4.parquet").is_file()


def test_an_unwritable_out_is_a_one_line_error(folder: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out, message in ((a_file, "must be a folder"), (a_file / "poses", "cannot write to the output folder")):
        assert main(["batch", str(folder), "--out", str(out), "--no-progress"]) == 2
        assert message in _one_error_line(capsys.readouterr().err)


def test_cuda_without_a_gpu_is_a_one_line_error(folder: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from movenet.runtime import backend_available

    if backend_available("cuda"):
        pytest.skip("this machine has ONNX Runtime's CUDA provider")
    assert main(["batch", str(folder), "--out", str(tmp_path / "out"), "--backend", "cuda", "--no-progress"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "backend 'cuda' is not available" in line and "CUDAExecutionProvider" in line


def test_changed_options_or_a_changed_input_are_recomputed(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    first = _rows(out)
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress",
                 "--no-smoothing"]) == 0
    second = _rows(out)
    assert {r["status"] for r in second.values()} == {"done"}
    assert second["walk.mp4"]["options_hash"] != first["walk.mp4"]["options_hash"]
    shutil.copyfile(SHARED_DATA / "stills" / "grace_hopper.jpg", folder / "sub" / "pose.jpg")  # new content
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress",
                 "--no-smoothing"]) == 0
    third = _rows(out)
    assert third["walk.mp4"]["status"] == "skipped" and third["sub/pose.jpg"]["status"] == "done"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress", "--no-smoothing",
                 "--force"]) == 0
    assert {r["status"] for r in _rows(out).values()} == {"done"}


def test_a_foreign_or_damaged_file_under_an_output_name_is_recomputed(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    target = out / "walk.mp4.parquet"
    good = target.read_bytes()
    target.write_bytes(good[: len(good) // 2])  # e.g. a copy that stopped half way
    (out / "_manifest.parquet").unlink()
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    rows = _rows(out)
    assert rows["walk.mp4"]["status"] == "done" and rows["sub/pose.jpg"]["status"] == "skipped"
    assert target.read_bytes() == good  # recomputed: the same file again


def test_jsonl_manifest_rows_are_plain_json(folder: Path, tmp_path: Path) -> None:
    assert main(["batch", str(folder), "--out", str(tmp_path / "out"), "--format", "jsonl", "--workers", "1",
                 "--no-progress"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "_manifest.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["done", "done"]
