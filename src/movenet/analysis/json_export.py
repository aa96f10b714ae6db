"""The analysis as JSON-ready data (plain types, ``NaN`` as ``null``) and as a JSON file."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from movenet.analysis.result import Analysis

__all__ = ["analysis_to_json", "write_json"]


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
    thresholds, the reps, the range of motion of every angle, sway, and the per-frame angles;
    for models with 3D keypoints also ``rom_3d`` and ``angles_3d`` (the same angles in space)."""
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
    if analysis.angles_3d is not None and analysis.rom_3d is not None:
        # From the 3D keypoints (metres), only for models that have them (BlazePose).
        doc["rom_3d"] = {name: r.to_dict() for name, r in analysis.rom_3d.items()}
        doc["angles_3d"] = {name: _rounded(v) for name, v in analysis.angles_3d.items()}
    cleaned: dict[str, Any] = _clean(doc)
    return cleaned


def write_json(analysis: Analysis, path: str | Path) -> None:
    """Write :func:`analysis_to_json` to `path` (``"-"``: stdout)."""
    text = json.dumps(analysis_to_json(analysis), indent=1, allow_nan=False)
    if str(path) == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")
