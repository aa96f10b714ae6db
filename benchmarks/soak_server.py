"""Soak test of `movenet serve`: N clients stream frames over the WebSocket for M minutes while abusive
clients hammer the server; is latency (p50/p99 per minute) and the server's memory (RSS) flat?

    python benchmarks/soak_server.py                 # 10 minutes, 4 streaming clients, 2 abusive ones
    python benchmarks/soak_server.py --minutes 1 --json soak.json

Loopback only (the server binds 127.0.0.1 on a free port) and bounded: every client paces itself
(--fps per client), every wait has a timeout, and the run stops after --minutes. The streaming
clients send JPEG frames of a real clip (../shared/data/videos/tfjs_dance_pose_1.mp4 when present,
else the bundled example photo) with timestamps and measure each frame's round trip. The abusive
clients cycle through: oversized frames, deeply nested JSON, garbage bytes, a frame then gone,
uploads cut off midway and stalled ones (the body timeout), a foreign Host header, a cross-origin
POST, multipose_max_dim=4096, and bursts of short connections. Reported per minute (a run under 3
minutes: per sixth): frames, p50 and p99 latency, the server's RSS; then start/end RSS and a verdict
(flat: the last window's p99 within 1.5x + 10 ms of the second's, the first being the warm-up, and
the end RSS within 15% + 30 MB of the RSS after the warm-up), and whether the server logged any
traceback. Exit status 0 when all is flat and clean.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED_CLIP = REPO.parent / "shared" / "data" / "videos" / "tfjs_dance_pose_1.mp4"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _frames(width: int) -> list[bytes]:
    """JPEG frames of the clip (or the example photo, slightly shifted each frame), `width` px wide."""
    images: list[np.ndarray] = []
    if SHARED_CLIP.is_file():
        import av

        with av.open(str(SHARED_CLIP)) as container:
            for frame in container.decode(container.streams.video[0]):
                images.append(frame.to_ndarray(format="rgb24"))
                if len(images) == 60:
                    break
    else:
        sys.path.insert(0, str(REPO / "src"))
        from movenet.cli import example_image

        base = np.asarray(Image.open(example_image()).convert("RGB"))
        images = [np.roll(base, 4 * k, axis=1) for k in range(30)]
    out = []
    for rgb in images:
        im = Image.fromarray(rgb)
        im = im.resize((width, round(im.height * width / im.width)))
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=85)
        out.append(buf.getvalue())
    return out


@dataclass
class Stats:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (time since start, ms)
    errors: list[str] = field(default_factory=list)
    abuse: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_abuse(self, kind: str) -> None:
        with self.lock:
            self.abuse[kind] = self.abuse.get(kind, 0) + 1


def _stream_client(k: int, url: str, frames: list[bytes], fps: float, start: float, stop: threading.Event,
                   stats: Stats) -> None:
    from websockets.sync.client import connect

    sys.path.insert(0, str(REPO / "src"))
    from movenet.web.messages import pack_frame

    period = 1.0 / fps
    i = 0
    while not stop.is_set():
        try:
            with connect(f"{url}/v1/stream?model=lightning", open_timeout=30, close_timeout=5) as ws:
                json.loads(ws.recv(timeout=30))  # hello
                next_at = time.monotonic()
                while not stop.is_set():
                    sent = time.monotonic()
                    ws.send(pack_frame(frames[i % len(frames)], {"id": i, "timestamp_ms": i * 1000 / 30}))
                    reply = json.loads(ws.recv(timeout=60))
                    done = time.monotonic()
                    if reply.get("type") != "poses" or reply.get("id") != i:
                        with stats.lock:
                            stats.errors.append(f"client {k}: unexpected reply {str(reply)[:120]}")
                    else:
                        with stats.lock:
                            stats.latencies.append((done - start, (done - sent) * 1000))
                    i += 1
                    next_at += period
                    time.sleep(max(0.0, next_at - time.monotonic()))
        except Exception as exc:  # noqa: BLE001 - a streaming client must never fail silently: recorded
            with stats.lock:
                stats.errors.append(f"client {k}: {type(exc).__name__}: {exc}")
            time.sleep(1)


def _raw(port: int, data: bytes, *, read: bool = True, timeout: float = 15) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if not read:
            return b""
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and len(answer) > 200:
                    break
        except TimeoutError:
            pass
        return answer


def _abusive_client(port: int, url: str, frame: bytes, stop: threading.Event, stats: Stats) -> None:
    import httpx
    from websockets.sync.client import connect

    def oversized() -> None:
        with connect(f"{url}/v1/stream", open_timeout=30, close_timeout=5, max_size=None) as ws:
            ws.recv(timeout=30)
            ws.send(b"\xff\xd8\xff" + os.urandom(2 * 1024 * 1024))
            ws.recv(timeout=30)  # the 413 message, then close 1009

    def deep_json() -> None:
        with connect(f"{url}/v1/stream", open_timeout=30, close_timeout=5) as ws:
            ws.recv(timeout=30)
            ws.send("[" * 60_000)
            ws.recv(timeout=30)
            head = b"[" * 30_000 + b"]" * 30_000
            ws.send(len(head).to_bytes(4, "big") + head + frame)
            ws.recv(timeout=30)

    def garbage() -> None:
        with connect(f"{url}/v1/stream", open_timeout=30, close_timeout=5) as ws:
            ws.recv(timeout=30)
            for _ in range(5):
                ws.send(os.urandom(500))
                ws.recv(timeout=30)

    def frame_then_gone() -> None:
        with connect(f"{url}/v1/stream?model=thunder", open_timeout=30, close_timeout=1) as ws:
            ws.recv(timeout=30)
            ws.send(frame)  # and leave without the reply

    def upload_cut() -> None:
        head = f"POST /v1/poses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 500000\r\n\r\n".encode()
        _raw(port, head + frame[: len(frame) // 2], read=False)

    def upload_stalled() -> None:
        head = f"POST /v1/poses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 500000\r\n\r\n".encode()
        _raw(port, head + frame[:100], timeout=15)  # answered 408 after --body-timeout

    def foreign_host() -> None:
        httpx.post(f"{url.replace('ws', 'http', 1)}/v1/poses", content=frame, headers={"host": "evil.example"},
                   timeout=30)

    def cross_origin() -> None:
        httpx.post(f"{url.replace('ws', 'http', 1)}/v1/poses", content=frame, timeout=30,
                   headers={"origin": "http://evil.example", "content-type": "text/plain"})

    def huge_multipose() -> None:
        httpx.post(f"{url.replace('ws', 'http', 1)}/v1/poses?model=multipose&multipose_max_dim=4096", content=frame,
                   timeout=30)

    def connection_burst() -> None:
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass

    kinds = [oversized, deep_json, garbage, frame_then_gone, upload_cut, upload_stalled, foreign_host,
             cross_origin, huge_multipose, connection_burst]
    k = 0
    while not stop.is_set():
        kind = kinds[k % len(kinds)]
        k += 1
        try:
            kind()
        except Exception:  # noqa: BLE001, S110 - abusive clients expect to be refused and dropped
            pass
        stats.note_abuse(kind.__name__)
        stop.wait(0.2)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    # The abusive clients' connections are cut by the server on purpose; the client library would
    # log each as an "unexpected internal error" with its traceback.
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--clients", type=int, default=4, help="streaming clients (default 4)")
    parser.add_argument("--abusive", type=int, default=2, help="abusive clients (default 2)")
    parser.add_argument("--fps", type=float, default=10.0, help="frames per second each client sends (default 10)")
    parser.add_argument("--width", type=int, default=320, help="frame width in pixels (default 320)")
    parser.add_argument("--threads", type=int, default=1, help="the server's inference threads (default 1)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 120 or not 1 <= args.clients <= 64 or not 0 < args.fps <= 60:
        parser.error("keep it bounded: 0 < --minutes <= 120, 1 <= --clients <= 64, 0 < --fps <= 60")

    frames = _frames(args.width)
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="movenet-soak-", suffix=".log", delete=False)  # noqa: SIM115
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    server = subprocess.Popen([sys.executable, "-m", "movenet", "serve", "--port", str(port), "--preload",
                               "lightning,thunder,multipose", "--threads", str(args.threads), "--max-body-mb", "1",
                               "--body-timeout", "5", "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"ws://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                print(Path(log.name).read_text()[-3000:], file=sys.stderr)
                return 1
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.3)
        stats = Stats()
        stop = threading.Event()
        start = time.monotonic()
        rss: list[tuple[float, float]] = [(0.0, _rss_mb(server.pid))]
        threads = [threading.Thread(target=_stream_client, args=(k, url, frames, args.fps, start, stop, stats),
                                    daemon=True) for k in range(args.clients)]
        threads += [threading.Thread(target=_abusive_client, args=(port, url, frames[0], stop, stats), daemon=True)
                    for _ in range(args.abusive)]
        for t in threads:
            t.start()
        print(f"soak: {args.clients} streaming clients at {args.fps:g} frames/s each, {args.abusive} abusive, "
              f"{args.minutes:g} min, server pid {server.pid}, RSS {rss[0][1]:.0f} MB", file=sys.stderr)
        end = start + args.minutes * 60
        while time.monotonic() < end and server.poll() is None:
            time.sleep(min(5.0, max(0.0, end - time.monotonic())))
            rss.append((time.monotonic() - start, _rss_mb(server.pid)))
        stop.set()
        for t in threads:
            t.join(timeout=70)
        alive = server.poll() is None
        rss.append((time.monotonic() - start, _rss_mb(server.pid)))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    server_log = Path(log.name).read_text(errors="replace")

    # Per minute; a short run (under 3 minutes) in six windows instead. The first window is the warm-up
    # (networks' first runs, ONNX Runtime's buffers): flatness compares the second with the last.
    window_s = 60.0 if args.minutes >= 3 else args.minutes * 10
    n_windows = max(2, int(np.ceil(args.minutes * 60 / window_s - 1e-9)))
    windows: list[dict[str, Any]] = []
    for w in range(n_windows):
        lat = [ms for t, ms in stats.latencies if w * window_s <= t < (w + 1) * window_s]
        rss_w = [mb for t, mb in rss if t <= (w + 1) * window_s]
        windows.append({"until_s": round((w + 1) * window_s), "frames": len(lat),
                        "p50_ms": round(_percentile(lat, 50), 1), "p99_ms": round(_percentile(lat, 99), 1),
                        "rss_mb": round(rss_w[-1], 1)})
    second, last = windows[1], windows[-1]
    baseline_rss = windows[0]["rss_mb"]
    p99_flat = last["p99_ms"] <= 1.5 * second["p99_ms"] + 10
    rss_flat = rss[-1][1] <= baseline_rss * 1.15 + 30
    tracebacks = server_log.count("Traceback")
    report = {"windows": windows, "window_s": window_s, "rss_start_mb": round(rss[0][1], 1),
              "rss_end_mb": round(rss[-1][1], 1), "rss_after_warmup_mb": round(baseline_rss, 1),
              "p50_ms": round(_percentile([ms for _, ms in stats.latencies], 50), 1),
              "p99_ms": round(_percentile([ms for _, ms in stats.latencies], 99), 1),
              "p99_flat": p99_flat, "rss_flat": rss_flat,
              "server_alive": alive, "server_tracebacks": tracebacks, "stream_errors": stats.errors[:20],
              "stream_error_count": len(stats.errors), "abuse": stats.abuse,
              "settings": {"clients": args.clients, "abusive": args.abusive, "fps": args.fps, "width": args.width,
                           "threads": args.threads, "minutes": args.minutes,
                           "frames": "tfjs_dance_pose_1.mp4" if SHARED_CLIP.is_file() else "example photo"}}
    print(f"{'until s':>7} {'frames':>7} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7}")
    for row in windows:
        print(f"{row['until_s']:>7} {row['frames']:>7} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
              f"{row['rss_mb']:>7.0f}")
    print(f"RSS start {report['rss_start_mb']:.0f} MB, after the warm-up window {baseline_rss:.0f} MB, end "
          f"{report['rss_end_mb']:.0f} MB; latency p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms; p99 "
          f"{'flat' if p99_flat else 'NOT flat'}, RSS {'flat' if rss_flat else 'NOT flat'}; server "
          f"{'alive' if alive else 'DEAD'}, {tracebacks} tracebacks logged, {len(stats.errors)} stream errors; "
          f"abusive requests: {sum(stats.abuse.values())} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(stats.abuse.items()))})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    os.unlink(log.name)
    return 0 if alive and not tracebacks and not stats.errors and p99_flat and rss_flat else 1


if __name__ == "__main__":
    sys.exit(main())
