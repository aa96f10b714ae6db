from __future__ import annotations

import time

import numpy as np
import pytest

from movenet.draw import COLOR_PALETTE, SIDE_COLORS, default_sizes, draw_poses, pose_color
from movenet.types import KEYPOINT_NAMES, BoundingBox, Keypoint, Pose

H, W = 200, 300


def make_pose(
    points: dict[int, tuple[float, float, float]],
    *,
    pose_id: int | None = None,
    box: BoundingBox | None = None,
) -> Pose:
    """A pose whose keypoints not in `points` sit at (5, 5) with score 0."""
    kps = tuple(
        Keypoint(
            x=points.get(i, (5.0, 5.0, 0.0))[0],
            y=points.get(i, (5.0, 5.0, 0.0))[1],
            score=points.get(i, (5.0, 5.0, 0.0))[2],
            name=name,
        )
        for i, name in enumerate(KEYPOINT_NAMES)
    )
    return Pose(keypoints=kps, score=0.9, box=box, id=pose_id)


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def near(mask: np.ndarray, x: float, y: float, r: int) -> np.ndarray:
    return mask[max(0, int(y) - r) : int(y) + r + 1, max(0, int(x) - r) : int(x) + r + 1]


# left_shoulder(5) -> left_elbow(7) is an edge; right_elbow(8) and right_wrist(10) are hidden.
CONFIDENT = {5: (60.0, 50.0, 0.9), 7: (60.0, 150.0, 0.8), 0: (200.0, 40.0, 0.3)}
HIDDEN = {8: (240.0, 100.0, 0.29), 10: (240.0, 170.0, 0.1)}


def test_draws_near_confident_keypoints_only() -> None:
    image = np.full((H, W, 3), 40, np.uint8)
    original = image.copy()
    pose = make_pose({**CONFIDENT, **HIDDEN})
    out = draw_poses(image, [pose], radius=4, line_width=2)

    assert out.shape == image.shape and out.dtype == image.dtype
    assert out is not image
    np.testing.assert_array_equal(image, original)  # input untouched

    diff = changed(original, out)
    for x, y, _ in CONFIDENT.values():
        assert near(diff, x, y, 2).all()
    for x, y, _ in HIDDEN.values():
        assert not near(diff, x, y, 15).any()
    # The edge between the two confident left keypoints is drawn (white, no id)...
    assert tuple(out[100, 60]) == (255, 255, 255)
    # ... and nothing is drawn anywhere else: every change is near a keypoint or on that edge.
    ys, xs = np.nonzero(diff)
    on_edge = (np.abs(xs - 60) <= 6) & (ys >= 44) & (ys <= 156)
    near_nose = (np.abs(xs - 200) <= 6) & (np.abs(ys - 40) <= 6)
    assert (on_edge | near_nose).all()
    # The hidden keypoints at their default spot (5, 5) with score 0 are not drawn either.
    assert not near(diff, 5, 5, 3).any()


def test_side_colours_without_id() -> None:
    image = np.zeros((H, W, 3), np.uint8)
    pose = make_pose({0: (50.0, 50.0, 1.0), 1: (150.0, 50.0, 1.0), 2: (250.0, 50.0, 1.0)})
    out = draw_poses(image, [pose], radius=6, line_width=2)
    assert tuple(out[50, 50]) == SIDE_COLORS["middle"]
    assert tuple(out[50, 150]) == SIDE_COLORS["left"]
    assert tuple(out[50, 250]) == SIDE_COLORS["right"]
    assert len({SIDE_COLORS["middle"], SIDE_COLORS["left"], SIDE_COLORS["right"]}) == 3


def test_whole_pose_coloured_by_id() -> None:
    image = np.zeros((H, W, 3), np.uint8)
    box = BoundingBox(20.0, 20.0, 280.0, 180.0)
    pose = make_pose({5: (60.0, 50.0, 0.9), 7: (60.0, 150.0, 0.9), 2: (200.0, 100.0, 0.9)}, pose_id=3, box=box)
    out = draw_poses(image, [pose], radius=5, line_width=3)
    color = pose_color(3)
    assert color == COLOR_PALETTE[3] and pose_color(23) == color
    assert tuple(out[50, 60]) == color  # keypoint fill
    assert tuple(out[100, 60]) == color  # edge
    assert tuple(out[100, 200]) == color  # right-side keypoint too
    assert tuple(out[20, 150]) == color  # box top
    assert tuple(out[100, 280]) == color  # box right side
    assert tuple(out[100, 150]) == (0, 0, 0)  # inside the box: not filled


def test_box_without_id_and_min_score() -> None:
    image = np.zeros((H, W, 3), np.uint8)
    pose = make_pose({5: (60.0, 50.0, 0.5)}, box=BoundingBox(10.0, 10.0, 100.0, 100.0))
    shown = draw_poses(image, [pose], min_score=0.5, radius=4, line_width=2)
    hidden = draw_poses(image, [pose], min_score=0.51, radius=4, line_width=2)
    assert tuple(shown[10, 50]) == (255, 255, 255)
    assert changed(image, shown)[50, 60] and not changed(image, hidden)[50, 60]
    assert changed(image, hidden)[10, 50]  # the box does not depend on keypoint scores


def test_no_poses_returns_equal_copy() -> None:
    image = np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)
    out = draw_poses(image, [])
    np.testing.assert_array_equal(out, image)
    assert out is not image and out.flags.writeable
    out[0, 0] = 0  # writable, independent copy
    assert not np.shares_memory(out, image)


def test_accepts_non_contiguous_input_and_leaves_it_alone() -> None:
    base = np.random.default_rng(2).integers(0, 256, (H, W, 3), dtype=np.uint8)
    view = base[:, ::-1]
    snapshot = base.copy()
    out = draw_poses(view, [make_pose(CONFIDENT)])
    assert out.shape == view.shape and out.flags.c_contiguous
    np.testing.assert_array_equal(base, snapshot)


def test_odd_coordinates_do_not_crash() -> None:
    image = np.zeros((50, 60, 3), np.uint8)
    pose = make_pose(
        {5: (float("nan"), 10.0, 0.9), 7: (1e30, -1e30, 0.9), 6: (-20.0, 30.0, 0.9), 8: (30.0, 30.0, float("nan"))},
        box=BoundingBox(float("inf"), 0.0, 10.0, 10.0),
    )
    out = draw_poses(image, [pose])
    assert out.shape == image.shape


def test_sizes_scale_with_image() -> None:
    assert default_sizes(100, 100) == (2, 1)
    assert default_sizes(1080, 1920)[0] == 7
    assert default_sizes(3000, 4000)[0] == 20
    image = np.zeros((H, W, 3), np.uint8)
    pose = make_pose({0: (100.0, 100.0, 1.0)})
    small = changed(image, draw_poses(image, [pose], radius=2)).sum()
    big = changed(image, draw_poses(image, [pose], radius=10)).sum()
    assert big > 4 * small
    assert not changed(image, draw_poses(image, [pose], radius=0, line_width=0)).any()
    with pytest.raises(ValueError):
        draw_poses(image, [pose], radius=-1)


def test_fast_enough_for_video() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    rng = np.random.default_rng(3)
    poses = [
        make_pose({i: (float(rng.uniform(0, 1920)), float(rng.uniform(0, 1080)), 0.9) for i in range(17)}, pose_id=k)
        for k in range(6)
    ]
    draw_poses(frame, poses)
    start = time.perf_counter()
    for _ in range(5):
        draw_poses(frame, poses)
    assert (time.perf_counter() - start) / 5 < 0.1
