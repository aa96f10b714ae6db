"""`movenet eval` with BlazePose and PoseNet: COCO keypoint AP on the 17 COCO keypoints, found by
name (BlazePose has 33), next to the TF.js reference's own AP on the same images
(:mod:`family_reference`, from the committed oracle fixtures)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from family_reference import reference_results

import movenet.evaluation as ev
from movenet.cli.main import main
from movenet.evaluation.coco import coco_keypoints
from movenet.skeletons import BLAZEPOSE_33, COCO_17
from movenet.types import Keypoint, Pose

from conftest import detector_on, get_network

pytest.importorskip("pycocotools")


def _annotations(shared_data: Path) -> Path:
    return shared_data / "coco_subset" / "person_keypoints.json"


def _file_ids(shared_data: Path) -> dict[str, int]:
    doc = json.loads(_annotations(shared_data).read_text())
    return {im["file_name"]: int(im["id"]) for im in doc["images"]}


def test_blazepose_poses_give_their_coco_keypoints_by_name() -> None:
    kps = tuple(Keypoint(x=float(i), y=0.0, score=1.0, name=n) for i, n in enumerate(BLAZEPOSE_33.keypoint_names))
    coco = coco_keypoints(Pose(keypoints=kps, score=1.0, skeleton=BLAZEPOSE_33))
    assert [k.name for k in coco] == list(COCO_17.keypoint_names)
    assert [int(k.x) for k in coco] == [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def test_eval_runs_for_blazepose_on_two_images(shared_data: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    get_network("blazepose-detector")
    get_network("blazepose-lite")
    doc = json.loads(_annotations(shared_data).read_text())
    keep = [im for im in doc["images"] if im.get("coco_split") == "val2017"][:2]
    ids = {im["id"] for im in keep}
    small = dict(doc, images=keep, annotations=[a for a in doc["annotations"] if a["image_id"] in ids])
    (tmp_path / "two.json").write_text(json.dumps(small))
    rc = main(["eval", "--model", "blazepose-lite", "--protocol", "multi", "--json", str(tmp_path / "r.json"),
               str(tmp_path / "two.json"), str(shared_data / "coco_subset")])
    assert rc == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["model"] == "blazepose-lite" and report["counts"]["images"] == 2
    assert report["counts"]["detections"] >= 1
    assert math.isfinite(report["coco"]["AP"]) and 0.0 <= report["coco"]["AP"] <= 1.0
    assert math.isfinite(report["pck"]["pck"])


@pytest.mark.parity
@pytest.mark.parametrize(("model", "protocol", "options", "reference"), [
    ("blazepose-full", "single", {}, "blazepose-full"),
    ("blazepose-lite", "multi", {}, "blazepose-lite"),
    ("posenet", "single", {}, "posenet"),
    ("posenet", "multi", {"max_poses": 5}, "posenet-multi"),
])
def test_our_ap_equals_the_reference_ap(shared_data: Path, model: str, protocol: str, options: dict[str, int],
                                        reference: str) -> None:
    """Same AP as the reference's detections, scored by the same code. The fixtures keep 4 decimals
    of the pose score, and BlazePose's scores are ties at 1.0000 there, so our scores are rounded
    the same way before ranking (unrounded, BlazePose's AP can differ by up to 0.9 points on
    this set: the tie order of COCOeval's ranking)."""
    dataset = ev.load_keypoint_dataset(_annotations(shared_data))
    ids = ev.select_images(dataset, protocol, "val2017")
    _, results = ev.run_evaluation(detector_on(model, **options), dataset, shared_data / "coco_subset",
                                   protocol=protocol, split="val2017")
    ours = [{**r, "score": round(r["score"], 4)} for r in results]
    theirs = reference_results(reference, _file_ids(shared_data))
    ours_ap = ev.evaluate_results(dataset, ours, ids)["coco"]
    ref_ap = ev.evaluate_results(dataset, theirs, ids)["coco"]
    for stat in ("AP", "AP50", "AP75", "AR"):
        assert ours_ap[stat] == pytest.approx(ref_ap[stat], abs=0.005), stat
