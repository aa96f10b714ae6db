"""`movenet detect/track/explain` with the BlazePose and PoseNet models: options from the registry
(a flag only for the models that take it), masks, JSON/CSV with z and 3D keypoints, drawing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movenet.cli.common import detector_options
from movenet.cli.main import build_parser, example_image, main
from movenet.io.masks import mask_image
from movenet.io.results import CSV_COLUMNS, CSV_COLUMNS_3D, CsvPosesWriter
from movenet.skeletons import BLAZEPOSE_33, COCO_17
from movenet.types import Keypoint, Pose

from conftest import detector_on, get_network


def _options(*argv: str) -> dict[str, object]:
    return detector_options(build_parser().parse_args(argv))


# --- options, no networks needed ---------------------------------------------------------------


def test_flags_map_to_the_models_options() -> None:
    assert _options("detect", "--model", "posenet", "--max-poses", "5", "--score-threshold", "0.3",
                    "--nms-radius", "30", "--input-resolution", "353x257") == {
        "max_poses": 5, "score_threshold": 0.3, "nms_radius": 30.0, "input_resolution": (353, 257)}
    assert _options("detect", "--model", "posenet", "--input-resolution", "300") == {"input_resolution": 300}
    assert _options("track", "--model", "blazepose-lite", "--segmentation", "masks", "x.mp4") == {
        "enable_segmentation": True}
    assert _options("track", "--model", "blazepose-full", "--no-smoothing", "x.mp4") == {}  # fixed by cmd_track
    assert _options("detect", "--model", "lightning") == {}


@pytest.mark.parametrize(("argv", "flag", "owners"), [
    (["--model", "lightning", "--segmentation", "{tmp}/masks"], "--segmentation", "blazepose-lite, blazepose-full"),
    (["--model", "blazepose-lite", "--nms-radius", "3"], "--nms-radius", "posenet"),
    (["--model", "thunder", "--input-resolution", "257"], "--input-resolution", "posenet"),
    (["--model", "posenet", "--tracker", "keypoint"], "--tracker", "multipose"),
])
def test_a_flag_the_model_does_not_take_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            argv: list[str], flag: str, owners: str) -> None:
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["detect", *argv, str(example_image())]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert flag in err and owners in err
    assert not (tmp_path / "masks").exists()  # checked before any output is made


def test_blazepose_max_poses_above_one_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--model", "blazepose-heavy", "--max-poses", "2", str(example_image())]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "max_poses must be 1" in err


def test_bad_input_resolution_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["detect", "--model", "posenet", "--input-resolution", "big", str(example_image())])
    assert exc.value.code == 2 and "WIDTHxHEIGHT" in capsys.readouterr().err


def test_explain_names_the_models_it_supports(capsys: pytest.CaptureFixture[str]) -> None:
    for model in ("posenet", "multipose"):
        assert main(["explain", "--model", model, str(example_image())]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and model in err
        assert "lightning, thunder" in err and "blazepose-lite, blazepose-full, blazepose-heavy" in err


def test_segmentation_folder_that_is_a_file_fails_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "masks"
    blocker.write_text("a file")
    assert main(["detect", "--model", "blazepose-lite", "--segmentation", str(blocker), str(example_image())]) == 2
    assert "--segmentation" in capsys.readouterr().err


# --- CSV and masks, no networks needed ----------------------------------------------------------


def _pose_3d() -> Pose:
    kps = tuple(Keypoint(x=i, y=2 * i, score=0.5, name=n, z=-i) for i, n in enumerate(BLAZEPOSE_33.keypoint_names))
    world = tuple(Keypoint(x=i / 100, y=-i / 100, score=0.5, name=n, z=0.25)
                  for i, n in enumerate(BLAZEPOSE_33.keypoint_names))
    return Pose(keypoints=kps, score=0.9, keypoints_3d=world, skeleton=BLAZEPOSE_33)


def test_csv_has_z_and_3d_columns_only_when_asked(tmp_path: Path) -> None:
    with CsvPosesWriter(tmp_path / "a.csv", with_3d=True) as w:
        w.write(0, 0.0, [_pose_3d()])
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert tuple(rows[0]) == CSV_COLUMNS + CSV_COLUMNS_3D and len(rows) == 33
    assert rows[3]["keypoint"] == "left_eye_outer"
    assert (float(rows[3]["z"]), float(rows[3]["x_3d"]), float(rows[3]["y_3d"]), float(rows[3]["z_3d"])) == (
        -3.0, 0.03, -0.03, 0.25)
    coco = Pose(keypoints=tuple(Keypoint(1, 2, 0.5, n) for n in COCO_17.keypoint_names), score=0.5)
    with CsvPosesWriter(tmp_path / "b.csv") as w:
        w.write(0, None, [coco])
    header = (tmp_path / "b.csv").read_text().splitlines()[0]
    assert header == ",".join(CSV_COLUMNS)  # MoveNet/PoseNet CSV unchanged


def test_mask_image_is_rounded_255_probability() -> None:
    m = np.array([[0.0, 0.5, 1.0], [np.nan, -0.2, 0.002]], np.float32)
    assert mask_image(m).tolist() == [[0, 128, 255], [0, 0, 1]]


# --- with the networks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _blazepose_weights() -> None:
    get_network("blazepose-detector")  # skips when the weights are absent
    get_network("blazepose-lite")


def test_detect_blazepose_json_masks_and_drawing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 _blazepose_weights: None) -> None:
    image = tmp_path / "astronaut.png"
    Image.open(example_image()).save(image)
    rc = main(["detect", "--model", "blazepose-lite", "--json", "-", "--segmentation", str(tmp_path / "masks"),
               "--draw", str(tmp_path / "drawn"), str(image), str(tmp_path / "missing.png")])
    out, err = capsys.readouterr()
    assert rc == 2 and "missing.png" in err  # the bad input is reported, the good one processed
    doc = json.loads(out)
    pose = doc["frames"][0]["poses"][0]
    assert "segmentation" not in pose and doc["frames"][1]["error"]
    assert [k["name"] for k in pose["keypoints"]] == list(BLAZEPOSE_33.keypoint_names)
    assert all(set(k) == {"name", "x", "y", "z", "score"} for k in pose["keypoints"])
    assert [k["name"] for k in pose["keypoints_3d"]] == list(BLAZEPOSE_33.keypoint_names)
    assert all(set(k) == {"name", "x", "y", "z", "score"} for k in pose["keypoints_3d"])
    assert all(abs(k["x"]) < 2 and abs(k["y"]) < 2 for k in pose["keypoints_3d"])  # metres, hip-centred
    # The mask file is round(255 * p) of the detector's own mask for that image.
    rgb = np.asarray(Image.open(image).convert("RGB"))
    (expected,) = detector_on("blazepose-lite", enable_segmentation=True).estimate_poses(rgb)
    mask = Image.open(tmp_path / "masks" / "astronaut_mask.png")
    assert mask.mode == "L" and mask.size == (rgb.shape[1], rgb.shape[0])
    assert np.array_equal(np.asarray(mask), mask_image(expected.segmentation))
    assert 0.05 < (np.asarray(mask) > 127).mean() < 0.9  # a person, not the whole frame
    # The drawn image is tinted where the mask is, untouched far from the person.
    drawn = np.asarray(Image.open(tmp_path / "drawn" / "astronaut.png").convert("RGB")).astype(int)
    person, background = np.asarray(mask) > 250, np.asarray(mask) == 0
    assert np.abs(drawn - rgb)[person].mean() > 20
    assert np.abs(drawn - rgb)[background].mean() < 3


def test_detect_posenet_json_has_no_z(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    get_network("posenet")
    assert main(["detect", "--model", "posenet", "--json", "-", "--max-poses", "3",
                 str(shared_data / "stills" / "tfjs_three_people.jpg")]) == 0
    poses = json.loads(capsys.readouterr().out)["frames"][0]["poses"]
    assert 2 <= len(poses) <= 3
    assert all("keypoints_3d" not in p and len(p["keypoints"]) == 17 for p in poses)
    assert all(set(k) == {"name", "x", "y", "score"} for p in poses for k in p["keypoints"])


def test_track_blazepose_masks_csv_video(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         _blazepose_weights: None) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        Image.open(example_image()).save(frames / f"f{i}.png")
    rc = main(["track", str(frames), "--model", "blazepose-lite", "--segmentation", str(tmp_path / "masks"),
               "--csv", str(tmp_path / "poses.csv"), "--json", str(tmp_path / "poses.json"),
               "--draw", str(tmp_path / "out.mp4")])
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == [f"frame{i:06d}.png" for i in range(3)]
    rows = list(csv.DictReader((tmp_path / "poses.csv").open()))
    assert tuple(rows[0]) == CSV_COLUMNS + CSV_COLUMNS_3D and len(rows) == 3 * 33
    doc = json.loads((tmp_path / "poses.json").read_text())
    last = doc["frames"][2]["poses"][0]
    row = rows[2 * 33 + 25]  # frame 2, left_knee
    assert row["keypoint"] == "left_knee"
    assert float(row["z"]) == pytest.approx(last["keypoints"][25]["z"], abs=1e-3)
    assert float(row["z_3d"]) == pytest.approx(last["keypoints_3d"][25]["z"], abs=1e-5)
    assert (tmp_path / "out.mp4").stat().st_size > 1000
