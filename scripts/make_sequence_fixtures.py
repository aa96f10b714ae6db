#!/usr/bin/env python3
"""Regenerate the TF.js-oracle video-sequence fixtures ``tests/fixtures/oracle/sequence_*.json``.

The sequences are defined in ``tests/sequences.py`` (real clips decoded with PyAV, a folder of
JPEGs decoded with Pillow, and two synthetic integer-exact pan/zoom sequences over stills). Each
sequence's frames are written as PNGs into a temporary folder and given to the oracle
(``/work/shared/tools/tfjs-oracle/run.sh``) as ONE video, from a fresh detector state::

    run.sh --model M --backend wasm --smoothing on --fps 30 --warmup 0 --debug DIR

so frame ``k`` gets timestamp ``k*1000/30`` ms (the first frame, at 0, passes the one-euro
filter unchanged). The oracle's ``rgb_sha256`` of every decoded PNG is checked against the
array we wrote. ``--debug`` only reads tensors back (same poses); it gives the crop region each
frame started from, stored at full precision so a test can restart every frame from the
reference's crop (the crop loop feeds float noise back and two TF.js backends drift apart by
pixels over a sequence, see ``tests/fixtures/README.md``).

Fixtures (formats in ``tests/fixtures/README.md``):

* ``sequence_lightning.json``, ``sequence_thunder.json``: every sequence, smoothing on;
* ``sequence_lightning_smoothing_off.json``: ``--smoothing off`` on ``SMOOTHING_OFF_SEQUENCES``
  (the keypoints are then raw, but the crop region is still low-pass filtered);
* ``sequence_lightning_cpu.json``: the reference against itself, the lightning run on
  ``CPU_BASELINE_SEQUENCES`` with ``--backend cpu`` (pure-JS kernels).

Usage (from the repository root; about 12 minutes on a 2-core VM, 9 of them the cpu run)::

    python scripts/make_sequence_fixtures.py
    python scripts/make_sequence_fixtures.py --models lightning --skip-smoothing-off

Options: ``--data-dir`` (default ``$MOVENET_SHARED_DATA`` or ``/work/shared/data``),
``--oracle`` (default ``$TFJS_ORACLE`` or ``/work/shared/tools/tfjs-oracle/run.sh``),
``--out-dir``, ``--models``, ``--sequences``, ``--skip-smoothing-off``, ``--skip-cpu``,
``--keep-tmp DIR``.
Rerunning overwrites the fixtures it produces; the frames come out identical (only the
``generated`` date and timings change).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
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
MODELS = ("lightning", "thunder")
SMOOTHING_OFF_MODEL = "lightning"
SMOOTHING_OFF_SEQUENCES = ("tfjs_dance_pose_1", "panzoom_tfjs_pose")
# The reference against itself: the same run on the TF.js cpu backend (pure-JS kernels, ~1.3 s a
# frame), to measure how far two TF.js backends drift apart over a sequence.
CPU_BASELINE_MODEL = "lightning"
CPU_BASELINE_SEQUENCES: tuple[str, ...] | None = None  # None: every sequence (~9 minutes)
KEYPOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)


def _load_tests_module(name: str):  # noqa: ANN202 - a module
    """Import ``tests/<name>.py`` (with ``tests/`` on sys.path, as pytest has it)."""
    tests_dir = str(REPO / "tests")
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


T = _load_tests_module("transforms")
S = _load_tests_module("sequences")


def _r(v: float, nd: int = 4) -> float:
    return round(float(v), nd)


def file_sha256(path: Path) -> str | None:
    """sha256 of a file (None for a folder)."""
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sequence(name: str, data_dir: Path, tmp: Path) -> dict[str, Any]:
    """Builds the frames of one sequence and writes them as PNGs into ``tmp/name``."""
    from PIL import Image

    seq = S.SEQUENCES[name]
    frames = S.load_frames(name, data_dir)
    out = tmp / name
    out.mkdir(parents=True)
    items = []
    for k, arr in enumerate(frames):
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3, (name, k, arr.shape)
        Image.fromarray(arr, "RGB").save(out / f"f{k:05d}.png", compress_level=1)
        items.append({"case": f"{name}#{k}", "width": int(arr.shape[1]), "height": int(arr.shape[0]),
                      "rgb_sha256": T.rgb_sha256(arr)})
    shapes = sorted({(it["height"], it["width"]) for it in items})
    print(f"{name}: {len(frames)} frames {shapes}", flush=True)
    return {
        "name": name,
        "dir": out,
        "items": items,
        "meta": {
            "name": name,
            "source": seq.source,
            "source_sha256": file_sha256(data_dir / seq.source),
            "description": seq.description,
            "frames": len(frames),
            "ffmpeg_decoded": seq.ffmpeg_decoded,
        },
    }


def run_oracle(
    oracle: str, model: str, smoothing: str, seq: dict[str, Any], backend: str = "wasm"
) -> tuple[dict[str, Any], float]:
    cmd = [oracle, "--model", model, "--backend", backend, "--smoothing", smoothing, "--fps", str(S.FPS),
           "--warmup", "0", "--debug", str(seq["dir"])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"oracle failed (rc={proc.returncode}): {' '.join(cmd)}")
    doc = json.loads(proc.stdout)
    check_doc(doc, seq["items"], model, smoothing, backend)
    return doc, dt


def check_doc(doc: dict[str, Any], items: list[dict[str, Any]], model: str, smoothing: str, backend: str) -> None:
    cfg = doc["config"]
    assert cfg["model"] == model and cfg["mode"] == "sequence" and cfg["warmup"] == 0, cfg
    assert cfg["detector"]["enableSmoothing"] is (smoothing == "on"), cfg["detector"]
    assert doc["backend"]["active"] == doc["backend"]["name"] == backend, doc["backend"]
    assert len(doc["inputs"]) == len(items) and len(doc["frames"]) == len(items)
    for k, (it, inp, fr) in enumerate(zip(items, doc["inputs"], doc["frames"], strict=True)):
        assert inp["decoder"] == "pngjs", inp
        assert (inp["width"], inp["height"]) == (it["width"], it["height"]), (it["case"], inp)
        assert inp["rgb_sha256"] == it["rgb_sha256"], f"decoded pixels differ for {it['case']}"
        assert fr["frame"] == k and fr["input"] == k and fr["pass"] == 0, fr
        assert abs(fr["timestamp_ms"] - S.timestamp_ms(k)) < 1e-9, (k, fr["timestamp_ms"])
        assert int(fr["timestamp_ms"] * 1000) == int(S.timestamp_ms(k) * 1000) == k * 100000 // 3
        assert len(fr["poses"]) <= 1
        for p in fr["poses"]:
            assert tuple(kp["name"] for kp in p["keypoints"]) == KEYPOINT_NAMES
        # The crop a frame starts from is the one the previous frame left (None: first frame, or
        # the state was reset because the previous frame had no pose).
        before, after = fr["debug"]["crop_region_before"], fr["debug"]["crop_region_after"]
        if k == 0:
            assert before is None
        else:
            prev = doc["frames"][k - 1]
            assert before == (prev["debug"]["crop_region_after"] if prev["poses"] else None), k
        assert (after is None) == (not fr["poses"]), k


def _crop(region: dict[str, float] | None) -> list[float] | None:
    """[yMin, xMin, yMax, xMax] at full double precision (the test restarts frames from it)."""
    return None if region is None else [float(region[key]) for key in ("yMin", "xMin", "yMax", "xMax")]


def _pose(p: dict[str, Any]) -> dict[str, Any]:
    return {"score": _r(p["score"]), "keypoints": [[_r(k["x"]), _r(k["y"]), _r(k["score"])] for k in p["keypoints"]]}


def frame_records(doc: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **it,
            "timestamp_ms": _r(fr["timestamp_ms"]),
            "crop": _crop(fr["debug"]["crop_region_before"]),
            "poses": [_pose(p) for p in fr["poses"]],
        }
        for it, fr in zip(items, doc["frames"], strict=True)
    ]


def oracle_summary(doc: dict[str, Any]) -> dict[str, Any]:
    m, be, cfg = doc["model"], doc["backend"], doc["config"]
    return {
        "tool": doc["oracle"],
        "versions": doc["versions"],
        "backend": {k: be[k] for k in ("name", "wasm_binary", "simd", "threads") if k in be},
        "model": {
            "model": cfg["model"],
            "model_json": {"file": Path(m["model_json"]["path"]).name, "sha256": m["model_json"]["sha256"]},
            "weight_files": [{"file": Path(w["path"]).name, "sha256": w["sha256"]} for w in m["weight_files"]],
            "generated_by": m.get("generated_by"),
            "converted_by": m.get("converted_by"),
        },
        "config": {k: cfg[k] for k in ("detector", "estimation", "mode", "fps", "t0_ms", "warmup")},
    }


def write_json_fixture(path: Path, header: dict[str, Any], frames: list[dict[str, Any]]) -> None:
    """Compact JSON, one frame per line (diff-friendly)."""
    sep = (",", ":")
    head = ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=sep)}" for k, v in header.items())
    body = ",\n".join(json.dumps(f, separators=sep) for f in frames)
    path.write_text("{" + head + ',\n"frames":[\n' + body + "\n]}\n")


def make_fixture(
    oracle: str, model: str, smoothing: str, seqs: list[dict[str, Any]], path: Path, backend: str = "wasm"
) -> None:
    frames: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    summaries = []
    for seq in seqs:
        doc, dt = run_oracle(oracle, model, smoothing, seq, backend)
        recs = frame_records(doc, seq["items"])
        frames += recs
        per = doc["timing"]["per_frame_ms"]
        with_pose = sum(1 for r in recs if r["poses"])
        metas.append({**seq["meta"], "with_pose": with_pose})
        summaries.append(oracle_summary(doc))
        print(f"  oracle {model:9s} {backend} smoothing {smoothing:3s} {seq['name']:32s} {len(recs):4d} frames "
              f"({with_pose} with a pose): {dt:6.1f} s wall, median estimatePoses {np.median(per):.1f} ms", flush=True)
    assert all(s == summaries[0] for s in summaries), "oracle set-up changed between runs"
    import av
    import PIL

    header = {
        "oracle": summaries[0],
        "generated": _dt.date.today().isoformat(),
        "decoders": {"pyav": av.__version__, "ffmpeg": S.ffmpeg_versions(), "pillow": PIL.__version__},
        "sequences": metas,
    }
    write_json_fixture(path, header, frames)
    rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    print(f"wrote {rel}: {len(frames)} frames, {path.stat().st_size / 1024:.0f} KiB", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--oracle", default=DEFAULT_ORACLE)
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--sequences", default=",".join(S.SEQUENCE_NAMES),
                    help="comma-separated subset (for a trial run; the committed fixtures hold all)")
    ap.add_argument("--skip-smoothing-off", action="store_true")
    ap.add_argument("--skip-cpu", action="store_true", help="skip the cpu-backend baseline run (~9 minutes)")
    ap.add_argument("--keep-tmp", type=Path, default=None, help="write the PNGs here and keep them")
    args = ap.parse_args(argv)

    models = [m for m in args.models.split(",") if m]
    names = [n for n in args.sequences.split(",") if n]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}")
    for n in names:
        if n not in S.SEQUENCES:
            ap.error(f"unknown sequence {n!r}; known: {', '.join(S.SEQUENCE_NAMES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="movenet_seq_") as tmp_name:
        tmp = args.keep_tmp if args.keep_tmp else Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        seqs = [write_sequence(n, args.data_dir, tmp) for n in names]
        for model in models:
            make_fixture(args.oracle, model, "on", seqs, args.out_dir / f"sequence_{model}.json")
        if not args.skip_smoothing_off and SMOOTHING_OFF_MODEL in models:
            off = [s for s in seqs if s["name"] in SMOOTHING_OFF_SEQUENCES]
            if off:
                path = args.out_dir / f"sequence_{SMOOTHING_OFF_MODEL}_smoothing_off.json"
                make_fixture(args.oracle, SMOOTHING_OFF_MODEL, "off", off, path)
        if not args.skip_cpu and CPU_BASELINE_MODEL in models:
            base = [s for s in seqs if CPU_BASELINE_SEQUENCES is None or s["name"] in CPU_BASELINE_SEQUENCES]
            if base:
                path = args.out_dir / f"sequence_{CPU_BASELINE_MODEL}_cpu.json"
                make_fixture(args.oracle, CPU_BASELINE_MODEL, "on", base, path, backend="cpu")
    print(f"done in {time.perf_counter() - t_start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
