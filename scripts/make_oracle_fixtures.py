#!/usr/bin/env python3
"""Regenerate the TF.js-oracle reference fixtures in ``tests/fixtures/oracle/``.

The oracle is the official ``@tensorflow-models/pose-detection`` MoveNet pipeline run
in Node.js (``/work/shared/tools/tfjs-oracle/run.sh``, see its README). This script
feeds it inputs made from the shared evaluation data and stores its answers compactly,
so the Python port can be checked against it without Node or the data images in git.
No image is committed: only numbers (keypoints, sha256 of the inputs, model tensors).

Inputs (every one decoded by Pillow via ``tests/transforms.load_rgb`` and written as a
PNG into a temporary directory, because the oracle's jpeg-js decoder gives different
pixels from Pillow's; the oracle's ``rgb_sha256`` of each decoded PNG is checked
against the array we wrote):

* set ``stills``: every .jpg/.jpeg/.png under the data dir (recursive, sorted by the
  POSIX relative path), except ``videos/``, the tfjs render goldens / masks /
  expected crops and the tfjs README illustrations (see ``SKIP_*`` below).
  Case name ``stills/<relative path>``, e.g. ``stills/coco_subset/000000000785.jpg``.
* set ``transformed``: the 4 images of ``stills/`` plus the first 4 ``coco_subset``
  images (by file name) with exactly one person annotation that has keypoints; each
  through every transform of ``tests/transforms.TRANSFORMS``. Case name
  ``transformed/<relative path>#<transform>``, e.g. ``transformed/stills/astronaut.png#flip``.

Oracle runs (``--backend wasm --images-independent --warmup 0``, i.e. a fresh detector
state and timestamp 0 for every image, library defaults otherwise: smoothing on, and for
multipose tracking on with the boundingBox tracker), once per model per set:

* ``{lightning,thunder}_images.json``: sets ``stills`` + ``transformed``;
* ``multipose_images.json``: set ``stills`` (poses also carry ``box`` and ``id``);
* ``{lightning,thunder,multipose}_raw.npz``: ``--debug --dump-dir`` on astronaut,
  tfjs_pose and tfjs_three_people (from ``stills/``): the exact model input tensor
  (stored as uint8, checked to be integers in 0..255) and raw model output (float32).

Formats are described in ``tests/fixtures/README.md``.

Usage (from the repository root; takes a few minutes on the wasm backend)::

    python scripts/make_oracle_fixtures.py
    python scripts/make_oracle_fixtures.py --models lightning --skip-raw   # partial rerun

Options: ``--data-dir`` (default ``$MOVENET_SHARED_DATA`` or ``/work/shared/data``),
``--oracle`` (default ``$TFJS_ORACLE`` or ``/work/shared/tools/tfjs-oracle/run.sh``),
``--out-dir``, ``--models``, ``--skip-images``, ``--skip-raw``, ``--chunk``,
``--keep-tmp DIR``. Rerunning overwrites the fixture files it produces.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import fnmatch
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from movenet.types import KEYPOINT_NAMES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("MOVENET_SHARED_DATA", "/work/shared/data")
DEFAULT_ORACLE = os.environ.get("TFJS_ORACLE", "/work/shared/tools/tfjs-oracle/run.sh")
DEFAULT_OUT = REPO / "tests" / "fixtures" / "oracle"

IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
SKIP_DIRS = ("videos/",)
# Relative-path glob patterns (fnmatch on the POSIX relative path) that are not photos
# of scenes: tfjs expected crops / masks / render goldens and README illustrations.
SKIP_GLOBS = (
    "tfjs-models/shared/*sub_rect*",
    "tfjs-models/shared/noop_except_range.png",
    "*segmentation*",
    "tfjs-models/shared/three_people_*",  # render goldens; three_people.jpg itself is kept
    "tfjs-models/assets/*",  # squat_output.png (skeleton drawn on), tracker_example.png (diagram)
)
TRANSFORM_STILLS = (
    "stills/astronaut.png",
    "stills/grace_hopper.jpg",
    "stills/tfjs_pose.jpg",
    "stills/tfjs_three_people.jpg",
)
RAW_INPUTS = ("stills/astronaut.png", "stills/tfjs_pose.jpg", "stills/tfjs_three_people.jpg")
N_COCO_TRANSFORMED = 4
MODELS = ("lightning", "thunder", "multipose")


def _load_transforms():
    path = REPO / "tests" / "transforms.py"
    spec = importlib.util.spec_from_file_location("_movenet_test_transforms", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


T = _load_transforms()


# --------------------------------------------------------------------------- inputs


def collect_stills(data_dir: Path) -> list[str]:
    """Relative POSIX paths of the scene photos under data_dir (sorted)."""
    out = []
    for p in data_dir.rglob("*"):
        if not p.is_file() or p.suffix.lower() not in IMAGE_EXTS:
            continue
        rel = p.relative_to(data_dir).as_posix()
        if rel.startswith(SKIP_DIRS) or any(fnmatch.fnmatch(rel, g) for g in SKIP_GLOBS):
            continue
        out.append(rel)
    return sorted(out)


def pick_coco_single(data_dir: Path, n: int = N_COCO_TRANSFORMED) -> list[str]:
    """First n coco_subset images (sorted by file name) with exactly one person
    annotation that has labelled keypoints."""
    j = json.loads((data_dir / "coco_subset" / "person_keypoints.json").read_text())
    with_kp: dict[int, int] = {}
    for a in j["annotations"]:
        if a.get("num_keypoints", 0) > 0:
            with_kp[a["image_id"]] = with_kp.get(a["image_id"], 0) + 1
    names = sorted(im["file_name"] for im in j["images"] if with_kp.get(im["id"], 0) == 1)
    return [f"coco_subset/{name}" for name in names[:n]]


class InputWriter:
    """Writes arrays as PNG files with short names and remembers their metadata."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.n = 0

    def write(self, case: str, arr: np.ndarray) -> dict[str, Any]:
        from PIL import Image

        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3, (case, arr.shape)
        path = self.tmp / f"i{self.n:05d}.png"
        self.n += 1
        Image.fromarray(arr, "RGB").save(path, compress_level=1)
        return {
            "case": case,
            "path": str(path),
            "width": int(arr.shape[1]),
            "height": int(arr.shape[0]),
            "rgb_sha256": T.rgb_sha256(arr),
        }


def build_sets(data_dir: Path, writer: InputWriter) -> dict[str, list[dict[str, Any]]]:
    stills = collect_stills(data_dir)
    print(f"stills: {len(stills)} images under {data_dir}", flush=True)
    sets: dict[str, list[dict[str, Any]]] = {"stills": [], "transformed": []}
    for rel in stills:
        sets["stills"].append(writer.write(f"stills/{rel}", T.load_rgb(data_dir / rel)))
    coco = pick_coco_single(data_dir)
    print(f"transformed: {list(TRANSFORM_STILLS) + coco} x {list(T.TRANSFORMS)}", flush=True)
    for rel in list(TRANSFORM_STILLS) + coco:
        base = T.load_rgb(data_dir / rel)
        for name, fn in T.TRANSFORMS.items():
            sets["transformed"].append(writer.write(f"transformed/{rel}#{name}", fn(base)))
    print(f"transformed: {len(sets['transformed'])} inputs", flush=True)
    return sets


# --------------------------------------------------------------------------- oracle


class Oracle:
    def __init__(self, run_sh: str, backend: str, chunk: int):
        self.run_sh = run_sh
        self.backend = backend
        self.chunk = chunk
        self.total_s = 0.0

    def run(
        self, model: str, items: list[dict[str, Any]], extra: list[str] | None = None, label: str = ""
    ) -> list[dict[str, Any]]:
        """Runs the oracle over items (in chunks); returns the parsed JSON documents."""
        docs = []
        for k in range(0, len(items), self.chunk):
            part = items[k : k + self.chunk]
            cmd = [
                self.run_sh,
                "--model",
                model,
                "--backend",
                self.backend,
                "--images-independent",
                "--warmup",
                "0",
                *(extra or []),
                *[it["path"] for it in part],
            ]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            self.total_s += dt
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"oracle failed (rc={proc.returncode}): {' '.join(cmd[:8])} ...")
            doc = json.loads(proc.stdout)
            check_doc(doc, part, model)
            med = doc["timing"]["estimate_poses"]["median_ms"]
            print(
                f"  oracle {model:9s} {label:12s} {len(part):4d} inputs: {dt:6.1f} s wall, "
                f"median estimatePoses {med:.1f} ms",
                flush=True,
            )
            docs.append(doc)
        return docs


def check_doc(doc: dict[str, Any], items: list[dict[str, Any]], model: str) -> None:
    assert doc["config"]["model"] == model
    assert doc["config"]["mode"] == "independent"
    assert doc["backend"]["active"] == doc["backend"]["name"]
    assert len(doc["inputs"]) == len(items) and len(doc["frames"]) == len(items)
    for it, inp, fr in zip(items, doc["inputs"], doc["frames"], strict=True):
        assert inp["decoder"] == "pngjs", inp
        assert (inp["width"], inp["height"]) == (it["width"], it["height"]), (it["case"], inp)
        assert inp["rgb_sha256"] == it["rgb_sha256"], f"decoded pixels differ for {it['case']}"
        assert fr["timestamp_ms"] == 0
        for p in fr["poses"]:
            assert tuple(k["name"] for k in p["keypoints"]) == KEYPOINT_NAMES


def oracle_summary(docs: list[dict[str, Any]]) -> dict[str, Any]:
    d = docs[0]
    for o in docs[1:]:
        for key in ("versions", "model"):
            assert o[key] == d[key], key
        for key in ("name", "wasm_binary", "simd", "threads"):
            assert o["backend"].get(key) == d["backend"].get(key), key
    m = d["model"]
    be = d["backend"]
    cfg = d["config"]
    return {
        "tool": d["oracle"],
        "versions": d["versions"],
        "backend": {k: be[k] for k in ("name", "wasm_binary", "simd", "threads") if k in be},
        "model": {
            "model": cfg["model"],
            "model_json": {"file": Path(m["model_json"]["path"]).name, "sha256": m["model_json"]["sha256"]},
            "weight_files": [{"file": Path(w["path"]).name, "sha256": w["sha256"]} for w in m["weight_files"]],
            "generated_by": m.get("generated_by"),
            "converted_by": m.get("converted_by"),
        },
        "config": {
            "detector": cfg["detector"],
            "estimation": cfg["estimation"],
            "mode": cfg["mode"],
            "t0_ms": cfg["t0_ms"],
            "warmup": cfg["warmup"],
        },
    }


# --------------------------------------------------------------------------- fixtures


def _r(v: float | None, nd: int) -> float | None:
    return None if v is None else round(float(v), nd)


def pose_record(p: dict[str, Any], multipose: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "score": _r(p["score"], 4),
        "keypoints": [[_r(k["x"], 4), _r(k["y"], 4), _r(k["score"], 4)] for k in p["keypoints"]],
    }
    if multipose:
        b = p["box"]
        rec["box"] = None if b is None else [_r(b[k], 6) for k in ("yMin", "xMin", "yMax", "xMax")]
        rec["id"] = p["id"]
    return rec


def frame_records(docs: list[dict[str, Any]], items: list[dict[str, Any]], multipose: bool) -> list[dict[str, Any]]:
    frames = [fr for d in docs for fr in d["frames"]]
    inputs = [inp for d in docs for inp in d["inputs"]]
    out = []
    for it, inp, fr in zip(items, inputs, frames, strict=True):
        if not multipose:
            assert len(fr["poses"]) <= 1
        out.append(
            {
                "case": it["case"],
                "width": inp["width"],
                "height": inp["height"],
                "rgb_sha256": inp["rgb_sha256"],
                "poses": [pose_record(p, multipose) for p in fr["poses"]],
            }
        )
    return out


def write_json_fixture(path: Path, header: dict[str, Any], frames: list[dict[str, Any]]) -> None:
    """Compact JSON, one frame per line (diff-friendly)."""
    sep = (",", ":")
    head = ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=sep)}" for k, v in header.items())
    body = ",\n".join(json.dumps(f, separators=sep) for f in frames)
    path.write_text("{" + head + ',\n"frames":[\n' + body + "\n]}\n")


def make_images_fixture(
    oracle: Oracle, model: str, sets: dict[str, list[dict[str, Any]]], out_dir: Path
) -> dict[str, dict[str, Any]]:
    set_names = ["stills"] if model == "multipose" else ["stills", "transformed"]
    all_docs, frames, timing = [], [], {}
    for s in set_names:
        docs = oracle.run(model, sets[s], label=s)
        all_docs += docs
        frames += frame_records(docs, sets[s], multipose=model == "multipose")
        per = [ms for d in docs for ms in d["timing"]["per_frame_ms"]]
        timing[s] = {"frames": len(per), "median_ms": round(float(np.median(per)), 2)}
    header = {
        "oracle": {**oracle_summary(all_docs), "estimate_poses_timing": timing},
        "generated": _dt.date.today().isoformat(),
        "sets": {s: len(sets[s]) for s in set_names},
    }
    path = out_dir / f"{model}_images.json"
    write_json_fixture(path, header, frames)
    print(
        f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
        f"{len(frames)} frames, {path.stat().st_size / 1024:.0f} KiB",
        flush=True,
    )
    return {f["case"]: f for f in frames}


def make_raw_fixture(
    oracle: Oracle,
    model: str,
    items: list[dict[str, Any]],
    out_dir: Path,
    tmp: Path,
    reference: dict[str, dict[str, Any]] | None,
) -> None:
    dump = tmp / f"dump_{model}"
    docs = oracle.run(model, items, extra=["--debug", "--dump-dir", str(dump)], label="raw")
    assert len(docs) == 1, "raw inputs must fit one oracle call (dump file numbering)"
    doc = docs[0]
    arrays: dict[str, np.ndarray] = {}
    input_shapes: list[list[int]] = []
    crops_after = np.full((len(items), 4), np.nan, dtype=np.float64)
    for i, (it, fr) in enumerate(zip(items, doc["frames"], strict=True)):
        dbg = fr["debug"]
        prefix = dbg["dump_prefix"]
        assert Path(prefix).name == f"frame{i:05d}", prefix
        x = np.load(prefix + "_input.npy")
        y = np.load(prefix + "_output.npy")
        assert list(x.shape) == dbg["model_input"]["shape"] and x.dtype == np.int32
        assert x.min() >= 0 and x.max() <= 255, "model input outside 0..255"
        x8 = x.astype(np.uint8)
        assert np.array_equal(x8.astype(np.int32), x)
        assert T.rgb_sha256(x8) == dbg["model_input"]["uint8_sha256"]
        assert y.dtype == np.float32 and list(y.shape) == dbg["model_output"]["shape"]
        assert np.array_equal(y.ravel(), np.asarray(dbg["model_output"]["values"], np.float32))
        # The input crop itself is image content from ../shared and stays out of git: tests
        # rebuild it with our own preprocessing and check it against input_sha256.
        input_shapes.append(list(x8.shape))
        arrays[f"output_{i}"] = y
        cr = dbg.get("crop_region_after")
        if cr:
            crops_after[i] = [cr["yMin"], cr["xMin"], cr["yMax"], cr["xMax"]]
        if reference is not None:  # --debug must not change the answer
            got = frame_records([{"frames": [fr], "inputs": [doc["inputs"][i]]}], [it], multipose=model == "multipose")[
                0
            ]
            if got != reference[it["case"]]:
                print(f"  WARNING: {model} {it['case']}: poses differ from the images run", flush=True)
    meta = {
        "oracle": oracle_summary(docs),
        "generated": _dt.date.today().isoformat(),
        "cases": [it["case"] for it in items],
        "note": "input_sha256: sha256 of the model input tensor (int32 in TF.js, hashed as uint8 after "
        "checking 0..255); output_i: raw model output float32 as returned by the graph model",
    }
    path = out_dir / f"{model}_raw.npz"
    payload: dict[str, Any] = dict(
        cases=np.array([it["case"] for it in items]),
        rgb_sha256=np.array([it["rgb_sha256"] for it in items]),
        image_hw=np.array([[it["height"], it["width"]] for it in items], dtype=np.int64),
        input_sha256=np.array([fr["debug"]["model_input"]["uint8_sha256"] for fr in doc["frames"]]),
        input_shapes=np.array(input_shapes, dtype=np.int64),
        crop_region_after=crops_after,
        meta=np.array(json.dumps(meta, separators=(",", ":"))),
        **arrays,
    )
    np.savez_compressed(path, **payload)
    print(
        f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
        f"{len(items)} frames, {path.stat().st_size / 1024:.0f} KiB",
        flush=True,
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--oracle", default=DEFAULT_ORACLE, help="path of the oracle's run.sh")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of lightning,thunder,multipose")
    ap.add_argument("--backend", default="wasm", choices=("wasm", "cpu"))
    ap.add_argument("--skip-images", action="store_true", help="skip the *_images.json fixtures")
    ap.add_argument("--skip-raw", action="store_true", help="skip the *_raw.npz fixtures")
    ap.add_argument("--chunk", type=int, default=400, help="max inputs per oracle call")
    ap.add_argument("--keep-tmp", type=Path, default=None, help="write the PNG inputs and dumps here and keep them")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="oracle_fixtures_") as tmpd:
        tmp = args.keep_tmp or Path(tmpd)
        tmp.mkdir(parents=True, exist_ok=True)
        writer = InputWriter(tmp)
        sets = build_sets(args.data_dir, writer)
        by_case = {it["case"]: it for it in sets["stills"]}
        raw_items = [by_case[f"stills/{rel}"] for rel in RAW_INPUTS]
        oracle = Oracle(args.oracle, args.backend, args.chunk)
        for model in models:
            ref = None
            if not args.skip_images:
                ref = make_images_fixture(oracle, model, sets, args.out_dir)
            if not args.skip_raw:
                make_raw_fixture(oracle, model, raw_items, args.out_dir, tmp, ref)

    print(f"total oracle wall time {oracle.total_s:.1f} s; script {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
