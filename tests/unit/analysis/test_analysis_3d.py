"""Joint angles from 3D keypoints (BlazePose's ``keypoints_3d``) next to the 2D ones: geometry,
the analysis JSON and report, and the squat count on the TF.js squat clip equal to MoveNet's."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from movenet.analysis import analysis_to_json, analyze_poses, analyze_video, joint_angles, render_html
from movenet.analysis.angles import angle_between_3d, joint_angles_3d
from movenet.skeletons import BLAZEPOSE_33, COCO_17
from movenet.types import Keypoint, Pose

from conftest import get_network

# A standing person in metres (y down, as the model's frame); the left knee can bend towards the camera.
_STANDING = {"left_shoulder": (0.2, -0.5, 0.0), "right_shoulder": (-0.2, -0.5, 0.0),
             "left_elbow": (0.25, -0.2, 0.0), "right_elbow": (-0.25, -0.2, 0.0),
             "left_wrist": (0.25, 0.05, 0.0), "right_wrist": (-0.25, 0.05, 0.0),
             "left_hip": (0.1, 0.0, 0.0), "right_hip": (-0.1, 0.0, 0.0),
             "left_knee": (0.1, 0.45, 0.0), "right_knee": (-0.1, 0.45, 0.0),
             "left_ankle": (0.1, 0.9, 0.0), "right_ankle": (-0.1, 0.9, 0.0)}


def _pose(world: dict[str, tuple[float, float, float]]) -> Pose:
    """A BlazePose pose with these 3D keypoints (others at the head) and, as 2D keypoints, the same
    points seen from the front: x, y scaled to pixels, depth dropped from the picture."""
    points = [world.get(name, (0.0, -0.8, 0.0)) for name in BLAZEPOSE_33.keypoint_names]
    return Pose(keypoints=tuple(Keypoint(x=300 + 400 * x, y=300 + 400 * y, z=400 * z, score=0.9, name=name)
                                for (x, y, z), name in zip(points, BLAZEPOSE_33.keypoint_names, strict=True)),
                score=0.9,
                keypoints_3d=tuple(Keypoint(x=x, y=y, z=z, score=0.9, name=name)
                                   for (x, y, z), name in zip(points, BLAZEPOSE_33.keypoint_names, strict=True)),
                skeleton=BLAZEPOSE_33)


def test_angle_between_3d_known_geometry() -> None:
    assert angle_between_3d((1, 0, 0), (0, 0, 0), (0, 1, 0)) == pytest.approx(90)
    assert angle_between_3d((1, 0, 0), (0, 0, 0), (-1, 0, 0)) == pytest.approx(180)
    assert angle_between_3d((0, 0, 1), (0, 0, 0), (0, 1, 1)) == pytest.approx(45)
    assert math.isnan(angle_between_3d((0, 0, 0), (0, 0, 0), (1, 0, 0)))


def test_a_knee_bent_towards_the_camera_is_straight_in_2d_and_bent_in_3d() -> None:
    bent = dict(_STANDING, left_ankle=(0.1, 0.45, -0.45))  # shin pointing at the camera
    pose = _pose(bent)
    two_d = joint_angles([pose])
    three_d = joint_angles_3d([pose])
    assert three_d is not None
    assert three_d["left_knee"][0] == pytest.approx(90, abs=1e-6)
    assert two_d["left_knee"][0] != pytest.approx(90, abs=10)  # foreshortened in the image
    assert three_d["right_knee"][0] == pytest.approx(180, abs=1e-6)
    assert three_d["trunk_lean"][0] == pytest.approx(0, abs=1e-6)


def test_no_3d_angles_for_poses_without_3d_keypoints() -> None:
    coco = Pose(keypoints=tuple(Keypoint(1.0 + i, 2.0 * i, 0.9, n) for i, n in enumerate(COCO_17.keypoint_names)),
                score=0.9)
    assert joint_angles_3d([coco, None]) is None
    analysis = analyze_poses([[coco]] * 3, [0, 33, 66])
    doc = analysis_to_json(analysis)
    assert analysis.angles_3d is None and "angles_3d" not in doc and "rom_3d" not in doc
    assert "3D range" not in render_html(analysis)


def test_analysis_json_and_report_carry_the_3d_angles() -> None:
    poses = [[_pose(dict(_STANDING, left_ankle=(0.1, 0.45 + 0.45 * math.cos(a), -0.45 * math.sin(a))))]
             for a in np.linspace(0, math.pi / 2, 5)]
    analysis = analyze_poses(poses, [0, 100, 200, 300, 400])
    doc = analysis_to_json(analysis)
    assert doc["angles_3d"]["left_knee"] == pytest.approx([180.0, 157.5, 135.0, 112.5, 90.0], abs=1e-3)
    assert doc["rom_3d"]["left_knee"]["range"] == pytest.approx(90.0, abs=1e-3)
    assert set(doc["angles_3d"]) == set(doc["angles"])
    page = render_html(analysis)
    assert "3D range" in page and "3D keypoints" in page


@pytest.mark.parity
def test_squat_count_with_blazepose_equals_movenet(shared_data: Path) -> None:
    """The README's 3 squats on the TF.js squat clip, with BlazePose full as with Lightning."""
    get_network("lightning")
    get_network("blazepose-detector")
    get_network("blazepose-full")
    clip = shared_data / "videos" / "tfjs_squats.mp4"
    movenet = analyze_video(clip, "squat", model="lightning", key_frames=False)
    blazepose = analyze_video(clip, "squat", model="blazepose-full", key_frames=False)
    assert len(movenet.reps) == len(blazepose.reps) == 3
    assert movenet.complete_reps == blazepose.complete_reps == 2
    assert blazepose.angles_3d is not None and blazepose.rom_3d is not None
    # In 3D the deepest knee angle is a real squat depth (well below standing straight).
    assert blazepose.rom_3d["knee"].min < 100 < 160 < blazepose.rom_3d["knee"].max
