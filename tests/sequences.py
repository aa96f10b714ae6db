"""Deterministic frame sequences for the video parity tests
(``tests/parity/families/movenet/test_parity_sequences.py``).

Every sequence is a list of ``HxWx3`` ``uint8`` RGB frames rebuilt from the shared data folder
(``../shared/data``, never committed). ``scripts/make_sequence_fixtures.py`` feeds the same
frames (as PNGs) to the TF.js oracle and records each frame's sha256, so a test can check that it
rebuilt exactly the frames the oracle saw.

* Real clips are decoded with PyAV in decode order (``frame.to_ndarray(format="rgb24")``). The
  YUV -> RGB conversion is FFmpeg's (libswscale), so another FFmpeg build may give slightly
  different pixels: tests skip such a sequence (``FFMPEG_DECODED``) instead of failing.
* Image folders are decoded with Pillow (``transforms.load_rgb``).
* The synthetic pan/zoom sequences use integer arithmetic only (keyframes, smoothstep easing,
  nearest-neighbour index sampling), so they are bit-exact everywhere.

Do not change a sequence without regenerating the fixtures
(``python scripts/make_sequence_fixtures.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movenet.families.movenet.crop_region import CropRegion
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.types import Pose

from transforms import load_rgb

__all__ = [
    "FPS",
    "PAN_ZOOM_SIZE",
    "SEQUENCES",
    "SEQUENCE_NAMES",
    "Sequence",
    "decode_video",
    "ffmpeg_versions",
    "load_frames",
    "pan_zoom",
    "run_sequence",
    "timestamp_ms",
]

FPS = 30
PAN_ZOOM_SIZE = (480, 640)  # output height, width of the synthetic sequences


def timestamp_ms(k: int) -> float:
    """Timestamp of frame ``k`` in ms: ``k*1000/30`` (the oracle uses ``0 + k*(1000/30)``; both give
    the same integer microseconds ``trunc(k*100000/3)`` for every frame used here)."""
    return k * 1000 / FPS


def ffmpeg_versions() -> dict[str, str]:
    """The FFmpeg library versions PyAV links against (e.g. ``{"libavcodec": "62.28.102", ...}``)."""
    import av

    return {name: ".".join(map(str, v)) for name, v in sorted(av.library_versions.items())}


def decode_video(path: str | Path, max_frames: int | None = None) -> list[np.ndarray]:
    """All frames of the first video stream of ``path`` (decode order) as RGB uint8 arrays,
    or the first ``max_frames`` of them."""
    import av

    frames: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            frames.append(np.ascontiguousarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
            if max_frames is not None and len(frames) >= max_frames:
                break
    return frames


def _smoothstep(v0: int, v1: int, t: int, length: int) -> int:
    """Integer smoothstep from ``v0`` (t=0) to ``v1`` (t=length): ``v0 + (v1-v0)*t^2*(3L-2t) // L^3``."""
    return v0 + (v1 - v0) * t * t * (3 * length - 2 * t) // length**3


def pan_zoom(
    image: np.ndarray,
    keyframes: tuple[tuple[int, int, int, int], ...],
    size: tuple[int, int] = PAN_ZOOM_SIZE,
) -> list[np.ndarray]:
    """Frames of a virtual camera moving over a still image, integer arithmetic only.

    ``keyframes``: ``(frame, centre_x, centre_y, window_width)`` in source pixels, frames
    increasing from 0; the last one's frame index + 1 is the number of frames. Between keyframes
    each value follows an integer smoothstep. The window height is ``window_width * H // W``
    (the output aspect), the window is shifted (not shrunk) to stay inside the image, and output
    pixel ``(r, c)`` takes source pixel ``(y0 + (2r+1)*wh // (2H), x0 + (2c+1)*ww // (2W))``
    (nearest neighbour of the pixel centre).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected HxWx3 uint8, got shape {image.shape} dtype {image.dtype}")
    if keyframes[0][0] != 0 or any(b[0] <= a[0] for a, b in zip(keyframes, keyframes[1:], strict=False)):
        raise ValueError("keyframes must start at frame 0 and increase")
    src_h, src_w = image.shape[:2]
    out_h, out_w = size
    rows_r = 2 * np.arange(out_h, dtype=np.int64) + 1
    cols_c = 2 * np.arange(out_w, dtype=np.int64) + 1
    frames: list[np.ndarray] = []
    for (k0, cx0, cy0, w0), (k1, cx1, cy1, w1) in zip(keyframes, keyframes[1:], strict=False):
        length = k1 - k0
        last = k1 == keyframes[-1][0]
        for t in range(length + 1 if last else length):
            cx = _smoothstep(cx0, cx1, t, length)
            cy = _smoothstep(cy0, cy1, t, length)
            ww = min(_smoothstep(w0, w1, t, length), src_w)
            wh = min(ww * out_h // out_w, src_h)
            x0 = min(max(cx - ww // 2, 0), src_w - ww)
            y0 = min(max(cy - wh // 2, 0), src_h - wh)
            rows = y0 + rows_r * wh // (2 * out_h)
            cols = x0 + cols_c * ww // (2 * out_w)
            frames.append(np.ascontiguousarray(image[rows[:, None], cols[None, :]]))
    return frames


@dataclass(frozen=True)
class Sequence:
    """One test sequence: how to rebuild its frames from the shared data folder."""

    name: str
    source: str  # path relative to the data folder
    description: str
    build: Callable[[Path], list[np.ndarray]]
    ffmpeg_decoded: bool  # frames come from FFmpeg (may differ with another FFmpeg build)


def _video(rel: str, max_frames: int | None = None, x_end: int | None = None) -> Callable[[Path], list[np.ndarray]]:
    def build(data_dir: Path) -> list[np.ndarray]:
        frames = decode_video(data_dir / rel, max_frames)
        if x_end is not None:
            frames = [np.ascontiguousarray(f[:, :x_end]) for f in frames]
        return frames

    return build


def _jpg_folder(rel: str) -> Callable[[Path], list[np.ndarray]]:
    def build(data_dir: Path) -> list[np.ndarray]:
        return [load_rgb(p) for p in sorted((data_dir / rel).glob("*.jpg"))]

    return build


def _pan_zoom(rel: str, keyframes: tuple[tuple[int, int, int, int], ...]) -> Callable[[Path], list[np.ndarray]]:
    def build(data_dir: Path) -> list[np.ndarray]:
        return pan_zoom(load_rgb(data_dir / rel), keyframes)

    return build


# (frame, centre_x, centre_y, window_width) keyframes; 60 frames each.
# tfjs_pose.jpg is 1000x667 with the man at x 300..706, y 274..617: start wide, zoom onto him, pan
# right so his left side leaves the window, then onto sky and sea with nobody in it (x 720..1000,
# y 45..255: the pose is dropped for a few frames and the detector state reset), zoom back out.
PAN_TFJS_POSE = ((0, 500, 333, 880), (15, 500, 420, 560), (30, 660, 430, 480), (42, 860, 150, 280), (59, 440, 340, 800))
# astronaut.png is 512x512 with the astronaut at x 63..323, y 99..504 (head and shoulders: no hips,
# so every crop after the first is the padded whole image).
PAN_ASTRONAUT = ((0, 256, 256, 512), (20, 220, 200, 384), (40, 300, 170, 320), (59, 256, 270, 480))

_SEQUENCES = (
    Sequence("tfjs_dance_pose_1", "videos/tfjs_dance_pose_1.mp4",
             "woman dancing, 576x576, all 120 frames (H.264)", _video("videos/tfjs_dance_pose_1.mp4"), True),
    Sequence("tfjs_squats", "videos/tfjs_squats.mp4",
             "woman doing squats, 720x1280 portrait, all 65 frames (H.264)", _video("videos/tfjs_squats.mp4"), True),
    Sequence("mmpose_body3d_studio", "videos/mmpose_body3d_studio.mp4",
             "man walking in a studio, 1000x1002, first 90 of 399 frames (MPEG-4 Part 2)",
             _video("videos/mmpose_body3d_studio.mp4", max_frames=90), True),
    Sequence("tfjs_combined_squat_dance_left", "videos/tfjs_combined_squat_dance.gif",
             "left half (x < 300) of the GIF: a man doing squats, 300x244, all 42 frames",
             _video("videos/tfjs_combined_squat_dance.gif", x_end=300), True),
    Sequence("posetrack18_000001", "videos/posetrack18_000001_mpiinew_test",
             "football broadcast, several players, 1280x720, the 10 JPEGs (Pillow)",
             _jpg_folder("videos/posetrack18_000001_mpiinew_test"), False),
    Sequence("panzoom_tfjs_pose", "stills/tfjs_pose.jpg",
             f"synthetic 640x480 pan/zoom over the still, 60 frames, keyframes {PAN_TFJS_POSE}",
             _pan_zoom("stills/tfjs_pose.jpg", PAN_TFJS_POSE), False),
    Sequence("panzoom_astronaut", "stills/astronaut.png",
             f"synthetic 640x480 pan/zoom over the still, 60 frames, keyframes {PAN_ASTRONAUT}",
             _pan_zoom("stills/astronaut.png", PAN_ASTRONAUT), False),
)

SEQUENCES: dict[str, Sequence] = {s.name: s for s in _SEQUENCES}
SEQUENCE_NAMES: tuple[str, ...] = tuple(SEQUENCES)


def load_frames(name: str, data_dir: Path) -> list[np.ndarray]:
    """The frames of sequence ``name`` rebuilt from ``data_dir``."""
    return SEQUENCES[name].build(data_dir)



def run_sequence(
    detector: SinglePoseDetector,
    frames: list[np.ndarray] | tuple[np.ndarray, ...],
    ref_crops: list[list[float] | None] | None = None,
    frame_ms: float | None = None,
) -> tuple[list[list[Pose]], list[CropRegion | None]]:
    """Feeds ``frames`` to ``detector`` as a video (frame ``k`` at ``timestamp_ms(k)``, or at
    ``k * frame_ms`` when given). Returns each frame's poses and the crop region the detector
    holds after each frame (the next frame's crop).

    ``ref_crops``: ``[y_min, x_min, y_max, x_max]`` (or None: no crop yet) per frame; frame ``k``
    then starts from ``ref_crops[k]`` instead of the crop the detector derived from frame
    ``k - 1`` (everything else, keypoint and crop filters included, carries over as usual).
    """
    poses: list[list[Pose]] = []
    crops: list[CropRegion | None] = []
    for k, image in enumerate(frames):
        if ref_crops is not None:
            crop = ref_crops[k]
            # No public setter: the crop the detector starts a frame from is `_crop`.
            detector._crop = None if crop is None else CropRegion(*crop)
        t = timestamp_ms(k) if frame_ms is None else k * frame_ms
        poses.append(detector.estimate_poses(image, timestamp_ms=t))
        crops.append(detector.crop_region)
    return poses, crops
