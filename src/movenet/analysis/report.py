"""Whole-recording analysis and its self-contained HTML report.

:func:`analyze_video` runs a detector (with smoothing, timestamps from the video) over a video and
computes joint angles, range of motion, reps and sway (:func:`analyze_poses` does the same from poses
already detected). :func:`render_html` turns the result into one HTML page that needs nothing else:
plots are inline SVG, key frames inline JPEG (``data:`` URLs), styles inline, no scripts, and a
Content-Security-Policy that forbids loading anything from elsewhere. :func:`analysis_to_json`
gives all the numbers as JSON-ready data (``NaN`` becomes ``null``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from movenet.analysis.angles import ANGLE_NAMES, JOINTS, PosesInput, joint_angles, keypoint_array, select_pose
from movenet.analysis.balance import Sway, sway
from movenet.analysis.reps import DEFAULT_HYSTERESIS, Exercise, Rep, count_reps, exercise_signal, get_exercise
from movenet.analysis.reps import rep_thresholds as _rep_thresholds
from movenet.analysis.rom import ROM, range_of_motion
from movenet.types import KEYPOINT_INDEX, Pose

if TYPE_CHECKING:
    from movenet.detector import PoseDetector

__all__ = [
    "Analysis",
    "KeyFrame",
    "analysis_to_json",
    "analyze_poses",
    "analyze_video",
    "render_html",
    "write_json",
    "write_report",
]

#: Key frames are scaled down to at most this many pixels high (and wide).
KEY_FRAME_MAX_SIZE = 480
#: At most this many key frames are shown.
MAX_KEY_FRAMES = 12


@dataclass
class KeyFrame:
    """A frame shown in the report: its index, time, a caption and the annotated JPEG."""

    index: int
    timestamp_ms: float
    label: str
    jpeg: bytes = b""


@dataclass
class Analysis:
    """Everything :func:`analyze_poses` / :func:`analyze_video` compute for one recording."""

    source: str
    exercise: Exercise
    timestamps_ms: np.ndarray
    poses: list[list[Pose]]
    angles: dict[str, np.ndarray]
    signal: np.ndarray
    thresholds: tuple[float, float] | None
    reps: list[Rep]
    rom: dict[str, ROM]
    sway: Sway
    min_score: float
    model: str | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    key_frames: list[KeyFrame] = field(default_factory=list)
    error: str | None = None

    @property
    def signal_name(self) -> str:
        return " + ".join(self.exercise.signal)

    @property
    def complete_reps(self) -> int:
        return sum(1 for r in self.reps if r.complete)

    @property
    def frames_with_pose(self) -> int:
        return sum(1 for p in self.poses if p)

    @property
    def duration_s(self) -> float:
        t = self.timestamps_ms
        if t.size == 0:
            return 0.0
        step = float(np.median(np.diff(t))) if t.size > 1 else (1000.0 / self.fps if self.fps else 0.0)
        return float(t[-1] - t[0] + step) / 1000.0


def _as_pose_lists(poses_per_frame: PosesInput) -> list[list[Pose]]:
    out: list[list[Pose]] = []
    for frame in poses_per_frame:
        pose = select_pose(frame)
        out.append([pose] if pose is not None else [])
    return out


def analyze_poses(
    poses_per_frame: PosesInput,
    timestamps_ms: Sequence[float] | np.ndarray,
    exercise: str | Exercise = "squat",
    *,
    min_score: float = 0.3,
    thresholds: tuple[float, float] | None = None,
    hysteresis: float = DEFAULT_HYSTERESIS,
    window_s: float = 5.0,
    source: str = "",
) -> Analysis:
    """Angles, range of motion, reps (of `exercise`) and sway from poses already detected
    (one entry per frame, as for :func:`movenet.analysis.joint_angles`)."""
    spec = get_exercise(exercise)
    t = np.asarray(timestamps_ms, dtype=np.float64)
    if t.shape != (len(poses_per_frame),):
        raise ValueError(f"{len(poses_per_frame)} frames of poses for {t.size} timestamps")
    angles = joint_angles(poses_per_frame, min_score)
    signal = exercise_signal(angles, spec)
    limits = _rep_thresholds(signal, exercise=spec, thresholds=thresholds, hysteresis=hysteresis)
    reps = count_reps(signal, t, exercise=spec, thresholds=thresholds, hysteresis=hysteresis)
    rom = range_of_motion(angles, t)
    balance = sway(poses_per_frame, t, window_s, min_score=min_score)
    return Analysis(source=source, exercise=spec, timestamps_ms=t, poses=_as_pose_lists(poses_per_frame),
                    angles=angles, signal=signal, thresholds=limits, reps=reps, rom=rom, sway=balance,
                    min_score=min_score)


def analyze_video(
    video: str | Path,
    exercise: str | Exercise = "squat",
    *,
    model: str = "lightning",
    detector: PoseDetector | None = None,
    min_score: float = 0.3,
    thresholds: tuple[float, float] | None = None,
    hysteresis: float = DEFAULT_HYSTERESIS,
    window_s: float = 5.0,
    key_frames: bool = True,
    model_dir: str | Path | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Analysis:
    """Detect the pose in every frame of `video` (smoothing on, timestamps from the video) and
    analyse it (see :func:`analyze_poses`). `detector` defaults to ``create_detector(model)``; a
    detector given is :meth:`reset` first. With `key_frames`, the frames shown in the report
    (deepest point of each rep) are decoded again and annotated.

    A video that cannot be opened raises :class:`movenet.VideoError`. One that is damaged part way
    is analysed up to the damage, and the problem is recorded in ``Analysis.error``."""
    from movenet.detector import create_detector
    from movenet.io.video import VideoError, open_source

    spec = get_exercise(exercise)
    source = open_source(video)
    try:
        if detector is None:
            detector = create_detector(model, model_dir=model_dir, threads=threads)
        detector.reset()
        poses: list[list[Pose]] = []
        times: list[float] = []
        error = None
        try:
            for frame in source:
                poses.append(detector.estimate_poses(frame.image, frame.timestamp_ms))
                times.append(frame.timestamp_ms)
                if progress is not None:
                    progress(len(poses))
        except VideoError as exc:
            error = str(exc)
        fps, width, height = source.fps, source.width, source.height
    finally:
        source.close()
    analysis = analyze_poses(poses, times, spec, min_score=min_score, thresholds=thresholds,
                             hysteresis=hysteresis, window_s=window_s, source=str(video))
    analysis.model = getattr(detector, "model", model)
    analysis.fps, analysis.width, analysis.height, analysis.error = fps, width, height, error
    if key_frames and poses:
        analysis.key_frames = _key_frames(analysis)
        _fill_key_frames(analysis, video)
    return analysis


# --- key frames ---------------------------------------------------------------------------------


def _key_frames(analysis: Analysis) -> list[KeyFrame]:
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
    from movenet.draw import draw_poses

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
            vertex = xy[KEYPOINT_INDEX[JOINTS[name][1]]]
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


def _fill_key_frames(analysis: Analysis, video: str | Path) -> None:
    from movenet.io.video import VideoError, open_source

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


# --- JSON ---------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """`value` with numpy types made plain and non-finite floats made ``None``."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def _rounded(values: np.ndarray, digits: int = 3) -> list[float | None]:
    return [round(float(v), digits) if math.isfinite(v) else None for v in values]


def analysis_to_json(analysis: Analysis) -> dict[str, Any]:
    """All the numbers of `analysis` as JSON-ready data: the recording, the rep signal and
    thresholds, the reps, the range of motion of every angle, sway, and the per-frame angles."""
    spec = analysis.exercise
    doc = {
        "source": analysis.source,
        "model": analysis.model,
        "exercise": spec.name,
        "fps": analysis.fps,
        "width": analysis.width,
        "height": analysis.height,
        "frames": int(analysis.timestamps_ms.size),
        "frames_with_pose": analysis.frames_with_pose,
        "duration_s": analysis.duration_s,
        "min_score": analysis.min_score,
        "error": analysis.error,
        "signal": {
            "angles": list(spec.signal),
            "polarity": spec.polarity,
            "thresholds": list(analysis.thresholds) if analysis.thresholds else None,
        },
        "reps": {
            "count": len(analysis.reps),
            "complete": analysis.complete_reps,
            "items": [r.to_dict() for r in analysis.reps],
        },
        "rom": {name: r.to_dict() for name, r in analysis.rom.items()},
        "sway": analysis.sway.to_dict(trajectory=False),
        "key_frames": [{"index": k.index, "timestamp_ms": k.timestamp_ms, "label": k.label}
                       for k in analysis.key_frames],
        "timestamps_ms": _rounded(analysis.timestamps_ms),
        "angles": {name: _rounded(v) for name, v in analysis.angles.items()},
        "sway_trajectory": {"x": _rounded(analysis.sway.x, 5), "y": _rounded(analysis.sway.y, 5)},
    }
    cleaned: dict[str, Any] = _clean(doc)
    return cleaned


def write_json(analysis: Analysis, path: str | Path) -> None:
    """Write :func:`analysis_to_json` to `path` (``"-"``: stdout)."""
    text = json.dumps(analysis_to_json(analysis), indent=1, allow_nan=False)
    if str(path) == "-":
        import sys

        sys.stdout.write(text + "\n")
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


# --- SVG plots ----------------------------------------------------------------------------------

_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
_SIDE_COLORS = {"left": "#2ca02c", "right": "#ff7f0e"}


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


class _Axes:
    """Maps data to SVG coordinates inside a plot area with margins."""

    def __init__(self, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float],
                 *, margin: tuple[int, int, int, int] = (16, 16, 44, 56), invert_y: bool = False) -> None:
        self.width, self.height = width, height
        self.top, self.right, self.bottom, self.left = margin
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1.0
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1.0
        self.invert_y = invert_y

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        f = (y - self.y0) / (self.y1 - self.y0)
        if not self.invert_y:
            f = 1.0 - f
        return self.top + f * (self.height - self.top - self.bottom)

    def frame(self, x_label: str, y_label: str) -> list[str]:
        out = []
        x_lo, x_hi = self.left, self.width - self.right
        t, b = self.top, self.height - self.bottom
        for v in _nice_ticks(self.y0, self.y1):
            y = self.py(v)
            out.append(f'<line class="grid" x1="{x_lo}" y1="{y:.1f}" x2="{x_hi}" y2="{y:.1f}"/>')
            out.append(f'<text class="tick" x="{x_lo - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        for v in _nice_ticks(self.x0, self.x1, 10):
            x = self.px(v)
            out.append(f'<line class="grid" x1="{x:.1f}" y1="{t}" x2="{x:.1f}" y2="{b}"/>')
            out.append(f'<text class="tick" x="{x:.1f}" y="{b + 16}" text-anchor="middle">{_fmt(v)}</text>')
        out.append(f'<rect class="axes" x="{x_lo}" y="{t}" width="{x_hi - x_lo}" height="{b - t}"/>')
        out.append(f'<text class="label" x="{(x_lo + x_hi) / 2:.1f}" y="{self.height - 8}" text-anchor="middle">'
                   f"{html.escape(x_label)}</text>")
        out.append(f'<text class="label" transform="translate(14,{(t + b) / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{html.escape(y_label)}</text>')
        return out

    def path(self, xs: np.ndarray, ys: np.ndarray) -> str:
        """An SVG path through the points, broken where a value is NaN."""
        parts: list[str] = []
        pen_down = False
        for x, y in zip(xs, ys, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)):
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{self.px(x):.1f},{self.py(y):.1f}")
            pen_down = True
        return " ".join(parts)


def _svg(plot_id: str, width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg id="{plot_id}" class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
            f"<title>{html.escape(title)}</title>" + "".join(body) + "</svg>")


def _legend(items: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """Legend entries (label, colour, dash) laid out in a row starting at (x, y)."""
    out = []
    for label, color, dash in items:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 22:.0f}" y2="{y - 4:.0f}" stroke="{color}" '
                   f'stroke-width="2.5"{dash_attr}/>')
        out.append(f'<text class="legend" x="{x + 27:.0f}" y="{y:.0f}">{html.escape(label)}</text>')
        x += 37 + 7.2 * len(label)
    return out


def _value_range(arrays: Sequence[np.ndarray], pad: float = 0.05) -> tuple[float, float]:
    known = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if known.size == 0:
        return 0.0, 180.0
    lo, hi = float(known.min()), float(known.max())
    span = max(hi - lo, 1e-6)
    return lo - pad * span, hi + pad * span


def signal_plot(analysis: Analysis, width: int = 900, height: int = 320) -> str:
    """The exercise's angles over time with each rep shaded, its extreme point marked and the
    thresholds dashed."""
    t = analysis.timestamps_ms / 1000.0
    spec = analysis.exercise
    lines: list[tuple[str, str, np.ndarray, str]] = []
    for joint in spec.signal:
        for side in ("left", "right"):
            name = f"{side}_{joint}"
            if name in analysis.angles:
                color = _SIDE_COLORS[side] if len(spec.signal) == 1 else _COLORS[len(lines) % len(_COLORS)]
                lines.append((name, color, analysis.angles[name], "5 4"))
    lines.append((f"{analysis.signal_name} (rep signal)", "#1f3a93", analysis.signal, ""))
    extra = [np.array(analysis.thresholds)] if analysis.thresholds else []
    y0, y1 = _value_range([v for _, _, v, _ in lines] + extra)
    x_max = float(t[-1]) if t.size else 1.0
    ax = _Axes(width, height, (0.0, max(x_max, 1e-3)), (y0, y1), margin=(34, 16, 44, 56))
    body: list[str] = []
    for rep in analysis.reps:
        xa, xb = ax.px(rep.start_ms / 1000.0), ax.px(rep.end_ms / 1000.0)
        cls = "rep" if rep.complete else "rep partial"
        body.append(f'<rect class="{cls}" x="{xa:.1f}" y="{ax.top}" width="{max(xb - xa, 1):.1f}" '
                    f'height="{height - ax.top - ax.bottom}"><title>rep {rep.number}: '
                    f'{rep.start_ms / 1000:.2f}-{rep.end_ms / 1000:.2f} s</title></rect>')
    body += ax.frame("time (s)", "angle (degrees)")
    if analysis.thresholds:
        for value, label in zip(analysis.thresholds, ("enter", "exit"), strict=True):
            y = ax.py(value)
            body.append(f'<line class="threshold" x1="{ax.left}" y1="{y:.1f}" x2="{width - ax.right}" '
                        f'y2="{y:.1f}"><title>{label} threshold {value:.1f}\u00b0</title></line>')
    for label, color, values, dash in lines:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        wide = "1.5" if dash else "2.5"
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="{wide}" '
                    f'fill="none"{dash_attr}><title>{html.escape(label)}</title></path>')
    for rep in analysis.reps:
        x, y = ax.px(rep.bottom_ms / 1000.0), ax.py(rep.depth)
        body.append(f'<circle class="rep-marker" cx="{x:.1f}" cy="{y:.1f}" r="5"><title>rep {rep.number}: '
                    f'{rep.depth:.1f}\u00b0 at {rep.bottom_ms / 1000:.2f} s</title></circle>')
        body.append(f'<text class="rep-label" x="{x:.1f}" y="{ax.top - 6}" text-anchor="middle">'
                    f'{rep.number}{"" if rep.complete else "*"}</text>')
    body += _legend([(label, color, dash) for label, color, _, dash in lines], ax.left, 16)
    return _svg("plot-reps", width, height, f"{spec.name}: {analysis.signal_name} angle and reps", body)


def angles_plot(analysis: Analysis, width: int = 900, height: int = 320) -> str:
    """Every left/right-mean angle and the trunk lean over time."""
    t = analysis.timestamps_ms / 1000.0
    names = [n for n in ("knee", "hip", "elbow", "shoulder", "trunk_lean") if n in analysis.angles]
    series = [(n, _COLORS[i % len(_COLORS)], analysis.angles[n]) for i, n in enumerate(names)]
    ax = _Axes(width, height, (0.0, max(float(t[-1]) if t.size else 1.0, 1e-3)), (0.0, 180.0),
               margin=(34, 16, 44, 56))
    body = ax.frame("time (s)", "angle (degrees)")
    for label, color, values in series:
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="2" '
                    f'fill="none"><title>{label}</title></path>')
    body += _legend([(label, color, "") for label, color, _ in series], ax.left, 16)
    return _svg("plot-angles", width, height, "joint angles (left/right mean) and trunk lean", body)


def sway_plot(analysis: Analysis, size: int = 360) -> str:
    """The hip-midpoint trajectory in torso lengths, image orientation (y down), equal axes."""
    s = analysis.sway
    x, y = s.x, s.y
    known = np.isfinite(x) & np.isfinite(y)
    if known.any():
        half = max(float(np.abs(x[known]).max()), float(np.abs(y[known]).max()), 0.05) * 1.1
    else:
        half = 1.0
    ax = _Axes(size, size, (-half, half), (-half, half), margin=(16, 16, 44, 56), invert_y=True)
    body = ax.frame("x (torso lengths, right +)", "y (torso lengths, down +)")
    body.append(f'<path class="series" d="{ax.path(x, y)}" stroke="#1f3a93" stroke-width="1.5" fill="none" '
                f'stroke-linejoin="round"><title>{s.point} trajectory</title></path>')
    if known.any():
        first, last = np.flatnonzero(known)[[0, -1]]
        for i, cls, label in ((first, "start", "start"), (last, "end", "end")):
            body.append(f'<circle class="{cls}" cx="{ax.px(x[i]):.1f}" cy="{ax.py(y[i]):.1f}" r="5">'
                        f"<title>{label} ({s.timestamps_ms[i] / 1000:.2f} s)</title></circle>")
    return _svg("plot-sway", size, size, "sway: hip midpoint trajectory", body)


def sway_time_plot(analysis: Analysis, width: int = 520, height: int = 360) -> str:
    """x and y of the sway trajectory over time, with the window boundaries."""
    s = analysis.sway
    t = s.timestamps_ms / 1000.0
    y0, y1 = _value_range([s.x, s.y])
    ax = _Axes(width, height, (0.0, max(float(t[-1]) if t.size else 1.0, 1e-3)), (y0, y1),
               margin=(34, 16, 44, 56), invert_y=False)
    body = ax.frame("time (s)", "offset (torso lengths)")
    for w in s.windows[1:]:
        xw = ax.px(w.start_ms / 1000.0)
        body.append(f'<line class="window" x1="{xw:.1f}" y1="{ax.top}" x2="{xw:.1f}" y2="{height - ax.bottom}"/>')
    for label, color, values in (("x (right +)", "#d62728", s.x), ("y (down +)", "#1f77b4", s.y)):
        body.append(f'<path class="series" d="{ax.path(t, values)}" stroke="{color}" stroke-width="2" '
                    f'fill="none"><title>{label}</title></path>')
    body += _legend([("x (right +)", "#d62728", ""), ("y (down +)", "#1f77b4", "")], ax.left, 16)
    return _svg("plot-sway-time", width, height, "sway over time", body)


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:960px;
 color:#222;padding:0 12px}
h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px}
.card .v{font-size:1.6em;font-weight:600}.card .k{color:#666;font-size:.85em}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:4px 10px;text-align:right}th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left}
svg.plot{max-width:100%;height:auto;background:#fff;display:block;margin:8px 0}
svg .grid{stroke:#eee;stroke-width:1}svg .axes{fill:none;stroke:#999;stroke-width:1}
svg .tick{font-size:11px;fill:#555}svg .label{font-size:12px;fill:#333}svg .legend{font-size:12px;fill:#333}
svg .rep{fill:#1f77b4;fill-opacity:.10}svg .rep.partial{fill:#999;fill-opacity:.15}
svg .rep-marker{fill:#d62728;stroke:#fff;stroke-width:1.5}svg .rep-label{font-size:12px;font-weight:600;fill:#d62728}
svg .threshold{stroke:#888;stroke-dasharray:2 4;stroke-width:1.2}
svg .window{stroke:#bbb;stroke-dasharray:3 3}
svg .start{fill:#2ca02c}svg .end{fill:#d62728}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.frames{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:6px;background:#fafafa}
figure img{display:block;max-width:100%}figcaption{font-size:.85em;color:#333;margin-top:4px;max-width:480px}
.error{color:#a00;font-weight:600}.note{color:#666;font-size:.85em}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _deg(v: float) -> str:
    return f"{v:.1f}" if math.isfinite(v) else "&ndash;"


def _secs(ms: float | None) -> str:
    return f"{ms / 1000:.2f} s" if ms is not None else "&ndash;"


def _num(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}f}" if math.isfinite(v) else "&ndash;"


def reps_summary(analysis: Analysis) -> str:
    """'3 reps (2 complete, 1 cut off by the end of the recording)'."""
    n, done = len(analysis.reps), analysis.complete_reps
    text = f"{n} rep{'s' if n != 1 else ''}"
    if done != n:
        last = analysis.timestamps_ms.size - 1
        at_end = any(not r.complete and r.end_index >= last for r in analysis.reps)
        at_start = any(not r.complete and r.end_index < last for r in analysis.reps)
        where = " and ".join(w for w, hit in (("start", at_start), ("end", at_end)) if hit)
        text += f" ({done} complete, {n - done} cut off by the {where} of the recording)"
    return text


def render_html(analysis: Analysis) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    spec = analysis.exercise
    reps = analysis.reps
    rom = analysis.rom
    signal_rom = [rom[n] for n in spec.signal if n in rom]
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Movement analysis: {_e(spec.name)} - {_e(Path(analysis.source).name or 'poses')}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Movement analysis: {_e(spec.name.replace('_', ' '))}</h1>",
        f'<p class="meta">{_e(analysis.source)} &middot; model {_e(analysis.model or "-")} &middot; '
        f"{analysis.timestamps_ms.size} frames ({analysis.frames_with_pose} with a person) &middot; "
        f"{analysis.duration_s:.1f} s" + (f" &middot; {analysis.fps:.3g} fps" if analysis.fps else "") +
        (f" &middot; {analysis.width}x{analysis.height}" if analysis.width else "") + "</p>",
    ]
    if analysis.error:
        parts.append(f'<p class="error">Video problem: {_e(analysis.error)} (analysed up to there)</p>')
    if not analysis.frames_with_pose:
        parts.append('<p class="error">No person was detected in any frame.</p>')
    durations = [r.duration_s for r in reps if r.complete]
    depths = [r.depth for r in reps]
    extreme = (min(depths) if spec.polarity == "valley" else max(depths)) if depths else math.nan
    cut_off = len(reps) - analysis.complete_reps
    cards = [
        (str(analysis.complete_reps) + (f" <small>+{cut_off} cut off</small>" if cut_off else ""), "complete reps"),
        (f"{np.mean(durations):.2f} s" if durations else "&ndash;", "mean rep duration"),
        (f"{_deg(extreme)}\u00b0", f"{'deepest' if spec.polarity == 'valley' else 'highest'} "
                                   f"{analysis.signal_name} angle in a rep"),
    ]
    for joint_rom in signal_rom:
        cards.append((f"{_deg(joint_rom.range)}\u00b0", f"{joint_rom.joint} range of motion"))
    sw = analysis.sway.overall
    if sw is not None:
        cards.append((_num(sw.rms), "sway RMS (torso lengths)"))
    parts.append('<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{v}</div><div class="k">{_e(k)}</div></div>' for v, k in cards) + "</div>")

    # reps
    parts.append(f"<h2>Repetitions</h2><p>{_e(reps_summary(analysis))}, counted on the "
                 f"{_e(analysis.signal_name)} angle ({_e(spec.description)}).")
    if analysis.thresholds:
        enter, leave = analysis.thresholds
        parts.append(f" A rep starts when it crosses {enter:.1f}\u00b0 and ends when it crosses back over "
                     f"{leave:.1f}\u00b0 (dotted lines); shaded bands are reps, red dots their extreme points"
                     " (* = cut off).")
    else:
        parts.append(f" The angle moved less than {spec.min_amplitude:.0f}\u00b0 overall: no reps.")
    parts.append("</p>")
    if analysis.timestamps_ms.size:
        parts.append(signal_plot(analysis))
    if reps:
        word = "deepest" if spec.polarity == "valley" else "highest"
        parts.append(f"<table><tr><th>rep</th><th>start</th><th>{word} point</th><th>end</th><th>duration</th>"
                     f"<th>{word} angle (\u00b0)</th><th>amplitude (\u00b0)</th><th>complete</th></tr>")
        for r in reps:
            parts.append(f"<tr><td>{r.number}</td><td>{_secs(r.start_ms)}</td><td>{_secs(r.bottom_ms)}</td>"
                         f"<td>{_secs(r.end_ms)}</td><td>{r.duration_s:.2f} s</td><td>{_deg(r.depth)}</td>"
                         f"<td>{_deg(r.amplitude)}</td><td>{'yes' if r.complete else 'no (cut off)'}</td></tr>")
        parts.append("</table>")

    # angles and ROM
    parts.append("<h2>Joint angles and range of motion</h2>")
    if analysis.timestamps_ms.size:
        parts.append(angles_plot(analysis))
    parts.append("<table><tr><th>angle</th><th>min (\u00b0)</th><th>at</th><th>max (\u00b0)</th><th>at</th>"
                 "<th>range (\u00b0)</th><th>frames known</th></tr>")
    for name in ANGLE_NAMES:
        m = rom.get(name)
        if m is None:
            continue
        parts.append(f"<tr><td>{_e(name)}</td><td>{_deg(m.min)}</td><td>{_secs(m.min_time_ms)}</td>"
                     f"<td>{_deg(m.max)}</td><td>{_secs(m.max_time_ms)}</td><td>{_deg(m.range)}</td>"
                     f"<td>{m.frames}/{m.total_frames}</td></tr>")
    parts.append("</table>")
    parts.append('<p class="note">Angles are measured in the image plane (2D), in degrees: 180 = a straight '
                 "limb; shoulder = hip-shoulder-elbow (0 = arm by the side); trunk lean = mid-hip to mid-shoulder "
                 "against the vertical. Limbs bending towards the camera look straighter than they are. "
                 f"Keypoints scoring below {analysis.min_score:g} are not used.</p>")

    # sway
    s = analysis.sway
    parts.append("<h2>Balance (sway)</h2>")
    parts.append(f"<p>Trajectory of the {'hip midpoint' if s.point == 'hips' else 'keypoint centroid'} "
                 f"relative to its mean, in torso lengths (torso = {_num(s.torso_px, 0)} px, shoulder to hip "
                 f"midpoint), in windows of {s.window_s:g} s.</p>")
    parts.append('<div class="row">' + sway_plot(analysis) + sway_time_plot(analysis) + "</div>")
    rows = ([("all", s.overall)] if s.overall else []) + [(f"{w.start_ms / 1000:.1f}-{w.end_ms / 1000:.1f} s", w)
                                                         for w in s.windows]
    parts.append("<table><tr><th>window</th><th>frames</th><th>RMS</th><th>RMS x</th><th>RMS y</th><th>range x</th>"
                 "<th>range y</th><th>path length</th><th>mean speed (/s)</th></tr>")
    for label, w in rows:
        parts.append(f"<tr><td>{label}</td><td>{w.frames}</td><td>{_num(w.rms)}</td><td>{_num(w.rms_x)}</td>"
                     f"<td>{_num(w.rms_y)}</td><td>{_num(w.range_x)}</td><td>{_num(w.range_y)}</td>"
                     f"<td>{_num(w.path_length)}</td><td>{_num(w.mean_speed)}</td></tr>")
    parts.append("</table>")

    # key frames
    frames = [k for k in analysis.key_frames if k.jpeg]
    if frames:
        parts.append("<h2>Key frames</h2><div class=\"frames\">")
        for k in frames:
            data = base64.b64encode(k.jpeg).decode("ascii")
            parts.append(f'<figure><img class="key-frame" src="data:image/jpeg;base64,{data}" '
                         f'alt="frame {k.index}"><figcaption>{_e(k.label)}<br>frame {k.index}, '
                         f"{k.timestamp_ms / 1000:.2f} s</figcaption></figure>")
        parts.append("</div>")
    parts.append('<p class="note">Generated by movenet analyze.</p></body></html>')
    return "\n".join(parts)


def write_report(analysis: Analysis, path: str | Path) -> None:
    """Write :func:`render_html` to `path`."""
    Path(path).write_text(render_html(analysis), encoding="utf-8")
