"""COCO keypoint evaluation of pose detections (``movenet eval``), built on lists of :class:`Pose`.

The score is the official COCO keypoint protocol, computed by ``pycocotools`` (``COCOeval(gt, dt,
"keypoints")``: OKS-based AP, AP50, AP75, APm, APl, AR, ...), plus per-keypoint PCK@0.2 of the
torso size. The pieces, usable on their own::

    dataset = load_keypoint_dataset("person_keypoints.json")       # COCO keypoint annotations
    ids = select_images(dataset, "single", split="val2017")        # the protocol's images
    run = detect_images(detector, dataset, "images/", ids)         # {image id: [Pose, ...]} + problems
    results = poses_to_results(run.poses)                          # COCO results format
    report = evaluate_results(dataset, results, run.image_ids)     # AP..., PCK, counts

or all at once: ``run_evaluation(detector, "person_keypoints.json", "images/", protocol="single")``.

Definitions (also in ``docs/accuracy.md``):

* **Person annotations**: annotations of the person category (the category named ``person``, else
  id 1) with 51 keypoint numbers. COCOeval ignores crowd regions (``iscrowd=1``: detections on them
  are neither true nor false positives) and people with ``num_keypoints == 0``.
* **Protocol ``single``** (the MoveNet model card's "images which contain a single person"): the
  images whose only person annotation is one non-crowd person with ``num_keypoints > 0`` (an
  image with a second person annotation of any kind, a crowd region or a person without labelled
  keypoints, is left out). The detector sees the whole image.
* **Protocol ``multi``**: standard COCO, every image and every person. A single-pose model gives
  at most one detection per image, so it cannot find the other people (their recall counts as 0).
* **Detections**: every pose the detector returns (those below its ``min_pose_score`` are dropped
  by the detector, as in TF.js) becomes one COCO result: ``keypoints`` = ``[x, y, keypoint score]``
  x 17 in pixels, ``score`` = the pose score. Every image is independent: ``detector.reset()``
  before each one.
* **PCK@0.2**: a labelled keypoint (``v > 0``) of a non-crowd person is correct when the matched
  prediction's keypoint lies within ``0.2 x torso`` pixels of it, whatever that keypoint's score.
  ``torso`` is the mean of the person's two shoulder-to-opposite-hip distances
  (left shoulder-right hip, right shoulder-left hip) over those whose two ends are labelled; a
  person with neither pair is left out of PCK (counted in ``people_without_torso``). The matched
  prediction is the image's detection with the highest OKS to that person (for a single-pose model,
  the one pose); a person in an image without detections has all its keypoints wrong. One
  prediction may be matched to several people (no one-to-one assignment).
* **Images**: decoded by Pillow as stored (``Image.open(path).convert("RGB")``, no EXIF
  orientation), because COCO's coordinates refer to the stored pixels.
* **Problems**: an image that is missing, cannot be decoded, or whose size differs from its
  ``width``/``height``, an annotation for an image id not in ``images`` and a malformed annotation
  are listed in the report's ``problems`` and skipped; the rest is scored.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from movenet.api import PoseDetector
from movenet.errors import ImageError
from movenet.io.images import image_paths, load_image
from movenet.skeletons import COCO_17
from movenet.types import KEYPOINT_INDEX, KEYPOINT_NAMES, NUM_KEYPOINTS, Keypoint, Pose

__all__ = [
    "COCO_SIGMAS",
    "PCK_THRESHOLD",
    "PROTOCOLS",
    "SPLITS",
    "STAT_NAMES",
    "Detections",
    "KeypointDataset",
    "Problem",
    "count_false_positives",
    "detect_images",
    "evaluate_results",
    "format_negatives",
    "format_report",
    "image_split",
    "load_dataset_image",
    "load_keypoint_dataset",
    "oks",
    "pck",
    "poses_to_results",
    "run_evaluation",
    "select_images",
    "torso_size",
]

PROTOCOLS = ("single", "multi")
SPLITS = ("val2017", "train2017", "all")
#: COCOeval's keypoint summary, in its order.
STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
#: The COCO keypoint OKS constants (pycocotools ``Params.kpt_oks_sigmas``), from the skeleton.
COCO_SIGMAS = np.array(COCO_17.oks_sigmas)
PCK_THRESHOLD = 0.2
#: Shoulder-to-opposite-hip pairs whose mean length is the torso size of PCK.
TORSO_PAIRS = ((KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]),
               (KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]))
#: Pose-score thresholds at which :func:`count_false_positives` also counts.
NEGATIVE_THRESHOLDS = (0.25, 0.3, 0.4, 0.5)

ProgressCallback = Callable[[int, int], None]


@dataclass
class Problem:
    """Something in the dataset that was skipped: kind is one of ``missing_image``,
    ``unreadable_image``, ``size_mismatch``, ``unknown_image_id``, ``bad_annotation``, ``bad_image_entry``."""

    kind: str
    message: str
    image_id: int | None = None
    file: str | None = None
    annotation_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class KeypointDataset:
    """The person-keypoint part of a COCO annotation file, checked.

    images: image id -> the COCO image entry. annotations: the usable person annotations (each a
    copy with ``iscrowd``, ``num_keypoints``, ``bbox`` and ``area`` present). problems: what was skipped.
    """

    images: dict[int, dict[str, Any]]
    annotations: list[dict[str, Any]]
    category_id: int = 1
    categories: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source: str | None = None

    def annotations_by_image(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in self.images}
        for ann in self.annotations:
            out[ann["image_id"]].append(ann)
        return out

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], source: str | None = None) -> KeypointDataset:
        """Check a parsed COCO keypoint file; malformed entries become problems. Raises ValueError when
        `doc` is not a COCO annotation file at all."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("images"), list):
            raise ValueError(f"{source or 'annotations'}: not a COCO annotation file (no 'images' list)")
        raw_anns = doc.get("annotations", [])
        if not isinstance(raw_anns, list):
            raise ValueError(f"{source or 'annotations'}: 'annotations' is not a list")
        categories = [dict(c) for c in doc.get("categories", []) if isinstance(c, Mapping)]
        category_id = next((int(c["id"]) for c in categories if c.get("name") == "person" and "id" in c), 1)
        if not any(c.get("id") == category_id for c in categories):
            categories = [*categories, {"id": category_id, "name": "person", "supercategory": "person",
                                        "keypoints": list(KEYPOINT_NAMES)}]
        problems: list[Problem] = []
        images: dict[int, dict[str, Any]] = {}
        for k, im in enumerate(doc["images"]):
            if not isinstance(im, Mapping) or not isinstance(im.get("id"), int) or not im.get("file_name"):
                problems.append(Problem("bad_image_entry", f"images[{k}]: no integer 'id' or no 'file_name'"))
                continue
            if im["id"] in images:
                problems.append(Problem("bad_image_entry", f"images[{k}]: image id {im['id']} occurs twice",
                                        image_id=im["id"], file=str(im["file_name"])))
                continue
            images[im["id"]] = dict(im)
        annotations: list[dict[str, Any]] = []
        seen_ids: set[int] = set()
        for k, raw in enumerate(raw_anns):
            ann, problem = _check_annotation(raw, k, category_id, images, seen_ids)
            if problem is not None:
                problems.append(problem)
            elif ann is not None:
                seen_ids.add(ann["id"])
                annotations.append(ann)
        return cls(images, annotations, category_id, categories, problems, source)


def _check_annotation(raw: Any, k: int, category_id: int, images: Mapping[int, Any],
                      seen_ids: set[int]) -> tuple[dict[str, Any] | None, Problem | None]:
    """(annotation, None) when usable, (None, problem) when malformed, (None, None) for another category."""
    if not isinstance(raw, Mapping):
        return None, Problem("bad_annotation", f"annotations[{k}] is not an object")
    ann_id = raw.get("id")
    image_id = raw.get("image_id")
    if raw.get("category_id", category_id) != category_id:
        return None, None
    if not isinstance(ann_id, int) or ann_id in seen_ids:
        return None, Problem("bad_annotation", f"annotations[{k}]: missing or repeated id {ann_id!r}",
                             image_id=image_id if isinstance(image_id, int) else None)
    if image_id not in images:
        return None, Problem("unknown_image_id", f"annotation {ann_id} refers to image id {image_id!r}, "
                             "which is not in 'images'", image_id=image_id if isinstance(image_id, int) else None,
                             annotation_id=ann_id)
    try:
        kps = np.asarray(raw.get("keypoints"), dtype=np.float64)
    except (TypeError, ValueError):
        kps = np.zeros(0)
    if kps.shape != (3 * NUM_KEYPOINTS,) or not np.all(np.isfinite(kps)):
        return None, Problem("bad_annotation", f"annotation {ann_id}: 'keypoints' is not {3 * NUM_KEYPOINTS} numbers",
                             image_id=image_id, annotation_id=ann_id)
    ann = dict(raw)
    ann["keypoints"] = kps.tolist()
    ann["category_id"] = category_id
    ann["iscrowd"] = int(bool(raw.get("iscrowd", 0)))
    labelled = kps[2::3] > 0
    ann["num_keypoints"] = int(raw.get("num_keypoints", int(labelled.sum())))
    bbox = raw.get("bbox")
    if not (isinstance(bbox, Sequence) and len(bbox) == 4):
        if not labelled.any():
            return None, Problem("bad_annotation", f"annotation {ann_id}: no 'bbox' and no labelled keypoint",
                                 image_id=image_id, annotation_id=ann_id)
        xs, ys = kps[0::3][labelled], kps[1::3][labelled]
        bbox = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min()), float(ys.max() - ys.min())]
    ann["bbox"] = [float(v) for v in bbox]
    if not isinstance(raw.get("area"), (int, float)):
        ann["area"] = ann["bbox"][2] * ann["bbox"][3]
    return ann, None


def load_keypoint_dataset(path: str | os.PathLike[str]) -> KeypointDataset:
    """Read a COCO keypoint annotation file. Raises ValueError when it cannot be read or parsed."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{p}: cannot read annotations ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from exc
    return KeypointDataset.from_dict(doc, source=str(p))


def image_split(image: Mapping[str, Any]) -> str | None:
    """``val2017``/``train2017`` from the image's ``coco_split`` field, else from its ``coco_url``; else None."""
    split = image.get("coco_split")
    if isinstance(split, str):
        return split
    url = str(image.get("coco_url", ""))
    for name in ("val2017", "train2017"):
        if f"/{name}/" in url:
            return name
    return None


def select_images(dataset: KeypointDataset, protocol: str = "multi", split: str = "all") -> list[int]:
    """Image ids (sorted) of `split` (``all``: every image) that `protocol` evaluates.

    ``multi``: all of them. ``single``: those whose person annotations are exactly one, non-crowd,
    with ``num_keypoints > 0``.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    ids = sorted(i for i, im in dataset.images.items() if split == "all" or image_split(im) == split)
    if protocol == "multi":
        return ids
    by_image = dataset.annotations_by_image()
    return [i for i in ids if len(by_image[i]) == 1 and not by_image[i][0]["iscrowd"]
            and by_image[i][0]["num_keypoints"] > 0]


def load_dataset_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode an image as stored (Pillow, ``convert("RGB")``, no EXIF orientation, as COCO
    annotations assume): ``HxWx3`` uint8. Raises :class:`ImageError` naming the file."""
    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p}: no such file")
    try:
        with Image.open(p) as im:
            im.load()
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except MemoryError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise ImageError(f"{p}: cannot decode image ({text})") from exc
    try:
        return load_image(rgb)
    except ImageError as exc:
        raise ImageError(f"{p}: {exc}") from exc


@dataclass
class Detections:
    """What :func:`detect_images` found: poses per image (only images that loaded), the images that
    were scored (in order), the problems, and timing."""

    poses: dict[int, list[Pose]]
    image_ids: list[int]
    problems: list[Problem]
    seconds: float = 0.0


def detect_images(detector: PoseDetector, dataset: KeypointDataset, image_dir: str | os.PathLike[str],
                  image_ids: Iterable[int], *, progress: ProgressCallback | None = None) -> Detections:
    """Run `detector` on each image (``detector.reset()`` first: every image is independent).

    An image that is missing, cannot be decoded or whose size differs from its entry's
    ``width``/``height`` is recorded as a problem and left out of ``image_ids``."""
    ids = list(image_ids)
    root = Path(image_dir)
    poses: dict[int, list[Pose]] = {}
    done: list[int] = []
    problems: list[Problem] = []
    start = time.perf_counter()
    for n, image_id in enumerate(ids):
        entry = dataset.images[image_id]
        path = root / str(entry["file_name"])
        try:
            if not path.exists():
                problems.append(Problem("missing_image", f"{path}: no such file", image_id, str(path)))
                continue
            try:
                image = load_dataset_image(path)
            except ImageError as exc:
                problems.append(Problem("unreadable_image", str(exc), image_id, str(path)))
                continue
            height, width = image.shape[:2]
            want = (entry.get("width"), entry.get("height"))
            if all(isinstance(v, int) for v in want) and want != (width, height):
                problems.append(Problem("size_mismatch", f"{path}: image is {width}x{height}, the annotations "
                                        f"say {want[0]}x{want[1]}", image_id, str(path)))
                continue
            detector.reset()
            poses[image_id] = list(detector.estimate_poses(image))
            done.append(image_id)
        finally:
            if progress is not None:
                progress(n + 1, len(ids))
    return Detections(poses, done, problems, time.perf_counter() - start)


def coco_keypoints(pose: Pose) -> tuple[Keypoint, ...]:
    """The pose's 17 COCO keypoints, in COCO order: found by name in the pose's skeleton (a
    COCO_17 pose as it is); ValueError if its skeleton lacks one of them."""
    if pose.skeleton == COCO_17:
        return pose.keypoints
    try:
        return tuple(pose.keypoint(name) for name in COCO_17.keypoint_names)
    except KeyError as exc:
        raise ValueError(f"cannot score {pose.skeleton.name} poses with COCO keypoints: {exc}") from None


def poses_to_results(poses: Mapping[int, Sequence[Pose]], category_id: int = 1) -> list[dict[str, Any]]:
    """COCO keypoint results: one ``{image_id, category_id, keypoints: [x, y, keypoint score] x 17,
    score: pose score}`` per pose, images in key order."""
    results = []
    for image_id, image_poses in poses.items():
        for pose in image_poses:
            keypoints = [float(v) for k in coco_keypoints(pose) for v in (k.x, k.y, k.score)]
            results.append({"image_id": int(image_id), "category_id": category_id, "keypoints": keypoints,
                            "score": float(pose.score)})
    return results


# --- scoring ---------------------------------------------------------------------------------------


def oks(prediction: np.ndarray, annotation: Mapping[str, Any]) -> float:
    """COCO object keypoint similarity of a prediction (17x2 or more columns, pixels) with a person
    annotation, over its labelled keypoints (0 when it has none), as COCOeval computes it."""
    gt = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(NUM_KEYPOINTS, 3)
    labelled = gt[:, 2] > 0
    if not labelled.any():
        return 0.0
    pred = np.asarray(prediction, dtype=np.float64)[:, :2]
    d2 = ((pred - gt[:, :2]) ** 2).sum(axis=1)
    e = d2 / (2 * COCO_SIGMAS) ** 2 / (float(annotation["area"]) + np.spacing(1)) / 2
    return float(np.exp(-e[labelled]).mean())


def torso_size(keypoints: Sequence[float] | np.ndarray) -> float | None:
    """Mean length of the labelled shoulder-to-opposite-hip segments of a COCO keypoint list
    ([x, y, v] x 17); None when neither segment has both ends labelled (or their mean is 0)."""
    kp = np.asarray(keypoints, dtype=np.float64).reshape(NUM_KEYPOINTS, 3)
    lengths = [float(np.hypot(*(kp[a, :2] - kp[b, :2]))) for a, b in TORSO_PAIRS if kp[a, 2] > 0 and kp[b, 2] > 0]
    if not lengths or sum(lengths) <= 0:
        return None
    return sum(lengths) / len(lengths)


def pck(annotations: Mapping[int, Sequence[Mapping[str, Any]]], predictions: Mapping[int, Sequence[np.ndarray]],
        threshold: float = PCK_THRESHOLD) -> dict[str, Any]:
    """Per-keypoint PCK@`threshold` of the torso size (see the module docstring).

    annotations: image id -> person annotations (crowd regions and people without labelled keypoints
    are skipped). predictions: image id -> predicted keypoint arrays (17 x >=2, pixels), best score first.
    """
    correct = np.zeros(NUM_KEYPOINTS, dtype=np.int64)
    total = np.zeros(NUM_KEYPOINTS, dtype=np.int64)
    people = without_torso = 0
    for image_id, anns in annotations.items():
        candidates = predictions.get(image_id, [])
        for ann in anns:
            if ann.get("iscrowd") or ann.get("num_keypoints", 0) <= 0:
                continue
            torso = torso_size(ann["keypoints"])
            if torso is None:
                without_torso += 1
                continue
            people += 1
            gt = np.asarray(ann["keypoints"], dtype=np.float64).reshape(NUM_KEYPOINTS, 3)
            labelled = gt[:, 2] > 0
            total += labelled
            if not candidates:
                continue
            best = candidates[int(np.argmax([oks(c, ann) for c in candidates]))]
            dist = np.hypot(*(np.asarray(best, dtype=np.float64)[:, :2] - gt[:, :2]).T)
            correct += labelled & (dist <= threshold * torso)
    per_keypoint = {
        name: {"correct": int(c), "total": int(t), "pck": (float(c / t) if t else None)}
        for name, c, t in zip(KEYPOINT_NAMES, correct, total, strict=True)
    }
    all_total = int(total.sum())
    return {
        "threshold": threshold,
        "torso": "mean of left_shoulder-right_hip and right_shoulder-left_hip over labelled pairs",
        "pck": float(correct.sum() / all_total) if all_total else None,
        "people": people,
        "people_without_torso": without_torso,
        "keypoints": per_keypoint,
    }


def _coco_stats(dataset: KeypointDataset, results: Sequence[Mapping[str, Any]],
                image_ids: Sequence[int]) -> dict[str, float | None]:
    """COCOeval keypoint summary on `image_ids`; None where COCOeval reports -1 (nothing to score)."""
    try:
        # optional dependency (the eval extra), imported only to score
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("movenet eval needs pycocotools: pip install pycocotools") from exc
    if not image_ids:
        return dict.fromkeys(STAT_NAMES)
    wanted = set(image_ids)
    gt_doc = {
        "images": [dataset.images[i] for i in sorted(wanted)],
        "annotations": [dict(a) for a in dataset.annotations if a["image_id"] in wanted],
        "categories": dataset.categories,
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = COCO()
        gt.dataset = gt_doc
        gt.createIndex()
        dt_anns = [{**r, "keypoints": list(r["keypoints"])} for r in results if r["image_id"] in wanted]
        if dt_anns:
            dt = gt.loadRes(dt_anns)
        else:  # loadRes cannot take an empty list
            dt = COCO()
            dt.dataset = {"images": gt_doc["images"], "annotations": [], "categories": dataset.categories}
            dt.createIndex()
        ev = COCOeval(gt, dt, "keypoints")
        ev.params.imgIds = sorted(wanted)
        ev.params.catIds = [dataset.category_id]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {name: (float(v) if v >= 0 else None) for name, v in zip(STAT_NAMES, ev.stats, strict=True)}


def evaluate_results(dataset: KeypointDataset, results: Sequence[Mapping[str, Any]], image_ids: Iterable[int],
                     *, pck_threshold: float = PCK_THRESHOLD) -> dict[str, Any]:
    """Score COCO keypoint results on `image_ids`: ``coco`` (COCOeval stats, fractions 0..1, None
    where undefined), ``pck`` (see :func:`pck`) and ``counts``. Results for other images are ignored."""
    ids = sorted(set(image_ids))
    wanted = set(ids)
    mine = [r for r in results if r["image_id"] in wanted]
    by_image = dataset.annotations_by_image()
    anns = {i: by_image[i] for i in ids}
    predictions: dict[int, list[np.ndarray]] = {}
    for r in sorted(mine, key=lambda r: -float(r["score"])):
        predictions.setdefault(r["image_id"], []).append(
            np.asarray(r["keypoints"], dtype=np.float64).reshape(NUM_KEYPOINTS, 3))
    people = [a for i in ids for a in anns[i]]
    counts = {
        "images": len(ids),
        "people": sum(1 for a in people if not a["iscrowd"] and a["num_keypoints"] > 0),
        "people_without_keypoints": sum(1 for a in people if not a["iscrowd"] and a["num_keypoints"] <= 0),
        "crowd_regions": sum(1 for a in people if a["iscrowd"]),
        "labelled_keypoints": int(sum(np.count_nonzero(np.asarray(a["keypoints"][2::3]) > 0)
                                      for a in people if not a["iscrowd"])),
        "detections": len(mine),
        "images_with_detections": len(predictions),
    }
    return {"coco": _coco_stats(dataset, mine, ids), "pck": pck(anns, predictions, pck_threshold), "counts": counts}


def run_evaluation(detector: PoseDetector, annotations: str | os.PathLike[str] | KeypointDataset,
                   image_dir: str | os.PathLike[str], *, protocol: str = "multi", split: str = "all",
                   progress: ProgressCallback | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Detect and score a COCO keypoint dataset: (report, COCO results).

    The report holds ``model``, ``protocol``, ``split``, ``coco`` (AP...), ``pck``, ``counts``
    (``images_in_file``, ``images_in_split``, ``images_selected``, ``images_failed``, plus the
    scored images' counts), ``problems`` (dicts, see :class:`Problem`) and ``timing``."""
    dataset = annotations if isinstance(annotations, KeypointDataset) else load_keypoint_dataset(annotations)
    selected = select_images(dataset, protocol, split)
    run = detect_images(detector, dataset, image_dir, selected, progress=progress)
    results = poses_to_results({i: run.poses[i] for i in run.image_ids}, dataset.category_id)
    scored = evaluate_results(dataset, results, run.image_ids)
    in_split = select_images(dataset, "multi", split)
    problems = dataset.problems + run.problems
    report: dict[str, Any] = {
        "model": getattr(detector, "model", None),
        "protocol": protocol,
        "split": split,
        "annotations": dataset.source,
        "image_dir": str(image_dir),
        "min_pose_score": getattr(detector, "min_pose_score", None),
        "coco": scored["coco"],
        "pck": scored["pck"],
        "counts": {
            "images_in_file": len(dataset.images),
            "images_in_split": len(in_split),
            "images_selected": len(selected),
            "images_failed": len(selected) - len(run.image_ids),
            **scored["counts"],
        },
        "problems": [p.to_dict() for p in problems],
        "timing": {"seconds": round(run.seconds, 3),
                   "images_per_s": round(len(selected) / run.seconds, 2) if run.seconds > 0 else None},
    }
    return report, results


def count_false_positives(detector: PoseDetector, images: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                          *, thresholds: Sequence[float] = NEGATIVE_THRESHOLDS,
                          progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Run `detector` on images that show nobody (a folder, sorted by name, or a list of files) and
    count the images where it still returns a pose (every returned pose passed the detector's
    ``min_pose_score``), also at higher pose-score `thresholds`. Unreadable images are problems."""
    paths = image_paths([images] if isinstance(images, (str, os.PathLike)) else list(images))
    problems: list[Problem] = []
    per_image: list[dict[str, Any]] = []
    start = time.perf_counter()
    for n, path in enumerate(paths):
        try:
            image = load_dataset_image(path)
        except ImageError as exc:
            problems.append(Problem("unreadable_image", str(exc), file=str(path)))
        else:
            detector.reset()
            scores = sorted((float(p.score) for p in detector.estimate_poses(image)), reverse=True)
            per_image.append({"file": path.name, "poses": len(scores), "max_score": scores[0] if scores else None})
        if progress is not None:
            progress(n + 1, len(paths))
    seconds = time.perf_counter() - start
    min_score = getattr(detector, "min_pose_score", None)
    hits = [r for r in per_image if r["poses"]]
    at = {f"{t:g}": sum(1 for r in hits if r["max_score"] >= t) for t in thresholds
          if min_score is None or t >= min_score}
    return {
        "model": getattr(detector, "model", None),
        "image_dir": str(images) if isinstance(images, (str, os.PathLike)) else None,
        "min_pose_score": min_score,
        "images": len(per_image),
        "images_with_pose": len(hits),
        "rate": len(hits) / len(per_image) if per_image else None,
        "poses": sum(r["poses"] for r in per_image),
        "images_with_pose_at": at,
        "false_positives": sorted(hits, key=lambda r: -r["max_score"]),
        "problems": [p.to_dict() for p in problems],
        "timing": {"seconds": round(seconds, 3)},
    }


# --- text output ---------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def format_report(report: Mapping[str, Any]) -> str:
    """The human-readable table of a :func:`run_evaluation` report."""
    c = report["counts"]
    lines = [
        f"model {report['model']}, protocol {report['protocol']}, split {report['split']}: "
        f"{c['images']} images scored ({c['images_selected']} selected of {c['images_in_split']} in the split, "
        f"{c['images_failed']} failed), {c['people']} people with keypoints, {c['detections']} detections",
        "",
        "COCO keypoints (OKS)  " + "".join(f"{n:>6}" for n in STAT_NAMES),
        "                      " + "".join(f"{_pct(report['coco'][n]):>6}" for n in STAT_NAMES),
        "",
    ]
    p = report["pck"]
    lines.append(f"PCK@{p['threshold']:g} (torso; {p['people']} people, {p['people_without_torso']} without torso): "
                 f"{_pct(p['pck'])}")
    for name, row in p["keypoints"].items():
        lines.append(f"  {name:<16}{_pct(row['pck']):>6}  ({row['correct']}/{row['total']})")
    problems = report.get("problems", [])
    if problems:
        lines += ["", f"{len(problems)} problem{'s' if len(problems) != 1 else ''} (skipped):"]
        lines += [f"  {q['kind']}: {q['message']}" for q in problems]
    return "\n".join(lines)


def format_negatives(report: Mapping[str, Any]) -> str:
    """The human-readable summary of a :func:`count_false_positives` report."""
    n = report["images"]
    lines = [f"negatives ({report['model']}, no person in {n} images, {report['image_dir'] or ''}): "
             f"{report['images_with_pose']} image{'s' if report['images_with_pose'] != 1 else ''} with a pose "
             f"(score >= min_pose_score {report['min_pose_score']}), {report['poses']} poses"]
    if report["images_with_pose_at"]:
        lines.append("  images with a pose scoring >= " + ", ".join(
            f"{t}: {k}" for t, k in report["images_with_pose_at"].items()))
    for r in report["false_positives"][:10]:
        plural = "s" if r["poses"] != 1 else ""
        lines.append(f"  {r['file']}: {r['poses']} pose{plural}, best score {r['max_score']:.3f}")
    if len(report["false_positives"]) > 10:
        lines.append(f"  ... {len(report['false_positives']) - 10} more in the JSON report")
    for q in report["problems"]:
        lines.append(f"  {q['kind']}: {q['message']}")
    return "\n".join(lines)
