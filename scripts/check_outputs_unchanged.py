"""Write `movenet detect --json` and `movenet track --json` for every still and clip in ../shared/data.

Run it before and after a change that must not alter results, then compare the two folders:

    nice python scripts/check_outputs_unchanged.py /tmp/before
    ... change ...
    nice python scripts/check_outputs_unchanged.py /tmp/after
    diff -r /tmp/before /tmp/after       # no output: byte-identical

Stills: every image file under the data folder, run as independent images (one `detect` call per
model, with all of them as inputs) for lightning, thunder and multipose. Clips: every video file,
tracked with lightning and multipose; thunder on the shortest clips (`--thunder-clips`, 2).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif"}
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _files(data: Path, suffixes: set[str]) -> list[Path]:
    return sorted(p for p in data.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _movenet(args: list[str], log: Path) -> None:
    """Run the CLI; a non-zero exit code is recorded (bad inputs exit 2 by design), not fatal."""
    proc = subprocess.run(
        [sys.executable, "-m", "movenet", *args], capture_output=True, text=True, check=False
    )
    with log.open("a") as f:
        f.write(f"$ movenet {' '.join(args[:4])} ... -> exit {proc.returncode}\n{proc.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the outputs into (created)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--thunder-clips", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no data folder at {args.data}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "log.txt"
    log.write_text("")

    stills = _files(args.data, IMAGE_SUFFIXES)
    for model in ("lightning", "thunder", "multipose"):
        out = args.out / f"detect_{model}.json"
        _movenet(["detect", "--model", model, "--json", str(out), *map(str, stills)], log)
        # Sources are absolute paths; make the files comparable across data locations.
        out.write_text(out.read_text().replace(str(args.data), "DATA"))

    clips = _files(args.data, VIDEO_SUFFIXES)
    shortest = sorted(clips, key=lambda p: p.stat().st_size)[: args.thunder_clips]
    for clip in clips:
        name = str(clip.relative_to(args.data)).replace("/", "__")
        models = ["lightning", "multipose"] + (["thunder"] if clip in shortest else [])
        for model in models:
            out = args.out / f"track_{model}_{name}.json"
            _movenet(["track", str(clip), "--model", model, "--json", str(out)], log)
            if out.exists():
                out.write_text(out.read_text().replace(str(args.data), "DATA"))
    print(f"{len(stills)} stills, {len(clips)} clips -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
