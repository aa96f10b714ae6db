"""Analysing a whole recording: angles, range of motion, reps and sway from poses or from a video."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from movenet import api  # called as api.create_detector: one patch point for tests
from movenet.analysis.angles import PosesInput, joint_angles, joint_angles_3d, select_pose
from movenet.analysis.balance import sway
from movenet.analysis.key_frames import choose_key_frames, fill_key_frames
from movenet.analysis.reps import DEFAULT_HYSTERESIS, Exercise, count_reps, exercise_signal, get_exercise
from movenet.analysis.reps import rep_thresholds as _rep_thresholds
from movenet.analysis.result import Analysis
from movenet.analysis.rom import range_of_motion
from movenet.api import PoseDetector
from movenet.io.video import VideoError, open_source
from movenet.types import Pose

__all__ = ["analyze_poses", "analyze_video"]


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
    (one entry per frame, as for :func:`movenet.analysis.joint_angles`); for poses with 3D
    keypoints also the 3D angles and their range of motion (reps are counted on the 2D angles,
    as for every model)."""
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
    angles_3d = joint_angles_3d(poses_per_frame, min_score)
    return Analysis(source=source, exercise=spec, timestamps_ms=t, poses=_as_pose_lists(poses_per_frame),
                    angles=angles, signal=signal, thresholds=limits, reps=reps, rom=rom, sway=balance,
                    min_score=min_score, angles_3d=angles_3d,
                    rom_3d=range_of_motion(angles_3d, t) if angles_3d is not None else None)


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
    spec = get_exercise(exercise)
    source = open_source(video)
    try:
        if detector is None:
            detector = api.create_detector(model, model_dir=model_dir, threads=threads)
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
        analysis.key_frames = choose_key_frames(analysis)
        fill_key_frames(analysis, video)
    return analysis
