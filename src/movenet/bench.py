"""`movenet bench`: per-frame speed of the network alone, of the whole pipeline, and of the TF.js
reference on the same frames, measured in one run, reported as medians and ratios.

The ratios are the point: absolute milliseconds depend on the machine and on whatever else runs
on it, while "end to end vs. network only" and "reference vs. ours" measured side by side in the
same run are comparable across machines.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from movenet.api import create_detector
from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.crop_region import init_crop_region
from movenet.families.movenet.multipose import MultiPoseDetector
from movenet.io.images import example_image_path, load_image, save_image
from movenet.ops.crop_and_resize import crop_and_resize
from movenet.registry import canonical_model_name, get_entry
from movenet.runtime import is_count


def timing_summary(samples_ms: list[float]) -> dict[str, float]:
    """Median, p90, mean and frames/s of per-frame times in ms."""
    arr = np.asarray(samples_ms, dtype=float)
    median = float(np.median(arr))
    return {"median_ms": median, "p90_ms": float(np.percentile(arr, 90)), "mean_ms": float(arr.mean()),
            "fps": 1000.0 / median if median > 0 else float("inf"), "frames": int(arr.size)}


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def pan_frames(image: np.ndarray, count: int, width: int = 640, height: int = 480) -> list[np.ndarray]:
    """`count` frames of width x height panning slowly over `image` (scaled to cover the frame)."""
    scale = max(width / image.shape[1], height / image.shape[0]) * 1.25
    big = np.asarray(Image.fromarray(image).resize((round(image.shape[1] * scale), round(image.shape[0] * scale))))
    span_x, span_y = big.shape[1] - width, big.shape[0] - height
    frames = []
    for k in range(count):
        phase = k / max(count - 1, 1)
        x, y = round(span_x * phase), round(span_y * (0.5 - 0.5 * np.cos(np.pi * phase)))
        frames.append(np.ascontiguousarray(big[y:y + height, x:x + width]))
    return frames


def default_oracle() -> Path | None:
    """The TF.js oracle of the project checkout (../shared/tools/tfjs-oracle/run.sh), if present."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base.parent / "shared" / "tools" / "tfjs-oracle" / "run.sh"
        if candidate.is_file():
            return candidate
    return None


def reference_timing(oracle: Path, model: str, frames: list[np.ndarray], repeat: int) -> dict[str, float] | None:
    """Per-frame estimatePoses times of the TF.js reference (wasm) on the same frames, or None."""
    if shutil.which("node") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        for k, frame in enumerate(frames):
            save_image(Path(tmp) / f"f{k:05d}.png", frame)
        cmd = [str(oracle), "--model", model, "--backend", "wasm", "--warmup", "5", "--repeat", str(repeat),
               "--emit", "none", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return None
    return timing_summary(json.loads(proc.stdout)["timing"]["per_frame_ms"])


def first_network_input(model: str, frame: np.ndarray) -> np.ndarray:
    """The network input a fresh MoveNet detector builds for `frame` (MoveNet models only; the
    other families: :func:`network_step`)."""
    if model == "multipose":
        return MultiPoseDetector.preprocess_image(frame)
    crop = init_crop_region(True, frame.shape[0], frame.shape[1])
    return crop_and_resize(frame, crop, INPUT_SIZES[model])[None]


#: What "network only" times, per family (shown by `format_result`).
NETWORK_ONLY = {
    "movenet": "the network on the first frame's input",
    "blazepose": "the landmark network on the first frame's ROI crop (what runs on every tracked frame; "
                 "the person detector runs only on the first frame and when the track is lost, timed apart)",
    "posenet": "the network on the first frame's letterboxed input",
}


def network_step(model: str, detector: Any, frame: np.ndarray) -> tuple[Callable[[], object], dict[str, Any]]:
    """``(run, extra)``: `run()` runs the network(s) of one steady-state frame of `detector` on the
    input built for `frame` (inputs built once, outside the timing); `extra` holds other network
    timings to report (BlazePose: its person detector, timed once per call of `extra_timing`)."""
    family = get_entry(model).family
    if family == "blazepose":
        from movenet.families.blazepose.detection import detector_input
        from movenet.families.blazepose.landmarks import landmark_input

        roi = detector.detect_roi(frame)
        if roi is None:
            raise ValueError("the benchmark image has no person for BlazePose's detector; give another --image")
        person, landmarks = detector.detector_network, detector.landmark_network
        crop = landmark_input(frame, roi).tensor
        whole = detector_input(frame).tensor
        return (lambda: landmarks.run(crop)), {"detector": lambda: person.run(whole)}
    if family == "posenet":
        network, net_input = detector.network, detector.network_input(frame)
        return (lambda: network.run(net_input)), {}
    network, net_input = detector.network, first_network_input(model, frame)
    return (lambda: network.run(net_input)), {}


MAX_FRAME_PIXELS = 3840 * 2160  # the clip holds 60 frames: 4K UHD keeps it near 1.5 GB


def check_bench_options(frames: int, size: tuple[int, int], rounds: int) -> None:
    """Raise ValueError naming the first absurd option (no frames, an empty or huge frame size)."""
    if not is_count(frames):
        raise ValueError(f"frames must be a whole number >= 1, got {frames!r}")
    if not is_count(rounds):
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}")
    if len(size) != 2 or not all(is_count(v) for v in size):
        raise ValueError(f"size must be (width, height) in whole pixels >= 1, got {size!r}")
    if size[0] * size[1] > MAX_FRAME_PIXELS:
        raise ValueError(f"frame size {size[0]}x{size[1]} is over the limit of {MAX_FRAME_PIXELS:,} pixels "
                         "(3840x2160)")


def run_benchmark(model: str = "lightning", *, backend: str = "onnxruntime", precision: str = "fp32",
                  threads: int | None = 1,
                  frames: int = 300, size: tuple[int, int] = (640, 480), reference: bool = True,
                  oracle: Path | None = None, rounds: int = 3, image: Any = None,
                  log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Measure network-only, end-to-end and (optionally) reference times, alternating in rounds."""
    check_bench_options(frames, size, rounds)
    source = image if image is not None else example_image_path()
    clip = pan_frames(load_image(source), 60, *size)
    model = canonical_model_name(model)
    detector = create_detector(model, backend=backend, threads=threads, precision=precision)
    run_network, extra_networks = network_step(model, detector, clip[0])
    for k in range(10):  # warm-up: first runs allocate and tune
        run_network()
        for run_extra in extra_networks.values():
            run_extra()
        detector.estimate_poses(clip[k % len(clip)], k * 1000 / 30)
    detector.reset()
    per_round = max(frames // rounds, 1)
    net_ms: list[float] = []
    e2e_ms: list[float] = []
    extra_ms: dict[str, list[float]] = {name: [] for name in extra_networks}
    ref_runs: list[dict[str, float]] = []
    oracle = oracle or default_oracle()
    rss_start = rss_mb()
    t_index = 0
    for r in range(rounds):
        log(f"round {r + 1}/{rounds}: network only")
        for _ in range(per_round):
            t0 = time.perf_counter()
            run_network()
            net_ms.append((time.perf_counter() - t0) * 1000)
        for name, run_extra in extra_networks.items():
            for _ in range(max(per_round // 4, 1)):
                t0 = time.perf_counter()
                run_extra()
                extra_ms[name].append((time.perf_counter() - t0) * 1000)
        log(f"round {r + 1}/{rounds}: end to end")
        for _ in range(per_round):
            frame = clip[t_index % len(clip)]
            t0 = time.perf_counter()
            detector.estimate_poses(frame, t_index * 1000 / 30)
            e2e_ms.append((time.perf_counter() - t0) * 1000)
            t_index += 1
        if reference and oracle is not None:
            log(f"round {r + 1}/{rounds}: TF.js reference")
            ref = reference_timing(oracle, model, clip, repeat=max(per_round // len(clip), 1))
            if ref is not None:
                ref_runs.append(ref)
    rss_end = rss_mb()
    net, e2e = timing_summary(net_ms), timing_summary(e2e_ms)
    result: dict[str, Any] = {
        "model": model, "backend": backend, "precision": precision, "threads": threads, "frame_size": list(size),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "network_only": net, "network_only_times": NETWORK_ONLY[get_entry(model).family], "end_to_end": e2e,
        "memory_mb": {"rss_start": rss_start, "rss_end": rss_end},
        "ratios": {"end_to_end_vs_network": e2e["median_ms"] / net["median_ms"]},
    }
    if extra_ms:
        result["other_networks"] = {name: timing_summary(samples) for name, samples in extra_ms.items()}
    if ref_runs:
        ref_median = statistics.median(r["median_ms"] for r in ref_runs)
        result["reference"] = {"median_ms": ref_median, "p90_ms": statistics.median(r["p90_ms"] for r in ref_runs),
                               "fps": 1000 / ref_median, "runs": len(ref_runs), "backend": "tfjs wasm (SIMD, 1 thread)"}
        result["ratios"]["reference_vs_ours"] = ref_median / e2e["median_ms"]
    return result


def format_result(result: dict[str, Any]) -> str:
    """A short human-readable table of one benchmark result."""
    lines = [f"{result['model']} on {result['backend']} {result.get('precision', 'fp32')} "
             f"({result['threads'] or 'all'} thread(s)), "
             f"{result['frame_size'][0]}x{result['frame_size'][1]} frames"]
    rows = [("network only", result["network_only"])]
    rows += [(f"{name} network", t) for name, t in result.get("other_networks", {}).items()]
    rows.append(("end to end", result["end_to_end"]))
    if "reference" in result:
        rows.append(("TF.js reference", result["reference"]))
    for name, t in rows:
        lines.append(f"  {name:<16} median {t['median_ms']:7.2f} ms  p90 {t['p90_ms']:7.2f} ms  "
                     f"{t['fps']:7.1f} frames/s")
    for name, value in result["ratios"].items():
        lines.append(f"  {name.replace('_', ' '):<28} {value:5.2f}x")
    if "network_only_times" in result:
        lines.append(f"  network only: {result['network_only_times']}")
    mem = result["memory_mb"]
    lines.append(f"  memory (RSS) {mem['rss_start']:.0f} MB -> {mem['rss_end']:.0f} MB")
    return "\n".join(lines)
