"""The TF.js reference's own COCO results for BlazePose and PoseNet on ``coco_subset``, taken from
the oracle fixtures the family parity tests already use (``tests/fixtures/oracle/
blazepose_{lite,full,heavy}_images.json``, ``posenet_{single,multi}.json``: every image
independent, the reference's defaults; BlazePose with smoothing off, which does not move x, y on
a single frame). The 17 COCO keypoints are taken by name from BlazePose's 33."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from movenet.skeletons import BLAZEPOSE_33, COCO_17

ORACLE = Path(__file__).resolve().parents[2] / "fixtures" / "oracle"
CASE_PREFIX = "stills/coco_subset/"
#: model -> (fixture, keypoint layout of its records)
FIXTURES = {
    "blazepose-lite": ("blazepose_lite_images.json", "blazepose"),
    "blazepose-full": ("blazepose_full_images.json", "blazepose"),
    "blazepose-heavy": ("blazepose_heavy_images.json", "blazepose"),
    "posenet": ("posenet_single.json", "posenet"),
    "posenet-multi": ("posenet_multi.json", "posenet"),  # --max-poses 5
}
_COCO_IN_BLAZEPOSE = [BLAZEPOSE_33.index_of(name) for name in COCO_17.keypoint_names]


def _coco_keypoints(pose: dict[str, Any], layout: str) -> list[float]:
    if layout == "blazepose":  # kp: x, y, z, score per keypoint
        kp = pose["kp"]
        return [float(v) for i in _COCO_IN_BLAZEPOSE for v in (kp[4 * i], kp[4 * i + 1], kp[4 * i + 3])]
    return [float(v) for k in pose["keypoints"] for v in k[:3]]  # posenet: [x, y, score] x 17


def reference_results(model: str, file_names: dict[str, int]) -> list[dict[str, Any]]:
    """COCO keypoint results of the reference for `model` on the images `file_names` (name -> id)."""
    fixture, layout = FIXTURES[model]
    doc = json.loads((ORACLE / fixture).read_text())
    results = []
    for frame in doc["frames"]:
        case = frame["case"]
        if not case.startswith(CASE_PREFIX) or case[len(CASE_PREFIX):] not in file_names:
            continue
        image_id = file_names[case[len(CASE_PREFIX):]]
        for pose in frame["poses"]:
            results.append({"image_id": image_id, "category_id": 1, "keypoints": _coco_keypoints(pose, layout),
                            "score": float(pose["score"])})
    return results
