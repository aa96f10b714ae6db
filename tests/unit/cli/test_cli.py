"""End-to-end tests of `movenet detect` and `movenet models`: JSON schema, drawing, bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movenet.cli.main import example_image, main

from conftest import get_network


@pytest.fixture(scope="module", autouse=True)
def _weights() -> None:
    get_network("lightning")  # skip the module when the weights are not fetched


def _detect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    rc = main(["detect", "--json", "-", *args])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def test_detect_example_image_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, _ = _detect(capsys, str(example_image()))
    assert rc == 0
    assert doc["model"] == "lightning"
    (frame,) = doc["frames"]
    assert (frame["index"], frame["width"], frame["height"]) == (0, 512, 512)
    (pose,) = frame["poses"]
    assert pose["box"] is None and pose["id"] is None
    names = [k["name"] for k in pose["keypoints"]]
    assert names[0] == "nose" and len(names) == 17
    nose, l_sh, l_hip = (pose["keypoints"][i] for i in (0, 5, 11))
    assert nose["y"] < l_sh["y"] < l_hip["y"]  # head above shoulders above hips
    assert 0.3 < pose["score"] <= 1


def test_bad_inputs_are_reported_and_others_still_processed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.png"
    Image.open(example_image()).save(good)
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(example_image().read_bytes()[:20000])
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 20000)).save(huge)
    missing = tmp_path / "missing.png"
    inputs = [text, good, empty, truncated, huge]
    rc, doc, err = _detect(capsys, *map(str, inputs))
    assert rc == 2
    frames = doc["frames"]
    assert [f["source"] for f in frames] == [str(p) for p in inputs]
    assert len(frames[1]["poses"]) == 1 and "error" not in frames[1]
    for i in (0, 2, 3, 4):
        assert frames[i]["error"].startswith(str(inputs[i])), frames[i]["error"]
        assert frames[i]["poses"] == []
    lines = [line for line in err.splitlines() if line.startswith("movenet: error:")]
    assert len(lines) == 4 and "Traceback" not in err
    assert "too large" in frames[4]["error"] and "MOVENET_MAX_PIXELS" in frames[4]["error"]
    rc = main(["detect", "--json", "-", str(missing)])
    assert rc == 2 and str(missing) in capsys.readouterr().err


def test_cli_exit_code_and_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    proc = subprocess.run([sys.executable, "-m", "movenet", "detect", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(f"movenet: error: {bad}")
    assert "Traceback" not in proc.stderr


def test_directory_inputs_sorted_and_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "imgs"
    src.mkdir()
    image = np.asarray(Image.open(example_image()).convert("RGB"))
    Image.fromarray(image).save(src / "b.png")
    Image.fromarray(image[:, ::-1]).save(src / "a.png")
    out = tmp_path / "drawn"
    rc, doc, _ = _detect(capsys, "--draw", str(out), str(src))
    assert rc == 0
    assert [Path(f["source"]).name for f in doc["frames"]] == ["a.png", "b.png"]
    # a.png is the mirror image of b.png: the nose x must mirror too (independent images).
    nose_a = doc["frames"][0]["poses"][0]["keypoints"][0]["x"]
    nose_b = doc["frames"][1]["poses"][0]["keypoints"][0]["x"]
    assert abs((511 - nose_a) - nose_b) < 3
    drawn = np.asarray(Image.open(out / "b.png").convert("RGB"))
    assert drawn.shape == image.shape and (drawn != image).any()


def test_models_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["status"] for r in rows} == {"ok"} and len(rows) == 16  # 8 graphs x (.json, .bin)
