"""Movement analysis (issue 9): joint angles against hand-computed geometry, range of motion, the rep
counter on synthetic signals and on real squat clips, sway, the JSON and the HTML report (rendered in
headless Chromium when it is installed), and `movenet analyze`."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest

from movenet.analysis import (
    ANGLE_NAMES,
    Analysis,
    analysis_to_json,
    analyze_poses,
    analyze_video,
    angle_between,
    count_reps,
    joint_angles,
    pose_angles,
    range_of_motion,
    render_html,
    rep_thresholds,
    sway,
    tilt_from_vertical,
    write_report,
)
from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.types import KEYPOINT_NAMES, Keypoint, Pose

from browser import launch_chromium
from conftest import SHARED_DATA, get_network

SQUATS = SHARED_DATA / "tfjs-models" / "pose_squats.mp4"
SQUATS_COPY = SHARED_DATA / "videos" / "tfjs_squats.mp4"
SQUAT_HOLD_GIF = SHARED_DATA / "videos" / "tfjs_combined_squat_dance.gif"

# The squat clip (720x1280, 65 frames at 5 fps, 13 s), watched frame by frame on a contact sheet
# (frames decoded with PyAV, 10 per row, numbered): the woman stands, then
#   squat 1: goes down from frame ~3, deepest at frames 9-11, back up standing by frame ~19;
#   squat 2: down from frame ~27, deepest at frames 33-35, standing again by frame ~42;
#   squat 3: down from frame ~52, deepest at frames 58-61, and she is half way up (knees still
#            clearly bent) at frame 64 when the clip ends.
# So a person counts 3 squats, of which the 3rd is cut off before she stands up: the counter must
# find 3 reps, 2 complete and the last one flagged complete=False.
SQUATS_COUNTED_BY_EYE = 3
SQUATS_COMPLETE_BY_EYE = 2
SQUAT_BOTTOMS_BY_EYE = (10, 34, 60)


# --- helpers --------------------------------------------------------------------------------------


def make_pose(points: dict[str, tuple[float, float]], score: float = 0.9,
              low: tuple[str, ...] = ()) -> Pose:
    """A pose with the given keypoints (others at (0, 0) with score 0); names in `low` score 0.1."""
    kps = []
    for name in KEYPOINT_NAMES:
        if name in points:
            x, y = points[name]
            kps.append(Keypoint(x, y, 0.1 if name in low else score, name))
        else:
            kps.append(Keypoint(0.0, 0.0, 0.0, name))
    return Pose(tuple(kps), score)


#: An upright person facing the camera (image y grows downwards): straight legs, arms hanging,
#: shoulders 100 px above the hips, the person's left on the image's right.
STANDING = {
    "left_shoulder": (120.0, 100.0), "right_shoulder": (80.0, 100.0),
    "left_elbow": (120.0, 150.0), "right_elbow": (80.0, 150.0),
    "left_wrist": (120.0, 200.0), "right_wrist": (80.0, 200.0),
    "left_hip": (115.0, 200.0), "right_hip": (85.0, 200.0),
    "left_knee": (115.0, 260.0), "right_knee": (85.0, 260.0),
    "left_ankle": (115.0, 320.0), "right_ankle": (85.0, 320.0),
}  # fmt: skip


# --- angles: hand-computed geometry ---------------------------------------------------------------


def test_angle_between_known_geometry() -> None:
    b = np.array([0.0, 0.0])
    cases = [
        ((1.0, 0.0), (0.0, 1.0), 90.0),  # right angle
        ((1.0, 0.0), (-3.0, 0.0), 180.0),  # straight limb
        ((1.0, 0.0), (2.0, 2.0), 45.0),
        ((1.0, 0.0), (-1.0, 1.0), 135.0),
        ((1.0, 0.0), (5.0, 0.0), 0.0),  # folded shut
        ((0.0, -1.0), (math.sqrt(3), 1.0), 120.0),
        ((1.0, 0.0), (0.5, math.sqrt(3) / 2), 60.0),
    ]
    for a, c, expected in cases:
        got = float(angle_between(a, b, c))
        assert got == pytest.approx(expected, abs=1e-9), (a, c)
    # vectorised, translation and scale invariant
    many_a = np.array([[11.0, 5.0], [10.0, 7.0]])
    many_b = np.array([[10.0, 5.0], [10.0, 5.0]])
    many_c = np.array([[10.0, 105.0], [10.0, 3.0]])
    np.testing.assert_allclose(angle_between(many_a, many_b, many_c), np.array([90.0, 180.0]), atol=1e-9)


def test_angle_between_degenerate_is_nan() -> None:
    b = np.array([1.0, 1.0])
    assert math.isnan(float(angle_between(b, b, np.array([2.0, 2.0]))))  # zero-length segment
    assert math.isnan(float(angle_between(np.array([np.nan, 0.0]), b, np.array([2.0, 2.0]))))


def test_tilt_from_vertical() -> None:
    hip = np.array([0.0, 0.0])
    assert float(tilt_from_vertical(np.array([0.0, -10.0]), hip)) == pytest.approx(0.0)  # upright
    assert float(tilt_from_vertical(np.array([10.0, -10.0]), hip)) == pytest.approx(45.0)
    assert float(tilt_from_vertical(np.array([-10.0, -10.0]), hip)) == pytest.approx(45.0)
    assert float(tilt_from_vertical(np.array([-10.0, 0.0]), hip)) == pytest.approx(90.0)  # horizontal
    assert float(tilt_from_vertical(np.array([0.0, 10.0]), hip)) == pytest.approx(180.0)  # upside down
    assert math.isnan(float(tilt_from_vertical(hip, hip)))


def test_pose_angles_standing_straight() -> None:
    angles = pose_angles(make_pose(STANDING))
    assert set(angles) == set(ANGLE_NAMES)
    for name in ("left_knee", "right_knee", "knee", "left_elbow", "right_elbow", "elbow"):
        assert angles[name] == pytest.approx(180.0, abs=1e-9), name
    # hips: shoulder above hip above knee, but the shoulders are wider than the hips
    assert angles["left_hip"] == pytest.approx(180.0 - math.degrees(math.atan2(5, 100)), abs=1e-9)
    assert angles["left_shoulder"] == pytest.approx(math.degrees(math.atan2(5, 100)), abs=1e-9)
    assert angles["trunk_lean"] == pytest.approx(0.0, abs=1e-9)


def test_pose_angles_bent_joints() -> None:
    up = math.degrees(math.atan2(5, 100))  # STANDING's trunk sides lean 2.86 degrees (shoulders wider than hips)
    pts = dict(STANDING)
    # left leg: thigh 45 degrees down-right of the hip, shin vertical -> knee 135
    pts["left_knee"] = (115.0 + 60.0 / math.sqrt(2), 200.0 + 60.0 / math.sqrt(2))
    pts["left_ankle"] = (pts["left_knee"][0], pts["left_knee"][1] + 60.0)
    # right leg: thigh vertical, shin 45 degrees down-left -> knee 135
    pts["right_ankle"] = (85.0 - 60.0 / math.sqrt(2), 260.0 + 60.0 / math.sqrt(2))
    # left arm straight out to the side (upper arm horizontal), forearm pointing up -> elbow 90
    pts["left_elbow"], pts["left_wrist"] = (170.0, 100.0), (170.0, 50.0)
    # right arm straight overhead -> elbow 180
    pts["right_elbow"], pts["right_wrist"] = (80.0, 50.0), (80.0, 0.0)
    a = pose_angles(make_pose(pts))
    assert a["left_knee"] == pytest.approx(135.0, abs=1e-9)
    assert a["right_knee"] == pytest.approx(135.0, abs=1e-9)
    assert a["knee"] == pytest.approx(135.0, abs=1e-9)
    # hip -> shoulder points 2.86 degrees right of straight up, hip -> knee 135 degrees from up
    assert a["left_hip"] == pytest.approx(135.0 - up, abs=1e-9)
    assert a["right_hip"] == pytest.approx(180.0 - up, abs=1e-9)
    assert a["left_elbow"] == pytest.approx(90.0, abs=1e-9)
    # shoulder -> hip points down and 2.86 degrees inwards, shoulder -> elbow straight out
    assert a["left_shoulder"] == pytest.approx(90.0 + up, abs=1e-9)
    assert a["right_elbow"] == pytest.approx(180.0, abs=1e-9)
    assert a["right_shoulder"] == pytest.approx(180.0 - up, abs=1e-9)
    assert a["trunk_lean"] == pytest.approx(0.0, abs=1e-9)
    # trunk leaning: shoulders moved 100 px sideways over hips 100 px below -> 45 degrees
    lean = {**STANDING, "left_shoulder": (220.0, 100.0), "right_shoulder": (180.0, 100.0)}
    assert pose_angles(make_pose(lean))["trunk_lean"] == pytest.approx(45.0, abs=1e-9)


def test_low_confidence_keypoints_give_nan_never_garbage() -> None:
    a = pose_angles(make_pose(STANDING, low=("left_ankle",)))
    assert math.isnan(a["left_knee"])
    assert a["right_knee"] == pytest.approx(180.0)
    assert a["knee"] == pytest.approx(180.0)  # the mean falls back to the side that is known
    assert a["left_hip"] == pytest.approx(pose_angles(make_pose(STANDING))["left_hip"])  # ankle not used
    b = pose_angles(make_pose(STANDING, low=("left_hip", "right_shoulder")))
    for name in ("left_knee", "left_hip", "left_shoulder", "right_shoulder", "right_elbow", "trunk_lean"):
        assert math.isnan(b[name]), name
    assert b["right_knee"] == pytest.approx(180.0)
    # min_score decides: at 0.05 the 0.1-score ankle counts again
    assert pose_angles(make_pose(STANDING, low=("left_ankle",)), min_score=0.05)["left_knee"] == pytest.approx(180)
    # a non-finite coordinate is unknown whatever its score
    inf = make_pose({**STANDING, "left_ankle": (math.inf, 320.0)})
    assert math.isnan(pose_angles(inf)["left_knee"])
    assert all(math.isnan(v) for v in pose_angles(None).values())


def test_joint_angles_per_frame() -> None:
    bent = {**STANDING, "left_ankle": (175.0, 260.0)}
    frames = [
        [make_pose(STANDING)],
        [],  # no person
        None,
        make_pose(bent),  # a bare Pose
        [make_pose(bent, score=0.3), make_pose(STANDING, score=0.8)],  # the best-scoring pose is used
    ]
    a = joint_angles(frames)
    assert set(a) == set(ANGLE_NAMES) and all(v.shape == (5,) for v in a.values())
    np.testing.assert_allclose(a["left_knee"], [180, np.nan, np.nan, 90, 180], atol=1e-9)
    assert joint_angles([])["knee"].shape == (0,)


# --- range of motion ------------------------------------------------------------------------------


def test_range_of_motion_ignores_nan() -> None:
    t = np.arange(6) * 100.0
    rom = range_of_motion({"knee": [170, np.nan, 95, 120, np.nan, 178], "never": [np.nan] * 6}, t)
    k = rom["knee"]
    assert (k.min, k.max, k.range) == (95, 178, 83)
    assert (k.min_index, k.min_time_ms, k.max_index, k.max_time_ms) == (2, 200.0, 5, 500.0)
    assert (k.frames, k.total_frames) == (4, 6) and k.coverage == pytest.approx(4 / 6)
    n = rom["never"]
    assert math.isnan(n.range) and n.min_index is None and n.frames == 0
    json.dumps(n.to_dict(), allow_nan=False)
    with pytest.raises(ValueError, match="3 values for 6 timestamps"):
        range_of_motion({"knee": [1, 2, 3]}, t)


# --- rep counting on synthetic signals ------------------------------------------------------------


def squat_signal(n_reps: int = 5, period_s: float = 2.0, fps: float = 30.0, rest_s: float = 1.0,
                 top: float = 175.0, bottom: float = 95.0, noise: float = 2.0, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Standing `rest_s`, then `n_reps` cosine dips from `top` to `bottom`, each followed by a rest."""
    rng = np.random.default_rng(seed)
    pieces = [np.full(int(rest_s * fps), top)]
    for _ in range(n_reps):
        phase = np.linspace(0, 2 * np.pi, int(period_s * fps), endpoint=False)
        pieces += [bottom + (top - bottom) * (1 + np.cos(phase)) / 2, np.full(int(rest_s * fps), top)]
    x = np.concatenate(pieces) + rng.normal(0, noise, sum(len(p) for p in pieces))
    return x, np.arange(x.size) * 1000.0 / fps


def test_count_reps_cosine_squats() -> None:
    x, t = squat_signal()
    reps = count_reps(x, t, exercise="squat")
    assert len(reps) == 5 and all(r.complete for r in reps)
    assert [r.number for r in reps] == [1, 2, 3, 4, 5]
    period_frames = 60
    for k, r in enumerate(reps):
        expected_bottom = 30 + k * 90 + period_frames // 2  # rest, then half a period into the k-th dip
        assert abs(r.bottom_index - expected_bottom) <= 6
        assert r.depth == pytest.approx(95, abs=6)
        assert 1.4 <= r.duration_s <= 2.6  # the dip lasts 2 s
        assert r.amplitude == pytest.approx(80, abs=10)
        assert r.start_index < r.bottom_index < r.end_index
        assert r.start_ms == t[r.start_index] and r.end_ms == t[r.end_index]
    assert all(a.end_index <= b.start_index for a, b in zip(reps, reps[1:], strict=False))


def test_count_reps_tolerates_nan_gaps() -> None:
    x, t = squat_signal(seed=1)
    rng = np.random.default_rng(2)
    x[rng.random(x.size) < 0.25] = np.nan  # a quarter of the frames lost at random
    x[100:112] = np.nan  # and a 0.4 s gap across the bottom of rep 1
    reps = count_reps(x, t, exercise="squat")
    assert len(reps) == 5 and all(r.complete for r in reps)
    assert all(np.isfinite(x[r.bottom_index]) for r in reps)


def test_count_reps_hysteresis_ignores_noise_near_a_threshold() -> None:
    # Two squats; half way down the second one the person pauses, the angle jittering +-4 degrees
    # around the middle of its range. With the default gap between the thresholds (0.3 of the
    # range, +-12 degrees here) the jitter cannot count; with no gap each wiggle would.
    x, _ = squat_signal(n_reps=2, noise=0.0)
    limits = rep_thresholds(x, exercise="squat")
    assert limits is not None
    enter, leave = limits
    assert leave - enter == pytest.approx(0.3 * 80, abs=1)
    mid = (enter + leave) / 2
    i = 120 + int(np.argmin(np.abs(x[120:150] - mid)))  # on rep 2's way down
    y = np.concatenate([x[:i], mid + 4 * np.sin(np.arange(60) * 1.3), x[i:]])
    ty = np.arange(y.size) * 1000.0 / 30
    assert len(count_reps(y, ty, exercise="squat")) == 2
    assert len(count_reps(y, ty, exercise="squat", hysteresis=0.0)) > 5


def test_count_reps_static_or_jittery_signal_has_no_reps() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(300) * 1000 / 30
    held = 97 + rng.normal(0, 3, 300)  # a held squat with jitter
    assert count_reps(held, t, exercise="squat") == []
    assert rep_thresholds(held, exercise="squat") is None
    assert count_reps(np.full(300, np.nan), t, exercise="squat") == []
    assert count_reps([], [], exercise="squat") == []


def test_count_reps_cut_off_reps_are_flagged() -> None:
    x, t = squat_signal(n_reps=3, noise=0.5)
    cut = x[60:-45]  # starts at the bottom of rep 1, ends half way up rep 3
    reps = count_reps(cut, t[: cut.size], exercise="squat")
    assert [r.complete for r in reps] == [False, True, False]
    assert reps[0].start_index == 0 and reps[-1].end_index == cut.size - 1


def test_count_reps_peak_polarity_and_explicit_thresholds() -> None:
    x, t = squat_signal(n_reps=4, top=15, bottom=165, noise=1.0)  # arm raises: rest ~15, up to ~165
    reps = count_reps(x, t, exercise="arm_raise")
    assert len(reps) == 4 and all(r.complete for r in reps)
    assert all(r.depth == pytest.approx(165, abs=5) for r in reps)  # for a peak, depth is the highest angle
    assert len(count_reps(x, t, thresholds=(120, 60), polarity="peak")) == 4
    assert count_reps(x, t, thresholds=(170, 60), polarity="peak") == []  # never reaches 170
    squats, ts = squat_signal(n_reps=3)
    assert len(count_reps(squats, ts, thresholds=(120, 160))) == 3
    assert len(count_reps(squats, ts, exercise="squat", thresholds=(85, 160))) == 0  # never below 85
    with pytest.raises(ValueError, match="enter < exit"):
        count_reps(squats, ts, exercise="squat", thresholds=(160, 120))
    with pytest.raises(ValueError, match="unknown exercise"):
        count_reps(squats, ts, exercise="burpee")
    with pytest.raises(ValueError, match="increase"):
        count_reps([1.0, 2.0, 3.0], [0.0, 0.0, 1.0])


# --- sway -----------------------------------------------------------------------------------------


def test_sway_circle_in_torso_lengths() -> None:
    fps, radius, torso = 30.0, 10.0, 100.0
    n = 300  # 10 s, one revolution every 2 s
    t = np.arange(n) * 1000.0 / fps
    poses = []
    for k in range(n):
        a = 2 * np.pi * k / 60
        dx, dy = radius * np.cos(a), radius * np.sin(a)
        pts = {name: (x + dx, y + dy) for name, (x, y) in STANDING.items()}
        pts["left_shoulder"] = (pts["left_hip"][0], pts["left_hip"][1] - torso)
        pts["right_shoulder"] = (pts["right_hip"][0], pts["right_hip"][1] - torso)
        poses.append([make_pose(pts)])
    poses[7] = []  # a frame without a person
    s = sway(poses, t, window_s=5.0)
    assert s.torso_px == pytest.approx(torso)
    assert math.isnan(s.x[7])
    o = s.overall
    assert o is not None and o.frames == n - 1
    assert o.rms == pytest.approx(radius / torso, rel=1e-3)
    assert o.rms_x == pytest.approx(radius / torso / math.sqrt(2), rel=1e-2)
    assert o.range_x == pytest.approx(2 * radius / torso, rel=1e-2)
    assert o.path_length == pytest.approx(5 * 2 * np.pi * radius / torso, rel=1e-2)
    assert o.mean_speed == pytest.approx(np.pi * radius / torso, rel=2e-2)  # one circumference per 2 s
    assert [w.frames for w in s.windows] == [149, 150]
    assert all(w.rms == pytest.approx(radius / torso, rel=1e-2) for w in s.windows)
    centroid = sway(poses, t, 5.0, point="centroid")
    assert centroid.overall is not None and centroid.overall.rms == pytest.approx(radius / torso, rel=1e-3)
    nobody = sway([[]] * 3, [0.0, 1.0, 2.0])
    assert nobody.overall is not None and math.isnan(nobody.overall.rms) and math.isnan(nobody.torso_px)
    json.dumps(nobody.to_dict(), allow_nan=False)


# --- JSON and HTML from synthetic poses -----------------------------------------------------------


def _synthetic_analysis() -> Analysis:
    x, t = squat_signal(n_reps=2, noise=0.5)
    poses = []
    for k, angle in enumerate(x):
        pts = dict(STANDING)
        rad = math.radians(180 - angle)  # bend both knees by rotating the shins
        for side in ("left", "right"):
            kx, ky = pts[f"{side}_knee"]
            pts[f"{side}_ankle"] = (kx + 60 * math.sin(rad), ky + 60 * math.cos(rad))
        poses.append([make_pose(pts)] if k % 17 else [])  # some frames without a person
    return analyze_poses(poses, t, "squat", source="synthetic")


def test_analysis_json_and_html_from_synthetic_poses() -> None:
    analysis = _synthetic_analysis()
    assert len(analysis.reps) == 2
    doc = json.loads(json.dumps(analysis_to_json(analysis), allow_nan=False))
    assert doc["exercise"] == "squat" and doc["reps"]["count"] == 2 and doc["reps"]["complete"] == 2
    assert doc["frames"] == len(analysis.poses) and doc["angles"]["knee"][0] is None  # frame 0: nobody
    assert doc["rom"]["left_knee"]["min"] == pytest.approx(95, abs=3)
    assert len(doc["signal"]["thresholds"]) == 2
    page = render_html(analysis)
    for plot in ("plot-reps", "plot-angles", "plot-sway", "plot-sway-time"):
        assert f'id="{plot}"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "<script" not in page


# --- real clips (need the shared data and the weights) --------------------------------------------


def _lightning() -> SinglePoseDetector:
    return SinglePoseDetector(get_network("lightning"), INPUT_SIZES["lightning"], model="lightning")


@pytest.fixture(scope="module")
def squat_analysis() -> Analysis:
    if not SQUATS.is_file():
        pytest.skip(f"{SQUATS} is absent (shared data)")
    return analyze_video(SQUATS, "squat", detector=_lightning())


def _check_squats(analysis: Analysis) -> None:
    reps = analysis.reps
    assert len(reps) == SQUATS_COUNTED_BY_EYE
    assert sum(r.complete for r in reps) == SQUATS_COMPLETE_BY_EYE
    assert [r.complete for r in reps] == [True, True, False]  # the last one is cut off by the clip's end
    for rep, bottom in zip(reps, SQUAT_BOTTOMS_BY_EYE, strict=True):
        assert abs(rep.bottom_index - bottom) <= 3
        assert rep.depth < 120  # knees well bent (2D: the frontal view hides some flexion)
        assert rep.amplitude > 60
    assert 2.0 < reps[0].duration_s < 5.0 and 2.0 < reps[1].duration_s < 5.0
    # deep squats: the knee flexes through more than 60 degrees
    for joint in ("left_knee", "right_knee", "knee"):
        rom = analysis.rom[joint]
        assert rom.range > 60, joint
        assert rom.max > 170 and rom.min < 110, joint
        assert rom.frames == 65


@pytest.mark.parity  # the whole squat clip through the network
def test_squat_clip_reps_and_knee_rom(squat_analysis: Analysis) -> None:
    a = squat_analysis
    assert a.timestamps_ms.size == 65 and a.frames_with_pose == 65
    np.testing.assert_allclose(a.timestamps_ms, np.arange(65) * 200.0, atol=0.5)  # 5 fps, from the video
    _check_squats(a)
    assert [k.index for k in a.key_frames] == [r.bottom_index for r in a.reps]
    assert all(k.jpeg.startswith(b"\xff\xd8") for k in a.key_frames)


@pytest.mark.parity  # the whole squat clip through the network
def test_squat_clip_copy_in_videos_folder() -> None:
    if not SQUATS_COPY.is_file():
        pytest.skip(f"{SQUATS_COPY} is absent (shared data)")
    _check_squats(analyze_video(SQUATS_COPY, "squat", detector=_lightning(), key_frames=False))


def test_held_squat_has_no_reps() -> None:
    """The left half of the combined GIF: a man holding a squat (watched: 42 frames, he does not
    move) -- knees at about 90-100 degrees throughout, no reps."""
    if not SQUAT_HOLD_GIF.is_file():
        pytest.skip(f"{SQUAT_HOLD_GIF} is absent (shared data)")
    from movenet.io.video import open_source

    detector = _lightning()
    poses, times = [], []
    with open_source(SQUAT_HOLD_GIF) as source:
        for frame in source:
            left = np.ascontiguousarray(frame.image[:, :197])  # the panel boundary is at x = 197
            poses.append(detector.estimate_poses(left, frame.timestamp_ms))
            times.append(frame.timestamp_ms)
    analysis = analyze_poses(poses, times, "squat")
    assert analysis.reps == []
    knee = analysis.rom["knee"]
    assert knee.frames == 42 and knee.range < 15 and 80 < knee.min < knee.max < 110


# --- the command ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from movenet.cli.analyze import add_analyze_parser

    parser = argparse.ArgumentParser(prog="movenet")
    add_analyze_parser(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture()
def shared_lightning(monkeypatch: pytest.MonkeyPatch) -> None:
    """`create_detector("lightning")` built on the session's network (no second model load)."""
    import movenet.api

    monkeypatch.setattr(movenet.api, "create_detector", lambda model, **kw: _lightning())


@pytest.mark.parity  # the whole squat clip through the network
def test_cli_analyze_writes_report_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            shared_lightning: None) -> None:
    if not SQUATS.is_file():
        pytest.skip(f"{SQUATS} is absent (shared data)")
    report, metrics = tmp_path / "out.html", tmp_path / "metrics.json"
    args = _parser().parse_args(["analyze", str(SQUATS), "--exercise", "squat", "--report", str(report),
                                 "--json", str(metrics)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "3 reps (2 complete, 1 cut off by the end of the recording)" in out
    doc = json.loads(metrics.read_text())
    assert doc["reps"]["count"] == 3 and doc["reps"]["complete"] == 2
    assert doc["rom"]["knee"]["range"] > 60 and doc["model"] == "lightning" and doc["fps"] == 5
    assert len(doc["angles"]["left_knee"]) == 65 and len(doc["key_frames"]) == 3
    page = report.read_text()
    assert page.count("data:image/jpeg;base64,") == 3 and 'id="plot-reps"' in page
    # JSON to stdout: the summary moves to stderr
    args = _parser().parse_args(["analyze", str(SQUATS), "--json", "-", "--thresholds", "125", "160"])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["signal"]["thresholds"] == [125, 160]
    assert "3 reps" in captured.err


def test_cli_analyze_bad_input(tmp_path: Path, shared_lightning: None) -> None:
    from movenet.io.video import VideoError

    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"this is not a video")
    args = _parser().parse_args(["analyze", str(bad)])
    with pytest.raises(VideoError, match="not_a_video.mp4"):  # a ValueError: `movenet` exits with 2
        args.func(args)
    args = _parser().parse_args(["analyze", str(bad), "--thresholds", "160", "120"])
    with pytest.raises(ValueError, match="enter < exit"):
        args.func(args)
    with pytest.raises(SystemExit):
        _parser().parse_args(["analyze", str(bad), "--exercise", "burpee"])


def test_movenet_main_analyze(tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_lightning: None) -> None:
    from movenet.cli.main import build_parser, main

    try:
        build_parser().parse_args(["analyze", "x.mp4"])
    except SystemExit:
        pytest.skip("movenet.cli does not register the analyze command yet")
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "missing.mp4")]) == 2
    assert "missing.mp4" in capsys.readouterr().err
    if SQUATS.is_file():
        assert main(["analyze", str(SQUATS), "--json", str(tmp_path / "m.json")]) == 0
        assert json.loads((tmp_path / "m.json").read_text())["reps"]["complete"] == 2


# --- the report in a real browser -----------------------------------------------------------------

@pytest.mark.browser
def test_report_renders_in_headless_chromium(squat_analysis: Analysis, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    write_report(squat_analysis, page_path)
    shot = tmp_path / "report.png"
    problems: list[str] = []
    requests: list[str] = []
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri(), wait_until="load")
        plots = page.evaluate("""() => [...document.querySelectorAll('svg.plot')].map(s => {
            const box = s.getBoundingClientRect();
            return {id: s.id, width: box.width, height: box.height,
                    paths: [...s.querySelectorAll('path.series')].filter(p => p.getTotalLength() > 50).length,
                    markers: s.querySelectorAll('circle.rep-marker').length,
                    bands: s.querySelectorAll('rect.rep').length};
        })""")
        images = page.evaluate("""() => [...document.querySelectorAll('img.key-frame')]
            .map(i => [i.complete, i.naturalWidth, i.naturalHeight])""")
        title = page.title()
        page.screenshot(path=str(shot), full_page=True)
    assert problems == []
    assert requests == [page_path.as_uri()]  # nothing but the page itself: no CDN, no external files
    assert "squat" in title
    by_id = {p["id"]: p for p in plots}
    assert set(by_id) == {"plot-reps", "plot-angles", "plot-sway", "plot-sway-time"}
    for p in plots:
        assert p["width"] > 250 and p["height"] > 250 and p["paths"] >= 1, p
    assert by_id["plot-reps"]["paths"] == 3  # left knee, right knee, their mean
    assert by_id["plot-reps"]["markers"] == 3 and by_id["plot-reps"]["bands"] == 3
    assert by_id["plot-angles"]["paths"] == 5
    assert len(images) == 3 and all(ok and w > 100 and h > 100 for ok, w, h in images)
    from PIL import Image

    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"))
    assert pixels.shape[1] == 1000 and pixels.shape[0] > 2000  # the whole page, plots and frames
    assert pixels.std() > 20  # not a blank page
    # the reps plot is drawn: among its pixels are the mean curve's dark blue (#1f3a93)
    blue = np.all(np.abs(pixels.astype(int) - (0x1F, 0x3A, 0x93)) < 40, axis=-1)
    assert blue.sum() > 500

