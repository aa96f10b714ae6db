"""The multi-pose detector (``pose-detection/src/movenet/detector.ts``, multi-pose).

* input sizing and the legacy bilinear resize, exact against the TF.js wasm model inputs
  (``multipose_raw.npz``: sha256 of the int32 inputs);
* decoding, filtering, box conversion, tracking, smoothing and reset with a fake network;
* parity with the official TF.js MultiPose (oracle fixtures, wasm backend): every still of
  ``multipose_images.json`` and the tracked + smoothed sequences of
  ``multipose_sequence_posetrack*.json`` (``scripts/make_multipose_sequence_fixture.py``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from movenet.calculators.filters import KEYPOINT_FILTER_CONFIG, KeypointsOneEuroFilter
from movenet.calculators.tracking import BoundingBoxTracker, KeypointTracker, TrackerConfig
from movenet.families.movenet.multipose import (
    InputSize,
    MultiPoseDetector,
    js_round,
    multipose_input_size,
    resize_bilinear_legacy,
)

from conftest import FIXTURES, SHARED_DATA, get_network
from transforms import load_rgb, rgb_sha256

TOL_PX = 1.0
MIN_SCORE = 0.3
ORACLE = FIXTURES / "oracle"


# ----------------------------------------------------------------------------- input sizing


def test_js_round_rounds_halves_up() -> None:
    assert [js_round(v) for v in (0.5, 1.5, 2.5, 2.4999, -0.5, -1.5, 170.752)] == [1, 2, 3, 2, 0, -1, 171]


@pytest.mark.parametrize(
    ("hw", "dim", "expected"),
    [
        ((480, 640), 256, InputSize(192, 256, 192, 256)),
        ((1280, 720), 256, InputSize(256, 144, 256, 160)),
        ((1280, 720), 320, InputSize(320, 180, 320, 192)),
        ((667, 1000), 256, InputSize(171, 256, 192, 256)),
        ((5, 512), 256, InputSize(3, 256, 32, 256)),  # 2.5 -> 3 (Python's round would give 2)
        ((512, 512), 256, InputSize(256, 256, 256, 256)),  # square: the "W <= H" branch
        ((1, 1000), 256, InputSize(1, 256, 32, 256)),  # would round to 0: 1 (deviation)
    ],
)
def test_input_size(hw: tuple[int, int], dim: int, expected: InputSize) -> None:
    assert multipose_input_size(*hw, dim) == expected


@pytest.mark.parametrize("dim", [0, 16, 100, 250, -32, 64.0])
def test_max_dimension_validation(dim: Any) -> None:
    with pytest.raises(ValueError, match="multiPoseMaxDimension must be a multiple of 32 and higher than 0"):
        MultiPoseDetector(FakeNetwork(), max_dimension=dim)


# ----------------------------------------------------------------------------- resize


def _resize_scalar(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Straightforward float32 transcription of the wasm ResizeBilinear kernel (legacy mode)."""
    f = np.float32
    in_h, in_w, channels = image.shape
    hs, ws = f(in_h) / f(out_h), f(in_w) / f(out_w)
    out = np.zeros((out_h, out_w, channels), np.float32)
    for r in range(out_h):
        y = hs * f(r)
        top = math.floor(y)
        bottom = min(in_h - 1, math.ceil(y))
        yl = y - f(top)
        for c in range(out_w):
            x = ws * f(c)
            left = math.floor(x)
            right = min(in_w - 1, math.ceil(x))
            xl = x - f(left)
            for d in range(channels):
                tl, tr = f(image[top, left, d]), f(image[top, right, d])
                bl, br = f(image[bottom, left, d]), f(image[bottom, right, d])
                t = tl + (tr - tl) * xl
                b = bl + (br - bl) * xl
                out[r, c, d] = t + (b - t) * yl
    return out


def test_resize_matches_tf_example() -> None:
    # tfjs-core resize_bilinear_test "simple alignCorners=false".
    image = np.array([[[2], [2]], [[4], [4]]], dtype=np.uint8)
    out = resize_bilinear_legacy(image, 3, 3)
    expected = np.array([[2.0, 2.0, 2.0], [10 / 3, 10 / 3, 10 / 3], [4.0, 4.0, 4.0]])
    np.testing.assert_allclose(out[..., 0], expected, rtol=1e-6)


@pytest.mark.parametrize(("size", "out"), [((37, 53), (21, 32)), ((13, 7), (40, 29)), ((30, 30), (30, 30))])
def test_resize_matches_scalar_kernel(size: tuple[int, int], out: tuple[int, int]) -> None:
    image = np.random.default_rng(1).integers(0, 256, (*size, 3), dtype=np.uint8)
    got = resize_bilinear_legacy(image, *out)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, _resize_scalar(image, *out))


def test_preprocess_pads_with_zeros_and_reuses_buffers() -> None:
    det = MultiPoseDetector(FakeNetwork())
    a = np.full((100, 200, 3), 200, np.uint8)  # landscape: 256 x 128, padded to 256 x 128
    inp, size = det.preprocess(a)
    assert size == InputSize(128, 256, 128, 256)
    b = np.full((90, 200, 3), 255, np.uint8)  # 256 x 115 -> padded to 128 rows
    inp_b, size_b = det.preprocess(b)
    assert size_b == InputSize(115, 256, 128, 256) and inp_b.dtype == np.int32
    assert (inp_b[0, :115] == 255).all() and (inp_b[0, 115:] == 0).all()
    inp_a2, _ = det.preprocess(a)
    assert inp_a2 is inp  # same buffer for the same image size


def _raw_fixture() -> Any:
    path = ORACLE / "multipose_raw.npz"
    if not path.is_file():
        pytest.skip("multipose_raw.npz fixture absent")
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return np.load(path)


def test_model_input_is_bit_exact_with_tfjs() -> None:
    raw = _raw_fixture()
    det = MultiPoseDetector(FakeNetwork())
    for i, case in enumerate(raw["cases"]):
        image = load_rgb(SHARED_DATA / str(case).split("/", 1)[1])
        assert rgb_sha256(image) == raw["rgb_sha256"][i]
        inputs, _ = det.preprocess(image)
        assert list(inputs.shape) == list(raw["input_shapes"][i])
        assert inputs.min() >= 0 and inputs.max() <= 255
        assert rgb_sha256(inputs.astype(np.uint8)) == raw["input_sha256"][i], f"model input differs for {case}"
        np.testing.assert_array_equal(MultiPoseDetector.preprocess_image(image), inputs)


def test_network_output_matches_tfjs() -> None:
    raw = _raw_fixture()
    det = MultiPoseDetector(get_network("multipose"))
    for i, case in enumerate(raw["cases"]):
        out, _ = det.run_network(load_rgb(SHARED_DATA / str(case).split("/", 1)[1]))
        np.testing.assert_allclose(out, raw[f"output_{i}"][0], atol=2e-4)


# ----------------------------------------------------------------------------- fake network


def instance(cy: float, cx: float, half: float, score: float, kp_score: float = 0.9) -> np.ndarray:
    """One output row: 17 keypoints spread around (cy, cx), a box of half-size `half`, a score."""
    row = np.zeros(56, np.float32)
    offsets = np.linspace(-half, half, 17)
    row[0:51:3] = cy + offsets
    row[1:51:3] = cx + offsets[::-1] * 0.5
    row[2:51:3] = kp_score
    row[51:55] = (cy - half, cx - half, cy + half, cx + half)
    row[55] = score
    return row


class FakeNetwork:
    """Returns queued outputs ([N, 56] rows; missing instances score 0); records input shapes."""

    name = "fake"
    input_name = "input"
    output_names = ["output"]

    def __init__(self, *outputs: list[np.ndarray]) -> None:
        self.outputs = list(outputs)
        self.shapes: list[tuple[int, ...]] = []

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        assert inputs.dtype == np.int32 and inputs.shape[1] % 32 == 0 and inputs.shape[2] % 32 == 0
        self.shapes.append(inputs.shape)
        rows = self.outputs.pop(0) if self.outputs else []
        out = np.zeros((1, 6, 56), np.float32)
        for i, row in enumerate(rows):
            out[0, i] = row
        return [out]


IMAGE = np.zeros((720, 1280, 3), np.uint8)  # padded input 160 x 256 for 144 x 256: y scale 160/144


def test_decoding_filtering_and_pixels() -> None:
    rows = [instance(0.3, 0.3, 0.1, 0.2), instance(0.5, 0.6, 0.1, 0.25), instance(0.4, 0.2, 0.05, 0.9)]
    det = MultiPoseDetector(FakeNetwork(rows), tracker=None)
    poses = det.estimate_poses(IMAGE)
    assert [round(p.score, 6) for p in poses] == [0.25, 0.9]  # >= 0.25 kept, model order kept
    assert all(p.id is None for p in poses)
    ys = 160 / 144
    kp = poses[0].keypoints[0]
    assert kp.name == "nose" and kp.score == pytest.approx(0.9)
    assert kp.y == pytest.approx(float(rows[1][0]) * ys * 720, rel=1e-12)
    assert kp.x == pytest.approx(float(rows[1][1]) * 1.0 * 1280, rel=1e-12)
    box = poses[0].box
    assert box is not None
    assert (box.y_min, box.x_min) == pytest.approx((float(np.float32(0.4)) * ys * 720, float(np.float32(0.5)) * 1280))
    assert (box.y_max, box.x_max) == pytest.approx((float(np.float32(0.6)) * ys * 720, float(np.float32(0.7)) * 1280))


def test_min_pose_score_and_max_poses() -> None:
    rows = [instance(0.3, 0.3, 0.1, s) for s in (0.05, 0.5, 0.3, 0.7)]
    assert len(MultiPoseDetector(FakeNetwork(rows), min_pose_score=0.01).estimate_poses(IMAGE)) == 4
    # An explicit 0 keeps every instance, even the empty ones (the reference would use 0.25).
    assert len(MultiPoseDetector(FakeNetwork(rows), min_pose_score=0.0).estimate_poses(IMAGE)) == 6
    poses = MultiPoseDetector(FakeNetwork(rows), max_poses=2).estimate_poses(IMAGE)
    assert [round(p.score, 6) for p in poses] == [0.5, 0.3]  # the first two kept, not the best two
    with pytest.raises(ValueError, match="max_poses"):
        MultiPoseDetector(FakeNetwork(), max_poses=0)
    with pytest.raises(ValueError, match="min_pose_score"):
        MultiPoseDetector(FakeNetwork(), min_pose_score=1.5)


def test_flip_horizontal_mirrors_keypoints_and_box() -> None:
    rows = [instance(0.5, 0.3, 0.1, 0.8)]
    plain = MultiPoseDetector(FakeNetwork(rows), tracker=None).estimate_poses(IMAGE)[0]
    flipped = MultiPoseDetector(FakeNetwork(rows), tracker=None).estimate_poses(IMAGE, flip_horizontal=True)[0]
    assert flipped.keypoints[3].x == pytest.approx(1279 - plain.keypoints[3].x)
    assert flipped.keypoints[3].y == plain.keypoints[3].y
    assert plain.box is not None and flipped.box is not None
    assert flipped.box.x_min == pytest.approx(1279 - plain.box.x_max)
    assert flipped.box.width == pytest.approx(plain.box.width)


def test_tracking_ids_with_and_without_timestamps() -> None:
    a, b = instance(0.3, 0.3, 0.1, 0.8), instance(0.6, 0.7, 0.1, 0.6)
    net = FakeNetwork([a, b], [b, a], [a], [a, b], [a], [a])
    det = MultiPoseDetector(net)
    assert [p.id for p in det.estimate_poses(IMAGE, 0)] == [1, 2]
    assert [p.id for p in det.estimate_poses(IMAGE, 33)] == [2, 1]  # follows the people, not the order
    assert [p.id for p in det.estimate_poses(IMAGE, 66)] == [1]
    assert [p.id for p in det.estimate_poses(IMAGE, 1050)] == [1, 3]  # track 2 aged out (> 1000 ms)
    # No timestamp: as the reference, every track is too old, so new ids every frame.
    assert [p.id for p in det.estimate_poses(IMAGE)] == [4]
    assert [p.id for p in det.estimate_poses(IMAGE)] == [5]


def test_keypoint_tracker_and_config() -> None:
    a = instance(0.3, 0.3, 0.1, 0.8)
    det = MultiPoseDetector(FakeNetwork([a], [a]), tracker="keypoint", tracker_config={"maxTracks": 3})
    assert isinstance(det.tracker, KeypointTracker)
    assert det.tracker.config.max_tracks == 3 and det.tracker.config.min_similarity == 0.2
    assert [p.id for p in det.estimate_poses(IMAGE, 0)] == [1]
    assert [p.id for p in det.estimate_poses(IMAGE, 33)] == [1]
    det = MultiPoseDetector(FakeNetwork(), tracker="boundingBox", tracker_config=TrackerConfig(max_age=50))
    assert isinstance(det.tracker, BoundingBoxTracker) and det.tracker.max_age_us == 50_000
    for off in (None, "none"):
        assert MultiPoseDetector(FakeNetwork(), tracker=off).tracker is None
    with pytest.raises(ValueError, match="Tracker type not supported"):
        MultiPoseDetector(FakeNetwork(), tracker="hungarian")
    with pytest.raises(ValueError, match="maxTracks"):
        MultiPoseDetector(FakeNetwork(), tracker_config={"max_tracks": 0})


def test_tracker_sees_uncorrected_boxes() -> None:
    # 720 x 1280 is padded 144 -> 160 rows. As in the reference, the tracker stores the raw box
    # (normalized to the padded input, not corrected like Pose.box) and the image-normalized,
    # unsmoothed keypoints, so its IoU / OKS and hence the ids match the reference's.
    a = instance(0.5, 0.5, 0.1, 0.8)
    det = MultiPoseDetector(FakeNetwork([a], [a]))
    det.estimate_poses(IMAGE, 0)
    track = det.tracker.get_tracks()[0] if det.tracker else None
    assert track is not None and track.box is not None
    np.testing.assert_allclose(track.box[:4], [0.4, 0.4, 0.6, 0.6], rtol=1e-6)
    # ... and the keypoints corrected for padding (image-normalized), unsmoothed.
    assert track.keypoints[0, 1] == pytest.approx(float(a[0]) * 160 / 144)


def test_smoothing_per_track_and_filter_lifetime() -> None:
    a0, b0 = instance(0.3, 0.3, 0.1, 0.8), instance(0.6, 0.7, 0.1, 0.6)
    a1, b1 = instance(0.32, 0.31, 0.1, 0.8), instance(0.62, 0.71, 0.1, 0.6)
    a2 = instance(0.34, 0.33, 0.1, 0.8)
    det = MultiPoseDetector(FakeNetwork([a0, b0], [a1, b1], [b1, a2], [a2], [a2]))
    ref = {1: KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG), 2: KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)}

    def expect(row: np.ndarray, track_id: int, t_ms: float) -> np.ndarray:
        xy = np.column_stack([row[1:51:3].astype(np.float64), row[0:51:3].astype(np.float64) * 160 / 144])
        return ref[track_id].apply(xy, t_ms * 1000)

    for t_ms, frame, ids in ((0, (a0, b0), (1, 2)), (33.3, (a1, b1), (1, 2)), (66.6, (b1, a2), (2, 1))):
        poses = det.estimate_poses(IMAGE, t_ms)
        assert [p.id for p in poses] == list(ids)
        for pose, row, track_id in zip(poses, frame, ids, strict=True):
            want = expect(row, track_id, t_ms)
            got = np.array([[k.x / 1280, k.y / 720] for k in pose.keypoints])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert set(det._filters) == {1, 2}
    det.estimate_poses(IMAGE, 2000)  # both tracks aged out: a new id (3) with a fresh filter
    assert set(det._filters) == {3}
    det.reset()
    assert det._filters == {} and det.tracker is not None and det.tracker.get_tracks() == []
    assert [p.id for p in det.estimate_poses(IMAGE, 2033)] == [4]  # ids are never reused


def test_no_tracker_means_no_ids_and_no_smoothing() -> None:
    a0, a1 = instance(0.3, 0.3, 0.1, 0.8), instance(0.35, 0.32, 0.1, 0.8)
    det = MultiPoseDetector(FakeNetwork([a0], [a1], [a1]), tracker="none")
    det.estimate_poses(IMAGE, 0)
    det.estimate_poses(IMAGE, 33)
    pose = det.estimate_poses(IMAGE, 66)[0]
    assert pose.id is None
    assert pose.keypoints[0].y == float(a1[0]) * 160 / 144 * 720  # raw, not smoothed


def test_none_image_resets() -> None:
    a = instance(0.3, 0.3, 0.1, 0.8)
    det = MultiPoseDetector(FakeNetwork([a], [a]))
    det.estimate_poses(IMAGE, 0)
    assert det.estimate_poses(None) == []
    assert det.tracker is not None and det.tracker.get_tracks() == []
    assert det.model == "multipose"


def test_create_detector_wires_multipose(monkeypatch: pytest.MonkeyPatch) -> None:
    from movenet import api as detector_module

    monkeypatch.setattr(detector_module, "load_network", lambda *a, **k: FakeNetwork())
    det = detector_module.create_detector("MultiPose.Lightning", tracker="keypoint", max_poses=3,
                                          multipose_max_dimension=320, min_pose_score=0.3)
    assert isinstance(det, MultiPoseDetector)
    assert (det.model, det.tracker_type, det.max_poses, det.max_dimension, det.min_pose_score) == (
        "multipose", "keypoint", 3, 320, 0.3)
    with pytest.raises(ValueError, match="multiPoseMaxDimension"):
        detector_module.create_detector("multipose", multipose_max_dimension=100)


# ----------------------------------------------------------------------------- parity with TF.js


def _data_or_skip() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def _fixture(name: str) -> dict[str, Any]:
    path = ORACLE / name
    if not path.is_file():
        pytest.skip(f"{name} fixture absent")
    return json.loads(path.read_text())


class Comparison:
    """Keypoint distances (reference score >= 0.3), score and box differences, id pairs."""

    def __init__(self) -> None:
        self.dists: list[float] = []
        self.score_diffs: list[float] = []
        self.box_diffs: list[float] = []
        self.id_pairs: set[tuple[int | None, int | None]] = set()
        self.problems: list[str] = []

    def frame(self, det: MultiPoseDetector, image: np.ndarray, poses: list[Any], ref: dict[str, Any]) -> None:
        if len(poses) != len(ref["poses"]):
            self.problems.append(f"{ref['case']}: {len(poses)} poses, reference {len(ref['poses'])}")
            return
        height, width = image.shape[:2]
        size = det.input_size(height, width)
        sy = size.padded_height / size.resized_height * height
        sx = size.padded_width / size.resized_width * width
        for ours, theirs in zip(poses, ref["poses"], strict=True):
            ref_kp = np.array(theirs["keypoints"])
            got = np.array([[k.x, k.y, k.score] for k in ours.keypoints])
            confident = ref_kp[:, 2] >= MIN_SCORE
            self.dists += list(np.hypot(*(got[confident, :2] - ref_kp[confident, :2]).T))
            self.score_diffs += list(np.abs(got[:, 2] - ref_kp[:, 2])) + [abs(ours.score - theirs["score"])]
            b = ours.box
            # Our box is in pixels; the reference's is normalized to the padded input.
            ours_norm = np.array([b.y_min / sy, b.x_min / sx, b.y_max / sy, b.x_max / sx])
            self.box_diffs.append(float(np.abs(ours_norm - np.array(theirs["box"])).max()))
            self.id_pairs.add((ours.id, theirs["id"]))

    def check(self, min_keypoints: int) -> None:
        assert not self.problems, self.problems
        d = np.array(self.dists)
        assert d.size >= min_keypoints
        share = float((d <= TOL_PX).mean())
        assert share >= 0.99, f"{share:.2%} of confident keypoints within {TOL_PX} px (max {d.max():.3f})"
        assert max(self.score_diffs) <= 0.002  # fixture scores are rounded to 4 decimals
        assert max(self.box_diffs) <= 1e-4
        # Ids: a one-to-one correspondence with the reference's.
        ours = [a for a, _ in self.id_pairs]
        theirs = [b for _, b in self.id_pairs]
        assert len(set(ours)) == len(ours) and len(set(theirs)) == len(theirs), sorted(self.id_pairs)


@pytest.mark.parity
def test_stills_match_tfjs() -> None:
    data = _data_or_skip()
    doc = _fixture("multipose_images.json")
    network = get_network("multipose")
    cmp = Comparison()
    n_people = 0
    for frame in doc["frames"]:
        image = load_rgb(data / frame["case"].split("/", 1)[1])
        assert rgb_sha256(image) == frame["rgb_sha256"], f"input of {frame['case']} differs from the oracle's"
        det = MultiPoseDetector(network)  # the oracle's --images-independent: fresh state, t = 0
        cmp.id_pairs = set()
        cmp.frame(det, image, det.estimate_poses(image, 0), frame)
        assert all(a == b for a, b in cmp.id_pairs), (frame["case"], sorted(cmp.id_pairs))
        n_people += len(frame["poses"])
    cmp.id_pairs = set()
    assert n_people > 50
    cmp.check(1000)


@pytest.mark.parity
@pytest.mark.parametrize(
    ("fixture", "tracker"),
    [("multipose_sequence_posetrack.json", "boundingBox"), ("multipose_sequence_posetrack_keypoint.json", "keypoint")],
)
def test_sequences_match_tfjs(fixture: str, tracker: str) -> None:
    data = _data_or_skip()
    doc = _fixture(fixture)
    network = get_network("multipose")
    total = 0
    for seq in doc["sequences"]:
        assert seq["tracker"] == tracker
        det = MultiPoseDetector(network, tracker=tracker)
        cmp = Comparison()
        for k, frame in enumerate(seq["frames"]):
            image = load_rgb(data / frame["case"])
            assert rgb_sha256(image) == frame["rgb_sha256"], f"input of {frame['case']} differs from the oracle's"
            assert frame["timestamp_ms"] == pytest.approx(k * 1000 / seq["fps"], rel=1e-12)
            cmp.frame(det, image, det.estimate_poses(image, frame["timestamp_ms"]), frame)
        cmp.check(50)
        # A fresh detector numbers its tracks like the reference.
        assert all(a == b for a, b in cmp.id_pairs), (seq["name"], sorted(cmp.id_pairs))
        total += len(cmp.dists)
    assert total > 300
