#!/usr/bin/env python3
"""Regenerate the TF.js-oracle reference detections for ``movenet eval``: ``tests/fixtures/oracle/eval_{model}.json``.

The oracle is the official ``@tensorflow-models/pose-detection`` MoveNet pipeline run in Node.js
(``/work/shared/tools/tfjs-oracle/run.sh``). This script runs it on the ``val2017`` images of
``coco_subset`` (every image whose ``coco_split`` is ``val2017``, whatever its people) and stores
its detections in the COCO keypoint *results* format, so that ``tests/unit/evaluation/test_evaluation.py`` can
score them with the same code (``movenet.evaluation``) that scores our detections:

    {"image_id": 785, "category_id": 1, "keypoints": [x, y, s, ...51 numbers], "score": 0.61}

``x, y`` in image pixels, ``s`` the keypoint score (4 decimals each), ``score`` the pose score.
Images where the oracle finds no pose have no result. No image is stored, only numbers.

Inputs: every image is decoded by Pillow (``tests/transforms.load_rgb``: no EXIF orientation,
as COCO annotations refer to the stored pixels, and as ``movenet.evaluation`` decodes them),
written as a PNG and fed to the oracle, which checks out the same pixels (``rgb_sha256``). The
oracle's JPEG decoder is never used (it differs from Pillow's).

Oracle runs: ``--backend wasm --images-independent --warmup 0`` (fresh detector state and
timestamp 0 for every image), library defaults otherwise (``minPoseScore`` 0.25; multipose:
tracking on, max dimension 256).

Usage (from the repository root; about a minute on the wasm backend)::

    python scripts/make_eval_reference.py
    python scripts/make_eval_reference.py --models lightning

Options: ``--data-dir`` (default ``$MOVENET_SHARED_DATA`` or ``/work/shared/data``), ``--oracle``
(default ``$TFJS_ORACLE`` or ``/work/shared/tools/tfjs-oracle/run.sh``), ``--out-dir``,
``--models``, ``--split`` (default ``val2017``), ``--chunk``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _load_script(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# Reuse the oracle runner and input writer of the main fixture script (same checks, same PNGs).
F = _load_script("_movenet_oracle_fixtures", REPO / "scripts" / "make_oracle_fixtures.py")
T = F.T

ANNOTATIONS = "coco_subset/person_keypoints.json"
MODELS = ("lightning", "thunder", "multipose")
DECIMALS = 4


def split_images(data_dir: Path, split: str) -> list[dict[str, Any]]:
    """The images of the annotation file whose ``coco_split`` is `split` (``all``: every image), by id."""
    doc = json.loads((data_dir / ANNOTATIONS).read_text())
    images = [im for im in doc["images"] if split == "all" or im.get("coco_split") == split]
    return sorted(images, key=lambda im: im["id"])


def result_record(image_id: int, pose: dict[str, Any]) -> dict[str, Any]:
    keypoints = [round(float(k[c]), DECIMALS) for k in pose["keypoints"] for c in ("x", "y", "score")]
    score = round(float(pose["score"]), DECIMALS)
    return {"image_id": image_id, "category_id": 1, "keypoints": keypoints, "score": score}


def write_fixture(path: Path, header: dict[str, Any], images: list[dict[str, Any]],
                  results: list[dict[str, Any]]) -> None:
    """Compact JSON, one image or result per line (diff-friendly)."""
    sep = (",", ":")
    head = ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=sep)}" for k, v in header.items())
    imgs = ",\n".join(json.dumps(im, separators=sep) for im in images)
    res = ",\n".join(json.dumps(r, separators=sep) for r in results)
    path.write_text("{" + head + ',\n"images":[\n' + imgs + '\n],\n"results":[\n' + res + "\n]}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(F.DEFAULT_DATA))
    ap.add_argument("--oracle", default=F.DEFAULT_ORACLE, help="path of the oracle's run.sh")
    ap.add_argument("--out-dir", type=Path, default=F.DEFAULT_OUT)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of lightning,thunder,multipose")
    ap.add_argument("--split", default="val2017", choices=("val2017", "train2017", "all"))
    ap.add_argument("--backend", default="wasm", choices=("wasm", "cpu"))
    ap.add_argument("--chunk", type=int, default=400, help="max inputs per oracle call")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    images = split_images(args.data_dir, args.split)
    image_dir = (args.data_dir / ANNOTATIONS).parent
    print(f"{len(images)} {args.split} images in {args.data_dir / ANNOTATIONS}", flush=True)

    with tempfile.TemporaryDirectory(prefix="eval_reference_") as tmpd:
        writer = F.InputWriter(Path(tmpd))
        items = [writer.write(f"{ANNOTATIONS.split('/')[0]}/{im['file_name']}",
                              T.load_rgb(image_dir / im["file_name"])) for im in images]
        oracle = F.Oracle(args.oracle, args.backend, args.chunk)
        for model in models:
            docs = oracle.run(model, items, label="eval")
            frames = [fr for d in docs for fr in d["frames"]]
            results = []
            for im, frame in zip(images, frames, strict=True):
                if model != "multipose":
                    assert len(frame["poses"]) <= 1
                results += [result_record(int(im["id"]), p) for p in frame["poses"]]
            header = {
                "oracle": F.oracle_summary(docs),
                "generated": _dt.date.today().isoformat(),
                "dataset": {"annotations": ANNOTATIONS, "split": args.split, "images": len(images),
                            "decoder": "Pillow Image.open(p).convert('RGB'), no EXIF orientation, fed as PNG"},
                "format": "COCO keypoint results: image_id, category_id, keypoints [x, y, keypoint score] x 17 "
                          f"(pixels), score = pose score; {DECIMALS} decimals",
            }
            image_rows = [{"id": int(im["id"]), "file_name": im["file_name"], "rgb_sha256": it["rgb_sha256"]}
                          for im, it in zip(images, items, strict=True)]
            path = args.out_dir / f"eval_{model}.json"
            write_fixture(path, header, image_rows, results)
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            print(f"wrote {shown}: {len(results)} detections on {len(images)} images, "
                  f"{path.stat().st_size / 1024:.0f} KiB", flush=True)
    print(f"total oracle wall time {oracle.total_s:.1f} s; script {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
