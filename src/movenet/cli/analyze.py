"""`movenet analyze`: movement analysis of an exercise video (reps, range of motion, sway, report).

  movenet analyze VIDEO --exercise squat|pushup|arm_raise|sit_to_stand [--model lightning|thunder]
                  [--report OUT.html] [--json METRICS.json|-]

Registered on the `movenet` parser by :func:`add_analyze_parser`. Exit codes as for the other
commands: 0 success, 2 bad input (a video that cannot be read, one damaged part way -- analysed up to
the damage --, or no person found in any frame), 1 other errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from movenet.analysis.report import analyze_video, reps_summary, write_json, write_report
from movenet.analysis.reps import DEFAULT_HYSTERESIS, EXERCISES, rep_thresholds
from movenet.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Progress,
    add_model_option,
    error,
    model_names,
    positive_int,
    positive_number,
)
from movenet.registry import MODELS

__all__ = ["add_analyze_parser", "cmd_analyze"]


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction from 0 to below 1, not {text}")
    return value


def add_analyze_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``analyze`` command to the `subparsers` of the `movenet` parser; returns its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "analyze",
        help="exercise analysis of a video: joint angles, range of motion, reps, sway, HTML report",
        description="Detect the pose in every frame of VIDEO (smoothed), then measure joint angles, range of "
                    "motion, repetitions of the exercise and sway. Prints a summary; --report writes a "
                    "self-contained HTML report, --json all the numbers.",
    )
    p.add_argument("video", metavar="VIDEO", help="video file (mp4, mov, webm, gif, ...)")
    p.add_argument("--exercise", default="squat", choices=sorted(EXERCISES),
                   help="the exercise whose reps to count (default squat)")
    add_model_option(p, model_names(lambda name: MODELS[name].single_person))
    p.add_argument("--report", metavar="OUT.html", help="write the HTML report (plots, tables, key frames)")
    p.add_argument("--json", metavar="PATH", help="write all the numbers as JSON ('-' = stdout)")
    p.add_argument("--thresholds", nargs=2, type=float, metavar=("ENTER", "EXIT"),
                   help="rep thresholds in degrees (default: adapt to the signal); for a squat or push-up "
                        "ENTER < EXIT, e.g. 130 155")
    p.add_argument("--hysteresis", type=_fraction, default=DEFAULT_HYSTERESIS,
                   help="gap between the adaptive thresholds, as a fraction of the angle's range "
                        f"(default {DEFAULT_HYSTERESIS})")
    p.add_argument("--window", type=positive_number("seconds"), default=5.0, metavar="SECONDS",
                   help="sway window length (default 5)")
    p.add_argument("--min-score", type=float, default=0.3, help="ignore keypoints scoring below this (0.3)")
    p.add_argument("--model-dir", help="folder with the TF.js model files (default: $MOVENET_MODEL_DIR "
                   "or the user cache, fetched on first use)")
    p.add_argument("--threads", type=positive_int, default=None, help="inference threads (default: all cores)")
    p.set_defaults(func=cmd_analyze)
    return p


def _summary(analysis: Any) -> str:
    spec = analysis.exercise
    word = "deepest" if spec.polarity == "valley" else "highest"
    lines = [f"{analysis.source}: {spec.name}, {reps_summary(analysis)} in {analysis.duration_s:.1f} s "
             f"({analysis.frames_with_pose}/{analysis.timestamps_ms.size} frames with a person)"]
    if analysis.reps:
        lines.append(f"{'rep':>4} {'start':>8} {'end':>8} {'duration':>9} {word + ' ' + analysis.signal_name:>14}")
        for r in analysis.reps:
            flag = "" if r.complete else "  (cut off)"
            lines.append(f"{r.number:>4} {r.start_ms / 1000:>7.2f}s {r.end_ms / 1000:>7.2f}s "
                         f"{r.duration_s:>8.2f}s {r.depth:>13.1f}\u00b0{flag}")
    rom_3d = analysis.rom_3d
    lines.append("range of motion (degrees, min-max = range" + ("; 3D: from the 3D keypoints):" if rom_3d else "):"))
    for name, rom in analysis.rom.items():
        text = f"{rom.min:6.1f} - {rom.max:6.1f} = {rom.range:6.1f}" if rom.frames else "never seen"
        if rom_3d is not None:
            r3 = rom_3d[name]
            text = f"{text:<24}  3D " + (f"{r3.min:6.1f} - {r3.max:6.1f} = {r3.range:6.1f}" if r3.frames
                                         else "never seen")
        lines.append(f"  {name:<15} {text}")
    if analysis.sway.overall is not None:
        o = analysis.sway.overall
        lines.append(f"sway ({analysis.sway.point}, torso lengths): RMS {o.rms:.3f}, range x {o.range_x:.3f}, "
                     f"range y {o.range_y:.3f}, path {o.path_length:.3f}")
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    thresholds = (args.thresholds[0], args.thresholds[1]) if args.thresholds else None
    if thresholds is not None:  # a wrong order fails now, not after the detection pass
        rep_thresholds([], exercise=args.exercise, thresholds=thresholds)
    progress = Progress(None)
    try:
        analysis = analyze_video(args.video, args.exercise, model=args.model, min_score=args.min_score,
                                 thresholds=thresholds, hysteresis=args.hysteresis, window_s=args.window,
                                 key_frames=args.report is not None, model_dir=args.model_dir,
                                 threads=args.threads, progress=progress.update)
    finally:
        progress.close()
    status = EXIT_OK
    if analysis.error:
        error(analysis.error)
        status = EXIT_BAD_INPUT
    if not analysis.frames_with_pose:
        error(f"{args.video}: no person detected in any frame")
        status = EXIT_BAD_INPUT
    if args.report:
        write_report(analysis, args.report)
    if args.json:
        write_json(analysis, args.json)
    summary = _summary(analysis)
    if args.report:
        summary += f"\nreport: {args.report}"
    print(summary, file=sys.stderr if args.json == "-" else sys.stdout)
    return status
