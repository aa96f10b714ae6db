#!/usr/bin/env python3
"""Regenerate ``tests/fixtures/networks/raw_outputs.npz``: TF.js raw outputs of the BlazePose
and PoseNet graphs on inputs the tests rebuild without any pipeline.

The inputs are the windows of the shared stills listed in ``tests/network_inputs.py``. Each
graph runs on them in the official TF.js runtime (tfjs-core / tfjs-converter 4.22.0, the
packages the shared tfjs-oracle installs) through ``scripts/tfjs_graph_outputs.js``: once on the
wasm backend (the reference) and once on the cpu backend (to record how far TF.js is from
itself). Our converted ONNX network runs on the same inputs, for the figures printed at the end.

Stored per case: the sha256 of the float32 input, and per output (the detector's split into
clipped score logits and coordinates, see ``network_inputs.output_views``): shape, min, max,
mean and mean |x| of the wasm output; its values at sampled flat indices (every element of an
output up to 1024 elements; otherwise 200 random ones, the 100 largest |x| and the 100 where
TF.js cpu and wasm differ most); the max and mean |cpu - wasm| over the whole tensor; and ours
against wasm at generation time (information only).

``--oracle-dumps`` also runs the oracle's pipeline (``run.sh --debug --dump-dir``) on the four
stills for every graph and prints how our networks compare on the exact inputs the reference
pipeline fed them (detector letterbox, rotated landmark crops, PoseNet letterbox at 257 and 385).

Usage (from the repository root, about a minute on 2 cores)::

    python scripts/make_network_fixtures.py [--oracle-dumps] [--graphs blazepose-full,posenet]

Needs the weights (``movenet models fetch``), ``../shared/data/stills`` and the oracle set up
(``/work/shared/tools/tfjs-oracle/run.sh --help`` installs its node_modules into
``$TFJS_ORACLE_HOME``, default ``~/.cache/movenet-tfjs-oracle``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from movenet.models.catalog import CATALOG, get_spec  # noqa: E402
from movenet.models.fetch import model_files  # noqa: E402
from movenet.models.store import load_network  # noqa: E402

from network_inputs import CASES, array_sha256, network_input, output_views  # noqa: E402

DEFAULT_STILLS = Path(os.environ.get("MOVENET_SHARED", REPO.parent / "shared")) / "data" / "stills"
DEFAULT_ORACLE = Path(os.environ.get("TFJS_ORACLE", "/work/shared/tools/tfjs-oracle/run.sh"))
ORACLE_HOME = Path(os.environ.get("TFJS_ORACLE_HOME", Path.home() / ".cache" / "movenet-tfjs-oracle"))
HARNESS = REPO / "scripts" / "tfjs_graph_outputs.js"
OUT = REPO / "tests" / "fixtures" / "networks" / "raw_outputs.npz"
SAMPLES_RANDOM, SAMPLES_LARGEST, SAMPLES_SPREAD, FULL_UP_TO = 200, 100, 100, 1024


def _graph_outputs(graph: str) -> tuple[list[str], list[str]]:
    """(ONNX names, TF tensors) of a graph, in run order."""
    spec = get_spec(graph)
    return [n for n, _ in spec.outputs], [t for _, t in spec.outputs]


def run_tfjs(graph: str, inputs: list[np.ndarray], backend: str, work: Path) -> tuple[list[list[np.ndarray]], dict]:
    """The TF.js outputs of `graph` on each input: one list of arrays per input."""
    json_path, _ = model_files(graph)
    _, tensors = _graph_outputs(graph)
    folder = work / f"{graph}-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for k, x in enumerate(inputs):
        files.append(folder / f"in{k}.npy")
        np.save(files[-1], x)
    cmd = ["node", str(HARNESS), "--model", str(json_path), "--out", str(folder), "--backend", backend,
           "--outputs", ",".join(tensors), *(["--free-hw"] if get_spec(graph).dynamic_hw else []), *map(str, files)]
    env = {**os.environ, "NODE_PATH": str(ORACLE_HOME / "node_modules")}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"tfjs_graph_outputs failed for {graph} ({backend}): {proc.stderr.strip()[-500:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return [[np.load(folder / f"{k}_{j}.npy") for j in range(len(tensors))] for k in range(len(inputs))], info


def _sample_indices(ref: np.ndarray, cpu: np.ndarray, seed: int) -> np.ndarray:
    flat, spread = ref.reshape(-1).astype(np.float64), np.abs(cpu.reshape(-1).astype(np.float64) - ref.reshape(-1))
    if flat.size <= FULL_UP_TO:
        return np.arange(flat.size, dtype=np.int32)
    rng = np.random.default_rng(seed)
    picked = np.concatenate([
        rng.choice(flat.size, SAMPLES_RANDOM, replace=False),
        np.argsort(-np.abs(flat), kind="stable")[:SAMPLES_LARGEST],
        np.argsort(-spread, kind="stable")[:SAMPLES_SPREAD],
    ])
    return np.unique(picked).astype(np.int32)


def make_fixture(stills: Path, graphs: list[str], work: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    manifest: dict[str, Any] = {"generated": _dt.date.today().isoformat(), "cases": [], "models": {}, "tfjs": {}}
    arrays: dict[str, np.ndarray] = {}
    for graph in graphs:
        cases = [c for c in CASES if c.graph == graph]
        inputs = [network_input(c, stills) for c in cases]
        wasm, info_wasm = run_tfjs(graph, inputs, "wasm", work)
        cpu, info_cpu = run_tfjs(graph, inputs, "cpu", work)
        manifest["tfjs"] = {"wasm": info_wasm, "cpu": info_cpu}
        spec = CATALOG[graph]
        manifest["models"][graph] = {"json_sha256": spec.json_sha256, "bin_sha256": spec.bin_sha256}
        network = load_network(graph, threads=1)
        names, _ = _graph_outputs(graph)
        for case, x, w, c in zip(cases, inputs, wasm, cpu, strict=True):
            i = len(manifest["cases"])
            ref_views = output_views(graph, names, w)
            cpu_views = output_views(graph, names, c)
            our_views = output_views(graph, names, network.run(x))
            entry: dict[str, Any] = {"key": case.key, "graph": graph, "input_shape": list(x.shape),
                                     "input_sha256": array_sha256(x), "outputs": []}
            for name, ref in ref_views.items():
                ref64 = ref.astype(np.float64)
                idx = _sample_indices(ref, cpu_views[name], seed=i)
                arrays[f"c{i}/{name}/idx"] = idx
                arrays[f"c{i}/{name}/val"] = ref.reshape(-1)[idx].astype(np.float32)
                cpu_d = np.abs(cpu_views[name].astype(np.float64) - ref64)
                our_d = np.abs(our_views[name].astype(np.float64) - ref64)
                entry["outputs"].append({
                    "name": name, "shape": list(ref.shape),
                    "min": float(ref64.min()), "max": float(ref64.max()), "mean": float(ref64.mean()),
                    "mean_abs": float(np.abs(ref64).mean()),
                    "cpu_wasm_max": float(cpu_d.max()), "cpu_wasm_mean": float(cpu_d.mean()),
                    "ours_wasm_max": float(our_d.max()), "ours_wasm_mean": float(our_d.mean()),
                })
            manifest["cases"].append(entry)
    return manifest, arrays


def print_figures(manifest: dict[str, Any]) -> None:
    """Per graph and output: the worst case over the fixture's inputs."""
    rows: dict[tuple[str, str], list[float]] = {}
    for case in manifest["cases"]:
        for out in case["outputs"]:
            r = rows.setdefault((case["graph"], out["name"]), [0.0, 0.0, 0.0, 0.0, 0.0])
            r[0] = max(r[0], out["ours_wasm_max"])
            r[1] = max(r[1], out["ours_wasm_mean"])
            r[2] = max(r[2], out["cpu_wasm_max"])
            r[3] = max(r[3], out["cpu_wasm_mean"])
            r[4] = max(r[4], abs(out["min"]), abs(out["max"]))
    print(f"{'graph':20s} {'output':24s} {'max|x|':>9s} {'ours-wasm max':>14s} {'(mean)':>9s} "
          f"{'tfjs cpu-wasm max':>18s} {'(mean)':>9s}")
    for (graph, name), (om, oa, cm, ca, scale) in rows.items():
        print(f"{graph:20s} {name:24s} {scale:9.3g} {om:14.2e} {oa:9.1e} {cm:18.2e} {ca:9.1e}")


def compare_oracle_dumps(stills: Path, oracle: Path, work: Path) -> None:
    """Our networks on the exact inputs of the reference pipeline (its --debug dumps)."""
    images = [str(stills / n) for n in ("astronaut.png", "grace_hopper.jpg", "tfjs_pose.jpg",
                                        "tfjs_three_people.jpg")]
    runs: list[tuple[str, list[str]]] = [
        (m, ["--model", m, "--smoothing", "off", "--segmentation", "on"])
        for m in ("blazepose-lite", "blazepose-full", "blazepose-heavy")]
    runs += [(f"posenet@{r}", ["--model", "posenet", "--input-resolution", str(r)]) for r in (257, 385)]
    print(f"\noracle pipeline dumps ({len(images)} stills): max |ours - TF.js wasm| per output")
    for tag, args in runs:
        dump = work / f"dump-{tag}"
        cmd = [str(oracle), *args, "--debug", "--dump-dir", str(dump), "--warmup", "0", "--images-independent",
               *images]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"oracle failed ({tag}): {proc.stderr.strip()[-500:]}")
        pairs: list[tuple[str, str, str, list[str]]] = []  # (graph, input file suffix, output prefix, names)
        if tag.startswith("posenet"):
            pairs.append(("posenet", "_input.npy", "_output_", _graph_outputs("posenet")[0]))
        else:
            pairs.append((tag, "_landmark_input.npy", "_landmark_", _graph_outputs(tag)[0]))
            if tag == "blazepose-full":
                pairs.append(("blazepose-detector", "_detector_input.npy", "_detector_", ["output"]))
        for graph, in_suffix, out_prefix, names in pairs:
            network = load_network(graph, threads=1)
            worst: dict[str, float] = {}
            for x_file in sorted(dump.glob(f"frame*{in_suffix}")):
                stem = str(x_file)[: -len(in_suffix)]
                ours = network.run(np.load(x_file))
                ref = [np.load(f"{stem}{out_prefix}{n}.npy") for n in names]
                onnx_names = _graph_outputs(graph)[0]
                ours_v, ref_v = output_views(graph, onnx_names, ours), output_views(graph, onnx_names, ref)
                for name in ref_v:
                    d = float(np.abs(ours_v[name].astype(np.float64) - ref_v[name]).max())
                    worst[name] = max(worst.get(name, 0.0), d)
            label = f"{graph}" + (f" @{tag.split('@')[1]}" if "@" in tag else "")
            print(f"  {label:24s} " + ", ".join(f"{n} {d:.2e}" for n, d in worst.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stills", type=Path, default=DEFAULT_STILLS)
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE)
    parser.add_argument("--graphs", default=",".join(dict.fromkeys(c.graph for c in CASES)))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--oracle-dumps", action="store_true", help="also compare on the oracle pipeline's dumps")
    args = parser.parse_args()
    if not (ORACLE_HOME / "node_modules" / "@tensorflow" / "tfjs-converter").is_dir():
        sys.exit(f"no TF.js in {ORACLE_HOME}/node_modules: run {args.oracle} --help once to set the oracle up")
    graphs = args.graphs.split(",")
    with tempfile.TemporaryDirectory(prefix="movenet-networks-") as tmp:
        manifest, arrays = make_fixture(args.stills, graphs, Path(tmp))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, manifest=np.array(json.dumps(manifest)), **arrays)
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB, {len(manifest['cases'])} cases)")
        print_figures(manifest)
        if args.oracle_dumps:
            compare_oracle_dumps(args.stills, args.oracle, Path(tmp))


if __name__ == "__main__":
    main()
