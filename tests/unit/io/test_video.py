"""Video sources (files, image directories, cameras) and the H.264 writer."""

from __future__ import annotations

import sys
import types
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from movenet.errors import MovenetError
from movenet.io.video import Frame, VideoError, open_source, read_video
from movenet.io.video_writer import VideoWriter

RECT = (255, 200, 0)  # the moving rectangle's colour: red high, blue low (catches BGR/RGB swaps)
BACKGROUND = (20, 40, 60)


# --- helpers ------------------------------------------------------------------------------------


def _frame_image(k: int, w: int, h: int, noise: np.random.Generator | None = None) -> np.ndarray:
    if noise is not None:
        img = noise.integers(0, 256, (h, w, 3), dtype=np.uint8)
    else:
        img = np.empty((h, w, 3), np.uint8)
        img[:] = BACKGROUND
    x = (k * 2) % (w - 20)
    img[10:30, x : x + 16] = RECT
    return img


def make_video(
    path: Path,
    n: int = 20,
    w: int = 64,
    h: int = 48,
    fps: int | Fraction = 30,
    *,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    faststart: bool = True,
    noise: bool = False,
    rotation: int | None = None,
) -> Path:
    """n frames of a rectangle moving right, written with PyAV (noise makes the file large)."""
    options = {"movflags": "+faststart"} if faststart and path.suffix in (".mp4", ".mov") else {}
    rng = np.random.default_rng(0) if noise else None
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for k in range(n):
            frame = av.VideoFrame.from_ndarray(_frame_image(k, w, h, rng), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def read_all(spec: object, **kwargs: object) -> tuple[list[Frame], VideoError | None]:
    """Every frame a source yields, and the VideoError it ends with (if any)."""
    frames: list[Frame] = []
    with open_source(spec, **kwargs) as source:  # type: ignore[arg-type]
        try:
            for frame in source:
                frames.append(frame)
        except VideoError as exc:
            return frames, exc
    return frames, None


def rect_x(img: np.ndarray) -> int:
    """Left edge of the moving rectangle in a decoded frame (row 20)."""
    row = img[20].astype(int)
    hits = np.flatnonzero((row[:, 0] > 200) & (row[:, 1] > 150) & (row[:, 2] < 80))
    assert hits.size, "rectangle not found"
    return int(hits[0])


@pytest.fixture
def big_mp4(tmp_path: Path) -> Path:
    """60 frames of noise, about 300 KB, index at the front: large enough to cut and damage."""
    return make_video(tmp_path / "big.mp4", n=60, w=128, h=96, noise=True)


# --- video files --------------------------------------------------------------------------------


def test_video_file_frames_sizes_and_timestamps(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.mp4")
    with open_source(path) as source:
        assert (source.width, source.height, source.fps, source.frame_count) == (64, 48, 30.0, 20)
        assert source.name == str(path)
        frames = list(source)
    assert len(frames) == 20
    for k, frame in enumerate(frames):
        assert frame.index == k
        assert frame.source == str(path)
        assert frame.image.shape == (48, 64, 3) and frame.image.dtype == np.uint8
        assert frame.image.flags.c_contiguous
        assert frame.timestamp_ms == pytest.approx(k * 1000 / 30, abs=1e-6)
        assert abs(rect_x(frame.image) - (k * 2) % 44) <= 1
        assert np.abs(frame.image[40, 5].astype(int) - BACKGROUND).max() <= 6


def test_read_video_yields_pairs_and_opens_eagerly(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.mp4", n=5)
    pairs = list(read_video(path))
    assert [round(t, 3) for _, t in pairs] == [0.0, 33.333, 66.667, 100.0, 133.333]
    assert all(img.shape == (48, 64, 3) for img, _ in pairs)
    with pytest.raises(VideoError, match="nope.mp4: no such file"):
        read_video(tmp_path / "nope.mp4")  # raises at the call, not at the first frame


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [("clip.mkv", "libx264", "yuv420p"), ("clip.avi", "mpeg4", "yuv420p"), ("clip.gif", "gif", "rgb8")],
)
def test_other_containers(tmp_path: Path, name: str, codec: str, pix_fmt: str) -> None:
    path = make_video(tmp_path / name, n=12, fps=25 if codec != "gif" else 10, codec=codec, pix_fmt=pix_fmt)
    frames, error = read_all(path)
    assert error is None
    assert len(frames) == 12
    step = 1000 / 25 if codec != "gif" else 100
    assert [f.timestamp_ms for f in frames] == pytest.approx([k * step for k in range(12)], abs=1.0)
    assert all(f.image.flags.c_contiguous and f.image.shape == (48, 64, 3) for f in frames)


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    # -90: shown turned 90 degrees clockwise, as phones store portrait video.
    path = make_video(tmp_path / "portrait.mp4", n=3, rotation=-90)
    frames, error = read_all(path)
    assert error is None
    with open_source(path) as source:
        assert (source.width, source.height) == (48, 64)
    upright = np.rot90(_frame_image(0, 64, 48), -1)
    assert frames[0].image.shape == upright.shape == (64, 48, 3)
    assert np.abs(frames[0].image.astype(int) - upright).mean() < 4


def test_frame_is_frozen(tmp_path: Path) -> None:
    frame = next(iter(open_source(make_video(tmp_path / "clip.mp4", n=2))))
    with pytest.raises(AttributeError):
        frame.index = 5  # type: ignore[misc]


def test_closed_source_refuses_reads(tmp_path: Path) -> None:
    source = open_source(make_video(tmp_path / "clip.mp4", n=3))
    next(source)
    source.close()
    source.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        next(source)


def test_bad_fps_argument(tmp_path: Path) -> None:
    for fps in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fps"):
            open_source(tmp_path, fps=fps)


# --- errors -------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"missing\.mp4: no such file or directory") as info:
        open_source(tmp_path / "missing.mp4")
    assert isinstance(info.value, MovenetError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("notes.mp4", b"this is not a video\n" * 20, "not a video file"),
        ("random.avi", bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)), "not a video"),
        ("empty.mp4", b"", r"file is empty \(0 bytes\)"),
    ],
)
def test_non_video_file(tmp_path: Path, name: str, content: bytes, pattern: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoError, match=pattern) as info:
        open_source(path)
    assert str(info.value).startswith(str(path) + ":")


def test_text_file_is_not_an_ansi_art_video(tmp_path: Path) -> None:
    # FFmpeg's "tty" demuxer would play a .txt file as ANSI art.
    path = tmp_path / "notes.txt"
    path.write_text("".join(f"line {i}: some words of text\n" for i in range(200)))
    with pytest.raises(VideoError, match=r"notes\.txt: not a video file"):
        open_source(path)


def test_audio_only_file(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(800, np.int16).tobytes())
    with pytest.raises(VideoError, match=r"tone\.wav: no video stream \(the file holds audio only\)"):
        open_source(path)


def _expect_frames_then_error(path: Path, total: int) -> tuple[list[Frame], VideoError]:
    frames, error = read_all(path)
    assert error is not None, "damage went unreported"
    assert 0 < len(frames) < total or "damaged frame" in str(error)
    message = str(error)
    assert message.startswith(f"{path}: video is corrupt or truncated after frame ")
    assert "\n" not in message
    n = int(message.split("after frame ")[1].split(":")[0])
    assert 0 <= n <= len(frames)
    # timestamps of what was decoded are still right (Matroska stores whole milliseconds)
    assert [f.timestamp_ms for f in frames[:5]] == pytest.approx([k * 1000 / 30 for k in range(5)], abs=0.5)
    return frames, error


def test_truncated_mp4(tmp_path: Path, big_mp4: Path) -> None:
    data = big_mp4.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    frames, _ = _expect_frames_then_error(cut, 60)
    assert 20 <= len(frames) < 60


def test_truncated_mp4_between_frames(tmp_path: Path, big_mp4: Path) -> None:
    """Cut exactly at a packet boundary: no packet is incomplete, the index shows the loss."""
    with av.open(str(big_mp4)) as container:
        entries = container.streams.video[0].index_entries
        boundary = entries[40].pos
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(big_mp4.read_bytes()[:boundary])
    frames, error = _expect_frames_then_error(cut, 60)
    assert "index points to data up to byte" in str(error)


def test_truncated_mp4_with_index_at_end_cannot_open(tmp_path: Path) -> None:
    src = make_video(tmp_path / "plain.mp4", n=60, w=128, h=96, noise=True, faststart=False)
    cut = tmp_path / "cut.mp4"
    data = src.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(VideoError, match=r"cut\.mp4: not a video file, or one too damaged to open"):
        open_source(cut)


def test_mp4_with_garbage_in_the_middle(tmp_path: Path, big_mp4: Path) -> None:
    data = big_mp4.read_bytes()
    mid = len(data) // 2
    garbage = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(data[:mid] + garbage + data[mid + 4096 :])
    frames, error = _expect_frames_then_error(bad, 60)
    # decoding goes on after the damage: the frames after it are yielded too
    assert len(frames) >= 50
    assert int(str(error).split("after frame ")[1].split(":")[0]) < 45


@pytest.mark.parametrize("name", ["clip.mkv", "clip.webm"])
def test_truncated_matroska(tmp_path: Path, name: str) -> None:
    # Matroska ends silently at a cut; the declared duration shows the loss.
    codec = "libx264" if name.endswith(".mkv") else "libvpx-vp9"
    if codec not in av.codecs_available:
        pytest.skip(f"PyAV's FFmpeg lacks {codec}")
    src = make_video(tmp_path / name, n=40, w=96, h=64, codec=codec, noise=True)
    data = src.read_bytes()
    cut = tmp_path / f"cut{src.suffix}"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    frames, error = _expect_frames_then_error(cut, 40)
    assert "the container declares 1.333 s of video" in str(error)


def test_truncated_avi(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.avi", n=40, w=96, h=64, codec="mpeg4", noise=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    _expect_frames_then_error(cut, 40)


def test_truncated_gif(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.gif", n=20, codec="gif", pix_fmt="rgb8", fps=10, noise=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.gif"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    frames, error = read_all(cut)
    assert 0 < len(frames) < 20
    assert error is not None and str(error).startswith(f"{cut}: video is corrupt or truncated after frame")
    assert "trailer" in str(error)


def test_trimmed_mp4_is_not_reported_as_truncated(tmp_path: Path, big_mp4: Path) -> None:
    """An edit list that hides the first frames leaves fewer frames than the container's sample
    count; that is not damage."""
    trimmed = tmp_path / "trimmed.mp4"
    with av.open(str(big_mp4)) as src, av.open(str(trimmed), "w") as out:
        stream = src.streams.video[0]
        shift = 5 * int(1 / (stream.time_base * 30))  # five frames
        ostream = out.add_stream_from_template(stream)
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = ostream
            out.mux(packet)
    with open_source(trimmed) as source:
        assert source.frame_count == 60  # samples in the file
    frames, error = read_all(trimmed)
    assert error is None
    assert len(frames) == 55


# --- image directories --------------------------------------------------------------------------


def _write_images(folder: Path, names: list[str], w: int = 32, h: int = 24) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        value = int(name.split(".")[0][-2:])  # the number in the name, as the pixel value
        Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(folder / name)


def test_directory_source_order_and_timestamps(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    _write_images(folder, ["f_03.png", "f_01.png", "f_10.png", "f_02.png"])
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden_05.png").write_bytes(b"")
    with open_source(folder, fps=25) as source:
        assert (source.width, source.height, source.fps, source.frame_count) == (32, 24, 25.0, 4)
        frames = list(source)
    assert [Path(f.source).name for f in frames] == ["f_01.png", "f_02.png", "f_03.png", "f_10.png"]
    assert [int(f.image[0, 0, 0]) for f in frames] == [1, 2, 3, 10]
    assert [f.timestamp_ms for f in frames] == [0.0, 40.0, 80.0, 120.0]
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert all(f.image.flags.c_contiguous and f.image.dtype == np.uint8 for f in frames)


def test_directory_source_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoError, match="empty: directory holds no image files"):
        open_source(empty)

    mixed = tmp_path / "mixed"
    _write_images(mixed, ["a_01.png"])
    _write_images(mixed, ["b_02.png"], w=40)
    frames, error = read_all(mixed)  # frames may change size (issue 17 item 3): one sequence
    assert error is None and [f.image.shape[1] for f in frames] == [32, 40]

    broken = tmp_path / "broken"
    _write_images(broken, ["a_01.png"])
    (broken / "b_02.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    frames, error = read_all(broken)
    assert len(frames) == 1 and error is not None and "b_02.png" in str(error)


# --- cameras (a fake OpenCV) --------------------------------------------------------------------


class _FakeCapture:
    frames = 3
    opened = True

    def __init__(self, index: int) -> None:
        self.index = index
        self.read_count = 0
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def get(self, prop: int) -> float:
        return {3: 64.0, 4: 48.0, 5: 0.0}[prop]

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.read_count += 1
        if self.read_count > self.frames:
            return False, None
        bgr = np.zeros((48, 64, 3), np.uint8)
        bgr[..., 0] = 255  # blue in BGR
        return True, bgr

    def release(self) -> None:
        self.released = True


def _fake_cv2() -> types.ModuleType:
    import cv2 as real  # only its constants and cvtColor

    fake = types.ModuleType("cv2")
    fake.VideoCapture = _FakeCapture  # type: ignore[attr-defined]
    for name in ("CAP_PROP_FRAME_WIDTH", "CAP_PROP_FRAME_HEIGHT", "CAP_PROP_FPS", "COLOR_BGR2RGB",
                 "COLOR_BGRA2RGB", "COLOR_GRAY2RGB", "cvtColor"):  # fmt: skip
        setattr(fake, name, getattr(real, name))
    return fake


def test_camera_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    monkeypatch.setitem(sys.modules, "cv2", _fake_cv2())
    monkeypatch.chdir(tmp_path)
    source = open_source("0", fps=15)
    assert (source.name, source.width, source.height, source.fps, source.frame_count) == (
        "camera 0", 64, 48, 15.0, None
    )
    frames: list[Frame] = []
    with pytest.raises(VideoError, match="camera 0: the camera stopped delivering frames after frame 3"):
        for frame in source:
            frames.append(frame)
    assert len(frames) == 3
    assert frames[0].timestamp_ms == 0.0
    assert frames[0].timestamp_ms <= frames[1].timestamp_ms <= frames[2].timestamp_ms
    assert frames[0].image[0, 0].tolist() == [0, 0, 255]  # BGR blue is RGB blue
    assert frames[0].image.flags.c_contiguous
    capture = source._capture  # type: ignore[attr-defined]
    source.close()
    assert capture.released


def test_camera_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    fake = _fake_cv2()
    monkeypatch.setitem(sys.modules, "cv2", fake)
    monkeypatch.setattr(_FakeCapture, "opened", False)
    with pytest.raises(VideoError, match="camera 2: cannot open the camera"):
        open_source(2)
    monkeypatch.setitem(sys.modules, "cv2", None)  # import fails
    with pytest.raises(VideoError, match="camera 0: reading cameras needs OpenCV"):
        open_source(0)
    with pytest.raises(VideoError, match="camera indices start at 0"):
        open_source(-1)
    with pytest.raises(TypeError):
        open_source(True)


def test_digit_string_names_an_existing_file_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "clip.mp4", n=2).rename(tmp_path / "7")
    with open_source("7") as source:
        assert source.name == "7" and source.frame_count == 2


# --- writer -------------------------------------------------------------------------------------


def test_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "poses.mp4"  # the folder is created
    images = [_frame_image(k, 64, 48) for k in range(30)]
    with VideoWriter(path, 64, 48, 30) as writer:
        assert writer.codec == "libx264"
        for img in images:
            writer.write(img)
    assert writer.frames_written == 30
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (64, 48)
        assert stream.average_rate == 30
        assert stream.frames == 30
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(decoded) == 30
    head = path.read_bytes()[:200]
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # +faststart
    for img, out in zip(images, decoded, strict=True):
        assert abs(rect_x(out) - rect_x(img)) <= 1
    frames, error = read_all(path)
    assert error is None and [f.timestamp_ms for f in frames] == pytest.approx([k * 1000 / 30 for k in range(30)])


@pytest.mark.parametrize(
    ("fps", "rate"),
    [(30000 / 1001, Fraction(30000, 1001)), (29.97, Fraction(30000, 1001)), (25.0, Fraction(25)),
     (12.5, Fraction(25, 2)), (Fraction(24000, 1001), Fraction(24000, 1001))],
)  # fmt: skip
def test_writer_frame_rate(tmp_path: Path, fps: float | Fraction, rate: Fraction) -> None:
    path = tmp_path / "rate.mp4"
    with VideoWriter(path, 32, 32, fps) as writer:
        for k in range(6):
            writer.write(np.full((32, 32, 3), k * 40, np.uint8))
    assert writer.rate == rate
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == rate
        assert sum(1 for _ in container.decode(video=0)) == 6


def test_writer_pads_odd_sizes(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    img = np.zeros((47, 65, 3), np.uint8)
    img[:, -1] = 255  # last column white, repeated into the padding
    img[-1, :] = 255
    with VideoWriter(path, 65, 47, 30) as writer:
        assert (writer.encoded_width, writer.encoded_height) == (66, 48)
        for _ in range(3):
            writer.write(img)
    frames, error = read_all(path)
    assert error is None and len(frames) == 3
    out = frames[0].image
    assert out.shape == (48, 66, 3)
    assert out[:46, :64].max() < 40  # the picture is where it was
    assert out[:, 65].min() > 200 and out[47, :].min() > 200  # padding repeats the edge


def test_writer_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"out\.webm: cannot write video as '\.webm'; use \.mp4"):
        VideoWriter(tmp_path / "out.webm", 32, 32, 30)
    with pytest.raises(ValueError, match="width must be a positive whole number"):
        VideoWriter(tmp_path / "a.mp4", 0, 32, 30)
    with pytest.raises(ValueError, match="fps must be a positive number"):
        VideoWriter(tmp_path / "a.mp4", 32, 32, 0)
    with pytest.raises(ValueError, match="preset must be one of ultrafast"):
        VideoWriter(tmp_path / "a.mp4", 32, 32, 30, preset="quick")
    with pytest.raises(ValueError, match="crf must be a whole number from 0"):
        VideoWriter(tmp_path / "a.mp4", 32, 32, 30, crf=60)
    writer = VideoWriter(tmp_path / "a.mp4", 32, 32, 30)
    with pytest.raises(VideoError, match=r"a\.mp4: frame 0 is 40x32, but the video is 32x32"):
        writer.write(np.zeros((32, 40, 3), np.uint8))
    with pytest.raises(VideoError, match="dtype float64"):
        writer.write(np.zeros((32, 32, 3)))
    writer.write(np.zeros((32, 32), np.uint8))  # grey is accepted
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(np.zeros((32, 32, 3), np.uint8))
    assert writer.frames_written == 1


def test_writer_finishes_the_file_when_the_body_raises(tmp_path: Path) -> None:
    path = tmp_path / "partial.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path, 32, 32, 30) as writer:
        for k in range(5):
            writer.write(np.full((32, 32, 3), k * 50, np.uint8))
        raise RuntimeError("detector crashed")
    frames, error = read_all(path)
    assert error is None and len(frames) == 5


def test_writer_falls_back_to_mpeg4_without_libx264(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from movenet.io import video_writer

    monkeypatch.setattr(video_writer, "_h264_available", lambda: False)
    path = tmp_path / "fallback.mp4"
    with pytest.warns(RuntimeWarning, match="no libx264 encoder; writing MPEG-4 Part 2"):
        writer = VideoWriter(path, 32, 32, 30)
    with writer:
        for k in range(4):
            writer.write(np.full((32, 32, 3), k * 60, np.uint8))
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "mpeg4"
        assert sum(1 for _ in container.decode(video=0)) == 4


def test_writer_copies_a_source(tmp_path: Path) -> None:
    src = make_video(tmp_path / "in.mp4", n=10, fps=Fraction(30000, 1001))
    out = tmp_path / "copy.mp4"
    with open_source(src) as source, VideoWriter(out, source.width, source.height, source.fps) as writer:
        for frame in source:
            writer.write(frame.image)
    with av.open(str(out)) as container:
        assert container.streams.video[0].average_rate == Fraction(30000, 1001)


# --- the shared real videos ---------------------------------------------------------------------


def test_shared_tfjs_dance_mp4(shared_data: Path) -> None:
    path = shared_data / "videos" / "tfjs_dance_pose_1.mp4"
    frames, error = read_all(path)
    assert error is None
    assert len(frames) == 120
    assert all(f.image.shape == (576, 576, 3) for f in frames)
    assert [f.timestamp_ms for f in frames] == pytest.approx([k * 1000 / 30 for k in range(120)], abs=1e-6)
    with open_source(path) as source:
        assert (source.width, source.height, source.fps, source.frame_count) == (576, 576, 30.0, 120)


def test_shared_gif(shared_data: Path) -> None:
    path = shared_data / "videos" / "tfjs_combined_squat_dance.gif"
    frames, error = read_all(path)
    assert error is None
    assert len(frames) == 42
    assert all(f.image.shape == (244, 600, 3) and f.image.flags.c_contiguous for f in frames)
    times = [f.timestamp_ms for f in frames]
    assert times[0] == 0.0 and all(b > a for a, b in zip(times[:-1], times[1:], strict=True))


def test_shared_avi(shared_data: Path) -> None:
    """H.264 in an MP4 container named .avi; 205 frames of 2.7 MB: decoding must not keep them."""
    import resource

    path = shared_data / "videos" / "openpose_street_dance.avi"
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with open_source(path) as source:
        assert (source.width, source.height, source.frame_count) == (1280, 720, 205)
        count = 0
        for frame in source:
            assert frame.timestamp_ms == pytest.approx(frame.index * 1000 / source.fps, abs=1e-6)
            count += 1
    assert count == 205
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 200, f"peak memory grew by {grown_mib:.0f} MiB while streaming 560 MB of frames"


def test_mp4_cut_inside_its_header_is_a_video_error(tmp_path: Path) -> None:
    """Found by tests/test_fuzz.py: a stream left without codec parameters raised AttributeError."""
    from movenet.io.video_writer import VideoWriter

    whole = tmp_path / "whole.mp4"
    with VideoWriter(whole, 48, 32, 10) as writer:
        for value in range(4):
            writer.write(np.full((32, 48, 3), value * 60, np.uint8))
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.index(b"vide") + 4])
    with pytest.raises(VideoError, match=r"cut\.mp4: no video stream .*damaged or truncated"):
        open_source(cut)
