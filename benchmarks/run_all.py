"""Regenerate the speed table in README.md: every model on every installed backend.

    python benchmarks/run_all.py            # ~3 min on a 2-core machine; writes benchmarks/results.json

Each row is one `movenet bench` run (see movenet/bench.py): network-only, end-to-end and TF.js
reference times measured alternately in the same run, so the ratios are meaningful even on a
busy machine. The README table between the bench markers is replaced with the new results.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from movenet.bench import format_result, run_benchmark
from movenet.runtime import BACKENDS

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(results: list[dict]) -> str:
    rows = ["| model | backend | threads | network only (ms) | end to end (ms) | frames/s | e2e / network | "
            "TF.js wasm (ms) | TF.js / ours |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ref = r.get("reference")
        rows.append(
            f"| {r['model']} | {r['backend']} | {r['threads']} | {r['network_only']['median_ms']:.2f} | "
            f"{r['end_to_end']['median_ms']:.2f} | {r['end_to_end']['fps']:.0f} | "
            f"{r['ratios']['end_to_end_vs_network']:.2f}x | {ref['median_ms']:.1f} | "
            f"{r['ratios']['reference_vs_ours']:.1f}x |" if ref else
            f"| {r['model']} | {r['backend']} | {r['threads']} | {r['network_only']['median_ms']:.2f} | "
            f"{r['end_to_end']['median_ms']:.2f} | {r['end_to_end']['fps']:.0f} | "
            f"{r['ratios']['end_to_end_vs_network']:.2f}x | - | - |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--models", nargs="+", default=["lightning", "thunder", "multipose"])
    ap.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    args = ap.parse_args()
    results = []
    for model in args.models:
        for backend in sorted(BACKENDS):
            print(f"== {model} / {backend}", file=sys.stderr)
            result = run_benchmark(model, backend=backend, threads=1, frames=args.frames)
            print(format_result(result), file=sys.stderr)
            results.append(result)
    machine = f"{cpu_name()}, {results[0]['machine']['cores']} cores, Python {platform.python_version()}"
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    text = (f"{START}\nMeasured by `python benchmarks/run_all.py` on {machine}; 640x480 frames, one inference "
            f"thread, medians per frame.\n\n{table(results)}\n{END}")
    print(text)
    if not args.no_readme:
        readme = ROOT / "README.md"
        content = readme.read_text()
        if START in content and END in content:
            head, rest = content.split(START, 1)
            content = head + text + rest.split(END, 1)[1]
            readme.write_text(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
