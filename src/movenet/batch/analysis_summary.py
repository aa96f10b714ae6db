"""``--analyze``: one table over all analysed recordings, ``_analysis_summary.csv``, built from the
analysis JSON written beside each video's output (so inputs skipped on a rerun are in it too)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from movenet.batch.outputs import replace_atomically, temporary_path

__all__ = ["SUMMARY_NAME", "SUMMARY_COLUMNS", "summary_row", "write_summary"]

SUMMARY_NAME = "_analysis_summary.csv"
SUMMARY_COLUMNS = ("source", "exercise", "frames", "frames_with_pose", "duration_s", "reps", "complete_reps",
                   "mean_rep_s", "mean_depth_deg", "signal", "signal_min_deg", "signal_max_deg", "signal_range_deg",
                   "sway_rms", "sway_path_length")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summary_row(doc: dict[str, Any]) -> dict[str, Any]:
    """The summary line of one analysis (the JSON of ``movenet.analysis.analysis_to_json``)."""
    items = doc.get("reps", {}).get("items", [])
    signal = doc.get("signal", {}).get("angles", [])
    rom = doc.get("rom", {}).get(signal[0], {}) if len(signal) == 1 else {}
    overall = (doc.get("sway") or {}).get("overall") or {}
    return {
        "source": doc.get("source"), "exercise": doc.get("exercise"), "frames": doc.get("frames"),
        "frames_with_pose": doc.get("frames_with_pose"), "duration_s": doc.get("duration_s"),
        "reps": doc.get("reps", {}).get("count"), "complete_reps": doc.get("reps", {}).get("complete"),
        "mean_rep_s": _mean([r["duration_s"] for r in items if r.get("duration_s") is not None]),
        "mean_depth_deg": _mean([r["depth"] for r in items if r.get("depth") is not None]),
        "signal": "+".join(signal), "signal_min_deg": rom.get("min"), "signal_max_deg": rom.get("max"),
        "signal_range_deg": rom.get("range"), "sway_rms": overall.get("rms"),
        "sway_path_length": overall.get("path_length"),
    }


def write_summary(out: Path, analysis_files: Iterable[str]) -> Path:
    """Write the summary of the analyses at `analysis_files` (relative to `out`); returns its path."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_COLUMNS)
    writer.writeheader()
    for name in analysis_files:
        try:
            doc = json.loads((out / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        writer.writerow({k: ("" if v is None else v) for k, v in summary_row(doc).items()})
    path = out / SUMMARY_NAME
    tmp = temporary_path(path)
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    replace_atomically(tmp, path)
    return path
