"""The calculators BlazePose uses (movenet.calculators), against the upstream calculator tests
(``shared/calculators/*_test.ts``) and the values spec §3-§9 derives from the reference."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from movenet.calculators.anchors import SsdAnchorConfig, create_ssd_anchors
from movenet.calculators.detections import (
    Detection,
    decode_boxes,
    intersection_over_union,
    non_max_suppression,
    remove_detection_letterbox,
    tensors_to_detections,
)
from movenet.calculators.landmarks import (
    landmark_projection,
    refine_landmarks_from_heatmap,
    remove_landmark_letterbox,
    tensors_to_landmarks,
    world_landmark_projection,
)
from movenet.calculators.rects import (
    Padding,
    Rect,
    alignment_points_rect,
    get_roi,
    inverse_matrix,
    normalize_radians,
    pad_roi,
    rotated_subrect_matrix,
)
from movenet.calculators.segmentation import mask_to_image, smooth_segmentation
from movenet.families.blazepose import constants as C
from movenet.families.blazepose.detection import detector_anchors, roi_from_points

from conftest import SHARED_DATA

# --------------------------------------------------------------------------------- anchors


def test_blazepose_anchors() -> None:
    a = detector_anchors()
    assert a.shape == (2254, 4) and a.dtype == np.float32
    assert np.all(a[:, 2:] == 1)
    assert a[0, 0] == a[1, 0] == a[0, 1] == np.float32(0.017857142857142856)
    assert a[1568, 0] == np.float32(0.03571428571428571)
    assert a[1960, 0] == np.float32(0.07142857142857142)
    assert a[2253, 0] == a[2253, 1] == np.float32(0.9285714285714286)
    # stride 8: 28x28 cells x 2; stride 16: 14x14 x 2; the three stride-32 layers: 7x7 x 6
    assert len(np.unique(a[:1568], axis=0)) == 784 and len(np.unique(a[1960:], axis=0)) == 49


@pytest.mark.parametrize("golden", ["anchor_golden_file_0.json", "anchor_golden_file_1.json"])
def test_ssd_anchors_match_the_upstream_goldens(golden: str) -> None:
    path = SHARED_DATA / "tfjs-models" / "shared" / golden
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    if golden.endswith("0.json"):
        cfg = SsdAnchorConfig(num_layers=5, min_scale=0.1171875, max_scale=0.75, input_size_height=256,
                              input_size_width=256, anchor_offset_x=0.5, anchor_offset_y=0.5,
                              strides=(8, 16, 32, 32, 32), aspect_ratios=(1.0,), fixed_anchor_size=True)
    else:
        cfg = SsdAnchorConfig(num_layers=6, min_scale=0.2, max_scale=0.95, input_size_height=300,
                              input_size_width=300, anchor_offset_x=0.5, anchor_offset_y=0.5,
                              strides=(16, 32, 64, 128, 256, 512), aspect_ratios=(1.0, 2.0, 0.5, 3.0, 0.3333),
                              reduce_boxes_in_lowest_layer=True)
    expected = np.array(json.loads(path.read_text()))
    got = create_ssd_anchors(cfg)
    assert got.shape == expected.shape and got.shape[0] in (2944, 1917)
    assert np.abs(got - expected).max() <= 1e-5


# ------------------------------------------------------------------------------ detections


def _det(score: float, x_min: float, y_min: float, size: float) -> Detection:
    return Detection(score, 0, x_min, y_min, x_min + size, y_min + size, size, size, np.zeros((0, 2)))


def test_non_max_suppression_upstream_case() -> None:
    """non_max_suppression_test.ts: max 2, IoU 0.2 -> [obj4, obj2]."""
    obj1, obj2, obj3, obj4 = _det(1, 0, 0, 10), _det(1.2, 2, 2, 10), _det(1, 15, 15, 10), _det(2, 40, 40, 10)
    assert non_max_suppression([obj1, obj2, obj3, obj4], 2, 0.2) == [obj4, obj2]
    assert intersection_over_union((0, 0, 10, 10), (2, 2, 12, 12)) == 64 / 136
    # Suppression at IoU >= threshold; equal scores keep the earlier detection.
    assert non_max_suppression([obj1, obj2], 2, 64 / 136) == [obj2]
    tie_a, tie_b = _det(0.7, 0, 0, 1), _det(0.7, 5, 5, 1)
    assert non_max_suppression([tie_a, tie_b], 1, 0.3) == [tie_a]


def test_remove_detection_letterbox_upstream_case() -> None:
    d = Detection(0.3, 0, 0.25, 0.25, 0.5, 0.5, 0.25, 0.25, np.array([[0.5, 0.5]]))
    h = remove_detection_letterbox(d, Padding(left=0.2, top=0, right=0.3, bottom=0))
    assert (h.x_min, h.y_min, h.width, h.height) == pytest.approx((0.1, 0.25, 0.5, 0.25), abs=1e-5)
    assert (h.x_max, h.y_max, h.score) == pytest.approx((0.6, 0.5, 0.3), abs=1e-5)
    v = remove_detection_letterbox(d, Padding(left=0, top=0.2, right=0, bottom=0.3))
    assert (v.x_min, v.y_min, v.width, v.height, v.x_max, v.y_max) == pytest.approx(
        (0.25, 0.1, 0.25, 0.5, 0.5, 0.6), abs=1e-5)


def test_box_decoding_is_float32_and_filters_scores() -> None:
    anchors = np.array([[0.25, 0.75, 1, 1], [0.5, 0.5, 1, 1]], np.float32)
    raw = np.zeros((2, 12), np.float32)
    raw[0] = [22.4, -11.2, 44.8, 67.2, 1, 2, 3, 4, 5, 6, 7, 8]
    cfg = C.DETECTOR_DECODE_CONFIG.__class__(**{**C.DETECTOR_DECODE_CONFIG.__dict__, "num_boxes": 2})
    boxes = decode_boxes(raw, anchors, cfg)
    f = np.float32
    x_c = f(f(raw[0, 0]) / f(224)) + f(0.25)
    h = f(raw[0, 3]) / f(224)
    assert boxes.dtype == np.float32
    assert boxes[0, 1] == x_c - f(f(raw[0, 2]) / f(224)) / f(2)  # x_min
    assert boxes[0, 2] == f(f(raw[0, 1]) / f(224)) + f(0.75) + h / f(2)  # y_max
    assert boxes[0, 4] == f(1) / f(224) + f(0.25) and boxes[0, 5] == f(2) / f(224) + f(0.75)
    # Score 0.5 exactly (logit 0) is kept, just below is not; scores clipped to +-100 first.
    dets = tensors_to_detections(np.array([0.0, -1e-6], np.float32), raw, anchors, cfg)
    assert [d.index for d in dets] == [0] and dets[0].score == 0.5
    assert dets[0].keypoints.shape == (4, 2)


# ---------------------------------------------------------------------------------- rects


def test_roi_and_padding_upstream_cases() -> None:
    assert get_roi(4, 4) == Rect(2, 2, 4, 4, 0)
    assert get_roi(25, 15) == Rect(12.5, 7.5, 25, 15, 0)
    assert get_roi(4, 4, Rect(0.5, 1, 4, 2, 3)) == Rect(2, 4, 16, 8, 3)
    assert get_roi(25, 15, Rect(0.5, 1, 4, 2, 3)) == Rect(12.5, 15, 100, 30, 3)
    roi = Rect(20, 10, 100, 200, 5)
    assert pad_roi(roi, 10, 10, False) == (roi, Padding())
    padded, pad = pad_roi(roi, 10, 10, True)
    assert (pad.left, pad.right, pad.top, pad.bottom) == pytest.approx((0.25, 0.25, 0, 0), abs=1e-6)
    assert (padded.width, padded.height) == (200, 200)
    padded, pad = pad_roi(Rect(1, 2, 21, 19, 3), 10, 10, True)
    assert pad.top == pytest.approx((21 - 19) / 2 / 21, abs=1e-6) and (padded.width, padded.height) == (21, 21)
    with pytest.raises(ValueError, match="roi height cannot be 0"):
        pad_roi(Rect(1, 1, 5, 0), 10, 10, True)


def test_inverse_matrix_upstream_cases() -> None:
    ident = ((1.0, 0.0, 0.0, 0.0), (0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))
    assert np.allclose(inverse_matrix(ident), np.eye(4))
    translate = ((1.0, 0.0, 0.0, 2.0), (0.0, 1.0, 0.0, -5.0), (0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))
    assert np.allclose(np.array(inverse_matrix(translate))[:2, 3], [-2, 5])
    tiny = np.diag([1e-5, 1e-5, 1, 1])
    assert np.allclose(inverse_matrix(tuple(map(tuple, tiny))), np.diag([1e5, 1e5, 1, 1]))
    rng = np.random.default_rng(1)
    for _ in range(5):
        m = rng.uniform(0, 10, (4, 4))
        assert np.allclose(m @ np.array(inverse_matrix(tuple(map(tuple, m)))), np.eye(4), atol=1e-9)


def test_rotation_and_alignment_rect() -> None:
    assert normalize_radians(math.pi) == -math.pi and normalize_radians(3 * math.pi / 2) == -math.pi / 2
    # Upright: the scale point straight above the centre -> rotation 0; square in pixels.
    r = alignment_points_rect((0.5, 0.5), (0.5, 0.25), 640, 480)
    assert r.rotation == 0 and r.width * 640 == r.height * 480 == 240
    # Pointing right on screen -> +90 degrees (clockwise).
    assert alignment_points_rect((0.5, 0.5), (0.75, 0.5), 100, 100).rotation == pytest.approx(math.pi / 2)


def test_detection_to_roi_on_pose_jpg_spec_values() -> None:
    """Spec §5.2: the pose.jpg detection's keypoints 0/1 give the published ROI."""
    roi = roi_from_points((0.508993923664093, 0.6918205256941079), (0.4863434433937073, 0.2809893009008496),
                          1000, 667)
    assert roi.x_center == 0.508993923664093 and roi.y_center == 0.6918205256941079
    assert roi.width == pytest.approx(0.6873974051389732, abs=1e-15)
    assert roi.height == pytest.approx(1.0305808172998099, abs=1e-15)
    assert roi.rotation == pytest.approx(-0.08247113187283461, abs=1e-15)


def test_sub_rect_matrix_spec_values() -> None:
    """Spec §6.1: M of the first landmark crop of pose.jpg."""
    roi = Rect(0.508993923664093, 0.6918205256941079, 0.6873974051389732, 1.0305808172998099, -0.08247113187283461)
    from movenet.calculators.rects import get_roi as roi_px

    m = rotated_subrect_matrix(pad_roi(roi_px(1000, 667, roi), 256, 256, True)[0], 1000, 667)
    expected0 = (0.6850610673427582, 0.056626200675964515, 0, 0.1381502896547317)
    expected1 = (-0.08489685258765294, 1.0270780619831457, 0, 0.2207299209963615)
    assert np.allclose(m[0], expected0, rtol=1e-12, atol=1e-15) and np.allclose(m[1], expected1, rtol=1e-12)
    assert m[2][2] == pytest.approx(0.6873974051389733, rel=1e-12)


# ------------------------------------------------------------------------------ landmarks

_Z = -1e16


def _sigmoid32(v: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-np.asarray(v, np.float64)))).astype(np.float32)


def _hwc(chw: list[float], h: int, w: int, c: int) -> np.ndarray:
    return _sigmoid32(np.array(chw, np.float64).reshape(c, h, w).transpose(1, 2, 0))[None]


def _lm(points: list[tuple[float, float]]) -> np.ndarray:
    out = np.full((len(points), 4), np.nan)
    out[:, :2] = points
    return out


def test_refine_landmarks_upstream_cases() -> None:
    z = _Z
    smoke = refine_landmarks_from_heatmap(_lm([(0.5, 0.5)]), _hwc([z, z, z, 1, z, z, z, z, z], 3, 3, 1), 3, 0.1)
    assert (smoke[0, 0], smoke[0, 1]) == (0, 1 / 3)
    three = [z, z, z, 1, z, z, z, z, z] * 3
    multi = refine_landmarks_from_heatmap(_lm([(0.5, 0.5)] * 3), _hwc(three, 3, 3, 3), 3, 0.1)
    assert np.all(multi[:, 0] == 0) and np.all(multi[:, 1] == 1 / 3)
    unsure = [z, z, z, 0, z, z, z, z, z] * 3
    kept = refine_landmarks_from_heatmap(_lm([(0.5, 0.5)] * 3), _hwc(unsure, 3, 3, 3), 3, 0.6)
    assert np.all(kept[:, :2] == 0.5)
    border = [z, z, z, 0, z, 0, z, z, z, z, z, z, 0, z, 0, z, z, 0]
    b = refine_landmarks_from_heatmap(_lm([(0, 0), (0.9, 0.9)]), _hwc(border, 3, 3, 2), 3, 0.1)
    assert (b[0, 0], b[0, 1]) == (0, 1 / 3)
    assert (b[1, 0], b[1, 1]) == (2 / 3, 1 / 6 + 2 / 6)


def test_refinement_bounds_quirk_rows_below_the_heatmap() -> None:
    """The reference tests the column against the height where the row is meant: a landmark
    just below the heatmap is still refined from the last rows; with x outside it is kept."""
    hm = np.zeros((1, 8, 8, 2), np.float32)
    hm[0, 7, 4, :] = 0.9
    lm = _lm([(4.5 / 8, 9.2 / 8), (8.5 / 8, 7.5 / 8)])  # row 9 (window rows 6..7); column 8 (outside)
    out = refine_landmarks_from_heatmap(lm, hm, 7, 0.5)
    assert (out[0, 0], out[0, 1]) == (4 / 8, 7 / 8)
    assert np.array_equal(out[1, :2], lm[1, :2])
    with pytest.raises(ValueError, match="same number of channels"):
        refine_landmarks_from_heatmap(lm, hm[..., :1], 7, 0.5)


def test_tensors_to_landmarks_and_projection() -> None:
    raw = np.array([128, 64, -32, 0, 9, 256, 0, 0, 2, 0], np.float32)
    lm = tensors_to_landmarks(raw, 2, 256, 256)
    assert np.array_equal(lm[0], [0.5, 0.25, -0.125, 0.5])
    assert lm[1, 3] == 1 / (1 + math.exp(-2.0))
    # Upstream calculate_landmark_projection_test.ts.
    p = np.array([[10.0, 20.0, -0.5, np.nan]])
    assert np.array_equal(landmark_projection(p, Rect(0.5, 0.5, 1, 1, 0))[0, :3], [10, 20, -0.5])
    q = landmark_projection(np.array([[1.0, 1.0, -0.5, np.nan]]), Rect(0.5, 0.5, 0.5, 2, 0))
    assert np.array_equal(q[0, :3], [0.75, 1.5, -0.25])
    # Upstream remove_landmark_letterbox_test.ts.
    pts = _lm([(0.5, 0.5), (0.2, 0.2), (0.7, 0.7)])
    pts[:, 2] = 0
    h = remove_landmark_letterbox(pts, Padding(left=0.2, top=0, right=0.3, bottom=0))
    assert np.allclose(h[:, :2], [(0.6, 0.5), (0, 0.2), (1, 0.7)], atol=1e-5)
    v = remove_landmark_letterbox(pts, Padding(left=0, top=0.2, right=0, bottom=0.3))
    assert np.allclose(v[:, :2], [(0.5, 0.6), (0.2, 0), (0.7, 1)], atol=1e-5)
    # World landmarks only rotate.
    w = world_landmark_projection(np.array([[1.0, 0.0, 0.3, 0.9]]), Rect(9, 9, 9, 9, math.pi / 2))
    assert np.allclose(w[0], [0, 1, 0.3, 0.9])


# --------------------------------------------------------------------------- segmentation


def test_segmentation_smoothing_upstream_case() -> None:
    """segmentation_smoothing_test.ts: previous 111/255, current 0.98 in the centre."""
    prev = np.full((4, 4), 111 / 255, np.float32)
    cur = np.zeros((4, 4), np.float32)
    cur[1:3, 1:3] = 0.98
    assert np.abs(smooth_segmentation(prev, cur, 0.0) - cur).max() <= 1e-7
    out = smooth_segmentation(prev, cur, 1.0)
    assert out.dtype == np.float32
    assert np.abs(out - cur).max() <= 3 / 255
    assert np.all(np.abs(out[1:3, 1:3] - cur[1:3, 1:3]) >= 0.005)
    # An uncertain pixel (0.5) takes the previous value with the full ratio.
    mid = smooth_segmentation(np.zeros((1, 1), np.float32), np.full((1, 1), 0.5, np.float32), 0.7)
    assert mid[0, 0] == np.float32(0.5) + (np.float32(0) - np.float32(0.5)) * np.float32(0.7)
    with pytest.raises(ValueError, match="shape"):
        smooth_segmentation(prev, cur[:2], 0.7)


def test_mask_back_to_the_image() -> None:
    """A crop of the whole image (no rotation) maps its mask back onto the same pixels."""
    mask = np.zeros((256, 256), np.float32)
    mask[64:192, 32:96] = 1
    m = rotated_subrect_matrix(Rect(128, 64, 256, 128, 0.0), 256, 128)  # crop == image (256x128)
    out = mask_to_image(mask, m, 256, 128)
    assert out.shape == (128, 256) and out.dtype == np.float32
    assert np.array_equal(out, mask[::2, :])


def _refine_scalar(landmarks: np.ndarray, hm: np.ndarray, kernel: int, min_conf: float) -> np.ndarray:
    """refine_landmarks_from_heatmap.ts line by line (one landmark, one cell at a time)."""
    height, width, _ = hm.shape
    out = landmarks.copy()
    for i in range(landmarks.shape[0]):
        col = math.trunc(landmarks[i, 0] * width)
        row = math.trunc(landmarks[i, 1] * height)
        if col < 0 or col >= width or row < 0 or col >= height:
            continue
        off = math.trunc((kernel - 1) / 2)
        total = wc = wr = mx = 0.0
        for r in range(max(0, row - off), min(height, row + off + 1)):
            for c in range(max(0, col - off), min(width, col + off + 1)):
                p = float(hm[r, c, i])
                total += p
                mx = max(mx, p)
                wc += c * p
                wr += r * p
        if mx >= min_conf and total > 0:
            out[i, 0] = wc / width / total
            out[i, 1] = wr / height / total
    return out


def test_vectorized_refinement_equals_the_scalar_reference_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        hm = rng.random((64, 64, 39), dtype=np.float32) ** 6
        lm = _lm(list(zip(rng.uniform(-0.1, 1.1, 39), rng.uniform(-0.1, 1.1, 39), strict=True)))
        assert np.array_equal(refine_landmarks_from_heatmap(lm, hm[None], 7, 0.5), _refine_scalar(lm, hm, 7, 0.5),
                              equal_nan=True)
