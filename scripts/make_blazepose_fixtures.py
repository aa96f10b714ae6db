#!/usr/bin/env python3
"""Regenerate the TF.js-oracle BlazePose reference fixtures in ``tests/fixtures/oracle/``.

The oracle (``/work/shared/tools/tfjs-oracle/run.sh``) runs Google's
``@tensorflow-models/pose-detection`` BlazePose (runtime ``tfjs``) in Node.js, wasm backend.
Inputs are built exactly as for MoveNet (``scripts/make_oracle_fixtures.py``: every scene
photo under the data dir, and 8 images through every ``tests/transforms`` transform), decoded
by Pillow and handed to the oracle as PNGs (its ``rgb_sha256`` is checked). Only numbers are
stored: keypoints, sha256 checksums of inputs and model-input tensors, ROIs, mask summaries.

Fixtures (formats in ``tests/fixtures/README.md``):

* ``blazepose_{lite,full,heavy}_images.json``: sets ``stills`` + ``transformed``,
  ``--images-independent --smoothing off --segmentation on --debug``: per image the pose
  (score; 33 keypoints x, y, z, score; 33 world keypoints x, y, z; mask mean and fraction
  above 0.5) and the sha256 of the float32 detector input tensor.
* ``blazepose_full_images_smoothing_on.json``: the 4 ``stills/`` images and their transforms
  with smoothing on (timestamp 0 per image: the filters pass the first frame through, but
  the keypoint z comes out multiplied by the image width, a reference quirk).
* ``blazepose_masks.npz``: for the 4 ``stills/`` images and each model, the mask sampled at
  every 16th row and column (``mask[::16, ::16]``), as ``round(p * 255)`` uint8; plus the
  detector-input sha256 of the TF.js **cpu** backend on the same images (its Transform kernel
  computes in float64).
* ``blazepose_sequence_{name}_{model}[_smoothing_off][_cpu].json``: sequences of
  ``tests/sequences.py`` as one 30 fps video each, segmentation on: per frame the ROI before
  and after (full precision), the sha256 of the landmark-model input and, when the detector
  ran, of the detector input, and the pose. Runs (``SEQUENCE_RUNS``): the 65 squat frames
  (``tfjs_squats``) with full (smoothing on and off), lite and heavy, and the same three on the
  TF.js cpu backend (the reference against itself); the pan/zoom over tfjs_pose.jpg, which loses
  the person for some frames (reset, detector again), with full.

Usage (from the repository root; about 15 minutes of oracle time on a loaded 2-core VM)::

    python scripts/make_blazepose_fixtures.py
    python scripts/make_blazepose_fixtures.py --models full --skip-sequences   # partial rerun
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
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("MOVENET_SHARED_DATA", "/work/shared/data")
DEFAULT_ORACLE = os.environ.get("TFJS_ORACLE", "/work/shared/tools/tfjs-oracle/run.sh")
DEFAULT_OUT = REPO / "tests" / "fixtures" / "oracle"
MODELS = ("lite", "full", "heavy")
MASK_STRIDE = 16


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# The MoveNet fixture script's input sets and PNG writer, reused so both families see the same images.
MOF = _load("_make_oracle_fixtures", REPO / "scripts" / "make_oracle_fixtures.py")
T = MOF.T
sys.path.insert(0, str(REPO / "tests"))
SEQ = _load("_movenet_test_sequences", REPO / "tests" / "sequences.py")

from movenet.skeletons import BLAZEPOSE_33  # noqa: E402

KEYPOINT_NAMES = BLAZEPOSE_33.keypoint_names


class Oracle:
    def __init__(self, run_sh: str, chunk: int):
        self.run_sh = run_sh
        self.chunk = chunk
        self.total_s = 0.0

    def run(self, model: str, paths: list[str], extra: list[str], label: str, backend: str = "wasm",
            independent: bool = True) -> list[dict[str, Any]]:
        docs = []
        chunk = self.chunk if independent else len(paths)  # a sequence must be one call
        for k in range(0, len(paths), chunk):
            part = paths[k : k + chunk]
            cmd = [self.run_sh, "--model", f"blazepose-{model}", "--backend", backend, "--warmup", "0",
                   *(["--images-independent"] if independent else []), *extra, *part]
            t0 = time.perf_counter()
            proc = subprocess.run(["nice", "-n", "10", *cmd], capture_output=True, text=True)
            dt = time.perf_counter() - t0
            self.total_s += dt
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"oracle failed (rc={proc.returncode}): {' '.join(cmd[:10])} ...")
            doc = json.loads(proc.stdout)
            med = doc["timing"]["estimate_poses"]["median_ms"]
            print(f"  oracle {model:5s} {backend} {label:22s} {len(part):4d} inputs: {dt:6.1f} s wall, "
                  f"median estimatePoses {med:.1f} ms", flush=True)
            docs.append(doc)
        return docs


def summary(docs: list[dict[str, Any]]) -> dict[str, Any]:
    d = docs[0]
    be = d["backend"]
    cfg = d["config"]

    def files(m: dict[str, Any]) -> dict[str, Any]:
        return {"model_json": {"file": Path(m["model_json"]["path"]).name, "sha256": m["model_json"]["sha256"]},
                "weight_files": [{"file": Path(w["path"]).name, "sha256": w["sha256"]} for w in m["weight_files"]]}

    return {
        "tool": d["oracle"],
        "versions": d["versions"],
        "backend": {k: be[k] for k in ("name", "wasm_binary", "simd", "threads") if k in be},
        "model": {"detector": files(d["model"]["detector"]), "landmark": files(d["model"]["landmark"])},
        "config": {"detector": cfg["detector"], "estimation": cfg["estimation"], "mode": cfg["mode"],
                   "fps": cfg.get("fps"), "t0_ms": cfg["t0_ms"]},
    }


def _r(v: float, nd: int) -> float:
    return round(float(v), nd)


def pose_record(p: dict[str, Any]) -> dict[str, Any]:
    assert tuple(k["name"] for k in p["keypoints"]) == KEYPOINT_NAMES
    kp: list[float] = []
    for k in p["keypoints"]:
        kp += [_r(k["x"], 3), _r(k["y"], 3), _r(k["z"], 2), _r(k["score"], 4)]
    kp3d: list[float] = []
    for k in p["keypoints3D"]:
        kp3d += [_r(k["x"], 4), _r(k["y"], 4), _r(k["z"], 4)]
    rec: dict[str, Any] = {"score": _r(p["score"], 4), "kp": kp, "kp3d": kp3d}
    seg = p.get("segmentation")
    if seg:
        rec["mask"] = [_r(seg["mean"], 5), _r(seg["fraction_above_0_5"], 5)]
    return rec


def frame_record(fr: dict[str, Any], inp: dict[str, Any], case: str | None) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    if case is not None:
        rec["case"] = case
    rec.update(width=inp["width"], height=inp["height"], rgb_sha256=inp["rgb_sha256"])
    dbg = fr.get("debug") or {}
    if dbg.get("detector_model"):
        rec["detector_input_sha256"] = dbg["detector_model"]["input"]["float32_sha256"]
    rec["poses"] = [pose_record(p) for p in fr["poses"]]
    assert not fr.get("non_finite_values"), case
    return rec


def write_json_fixture(path: Path, header: dict[str, Any], frames: list[dict[str, Any]]) -> None:
    MOF.write_json_fixture(path, header, frames)
    rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    print(f"wrote {rel}: {len(frames)} frames, {path.stat().st_size / 1024:.0f} KiB", flush=True)


def check_inputs(docs: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    inputs = [inp for d in docs for inp in d["inputs"]]
    frames = [fr for d in docs for fr in d["frames"]]
    assert len(inputs) == len(items) == len(frames)
    for it, inp in zip(items, inputs, strict=True):
        assert inp["decoder"] == "pngjs", inp
        assert inp["rgb_sha256"] == it["rgb_sha256"], f"decoded pixels differ for {it['case']}"
    return frames


def make_images(oracle: Oracle, model: str, items: list[dict[str, Any]], out: Path, smoothing: str,
                sets: dict[str, int], suffix: str = "") -> None:
    extra = ["--smoothing", smoothing, "--segmentation", "on", "--debug"]
    docs = oracle.run(model, [it["path"] for it in items], extra, f"images smoothing {smoothing}")
    frames = check_inputs(docs, items)
    inputs = [inp for d in docs for inp in d["inputs"]]
    records = [frame_record(fr, inp, it["case"]) for it, inp, fr in zip(items, inputs, frames, strict=True)]
    per = [ms for d in docs for ms in d["timing"]["per_frame_ms"]]
    header = {"oracle": {**summary(docs), "estimate_poses_median_ms": round(float(np.median(per)), 1)},
              "generated": _dt.date.today().isoformat(), "sets": sets}
    write_json_fixture(out / f"blazepose_{model}_images{suffix}.json", header, records)


def make_masks(oracle: Oracle, models: list[str], items: list[dict[str, Any]], out: Path, tmp: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    for model in models:
        dump = tmp / f"masks_{model}"
        docs = oracle.run(model, [it["path"] for it in items],
                          ["--smoothing", "off", "--segmentation", "on", "--debug", "--dump-dir", str(dump)],
                          "masks")
        assert len(docs) == 1
        frames = check_inputs(docs, items)
        for i, (it, fr) in enumerate(zip(items, frames, strict=True)):
            if not fr["poses"]:
                continue
            mask = np.load(fr["poses"][0]["segmentation"]["npy"])
            assert mask.shape == (it["height"], it["width"]) and mask.dtype == np.float32
            arrays[f"{model}/{i}"] = np.round(mask[::MASK_STRIDE, ::MASK_STRIDE] * 255).astype(np.uint8)
    docs = oracle.run("full", [it["path"] for it in items], ["--smoothing", "off", "--debug"], "cpu kernel",
                      backend="cpu")
    frames = check_inputs(docs, items)
    cpu_sha = [fr["debug"]["detector_model"]["input"]["float32_sha256"] for fr in frames]
    meta = {"generated": _dt.date.today().isoformat(), "stride": MASK_STRIDE,
            "note": "mask entries '<model>/<i>': round(255 * mask[::stride, ::stride]) of case i; "
                    "cpu_detector_input_sha256: TF.js cpu backend, full model"}
    np.savez_compressed(out / "blazepose_masks.npz", cases=np.array([it["case"] for it in items]),
                        rgb_sha256=np.array([it["rgb_sha256"] for it in items]),
                        cpu_detector_input_sha256=np.array(cpu_sha), meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote blazepose_masks.npz ({(out / 'blazepose_masks.npz').stat().st_size / 1024:.0f} KiB)", flush=True)


def make_sequence(oracle: Oracle, name: str, model: str, smoothing: str, frames_dir: Path, shas: list[str],
                  out: Path, backend: str = "wasm") -> None:
    paths = sorted(str(p) for p in frames_dir.glob("*.png"))
    docs = oracle.run(model, paths, ["--smoothing", smoothing, "--segmentation", "on", "--debug"],
                      f"{name} smoothing {smoothing}", backend=backend, independent=False)
    doc = docs[0]
    records = []
    for k, (fr, inp) in enumerate(zip(doc["frames"], doc["inputs"], strict=True)):
        assert inp["rgb_sha256"] == shas[k], f"frame {k} differs"
        rec = frame_record(fr, inp, None)
        dbg = fr["debug"]
        rec = {"frame": k, "timestamp_ms": fr["timestamp_ms"], "roi_before": dbg["roi_before"],
               "roi_after": dbg.get("roi_after"),
               "landmark_input_sha256": dbg["landmark_model"]["input"]["float32_sha256"]
               if dbg.get("landmark_model") else None, **rec}
        records.append(rec)
    seq = SEQ.SEQUENCES[name]
    suffix = ("" if smoothing == "on" else "_smoothing_off") + ("" if backend == "wasm" else f"_{backend}")
    header = {"oracle": summary(docs), "generated": _dt.date.today().isoformat(),
              "sequence": {"name": name, "source": seq.source, "description": seq.description,
                           "frames": len(records), "ffmpeg": SEQ.ffmpeg_versions() if seq.ffmpeg_decoded else None}}
    write_json_fixture(out / f"blazepose_sequence_{name}_{model}{suffix}.json", header, records)


def sequence_frames(name: str, data_dir: Path, tmp: Path) -> tuple[Path, list[str]]:
    """The frames of tests/sequences.py's sequence ``name`` as PNGs, and their sha256."""
    frames_dir = tmp / f"seq_{name}"
    frames_dir.mkdir(exist_ok=True)
    from PIL import Image

    shas = []
    for k, f in enumerate(SEQ.load_frames(name, data_dir)):
        Image.fromarray(f).save(frames_dir / f"{k:04d}.png", compress_level=1)
        shas.append(T.rgb_sha256(f))
    return frames_dir, shas


#: (sequence, model, smoothing, backend) runs.
SEQUENCE_RUNS = (
    ("tfjs_squats", "full", "on", "wasm"),
    ("tfjs_squats", "full", "off", "wasm"),
    ("tfjs_squats", "lite", "on", "wasm"),
    ("tfjs_squats", "heavy", "on", "wasm"),
    ("panzoom_tfjs_pose", "full", "on", "wasm"),
    # The reference against itself (slow: seconds a frame on the pure-JS kernels).
    ("tfjs_squats", "lite", "on", "cpu"),
    ("tfjs_squats", "full", "on", "cpu"),
    ("tfjs_squats", "heavy", "on", "cpu"),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--oracle", default=DEFAULT_ORACLE, help="path of the oracle's run.sh")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of lite,full,heavy")
    ap.add_argument("--skip-images", action="store_true")
    ap.add_argument("--skip-masks", action="store_true")
    ap.add_argument("--skip-sequences", action="store_true")
    ap.add_argument("--skip-cpu", action="store_true", help="skip the (slow) TF.js cpu backend sequences")
    ap.add_argument("--only-cpu", action="store_true", help="of the sequences, run only the cpu backend ones")
    ap.add_argument("--chunk", type=int, default=100, help="max inputs per oracle call")
    ap.add_argument("--keep-tmp", type=Path, default=None, help="write the PNG inputs and dumps here and keep them")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    oracle = Oracle(args.oracle, args.chunk)
    with tempfile.TemporaryDirectory(prefix="blazepose_fixtures_") as tmpd:
        tmp = args.keep_tmp or Path(tmpd)
        tmp.mkdir(parents=True, exist_ok=True)
        writer = MOF.InputWriter(tmp)
        sets = MOF.build_sets(args.data_dir, writer)
        items = sets["stills"] + sets["transformed"]
        counts = {k: len(v) for k, v in sets.items()}
        base = [it for it in sets["stills"] if it["case"] in {f"stills/{r}" for r in MOF.TRANSFORM_STILLS}]
        if not args.skip_images:
            for model in models:
                make_images(oracle, model, items, args.out_dir, "off", counts)
            if "full" in models:
                subset = base + [it for it in sets["transformed"]
                                 if it["case"].split("#")[0].replace("transformed/", "stills/", 1)
                                 in {b["case"] for b in base}]
                make_images(oracle, "full", subset, args.out_dir, "on", {"stills/ and their transforms": len(subset)},
                            suffix="_smoothing_on")
        if not args.skip_masks:
            make_masks(oracle, models, base, args.out_dir, tmp)
        if not args.skip_sequences:
            built: dict[str, tuple[Path, list[str]]] = {}
            for name, model, smoothing, backend in SEQUENCE_RUNS:
                if model not in models or (backend == "cpu" and args.skip_cpu) or (backend != "cpu" and args.only_cpu):
                    continue
                if name not in built:
                    built[name] = sequence_frames(name, args.data_dir, tmp)
                make_sequence(oracle, name, model, smoothing, *built[name], args.out_dir, backend)
    print(f"total oracle wall time {oracle.total_s:.1f} s; script {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
