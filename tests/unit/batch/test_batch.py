"""`movenet batch` on a small real archive: every good input gives exactly what `movenet track` /
`movenet detect` give for it, bad inputs are failed rows with their reason, the outputs read as one
tidy table, and a rerun recomputes nothing that is done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from movenet.cli.main import main

from batch_helpers import assert_same_as_reference, make_archive, reference_frames
from conftest import SHARED_DATA, get_network

# End to end on real clips and photos, compared with `movenet track`/`detect`: slow, so
# outside the fast loop (-m "not parity").
pytestmark = [pytest.mark.parity, pytest.mark.usefixtures("shared_data", "lightning_network")]

pq = pytest.importorskip("pyarrow.parquet", reason="the batch extra (pyarrow) is not installed")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The archive, run once through the CLI with two workers."""
    root = tmp_path_factory.mktemp("archive")
    files = make_archive(root / "in")
    out = root / "poses"
    rc = main(["batch", str(root / "in"), "--out", str(out), "--workers", "2", "--no-progress"])
    rows = pq.read_table(out / "_manifest.parquet").to_pylist()
    return {"root": root, "files": files, "out": out, "rc": rc, "rows": {r["source"]: r for r in rows}}


def test_every_good_input_equals_track_or_detect(archive: dict[str, Any], tmp_path: Path) -> None:
    rows = archive["rows"]
    for name, path in archive["files"].items():
        row = rows[name]
        assert row["status"] == "done", row
        table = pq.read_table(archive["out"] / row["output"])
        assert set(table.column("source").to_pylist()) <= {name}
        reference = reference_frames(path, row["kind"], tmp_path)
        assert row["frames"] == len(reference), name
        assert row["frames_with_pose"] == sum(1 for f in reference if f["poses"]), name
        assert_same_as_reference(table, reference)
    kinds = {name: rows[name]["kind"] for name in archive["files"]}
    assert kinds["clips/combined.gif"] == "video" and kinds["photos/posetrack/000000.jpg"] == "image"
    assert rows["clips/dance.mp4"]["frames"] == 120


def test_bad_inputs_are_failed_with_their_reason_and_exit_code_2(archive: dict[str, Any], tmp_path: Path) -> None:
    rows, root = archive["rows"], archive["root"] / "in"
    assert archive["rc"] == 2
    failed = {s: r for s, r in rows.items() if r["status"] == "failed"}
    assert set(failed) == {"bad/cut.mp4", "bad/empty.mov", "bad/x.mp4"}
    for source, row in failed.items():
        assert row["error"].startswith(str(root / source)), row["error"]
        assert "\n" not in row["error"]
        assert not (archive["out"] / row["output"]).exists()  # no file under a final name for a failure
    assert "empty" in failed["bad/empty.mov"]["error"]
    assert "not a video file" in failed["bad/x.mp4"]["error"]
    assert "truncated after frame" in failed["bad/cut.mp4"]["error"]
    # the part that decoded was processed, as `movenet track` does it, then the failure recorded
    decoded = reference_frames(root / "bad" / "cut.mp4", "video", tmp_path)
    assert failed["bad/cut.mp4"]["frames"] == len(decoded) > 0
    assert "notes.txt.md" not in rows  # no media suffix: not an input
    leftovers = [p for p in archive["out"].rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_manifest_describes_every_input(archive: dict[str, Any]) -> None:
    import movenet

    for row in archive["rows"].values():
        assert row["model"] == "lightning" and row["precision"] == "fp32" and row["backend"] == "onnxruntime"
        assert row["version"] == movenet.__version__
        assert len(row["options_hash"]) == 16 and row["wall_s"] >= 0
        assert row["input_bytes"] == Path(row["path"]).stat().st_size
    assert len({r["options_hash"] for r in archive["rows"].values()}) == 1


def test_outputs_read_as_one_tidy_table(archive: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from movenet.batch import read_poses

    table = pq.read_table(archive["out"])  # the manifest (_) and temporary files (.) are skipped by pyarrow
    assert table.column_names == ["source", "frame_index", "timestamp_ms", "person_id", "pose_score",
                                  "keypoint", "x", "y", "score"]
    done = [r for r in archive["rows"].values() if r["status"] == "done"]
    assert table.num_rows == sum(17 * r["frames_with_pose"] for r in done)  # single-pose: 17 rows a pose
    assert sorted(set(table.column("source").to_pylist())) == sorted(r["source"] for r in done)
    same = read_poses(archive["out"])
    assert same.num_rows == table.num_rows and same.schema.equals(table.schema, check_metadata=False)
    images = pa.array([r["source"] for r in done if r["kind"] == "image"])
    image_rows = same.filter(pc.is_in(same.column("source"), value_set=images))
    assert image_rows.num_rows > 0 and image_rows.column("timestamp_ms").null_count == image_rows.num_rows


def test_pandas_reads_the_folder_as_one_table(archive: dict[str, Any]) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed (the README's example uses it)")
    poses = pd.read_parquet(archive["out"])
    done = [r for r in archive["rows"].values() if r["status"] == "done"]
    assert len(poses) == sum(17 * r["frames_with_pose"] for r in done)
    dance = poses[poses.source == "clips/dance.mp4"]
    wrists = dance[dance.keypoint == "left_wrist"].set_index("timestamp_ms")[["x", "y", "score"]]
    assert len(wrists) == 120 and wrists.index.is_monotonic_increasing
    mean_score = poses.groupby(["source", "keypoint"]).score.mean().unstack()
    assert mean_score.shape == (len(done), 17) and mean_score.notna().all().all()


def test_rerun_skips_what_is_done_and_redoes_the_failed(archive: dict[str, Any]) -> None:
    out = archive["out"]
    done = [r for r in archive["rows"].values() if r["status"] == "done"]
    stamps = {r["source"]: (out / r["output"]).stat().st_mtime_ns for r in done}
    rc = main(["batch", str(archive["root"] / "in"), "--out", str(out), "--workers", "2", "--no-progress"])
    assert rc == 2
    rows = {r["source"]: r for r in pq.read_table(out / "_manifest.parquet").to_pylist()}
    assert {s for s, r in rows.items() if r["status"] == "skipped"} == set(stamps)
    assert {s for s, r in rows.items() if r["status"] == "failed"} == {"bad/cut.mp4", "bad/empty.mov", "bad/x.mp4"}
    assert {s: (out / rows[s]["output"]).stat().st_mtime_ns for s in stamps} == stamps
    for source in stamps:  # the skipped rows keep what the first run measured
        assert rows[source]["frames"] == archive["rows"][source]["frames"]


def _batch(inputs: list[Path], out: Path, *extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    rc = main(["batch", *map(str, inputs), "--out", str(out), "--no-progress", *extra])
    name = "_manifest.parquet" if "--format" not in extra or "parquet" in extra else "_manifest.jsonl"
    path = out / name
    if path.suffix == ".parquet":
        rows = pq.read_table(path).to_pylist()
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    return rc, {r["source"]: r for r in rows}


def _row_of(rows: dict[str, dict[str, Any]], path: Path) -> dict[str, Any]:
    (row,) = [r for r in rows.values() if r["path"] == str(path)]
    return row


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_csv_and_jsonl_hold_the_same_numbers(fmt: str, tmp_path: Path) -> None:
    from movenet.batch import read_output

    clip, photo = SHARED_DATA / "videos" / "mmpose_street_walk_5frames.mp4", SHARED_DATA / "stills" / "tfjs_pose.jpg"
    rc, rows = _batch([clip, photo], tmp_path / "out", "--format", fmt, "--workers", "1")
    assert rc == 0 and (tmp_path / "out" / "_manifest.jsonl").is_file()
    for path, kind in ((clip, "video"), (photo, "image")):
        row = _row_of(rows, path)
        assert row["output"] == f"{row['source']}.{fmt}" and row["source"].endswith(path.name)
        assert_same_as_reference(read_output(tmp_path / "out" / row["output"]), reference_frames(path, kind, tmp_path))
    if fmt == "jsonl":  # the frames in the `movenet track --json` schema, pose-less frames included
        lines = (tmp_path / "out" / f"videos/{clip.name}.jsonl").read_text().splitlines()
        assert [json.loads(line)["index"] for line in lines] == list(range(5))
    from movenet.batch import read_poses

    assert read_poses(tmp_path / "out").num_rows == 17 * sum(r["frames_with_pose"] for r in rows.values())
    rc, again = _batch([clip, photo], tmp_path / "out", "--format", fmt, "--workers", "1")
    assert rc == 0 and {r["status"] for r in again.values()} == {"skipped"}


def test_multipose_ids_start_at_one_in_every_input(tmp_path: Path) -> None:
    get_network("multipose")
    clip = SHARED_DATA / "videos" / "mmpose_street_walk_5frames.mp4"
    photo = SHARED_DATA / "stills" / "tfjs_three_people.jpg"
    rc, rows = _batch([photo, clip], tmp_path / "out", "--model", "multipose", "--workers", "1")
    assert rc == 0
    for path, kind in ((clip, "video"), (photo, "image")):
        table = pq.read_table(tmp_path / "out" / _row_of(rows, path)["output"])
        assert min(table.column("person_id").to_pylist()) == 1
        assert_same_as_reference(table, reference_frames(path, kind, tmp_path, "--model", "multipose"))


def test_analyze_writes_each_analysis_and_one_summary(tmp_path: Path) -> None:
    import csv

    from movenet.analysis import analysis_to_json, analyze_video

    squats = SHARED_DATA / "videos" / "tfjs_squats.mp4"
    photo = SHARED_DATA / "stills" / "tfjs_pose.jpg"
    rc, rows = _batch([squats, photo], tmp_path / "out", "--analyze", "squat", "--workers", "2")
    assert rc == 0
    assert _row_of(rows, squats)["analysis"] == "videos/tfjs_squats.mp4.analysis.json"
    assert _row_of(rows, photo)["analysis"] is None
    doc = json.loads((tmp_path / "out" / "videos" / "tfjs_squats.mp4.analysis.json").read_text())
    expected = analysis_to_json(analyze_video(squats, "squat", key_frames=False))  # as `movenet analyze`
    for key in ("frames", "frames_with_pose", "reps", "rom", "sway", "angles", "timestamps_ms", "exercise"):
        assert doc[key] == expected[key], key
    assert doc["reps"]["count"] == 3
    summary = list(csv.DictReader((tmp_path / "out" / "_analysis_summary.csv").open()))
    assert [r["source"] for r in summary] == ["videos/tfjs_squats.mp4"]
    assert int(summary[0]["reps"]) == 3 and summary[0]["exercise"] == "squat"


def test_model_flags_reach_the_model_as_in_detect(tmp_path: Path) -> None:
    """The model flags are the ones `movenet detect` has (one shared group): PoseNet multi-person
    with its own thresholds gives what detect gives with the same flags; a flag the model does not
    take is a usage error naming it, before anything is written."""
    get_network("posenet")
    photo = SHARED_DATA / "stills" / "tfjs_three_people.jpg"
    flags = ("--model", "posenet", "--max-poses", "4", "--score-threshold", "0.3", "--nms-radius", "30",
             "--input-resolution", "353")
    rc, rows = _batch([photo], tmp_path / "out", *flags, "--workers", "1")
    assert rc == 0
    table = pq.read_table(tmp_path / "out" / _row_of(rows, photo)["output"])
    reference = reference_frames(photo, "image", tmp_path, *flags)
    assert len(reference[0]["poses"]) > 1  # the flags chose multi-person decoding
    assert_same_as_reference(table, reference)
    assert main(["batch", str(photo), "--out", str(tmp_path / "bad"), "--nms-radius", "3", "--no-progress"]) == 2
    assert not (tmp_path / "bad").exists()


def test_no_smoothing_is_ignored_by_a_model_without_smoothing(tmp_path: Path) -> None:
    """--no-smoothing is a setting of the command, as in `movenet track`: PoseNet has no filter,
    so the run goes ahead (it stopped with "enable_smoothing does not apply" before)."""
    get_network("posenet")
    clip = SHARED_DATA / "videos" / "mmpose_street_walk_5frames.mp4"
    rc, rows = _batch([clip], tmp_path / "out", "--model", "posenet", "--no-smoothing", "--workers", "1")
    assert rc == 0 and _row_of(rows, clip)["status"] == "done"
    table = pq.read_table(tmp_path / "out" / _row_of(rows, clip)["output"])
    assert_same_as_reference(table, reference_frames(clip, "video", tmp_path, "--model", "posenet",
                                                     "--no-smoothing"))
