"""Crop-region maths and crop-and-resize (``pose-detection/src/movenet/detector.ts``)."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

from movenet.families.movenet.crop_region import (
    CropRegion,
    CropRegionFilter,
    crop_to_image,
    determine_next_crop_region,
    init_crop_region,
    torso_visible,
)
from movenet.ops.crop_and_resize import crop_and_resize
from movenet.types import KEYPOINT_INDEX

LS, RS = KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"]
LH, RH = KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]
NOSE = KEYPOINT_INDEX["nose"]


def region_tuple(r: CropRegion) -> tuple[float, ...]:
    return (r.y_min, r.x_min, r.y_max, r.x_max, r.height, r.width)


# ---------------------------------------------------------------------------------------------
# 2.6 init crop
# ---------------------------------------------------------------------------------------------


def test_init_crop_spec_examples_640x480() -> None:
    first = init_crop_region(True, 480, 640)
    assert region_tuple(first) == (0.0, 0.125, 1.0, 0.875, 1.0, 0.75)
    fb = init_crop_region(False, 480, 640)
    assert region_tuple(fb) == pytest.approx((-1 / 6, 0.0, 7 / 6, 1.0, 4 / 3, 1.0), abs=1e-12)
    assert fb.y_min == (240 - 320) / 480
    assert fb.height == 640 / 480  # the stored box size, not y_max - y_min


def test_init_crop_portrait_and_square() -> None:
    first = init_crop_region(True, 640, 480)  # portrait: W <= H
    assert region_tuple(first) == (0.125, 0.0, 0.875, 1.0, 0.75, 1.0)
    fb = init_crop_region(False, 640, 480)
    assert region_tuple(fb) == pytest.approx((0.0, -1 / 6, 1.0, 7 / 6, 1.0, 4 / 3), abs=1e-12)
    for first_frame in (True, False):
        assert region_tuple(init_crop_region(first_frame, 576, 576)) == (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)


def test_crop_region_height_width() -> None:
    r = CropRegion(0.1, 0.2, 0.7, 0.5)
    assert r.height == 0.7 - 0.1
    assert r.width == 0.5 - 0.2
    assert r.as_box() == (0.1, 0.2, 0.7, 0.5)


# ---------------------------------------------------------------------------------------------
# 2.7 torso, 2.8 next crop
# ---------------------------------------------------------------------------------------------


def make_keypoints(score: float = 0.9) -> np.ndarray:
    """A pose in a 480x640 image: hips at (0.5, 0.5), shoulders at y = 0.3, x = 0.45/0.55, every
    other keypoint at the hip centre, nose at y = 0.2."""
    kp = np.zeros((17, 3))
    kp[:, 0] = 0.5
    kp[:, 1] = 0.5
    kp[:, 2] = score
    kp[LS] = (0.3, 0.45, score)
    kp[RS] = (0.3, 0.55, score)
    kp[NOSE] = (0.2, 0.5, score)
    return kp


def test_torso_visible_is_strict() -> None:
    kp = make_keypoints()
    assert torso_visible(kp)
    kp[[LS, RS], 2] = 0.2
    assert not torso_visible(kp)
    kp[RS, 2] = 0.2000001
    assert torso_visible(kp)
    kp[[LH, RH], 2] = 0.2
    assert not torso_visible(kp)
    kp[LH, 2] = 0.21
    assert torso_visible(kp)


def test_next_crop_hand_computed_square() -> None:
    # Pixels (480x640): centre (240, 320); torso y range 96, x range 32; body y range 144
    # (nose). half = max(1.9*32, 1.9*96, 1.2*144, 1.2*32) = 182.4.
    r = determine_next_crop_region(make_keypoints(), 480, 640)
    half = 0.3 * 480 - 240
    half = max(1.9 * 32, 1.9 * abs(half), 1.2 * 144, 1.2 * 32)
    assert half == pytest.approx(182.4)
    assert r.y_min == (240 - half) / 480
    assert r.x_min == (320 - half) / 640
    assert r.y_max == ((240 - half) + half * 2) / 480
    assert r.x_max == ((320 - half) + half * 2) / 640
    assert region_tuple(r) == pytest.approx((0.12, 0.215, 0.88, 0.785, 0.76, 0.57))
    assert r.height == r.y_max - r.y_min and r.width == r.x_max - r.x_min


def test_next_crop_torso_invisible_gives_fallback() -> None:
    kp = make_keypoints()
    kp[[LS, RS], 2] = 0.1
    assert region_tuple(determine_next_crop_region(kp, 480, 640)) == region_tuple(init_crop_region(False, 480, 640))


def test_next_crop_centre_is_hip_midpoint_whatever_scores() -> None:
    kp = make_keypoints()
    kp[LH] = (0.6, 0.4, 0.01)  # low score, still used for the centre and the torso range
    kp[RH] = (0.4, 0.6, 0.9)
    r = determine_next_crop_region(kp, 480, 640)
    assert (r.y_min + r.y_max) / 2 == pytest.approx(0.5)
    assert (r.x_min + r.x_max) / 2 == pytest.approx(0.5)


def test_next_crop_body_range_skips_scores_below_0_2() -> None:
    kp = make_keypoints()
    kp[KEYPOINT_INDEX["left_ankle"]] = (0.95, 0.5, 0.19999)  # ignored
    base = determine_next_crop_region(kp, 480, 640)
    assert region_tuple(base) == region_tuple(determine_next_crop_region(make_keypoints(), 480, 640))
    kp[KEYPOINT_INDEX["left_ankle"], 2] = 0.2  # exactly 0.2 counts
    r = determine_next_crop_region(kp, 480, 640)
    half = 1.2 * (0.95 * 480 - 240)
    assert r.y_min == pytest.approx((240 - half) / 480)


def test_next_crop_clamp() -> None:
    # Centre at the image centre and a huge body range: half is clamped to
    # max(cx, W - cx, cy, H - cy) = 320, which is not > max(W, H)/2, so the square is kept.
    kp = make_keypoints()
    kp[NOSE] = (-2.0, 0.5, 0.9)
    r = determine_next_crop_region(kp, 480, 640)
    assert region_tuple(r) == pytest.approx((-80 / 480, 0.0, 560 / 480, 1.0, 640 / 480, 1.0))
    assert r.box_height is None  # not the init_crop_region object


def test_next_crop_too_big_gives_fallback() -> None:
    kp = make_keypoints()
    kp[:, 1] -= 0.1875  # centre x = 200 px: clamp = max(200, 440, 240, 240) = 440 > 320
    kp[NOSE] = (-2.0, 0.3125, 0.9)
    r = determine_next_crop_region(kp, 480, 640)
    assert region_tuple(r) == region_tuple(init_crop_region(False, 480, 640))


def test_next_crop_rejects_bad_shape() -> None:
    with pytest.raises(ValueError):
        determine_next_crop_region(np.zeros((17, 2)), 480, 640)


# ---------------------------------------------------------------------------------------------
# 2.9 crop smoothing, step 8 mapping
# ---------------------------------------------------------------------------------------------


def test_crop_region_filter() -> None:
    f = CropRegionFilter()
    a = init_crop_region(False, 480, 640)
    out = f.apply(a)
    assert (out.y_min, out.x_min, out.y_max, out.x_max) == (a.y_min, a.x_min, a.y_max, a.x_max)
    assert out.height == a.y_max - a.y_min  # recomputed
    b = CropRegion(0.1, 0.2, 0.7, 0.8)
    out2 = f.apply(b)
    assert out2.y_min == a.y_min + 0.9 * (0.1 - a.y_min)
    assert out2.x_max == a.x_max + 0.9 * (0.8 - a.x_max)
    assert out2.height == out2.y_max - out2.y_min
    assert out2.width == out2.x_max - out2.x_min
    f.reset()
    assert f.apply(b) == b


def test_crop_to_image() -> None:
    region = init_crop_region(True, 480, 640)
    kp = np.array([[0.5, 0.25, 0.7], [0.0, 1.0, 0.1]], dtype=np.float32)
    out = crop_to_image(kp, region)
    assert out.dtype == np.float64
    assert out[0, 0] == 0.0 + float(np.float32(0.5)) * 1.0
    assert out[0, 1] == 0.125 + 0.25 * 0.75
    assert out[1, 1] == 0.125 + 1.0 * 0.75
    assert out[0, 2] == np.float32(0.7)  # extra columns untouched
    assert kp[0, 1] == np.float32(0.25)  # input not modified


# ---------------------------------------------------------------------------------------------
# 2.4 crop-and-resize
# ---------------------------------------------------------------------------------------------


def reference_crop_and_resize_f64(image: np.ndarray, box: tuple[float, ...], size: int) -> np.ndarray:
    """A straightforward per-pixel float64 implementation of TF's formula (``tf.image.cropAndResize``)."""
    h, w, c = image.shape
    y1, x1, y2, x2 = box
    out = np.zeros((size, size, c))
    img = image.astype(np.float64)
    for i in range(size):
        in_y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (size - 1) if size > 1 else 0.5 * (y1 + y2) * (h - 1)
        if in_y < 0 or in_y > h - 1:
            continue
        top, bottom = math.floor(in_y), math.ceil(in_y)
        y_lerp = in_y - top
        for j in range(size):
            in_x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (size - 1) if size > 1 else 0.5 * (x1 + x2) * (w - 1)
            if in_x < 0 or in_x > w - 1:
                continue
            left, right = math.floor(in_x), math.ceil(in_x)
            x_lerp = in_x - left
            t = img[top, left] + (img[top, right] - img[top, left]) * x_lerp
            b = img[bottom, left] + (img[bottom, right] - img[bottom, left]) * x_lerp
            out[i, j] = t + (b - t) * y_lerp
    return np.trunc(out).astype(np.int32)


@pytest.fixture(scope="module")
def random_image() -> np.ndarray:
    return np.random.default_rng(1234).integers(0, 256, (90, 120, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "box,size",
    [
        ((0.1, 0.15, 0.8, 0.9), 48),
        ((0.23, 0.31, 0.77, 0.66), 64),
        ((0.05, 0.05, 0.95, 0.95), 37),
        ((0.4, 0.4, 0.41, 0.42), 16),  # strong upsampling
        ((0.2, 0.3, 0.6, 0.7), 1),
    ],
)
def test_crop_and_resize_matches_float64_reference_inside(
    random_image: np.ndarray, box: tuple[float, float, float, float], size: int
) -> None:
    got = crop_and_resize(random_image, box, size)
    want = reference_crop_and_resize_f64(random_image, box, size)
    assert got.dtype == np.int32 and got.shape == (size, size, 3)
    diff = np.abs(got.astype(np.int64) - want)
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.02  # only rounding near integers differs


def test_crop_and_resize_partly_outside_gives_zeros(random_image: np.ndarray) -> None:
    box = (-0.3, 0.55, 0.9, 1.4)
    got = crop_and_resize(random_image, box, 50)
    want = reference_crop_and_resize_f64(random_image, box, 50)
    assert np.abs(got.astype(np.int64) - want).max() <= 1
    h, w = random_image.shape[:2]
    in_y = np.array([box[0] * (h - 1) + i * (box[2] - box[0]) * (h - 1) / 49 for i in range(50)])
    in_x = np.array([box[1] * (w - 1) + j * (box[3] - box[1]) * (w - 1) / 49 for j in range(50)])
    outside_rows = (in_y < -1e-3) | (in_y > h - 1 + 1e-3)
    outside_cols = (in_x < -1e-3) | (in_x > w - 1 + 1e-3)
    assert outside_rows.any() and outside_cols.any()
    assert (got[outside_rows] == 0).all()
    assert (got[:, outside_cols] == 0).all()
    inside = ~outside_rows[:, None] & ~outside_cols[None, :]
    assert (got[inside] > 0).mean() > 0.9


def test_crop_and_resize_far_outside_and_fallback_crop(random_image: np.ndarray) -> None:
    assert (crop_and_resize(random_image, (-3.0, -3.0, -2.0, -2.0), 32) == 0).all()
    assert (crop_and_resize(random_image, (1.5, 0.0, 2.5, 1.0), 32) == 0).all()
    h, w = random_image.shape[:2]
    fb = init_crop_region(False, h, w)  # negative y_min: padded rows are zeros
    got = crop_and_resize(random_image, fb, 64)
    assert fb.y_min < 0
    assert (got[:7] == 0).all() and (got[-7:] == 0).all()
    assert (got[20:44] > 0).mean() > 0.9


def test_crop_and_resize_identity_and_out_buffer() -> None:
    img = np.random.default_rng(5).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buf = np.full((64, 64, 3), -1, dtype=np.int32)
    got = crop_and_resize(img, init_crop_region(True, 64, 64), 64, out=buf)
    assert got is buf
    assert (got == img).all()
    # A partly-outside box must also overwrite the whole buffer (zeros included).
    got2 = crop_and_resize(img, (-0.5, -0.5, 0.5, 0.5), 64, out=buf)
    assert got2 is buf and (buf[:30] == 0).all() and (buf[:, :30] == 0).all()
    with pytest.raises(ValueError):
        crop_and_resize(img, (0, 0, 1, 1), 64, out=np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError):
        crop_and_resize(img, (0, 0, 1, 1), 32, out=buf)


def test_lightning_first_frame_640x480_bottom_row_is_extrapolated() -> None:
    """wasm quirk: in float32, 191 * ((1 - 0) * 479 / 191) rounds above 479, so the last row of
    the 192x192 first-frame crop of a 640x480 image is the extrapolation value 0 (the float64
    formula gives exactly 479 and a real row)."""
    scale = np.float32(1) * np.float32(479) / np.float32(191)
    assert np.float32(191) * scale > np.float32(479)
    img = np.full((480, 640, 3), 200, dtype=np.uint8)
    got = crop_and_resize(img, init_crop_region(True, 480, 640), 192)
    assert (got[191] == 0).all()
    assert (got[:191] == 200).all()
    assert (crop_and_resize(img, init_crop_region(True, 480, 640), 256) == 200).all()


def formula_image(h: int, w: int) -> np.ndarray:
    """A deterministic, irregular uint8 test image (no RNG)."""
    i = np.arange(h, dtype=np.uint64)[:, None, None]
    j = np.arange(w, dtype=np.uint64)[None, :, None]
    c = np.arange(3, dtype=np.uint64)[None, None, :]
    v = i * np.uint64(2654435761) + j * np.uint64(40503) + c * np.uint64(97) + i * j * np.uint64(31)
    return ((v >> np.uint64(7)) & np.uint64(255)).astype(np.uint8)


# sha256 of the little-endian int32 output of
#   tf.cast(tf.image.cropAndResize(img[None], [box], [0], [S, S], 'bilinear', 0), 'int32')
# on the TF.js wasm backend (tfjs-backend-wasm 4.22.0, Node 20, SIMD and non-SIMD builds give the
# same bytes), boxes given as JS doubles, produced with the repository's tfjs-oracle install.
WASM_GOLDEN = [
    ("first192", (480, 640), None, 192, "8d95ebad46c4ac02151e6588989a2a23d5617fc97d492f086d23a20d443435af"),
    ("first256", (480, 640), None, 256, "6b1e6df41c8c5ca937dc1092404651755c04fe3bd7374a6e20d4b380466c23e8"),
    ("fallback192", (480, 640), None, 192, "15d68761e0ca6cf79b4edbe5de5339eb27c11f52b5e96bc134d4e57f9e778576"),
    (
        "inside256",
        (480, 640),
        (0.1234567, 0.2345678, 0.7654321, 0.6543219),
        256,
        "70a90183a9c2988936e056c285124fe767605cc741b02eb75d5bddb050d1a826",
    ),
    (
        "partial192",
        (480, 640),
        (-0.2, 0.55, 0.9, 1.35),
        192,
        "f5471823efa4e3f3a539d3217618d779836670872befc6867e1ba53b12707429",
    ),
    (
        "odd256",
        (721, 1283),
        (0.0371, 0.3333333333, 0.9629, 0.8123456789),
        256,
        "d74122947abf859a6454a024cd508522c65e130dcbb734feb8f3f3cb04368ac4",
    ),
    # The kernel's memcpy shortcut: crop width == 1 + box width in pixels and integral
    # "lerp factors": rows are copied from column 0, ignoring x_min (a wasm bug, mirrored).
    (
        "memcpy192",
        (192, 400),
        (0.0, 0.002506265649572015, 1.0, 0.48120298981666565),
        192,
        "d9d9ac86f34c6fe8220bf03c65e82ab7ece1abdd47198a7dc7542f044d9051cf",
    ),
    ("size1", (480, 640), (0.1, 0.2, 0.7, 0.9), 1, "0bdf0e77fff567c8607ee42e16718a41510b630f3d498de6bd53a6115f06a7a9"),
    (
        "flip64",
        (480, 640),
        (0.8, 0.7, 0.2, 0.1),
        64,
        "453c8830d71da80bda22840b959f5656be37e4f20d8b2e4258491767cef1a79b",
    ),
]


@pytest.mark.parametrize("name,hw,box,size,digest", WASM_GOLDEN, ids=[g[0] for g in WASM_GOLDEN])
def test_crop_and_resize_wasm_golden(
    name: str, hw: tuple[int, int], box: tuple[float, float, float, float] | None, size: int, digest: str
) -> None:
    img = formula_image(*hw)
    if box is None:
        region = init_crop_region(name.startswith("first"), *hw)
        got = crop_and_resize(img, region, size)
    else:
        got = crop_and_resize(img, box, size)
    assert hashlib.sha256(got.astype("<i4").tobytes()).hexdigest() == digest


def test_crop_and_resize_wasm_golden_huge_image_float_index() -> None:
    """Images with more than 2**24 values: the kernel's flat index is computed in float32 and
    rounds, reading neighbouring values; mirrored (golden from the wasm backend)."""
    img = formula_image(3000, 2000)
    box = (0.6437738983908818, 0.4866719286252806, 1.3929050397722298, 1.2088836053183145)
    got = crop_and_resize(img, box, 192)
    digest = "bf4c950d55d3d9dcf8bbe5f91f83a35282bcd3adbf23616b2db203c355780458"
    assert hashlib.sha256(got.astype("<i4").tobytes()).hexdigest() == digest
