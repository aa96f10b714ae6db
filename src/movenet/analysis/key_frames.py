"""Key frames of the report: which frames to show (each rep's extreme point) and their annotated JPEGs."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from movenet.analysis.angles import JOINTS, keypoint_array, select_pose
from movenet.analysis.result import Analysis, KeyFrame
from movenet.draw import draw_poses
from movenet.io.video import VideoError, open_source
from movenet.types import Pose

__all__ = ["KEY_FRAME_MAX_SIZE", "MAX_KEY_FRAMES", "annotate_frame", "choose_key_frames", "fill_key_frames"]

#: Key frames are scaled down to at most this many pixels high (and wide).
KEY_FRAME_MAX_SIZE = 480
#: At most this many key frames are shown.
MAX_KEY_FRAMES = 12


def choose_key_frames(analysis: Analysis) -> list[KeyFrame]:
    """The frames to show, without images: each rep's extreme point (at most :data:`MAX_KEY_FRAMES`),
    or with no reps the smallest and largest angle of the rep signal."""
    t = analysis.timestamps_ms
    name = analysis.signal_name
    word = "deepest" if analysis.exercise.polarity == "valley" else "highest"
    frames = []
    for rep in analysis.reps[:MAX_KEY_FRAMES]:
        cut = "" if rep.complete else " (cut off)"
        frames.append(KeyFrame(rep.bottom_index, rep.bottom_ms,
                               f"Rep {rep.number}{cut}, {word} point: {name} {rep.depth:.0f}\u00b0"))
    if not frames:
        x = analysis.signal
        if np.isfinite(x).any():
            lo, hi = int(np.nanargmin(x)), int(np.nanargmax(x))
            frames.append(KeyFrame(lo, float(t[lo]), f"Smallest {name} angle: {x[lo]:.0f}\u00b0"))
            if hi != lo:
                frames.append(KeyFrame(hi, float(t[hi]), f"Largest {name} angle: {x[hi]:.0f}\u00b0"))
    return frames


def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow < 10.1 or without FreeType
        return ImageFont.load_default()


def annotate_frame(image: np.ndarray, pose: Pose | None, analysis: Analysis, index: int) -> np.ndarray:
    """`image` with the pose drawn (:func:`movenet.draw.draw_poses`) and the exercise's angles
    written beside their joints, scaled down to fit :data:`KEY_FRAME_MAX_SIZE`."""
    drawn = draw_poses(image, [pose] if pose is not None else [], min_score=analysis.min_score)
    canvas = Image.fromarray(drawn)
    h, w = drawn.shape[:2]
    font = _font(max(12, round(max(h, w) / 28)))
    draw = ImageDraw.Draw(canvas)
    xy = keypoint_array([pose], analysis.min_score)[0]
    for joint in analysis.exercise.signal:
        for side in ("left", "right"):
            name = f"{side}_{joint}"
            if name not in JOINTS:
                continue
            value = analysis.angles[name][index]
            vertex = xy[pose.skeleton.index_of(JOINTS[name][1])] if pose is not None else xy[0]
            if not (math.isfinite(value) and np.isfinite(vertex).all()):
                continue
            text = f"{value:.0f}\u00b0"
            x_text, y_text = float(vertex[0]), float(vertex[1])
            box = draw.textbbox((0, 0), text, font=font)
            dx = box[2] - box[0]
            # the person's left side is on the image's right in a frontal view: write outwards
            x_text = x_text + 0.6 * font.size if side == "left" else x_text - dx - 0.6 * font.size
            draw.text((x_text, y_text - (box[3] - box[1]) / 2), text, font=font, fill=(255, 255, 0),
                      stroke_width=max(1, round(font.size / 10)), stroke_fill=(0, 0, 0))
    scale = min(1.0, KEY_FRAME_MAX_SIZE / max(h, w))
    if scale < 1.0:
        canvas = canvas.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return np.asarray(canvas)


def fill_key_frames(analysis: Analysis, video: str | Path) -> None:
    """Decode `video` again up to the last key frame and set each key frame's annotated JPEG."""
    wanted = {k.index: k for k in analysis.key_frames}
    if not wanted:
        return
    last = max(wanted)
    try:
        with open_source(video) as source:
            for frame in source:
                key = wanted.get(frame.index)
                if key is not None:
                    pose = select_pose(analysis.poses[frame.index])
                    image = annotate_frame(frame.image, pose, analysis, frame.index)
                    buffer = io.BytesIO()
                    Image.fromarray(image).save(buffer, format="JPEG", quality=82)
                    key.jpeg = buffer.getvalue()
                if frame.index >= last:
                    break
    except VideoError:
        pass  # the frames decoded before the damage were filled; the problem is in analysis.error
