"""Trackers (``pose-detection/src/calculators/``): the reference's own tests, ported exactly
(pose-detection/src/calculators/{bounding_box,keypoint}_tracker_test.ts),
plus configuration merging/validation and edge cases of the greedy algorithm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from movenet.calculators.tracking import (
    COCO_KEYPOINT_FALLOFF,
    BoundingBoxTracker,
    Detection,
    KeypointTracker,
    KeypointTrackerParams,
    TrackerConfig,
    create_tracker,
    default_tracker_config,
    iou_matrix,
    oks_matrix,
    resolve_tracker_config,
)

BOX_CONFIG = TrackerConfig(max_tracks=4, max_age=1000, min_similarity=0.5)
KEYPOINT_CONFIG = TrackerConfig(
    max_tracks=4, max_age=1000, min_similarity=0.5,
    keypoint_tracker_params=KeypointTrackerParams(
        keypoint_confidence_threshold=0.2, keypoint_falloff=(0.1, 0.1, 0.1, 0.1), min_number_of_keypoints=2,
    ),
)  # fmt: skip


def box(y_min: float, x_min: float, y_max: float, x_max: float, width: float, height: float) -> Detection:
    return Detection.from_box(y_min, x_min, y_max, x_max, width, height)


def kps(*points: tuple[float, float, float]) -> Detection:
    return Detection(keypoints=np.array(points, dtype=np.float64))


def tracks_of(tracker) -> list[tuple[int, float]]:
    return [(t.id, t.last_timestamp) for t in tracker.get_tracks()]


# -------------------------------------------------------------------------- bounding box (e)


def test_bounding_box_tracker_instantiates() -> None:
    assert isinstance(BoundingBoxTracker(BOX_CONFIG), BoundingBoxTracker)


def test_iou() -> None:
    tracker = BoundingBoxTracker(BOX_CONFIG)
    pose = box(0.0, 0.0, 1.0, 2 / 3, 2 / 3, 1.0)
    track = box(0.0, 1 / 3, 1.0, 1.0, 2 / 3, 1.0)
    assert tracker.iou(pose, track) == pytest.approx(1 / 3, abs=0.5e-6)


def test_iou_full_overlap() -> None:
    tracker = BoundingBoxTracker(BOX_CONFIG)
    unit = box(0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert tracker.iou(unit, unit) == pytest.approx(1.0, abs=0.5e-6)


def test_iou_no_intersection() -> None:
    tracker = BoundingBoxTracker(BOX_CONFIG)
    a = box(0.0, 0.0, 0.5, 0.5, 0.5, 0.5)
    b = box(0.5, 0.5, 1.0, 1.0, 0.5, 0.5)
    assert tracker.iou(a, b) == 0.0


def test_iou_uses_stored_width_and_height() -> None:
    # Corners overlap by 0.5 x 1; stored sizes say each box has area 2 -> 0.5 / (2 + 2 - 0.5).
    a = Detection.from_box(0.0, 0.0, 1.0, 1.0, width=2.0, height=1.0)
    b = Detection.from_box(0.0, 0.5, 1.0, 1.5, width=2.0, height=1.0)
    assert a.box is not None and b.box is not None
    assert float(iou_matrix(a.box[None], b.box[None])[0, 0]) == 0.5 / 3.5
    assert BoundingBoxTracker(BOX_CONFIG).iou(a, b) == 0.5 / 3.5


def test_apply_bounding_box_tracker() -> None:
    tracker = BoundingBoxTracker(BOX_CONFIG)
    ids = tracker.apply([box(0.0, 0.0, 0.5, 0.5, 0.5, 0.5), box(0.0, 0.0, 1.0, 1.0, 1.0, 1.0)], 0)
    assert ids == [1, 2]
    assert tracks_of(tracker) == [(1, 0), (2, 0)]

    ids = tracker.apply([box(0.1, 0.1, 0.5, 0.5, 0.4, 0.4), box(0.3, 0.2, 0.9, 0.9, 0.7, 0.6)], 100000)
    assert ids == [1, 3]
    assert tracks_of(tracker) == [(1, 100000), (3, 100000), (2, 0)]

    # Track 2 is aged out (1.05 s > 1 s): the box identical to it spawns id 4.
    ids = tracker.apply([box(0.1, 0.1, 0.5, 0.55, 0.4, 0.45), box(0.0, 0.0, 1.0, 1.0, 1.0, 1.0)], 1050000)
    assert ids == [1, 4]
    assert tracks_of(tracker) == [(1, 1050000), (4, 1050000), (3, 100000)]


# -------------------------------------------------------------------------- keypoint (f)


def test_keypoint_tracker_instantiates() -> None:
    assert isinstance(KeypointTracker(KEYPOINT_CONFIG), KeypointTracker)


def test_keypoint_config_validation_message() -> None:
    bad = TrackerConfig(max_tracks=4, max_age=1000, min_similarity=0.5, keypoint_tracker_params=KeypointTrackerParams(
        keypoint_confidence_threshold=-0.1, keypoint_falloff=(0.1, 0.1, 0.1, 0.1), min_number_of_keypoints=2))
    with pytest.raises(ValueError) as err:
        KeypointTracker(bad)
    assert str(err.value) == (
        "Must specify 'keypointConfidenceThreshold' to be in the range [0, 1], but encountered -0.1"
    )


def test_oks() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    pose = kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.1), (0.8, 0.7, 0.8))
    track = kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.9), (0.8, 0.8, 0.8))
    box_area = (0.8 - 0.2) * (0.8 - 0.2)
    x = 2 * 0.1
    d = 0.1
    expected = (1 + 1 + math.exp(-1 * d**2 / (2 * box_area * x**2))) / 3
    assert tracker.oks(pose, track) == pytest.approx(expected, abs=0.5e-6)


def test_oks_with_fewer_than_min_valid_keypoints_is_zero() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    pose = kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.1), (0.6, 0.6, 0.9), (0.8, 0.8, 0.8))
    track = kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.1), (0.8, 0.8, 0.0))
    assert tracker.oks(pose, track) == 0.0


def test_area() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    area = tracker.area([(0.1, 0.2, 1.0), (0.3, 0.4, 0.9), (0.4, 0.6, 0.9), (0.7, 0.8, 0.1)])
    assert area == pytest.approx((0.4 - 0.1) * (0.6 - 0.2), abs=0.5e-6)
    assert area == pytest.approx(0.12, abs=0.5e-6)


def test_apply_keypoint_tracker() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    ids = tracker.apply([kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.9), (0.8, 0.8, 0.0))], 0)
    assert ids == [1]
    assert tracks_of(tracker) == [(1, 0)]

    ids = tracker.apply([
        kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.9), (0.8, 0.8, 0.8)),
        kps((0.8, 0.8, 0.8), (0.6, 0.6, 0.3), (0.4, 0.4, 0.1), (0.2, 0.2, 0.8)),
    ], 100000)
    assert ids == [1, 2]
    assert tracks_of(tracker) == [(1, 100000), (2, 100000)]

    ids = tracker.apply([
        kps((0.6, 0.7, 0.7), (0.5, 0.6, 0.7), (0.0, 0.0, 0.1), (0.2, 0.1, 1.0)),
        kps((0.5, 0.1, 0.6), (0.9, 0.3, 0.6), (0.1, 1.0, 0.9), (0.4, 0.4, 0.1)),
    ], 900000)
    assert ids == [2, 3]
    assert tracks_of(tracker) == [(2, 900000), (3, 900000), (1, 100000)]

    # Track 1 is aged out: the pose identical to it spawns id 4.
    ids = tracker.apply([
        kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.9), (0.8, 0.8, 0.8)),
        kps((0.55, 0.7, 0.7), (0.5, 0.6, 0.9), (1.0, 1.0, 0.1), (0.8, 0.1, 0.0)),
        kps((0.1, 0.1, 0.1), (0.2, 0.2, 0.9), (0.3, 0.3, 0.7), (0.4, 0.4, 0.8)),
    ], 1200000)
    assert ids[:2] == [4, 2]
    assert ids[2] == 5  # not asserted upstream
    assert tracks_of(tracker) == [(2, 1200000), (4, 1200000), (5, 1200000), (3, 900000)]

    # Track 3 falls off the max_tracks = 4 limit.
    ids = tracker.apply([kps((0.1, 0.8, 1.0), (0.2, 0.9, 0.6), (0.2, 0.9, 0.5), (0.8, 0.2, 0.4))], 1300000)
    assert ids == [6]
    assert tracks_of(tracker) == [(6, 1300000), (2, 1200000), (4, 1200000), (5, 1200000)]


# -------------------------------------------------------------------------- OKS details


def test_oks_threshold_asymmetry() -> None:
    # A score equal to the threshold counts for the OKS but not for the track's area.
    params = KeypointTrackerParams(keypoint_confidence_threshold=0.5, keypoint_falloff=(0.1, 0.1, 0.1),
                                   min_number_of_keypoints=1)
    track = np.array([[[0.0, 0.0, 0.5], [0.6, 0.8, 1.0], [0.7, 0.9, 1.0]]])
    pose = np.array([[[0.1, 0.0, 0.5], [0.6, 0.8, 1.0], [0.7, 0.9, 1.0]]])
    # Area over the track keypoints scoring > 0.5 only: x in [0.6, 0.7], y in [0.8, 0.9].
    area = (0.7 - 0.6) * (0.9 - 0.8) + 1e-6
    expected = (math.exp(-(0.1**2) / (2 * area * 0.2**2)) + 1.0 + 1.0) / 3
    assert oks_matrix(pose, track, params)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_area_without_confident_keypoints_is_one() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    assert tracker.area([(0.3, 0.3, 0.1), (0.5, 0.5, 0.2)]) == 1.0


def test_oks_matrix_matches_scalar_loop() -> None:
    rng = np.random.default_rng(0)
    params = KeypointTrackerParams()
    poses = rng.random((5, 17, 3))
    tracks = rng.random((7, 17, 3))
    got = oks_matrix(poses, tracks, params)

    def scalar(p: np.ndarray, t: np.ndarray) -> float:
        thr = params.keypoint_confidence_threshold
        valid = [k for k in t if k[2] > thr]
        min_x = min([1.0, *[k[0] for k in valid]])
        max_x = max([0.0, *[k[0] for k in valid]])
        min_y = min([1.0, *[k[1] for k in valid]])
        max_y = max([0.0, *[k[1] for k in valid]])
        area = (max_x - min_x) * (max_y - min_y) + 1e-6
        total, n = 0.0, 0
        for i in range(17):
            if p[i, 2] < thr or t[i, 2] < thr:
                continue
            n += 1
            d2 = (p[i, 0] - t[i, 0]) ** 2 + (p[i, 1] - t[i, 1]) ** 2
            x = 2 * params.keypoint_falloff[i]
            total += math.exp(-1 * d2 / (2 * area * x**2))
        return 0.0 if n < params.min_number_of_keypoints else total / n

    want = np.array([[scalar(p, t) for t in tracks] for p in poses])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


# -------------------------------------------------------------------------- greedy algorithm


def test_ties_go_to_the_first_track_and_min_similarity_is_inclusive() -> None:
    tracker = BoundingBoxTracker(TrackerConfig(max_tracks=10, max_age=1000, min_similarity=0.5))
    unit = (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert tracker.apply([box(*unit), box(*unit)], 0) == [1, 2]
    # Both tracks are identical (IoU 1): the first pose takes the first track.
    assert tracker.apply([box(*unit), box(*unit)], 10) == [1, 2]
    # IoU exactly 0.5 (half of the unit box) still links.
    half = (0.0, 0.0, 1.0, 0.5, 0.5, 1.0)
    assert tracker.apply([box(*half)], 20) == [1]


def test_poses_in_order_take_their_best_track() -> None:
    tracker = BoundingBoxTracker(TrackerConfig(max_tracks=10, max_age=1000, min_similarity=0.1))
    tracker.apply([box(0.0, 0.0, 0.5, 0.5, 0.5, 0.5), box(0.0, 0.0, 0.6, 0.6, 0.6, 0.6)], 0)
    # The first pose overlaps track 2 best; the second then gets track 1.
    ids = tracker.apply([box(0.0, 0.0, 0.6, 0.6, 0.6, 0.6), box(0.0, 0.0, 0.6, 0.6, 0.6, 0.6)], 1)
    assert ids == [2, 1]
    assert tracks_of(tracker) == [(1, 1), (2, 1)]  # stable sort keeps the list order


def test_age_limit_is_inclusive_and_missing_timestamps_drop_all_tracks() -> None:
    tracker = BoundingBoxTracker(TrackerConfig(max_tracks=10, max_age=1000, min_similarity=0.5))
    unit = (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert tracker.apply([box(*unit)], 0) == [1]
    assert tracker.apply([box(*unit)], 1_000_000) == [1]  # age exactly max_age: kept
    assert tracker.apply([box(*unit)], 2_000_001) == [2]  # older: dropped
    # No timestamp: NaN age drops every track, so each frame gets new ids (as the reference).
    assert tracker.apply([box(*unit)], None) == [3]
    assert tracker.apply([box(*unit), box(*unit)], None) == [4, 5]
    assert [t.id for t in tracker.get_tracks()] == [4, 5]
    assert all(math.isnan(t.last_timestamp) for t in tracker.get_tracks())
    assert tracker.apply([box(*unit)], 5_000_000) == [6]
    assert tracks_of(tracker) == [(6, 5_000_000)]


def test_empty_inputs_and_reset_remove() -> None:
    tracker = create_tracker("boundingBox")
    assert tracker.apply([], 0) == []
    unit = (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert tracker.apply([box(*unit), box(0.0, 0.0, 0.1, 0.1, 0.1, 0.1)], 1) == [1, 2]
    assert tracker.apply([], 2) == []
    assert tracker.get_track_ids() == {1, 2}
    tracker._tracks = [t for t in tracker.get_tracks() if t.id != 1]  # drop track 1 (test-only)
    assert tracker.get_track_ids() == {2}
    tracker.reset()
    assert tracker.get_tracks() == []
    assert tracker.apply([box(*unit)], 3) == [3]  # ids are never reused


def test_max_tracks_truncates_oldest() -> None:
    tracker = BoundingBoxTracker(TrackerConfig(max_tracks=2, max_age=1000, min_similarity=0.5))
    far = [box(0.1 * i, 0.1 * i, 0.1 * i + 0.05, 0.1 * i + 0.05, 0.05, 0.05) for i in range(3)]
    assert tracker.apply(far, 0) == [1, 2, 3]
    assert [t.id for t in tracker.get_tracks()] == [1, 2]


def test_track_keeps_copies() -> None:
    tracker = KeypointTracker(KEYPOINT_CONFIG)
    pose = kps((0.2, 0.2, 1.0), (0.4, 0.4, 0.8), (0.6, 0.6, 0.9), (0.8, 0.8, 0.8))
    tracker.apply([pose], 0)
    pose.keypoints[:] = 0
    assert tracker.get_tracks()[0].keypoints[0, 0] == 0.2


# -------------------------------------------------------------------------- configuration


def test_defaults() -> None:
    bb = default_tracker_config("boundingBox")
    assert (bb.max_tracks, bb.max_age, bb.min_similarity, bb.keypoint_tracker_params) == (18, 1000, 0.15, None)
    kp = default_tracker_config("keypoint")
    assert (kp.max_tracks, kp.max_age, kp.min_similarity) == (18, 1000, 0.2)
    assert kp.keypoint_tracker_params == KeypointTrackerParams(0.3, COCO_KEYPOINT_FALLOFF, 4)
    assert len(COCO_KEYPOINT_FALLOFF) == 17


def test_merge_user_config() -> None:
    merged = resolve_tracker_config("keypoint", {"maxTracks": 5, "minSimilarity": None,
                                                 "keypointTrackerParams": {"minNumberOfKeypoints": 2}})
    assert (merged.max_tracks, merged.max_age, merged.min_similarity) == (5, 1000, 0.2)
    assert merged.keypoint_tracker_params == KeypointTrackerParams(0.3, COCO_KEYPOINT_FALLOFF, 2)
    merged = resolve_tracker_config("boundingBox", {"max_age": 500,
                                                    "keypoint_tracker_params": {"min_number_of_keypoints": 2}})
    assert merged == TrackerConfig(18, 500, 0.15, None)  # a bounding-box config keeps no params
    with pytest.raises(ValueError, match="unknown tracker_config field"):
        resolve_tracker_config("boundingBox", {"maxtracks": 3})
    with pytest.raises(ValueError, match="Tracker type not supported"):
        resolve_tracker_config("nearest")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (TrackerConfig(max_tracks=0), "Must specify 'maxTracks' to be at least 1, but encountered 0"),
        (TrackerConfig(max_age=0), "Must specify 'maxAge' to be positive, but encountered 0"),
        (TrackerConfig(keypoint_tracker_params=KeypointTrackerParams(keypoint_confidence_threshold=1.5)),
         "Must specify 'keypointConfidenceThreshold' to be in the range [0, 1], but encountered 1.5"),
        (TrackerConfig(keypoint_tracker_params=KeypointTrackerParams(min_number_of_keypoints=0)),
         "Must specify 'minNumberOfKeypoints' to be at least 1, but encountered 0"),
        (TrackerConfig(keypoint_tracker_params=KeypointTrackerParams(keypoint_falloff=(0.1, 0.0))),
         "Must specify each keypoint falloff parameter to be positive but encountered 0"),
    ],
)
def test_validation(config: TrackerConfig, message: str) -> None:
    with pytest.raises(ValueError) as err:
        KeypointTracker(config)
    assert str(err.value) == message


def test_min_similarity_is_not_validated() -> None:
    BoundingBoxTracker(TrackerConfig(min_similarity=-5))
