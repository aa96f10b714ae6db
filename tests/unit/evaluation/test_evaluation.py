"""`movenet eval`: COCO keypoint scoring, PCK, protocol filters, problems, and our AP against the
AP of the TF.js reference's own detections (tests/fixtures/oracle/eval_*.json, made by
scripts/make_eval_reference.py) on the val2017 images of ../shared/data/coco_subset."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from movenet.cli.eval import add_eval_parser
from movenet.cli.main import example_image
from movenet.evaluation import (
    KeypointDataset,
    count_false_positives,
    detect_images,
    evaluate_results,
    format_report,
    load_dataset_image,
    load_keypoint_dataset,
    oks,
    pck,
    poses_to_results,
    run_evaluation,
    select_images,
    torso_size,
)
from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.types import KEYPOINT_NAMES, Keypoint, Pose

from conftest import FIXTURES, SHARED_DATA, get_network
from transforms import rgb_sha256

AP_TOLERANCE = 0.005  # 0.5 AP points
MODELS = ("lightning", "thunder", "multipose")


# --- hand-made annotations ------------------------------------------------------------------------

def _person(image_id: int, ann_id: int, points: dict[int, tuple[float, float]], *, iscrowd: int = 0,
            area: float = 10000.0) -> dict[str, Any]:
    kps = [0.0] * 51
    for j, (x, y) in points.items():
        kps[3 * j: 3 * j + 3] = [x, y, 2]
    return {"id": ann_id, "image_id": image_id, "category_id": 1, "iscrowd": iscrowd, "keypoints": kps,
            "num_keypoints": len(points), "area": area, "bbox": [0, 0, 100, 100]}


# A standing person: nose, shoulders (5, 6), hips (11, 12), ankles (15, 16).
BODY = {0: (50.0, 10.0), 5: (40.0, 30.0), 6: (60.0, 30.0), 11: (42.0, 70.0), 12: (58.0, 70.0),
        15: (42.0, 120.0), 16: (58.0, 120.0)}


def _prediction(points: dict[int, tuple[float, float]], dx: float = 0.0, fill: float = 500.0) -> np.ndarray:
    pred = np.full((17, 3), fill)
    pred[:, 2] = 0.9
    for j, (x, y) in points.items():
        pred[j, :2] = (x + dx, y)
    return pred


def _result(image_id: int, pred: np.ndarray, score: float = 0.8) -> dict[str, Any]:
    return {"image_id": image_id, "category_id": 1, "keypoints": pred.ravel().tolist(), "score": score}


def _dataset(images: list[dict[str, Any]], annotations: list[dict[str, Any]]) -> KeypointDataset:
    return KeypointDataset.from_dict({"images": images, "annotations": annotations,
                                      "categories": [{"id": 1, "name": "person"}]})


def test_torso_size_is_mean_of_labelled_diagonals() -> None:
    ann = _person(1, 1, BODY)
    d1 = np.hypot(40 - 58, 30 - 70)  # left shoulder - right hip
    d2 = np.hypot(60 - 42, 30 - 70)  # right shoulder - left hip
    assert torso_size(ann["keypoints"]) == pytest.approx((d1 + d2) / 2)
    one = {k: v for k, v in BODY.items() if k != 11}  # no left hip: only left shoulder - right hip
    assert torso_size(_person(1, 1, one)["keypoints"]) == pytest.approx(d1)
    assert torso_size(_person(1, 1, {0: (1.0, 1.0), 5: (2.0, 2.0)})["keypoints"]) is None


def test_pck_counts_labelled_keypoints_within_a_fifth_of_the_torso() -> None:
    ann = _person(1, 1, BODY)
    torso = torso_size(ann["keypoints"])
    assert torso is not None
    near = pck({1: [ann]}, {1: [_prediction(BODY, dx=0.19 * torso)]})
    far = pck({1: [ann]}, {1: [_prediction(BODY, dx=0.21 * torso)]})
    assert near["pck"] == 1.0 and far["pck"] == 0.0
    assert near["keypoints"]["nose"] == {"correct": 1, "total": 1, "pck": 1.0}
    assert near["keypoints"]["left_wrist"] == {"correct": 0, "total": 0, "pck": None}  # unlabelled: not counted
    assert sum(row["total"] for row in near["keypoints"].values()) == len(BODY)
    # No prediction in the image: every labelled keypoint is wrong.
    missed = pck({1: [ann]}, {})
    assert missed["pck"] == 0.0 and missed["people"] == 1


def test_pck_matches_each_person_to_its_best_oks_prediction_and_skips_crowd_and_torsoless() -> None:
    a = _person(1, 1, BODY)
    b_points = {j: (x + 200, y) for j, (x, y) in BODY.items()}
    b = _person(1, 2, b_points)
    crowd = _person(1, 3, BODY, iscrowd=1)
    headless = _person(1, 4, {0: (10.0, 10.0), 1: (12.0, 8.0)})
    preds = [_prediction(b_points), _prediction(BODY)]
    assert oks(preds[1], a) == pytest.approx(1.0) and oks(preds[0], a) < 0.01
    result = pck({1: [a, b, crowd, headless]}, {1: preds})
    assert result["pck"] == 1.0
    assert result["people"] == 2 and result["people_without_torso"] == 1
    # A single-pose model's one pose is every person's match: the other person's keypoints are wrong.
    single = pck({1: [a, b]}, {1: [preds[1]]})
    assert single["pck"] == 0.5


def test_protocol_filters_and_splits() -> None:
    images = [
        {"id": 1, "file_name": "one.jpg", "coco_split": "val2017"},  # one person with keypoints
        {"id": 2, "file_name": "two.jpg", "coco_split": "val2017"},  # plus a person without keypoints
        {"id": 3, "file_name": "crowd.jpg", "coco_split": "val2017"},  # plus a crowd region
        {"id": 4, "file_name": "nokp.jpg", "coco_split": "val2017"},  # one person, no keypoints
        {"id": 5, "file_name": "empty.jpg", "coco_split": "val2017"},  # nobody
        {"id": 6, "file_name": "train.jpg", "coco_url": "http://images.cocodataset.org/train2017/6.jpg"},
        {"id": 7, "file_name": "nosplit.jpg"},
    ]
    anns = [
        _person(1, 10, BODY),
        _person(2, 20, BODY), _person(2, 21, {}),
        _person(3, 30, BODY), _person(3, 31, BODY, iscrowd=1),
        _person(4, 40, {}),
        _person(6, 60, BODY),
        _person(7, 70, BODY),
    ]
    ds = _dataset(images, anns)
    assert not ds.problems
    assert select_images(ds, "multi") == [1, 2, 3, 4, 5, 6, 7]
    assert select_images(ds, "single") == [1, 6, 7]
    assert select_images(ds, "single", "val2017") == [1]
    assert select_images(ds, "multi", "train2017") == [6]
    assert select_images(ds, "multi", "val2017") == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="protocol"):
        select_images(ds, "pairs")


def test_coco_ap_of_perfect_missing_and_foreign_results() -> None:
    pytest.importorskip("pycocotools")
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480} for i in (1, 2)]
    ds = _dataset(images, [_person(1, 10, BODY), _person(2, 20, BODY)])
    perfect = [_result(1, _prediction(BODY)), _result(2, _prediction(BODY))]
    report = evaluate_results(ds, perfect, [1, 2])
    assert report["coco"]["AP"] == pytest.approx(1.0) and report["coco"]["AR"] == pytest.approx(1.0)
    assert report["coco"]["APm"] is None  # area 10000 > 96**2 is "large": nothing to score in "medium"
    assert report["counts"] == {"images": 2, "people": 2, "people_without_keypoints": 0, "crowd_regions": 0,
                                "labelled_keypoints": 14, "detections": 2, "images_with_detections": 2}
    assert evaluate_results(ds, [], [1, 2])["coco"]["AP"] == 0.0
    # Only image 1 scored: image 2's result is ignored.
    foreign = [_result(2, _prediction(BODY, dx=300))]
    assert evaluate_results(ds, perfect[:1] + foreign, [1])["coco"]["AP"] == pytest.approx(1.0)
    half = evaluate_results(ds, perfect[:1], [1, 2])
    assert half["coco"]["AR"] == pytest.approx(0.5)
    assert "AP50" in format_report({**half, "model": "m", "protocol": "multi", "split": "all",
                                    "counts": {**half["counts"], "images_selected": 2, "images_in_split": 2,
                                               "images_failed": 0}})


def test_dataset_problems_are_listed_not_fatal(tmp_path: Path) -> None:
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}, {"file_name": "c.jpg"}],
        "annotations": [_person(1, 1, BODY), _person(99, 2, BODY), {**_person(1, 3, BODY), "keypoints": [1, 2]},
                        {**_person(1, 4, BODY), "category_id": 5}],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(doc))
    ds = load_keypoint_dataset(path)
    assert [p.kind for p in ds.problems] == ["bad_image_entry", "bad_image_entry", "unknown_image_id",
                                             "bad_annotation"]
    assert [a["id"] for a in ds.annotations] == [1]  # category 5 is not a person: silently left out
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_keypoint_dataset(path)
    with pytest.raises(ValueError, match="cannot read"):
        load_keypoint_dataset(tmp_path / "absent.json")


class _StubDetector:
    model = "stub"
    min_pose_score = 0.25

    def __init__(self, scores: dict[tuple[int, int], list[float]]) -> None:
        self.scores = scores
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def estimate_poses(self, image: Any, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]:
        kps = tuple(Keypoint(1.0, 2.0, 0.5, name) for name in KEYPOINT_NAMES)
        return [Pose(kps, s) for s in self.scores.get(image.shape[:2], [])]


def test_count_false_positives(tmp_path: Path) -> None:
    from PIL import Image

    for name, size in (("a.png", (10, 20)), ("b.png", (30, 20)), ("c.png", (40, 20))):
        Image.new("RGB", size).save(tmp_path / name)
    (tmp_path / "d.png").write_bytes(b"broken")
    det = _StubDetector({(20, 10): [0.35, 0.27], (20, 30): [0.45]})
    report = count_false_positives(det, tmp_path)
    assert det.resets == 3
    assert (report["images"], report["images_with_pose"], report["poses"]) == (3, 2, 3)
    assert report["images_with_pose_at"] == {"0.25": 2, "0.3": 2, "0.4": 1, "0.5": 0}
    assert [r["file"] for r in report["false_positives"]] == ["b.png", "a.png"]
    assert [p["kind"] for p in report["problems"]] == ["unreadable_image"]


# --- a real run with broken inputs ----------------------------------------------------------------

def _lightning() -> SinglePoseDetector:
    return SinglePoseDetector(get_network("lightning"), INPUT_SIZES["lightning"], model="lightning")


def _broken_dataset(tmp_path: Path) -> tuple[Path, Path]:
    """Images: the example photo (ground truth = our own detection), a missing file, a corrupt
    file; plus an annotation for an image id that does not exist."""
    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(example_image(), images / "astronaut.jpg")
    (images / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    pose = _lightning().estimate_poses(load_dataset_image(images / "astronaut.jpg"))[0]
    points = {j: (k.x, k.y) for j, k in enumerate(pose.keypoints) if k.score > 0.3}
    assert len(points) >= 10
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
    gt = _person(1, 1, points, area=(max(xs) - min(xs)) * (max(ys) - min(ys)))
    doc = {
        "images": [{"id": 1, "file_name": "astronaut.jpg", "width": 512, "height": 512},
                   {"id": 2, "file_name": "missing.jpg", "width": 640, "height": 480},
                   {"id": 3, "file_name": "corrupt.jpg", "width": 640, "height": 480}],
        "annotations": [gt, _person(2, 2, BODY), _person(3, 3, BODY), _person(77, 4, BODY)],
        "categories": [{"id": 1, "name": "person"}],
    }
    ann_path = tmp_path / "ann.json"
    ann_path.write_text(json.dumps(doc))
    return ann_path, images


def test_run_with_missing_corrupt_and_unknown_reports_problems_and_scores_the_rest(tmp_path: Path) -> None:
    pytest.importorskip("pycocotools")
    ann_path, images = _broken_dataset(tmp_path)
    report, results = run_evaluation(_lightning(), ann_path, images, protocol="multi")
    kinds = sorted(p["kind"] for p in report["problems"])
    assert kinds == ["missing_image", "unknown_image_id", "unreadable_image"]
    assert report["counts"]["images_selected"] == 3 and report["counts"]["images_failed"] == 2
    assert report["counts"]["images"] == 1 and report["counts"]["people"] == 1
    assert [r["image_id"] for r in results] == [1]
    assert report["coco"]["AP"] == pytest.approx(1.0)
    assert report["pck"]["pck"] == 1.0


def test_eval_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pycocotools")
    import movenet.api

    ann_path, images = _broken_dataset(tmp_path)
    monkeypatch.setattr(movenet.api, "create_detector", lambda *a, **k: _lightning())
    parser = argparse.ArgumentParser(prog="movenet")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    saved = tmp_path / "results.json"
    args = parser.parse_args(["eval", "--json", "-", "--save-results", str(saved), "--protocol", "multi",
                              "--negatives", str(images), str(ann_path), str(images)])
    rc = args.func(args)
    out, err = capsys.readouterr()
    assert rc == 2  # problems were found; everything else was still scored
    doc = json.loads(out)
    assert doc["coco"]["AP"] == pytest.approx(1.0) and len(doc["problems"]) == 3
    assert doc["negatives"]["images"] == 1 and doc["negatives"]["images_with_pose"] == 1  # the astronaut
    assert "AP50" in err and "missing.jpg: no such file" in err  # table and problems on stderr
    assert [r["image_id"] for r in json.loads(saved.read_text())] == [1]
    # Usage errors
    for argv in (["eval"], ["eval", str(ann_path)], ["eval", str(ann_path), str(tmp_path / "nope")]):
        args = parser.parse_args(argv)
        assert args.func(args) == 2


# --- our AP against the TF.js reference's AP ------------------------------------------------------

_runs: dict[str, tuple[KeypointDataset, list[dict[str, Any]], dict[str, Any]]] = {}


def _reference_run(model: str) -> tuple[KeypointDataset, list[dict[str, Any]], dict[str, Any]]:
    """(dataset, our results, reference fixture) for `model` on the fixture's images, detected once."""
    if model not in _runs:
        if not SHARED_DATA.is_dir():
            pytest.skip(f"shared data folder {SHARED_DATA} is absent")
        pytest.importorskip("pycocotools")
        ref = json.loads((FIXTURES / "oracle" / f"eval_{model}.json").read_text())
        image_dir = SHARED_DATA / "coco_subset"
        dataset = load_keypoint_dataset(SHARED_DATA / ref["dataset"]["annotations"])
        ids = select_images(dataset, "multi", ref["dataset"]["split"])
        assert ids == [im["id"] for im in ref["images"]]
        for im in ref["images"]:  # the reference saw exactly the pixels we decode
            assert rgb_sha256(load_dataset_image(image_dir / im["file_name"])) == im["rgb_sha256"], im["file_name"]
        if model == "multipose":
            from movenet.families.movenet.multipose import MultiPoseDetector

            detector: Any = MultiPoseDetector(get_network("multipose"))
        else:
            detector = SinglePoseDetector(get_network(model), INPUT_SIZES[model], model=model)
        run = detect_images(detector, dataset, image_dir, ids)
        assert not run.problems and run.image_ids == ids
        _runs[model] = (dataset, poses_to_results(run.poses), ref)
    return _runs[model]


@pytest.mark.parity
@pytest.mark.parametrize("protocol", ["single", "multi"])
@pytest.mark.parametrize("model", MODELS)
def test_ap_matches_the_reference_detections(model: str, protocol: str) -> None:
    dataset, ours, ref = _reference_run(model)
    ids = select_images(dataset, protocol, ref["dataset"]["split"])
    got = evaluate_results(dataset, ours, ids)
    want = evaluate_results(dataset, ref["results"], ids)
    expected_counts = {"single": (17, 17), "multi": (44, 66)}[protocol]  # as in docs/accuracy.md
    assert (got["counts"]["images"], got["counts"]["people"]) == expected_counts
    assert got["counts"]["detections"] == want["counts"]["detections"]
    for name in ("AP", "AP50", "AP75", "AR"):
        assert got["coco"][name] == pytest.approx(want["coco"][name], abs=AP_TOLERANCE), name
    assert got["pck"]["pck"] == pytest.approx(want["pck"]["pck"], abs=0.01)
