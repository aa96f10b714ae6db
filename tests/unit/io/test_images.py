from __future__ import annotations

import resource
import struct
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import DTypeLike
from PIL import Image, ImageFile

from movenet.errors import ImageError
from movenet.io import images
from movenet.io.images import MAX_PIXELS, image_paths, load_image, max_pixels, save_image

# --- helpers ------------------------------------------------------------------------------------


def _rng_image(h: int = 24, w: int = 32, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, c), dtype=np.uint8)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _huge_png_header(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A PNG that claims width x height (8-bit grey) but holds almost no data: a few hundred bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    )
    return path


def _huge_jpeg_header(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A small real JPEG whose SOF0 header is patched to claim width x height."""
    Image.new("RGB", (16, 16), (10, 20, 30)).save(path, "JPEG")
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    path.write_bytes(bytes(data))
    return path


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# --- files --------------------------------------------------------------------------------------


def test_rgb_png_roundtrip(tmp_path: Path) -> None:
    rgb = _rng_image()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (24, 32, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, rgb)
    np.testing.assert_array_equal(load_image(str(tmp_path / "a.png")), rgb)


def test_grey_png_replicated(tmp_path: Path) -> None:
    grey = _rng_image(c=1)[:, :, 0]
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (24, 32, 3)
    for ch in range(3):
        np.testing.assert_array_equal(out[:, :, ch], grey)


def test_rgba_png_alpha_dropped_without_compositing(tmp_path: Path) -> None:
    rgba = _rng_image(c=4)
    rgba[:, :, 3] = 0  # fully transparent: compositing would change the colours
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), rgba[:, :, :3])


def test_la_png(tmp_path: Path) -> None:
    la = _rng_image(c=2)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    out = load_image(tmp_path / "la.png")
    np.testing.assert_array_equal(out, np.repeat(la[:, :, :1], 3, axis=2))


def test_palette_png_and_gif(tmp_path: Path) -> None:
    pal = Image.new("P", (8, 6))
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (768 - 9))
    idx = np.zeros((6, 8), np.uint8)
    idx[:, 4:] = 2
    pal = Image.fromarray(idx, "P")
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (768 - 9))
    pal.info["transparency"] = 0
    for name in ("p.png", "p.gif"):
        pal.save(tmp_path / name)
        out = load_image(tmp_path / name)
        assert out.shape == (6, 8, 3)
        assert tuple(out[0, 0]) == (255, 0, 0)  # transparent index keeps its colour
        assert tuple(out[0, 7]) == (0, 0, 255)


def test_sixteen_bit_png_uses_high_byte(tmp_path: Path) -> None:
    values = np.array([[0, 0x00FF, 0x0100, 0x1234], [0x7FFF, 0x8000, 0xFF00, 0xFFFF]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    out = load_image(tmp_path / "g16.png")
    np.testing.assert_array_equal(out[:, :, 0], values >> 8)
    np.testing.assert_array_equal(out[:, :, 2], values >> 8)


def test_sixteen_bit_tiff(tmp_path: Path) -> None:
    values = np.array([[0x0102, 0xFEDC]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.tif")
    np.testing.assert_array_equal(load_image(tmp_path / "g16.tif")[:, :, 1], values >> 8)


@pytest.mark.parametrize(
    ("mode", "name"),
    [("1", "b.png"), ("CMYK", "c.jpg"), ("RGB", "x.bmp"), ("RGB", "x.webp"), ("RGBA", "x.tiff"), ("L", "x.jpeg")],
)
def test_other_modes_and_formats(tmp_path: Path, mode: str, name: str) -> None:
    Image.new(mode, (9, 7)).save(tmp_path / name)
    out = load_image(tmp_path / name)
    assert out.shape == (7, 9, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


def test_sixteen_bit_rgb_png_uses_high_byte(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")  # Pillow cannot write 16-bit RGB PNGs
    rgb16 = np.random.default_rng(0).integers(0, 65536, (5, 7, 3), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "rgb16.png"), np.ascontiguousarray(rgb16[:, :, ::-1]))
    np.testing.assert_array_equal(load_image(tmp_path / "rgb16.png"), (rgb16 >> 8).astype(np.uint8))


def test_cv2_frame_with_bgr_order(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    rgb = _rng_image()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    frame = cv2.imread(str(tmp_path / "a.png"))
    np.testing.assert_array_equal(load_image(frame, color_order="bgr"), rgb)


def test_exif_orientation_applied(tmp_path: Path) -> None:
    stored = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 tall: left half red, right half blue
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = 6  # display after rotating 90 degrees clockwise
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(tmp_path / "rot.jpg")
    assert out.shape == (40, 20, 3)  # portrait after rotation
    top, bottom = out[5, 10].astype(int), out[35, 10].astype(int)
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    # A PIL image opened from the file gives the same pixels.
    np.testing.assert_array_equal(load_image(Image.open(tmp_path / "rot.jpg")), out)


def test_truncated_jpeg_raises(tmp_path: Path) -> None:
    Image.fromarray(_rng_image(256, 256)).save(tmp_path / "full.jpg", quality=90)
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "half.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"half\.jpg: .*truncated or corrupt"):
        load_image(tmp_path / "half.jpg")
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


def test_truncated_png_raises(tmp_path: Path) -> None:
    Image.fromarray(_rng_image(128, 128)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "half.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"half\.png: "):
        load_image(tmp_path / "half.png")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"nope\.jpg: file not found"):
        load_image(tmp_path / "nope.jpg")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png: file is empty \(0 bytes\)"):
        load_image(tmp_path / "empty.png")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("hello, not a picture\n")
    with pytest.raises(ImageError, match=r"notes\.jpg: not an image file") as info:
        load_image(tmp_path / "notes.jpg")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("maker", [_huge_png_header, _huge_jpeg_header])
def test_huge_image_refused_before_decoding(tmp_path: Path, maker: Callable[[Path], Path]) -> None:
    path = maker(tmp_path / ("huge.png" if maker is _huge_png_header else "huge.jpg"))
    assert path.stat().st_size < 10_000
    rss_before = _max_rss_mib()
    start = time.perf_counter()
    with pytest.raises(ImageError) as info:
        load_image(path)
    elapsed = time.perf_counter() - start
    message = str(info.value)
    assert path.name in message and "too large" in message
    assert "400,000,000" in message and f"{MAX_PIXELS:,}" in message and "MOVENET_MAX_PIXELS" in message
    assert "\n" not in message
    assert elapsed < 1.0
    assert _max_rss_mib() - rss_before < 100  # nowhere near the 400 MB+ a decode would take


def test_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (16, 16)).save(tmp_path / "small.png")
    monkeypatch.setenv("MOVENET_MAX_PIXELS", "100")
    assert max_pixels() == 100
    with pytest.raises(ImageError, match=r"small\.png: image is too large \(16x16 = 256 pixels; the limit is 100"):
        load_image(tmp_path / "small.png")
    monkeypatch.setenv("MOVENET_MAX_PIXELS", "256")
    assert load_image(tmp_path / "small.png").shape == (16, 16, 3)
    monkeypatch.setenv("MOVENET_MAX_PIXELS", "lots")
    with pytest.raises(ImageError, match="MOVENET_MAX_PIXELS='lots'"):
        load_image(tmp_path / "small.png")
    monkeypatch.delenv("MOVENET_MAX_PIXELS")
    assert max_pixels() == MAX_PIXELS == 178_956_970


def test_limit_above_pillows_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow refuses above 2 * MAX_IMAGE_PIXELS by itself; a larger MOVENET_MAX_PIXELS must win.
    Image.new("RGB", (64, 64)).save(tmp_path / "img.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    with pytest.raises(ImageError, match=r"too large \(4,096 pixels; the limit is 100 pixels"):
        load_image(tmp_path / "img.png")
    monkeypatch.setenv("MOVENET_MAX_PIXELS", "5000")
    assert load_image(tmp_path / "img.png").shape == (64, 64, 3)


def test_module_constant_above_pillows_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (64, 64)).save(tmp_path / "img.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    monkeypatch.setattr(images, "MAX_PIXELS", 5000)
    assert load_image(tmp_path / "img.png").shape == (64, 64, 3)
    monkeypatch.setattr(images, "MAX_PIXELS", 4000)
    with pytest.raises(ImageError, match=r"64x64 = 4,096 pixels; the limit is 4,000 pixels"):
        load_image(tmp_path / "img.png")


def test_decompression_bomb_warning_range_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (10, 10)).save(tmp_path / "img.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60)  # 100 px: Pillow warns, does not refuse
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(tmp_path / "img.png").shape == (10, 10, 3)


# --- arrays -------------------------------------------------------------------------------------


def test_rgb_array_passthrough() -> None:
    rgb = _rng_image()
    out = load_image(rgb)
    np.testing.assert_array_equal(out, rgb)
    assert out.flags.c_contiguous and out.dtype == np.uint8


def test_bgr_equals_rgb() -> None:
    rgb = _rng_image()
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    np.testing.assert_array_equal(load_image(bgr, color_order="bgr"), rgb)
    np.testing.assert_array_equal(load_image(bgr, color_order="BGR"), rgb)
    bgra = np.concatenate([bgr, np.full((24, 32, 1), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(load_image(bgra, color_order="bgr"), rgb)
    grey = rgb[:, :, 0]
    np.testing.assert_array_equal(load_image(grey, color_order="bgr"), load_image(grey))


def test_grey_and_single_channel_arrays() -> None:
    grey = _rng_image(c=1)
    for arr in (grey, grey[:, :, 0]):
        out = load_image(arr)
        assert out.shape == (24, 32, 3) and out.flags.c_contiguous and out.flags.writeable
        for ch in range(3):
            np.testing.assert_array_equal(out[:, :, ch], grey[:, :, 0])


def test_rgba_array_alpha_dropped() -> None:
    rgba = _rng_image(c=4)
    np.testing.assert_array_equal(load_image(rgba), rgba[:, :, :3])


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[:, ::-1],
        lambda a: a[::-1],
        lambda a: a[::2, 1::3],
        lambda a: np.asfortranarray(a),
        lambda a: a.transpose(1, 0, 2),
        lambda a: a[:, :, ::-1],
    ],
)
def test_non_contiguous_arrays(view: Callable[[np.ndarray], np.ndarray]) -> None:
    arr = view(_rng_image())
    out = load_image(arr)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, np.ascontiguousarray(arr))
    out_bgr = load_image(arr, color_order="bgr")
    np.testing.assert_array_equal(out_bgr, np.ascontiguousarray(arr[:, :, ::-1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, np.bool_, object, np.int64, np.int8, np.int32])
def test_wrong_dtype(dtype: DTypeLike) -> None:
    arr = np.zeros((4, 5, 3), dtype=dtype)
    with pytest.raises(ImageError) as info:
        load_image(arr)
    message = str(info.value)
    assert str(np.dtype(dtype)) in message and "uint8" in message and "convert" in message


@pytest.mark.parametrize("shape", [(0, 5, 3), (5, 0, 3), (0, 0), (0, 4), (3, 0, 1), (0, 0, 4)])
def test_empty_arrays(shape: tuple[int, ...]) -> None:
    with pytest.raises(ImageError, match=r"shape \(" + ", ".join(map(str, shape))):
        load_image(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 3), (4, 5, 2), (4, 5, 5), (4, 5, 0), ()])
def test_wrong_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ImageError, match=r"shape \("):
        load_image(np.zeros(shape, np.uint8))


def test_bad_color_order_and_source_type() -> None:
    with pytest.raises(ValueError, match="color_order"):
        load_image(_rng_image(), color_order="rgba")
    with pytest.raises(ImageError, match="list"):
        load_image([[1, 2, 3]])  # type: ignore[arg-type]


def test_pil_image_source() -> None:
    rgba = _rng_image(c=4)
    np.testing.assert_array_equal(load_image(Image.fromarray(rgba, "RGBA")), rgba[:, :, :3])
    np.testing.assert_array_equal(load_image(Image.fromarray(rgba[:, :, 0], "L"))[:, :, 1], rgba[:, :, 0])


# --- image_paths / save_image -------------------------------------------------------------------


def test_image_paths(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("b.PNG", "a.jpg", "C.jpeg", "d.webp", "e.TIFF", "notes.txt", ".hidden.jpg", "x.gif"):
        (folder / name).write_bytes(b"x")
    (folder / "sub.jpg").mkdir()  # a directory with an image-like name is skipped
    single = tmp_path / "z.unknown"
    single.write_bytes(b"x")
    first = tmp_path / "first.png"
    first.write_bytes(b"x")

    got = image_paths([single, str(folder), first])
    assert [p.name for p in got] == [
        "z.unknown",
        "C.jpeg",
        "a.jpg",
        "b.PNG",
        "d.webp",
        "e.TIFF",
        "x.gif",
        "first.png",
    ]
    assert all(isinstance(p, Path) for p in got)
    assert image_paths([]) == []
    with pytest.raises(ImageError, match=r"missing\.jpg: no such file"):
        image_paths([first, tmp_path / "missing.jpg"])


def test_save_image(tmp_path: Path) -> None:
    rgb = _rng_image()
    out = save_image(tmp_path / "deep" / "er" / "x.png", rgb)
    assert out.exists()
    np.testing.assert_array_equal(load_image(out), rgb)
    smooth = np.zeros((32, 32, 3), np.uint8) + np.arange(32, dtype=np.uint8)[None, :, None] * 8
    save_image(tmp_path / "y.JPG", smooth)
    assert Image.open(tmp_path / "y.JPG").format == "JPEG"
    assert np.abs(load_image(tmp_path / "y.JPG").astype(int) - smooth).max() < 12
    with pytest.raises(ImageError, match="use .png"):
        save_image(tmp_path / "z.xyz", rgb)
    with pytest.raises(ImageError, match="dtype float32"):
        save_image(tmp_path / "w.png", rgb.astype(np.float32))


def test_module_constants() -> None:
    assert images.MAX_PIXELS_ENV == "MOVENET_MAX_PIXELS"
    assert ".tif" in images.IMAGE_EXTENSIONS
