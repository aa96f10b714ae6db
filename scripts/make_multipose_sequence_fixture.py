#!/usr/bin/env python3
"""Regenerate the TF.js-oracle multi-pose *sequence* fixtures (tracking + smoothing):

* ``tests/fixtures/oracle/multipose_sequence_posetrack.json`` (bounding-box tracker, the default)
* ``tests/fixtures/oracle/multipose_sequence_posetrack_keypoint.json`` (``--tracker keypoint``)

The oracle is the official ``@tensorflow-models/pose-detection`` pipeline in Node.js
(``/work/shared/tools/tfjs-oracle/run.sh``, wasm backend). Each sequence is one oracle run in
sequence mode (one detector state, frame k at ``k * 1000 / fps`` ms, ``--warmup 0``) with the
library defaults for MultiPose: ``minPoseScore`` 0.25, ``multiPoseMaxDimension`` 256, smoothing
and tracking on.

Sequences (frames decoded with Pillow via ``tests/transforms.load_rgb`` and fed as PNGs, because
the oracle's jpeg-js decoder gives different pixels; the decoded ``rgb_sha256`` is checked):

* ``posetrack`` (30 fps): the 10 frames of ``videos/posetrack18_000001_mpiinew_test/``.
* ``mixed`` (30 fps): posetrack frames 0-4, two multi-person stills (new tracks while the
  posetrack tracks wait), posetrack frames 5-9 (they link back to their old tracks and
  smoothing filters after a 100 ms gap), then the first still again.
* ``posetrack_slow`` (0.9 fps, bounding-box file only): frames 1.11 s apart, more than the
  tracker's 1000 ms ``maxAge``, so every frame gets new ids and no smoothing happens.

Stored per frame: case (path relative to the data dir), width, height, rgb_sha256,
timestamp_ms (exact), and per pose: score and keypoints ``[x, y, score]`` in pixels (4
decimals), ``box`` ``[yMin, xMin, yMax, xMax]`` as the reference returns it (normalized to
the padded model input, 6 decimals) and ``id``. No image is stored.

Usage (from the repository root; about a minute)::

    python scripts/make_multipose_sequence_fixture.py [--data-dir D] [--oracle RUN_SH]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("MOVENET_SHARED_DATA", "/work/shared/data")
DEFAULT_ORACLE = os.environ.get("TFJS_ORACLE", "/work/shared/tools/tfjs-oracle/run.sh")
OUT_DIR = REPO / "tests" / "fixtures" / "oracle"

POSETRACK = [f"videos/posetrack18_000001_mpiinew_test/{k:06d}.jpg" for k in range(10)]
STILLS = ["coco_subset/000000000790.jpg", "stills/tfjs_three_people.jpg"]
SEQUENCES: dict[str, tuple[list[str], float]] = {
    "posetrack": (POSETRACK, 30.0),
    "mixed": (POSETRACK[:5] + STILLS + POSETRACK[5:] + STILLS[:1], 30.0),
    "posetrack_slow": (POSETRACK, 0.9),
}
FILES = {
    "boundingBox": ("multipose_sequence_posetrack.json", ["posetrack", "mixed", "posetrack_slow"]),
    "keypoint": ("multipose_sequence_posetrack_keypoint.json", ["posetrack", "mixed"]),
}


def _load_transforms() -> Any:
    spec = importlib.util.spec_from_file_location("_movenet_test_transforms", REPO / "tests" / "transforms.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


T = _load_transforms()


def _r(v: float, nd: int) -> float:
    return round(float(v), nd)


def run_sequence(oracle: str, data_dir: Path, tmp: Path, cases: list[str], fps: float,
                 tracker: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from PIL import Image

    paths, metas = [], []
    for i, rel in enumerate(cases):
        arr = T.load_rgb(data_dir / rel)
        path = tmp / f"f{len(list(tmp.iterdir())):05d}_{i:03d}.png"
        Image.fromarray(arr, "RGB").save(path, compress_level=1)
        paths.append(str(path))
        metas.append({"case": rel, "width": int(arr.shape[1]), "height": int(arr.shape[0]),
                      "rgb_sha256": T.rgb_sha256(arr)})
    cmd = [oracle, "--model", "multipose", "--backend", "wasm", "--tracking", "on", "--smoothing", "on",
           "--tracker", tracker, "--fps", repr(fps), "--warmup", "0", *paths]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"oracle failed (rc={proc.returncode})")
    doc = json.loads(proc.stdout)
    assert doc["config"]["model"] == "multipose" and doc["config"]["mode"] != "independent", doc["config"]
    assert doc["config"]["detector"]["trackerType"] == tracker, doc["config"]["detector"]
    assert len(doc["frames"]) == len(cases)
    frames = []
    for meta, inp, fr in zip(metas, doc["inputs"], doc["frames"], strict=True):
        assert inp["rgb_sha256"] == meta["rgb_sha256"], f"decoded pixels differ for {meta['case']}"
        assert (inp["width"], inp["height"]) == (meta["width"], meta["height"])
        poses = []
        for p in fr["poses"]:
            b = p["box"]
            poses.append({
                "score": _r(p["score"], 4),
                "keypoints": [[_r(k["x"], 4), _r(k["y"], 4), _r(k["score"], 4)] for k in p["keypoints"]],
                "box": [_r(b[k], 6) for k in ("yMin", "xMin", "yMax", "xMax")],
                "id": p["id"],
            })
        frames.append({**meta, "timestamp_ms": fr["timestamp_ms"], "poses": poses})
    return doc, frames


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    m, be, cfg = doc["model"], doc["backend"], doc["config"]
    return {
        "tool": doc["oracle"], "versions": doc["versions"],
        "backend": {k: be[k] for k in ("name", "wasm_binary", "simd", "threads") if k in be},
        "model_sha256": {"json": m["model_json"]["sha256"], "bin": [w["sha256"] for w in m["weight_files"]]},
        "detector": cfg["detector"],
    }


def write_fixture(path: Path, header: dict[str, Any], sequences: list[dict[str, Any]]) -> None:
    """Compact JSON, one frame per line."""
    sep = (",", ":")
    parts = []
    for seq in sequences:
        head = json.dumps({k: v for k, v in seq.items() if k != "frames"}, separators=sep)[:-1]
        body = ",\n".join(json.dumps(f, separators=sep) for f in seq["frames"])
        parts.append(f'{head},"frames":[\n{body}\n]}}')
    text = ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=sep)}" for k, v in header.items())
    path.write_text("{" + text + ',\n"sequences":[\n' + ",\n".join(parts) + "\n]}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--oracle", default=DEFAULT_ORACLE)
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mp_seq_") as tmpd:
        tmp = Path(tmpd)
        for tracker, (name, seq_names) in FILES.items():
            sequences, docs = [], []
            for seq_name in seq_names:
                cases, fps = SEQUENCES[seq_name]
                seq_tmp = tmp / f"{tracker}_{seq_name}"
                seq_tmp.mkdir()
                doc, frames = run_sequence(args.oracle, args.data_dir, seq_tmp, cases, fps, tracker)
                docs.append(doc)
                sequences.append({"name": seq_name, "fps": fps, "tracker": tracker, "frames": frames})
                ids = sorted({p["id"] for f in frames for p in f["poses"]})
                print(f"{tracker:11s} {seq_name:15s} {len(frames)} frames, "
                      f"{sum(len(f['poses']) for f in frames)} poses, ids {ids}", flush=True)
            header = {"oracle": summary(docs[0]), "generated": _dt.date.today().isoformat(),
                      "data": "paths relative to the shared data dir (../shared/data)"}
            path = args.out_dir / name
            write_fixture(path, header, sequences)
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
