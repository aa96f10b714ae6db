"""Movement analysis from poses: joint angles, range of motion, rep counting, sway, HTML report.

    from movenet.analysis import joint_angles, range_of_motion, count_reps, sway

    angles = joint_angles(poses_per_frame)              # {"left_knee": array of N degrees, ...}
    rom = range_of_motion(angles, timestamps_ms)        # {"left_knee": ROM(min, max, range, ...), ...}
    reps = count_reps(angles["knee"], timestamps_ms, exercise="squat")
    balance = sway(poses_per_frame, timestamps_ms, window_s=5.0)

or, for a whole video with its report: ``analyze_video("squats.mp4", "squat")`` then
``write_report(analysis, "report.html")`` (the ``movenet analyze`` command).
"""

from movenet.analysis.angles import (
    ANGLE_NAMES,
    JOINTS,
    angle_between,
    joint_angles,
    keypoint_array,
    pose_angles,
    tilt_from_vertical,
)
from movenet.analysis.balance import Sway, SwayWindow, sway
from movenet.analysis.json_export import analysis_to_json, write_json
from movenet.analysis.recording import analyze_poses, analyze_video
from movenet.analysis.report import render_html, write_report
from movenet.analysis.reps import EXERCISES, Exercise, Rep, count_reps, exercise_signal, rep_thresholds
from movenet.analysis.result import Analysis
from movenet.analysis.rom import ROM, range_of_motion

__all__ = [
    "ANGLE_NAMES",
    "EXERCISES",
    "JOINTS",
    "ROM",
    "Analysis",
    "Exercise",
    "Rep",
    "Sway",
    "SwayWindow",
    "analysis_to_json",
    "analyze_poses",
    "analyze_video",
    "angle_between",
    "count_reps",
    "exercise_signal",
    "joint_angles",
    "keypoint_array",
    "pose_angles",
    "range_of_motion",
    "rep_thresholds",
    "render_html",
    "sway",
    "tilt_from_vertical",
    "write_json",
    "write_report",
]
