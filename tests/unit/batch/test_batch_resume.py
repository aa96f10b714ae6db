"""Killing `movenet batch` (SIGKILL) in the middle and running it again: the result equals an
uninterrupted run, no finished input is computed again, and no partial file is ever under a final
name. Also: killing only the parent leaves no worker behind, and SIGTERM stops cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from movenet.cli.main import main

from conftest import REPO, SHARED_DATA

# End to end on real clips and photos, compared with `movenet track`/`detect`: slow, so
# outside the fast loop (-m "not parity").
pytestmark = [pytest.mark.parity, pytest.mark.usefixtures("shared_data", "lightning_network")]

pq = pytest.importorskip("pyarrow.parquet", reason="the batch extra (pyarrow) is not installed")


@pytest.fixture(scope="module")
def folder_and_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Four inputs, processed in name order, and their uninterrupted run."""
    root = tmp_path_factory.mktemp("resume")
    folder = root / "in"
    folder.mkdir()
    videos = SHARED_DATA / "videos"
    shutil.copyfile(videos / "mmpose_street_walk_5frames.mp4", folder / "a.mp4")
    shutil.copyfile(videos / "tfjs_dance_pose_1.mp4", folder / "b.mp4")  # long enough to be caught half done
    shutil.copyfile(videos / "mmpose_street_walk_5frames.mp4", folder / "c.mp4")
    shutil.copyfile(SHARED_DATA / "stills" / "tfjs_pose.jpg", folder / "d.jpg")
    reference = root / "reference"
    assert main(["batch", str(folder), "--out", str(reference), "--workers", "2", "--no-progress"]) == 0
    return folder, reference


def _start(folder: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "movenet", "batch", str(folder), "--out", str(out), "--workers",
                             "1", "--no-progress"], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _partials(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if ".partial-" in p.name]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_while_b_is_in_progress(folder: Path, out: Path, *, whole_group: bool) -> subprocess.Popen[bytes]:
    proc = _start(folder, out)
    try:
        _wait_for(lambda: (out / "a.mp4.parquet").exists() and any(p.name.startswith(".b.mp4.parquet")
                                                                    for p in _partials(out)))
    finally:
        if whole_group:  # as a power cut or the OOM killer taking everything
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return proc


def _final_outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.parquet") if not p.name.startswith((".", "_")))


def _assert_complete_or_absent(out: Path) -> None:
    from movenet.batch.outputs import parquet_description

    for path in _final_outputs(out):
        assert parquet_description(path) is not None, f"{path} is under a final name but not complete"


def _assert_equal_to_reference(out: Path, reference: Path) -> None:
    ours, theirs = _final_outputs(out), _final_outputs(reference)
    assert [p.relative_to(out) for p in ours] == [p.relative_to(reference) for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert pq.read_table(a).equals(pq.read_table(b)), a.name


def test_sigkill_then_rerun_equals_an_uninterrupted_run(folder_and_reference: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    folder, reference = folder_and_reference
    out = tmp_path / "out"
    _kill_while_b_is_in_progress(folder, out, whole_group=True)
    _assert_complete_or_absent(out)
    assert [p.name for p in _final_outputs(out)] == ["a.mp4.parquet"]
    assert _partials(out), "the killed worker's temporary file should still be there (it was killed too)"
    finished = out / "a.mp4.parquet"
    stamp = (finished.stat().st_ino, finished.stat().st_mtime_ns)

    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert (finished.stat().st_ino, finished.stat().st_mtime_ns) == stamp  # not computed again
    rows = {r["source"]: r for r in pq.read_table(out / "_manifest.parquet").to_pylist()}
    assert {s: r["status"] for s, r in rows.items()} == {"a.mp4": "skipped", "b.mp4": "done", "c.mp4": "done",
                                                        "d.jpg": "done"}
    assert rows["a.mp4"]["frames"] == 5
    assert _partials(out) == []  # the rerun removed what the killed run left
    _assert_equal_to_reference(out, reference)


def test_killing_the_parent_leaves_no_worker_and_no_temporary_file(folder_and_reference: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    folder, reference = folder_and_reference
    out = tmp_path / "out"
    proc = _kill_while_b_is_in_progress(folder, out, whole_group=False)
    _wait_for(lambda: not _group_alive(proc.pid), timeout=15)  # the worker saw its parent go and left
    # ... deleting its half-written file. The parent itself, killed by SIGKILL, may have been caught
    # writing the manifest (its own ``._manifest.parquet.partial-PID``): nothing can delete that at
    # the time, the rerun does.
    assert [p.name for p in _partials(out) if not p.name.endswith(f".partial-{proc.pid}")] == []
    _assert_complete_or_absent(out)
    assert main(["batch", str(folder), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    assert _partials(out) == []
    _assert_equal_to_reference(out, reference)


def test_sigterm_stops_cleanly_with_a_consistent_manifest(folder_and_reference: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    folder, reference = folder_and_reference
    out = tmp_path / "out"
    proc = _start(folder, out)
    _wait_for(lambda: (out / "a.mp4.parquet").exists() and any(p.name.startswith(".b.mp4.parquet")
                                                                for p in _partials(out)))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err and b"interrupted" in err
    _wait_for(lambda: not _group_alive(proc.pid), timeout=10)  # workers (and multiprocessing's helper) gone
    assert _partials(out) == []
    rows = {r["source"]: r for r in pq.read_table(out / "_manifest.parquet").to_pylist()}
    assert rows == {"a.mp4": rows["a.mp4"]} and rows["a.mp4"]["status"] == "done"
    _assert_complete_or_absent(out)
    assert main(["batch", str(folder), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    _assert_equal_to_reference(out, reference)
