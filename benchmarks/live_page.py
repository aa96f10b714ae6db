"""The live page's frame rate and latency, per model: `movenet serve` on 127.0.0.1, Debian's chromium
(headless, driven by Playwright) with a fake 30 fps camera playing a real clip, the page streaming it.

    python benchmarks/live_page.py                       # every registered model (registry), 20 s each
    python benchmarks/live_page.py --models lightning --seconds 30 --json -

For each model it reports the replies per second the page drew (over the measured windows, each
after a warm-up), latency (capture to drawn reply) p50/p90, the server's per-frame time, and the
model's one-thread `movenet bench` end-to-end rate on frames of the same size, measured in the same
run right after each window (`--rounds` alternations, the page stopped meanwhile): the page can
reach min(camera rate, what the server sustains), so the ratio `page fps / min(30, bench fps)`,
the median over the rounds, is the figure that says whether the page keeps up. Also the CPU
(cores) the server and the browser used during the windows, from /proc (Linux), and each round's
bench rate (how much the machine's own speed drifts). Needs the `web` extra, playwright (the
python package only; no `playwright install`) and /usr/bin/chromium (or $MOVENET_CHROMIUM).
Everything stays on the loopback interface.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from movenet.cli.common import parse_frame_size, positive_int, positive_number

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MOVENET_SHARED", ROOT.parent / "shared")) / "data"
CLIP = SHARED_DATA / "videos" / "tfjs_dance_pose_1.mp4"
CHROMIUM = Path(os.environ.get("MOVENET_CHROMIUM", "/usr/bin/chromium"))
CAMERA_FPS = 30


def default_models() -> list[str]:
    """Every model the registry lists (MoveNet, BlazePose, PoseNet), in its order."""
    from movenet.registry import MODEL_NAMES

    return list(MODEL_NAMES)


def write_camera(source: Path, target: Path, width: int, height: int, frames: int) -> list[np.ndarray]:
    """The first `frames` frames of `source`, letterboxed to width x height, as a YUV4MPEG2 file that
    chromium's fake camera plays in a loop at 30 fps. Returns the RGB frames (for the bench run)."""
    import av

    rgb_frames = []
    with av.open(str(source)) as container, open(target, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{CAMERA_FPS}:1 Ip A1:1 C420\n".encode("ascii"))
        for frame in container.decode(container.streams.video[0]):
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            out.write(b"FRAME\n")
            out.write(scaled.to_ndarray().tobytes())
            rgb_frames.append(scaled.to_ndarray(format="rgb24"))
            if len(rgb_frames) == frames:
                break
    return rgb_frames


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, threads: int | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "movenet", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"movenet serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("movenet serve did not start within 60 s")


def process_tree(root: int) -> set[int]:
    """`root` and its descendants (Linux /proc; an empty set elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(entry.parent.name)] = int(entry.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile
    tree = {root} if root in parents else set()
    grown = True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree and pid not in tree}
        tree |= more
        grown = bool(more)
    return tree


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU time of these processes so far (those that ended count as 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def browser_pid(camera: Path) -> int | None:
    """The chromium process playing `camera` (its command line names the file), or None."""
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(camera).encode() in entry.read_bytes() and b"chromium" in entry.read_bytes():
                return int(entry.parent.name)
        except OSError:
            continue
    return None


def measure_model(browser: Any, base: str, model: str, send_size: int, warmup_s: float, seconds: float,
                  rounds: int, frames: list[np.ndarray], pids: dict[str, int | None]) -> dict[str, Any]:
    """`rounds` alternations of a page window (seconds / rounds of streaming, after a warm-up)
    and the one-thread bench on `frames` while the page is stopped: the baseline is measured
    next to each window, so that a machine whose speed drifts over a run (a shared host) does not
    turn into a ratio; the figure is the median of the rounds' ratios. `pids`: the server's and
    the browser's process, whose CPU use (cores, their process trees) is read over each window."""
    import movenet

    detector = movenet.create_detector(model, threads=1)
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        (base, "data:", "blob:")) else route.abort())
    page.goto(f"{base}/?model={model}")
    page.select_option("#send-size", str(send_size))
    windows, benches = [], []
    cores: dict[str, list[float]] = {name: [] for name, pid in pids.items() if pid is not None}
    for _ in range(rounds):
        page.evaluate("() => { window.poseLog.length = 0; }")
        page.click("#start")
        page.wait_for_function("(m) => window.poseLog.filter((e) => e.model === m).length >= 3", arg=model,
                               timeout=120_000)
        time.sleep(warmup_s)
        page.evaluate("() => { window.poseLog.length = 0; }")
        trees = {name: process_tree(pid) for name, pid in pids.items() if pid is not None}
        cpu_before, t0 = {name: cpu_seconds(tree) for name, tree in trees.items()}, time.monotonic()
        time.sleep(seconds / rounds)
        elapsed = time.monotonic() - t0
        for name, tree in trees.items():
            cores[name].append((cpu_seconds(tree) - cpu_before[name]) / elapsed)
        log = page.evaluate("() => window.poseLog.map((e) => [e.model, e.received_at_ms, e.latency_ms, "
                            "e.inference_ms, e.frame.poses.length])")
        page.click("#stop")
        windows.append([e for e in log if e[0] == model])
        benches.append(bench_rate(detector, frames))  # the page is stopped: the server and chromium idle
    context.close()
    detector.close()
    rates = [(len(w) - 1) * 1000.0 / (w[-1][1] - w[0][1]) if len(w) >= 2 else 0.0 for w in windows]
    every = [e for w in windows for e in w]
    if not every:
        return {"model": model, "replies": 0, "fps": 0.0, "bench_fps_1_thread": statistics.median(benches),
                "page_vs_possible": 0.0}
    latency = [e[2] for e in every]
    ratios = [rate / min(CAMERA_FPS, bench) for rate, bench in zip(rates, benches, strict=True)]
    return {
        "model": model, "replies": len(every), "rounds": rounds,
        "fps": statistics.median(rates), "fps_per_round": rates,
        "latency_p50_ms": statistics.median(latency),
        "latency_p90_ms": float(np.percentile(latency, 90)),
        "server_ms_median": statistics.median(e[3] for e in every),
        "frames_with_pose": sum(e[4] > 0 for e in every) / len(every),
        "bench_fps_1_thread": statistics.median(benches), "bench_fps_per_round": benches,
        "page_vs_possible": statistics.median(ratios), "ratio_per_round": ratios,
        **{f"{name}_cores": statistics.median(values) for name, values in cores.items()},
    }


def bench_rate(detector: Any, frames: list[np.ndarray]) -> float:
    """One-thread end-to-end frames/s of `estimate_poses` on these frames, as `movenet bench`
    (a fresh sequence: the detector is reset first)."""
    detector.reset()
    samples = []
    for k, frame in enumerate(frames * 2):
        t0 = time.perf_counter()
        detector.estimate_poses(frame, timestamp_ms=k * 1000 / CAMERA_FPS)
        samples.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(samples[len(frames) // 2:])


def markdown_table(results: dict[str, Any]) -> str:
    """The README's table of one run's results (the JSON this script writes)."""
    lines = ["| model | page fps | latency p50 / p90 (ms) | one-thread bench fps | page / min(30, bench) | per round "
             "| server / browser cores |", "|---|---:|---:|---:|---:|---|---:|"]
    for row in results["models"]:
        rounds = ", ".join(f"{r:.2f}" for r in row["ratio_per_round"])
        lines.append(f"| {row['model']} | {row['fps']:.1f} | {row['latency_p50_ms']:.0f} / "
                     f"{row['latency_p90_ms']:.0f} | {row['bench_fps_1_thread']:.1f} | "
                     f"{row['page_vs_possible']:.2f} | {rounds} | {row['server_cores']:.2f} / "
                     f"{row['browser_cores']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=None, help="models to run (default: every registered one)")
    parser.add_argument("--seconds", type=positive_number("seconds"), default=20.0,
                        help="measured streaming per model (all rounds)")
    parser.add_argument("--rounds", type=positive_int, default=4,
                        help="page windows per model, each followed by the bench baseline (default 4)")
    parser.add_argument("--warmup", type=positive_number("seconds"), default=2.0,
                        help="seconds streamed before each window")
    parser.add_argument("--size", type=parse_frame_size, default=(640, 480),
                        help="fake camera size WxH (default 640x480)")
    parser.add_argument("--send-size", type=positive_int, default=320, help="the page's 'frame size sent' (px)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="server inference threads (default: the server's, all physical cores but one)")
    parser.add_argument("--json", default=None, help="write the results as JSON to this path (- for stdout)")
    parser.add_argument("--table", metavar="JSON", default=None,
                        help="print the README's table of a saved run (its --json file) and exit")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(Path(args.table).read_text())))
        return 0
    if not CLIP.is_file():
        raise SystemExit(f"{CLIP} is absent (set MOVENET_SHARED)")
    if not CHROMIUM.is_file():
        raise SystemExit(f"no chromium at {CHROMIUM} (apt-get install chromium, or set MOVENET_CHROMIUM)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    models = args.models or default_models()
    width, height = args.size
    from movenet.runtime import available_cores
    from movenet.web.app import default_server_threads

    results: dict[str, Any] = {"camera": f"{width}x{height} @ {CAMERA_FPS} fps", "send_size": args.send_size,
                               "cores": available_cores(), "server_threads": args.threads or default_server_threads(),
                               "models": []}
    with tempfile.TemporaryDirectory() as tmp:
        camera = Path(tmp) / "camera.y4m"
        rgb = write_camera(CLIP, camera, width, height, frames=90)
        scale = min(1.0, args.send_size / max(width, height))
        size = (round(width * scale), round(height * scale))
        sent = [np.asarray(Image.fromarray(f).resize(size)) for f in rgb[:60]]
        port = free_port()
        server = start_server(port, args.threads)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}"])
                pids = {"server": server.pid, "browser": browser_pid(camera)}
                for model in models:
                    row = measure_model(browser, f"http://127.0.0.1:{port}", model, args.send_size, args.warmup,
                                        args.seconds, args.rounds, sent, pids)
                    results["models"].append(row)
                    print(f"{model:>16}: page {row['fps']:5.1f} fps  latency p50 {row.get('latency_p50_ms', 0):5.0f} ms"
                          f"  p90 {row.get('latency_p90_ms', 0):5.0f} ms  bench(1 thread) "
                          f"{row['bench_fps_1_thread']:5.1f} fps  page/min(30, bench) {row['page_vs_possible']:.2f}"
                          f"  (rounds: {', '.join(f'{r:.2f}' for r in row.get('ratio_per_round', []))}; bench fps "
                          f"{', '.join(f'{b:.1f}' for b in row.get('bench_fps_per_round', []))})"
                          + "".join(f"  {name} {row[f'{name}_cores']:.2f} cores" for name in pids
                                    if f"{name}_cores" in row),
                          flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    if args.json == "-":
        print(json.dumps(results, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
