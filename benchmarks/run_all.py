"""Regenerate the speed tables: every model on every installed backend, and the opt-in fast modes.

    python benchmarks/run_all.py                 # ~15 min on a 2-core machine; writes benchmarks/results.json
    python benchmarks/run_all.py --no-bench      # only the fast-modes table (precision x backend, with AP),
                                                 # in docs/performance.md (README.md is left as it is)

Two tables, written between the markers in README.md and in docs/performance.md:

1. **Against TF.js**: each row is one `movenet bench` run (see movenet/bench.py): network-only,
   end-to-end and TF.js reference times measured alternately in the same run, so the ratios are
   meaningful even on a busy machine. Every registered model (BlazePose and PoseNet too): fp32 on
   every installed backend (ONNX Runtime first), then the fastest opt-in mode, int8 on ONNX Runtime,
   for the models that have int8 calibration (MoveNet). BlazePose's "network only" is its landmark
   network on the ROI crop (what runs on every tracked frame; the person detector, which runs on
   the first frame and when the track is lost, is timed apart and shown under the table).
2. **Fast modes**: model x backend x precision. For each model, every variant's network and
   detector are loaded in one process and timed round-robin on the same frames (one frame on
   each variant in turn), so the speed-up against ONNX Runtime fp32 is measured under the same
   load. AP is the COCO keypoint AP of `movenet eval` on the val2017 images of
   ../shared/data/coco_subset (protocol `single` for Lightning/Thunder, `multi` for MultiPose),
   and dAP its difference from ONNX Runtime fp32. Variants this machine cannot run (an engine not
   installed, a precision the CPU lacks) are listed under the table with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from movenet.bench import first_network_input, format_result, pan_frames, run_benchmark, timing_summary
from movenet.io.images import load_image
from movenet.registry import MODEL_NAMES, get_entry
from movenet.runtime import available_backends

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PERF_START, PERF_END = "<!-- perf:start -->", "<!-- perf:end -->"
#: (backend, precision) of the TF.js table beyond fp32 on every backend: the fastest opt-in mode.
REFERENCE_EXTRA_VARIANTS = [("onnxruntime", "int8")]
#: (backend, precision) of the fast-modes table, ONNX Runtime fp32 (the baseline) first.
VARIANTS = [("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("openvino", "fp32"), ("openvino", "int8"),
            ("openvino", "bf16"), ("openvino", "fp16")]
PROTOCOLS = {"lightning": "single", "thunder": "single", "multipose": "multi"}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def default_coco() -> Path:
    shared = Path(os.environ.get("MOVENET_SHARED", ROOT.parent / "shared"))
    return shared / "data" / "coco_subset"


def reference_variants(model: str) -> list[tuple[str, str]]:
    """(backend, precision) of `model`'s rows in the TF.js table: fp32 on every installed backend,
    and int8 on ONNX Runtime where the model's family calibrates int8 files."""
    variants = [(b, "fp32") for b in available_backends()]
    if get_entry(model).calibration is not None:
        variants += REFERENCE_EXTRA_VARIANTS
    return variants


def detector_notes(results: list[dict]) -> str:
    """The line under the TF.js table naming what BlazePose's "network only" is, with its detector times."""
    detectors = [f"{r['model']} {r['backend']} {r.get('precision', 'fp32')} "
                 f"{r['other_networks']['detector']['median_ms']:.1f} ms"
                 for r in results if "detector" in r.get("other_networks", {})]
    if not detectors:
        return ""
    return ("\n\nBlazePose: \"network only\" is the landmark network on the ROI crop, what runs on every tracked "
            "frame; the person detector runs on the first frame and when the track is lost, timed on the "
            "first frame: " + "; ".join(detectors) + ".")


def table(results: list[dict]) -> str:
    rows = ["| model | backend | precision | threads | network only (ms) | end to end (ms) | frames/s | "
            "e2e / network | TF.js wasm (ms) | TF.js / ours |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ref = r.get("reference")
        reference = f"{ref['median_ms']:.1f} | {r['ratios']['reference_vs_ours']:.1f}x" if ref else "- | -"
        rows.append(
            f"| {r['model']} | {r['backend']} | {r.get('precision', 'fp32')} | {r['threads']} | "
            f"{r['network_only']['median_ms']:.2f} | {r['end_to_end']['median_ms']:.2f} | "
            f"{r['end_to_end']['fps']:.0f} | {r['ratios']['end_to_end_vs_network']:.2f}x | {reference} |")
    return "\n".join(rows)


def load_variants(model: str, variants: list[tuple[str, str]], threads: int) -> tuple[dict[tuple[str, str], Any],
                                                                                      dict[str, str]]:
    """The detectors of `model` for each runnable (backend, precision), and the reasons for the others."""
    from movenet.api import create_detector

    detectors: dict[tuple[str, str], Any] = {}
    skipped: dict[str, str] = {}
    installed = available_backends()
    for backend, precision in variants:
        label = f"{backend} {precision}"
        if backend not in installed:
            skipped[label] = f"{backend} is not installed"
            continue
        try:
            detectors[(backend, precision)] = create_detector(model, backend=backend, threads=threads,
                                                              precision=precision)
        except (ValueError, ImportError) as exc:  # a precision the CPU lacks; an engine too old
            skipped[label] = str(exc)
    return detectors, skipped


def time_variants(model: str, detectors: dict[tuple[str, str], Any], frames: int) -> dict[tuple[str, str], Any]:
    """Network-only and end-to-end per-frame times of every detector, round-robin on the same frames."""
    source = Path(str(resources.files("movenet") / "data" / "astronaut.jpg"))
    clip = pan_frames(load_image(source), 60)
    net_input = first_network_input(model, clip[0])
    for k in range(10):  # warm-up: first runs allocate, tune and (OpenVINO, MultiPose) compile the shape
        for det in detectors.values():
            det.network.run(net_input)
            det.estimate_poses(clip[k % len(clip)], k * 1000 / 30)
    net: dict[tuple[str, str], list[float]] = {key: [] for key in detectors}
    e2e: dict[tuple[str, str], list[float]] = {key: [] for key in detectors}
    for det in detectors.values():
        det.reset()
    for k in range(frames):
        for key, det in detectors.items():
            t0 = time.perf_counter()
            det.network.run(net_input)
            net[key].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            det.estimate_poses(clip[k % len(clip)], k * 1000 / 30)
            e2e[key].append((time.perf_counter() - t0) * 1000)
    return {key: {"network_only": timing_summary(net[key]), "end_to_end": timing_summary(e2e[key])}
            for key in detectors}


def coco_ap(model: str, detector: Any, coco: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """COCO keypoint AP (and PCK) of `detector` on the val2017 images of `coco`, and its detections
    (None without the data)."""
    annotations = coco / "person_keypoints.json"
    if not annotations.is_file():
        return None
    from movenet.evaluation import run_evaluation

    report, results = run_evaluation(detector, annotations, coco, protocol=PROTOCOLS[model], split="val2017")
    return {"AP": report["coco"]["AP"], "AP50": report["coco"]["AP50"], "PCK": report["pck"]["pck"],
            "protocol": PROTOCOLS[model], "images": report["counts"]["images"],
            "detections": report["counts"]["detections"]}, results


def keypoint_shift(base: list[dict[str, Any]], other: list[dict[str, Any]], min_score: float = 0.3) -> dict[str, Any]:
    """How far `other`'s keypoints moved from `base`'s (COCO results of the same images), in image
    pixels: for each base pose, the other pose of the image closest to it; keypoints whose base
    score is >= `min_score`. Also the number of base poses with no counterpart."""
    def by_image(results: list[dict[str, Any]]) -> dict[int, list[np.ndarray]]:
        out: dict[int, list[np.ndarray]] = {}
        for r in results:
            out.setdefault(r["image_id"], []).append(np.asarray(r["keypoints"], dtype=float).reshape(-1, 3))
        return out

    theirs = by_image(other)
    dists: list[float] = []
    unmatched = 0
    for image_id, poses in by_image(base).items():
        for pose in poses:
            candidates = theirs.get(image_id, [])
            if not candidates:
                unmatched += 1
                continue
            match = min(candidates, key=lambda q: float(np.hypot(*(q[:, :2] - pose[:, :2]).T).mean()))
            confident = pose[:, 2] >= min_score
            dists += np.hypot(*(match[confident, :2] - pose[confident, :2]).T).tolist()
    d = np.asarray(dists) if dists else np.zeros(1)
    return {"mean_px": float(d.mean()), "median_px": float(np.median(d)), "p90_px": float(np.percentile(d, 90)),
            "keypoints": len(dists), "unmatched_poses": unmatched}


def fast_modes(models: list[str], frames: int, coco: Path | None, threads: int = 1) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    skipped: dict[str, dict[str, str]] = {}
    for model in models:
        print(f"== fast modes: {model}", file=sys.stderr)
        detectors, skipped[model] = load_variants(model, VARIANTS, threads)
        for label, why in skipped[model].items():
            print(f"   skipped {label}: {why}", file=sys.stderr)
        timings = time_variants(model, detectors, frames)
        base_key = ("onnxruntime", "fp32")
        base_ms = timings[base_key]["network_only"]["median_ms"]
        base_e2e = timings[base_key]["end_to_end"]["median_ms"]
        base_ap: float | None = None
        base_results: list[dict[str, Any]] | None = None
        for key, det in detectors.items():  # the baseline is first
            scored = coco_ap(model, det, coco) if coco is not None else None
            ap = scored[0] if scored else None
            if key == base_key and scored:
                base_ap, base_results = scored[0]["AP"], scored[1]
            shift = keypoint_shift(base_results, scored[1]) if scored and base_results is not None else None
            t = timings[key]
            row = {"model": model, "backend": key[0], "precision": key[1], "threads": threads,
                   "network_only": t["network_only"], "end_to_end": t["end_to_end"],
                   "speedup_network": base_ms / t["network_only"]["median_ms"],
                   "speedup_end_to_end": base_e2e / t["end_to_end"]["median_ms"], "accuracy": ap,
                   "delta_ap": (ap["AP"] - base_ap) if ap and base_ap is not None else None,
                   "keypoint_shift": shift}
            rows.append(row)
            print(f"   {key[0]:<12} {key[1]:<5} network {t['network_only']['median_ms']:6.2f} ms "
                  f"({row['speedup_network']:.2f}x)  e2e {t['end_to_end']['median_ms']:6.2f} ms  "
                  f"AP {ap['AP'] * 100 if ap else float('nan'):.1f}", file=sys.stderr)
    return {"rows": rows, "skipped": skipped}


def fast_table(fast: dict[str, Any]) -> str:
    def pct(v: float | None, signed: bool = False) -> str:
        return "-" if v is None else (f"{v * 100:+.1f}" if signed else f"{v * 100:.1f}")

    rows = ["| model | backend | precision | network only (ms) | vs ORT fp32 | end to end (ms) | frames/s | "
            "AP | ΔAP | keypoint shift (px, mean / median / p90) |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in fast["rows"]:
        acc, shift = r["accuracy"], r["keypoint_shift"]
        moved = f"{shift['mean_px']:.2f} / {shift['median_px']:.2f} / {shift['p90_px']:.2f}" if shift else "-"
        rows.append(f"| {r['model']} | {r['backend']} | {r['precision']} | {r['network_only']['median_ms']:.2f} | "
                    f"{r['speedup_network']:.2f}x | {r['end_to_end']['median_ms']:.2f} | "
                    f"{r['end_to_end']['fps']:.0f} | {pct(acc['AP'] if acc else None)} | "
                    f"{pct(r['delta_ap'], signed=True)} | {moved} |")
    notes = sorted({f"{label}: {why}" for skipped in fast["skipped"].values() for label, why in skipped.items()})
    if notes:
        rows.append("")
        rows.append("Not run on this machine: " + "; ".join(notes) + ".")
    return "\n".join(rows)


def replace_between(path: Path, start: str, end: str, text: str) -> bool:
    content = path.read_text() if path.is_file() else ""
    if start not in content or end not in content:
        return False
    head, rest = content.split(start, 1)
    path.write_text(head + text + rest.split(end, 1)[1])
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=300, help="frames per measurement (default 300)")
    ap.add_argument("--models", nargs="+", default=list(MODEL_NAMES), help="models of the TF.js table (default: "
                    "every registered model); the fast-modes table takes the MoveNet ones")
    ap.add_argument("--no-bench", action="store_true", help="skip table 1 (fp32 backends, e2e, TF.js reference)")
    ap.add_argument("--no-fast-modes", action="store_true", help="skip table 2 (precisions, AP)")
    ap.add_argument("--coco", default=None, help="COCO keypoint folder for AP (default ../shared/data/coco_subset); "
                    "'none' skips AP")
    ap.add_argument("--no-readme", action="store_true", help="do not rewrite the tables in README.md")
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite the table in docs/performance.md")
    args = ap.parse_args()
    coco = None if args.coco == "none" else Path(args.coco) if args.coco else default_coco()
    machine = f"{cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    doc: dict[str, Any] = {"machine": machine}
    parts = []
    results_path = ROOT / "benchmarks" / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.is_file() else {}
    if not args.no_bench:
        results = []
        for model in args.models:
            for backend, precision in reference_variants(model):
                print(f"== {model} / {backend} {precision}", file=sys.stderr)
                try:
                    result = run_benchmark(model, backend=backend, precision=precision, threads=1,
                                           frames=args.frames)
                except (ValueError, RuntimeError, ImportError) as exc:  # e.g. an engine that cannot run a graph
                    print(f"   skipped: {exc}", file=sys.stderr)
                    continue
                print(format_result(result), file=sys.stderr)
                results.append(result)
        results.sort(key=lambda r: (args.models.index(r["model"]), r.get("precision", "fp32") != "fp32",
                                    r["backend"] != "onnxruntime", r["backend"]))
        doc["results"] = results
        parts.append(f"Against TF.js: measured by `python benchmarks/run_all.py` on {machine}; 640x480 frames, "
                     f"one inference thread, medians per frame; fp32 is exact (matches TF.js), int8 the opt-in "
                     f"fast mode.\n\n{table(results)}{detector_notes(results)}")
    if args.no_bench and "results" in previous:
        doc["results"] = previous["results"]  # results.json keeps the last TF.js table
    # Not re-measured: keep the last fast-modes table (README.md shows both tables together).
    fast_models = [m for m in args.models if m in PROTOCOLS]  # MoveNet: the models with int8 and an AP protocol
    fast = fast_modes(fast_models, args.frames, coco) if not args.no_fast_modes else previous.get("fast_modes")
    if fast is not None:
        doc["fast_modes"] = fast
        parts.append("Fast modes (opt-in `precision=`, see docs/performance.md): network and end to end timed "
                     "round-robin in one process, one thread; AP: COCO keypoint AP on the val2017 images of "
                     f"coco_subset (single-person protocol for Lightning/Thunder, all people for MultiPose); "
                     f"ΔAP vs ONNX Runtime fp32.\n\n{fast_table(fast)}")
    results_path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    text = "\n\n".join(parts)
    print(text)
    if not args.no_readme and not args.no_bench:  # README keeps its backends table unless it was re-measured
        replace_between(ROOT / "README.md", START, END, f"{START}\n{text}\n{END}")
    if not args.no_docs and not args.no_fast_modes:
        replace_between(ROOT / "docs" / "performance.md", PERF_START, PERF_END,
                        f"{PERF_START}\nMeasured by `python benchmarks/run_all.py` on {machine}; one inference "
                        f"thread, {args.frames} frames per variant.\n\n{fast_table(doc['fast_modes'])}\n{PERF_END}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
