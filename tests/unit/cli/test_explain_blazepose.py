"""`movenet explain --model blazepose-*`: the ROI, the keypoints and the landmark crop's heatmaps
in one PNG; an image with nobody in it is a one-line error, exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movenet.calculators.rects import Rect
from movenet.cli.explain_blazepose import GAP, LABEL_H, PANEL, TITLE_H, roi_corners
from movenet.cli.main import main

from conftest import get_network

STILL = Path("/work/shared/data/stills/tfjs_pose.jpg")


def _need_networks() -> None:
    get_network("blazepose-lite")
    get_network("blazepose-detector")


def test_roi_corners_follow_the_rotation() -> None:
    # A square ROI in a 200x100 image, turned a quarter clockwise: the top-left corner goes top-right.
    corners = roi_corners(Rect(0.5, 0.5, 0.2, 0.4, np.pi / 2), 200, 100)
    assert np.allclose(corners, [(120, 30), (120, 70), (80, 70), (80, 30)])
    assert np.allclose(roi_corners(Rect(0.5, 0.5, 0.5, 0.5), 100, 100), [(25, 25), (75, 25), (75, 75), (25, 75)])


def test_explain_blazepose_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not STILL.is_file():
        pytest.skip(f"{STILL} not available (shared test data)")
    _need_networks()
    out = tmp_path / "x.png"
    assert main(["explain", str(STILL), "--out", str(out), "--model", "blazepose-lite"]) == 0
    assert "wrote" in capsys.readouterr().err
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (2 * PANEL + 3 * GAP, TITLE_H + LABEL_H + PANEL + GAP)
        pixels = np.asarray(im.convert("RGB"))
    assert pixels.std() > 30  # not uniform
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 5000  # photo, heatmap colours, drawings


def test_explain_blazepose_with_nobody_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need_networks()
    blank = tmp_path / "blank.png"
    Image.fromarray(np.zeros((240, 320, 3), np.uint8)).save(blank)
    out = tmp_path / "x.png"
    assert main(["explain", str(blank), "--out", str(out), "--model", "blazepose-lite"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "found nobody" in captured.err or "no pose" in captured.err
    assert not out.exists()
