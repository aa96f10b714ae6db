#!/usr/bin/env python3
"""Regenerate the TF.js-oracle PoseNet fixtures ``tests/fixtures/oracle/posenet_*.json`` / ``.npz``.

The oracle is the official ``@tensorflow-models/pose-detection`` PoseNet pipeline (MobileNetV1
0.75, output stride 16) run in Node.js (``/work/shared/tools/tfjs-oracle/run.sh --model
posenet``, see its README). Inputs are the sets of ``scripts/make_oracle_fixtures.py``, built
by its code: ``stills`` (every scene photo under the data dir) and ``transformed`` (8 images x
every transform of ``tests/transforms.py``), each decoded by Pillow and handed to the oracle as
a PNG (its jpeg-js decoder gives other pixels); the oracle's ``rgb_sha256`` of every input is
checked against ours. No image is committed, only numbers.

Oracle runs (``--backend wasm --images-independent --warmup 0``):

* ``posenet_single.json``: stills + transformed, ``--max-poses 1`` (single-person decoding),
  with ``--debug``: each frame also records the sha256 of the float32 network input.
* ``posenet_multi.json``: stills + transformed, ``--max-poses 5`` (library defaults
  scoreThreshold 0.5, nmsRadius 20).
* ``posenet_multi_params.json``: stills, ``--max-poses 5 --score-threshold 0.3 --nms-radius 12.5``.
* ``posenet_resolution.json``: the 4 ``stills/`` images and their transforms, single-person
  at ``--input-resolution 300x200`` (snapped to 289x193) and multi-person at 385 (the file's
  export size); frames carry ``run``.
* ``posenet_raw.npz``: ``--debug --dump-dir`` at 257 on tfjs_three_people: the
  four raw output maps (float32) and the network input's sha256, so that decoding is tested
  without the network.

Pose records: ``{"score", "keypoints": [[x, y, score] x 17]}`` in image pixels, coordinates
rounded to 1e-3 px and scores to 1e-5. Usage (from the repository root, a few minutes)::

    PYTHONPATH=src python scripts/make_posenet_fixtures.py [--data-dir D] [--oracle RUN_SH] [--only single,raw]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _load_script(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


#: The MoveNet fixture script: input sets, the oracle runner, the compact JSON writer.
MF = _load_script("_make_oracle_fixtures", REPO / "scripts" / "make_oracle_fixtures.py")

OUTPUTS = ("offset", "heatmap", "displacement_fwd", "displacement_bwd")
RAW_INPUTS = ("stills/stills/tfjs_three_people.jpg",)
RUNS = ("single", "multi", "multi_params", "resolution", "raw")
PARAMS = ["--max-poses", "5", "--score-threshold", "0.3", "--nms-radius", "12.5"]
XY_DECIMALS = 3
SCORE_DECIMALS = 5


def pose_record(p: dict[str, Any]) -> dict[str, Any]:
    assert p["box"] is None and p["id"] is None
    return {
        "score": round(float(p["score"]), SCORE_DECIMALS),
        "keypoints": [[round(float(k["x"]), XY_DECIMALS), round(float(k["y"]), XY_DECIMALS),
                       round(float(k["score"]), SCORE_DECIMALS)] for k in p["keypoints"]],
    }


def frame_records(docs: list[dict[str, Any]], items: list[dict[str, Any]], debug: bool = False,
                  run: str | None = None) -> list[dict[str, Any]]:
    frames = [fr for d in docs for fr in d["frames"]]
    out = []
    for it, fr in zip(items, frames, strict=True):
        assert not fr.get("non_finite_values"), (it["case"], fr.get("non_finite_values"))
        rec: dict[str, Any] = {"case": it["case"]}
        if run is not None:
            rec["run"] = run
        rec.update(width=it["width"], height=it["height"], rgb_sha256=it["rgb_sha256"])
        if debug:
            model = fr["debug"]["model"]
            rec["input_sha256"] = model["input"]["float32_sha256"]
        rec["poses"] = [pose_record(p) for p in fr["poses"]]
        out.append(rec)
    return out


def header(oracle: Any, docs: list[dict[str, Any]], runs: dict[str, list[str]]) -> dict[str, Any]:
    summary = MF.oracle_summary(docs)
    summary["model"]["adaptations"] = docs[0]["model"].get("adaptations")
    return {
        "oracle": summary,
        "runs": {name: {"args": args,
                        "estimation_effective": d["config"]["estimation_effective"],
                        "input_resolution_used": d["config"]["input_resolution_used"]}
                 for (name, args), d in zip(runs.items(), [_first_with(docs, a) for a in runs.values()], strict=True)},
        "generated": _dt.date.today().isoformat(),
        "rounding": {"xy_decimals": XY_DECIMALS, "score_decimals": SCORE_DECIMALS},
    }


def _first_with(docs: list[dict[str, Any]], args: list[str]) -> dict[str, Any]:
    for d in docs:
        if d.get("_args") == args:
            return d
    raise KeyError(args)


def run_oracle(oracle: Any, items: list[dict[str, Any]], args: list[str], label: str) -> list[dict[str, Any]]:
    docs = oracle.run("posenet", items, extra=args, label=label)
    for d in docs:
        d["_args"] = args
    return docs


def write(path: Path, head: dict[str, Any], frames: list[dict[str, Any]]) -> None:
    MF.write_json_fixture(path, head, frames)
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {len(frames)} frames, "
          f"{path.stat().st_size / 1024:.0f} KiB", flush=True)


def make_raw(oracle: Any, items: list[dict[str, Any]], out_dir: Path, tmp: Path) -> None:
    dump = tmp / "dump_posenet"
    docs = run_oracle(oracle, items, ["--debug", "--dump-dir", str(dump)], "raw")
    assert len(docs) == 1
    doc = docs[0]
    payload: dict[str, Any] = {}
    for i, fr in enumerate(doc["frames"]):
        prefix = fr["debug"]["dump_prefix"]
        assert Path(prefix).name == f"frame{i:05d}", prefix
        for name in OUTPUTS:
            a = np.load(f"{prefix}_output_{name}.npy")
            assert a.dtype == np.float32 and list(a.shape) == fr["debug"]["model"]["outputs"][name]["shape"]
            payload[f"{name}_{i}"] = a
    meta = {
        "oracle": MF.oracle_summary(docs),
        "generated": _dt.date.today().isoformat(),
        "note": "NAME_i: the raw float32 network output NAME ([1, h, w, c]) of case i at 257x257; "
                "poses: the oracle's poses (single-person) for case i, JSON",
    }
    np.savez_compressed(
        out_dir / "posenet_raw.npz",
        cases=np.array([it["case"] for it in items]),
        rgb_sha256=np.array([it["rgb_sha256"] for it in items]),
        input_sha256=np.array([fr["debug"]["model"]["input"]["float32_sha256"] for fr in doc["frames"]]),
        poses=np.array([json.dumps([pose_record(p) for p in fr["poses"]]) for fr in doc["frames"]]),
        meta=np.array(json.dumps(meta, separators=(",", ":"))),
        **payload,
    )
    print(f"wrote posenet_raw.npz: {len(items)} frames, {(out_dir / 'posenet_raw.npz').stat().st_size / 1024:.0f} KiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(MF.DEFAULT_DATA))
    ap.add_argument("--oracle", default=MF.DEFAULT_ORACLE, help="path of the oracle's run.sh")
    ap.add_argument("--out-dir", type=Path, default=MF.DEFAULT_OUT)
    ap.add_argument("--only", default=",".join(RUNS), help=f"comma-separated subset of {','.join(RUNS)}")
    ap.add_argument("--chunk", type=int, default=400, help="max inputs per oracle call")
    args = ap.parse_args(argv)
    runs = [r.strip() for r in args.only.split(",") if r.strip()]
    for r in runs:
        if r not in RUNS:
            ap.error(f"unknown run {r!r}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="posenet_fixtures_") as tmpd:
        tmp = Path(tmpd)
        sets = MF.build_sets(args.data_dir, MF.InputWriter(tmp))
        both = sets["stills"] + sets["transformed"]
        oracle = MF.Oracle(args.oracle, "wasm", args.chunk)
        if "single" in runs:
            a = ["--max-poses", "1", "--debug"]
            docs = run_oracle(oracle, both, a, "single")
            write(args.out_dir / "posenet_single.json", header(oracle, docs, {"single": a}),
                  frame_records(docs, both, debug=True))
        if "multi" in runs:
            a = ["--max-poses", "5"]
            docs = run_oracle(oracle, both, a, "multi")
            write(args.out_dir / "posenet_multi.json", header(oracle, docs, {"multi": a}), frame_records(docs, both))
        if "multi_params" in runs:
            docs = run_oracle(oracle, sets["stills"], PARAMS, "multi_params")
            write(args.out_dir / "posenet_multi_params.json", header(oracle, docs, {"multi_params": PARAMS}),
                  frame_records(docs, sets["stills"]))
        if "resolution" in runs:
            # "stills/<rel>" and "transformed/<rel>#<transform>" for rel in stills/
            small = [it for it in both if it["case"].split("/", 1)[1].split("#")[0] in MF.TRANSFORM_STILLS]
            a1 = ["--max-poses", "1", "--input-resolution", "300x200"]
            a2 = ["--max-poses", "5", "--input-resolution", "385"]
            d1 = run_oracle(oracle, small, a1, "res 300x200")
            d2 = run_oracle(oracle, small, a2, "res 385")
            frames = frame_records(d1, small, run="single_300x200") + frame_records(d2, small, run="multi_385")
            write(args.out_dir / "posenet_resolution.json",
                  header(oracle, d1 + d2, {"single_300x200": a1, "multi_385": a2}), frames)
        if "raw" in runs:
            by_case = {it["case"]: it for it in sets["stills"]}
            make_raw(oracle, [by_case[c] for c in RAW_INPUTS], args.out_dir, tmp)
    print(f"total oracle wall time {oracle.total_s:.1f} s; script {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
