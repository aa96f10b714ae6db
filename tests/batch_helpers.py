"""Shared by the batch tests: a small real archive, and the reference results of `movenet track` /
`movenet detect` for its inputs."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from movenet.cli.main import main

from conftest import SHARED_DATA

VIDEOS = SHARED_DATA / "videos"
STILLS = SHARED_DATA / "stills"


def make_partial_video(target: Path, scratch: Path) -> None:
    """A real clip re-encoded with the index in front, then cut at 60%: it opens, decodes part way,
    then fails (as a transfer that stopped early)."""
    from movenet.io.video import open_source
    from movenet.io.video_writer import VideoWriter

    whole = scratch / "whole_for_cut.mp4"
    with open_source(VIDEOS / "tfjs_dance_pose_1.mp4") as source, \
            VideoWriter(whole, source.width, source.height, source.fps) as writer:
        for frame in source:
            writer.write(frame.image)
    data = whole.read_bytes()
    target.write_bytes(data[: len(data) * 6 // 10])
    whole.unlink()


def make_archive(root: Path) -> dict[str, Path]:
    """Real clips and photos (copies, in sub-folders) plus three bad inputs; {relative name: path}."""
    files = {
        "clips/dance.mp4": VIDEOS / "tfjs_dance_pose_1.mp4",
        "clips/street_walk.mp4": VIDEOS / "mmpose_street_walk_5frames.mp4",
        "clips/squats.mp4": VIDEOS / "tfjs_squats.mp4",
        "clips/combined.gif": VIDEOS / "tfjs_combined_squat_dance.gif",
        "photos/grace_hopper.jpg": STILLS / "grace_hopper.jpg",
        "photos/pose.jpg": STILLS / "tfjs_pose.jpg",
        "photos/three_people.jpg": STILLS / "tfjs_three_people.jpg",
        "photos/astronaut.png": STILLS / "astronaut.png",
    }
    out: dict[str, Path] = {}
    for name, src in files.items():
        dst = root / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        out[name] = dst
    frames = VIDEOS / "posetrack18_000001_mpiinew_test"
    for frame in sorted(frames.iterdir())[:3]:
        dst = root / "photos" / "posetrack" / frame.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(frame, dst)
        out[f"photos/posetrack/{frame.name}"] = dst
    bad = root / "bad"
    bad.mkdir()
    make_partial_video(bad / "cut.mp4", root)
    (bad / "empty.mov").write_bytes(b"")
    (bad / "x.mp4").write_text("this is a text file, not a video\n")
    (root / "notes.txt.md").write_text("not an input: no media suffix\n")
    return out


def reference_frames(path: Path, kind: str, scratch: Path, *extra: str) -> list[dict[str, Any]]:
    """The frames `movenet track --json` (video) or `movenet detect --json` (image) give for `path`."""
    target = scratch / f"ref_{abs(hash(str(path)))}.json"
    command = ["track", str(path)] if kind == "video" else ["detect", str(path)]
    main([*command, "--json", str(target), *extra])
    return json.loads(target.read_text())["frames"]


def frames_from_table(table: Any) -> dict[int, list[tuple[int, list[tuple[float, float, float]]]]]:
    """{frame index: [(person id, [(x, y, score) per keypoint]) in row order]} of a tidy table."""
    frames: dict[int, dict[int, list[tuple[float, float, float]]]] = defaultdict(dict)
    cols = table.to_pydict()
    for f, pid, x, y, s in zip(cols["frame_index"], cols["person_id"], cols["x"], cols["y"], cols["score"],
                               strict=True):
        frames[f].setdefault(pid, []).append((x, y, s))
    return {f: list(people.items()) for f, people in frames.items()}


def assert_same_as_reference(table: Any, reference: list[dict[str, Any]]) -> None:
    """Every pose of every frame equal, number for number (x, y, score), and nothing more."""
    got = frames_from_table(table)
    cols = table.to_pydict()
    times = dict(zip(cols["frame_index"], cols["timestamp_ms"], strict=True))
    for f in reference:
        if f["index"] in times:
            assert times[f["index"]] == f.get("timestamp_ms"), f["index"]
    expected_frames = {f["index"]: f for f in reference if f["poses"]}
    assert sorted(got) == sorted(expected_frames), "frames with a pose differ"
    for index, frame in expected_frames.items():
        people = got[index]
        assert len(people) == len(frame["poses"]), index
        for (pid, keypoints), pose in zip(people, frame["poses"], strict=True):
            if pose["id"] is not None:
                assert pid == pose["id"]
            assert keypoints == [(k["x"], k["y"], k["score"]) for k in pose["keypoints"]], index
