"""PoseNet decoding, scaling and preprocessing without the network.

Ports what the upstream PoseNet calculators do (pose-detection/src/posenet/calculators/*.ts;
upstream has no unit tests for them, only posenet_test.ts, see test_posenet_parity.py) and
checks them against the spec's worked values (shared/docs/blazepose-posenet-spec.md 13-17)
and the oracle's raw output maps in tests/fixtures/oracle/posenet_raw.npz.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from movenet.calculators.rects import Padding
from movenet.families.posenet.decode_multi import (
    POSE_CHAIN,
    POSE_CHAIN_IDS,
    build_part_queue,
    decode_multiple_poses,
    instance_score,
    js_round,
    local_maxima,
    within_nms_radius,
)
from movenet.families.posenet.decode_single import argmax2d, decode_single_pose
from movenet.families.posenet.letterbox import letterbox, letterbox_reference
from movenet.families.posenet.max_heap import MaxHeap
from movenet.families.posenet.outputs import OUTPUT_CHANNELS, PoseNetMaps, output_indices, sigmoid_float32
from movenet.families.posenet.pose import InputPose, to_image_pose
from movenet.types import KEYPOINT_NAMES

from conftest import FIXTURES

RAW = FIXTURES / "oracle" / "posenet_raw.npz"
NAMES = list(OUTPUT_CHANNELS)


# ----------------------------------------------------------------------------- small pieces


@pytest.mark.parametrize(("v", "r"), [(2.5, 3), (-2.5, -2), (0.5, 1), (-0.5, 0), (1.4999999, 1), (-1.5, -1),
                                      (0.49999999999999994, 0), (3.0, 3), (-0.0, 0), (7.5000001, 8)])
def test_js_round_halves_go_up(v: float, r: int) -> None:
    assert js_round(v) == r


def test_max_heap_pops_by_descending_key() -> None:
    rng = np.random.default_rng(0)
    keys = rng.random(200).tolist()
    heap: MaxHeap[float] = MaxHeap(key=lambda k: k)
    for k in keys:
        heap.push(k)
    assert len(heap) == 200 and heap.peek() == max(keys)
    out = [heap.pop() for _ in range(200)]
    assert out == sorted(keys, reverse=True)
    assert heap.empty()
    with pytest.raises(IndexError):
        heap.pop()


def test_max_heap_tie_order_is_the_references() -> None:
    # max_heap.ts with four equal keys pushed a, b, c, d: dequeue swaps the root with the last
    # element and sinks only when a child is strictly greater, so the order is a, d, c, b
    # (worked by hand from the TypeScript; a stable heap would give a, b, c, d).
    heap: MaxHeap[tuple[float, str]] = MaxHeap(key=lambda t: t[0])
    for label in "abcd":
        heap.push((1.0, label))
    assert [heap.pop()[1] for _ in range(4)] == ["a", "d", "c", "b"]
    # mixed: 2 arrives after a 3 and two 2s; the equal 2s leave in the heap's own order
    heap2: MaxHeap[tuple[float, str]] = MaxHeap(key=lambda t: t[0])
    for item in [(2.0, "p"), (3.0, "q"), (2.0, "r"), (2.0, "s")]:
        heap2.push(item)
    # push p: [p]; q swims over p: [q, p]; r: parent of 2 is 1 (p, equal): [q, p, r];
    # s: parent of 3 is 1: [q, p, r, s]. pop q -> [s, p, r], s stays; pop s -> [r, p]; pop r; p.
    assert [heap2.pop()[1] for _ in range(4)] == ["q", "s", "r", "p"]


def test_pose_chain_is_a_tree_rooted_at_the_nose() -> None:
    assert len(POSE_CHAIN) == 16
    children = [c for _, c in POSE_CHAIN_IDS]
    assert sorted(children) == list(range(1, 17))  # every keypoint but the nose has one parent
    assert POSE_CHAIN_IDS[0] == (0, 1) and POSE_CHAIN_IDS[15] == (14, 16)
    assert POSE_CHAIN[7] == ("left_shoulder", "left_hip")


def test_local_maxima_plateaus_threshold_and_borders() -> None:
    s = np.zeros((4, 5, 2))
    s[0, 0, 0] = 0.9          # corner maximum (window clipped to the grid)
    s[0, 1, 0] = 0.8          # next to a higher cell: not a maximum
    s[2, 2, 0] = 0.6          # plateau: both equal cells are kept
    s[2, 3, 0] = 0.6
    s[3, 4, 1] = 0.5          # exactly at the threshold: kept (skip only when score < threshold)
    s[1, 3, 1] = 0.4999       # below the threshold
    cells = local_maxima(s, 0.5).tolist()
    assert cells == [[0, 0, 0], [2, 2, 0], [2, 3, 0], [3, 4, 1]]  # row-major (y, x, keypoint)
    assert local_maxima(s, 0.0).shape[0] > 4  # zeros are local maxima of their flat windows too


def test_part_queue_scores_come_out_in_descending_order() -> None:
    rng = np.random.default_rng(1)
    s = rng.random((9, 9, 17))
    queue = build_part_queue(s, 0.5)
    got = []
    while not queue.empty():
        c = queue.pop()
        got.append(c.score)
        assert c.score == s[c.y, c.x, c.part]
    assert got == sorted(got, reverse=True) and len(got) == local_maxima(s, 0.5).shape[0]


def test_output_indices_by_name() -> None:
    assert output_indices(["heatmap", "offset", "displacement_bwd", "displacement_fwd"]) == {
        "offset": 1, "heatmap": 0, "displacement_fwd": 3, "displacement_bwd": 2}
    tf_names = [f"MobilenetV1/{n}_2/BiasAdd:0" for n in ("displacement_fwd", "heatmap", "displacement_bwd", "offset")]
    assert output_indices(tf_names) == {"offset": 3, "heatmap": 1, "displacement_fwd": 0, "displacement_bwd": 2}
    with pytest.raises(ValueError, match="no single output named 'displacement_bwd'"):
        output_indices(["offset", "heatmap", "displacement_fwd"])


def test_maps_check_shapes() -> None:
    good = [np.zeros((1, 5, 6, OUTPUT_CHANNELS[n]), np.float32) for n in NAMES]
    maps = PoseNetMaps.from_outputs(good, output_indices(NAMES))
    assert maps.heatmap_scores.shape == (5, 6, 17) and maps.heatmap_scores.dtype == np.float32
    assert np.all(maps.heatmap_scores == np.float32(0.5))
    bad = list(good)
    bad[1] = np.zeros((1, 5, 6, 16), np.float32)
    with pytest.raises(RuntimeError, match="'heatmap' has shape"):
        PoseNetMaps.from_outputs(bad, output_indices(NAMES))


def test_sigmoid_is_float32_of_the_exact_value() -> None:
    x = np.array([-100, -5, 0, 0.5, 5, 17, 100], np.float32)
    got = sigmoid_float32(x)
    assert got.dtype == np.float32
    assert np.array_equal(got, (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32))
    assert got[2] == 0.5 and got[-1] == 1.0


# ------------------------------------------------------------------------------ single pose


def test_single_pose_argmax_offsets_and_score() -> None:
    h, w = 3, 4
    scores = np.full((h, w, 17), 0.1, np.float32)
    offsets = np.zeros((h, w, 34), np.float32)
    scores[2, 1, 0] = 0.9
    scores[0, 3, 0] = 0.9       # equal, but later in row-major order: the first one wins
    scores[1, 2, 5] = 0.7
    offsets[2, 1, 0] = np.float32(0.1)    # y offset of the nose
    offsets[2, 1, 17] = np.float32(-3.3)  # x offset
    cells = argmax2d(scores)
    assert cells[0].tolist() == [0, 3]  # (0, 3) comes first in row-major order
    scores[0, 3, 0] = 0.1
    pose = decode_single_pose(scores, offsets, 16)
    kp = pose.keypoints
    assert kp.shape == (17, 3)
    assert kp[0, 0] == float(np.float32(32) + np.float32(0.1))   # float32 sum, as the tensor op
    assert kp[0, 1] == float(np.float32(16) + np.float32(-3.3))
    assert kp[0, 2] == float(np.float32(0.9))
    assert kp[5, :2].tolist() == [16.0, 32.0]
    assert kp[1, :2].tolist() == [0.0, 0.0]  # all-equal heatmap: the first cell
    expected = (float(np.float32(0.9)) + float(np.float32(0.7)) + 15 * float(np.float32(0.1))) / 17
    assert pose.score == pytest.approx(expected, abs=1e-15)


# ------------------------------------------------------------------------------- multi pose


def _one_person_maps(h: int = 9, w: int = 9) -> tuple[np.ndarray, ...]:
    scores = np.full((h, w, 17), 0.01, np.float32)
    offsets = np.zeros((h, w, 34), np.float32)
    fwd = np.zeros((h, w, 32), np.float32)
    bwd = np.zeros((h, w, 32), np.float32)
    return scores, offsets, fwd, bwd


def test_multi_pose_follows_displacements_and_offsets() -> None:
    scores, offsets, fwd, bwd = _one_person_maps()
    scores[2, 3, 0] = 0.95        # nose at cell (2, 3) = pixel (32, 48) + offset (1, -2)
    offsets[2, 3, 0] = 1.0
    offsets[2, 3, 17] = -2.0
    # edge 0 nose -> left_eye: forward displacement at the nose's cell, (y +18, x +31)
    fwd[2, 3, 0] = 18.0
    fwd[2, 3, 16] = 31.0
    # displaced point (51, 77) -> nearest cell (3, 5) (51/16 = 3.19, 77/16 = 4.81); its left_eye
    # offset moves it to (3*16 + 0.5, 5*16 - 1) = (48.5, 79); a second refinement stays there.
    offsets[3, 5, 1] = 0.5
    offsets[3, 5, 18] = -1.0
    scores[3, 5, 1] = 0.8
    poses = decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5)
    assert len(poses) == 1
    kp = poses[0].keypoints
    assert kp[0].tolist() == [33.0, 46.0, float(np.float32(0.95))]
    assert kp[1].tolist() == [48.5, 79.0, float(np.float32(0.8))]
    # right_eye: zero displacement from the nose, so the cell near (33, 46) = (2, 3): offset 0
    assert kp[2, :2].tolist() == [32.0, 48.0]
    assert kp[2, 2] == float(np.float32(0.01))


def test_multi_pose_nms_is_inclusive_and_in_input_pixels() -> None:
    scores, offsets, fwd, bwd = _one_person_maps(9, 12)
    scores[2, 2, 0] = 0.9      # nose of a first person at (32, 32)
    scores[2, 4, 0] = 0.8      # a second nose candidate at (32, 64): 32 px away
    one = decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5, nms_radius=32.0)
    assert len(one) == 1        # distance == radius: suppressed (<=)
    two = decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5, nms_radius=31.99)
    assert len(two) == 2
    # zero displacements: each pose's keypoints all sit at its root, 32 px from the other's
    assert two[1].score == pytest.approx((float(np.float32(0.8)) + 16 * float(np.float32(0.01))) / 17)
    assert np.all(two[1].keypoints[:, :2] == [32.0, 64.0])
    assert two[0].score == pytest.approx((float(np.float32(0.9)) + 16 * float(np.float32(0.01))) / 17)
    capped = decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=1, nms_radius=31.99)
    assert len(capped) == 1


def test_multi_poses_come_in_root_order_not_pose_score_order() -> None:
    scores, offsets, fwd, bwd = _one_person_maps(9, 12)
    scores[2, 2, 0] = 0.9         # strongest root, but a lone nose: a low pose score
    scores[2, 4, 0] = 0.8         # weaker root of a person whose other keypoints score 0.7
    scores[2, 4, 1:] = 0.7
    poses = decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5, nms_radius=20.0)
    assert len(poses) == 2  # the 0.7 roots at (2, 4) fall within the radius of the second pose
    assert poses[0].keypoints[0, :2].tolist() == [32.0, 32.0]
    assert poses[0].score == pytest.approx((float(np.float32(0.9)) + 16 * float(np.float32(0.01))) / 17)
    assert poses[1].score == pytest.approx((float(np.float32(0.8)) + 16 * float(np.float32(0.7))) / 17)
    assert poses[0].score < poses[1].score  # no sorting by pose score, as the reference


def test_multi_pose_nothing_above_the_threshold() -> None:
    scores, offsets, fwd, bwd = _one_person_maps()
    assert decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5) == []
    assert len(decode_multiple_poses(scores, offsets, fwd, bwd, 16, max_poses=5, score_threshold=0.0)) == 5


def test_instance_score_and_nms_helpers() -> None:
    a = np.zeros((17, 3))
    a[:, 2] = 1.0
    b = a.copy()
    b[:, 1] = 10.0     # every keypoint 10 px to the right of a's
    b[3, 1] = 30.0
    assert within_nms_radius([a], 100.0, 0.0, 10.0, 4)
    assert not within_nms_radius([a], 99.99, 0.0, 10.0, 4)
    assert instance_score([a], 100.0, b) == pytest.approx(1 / 17)  # only keypoint 3 is unclaimed
    assert instance_score([], 100.0, b) == pytest.approx(1.0)


# ------------------------------------------------------------------ back to the image, letterbox


def test_scaling_undoes_the_spec_letterbox_example() -> None:
    # spec 13: 1000x667 into 385x385, padding top = bottom = 0.1665
    pad = Padding(top=0.1665, bottom=0.1665)
    kp = np.zeros((17, 3))
    kp[0] = [0.1665 * 385, 0.0, 0.5]          # top-left corner of the image content
    kp[1] = [385 - 0.1665 * 385, 385.0, 0.5]  # bottom-right
    pose = to_image_pose(InputPose(kp, 0.25), (1000, 667), (385, 385), pad)
    assert pose.keypoints[0].x == 0 and pose.keypoints[0].y == pytest.approx(0, abs=1e-9)
    assert pose.keypoints[1].x == pytest.approx(1000) and pose.keypoints[1].y == pytest.approx(667)
    assert pose.score == 0.25 and pose.box is None and pose.id is None
    assert [k.name for k in pose.keypoints] == list(KEYPOINT_NAMES)
    flipped = to_image_pose(InputPose(kp, 0.25), (1000, 667), (385, 385), pad, flip_horizontal=True)
    assert flipped.keypoints[1].x == pytest.approx(999 - 1000)  # W - 1 - x, the reference's mirror
    assert flipped.keypoints[0].x == 999


def test_letterbox_replicates_the_border() -> None:
    # a 2-row-high image letterboxed into a square: the padding rows copy the edge rows
    img = np.zeros((20, 40, 3), np.uint8)
    img[0] = 255
    img[-1] = 51
    x, pad = letterbox(img, (33, 33))
    assert x.shape == (1, 33, 33, 3) and x.dtype == np.float32
    assert pad.top == pytest.approx(0.25) and pad.left == 0
    def shifted(v: int) -> np.float32:
        return np.float32(v) * np.float32(2 / 255) - np.float32(1)

    assert np.all(x[0, 0] == shifted(255))   # above the image: the first row, not black
    assert np.all(x[0, -1] == shifted(51))   # below: the last row
    assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize(("shape", "resolution"), [
    ((480, 640), (257, 257)), ((640, 480), (257, 257)), ((512, 512), (257, 257)), ((667, 1000), (385, 385)),
    ((861, 1049), (289, 193)), ((100, 37), (193, 289)), ((1, 1), (17, 17)), ((1, 300), (33, 33)),
    ((300, 1), (33, 17)), ((7, 5), (513, 513)), ((257, 257), (257, 257)),
])
def test_fast_letterbox_is_bit_identical_to_the_general_kernel(shape: tuple[int, int],
                                                                resolution: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    img = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    fast, pad = letterbox(img, resolution)
    ref, ref_pad = letterbox_reference(img, resolution)
    assert pad == ref_pad
    assert fast.shape == ref.shape == (1, resolution[1], resolution[0], 3) and fast.dtype == np.float32
    assert fast.tobytes() == ref.tobytes()


# -------------------------------------------------------------------- the oracle's raw maps


def _raw() -> tuple[PoseNetMaps, dict[str, object]]:
    data = np.load(RAW)
    outputs = [data[f"{n}_0"] for n in NAMES]
    return PoseNetMaps.from_outputs(outputs, output_indices(NAMES)), {
        "case": str(data["cases"][0]), "poses": json.loads(str(data["poses"][0]))}


def _close(pose: InputPose | object, ref: dict[str, object], size: tuple[int, int], pad: Padding) -> None:
    assert isinstance(pose, InputPose)
    got = to_image_pose(pose, size, (257, 257), pad)
    exp = np.array(ref["keypoints"])  # type: ignore[arg-type]
    ours = np.array([[k.x, k.y, k.score] for k in got.keypoints])
    assert np.abs(ours[:, :2] - exp[:, :2]).max() <= 1.5e-3
    assert np.abs(ours[:, 2] - exp[:, 2]).max() <= 1e-5 + 1e-6
    assert got.score == pytest.approx(ref["score"], abs=1e-5 + 1e-6)


# tfjs_three_people.jpg is 1049x861: letterboxed with top = bottom padding
_THREE_PEOPLE = (1049, 861)
_THREE_PAD = Padding(top=(1 - 861 / 1049) / 2, bottom=(1 - 861 / 1049) / 2)


def test_single_pose_decoding_of_the_oracles_maps() -> None:
    maps, ref = _raw()
    pose = decode_single_pose(maps.heatmap_scores, maps.offsets, 16)
    _close(pose, ref["poses"][0], _THREE_PEOPLE, _THREE_PAD)  # type: ignore[index]


def test_multi_pose_decoding_of_the_oracles_maps() -> None:
    maps, ref = _raw()
    doc = json.loads((FIXTURES / "oracle" / "posenet_multi.json").read_text())
    frame = next(f for f in doc["frames"] if f["case"] == ref["case"])
    poses = decode_multiple_poses(maps.heatmap_scores, maps.offsets, maps.displacements_fwd,
                                  maps.displacements_bwd, 16, max_poses=5)
    assert len(poses) == len(frame["poses"]) == 4  # the oracle README: three people and a duplicate
    for pose, ref_pose in zip(poses, frame["poses"], strict=True):
        _close(pose, ref_pose, _THREE_PEOPLE, _THREE_PAD)
