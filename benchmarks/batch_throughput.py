"""Archive throughput of `movenet batch` (frames/s, video decoding included) with 1 and 2 worker
processes, against `movenet bench`'s one-thread end-to-end rate measured in the same run.

    python benchmarks/batch_throughput.py [--model lightning] [--json PATH]

Two archives, each in a temporary folder:

* "bench frames": the frames `movenet bench` times (640x480, panning over the bundled photo),
  encoded as H.264 mp4 clips: the same pixels as the bench rate, plus decoding them;
* "shared clips": every real clip of ../shared/data/videos (mp4, avi, gif; 576x576 to
  1280x720), `--repeat` times: a realistic mix, where decoding the larger frames costs more.

Each configuration runs the per-input task of `movenet batch` (movenet.batch.local.run_local:
decoding ahead on a thread, the detector, the Parquet writer) into a fresh output folder.
Reported per archive and configuration:

* frames/s over the processing window (first frame to last: workers started and networks
  loaded) and over the whole call (process start-up and model loading included);
* the ratio of the processing rate to N x the one-thread end-to-end rate of `movenet bench`
  (run before and after the batch runs, the mean used): 2 workers should reach 85% of 2x;
* the peak resident memory (VmHWM) of each worker process.

Also: the decoding cost alone (ms/frame, one thread), which bounds what N workers on N cores can
reach: N / (end to end + decoding). On a machine busy with other work the figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from movenet.batch.inputs import collect_inputs, largest_first
from movenet.batch.local import run_local, threads_per_worker
from movenet.batch.settings import DetectorOptions, TaskOptions
from movenet.bench import run_benchmark
from movenet.io.video import open_source
from movenet.runtime import available_cores

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = Path(os.environ.get("MOVENET_SHARED", ROOT.parent / "shared")) / "data" / "videos"
CLIP_SUFFIXES = (".mp4", ".avi", ".gif")


def make_bench_archive(folder: Path, clips: int, frames: int) -> list[Path]:
    """`clips` H.264 mp4 files of `frames` 640x480 frames each, panning over the bundled photo."""
    from importlib import resources

    from movenet.bench import pan_frames
    from movenet.io.images import load_image
    from movenet.io.video_writer import VideoWriter

    photo = load_image(Path(str(resources.files("movenet") / "data" / "astronaut.jpg")))
    pan = pan_frames(photo, frames, 640, 480)
    folder.mkdir(parents=True)
    paths = []
    for k in range(clips):
        path = folder / f"bench_{k:02d}.mp4"
        with VideoWriter(path, 640, 480, 30.0) as writer:
            for frame in pan if k % 2 == 0 else pan[::-1]:  # forwards and backwards
                writer.write(frame)
        paths.append(path)
    return paths


def make_archive(folder: Path, repeat: int) -> list[Path]:
    clips = sorted(p for p in VIDEOS.iterdir() if p.suffix in CLIP_SUFFIXES)
    if not clips:
        sys.exit(f"no clips in {VIDEOS}")
    for k in range(repeat):
        sub = folder / f"copy{k}"
        sub.mkdir(parents=True)
        for clip in clips:
            (sub / clip.name).symlink_to(clip)
    return clips


def decode_ms_per_frame(clips: list[Path]) -> tuple[float, int, dict[str, float]]:
    """Decoding alone (RGB frames, as the detector gets them), one thread: mean ms a frame."""
    total_frames, total_s, per_clip = 0, 0.0, {}
    for clip in clips:
        start = time.perf_counter()
        with open_source(clip) as source:
            count = sum(1 for _ in source)
        elapsed = time.perf_counter() - start
        per_clip[clip.name] = 1000 * elapsed / max(count, 1)
        total_frames += count
        total_s += elapsed
    return 1000 * total_s / total_frames, total_frames, per_clip


def _children_hwm_mb(peaks: dict[int, float]) -> None:
    """Record the peak RSS (VmHWM) of this process's worker processes."""
    me = os.getpid()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("PPid", "0").strip()) != me or "VmHWM" not in fields:
            continue
        mb = int(fields["VmHWM"].split()[0]) / 1024
        if mb > 100:  # workers hold a network (> 100 MB); multiprocessing's resource tracker does not
            pid = int(status.parent.name)
            peaks[pid] = max(peaks.get(pid, 0.0), mb)


def run_config(archive: Path, model: str, workers: int) -> dict[str, Any]:
    options = TaskOptions(detector=DetectorOptions(model=model), format="parquet")
    items = largest_first(collect_inputs([archive]))  # as run_batch orders them
    threads = threads_per_worker(workers)
    times: list[float] = []
    frames = [0]
    peaks: dict[int, float] = {}
    last_sample = [0.0]
    rows: list[dict[str, Any]] = []

    def on_frames(count: int) -> None:
        now = time.perf_counter()
        if not times:  # the window opens at the first report: its frames were done before it
            times.append(now)
            count = 0
        frames[0] += count
        times[1:] = [now]
        if now - last_sample[0] > 0.5:
            last_sample[0] = now
            _children_hwm_mb(peaks)

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_local(items, Path(out), options, workers=workers, threads=threads, on_result=rows.append,
                  on_frames=on_frames)
        wall = time.perf_counter() - start
    failed = [r for r in rows if r.get("status") != "done"]
    if failed:
        sys.exit(f"inputs failed: {failed[:3]}")
    total = sum(r["frames"] for r in rows)
    window = times[-1] - times[0] if len(times) > 1 else wall
    return {"workers": workers, "threads_per_worker": threads, "inputs": len(rows), "frames": total,
            "wall_s": wall, "frames_per_s_whole_call": total / wall,
            "frames_per_s": frames[0] / window if window > 0 else 0.0,
            "peak_rss_mb_per_worker": sorted(round(v, 1) for v in peaks.values())}


def _num(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0])
    return f"{value:{spec}}" if value is not None else "-".rjust(width)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="lightning", choices=["lightning", "thunder", "multipose"])
    parser.add_argument("--repeat", type=int, default=1, help="copies of the shared clips (default 1)")
    parser.add_argument("--bench-clips", type=int, default=8, help="H.264 clips of bench frames (default 8)")
    parser.add_argument("--bench-clip-frames", type=int, default=150, help="frames a bench clip (default 150)")
    parser.add_argument("--bench-frames", type=int, default=300)
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args()

    log = lambda msg: print(f"batch_throughput: {msg}", file=sys.stderr)  # noqa: E731
    archives: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        log("encoding the bench frames as H.264 clips ...")
        bench_clips = make_bench_archive(Path(tmp) / "bench_frames", args.bench_clips, args.bench_clip_frames)
        shared = Path(tmp) / "shared_clips"
        shared_clips = make_archive(shared, args.repeat)
        log("bench (one thread, end to end) ...")
        before = run_benchmark(args.model, threads=1, frames=args.bench_frames, reference=False)
        for name, folder, clips, copies in (("bench frames", Path(tmp) / "bench_frames", bench_clips, 1),
                                            ("shared clips", shared, shared_clips, args.repeat)):
            decode_ms, clip_frames, per_clip = decode_ms_per_frame(clips)
            configs = []
            for workers in (1, 2):
                log(f"{name}: {workers} worker(s) ...")
                configs.append(run_config(folder, args.model, workers))
            archives.append({"name": name, "clips": [c.name for c in clips], "copies": copies,
                             "frames": clip_frames * copies, "decode_ms_per_frame": decode_ms,
                             "decode_ms_per_frame_by_clip": per_clip, "configs": configs})
        log("bench again ...")
        after = run_benchmark(args.model, threads=1, frames=args.bench_frames, reference=False)
    e2e_fps = statistics.mean([before["end_to_end"]["fps"], after["end_to_end"]["fps"]])
    e2e_ms = 1000 / e2e_fps
    for archive in archives:
        for config in archive["configs"]:
            n = config["workers"]
            config["ratio_to_n_x_bench"] = config["frames_per_s"] / (n * e2e_fps)
            # one core per worker (one inference thread, the decoding thread beside it): the cores'
            # time split between inference and decoding bounds the rate; with more threads, no bound
            one_core_each = config["threads_per_worker"] == 1 and n <= available_cores()
            ceiling = n * 1000 / (e2e_ms + archive["decode_ms_per_frame"]) if one_core_each else None
            config["ceiling_with_decoding_fps"] = ceiling
            config["ratio_to_ceiling"] = config["frames_per_s"] / ceiling if ceiling else None
    result = {
        "model": args.model, "machine": {"cores": available_cores(), "python": platform.python_version(),
                                         "load_average": os.getloadavg()},
        "bench_one_thread_end_to_end_fps": {"before": before["end_to_end"]["fps"],
                                            "after": after["end_to_end"]["fps"], "mean": e2e_fps},
        "archives": archives,
    }
    print(f"movenet bench ({args.model}, one thread, end to end): {e2e_fps:.1f} frames/s ({e2e_ms:.2f} ms; "
          f"before {before['end_to_end']['fps']:.1f}, after {after['end_to_end']['fps']:.1f})")
    print(f"{'archive':<13} {'frames':>6} {'decode':>7} {'workers':>7} {'threads':>7} {'frames/s':>9} "
          f"{'whole call':>10} {'vs N x bench':>12} {'ceiling':>8} {'vs ceiling':>10} {'peak RSS/worker (MB)':>21}")
    for archive in archives:
        for c in archive["configs"]:
            rss = ", ".join(f"{m:.0f}" for m in c["peak_rss_mb_per_worker"])
            print(f"{archive['name']:<13} {archive['frames']:>6} {archive['decode_ms_per_frame']:>5.2f}ms "
                  f"{c['workers']:>7} {c['threads_per_worker']:>7} {c['frames_per_s']:>9.1f} "
                  f"{c['frames_per_s_whole_call']:>10.1f} {c['ratio_to_n_x_bench']:>11.0%} "
                  f"{_num(c['ceiling_with_decoding_fps'], '8.1f')} {_num(c['ratio_to_ceiling'], '9.0%')} {rss:>21}")
    print("ceiling: N / (bench end to end + decoding), the best N one-thread workers on N cores can reach")
    print(f"load average after the run: {', '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"(other work on the machine makes these figures noisy)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
