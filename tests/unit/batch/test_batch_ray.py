"""`movenet batch` on Ray: a local Ray instance started by the test (two CPUs, no dashboard, no
network) runs the same per-input task on actors and writes the same outputs and manifest as the
local process pool."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from movenet.batch import run_batch

from conftest import SHARED_DATA

# Whole real clips through a local Ray instance: slow, so outside the fast loop.
pytestmark = [pytest.mark.ray, pytest.mark.parity, pytest.mark.usefixtures("shared_data", "lightning_network")]
# Loopback only: Ray binds its single-machine mode to 127.0.0.1 (as on macOS) instead of this
# machine's network address. Read when Ray is imported, so set before.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'movenet[ray]')")
pq = pytest.importorskip("pyarrow.parquet", reason="the batch extra (pyarrow) is not installed")


@pytest.fixture(scope="module")
def local_ray():  # noqa: ANN201
    if ray.is_initialized():
        pytest.skip("a Ray instance is already running in this process")
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"\nray.init: {time.perf_counter() - start:.1f} s")
    yield
    ray.shutdown()


def test_ray_outputs_equal_the_local_run(local_ray: None, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "photos").mkdir(parents=True)
    shutil.copyfile(SHARED_DATA / "videos" / "tfjs_dance_pose_1.mp4", folder / "dance.mp4")
    shutil.copyfile(SHARED_DATA / "videos" / "mmpose_street_walk_5frames.mp4", folder / "walk.mp4")
    shutil.copyfile(SHARED_DATA / "stills" / "tfjs_pose.jpg", folder / "photos" / "pose.jpg")
    shutil.copyfile(SHARED_DATA / "stills" / "grace_hopper.jpg", folder / "photos" / "grace_hopper.jpg")
    (folder / "broken.mp4").write_text("not a video")

    start = time.perf_counter()
    local = run_batch([folder], tmp_path / "local", workers=2, progress=False)
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    on_ray = run_batch([folder], tmp_path / "ray", workers=2, ray=True, progress=False)
    ray_s = time.perf_counter() - start
    print(f"local pool: {local_s:.1f} s, Ray actors: {ray_s:.1f} s ({local.frames} frames)")

    assert local.exit_code == on_ray.exit_code == 2
    assert ray.is_initialized()  # a Ray the caller started is left running
    keys = ("source", "output", "status", "frames", "frames_with_pose", "options_hash", "model", "precision")
    assert [{k: r[k] for k in keys} for r in on_ray.rows] == [{k: r[k] for k in keys} for r in local.rows]
    failed = [r for r in on_ray.rows if r["status"] == "failed"]
    assert [r["source"] for r in failed] == ["broken.mp4"] and "not a video file" in failed[0]["error"]
    for row in local.rows:
        if row["status"] == "done":
            ours = pq.read_table(tmp_path / "local" / row["output"])
            theirs = pq.read_table(tmp_path / "ray" / row["output"])
            assert ours.num_rows > 0 and ours.equals(theirs), row["source"]
    again = run_batch([folder], tmp_path / "ray", workers=2, ray=True, progress=False)
    assert {r["source"]: r["status"] for r in again.rows} == {
        "broken.mp4": "failed", "dance.mp4": "skipped", "walk.mp4": "skipped",
        "photos/grace_hopper.jpg": "skipped", "photos/pose.jpg": "skipped"}
