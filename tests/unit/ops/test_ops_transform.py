"""movenet.ops.image_transform (the TF.js Transform kernel) and the image-to-tensor calculator.

Checked three ways: hand-computed samples of the kernel's arithmetic; the upstream
``convert_image_to_tensor_test.ts`` goldens; and bit-exactness against the oracle's model inputs
(sha256 of the float32 tensors the TF.js wasm and cpu backends fed to the BlazePose networks,
recorded by scripts/make_blazepose_fixtures.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import time

import numpy as np
import pytest

from movenet.calculators.image_to_tensor import convert_image_to_tensor, shift_image_value
from movenet.calculators.rects import Rect
from movenet.families.blazepose.detection import detector_input
from movenet.families.blazepose.landmarks import landmark_input
from movenet.ops.transform import image_transform

from conftest import FIXTURES, SHARED_DATA
from transforms import case_image, load_rgb, rgb_sha256

ORACLE = FIXTURES / "oracle"
IDENTITY = (1, 0, 0, 0, 1, 0, 0, 0)


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.float32).tobytes()).hexdigest()


def _ramp(h: int = 4, w: int = 5, c: int = 2) -> np.ndarray:
    return np.arange(h * w * c, dtype=np.float32).reshape(h, w, c)


# ----------------------------------------------------------------------------- the kernel


@pytest.mark.parametrize("kernel", ["wasm", "cpu"])
def test_identity_and_integer_shift(kernel: str) -> None:
    img = _ramp()
    assert np.array_equal(image_transform(img, IDENTITY, kernel=kernel), img)
    # in_x = x + 1: column x reads column x + 1; the last column reads outside -> fill.
    out = image_transform(img, (1, 0, 1, 0, 1, 0, 0, 0), kernel=kernel, fill_value=-7)
    assert np.array_equal(out[:, :-1], img[:, 1:])
    assert np.all(out[:, -1] == -7)


@pytest.mark.parametrize("kernel", ["wasm", "cpu"])
def test_bilinear_blends_with_the_fill_value_within_one_pixel(kernel: str) -> None:
    img = np.full((3, 3, 1), 100, np.float32)
    # in_x = x - 0.25: column 0 samples between the fill (x0 = -1, weight 0.25) and pixel 0.
    out = image_transform(img, (1, 0, -0.25, 0, 1, 0, 0, 0), kernel=kernel)[..., 0]
    assert np.allclose(out[:, 0], 75.0) and np.allclose(out[:, 1:], 100.0)
    # "nearest" fill clamps the coordinate first: no blending, the edge is replicated.
    out = image_transform(img, (1, 0, -0.25, 0, 1, 0, 0, 0), fill_mode="nearest", kernel=kernel)[..., 0]
    assert np.all(out == 100.0)


@pytest.mark.parametrize("kernel", ["wasm", "cpu"])
def test_no_half_pixel_term_and_output_size(kernel: str) -> None:
    img = _ramp(4, 4, 1)
    # Downscale 2x: output index x samples input 2x exactly (no (x + 0.5) * 2 - 0.5 term).
    out = image_transform(img, (2, 0, 0, 0, 2, 0, 0, 0), (2, 2), kernel=kernel)
    assert np.array_equal(out[..., 0], img[::2, ::2, 0])
    # Larger output than input, batch dimension kept.
    out = image_transform(img[None], IDENTITY, (6, 7), kernel=kernel)
    assert out.shape == (1, 6, 7, 1)
    assert np.array_equal(out[0, :4, :4], img) and np.all(out[0, 4:] == 0) and np.all(out[0, :, 4:] == 0)


def test_nearest_interpolation_rounds_halves_like_each_backend() -> None:
    img = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    # in_x = x - 1.5: -1.5, -0.5, 0.5, 1.5, 2.5. C round (wasm) takes halves away from zero:
    # -2, -1 (both outside: fill), 1, 2, 3; Math.round (cpu) takes them up: -1 (fill), 0, 1, 2, 3.
    t = (1, 0, -1.5, 0, 1, 0, 0, 0)
    wasm = image_transform(img, t, interpolation="nearest", kernel="wasm", fill_value=-1)[0, :, 0]
    cpu = image_transform(img, t, interpolation="nearest", kernel="cpu", fill_value=-1)[0, :, 0]
    assert wasm.tolist() == [-1, -1, 1, 2, 3]
    assert cpu.tolist() == [-1, 0, 1, 2, 3]


def test_wasm_kernel_rounds_every_step_to_float32() -> None:
    # A fractional scale where float32 and float64 coordinates differ: the two kernels must differ
    # somewhere, and the wasm one must equal a scalar float32 evaluation of Transform.cc.
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 41, 3)).astype(np.float32)
    t = np.array([1.3172, 0.2112, -3.731, -0.1913, 1.4123, 2.377, 0, 0], np.float32)
    wasm = image_transform(img, t, (29, 31), kernel="wasm")
    cpu = image_transform(img, t, (29, 31), kernel="cpu")
    assert not np.array_equal(wasm, cpu)
    assert np.abs(wasm - cpu).max() < 0.01  # float32 coordinates: a few 1e-5 px off
    f = np.float32

    def read(r: int, c: int, ch: int) -> np.float32:
        return img[r, c, ch] if 0 <= r < 37 and 0 <= c < 41 else f(0)

    for y, x in [(0, 0), (5, 17), (28, 30), (13, 2)]:
        in_x = ((t[0] * f(x) + t[1] * f(y)) + t[2]) / f(1)
        in_y = ((t[3] * f(x) + t[4] * f(y)) + t[5]) / f(1)
        x0, y0 = np.floor(in_x), np.floor(in_y)
        x1, y1 = x0 + f(1), y0 + f(1)
        for ch in range(3):
            top = (x1 - in_x) * read(int(y0), int(x0), ch) + (in_x - x0) * read(int(y0), int(x1), ch)
            bottom = (x1 - in_x) * read(int(y1), int(x0), ch) + (in_x - x0) * read(int(y1), int(x1), ch)
            assert wasm[y, x, ch] == (y1 - in_y) * top + (in_y - y0) * bottom


def test_bad_arguments_raise_clear_errors() -> None:
    img = _ramp()
    with pytest.raises(ValueError, match="interpolation"):
        image_transform(img, IDENTITY, interpolation="bicubic")
    with pytest.raises(ValueError, match="fill_mode"):
        image_transform(img, IDENTITY, fill_mode="wrap")
    with pytest.raises(ValueError, match="8 values"):
        image_transform(img, (1, 0, 0))
    with pytest.raises(ValueError, match="batch of one"):
        image_transform(np.zeros((2, 3, 3, 1)), IDENTITY)
    with pytest.raises(ValueError, match="kernel"):
        image_transform(img, IDENTITY, kernel="webgl")
    with pytest.raises(ValueError, match="threads"):
        image_transform(img, IDENTITY, threads=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_warps_on_threads_of_its_own() -> None:
    """A process forked after a multi-threaded warp (multiprocessing's default on Linux) gets its
    own pool: the parent's threads do not exist there, and waiting for them would hang."""
    image = np.arange(240 * 320 * 3, dtype=np.uint8).reshape(240, 320, 3)
    transform = (0.9, 0.1, 3.0, -0.1, 0.9, 2.0, 0, 0)
    expected = image_transform(image, transform, (256, 256), threads=2)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one warp, its result's digest to the parent, then out at once
        try:
            os.write(write, _sha(image_transform(image, transform, (256, 256), threads=2)).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's warp hung")
        time.sleep(0.05)
    with os.fdopen(read) as pipe:
        assert pipe.read() == _sha(expected)


def _reference_bilinear(image: np.ndarray, t: tuple[float, ...], out_h: int, out_w: int, fill: float,
                        kernel: str) -> np.ndarray:
    """Transform.cc (wasm: every step in float32) / Transform.ts (cpu: float64), bilinear with a
    constant fill, one pixel and one channel at a time, as the kernels loop."""
    num = np.float32 if kernel == "wasm" else float
    p = [num(np.float32(v)) for v in t]
    height, width, channels = image.shape
    out = np.empty((out_h, out_w, channels), np.float32)

    def read(y: int, x: int, c: int) -> float:
        return image[y, x, c] if 0 <= y < height and 0 <= x < width else fill

    for y in range(out_h):
        for x in range(out_w):
            fx, fy = num(x), num(y)
            proj = (p[6] * fx + p[7] * fy) + num(1)
            for c in range(channels):
                if proj == 0:
                    out[y, x, c] = fill
                    continue
                in_x = ((p[0] * fx + p[1] * fy) + p[2]) / proj
                in_y = ((p[3] * fx + p[4] * fy) + p[5]) / proj
                x0, y0 = math.floor(in_x), math.floor(in_y)
                wx1, wx0 = (num(x0) + num(1)) - in_x, in_x - num(x0)
                wy1, wy0 = (num(y0) + num(1)) - in_y, in_y - num(y0)
                top = wx1 * num(read(y0, x0, c)) + wx0 * num(read(y0, x0 + 1, c))
                bottom = wx1 * num(read(y0 + 1, x0, c)) + wx0 * num(read(y0 + 1, x0 + 1, c))
                out[y, x, c] = top * wy1 + bottom * wy0
    return out


@pytest.mark.parametrize("kernel", ["wasm", "cpu"])
def test_projective_map_with_a_zero_projection_on_four_channels(kernel: str) -> None:
    """Pixel by pixel against the kernels' loops: a 4-channel uint8 image, a projective map whose
    projection is exactly 0 on column 4 (those pixels get the fill value), reads falling outside."""
    image = np.random.default_rng(3).integers(0, 256, (9, 11, 4), dtype=np.uint8)
    t = (0.9, 0.1, 0.5, -0.1, 1.1, 0.3, -0.25, 0.0)
    expected = _reference_bilinear(image, t, 7, 10, 5.0, kernel)
    assert np.all(expected[:, 4] == 5.0)
    for threads in (1, 3):
        got = image_transform(image, t, (7, 10), fill_value=5.0, kernel=kernel, threads=threads)
        assert got.shape == (7, 10, 4) and np.array_equal(got, expected)


@pytest.mark.parametrize("kernel", ["wasm", "cpu"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest"])
def test_threads_give_the_same_values(kernel: str, interpolation: str, fill_mode: str) -> None:
    """The bands of rows computed on several threads: byte for byte the one-thread result
    (rotated and projective maps, partly outside the image, uint8 and float input)."""
    rng = np.random.default_rng(7)
    images = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), rng.normal(size=(97, 61, 1)).astype(np.float32)]
    a = math.radians(23)
    transforms = [(0.9 * math.cos(a), -0.9 * math.sin(a), 40.3, 0.9 * math.sin(a), 0.9 * math.cos(a), -30.7, 0, 0),
                  (1.1, 0.2, -5.0, -0.1, 0.8, 3.0, 1e-3, -2e-3)]
    for image in images:
        for transform in transforms:
            kwargs = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=3.0, kernel=kernel)
            one = image_transform(image, transform, (300, 257), **kwargs)
            for threads in (2, 5, None):
                assert np.array_equal(image_transform(image, transform, (300, 257), threads=threads, **kwargs), one,
                                      equal_nan=True)


def test_value_shift_is_two_float32_operations() -> None:
    v = np.arange(256, dtype=np.float32)
    out = shift_image_value(v, (-1.0, 1.0))
    assert out.dtype == np.float32
    assert np.array_equal(out, (v * np.float32(2 / 255)) + np.float32(-1))
    assert out[0] == -1 and out[255] == np.float32(255) * np.float32(2 / 255) - 1


# --------------------------------------------------------------- upstream calculator goldens

_GOLDEN = SHARED_DATA / "tfjs-models" / "shared"
# (ROI xCenter, yCenter, width, height, rotation), output (width, height), keep aspect, range, golden
_UPSTREAM_CASES = [
    ((0.65, 0.4, 0.5, 0.5, 0.0), (256, 256), True, (0, 1), "medium_sub_rect_keep_aspect"),
    ((0.65, 0.4, 0.5, 0.5, math.pi / 2), (256, 256), True, (0, 1), "medium_sub_rect_keep_aspect_with_rotation"),
    ((0.65, 0.4, 0.5, 0.5, -math.pi / 4), (256, 256), False, (-1, 1), "medium_sub_rect_with_rotation"),
    ((0.5, 0.5, 1.5, 1.1, 0.0), (128, 128), False, (0, 1), "large_sub_rect"),
    ((0.5, 0.5, 1.5, 1.1, 0.0), (128, 128), True, (0, 1), "large_sub_rect_keep_aspect"),
    ((0.5, 0.5, 1.5, 1.1, -math.pi / 12), (128, 128), True, (0, 1), "large_sub_rect_keep_aspect_with_rotation"),
]


@pytest.mark.parametrize("border", ["replicate", "zero"])
@pytest.mark.parametrize("case", _UPSTREAM_CASES, ids=[c[-1] for c in _UPSTREAM_CASES])
def test_convert_image_to_tensor_matches_the_upstream_goldens(case, border: str) -> None:
    """convert_image_to_tensor_test.ts: back to 0..255 (round half to even), within 7 levels."""
    if not _GOLDEN.is_dir():
        pytest.skip(f"{_GOLDEN} is absent")
    rect, size, keep, (lo, hi), golden = case
    image = load_rgb(_GOLDEN / "image_to_tensor_input.jpg")
    assert image.shape == (128, 64, 3)
    name = golden + ("_border_zero" if border == "zero" else "")
    expected = load_rgb(_GOLDEN / f"{name}.png").astype(np.float64)
    t = convert_image_to_tensor(image, size, keep_aspect_ratio=keep, border_mode=border, value_range=(lo, hi),
                                rect=Rect(*rect)).tensor[0]
    got = np.clip(np.round((t.astype(np.float64) - lo) * 255 / (hi - lo)), 0, 255)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 7


def test_whole_image_letterbox_padding() -> None:
    image = np.zeros((667, 1000, 3), np.uint8)  # pose.jpg's size (spec 3.7)
    t = convert_image_to_tensor(image, (224, 224), keep_aspect_ratio=True, border_mode="zero", value_range=(-1, 1))
    assert t.padding.top == t.padding.bottom == 0.16649999999999998
    assert t.padding.left == t.padding.right == 0
    assert t.matrix[0] == (1, 0, 0, 0)
    assert t.matrix[1] == (0, 1.4992503748125936, 0, -0.24962518740629686)
    assert t.tensor.shape == (1, 224, 224, 3) and t.tensor.dtype == np.float32
    assert np.all(t.tensor[0, :30] == -1)  # the letterbox band: zero border shifted to -1


# ------------------------------------------------------------------- bit-exact vs the oracle


def _oracle_fixture(name: str) -> dict:
    path = ORACLE / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (python scripts/make_blazepose_fixtures.py)")
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return json.loads(path.read_text())


def _case_image(case: str) -> np.ndarray:
    return case_image(case, SHARED_DATA)


@pytest.mark.parity
def test_detector_input_is_bit_exact_on_every_still() -> None:
    """The 224x224 letterbox of every still and transformed still equals the TF.js wasm
    backend's detector input tensor byte for byte."""
    doc = _oracle_fixture("blazepose_full_images.json")
    checked = 0
    for frame in doc["frames"]:
        image = _case_image(frame["case"])
        assert rgb_sha256(image) == frame["rgb_sha256"], frame["case"]
        assert _sha(detector_input(image).tensor) == frame["detector_input_sha256"], frame["case"]
        checked += 1
    assert checked == len(doc["frames"]) > 200


@pytest.mark.parity
def test_detector_input_matches_the_cpu_backend_with_the_cpu_kernel() -> None:
    path = ORACLE / "blazepose_masks.npz"
    if not path.is_file() or not SHARED_DATA.is_dir():
        pytest.skip("blazepose_masks.npz or the shared data is absent")
    data = np.load(path)
    for case, sha, cpu_sha in zip(data["cases"], data["rgb_sha256"], data["cpu_detector_input_sha256"], strict=True):
        image = _case_image(str(case))
        assert rgb_sha256(image) == sha
        t = convert_image_to_tensor(image, (224, 224), keep_aspect_ratio=True, border_mode="zero",
                                    value_range=(-1, 1), kernel="cpu")
        assert _sha(t.tensor) == cpu_sha, case


@pytest.mark.parity
def test_rotated_landmark_crop_is_bit_exact_on_the_squat_video() -> None:
    """Frames 1-64 of the squat clip start from the ROI the reference carried over (rotated,
    partly outside the image): our 256x256 crop equals the TF.js landmark input byte for byte."""
    doc = _oracle_fixture("blazepose_sequence_tfjs_squats_full.json")
    from sequences import decode_video

    frames = decode_video(SHARED_DATA / doc["sequence"]["source"])
    checked = 0
    for rec in doc["frames"]:
        roi = rec["roi_before"]
        if roi is None:
            continue
        image = frames[rec["frame"]]
        if rgb_sha256(image) != rec["rgb_sha256"]:
            pytest.skip("this FFmpeg build decodes the clip differently from the fixture's")
        rect = Rect(roi["xCenter"], roi["yCenter"], roi["width"], roi["height"], roi["rotation"])
        threads = 1 + rec["frame"] % 2  # the warp on one thread and on two: the same bytes
        assert _sha(landmark_input(image, rect, threads).tensor) == rec["landmark_input_sha256"], rec["frame"]
        checked += 1
    assert checked == len(doc["frames"]) - 1
