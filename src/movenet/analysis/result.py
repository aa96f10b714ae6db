"""The result of analysing one recording: the :class:`Analysis` record and its :class:`KeyFrame` images."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movenet.analysis.balance import Sway
from movenet.analysis.reps import Exercise, Rep
from movenet.analysis.rom import ROM
from movenet.types import Pose

__all__ = ["Analysis", "KeyFrame"]


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
    #: The same angles from the 3D keypoints (metres) and their range of motion; None for models
    #: without 3D keypoints.
    angles_3d: dict[str, np.ndarray] | None = None
    rom_3d: dict[str, ROM] | None = None

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
