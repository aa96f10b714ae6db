"""`movenet batch`: a whole archive of videos and photos to tidy pose files (Parquet, JSONL, CSV),
resumable, on every core of this machine or on a Ray cluster.

  movenet batch INPUT... --out DIR [--model M] [--workers N] [--format parquet|jsonl|csv]
                [--ray [ADDRESS]] [--analyze EXERCISE] [--backend B] [--precision P] [--force]

INPUT: folders (recursive), files, glob patterns ('clinic/**/*.mp4', quoted) and .txt lists of
paths. Registered on the `movenet` parser by :func:`add_batch_parser`; the work is done by
:func:`movenet.batch.run_batch`. Exit codes: 0 all done, 2 an input failed (the others are done
and in the manifest) or bad usage, 1 other errors, 130 interrupted (finished outputs are kept).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from movenet.analysis.reps import EXERCISES
from movenet.batch import BatchError, run_batch
from movenet.batch.settings import FORMATS
from movenet.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    add_model_option,
    detector_flags,
    detector_options,
    engine_options,
    positive_int,
)
from movenet.cli.common import error as _error
from movenet.errors import MovenetError

__all__ = ["add_batch_parser", "cmd_batch"]


def add_batch_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``batch`` command to the `subparsers` of the `movenet` parser; returns its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "batch", parents=[engine_options(), detector_flags()],
        help="a whole archive of videos and photos to pose files (Parquet), resumable, on all cores or Ray",
        description="Detect the poses in every video (one sequence each, as `movenet track`) and image (each "
                    "independent, as `movenet detect`) of the inputs, one output file per input mirroring the "
                    "inputs' layout, and a manifest (_manifest.parquet or .jsonl) with one row per input. A rerun "
                    "skips the inputs already done with the same options.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="folders (recursive), video/image files, glob patterns (quote them: 'a/**/*.mp4'), or .txt "
                        "lists with one path a line")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--format", default="parquet", choices=list(FORMATS),
                   help="parquet (default): one row per frame x person x keypoint; csv: the same rows; jsonl: "
                        "one line per frame in the `movenet track --json` frame schema")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="processes (default: one per core); with --ray, actors (default: one per cluster CPU)")
    p.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="run on Ray (pip install 'movenet[ray]'): no ADDRESS = the cluster of $RAY_ADDRESS or of "
                        "this machine, else a new local one; 'auto' = a running cluster; or ray://HOST:PORT")
    p.add_argument("--analyze", metavar="EXERCISE", choices=sorted(EXERCISES),
                   help="also write each video's movement analysis (reps, range of motion, sway) as JSON beside "
                        f"its output, and _analysis_summary.csv: {', '.join(sorted(EXERCISES))}")
    p.add_argument("--force", action="store_true", help="recompute every input, even those already done")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (they only show on a terminal)")
    add_model_option(p)
    p.add_argument("--threads", type=positive_int, default=None,
                   help="inference threads per worker (default: cores / workers; 1 per Ray actor)")
    p.add_argument("--model-dir", help="folder with the TF.js model files (default: $MOVENET_MODEL_DIR or the user "
                   "cache, fetched on first use)")
    p.add_argument("--no-smoothing", action="store_true", help="turn the one-euro keypoint filter off (videos)")
    p.add_argument("--min-score", type=float, default=0.3,
                   help="--analyze: ignore keypoints scoring below this (default 0.3)")
    p.set_defaults(func=cmd_batch)
    return p


def _report(summary: Any) -> str:
    parts = [f"{summary.done} done", f"{summary.skipped} skipped (already done)", f"{summary.failed} failed"]
    if summary.not_run:
        parts.append(f"{len(summary.not_run)} not run")
    rate = summary.frames / summary.wall_s if summary.wall_s > 0 else 0.0
    lines = [f"movenet batch: {len(summary.rows) + len(summary.not_run)} inputs: {', '.join(parts)}; "
             f"{summary.frames} frames in {summary.wall_s:.1f} s ({rate:.1f} frames/s)",
             f"manifest: {summary.manifest}"]
    if summary.analysis_summary is not None:
        lines.append(f"analysis summary: {summary.analysis_summary}")
    if summary.interrupted:
        lines.append("interrupted: finished outputs are kept; run the same command again to do the rest")
    return "\n".join(lines)


def cmd_batch(args: argparse.Namespace) -> int:
    try:
        summary = run_batch(
            args.inputs, args.out, model=args.model, workers=args.workers, format=args.format, backend=args.backend,
            precision=args.precision, threads=args.threads, smoothing=not args.no_smoothing,
            model_options=detector_options(args), model_dir=args.model_dir, analyze=args.analyze,
            min_score=args.min_score, ray=args.ray, force=args.force,
            progress=False if args.no_progress else None, log=_error_line)
    except (BatchError, ValueError) as exc:
        _error(" ".join(str(exc).split()))
        return EXIT_BAD_INPUT
    except MovenetError as exc:
        _error(" ".join(str(exc).split()))
        return EXIT_FAILURE
    print(_report(summary), file=sys.stderr)
    return int(summary.exit_code)


def _error_line(line: str) -> None:
    print(line, file=sys.stderr)
