"""`movenet detect` and `movenet track` as a new user meets them (issue 17, items 2-6): choosing the
person (--decoder heads, --target), frames of different sizes, missing paths and symlink loops,
bad output paths refused before any work, SIGTERM leaving valid JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import movenet
from movenet.cli.common import example_image
from movenet.cli.main import main
from movenet.families.movenet.singlepose import SinglePoseDetector

from conftest import get_network


@pytest.fixture(scope="module", autouse=True)
def _weights() -> None:
    get_network("lightning")  # skip the module when the weights are not fetched


@pytest.fixture(scope="module")
def person() -> np.ndarray:
    return np.asarray(Image.open(example_image()).convert("RGB"))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def _errors(err: str) -> list[str]:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("movenet: error:")]


def _keypoints(frame: dict) -> np.ndarray:
    (pose,) = frame["poses"]
    return np.array([(k["x"], k["y"], k["score"]) for k in pose["keypoints"]])


# --- item 2: --decoder heads and --target in detect and track ----------------------------------


def test_detect_decoder_heads_equals_the_graph_and_target_chooses(capsys: pytest.CaptureFixture[str]) -> None:
    image = str(example_image())
    rc, out, _ = _run(capsys, "detect", "--json", "-", image)
    assert rc == 0
    graph = json.loads(out)["frames"][0]
    rc, out, _ = _run(capsys, "detect", "--json", "-", "--decoder", "heads", image)
    assert rc == 0
    np.testing.assert_allclose(_keypoints(json.loads(out)["frames"][0]), _keypoints(graph), atol=1e-6)
    for target in ("center", "largest", "256,200"):  # a target other than center implies --decoder heads
        rc, out, err = _run(capsys, "detect", "--json", "-", "--target", target, image)
        assert rc == 0, err
        assert len(json.loads(out)["frames"][0]["poses"]) == 1
    rc, out, err = _run(capsys, "detect", "--json", "-", "--model", "multipose", "--decoder", "heads", image)
    assert rc == 2 and len(_errors(err)) == 1 and "single-pose" in err
    with pytest.raises(SystemExit):
        main(["detect", "--target", "somebody", image])


def test_track_takes_decoder_and_target(tmp_path: Path, person: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(person).save(folder / f"{k}.png")
    rc, out, err = _run(capsys, "track", str(folder), "--json", "-", "--decoder", "heads", "--target", "largest")
    assert rc == 0, err
    frames = json.loads(out)["frames"]
    assert len(frames) == 3 and all(len(f["poses"]) == 1 for f in frames)


# --- item 3: a folder of frames of different sizes is one sequence ----------------------------


def test_track_folder_of_frames_of_different_sizes(tmp_path: Path, person: np.ndarray,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import av

    folder = tmp_path / "frames"
    folder.mkdir()
    sizes = [(512, 512), (384, 288), (300, 400), (512, 512), (256, 256)]  # (width, height)
    frames = [np.asarray(Image.fromarray(person).resize(size)) for size in sizes]
    for k, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{k:02d}.png")
    video = tmp_path / "drawn.mp4"
    rc, out, err = _run(capsys, "track", str(folder), "--json", "-", "--draw", str(video))
    assert rc == 0, err
    got = json.loads(out)["frames"]
    assert [(f["width"], f["height"]) for f in got] == sizes
    # One sequence: what one detector gives fed the frames in order (its crop follows the person).
    detector = SinglePoseDetector(get_network("lightning"), 192)
    for k, frame in enumerate(frames):
        (pose,) = detector.estimate_poses(frame, k * 1000 / 30)
        np.testing.assert_allclose(_keypoints(got[k]), [(p.x, p.y, p.score) for p in pose.keypoints], atol=1e-4)
    with av.open(str(video)) as container:  # --draw letterboxes every frame into the first one's size
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == sizes[0]
        assert sum(1 for _ in container.decode(stream)) == len(sizes)


# --- item 4: a missing path does not abort detect; symlink loops named ------------------------


def test_detect_goes_on_past_missing_paths_and_names_symlink_loops(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    good, other = tmp_path / "good.png", tmp_path / "other.png"
    Image.open(example_image()).save(good)
    Image.open(example_image()).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(other)
    missing = tmp_path / "missing.jpg"
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop.name)
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to("nowhere.png")
    inputs = [good, missing, other, loop, dangling]
    rc, out, err = _run(capsys, "detect", "--json", "-", *map(str, inputs))
    assert rc == 2
    frames = json.loads(out)["frames"]
    assert [f["source"] for f in frames] == [str(p) for p in inputs]
    assert [len(f["poses"]) for f in frames] == [1, 0, 1, 0, 0]
    assert "error" not in frames[0] and "error" not in frames[2]
    assert "no such file or directory" in frames[1]["error"]
    assert "symbolic link loop" in frames[3]["error"] and "no such file" not in frames[3]["error"]
    assert "broken symbolic link" in frames[4]["error"]
    assert len(_errors(err)) == 3


# --- item 5: output paths checked before any work ---------------------------------------------


def _unwritable_place(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker / "out.csv"  # the parent is a file: nobody can write there, root included


@pytest.mark.parametrize("case", ["json-folder", "csv-unwritable", "csv-sys", "draw-file", "track-draw-folder",
                                  "track-json-folder"])
def test_bad_output_path_is_a_one_line_error_before_any_work(tmp_path: Path, case: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    image = str(example_image())
    folder = tmp_path / "existing-folder"
    folder.mkdir()
    existing = tmp_path / "existing.png"
    existing.write_bytes(b"keep me")
    drawn = tmp_path / "drawn"
    if case == "csv-sys" and (not Path("/sys").is_dir() or os.access("/sys", os.W_OK) and sys.platform != "linux"):
        pytest.skip("needs Linux's /sys")
    frames = tmp_path / "frames"
    frames.mkdir()
    Image.open(example_image()).save(frames / "0.png")
    args = {
        "json-folder": ["detect", "--json", str(folder), "--draw", str(drawn), image],
        "csv-unwritable": ["track", str(frames), "--json", str(tmp_path / "t.json"), "--csv",
                           str(_unwritable_place(tmp_path))],
        "csv-sys": ["track", str(frames), "--json", str(tmp_path / "t.json"), "--csv", "/sys/movenet-test.csv"],
        "draw-file": ["detect", "--json", str(tmp_path / "t.json"), "--draw", str(existing), image],
        "track-draw-folder": ["track", str(frames), "--json", str(tmp_path / "t.json"), "--draw", str(folder)],
        "track-json-folder": ["track", str(frames), "--json", str(folder)],
    }[case]
    rc, out, err = _run(capsys, *args)
    assert rc == 2
    (line,) = _errors(err)
    option = {"json-folder": "--json", "csv-unwritable": "--csv", "csv-sys": "--csv", "draw-file": "--draw",
              "track-draw-folder": "--draw", "track-json-folder": "--json"}[case]
    assert option in line, line
    assert out == ""
    assert not (tmp_path / "t.json").exists() and not drawn.exists()  # no work was done
    assert existing.read_bytes() == b"keep me"


# --- item 6: SIGTERM during track leaves valid JSON --------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_track_leaves_valid_json(tmp_path: Path, person: np.ndarray) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    source = tmp_path / "person.png"
    Image.fromarray(person).resize((160, 160)).save(source)
    for k in range(2000):  # far more than it can do before the signal
        (folder / f"{k:05d}.png").symlink_to(source)
    out_json, out_csv = tmp_path / "poses.json", tmp_path / "poses.csv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(movenet.__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "movenet", "track", str(folder), "--json", str(out_json),
                             "--csv", str(out_csv)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out_json.is_file() and out_json.read_text().count('"index"') >= 5:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "track ended before the signal"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    frames = json.loads(out_json.read_text())["frames"]  # valid JSON: the document was closed
    assert 5 <= len(frames) < 2000
    assert [f["index"] for f in frames] == list(range(len(frames)))
    rows = out_csv.read_text().splitlines()
    assert len(rows) == 1 + 17 * sum(1 for f in frames if f["poses"])


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "x", ""])
def test_positive_number_refuses_what_is_not_a_finite_positive_number(text: str) -> None:
    """The one argparse type behind --window, --max-body-mb, --body-timeout, --stream-idle-timeout."""
    import argparse

    from movenet.cli.common import positive_number

    with pytest.raises(argparse.ArgumentTypeError, match="seconds" if text not in ("x", "") else "not a number"):
        positive_number("seconds")(text)
    assert positive_number("seconds")("2.5") == 2.5
