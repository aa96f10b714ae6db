"""Parity with the official TF.js MoveNet on independent still images (issue: foundation).

Reference outputs were produced by ../shared/tools/tfjs-oracle (wasm backend,
--images-independent) with scripts/make_oracle_fixtures.py. Each case's input is rebuilt here
bit-exactly (checked by its sha256) from ../shared/data and tests/transforms.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.singlepose import SinglePoseDetector

from conftest import FIXTURES, SHARED_DATA, get_network
from transforms import case_image, rgb_sha256

TOL_PX = 1.0
MIN_SCORE = 0.3


def _load_case(case: str) -> np.ndarray:
    return case_image(case, SHARED_DATA)


def _run(model: str) -> tuple[list[float], list[float], list[str]]:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    doc = json.loads((FIXTURES / "oracle" / f"{model}_images.json").read_text())
    detector = SinglePoseDetector(get_network(model), INPUT_SIZES[model], model=model)
    dists: list[float] = []
    score_diffs: list[float] = []
    problems: list[str] = []
    for frame in doc["frames"]:
        image = _load_case(frame["case"])
        assert rgb_sha256(image) == frame["rgb_sha256"], f"input of {frame['case']} differs from the oracle's"
        detector.reset()
        poses = detector.estimate_poses(image)
        if len(poses) != len(frame["poses"]):
            problems.append(f"{frame['case']}: {len(poses)} poses, reference {len(frame['poses'])}")
            continue
        for ours, ref in zip(poses, frame["poses"], strict=True):
            ref_kp = np.array(ref["keypoints"])
            got = np.array([[k.x, k.y, k.score] for k in ours.keypoints])
            confident = ref_kp[:, 2] >= MIN_SCORE
            dists += list(np.hypot(*(got[confident, :2] - ref_kp[confident, :2]).T))
            score_diffs += list(np.abs(got[:, 2] - ref_kp[:, 2]))
            score_diffs.append(abs(ours.score - ref["score"]))
    return dists, score_diffs, problems


@pytest.mark.parametrize("model", ["lightning", "thunder"])
def test_keypoints_match_tfjs_on_stills_and_transformed_stills(model: str) -> None:
    dists, score_diffs, problems = _run(model)
    assert not problems, problems
    d = np.array(dists)
    assert d.size > 1000
    share = float((d <= TOL_PX).mean())
    print(f"{model}: {d.size} confident keypoints, {share:.2%} within {TOL_PX} px, max {d.max():.4f} px, "
          f"max score difference {max(score_diffs):.5f}")
    assert share >= 0.99, f"{share:.2%} of confident keypoints within {TOL_PX} px"
    # Fixture scores are rounded to 4 decimals.
    assert max(score_diffs) <= 0.02
