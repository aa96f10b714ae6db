"""The BlazePoseDetector API: options, errors, state (ROI carried over, resets), outputs.

Uses the real converted networks (skipped when the weights are absent) and the images in
../shared/data; values are checked against the spec's derived figures and the upstream
static golden test (``blazepose_tfjs/blazepose_test.ts``, EXPECTED_LANDMARKS from MediaPipe).
"""

from __future__ import annotations

import numpy as np
import pytest

from movenet.errors import ImageError
from movenet.families.blazepose import BlazePoseDetector, BlazePoseOptions
from movenet.skeletons import BLAZEPOSE_33
from movenet.types import Keypoint, Pose

from conftest import SHARED_DATA, get_network
from transforms import load_rgb

# Upstream EXPECTED_LANDMARKS (pixels) and EXPECTED_WORLD_LANDMARKS (metres) for pose.jpg.
EXPECTED_LANDMARKS = [
    [460, 283], [467, 273], [471, 273], [474, 273], [465, 273], [465, 273], [466, 273], [491, 277], [480, 277],
    [470, 294], [465, 294], [545, 319], [453, 329], [622, 323], [375, 316], [696, 316], [299, 307], [719, 316],
    [278, 306], [721, 311], [274, 304], [713, 313], [283, 306], [520, 476], [467, 471], [612, 550], [358, 490],
    [701, 613], [349, 611], [709, 624], [363, 630], [730, 633], [303, 628],
]  # fmt: skip
EXPECTED_WORLD_LANDMARKS = [
    [-0.11, -0.59, -0.15], [-0.09, -0.64, -0.16], [-0.09, -0.64, -0.16], [-0.09, -0.64, -0.16],
    [-0.11, -0.64, -0.14], [-0.11, -0.64, -0.14], [-0.11, -0.64, -0.14], [0.01, -0.65, -0.15],
    [-0.06, -0.64, -0.05], [-0.07, -0.57, -0.15], [-0.09, -0.57, -0.12], [0.18, -0.49, -0.09],
    [-0.14, -0.5, -0.03], [0.41, -0.48, -0.11], [-0.42, -0.5, -0.02], [0.64, -0.49, -0.17],
    [-0.63, -0.51, -0.13], [0.7, -0.5, -0.19], [-0.71, -0.53, -0.15], [0.72, -0.51, -0.23],
    [-0.69, -0.54, -0.19], [0.66, -0.49, -0.19], [-0.64, -0.52, -0.15], [0.09, 0, -0.04], [-0.09, 0, 0.03],
    [0.41, 0.23, -0.09], [-0.43, 0.1, -0.11], [0.69, 0.49, -0.04], [-0.48, 0.47, -0.02], [0.72, 0.52, -0.04],
    [-0.48, 0.51, -0.02], [0.8, 0.5, -0.14], [-0.59, 0.52, -0.11],
]  # fmt: skip


def _detector(model: str = "full", **options: object) -> BlazePoseDetector:
    return BlazePoseDetector(get_network("blazepose-detector"), get_network(f"blazepose-{model}"),
                             model_type=model, **options)


def _pose_jpg() -> np.ndarray:
    path = SHARED_DATA / "tfjs-models" / "pose.jpg"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return load_rgb(path)


# ---------------------------------------------------------------------------- no network


def test_options_are_validated_with_the_references_messages() -> None:
    assert BlazePoseOptions() == BlazePoseOptions(model_type="full", enable_smoothing=True,
                                                  enable_segmentation=False, smooth_segmentation=True)
    with pytest.raises(ValueError, match="Model type must be one of lite, full or heavy,but got medium"):
        BlazePoseOptions(model_type="medium")
    with pytest.raises(ValueError, match="max_poses must be 1 for BlazePose, got 2"):
        BlazePoseOptions(max_poses=2)
    with pytest.raises(ValueError, match="Invalid max_poses 0"):
        BlazePoseOptions(max_poses=0)
    with pytest.raises(Exception, match="frozen|cannot assign"):
        BlazePoseOptions().model_type = "lite"  # type: ignore[misc]


def test_wrong_types_are_value_errors_naming_the_option() -> None:
    for options, named in (({"enable_smoothing": "no"}, "enable_smoothing"), ({"max_poses": "1"}, "max_poses"),
                           ({"max_poses": True}, "max_poses")):
        with pytest.raises(ValueError, match=named):
            BlazePoseOptions(**options)  # type: ignore[arg-type]
    assert BlazePoseOptions(max_poses=np.int64(1)).max_poses == 1  # type: ignore[arg-type]


def test_skeleton_data() -> None:
    assert BLAZEPOSE_33.num_keypoints == 33 and BLAZEPOSE_33.index["right_foot_index"] == 32
    assert len(BLAZEPOSE_33.edges) == 36 and BLAZEPOSE_33.edges.count((15, 17)) == 2  # the reference's duplicate pair
    assert sorted(BLAZEPOSE_33.left + BLAZEPOSE_33.right + BLAZEPOSE_33.middle) == list(range(33))


def test_pose_json_keeps_the_movenet_form_and_adds_z_and_3d() -> None:
    k = Keypoint(x=1.0, y=2.0, score=0.5, name="nose")
    plain = Pose(keypoints=(k,), score=0.9)
    assert plain.to_dict() == {"score": 0.9, "keypoints": [{"name": "nose", "x": 1.0, "y": 2.0, "score": 0.5}],
                               "box": None, "id": None}
    k3 = Keypoint(x=0.1, y=0.2, score=0.5, name="nose", z=0.3)
    bp = Pose(keypoints=(Keypoint(1.0, 2.0, 0.5, "nose", z=-3.0),), score=0.9, keypoints_3d=(k3,))
    d = bp.to_dict()
    assert d["keypoints"] == [{"name": "nose", "x": 1.0, "y": 2.0, "z": -3.0, "score": 0.5}]
    assert d["keypoints_3d"] == [{"name": "nose", "x": 0.1, "y": 0.2, "z": 0.3, "score": 0.5}]
    assert bp.keypoint("nose") is bp.keypoints[0]
    with pytest.raises(KeyError):
        bp.keypoint("left_heel")


# ------------------------------------------------------------------------- with networks


def test_errors_and_lifecycle() -> None:
    det = _detector()
    with pytest.raises(ValueError, match="max_poses must be 1"):
        det.estimate_poses(np.zeros((64, 64, 3), np.uint8), max_poses=3)
    with pytest.raises(ImageError):
        det.estimate_poses(np.zeros((64, 64, 5), np.uint8))
    with pytest.raises(ImageError):
        det.estimate_poses("/nonexistent/frame.png")
    with pytest.raises(TypeError, match="either options"):
        BlazePoseDetector(det.detector_network, det.landmark_network, BlazePoseOptions(), model_type="lite")
    for threads in (0, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            BlazePoseDetector(det.detector_network, det.landmark_network, threads=threads)  # type: ignore[arg-type]
    assert det.estimate_poses(None) == []
    assert det.estimate_poses(np.zeros((120, 160, 3), np.uint8)) == []  # nobody: no detection
    assert det.roi is None
    with det as same:
        assert same is det
    with pytest.raises(RuntimeError, match="closed"):
        det.estimate_poses(np.zeros((64, 64, 3), np.uint8))


def test_static_golden_pose_jpg() -> None:
    """blazepose_test.ts 'static image': pose.jpg with no timestamp, within 15 px and 0.21 m of
    MediaPipe's expected landmarks (the reference itself: 7.1 px / 0.10 m with full)."""
    image = _pose_jpg()
    det = _detector("full", enable_segmentation=True, smooth_segmentation=False)
    [pose] = det.estimate_poses(image)
    assert [k.name for k in pose.keypoints] == list(BLAZEPOSE_33.keypoint_names)
    xy = np.array([[k.x, k.y] for k in pose.keypoints])
    world = np.array([[k.x, k.y, k.z] for k in pose.keypoints_3d])
    print(f"pose.jpg full: xy max {np.abs(xy - EXPECTED_LANDMARKS).max():.2f} px, "
          f"world max {np.abs(world - EXPECTED_WORLD_LANDMARKS).max():.3f} m")
    assert np.abs(xy - EXPECTED_LANDMARKS).max() < 15
    assert np.abs(world - EXPECTED_WORLD_LANDMARKS).max() < 0.21
    assert pose.score >= 0.5 and pose.score == pytest.approx(0.9999591708183289, abs=1e-4)
    # z in plain pixels without timestamps (spec §6.7 gives -234 for the nose; that run decoded
    # the JPEG with jpeg-js, Pillow's pixels differ slightly); 3D scores are the 2D visibilities.
    nose = pose.keypoints[0]
    assert nose.z is not None and -240 < nose.z < -225
    assert pose.keypoints_3d[0].score == nose.score
    # Mask: IoU >= 0.94 against the upstream segmentation golden (blue channel 255 = person).
    golden = SHARED_DATA / "tfjs-models" / "pose_segmentation.png"
    mask = pose.segmentation
    assert mask is not None and mask.shape == image.shape[:2] and mask.dtype == np.float32
    expected = load_rgb(golden)[..., 2] == 255
    actual = np.round(mask * 255) >= 128
    iou = (expected & actual).sum() / (expected.sum() + actual.sum() - (expected & actual).sum())
    print(f"pose.jpg full: mask IoU {iou:.4f}")
    assert iou >= 0.94
    # The ROI carries over to the next call even without timestamps (spec §2 quirk: the nose
    # moves by about 0.9 px there), so a second call on the same image differs a little.
    assert det.roi is not None
    [again] = det.estimate_poses(image)
    assert 0.1 < abs(again.keypoints[0].x - nose.x) < 3


def test_z_scaling_with_smoothing_and_flip() -> None:
    image = _pose_jpg()
    ref = _detector("full").estimate_poses(image, timestamp_ms=0)[0]
    plain = _detector("full", reference_z=False).estimate_poses(image, timestamp_ms=0)[0]
    off = _detector("full", enable_smoothing=False).estimate_poses(image, timestamp_ms=0)[0]
    w = image.shape[1]
    for r, p, o in zip(ref.keypoints, plain.keypoints, off.keypoints, strict=True):
        assert r.x == p.x == o.x
        assert p.z == pytest.approx(o.z, rel=1e-12, abs=1e-9)
        assert r.z == pytest.approx(o.z * w, rel=1e-12, abs=1e-6)  # the reference's double scaling
    flipped = _detector("full", enable_smoothing=False).estimate_poses(image, flip_horizontal=True)[0]
    for a, b in zip(off.keypoints, flipped.keypoints, strict=True):
        assert b.x == pytest.approx(w - 1 - a.x) and b.y == a.y and b.name == a.name
    for a, b in zip(off.keypoints_3d, flipped.keypoints_3d, strict=True):
        assert (b.x, b.y, b.z) == (-a.x, a.y, a.z)


def test_lost_pose_resets_and_the_detector_runs_again() -> None:
    image = _pose_jpg()
    det = _detector("lite", enable_segmentation=True)
    assert len(det.estimate_poses(image, 0)) == 1 and det.roi is not None
    mask_shape = det.estimate_poses(image, 33.3)[0].segmentation.shape
    blank = np.zeros_like(image)
    assert det.estimate_poses(blank, 66.6) == []  # pose flag < 0.5 on the tracked ROI
    assert det.roi is None
    poses = det.estimate_poses(image, 100.0)  # detector again
    assert len(poses) == 1 and poses[0].segmentation.shape == mask_shape


def test_coinciding_auxiliary_points_do_not_jam_the_tracker(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty next ROI (both auxiliary points on one spot) drops the track: the next frame runs
    the person detector instead of failing on that ROI on every frame from then on."""
    import dataclasses

    image = _pose_jpg()
    det = _detector("lite")
    real = det.run_landmarks

    def collapsed(rgb: np.ndarray, roi: object):  # noqa: ANN202 - the real pass, its two points merged
        result = real(rgb, roi)
        auxiliary = result.auxiliary.copy()
        auxiliary[1] = auxiliary[0]
        return dataclasses.replace(result, auxiliary=auxiliary)

    monkeypatch.setattr(det, "run_landmarks", collapsed)
    assert len(det.estimate_poses(image, 0)) == 1
    assert det.roi is None
    monkeypatch.setattr(det, "run_landmarks", real)
    assert len(det.estimate_poses(image, 33.3)) == 1 and det.roi is not None


def test_create_by_name() -> None:
    import movenet

    get_network("blazepose-detector")  # skips when the weights are absent
    get_network("blazepose-lite")
    det = movenet.create_detector("blazepose-lite", enable_smoothing=False)
    assert isinstance(det, BlazePoseDetector)
    assert det.options.model_type == "lite" and not det.options.enable_smoothing and not det.options.reference_z
    assert det.model == "blazepose-lite"
    assert det.threads is None  # the engine's default: the warps use every core, as ONNX Runtime
    assert movenet.create_detector("blazepose-lite", threads=1).threads == 1  # the engine's count
    with pytest.raises(ValueError, match="Invalid architecture blazepose-ultra"):
        movenet.create_detector("blazepose-ultra")
