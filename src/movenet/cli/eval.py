"""The ``movenet eval`` subcommand: COCO keypoint accuracy of a model, and false positives on
images without people.

  movenet eval [--model M] [--protocol single|multi] [--split val2017|train2017|all] [--json PATH|-]
               [--save-results PATH] [--negatives DIR] [ANNOTATIONS.json IMAGE_DIR]

Registered by ``movenet.cli.build_parser`` through :func:`add_eval_parser`. The work is done by
:mod:`movenet.evaluation`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from movenet import api  # called as api.create_detector: one patch point for tests
from movenet.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, add_model_option, detector_options, positive_int
from movenet.cli.common import error as _error
from movenet.evaluation import (
    count_false_positives,
    format_negatives,
    format_report,
    load_keypoint_dataset,
    run_evaluation,
)

_MAX_PROBLEM_LINES = 20


class _Progress:
    """``image N/TOTAL`` on stderr, only when it is a terminal."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._enabled = sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self._enabled or (now - self._last < 0.25 and done < total):
            return
        self._last = now
        self._shown = True
        print(f"\r{self._label}: image {done}/{total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._shown:
            print(file=sys.stderr)
            self._shown = False


def _write_json(target: str, payload: Any) -> None:
    text = json.dumps(payload, indent=2) + "\n"
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _report_problems(problems: Sequence[dict[str, Any]]) -> None:
    for q in problems[:_MAX_PROBLEM_LINES]:
        _error(q["message"])
    if len(problems) > _MAX_PROBLEM_LINES:
        _error(f"... and {len(problems) - _MAX_PROBLEM_LINES} more problems (see the JSON report)")


def cmd_eval(args: argparse.Namespace) -> int:
    if (args.annotations is None) != (args.image_dir is None):
        _error("eval needs both ANNOTATIONS.json and IMAGE_DIR")
        return EXIT_BAD_INPUT
    if args.annotations is None and args.negatives is None:
        _error("eval needs ANNOTATIONS.json IMAGE_DIR, or --negatives DIR")
        return EXIT_BAD_INPUT
    if args.save_results and args.annotations is None:
        _error("--save-results needs ANNOTATIONS.json IMAGE_DIR")
        return EXIT_BAD_INPUT
    if args.save_results == "-" and args.json == "-":
        _error("--json - and --save-results - cannot both write to stdout")
        return EXIT_BAD_INPUT
    if args.image_dir is not None and not Path(args.image_dir).is_dir():
        _error(f"{args.image_dir}: not a directory")
        return EXIT_BAD_INPUT
    if args.negatives is not None and not Path(args.negatives).is_dir():
        _error(f"{args.negatives}: not a directory")
        return EXIT_BAD_INPUT
    if args.annotations is not None:
        try:
            import pycocotools.cocoeval  # noqa: F401 - optional dependency (the eval extra), checked here
        except ImportError:
            _error("movenet eval needs pycocotools to score COCO keypoints: pip install pycocotools")
            return EXIT_FAILURE
    dataset = load_keypoint_dataset(args.annotations) if args.annotations is not None else None  # ValueError: exit 2
    protocol = args.protocol or ("multi" if args.model == "multipose" else "single")
    detector = api.create_detector(args.model, model_dir=args.model_dir, threads=args.threads,
                               backend=getattr(args, "backend", "onnxruntime"),
                               precision=getattr(args, "precision", "fp32"),
                               **detector_options(argparse.Namespace(
                                   model=args.model, min_pose_score=args.min_pose_score, max_poses=args.max_poses,
                                   multipose_max_dim=args.multipose_max_dim)))
    # The table goes to stdout, or to stderr when the JSON takes stdout.
    table_out = sys.stderr if args.json == "-" else sys.stdout
    payload: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []
    if dataset is not None:
        progress = _Progress(f"eval {args.model}")
        try:
            report, results = run_evaluation(detector, dataset, args.image_dir, protocol=protocol, split=args.split,
                                             progress=progress)
        finally:
            progress.close()
        problems += report["problems"]
        payload.update(report)
        if args.save_results:
            _write_json(args.save_results, results)
        print(format_report(report), file=table_out)
    if args.negatives is not None:
        progress = _Progress(f"negatives {args.model}")
        try:
            negatives = count_false_positives(detector, args.negatives, progress=progress)
        finally:
            progress.close()
        problems += negatives["problems"]
        if dataset is None:
            payload.update({"model": negatives["model"], "min_pose_score": negatives["min_pose_score"]})
        payload["negatives"] = negatives
        if dataset is not None:
            print(file=table_out)
        print(format_negatives(negatives), file=table_out)
    if args.json:
        _write_json(args.json, payload)
    _report_problems(problems)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def add_eval_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    """Register ``eval`` on `subparsers` (from ``parser.add_subparsers()``). It brings all its options;
    `parents` (optional) may provide some of them instead (``--model``, ``--model-dir``, ``--threads``,
    ``--min-pose-score``, ``--max-poses``, ``--multipose-max-dim``), and any others they hold are accepted
    and ignored."""
    ev = subparsers.add_parser(
        "eval", parents=list(parents), help="COCO keypoint accuracy (AP, PCK) on an annotated dataset",
        description="Run the detector on every image of a COCO keypoint dataset (each image independent) and "
        "score it with the COCO keypoint protocol (pycocotools: AP, AP50, AP75, APm, APl, AR...) and per-keypoint "
        "PCK@0.2 of the torso size. Images that fail to load and annotations of unknown images are reported and "
        "skipped (exit code 2). See docs/accuracy.md.")
    ev.add_argument("annotations", nargs="?", metavar="ANNOTATIONS.json", help="COCO person-keypoint annotations")
    ev.add_argument("image_dir", nargs="?", metavar="IMAGE_DIR", help="folder holding the images' file_name")
    known = {opt for p in parents for a in p._actions for opt in a.option_strings}

    def option(flag: str, **kwargs: Any) -> None:  # options that `parents` already give are kept as they are
        if flag not in known:
            ev.add_argument(flag, **kwargs)

    if "--model" not in known:
        add_model_option(ev)
    ev.add_argument("--protocol", choices=["single", "multi"], default=None,
                    help="single: only images whose one person annotation is a non-crowd person with keypoints "
                    "(MoveNet model card); multi: all images and people (standard COCO). Default: single for "
                    "lightning/thunder, multi for multipose")
    ev.add_argument("--split", choices=["val2017", "train2017", "all"], default="all",
                    help="only images of this COCO split (image field coco_split, else coco_url); default all")
    ev.add_argument("--json", metavar="PATH", help="write the full report as JSON to PATH ('-' = stdout; the table "
                    "then goes to stderr)")
    ev.add_argument("--save-results", metavar="PATH", help="write the detections as a COCO results JSON file "
                    "('-' = stdout)")
    ev.add_argument("--negatives", metavar="DIR", help="also (or only) count the images of DIR, which show nobody, "
                    "on which the model returns a pose (false positives)")
    option("--min-pose-score", type=float, default=None, help="drop poses below this score (0.25)")
    option("--max-poses", type=int, default=None, help="multipose, posenet: at most this many people (posenet: > 1 = "
           "multi-person decoding)")
    option("--multipose-max-dim", type=int, default=None,
           help="multipose: longer side of the network input, a multiple of 32 (default 256)")
    option("--model-dir", help="folder with the TF.js model files (default: $MOVENET_MODEL_DIR or the user cache)")
    option("--threads", type=positive_int, default=None, help="inference threads (default: all cores)")
    ev.set_defaults(func=cmd_eval)
    return ev
