"""Counting repetitions of a cyclic exercise from a joint-angle signal.

A rep is one excursion of the angle away from its resting level and back: for a squat the knee
angle dips from ~180 (standing) to its lowest point and comes back up (a *valley*), for an arm
raise the shoulder angle rises from ~10 to ~170 and falls back (a *peak*).

The counter is a two-state hysteresis machine. With ``polarity="valley"`` and thresholds
``(enter, exit)``, ``enter < exit``: in the *rest* state a sample below `enter` starts a rep; in the
*rep* state the lowest sample is tracked and the first sample above `exit` completes the rep. The
gap between the two thresholds keeps noise near one threshold from counting twice. ``"peak"``
mirrors this (``enter > exit``). ``NaN`` samples (frames where the angle is unknown) are skipped:
the state is held across the gap.

Without explicit thresholds they adapt to the signal: the resting and extreme levels are its 2nd
and 98th percentiles, and the thresholds sit either side of their midpoint, `hysteresis` (a fraction
of the range) apart. A signal whose range is under the exercise's `min_amplitude` has no reps (a
held position, or jitter, is not exercise).

A rep's start is where the signal last leaves its resting level before the `enter` crossing (the
resting level: within 10% of the range of the signal's 98th percentile, for a valley), its end where
it first regains it after the `exit` crossing; reps that follow each other without a pause at rest
are split at the turning point between them. A rep still under way when the recording ends (or already
under way when it starts: the first sample is not at the resting level) is returned with
``complete=False``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np

from movenet.analysis.angles import stack_signal

__all__ = [
    "EXERCISES",
    "Exercise",
    "Polarity",
    "Rep",
    "count_reps",
    "exercise_signal",
    "get_exercise",
    "rep_thresholds",
]

Polarity = Literal["valley", "peak"]

#: Default hysteresis: the adaptive thresholds are this fraction of the signal's range apart.
DEFAULT_HYSTERESIS = 0.3
#: Percentiles taken as the signal's low and high levels (robust to a stray frame).
_LEVEL_PERCENTILES = (2.0, 98.0)
#: A rep starts and ends where the signal is within this fraction of its range of its resting level.
_REST_BAND = 0.1


@dataclass(frozen=True)
class Exercise:
    """How to count one exercise: `signal` names the angles (keys of
    :func:`movenet.analysis.joint_angles`) averaged into the rep signal, `polarity` whether a rep
    is a dip (``"valley"``) or a rise (``"peak"``) of it, `min_amplitude` the smallest range, in
    degrees, that counts as movement when the thresholds adapt to the signal."""

    name: str
    signal: tuple[str, ...]
    polarity: Polarity
    min_amplitude: float
    description: str


EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in (
        Exercise("squat", ("knee",), "valley", 30.0, "knee angle (hip-knee-ankle) dips from ~180 while standing"),
        Exercise("pushup", ("elbow",), "valley", 30.0, "elbow angle (shoulder-elbow-wrist) dips from ~180 at the top"),
        Exercise("arm_raise", ("shoulder",), "peak", 40.0,
                 "shoulder angle (hip-shoulder-elbow) rises from ~10 with the arm down"),
        Exercise("sit_to_stand", ("hip", "knee"), "peak", 30.0,
                 "mean of hip and knee angles rises from ~90 seated to ~180 standing"),
    )
}


def get_exercise(exercise: str | Exercise) -> Exercise:
    """The :class:`Exercise` for a name of :data:`EXERCISES` (or the exercise itself)."""
    if isinstance(exercise, Exercise):
        return exercise
    key = str(exercise).lower().replace("-", "_")
    key = {"push_up": "pushup", "sit_stand": "sit_to_stand", "armraise": "arm_raise"}.get(key, key)
    if key not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; choose one of {', '.join(EXERCISES)}")
    return EXERCISES[key]


def exercise_signal(angles: Mapping[str, np.ndarray], exercise: str | Exercise) -> np.ndarray:
    """The rep signal of `exercise`: the frame-by-frame mean of its angles over those known."""
    return stack_signal(angles, get_exercise(exercise).signal)


@dataclass(frozen=True)
class Rep:
    """One repetition. Indices are frame indices into the signal, times in milliseconds, angles
    in degrees. `depth` is the rep's extreme angle (the lowest for a valley, e.g. a squat's
    deepest knee angle; the highest for a peak), reached at `bottom_index`; `amplitude` how far the
    angle travelled from its value at the rep's start or end (whichever is further). `complete`
    is ``False`` for a rep cut off by the start or end of the recording."""

    number: int
    start_index: int
    bottom_index: int
    end_index: int
    start_ms: float
    bottom_ms: float
    end_ms: float
    depth: float
    amplitude: float
    complete: bool

    @property
    def duration_s(self) -> float:
        return (self.end_ms - self.start_ms) / 1000.0

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "start_index": self.start_index,
            "bottom_index": self.bottom_index,
            "end_index": self.end_index,
            "start_ms": self.start_ms,
            "bottom_ms": self.bottom_ms,
            "end_ms": self.end_ms,
            "duration_s": self.duration_s,
            "depth": self.depth,
            "amplitude": self.amplitude,
            "complete": self.complete,
        }


def _options(
    exercise: str | Exercise | None, polarity: str | None, min_amplitude: float | None
) -> tuple[Polarity, float]:
    spec = get_exercise(exercise) if exercise is not None else None
    pol = polarity if polarity is not None else (spec.polarity if spec else "valley")
    if pol not in ("valley", "peak"):
        raise ValueError(f"polarity must be 'valley' or 'peak', not {pol!r}")
    amp = min_amplitude if min_amplitude is not None else (spec.min_amplitude if spec else 20.0)
    if not (math.isfinite(amp) and amp >= 0):
        raise ValueError(f"min_amplitude must be a number >= 0, not {amp!r}")
    return cast(Polarity, pol), float(amp)


def _as_arrays(signal: Sequence[float] | np.ndarray, timestamps_ms: Sequence[float] | np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(signal, dtype=np.float64)
    t = np.asarray(timestamps_ms, dtype=np.float64)
    if x.ndim != 1 or t.shape != x.shape:
        raise ValueError(f"signal and timestamps_ms must be 1-D and of one length, got {x.shape} and {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("timestamps_ms must be finite")
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("timestamps_ms must increase")
    return x, t


def rep_thresholds(
    signal: Sequence[float] | np.ndarray,
    *,
    exercise: str | Exercise | None = None,
    thresholds: tuple[float, float] | None = None,
    polarity: str | None = None,
    hysteresis: float = DEFAULT_HYSTERESIS,
    min_amplitude: float | None = None,
) -> tuple[float, float] | None:
    """The ``(enter, exit)`` thresholds :func:`count_reps` uses on `signal`, or ``None`` when the
    signal moves too little to hold reps (adaptive thresholds only). See :func:`count_reps`."""
    pol, min_amp = _options(exercise, polarity, min_amplitude)
    if thresholds is not None:
        enter, leave = (float(v) for v in thresholds)
        if not (math.isfinite(enter) and math.isfinite(leave)):
            raise ValueError(f"thresholds must be finite numbers, not {thresholds!r}")
        if (pol == "valley" and not enter < leave) or (pol == "peak" and not enter > leave):
            need = "enter < exit" if pol == "valley" else "enter > exit"
            raise ValueError(f"thresholds (enter, exit) = {thresholds!r}: a {pol} needs {need}")
        return enter, leave
    if not (math.isfinite(hysteresis) and 0 <= hysteresis < 1):
        raise ValueError(f"hysteresis must be a fraction from 0 to below 1, not {hysteresis!r}")
    x = np.asarray(signal, dtype=np.float64)
    known = x[np.isfinite(x)]
    if known.size < 3:
        return None
    low, high = (float(v) for v in np.percentile(known, _LEVEL_PERCENTILES))
    amplitude = high - low
    if amplitude < max(min_amp, 1e-9):
        return None
    mid, half = (low + high) / 2.0, hysteresis * amplitude / 2.0
    return (mid - half, mid + half) if pol == "valley" else (mid + half, mid - half)


def count_reps(
    signal: Sequence[float] | np.ndarray,
    timestamps_ms: Sequence[float] | np.ndarray,
    *,
    exercise: str | Exercise | None = None,
    thresholds: tuple[float, float] | None = None,
    polarity: str | None = None,
    hysteresis: float = DEFAULT_HYSTERESIS,
    min_amplitude: float | None = None,
) -> list[Rep]:
    """The repetitions in an angle `signal` (degrees, one value per frame, ``NaN`` = unknown)
    sampled at `timestamps_ms` (increasing).

    `exercise` (``"squat"``, ``"pushup"``, ``"arm_raise"``, ``"sit_to_stand"``, see
    :data:`EXERCISES`) sets the polarity and minimum amplitude; `polarity` (``"valley"`` or
    ``"peak"``) and `min_amplitude` (degrees) override them (defaults without an exercise:
    ``"valley"``, 20). `thresholds` ``(enter, exit)`` fixes the thresholds in degrees (``enter <
    exit`` for a valley); without it they adapt to the signal, `hysteresis` times its range apart.
    See the module docstring for the state machine. Complete and cut-off reps are both returned;
    ``sum(r.complete for r in reps)`` counts the complete ones."""
    x, t = _as_arrays(signal, timestamps_ms)
    pol, _ = _options(exercise, polarity, min_amplitude)
    limits = rep_thresholds(x, exercise=exercise, thresholds=thresholds, polarity=polarity,
                            hysteresis=hysteresis, min_amplitude=min_amplitude)
    valid = np.flatnonzero(np.isfinite(x))
    if limits is None or valid.size == 0:
        return []
    # Work on a valley: a peak is a valley of the negated signal.
    sign = 1.0 if pol == "valley" else -1.0
    y = sign * x[valid]
    tv = t[valid]
    enter, leave = sign * limits[0], sign * limits[1]

    # 1. The state machine: (enter crossing, extreme, exit crossing or None, cut off at the start).
    events: list[tuple[int, int, int | None, bool]] = []
    in_rep = bool(y[0] < enter)
    first, bottom, cut_start = 0, 0, in_rep
    for k in range(y.size):
        if not in_rep:
            if y[k] < enter:
                in_rep, first, bottom, cut_start = True, k, k, False
        else:
            if y[k] < y[bottom]:
                bottom = k
            if y[k] > leave:
                events.append((first, bottom, k, cut_start))
                in_rep = False
    if in_rep:
        events.append((first, bottom, None, cut_start))

    # 2. Where each rep leaves and regains the resting level (within a tenth of the range of the
    # signal's high level): the last such sample before the enter crossing and the first after the
    # exit crossing. Without a pause at rest between reps, the turning point between them.
    low, high = np.percentile(y, _LEVEL_PERCENTILES)
    rest = float(high) - _REST_BAND * float(high - low)
    spans: list[tuple[int, int, int, bool]] = []
    previous_exit = 0
    for n, (cross_in, bottom, cross_out, cut) in enumerate(events):
        if cut:
            start = 0
        else:
            before = np.arange(previous_exit, cross_in + 1)
            at_rest = before[y[before] >= rest]
            start = int(at_rest[-1]) if at_rest.size else int(before[np.argmax(y[before])])
        if cross_out is None:
            end = y.size - 1
        else:
            stop = events[n + 1][0] if n + 1 < len(events) else y.size - 1
            after = np.arange(cross_out, stop + 1)
            at_rest = after[y[after] >= rest]
            end = int(at_rest[0]) if at_rest.size else int(after[np.argmax(y[after])])
            previous_exit = cross_out
        # A rep seen only from the first sample, which is not at rest, was already under way.
        seen_start = not cut and (start > 0 or bool(y[0] >= rest))
        spans.append((start, bottom, end, cross_out is not None and seen_start))

    reps = []
    for number, (s, b, e, complete) in enumerate(spans, start=1):
        depth = float(sign * y[b])
        amplitude = float(max(y[s], y[e]) - y[b])
        reps.append(Rep(number, int(valid[s]), int(valid[b]), int(valid[e]), float(tv[s]), float(tv[b]),
                        float(tv[e]), depth, amplitude, complete))
    return reps
