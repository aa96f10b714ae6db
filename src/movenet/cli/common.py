"""What the `movenet` subcommands share: exit codes, error lines, the progress display, the
example image, and the option groups (engine, model) whose choices come from the registry."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from movenet.families.movenet.decode import Target, check_target
from movenet.io.images import example_image_path
from movenet.registry import MODEL_NAMES, MODELS, models_with_option, option_names
from movenet.runtime import BACKENDS

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "EXIT_OK",
    "Progress",
    "add_model_option",
    "detector_flags",
    "detector_options",
    "engine_options",
    "error",
    "example_image",
    "model_names",
    "parse_frame_size",
    "parse_resolution",
    "parse_target",
    "positive_int",
    "positive_number",
]

#: 0 success, 2 bad input or usage (other inputs are still processed), 1 other errors.
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

#: The bundled example photo (NASA astronaut portrait, public domain).
example_image = example_image_path


def error(message: str) -> None:
    """One error line on stderr."""
    print(f"movenet: error: {message}", file=sys.stderr)


class Progress:
    """A one-line frames/s progress display on stderr, shown only when it is a terminal."""

    def __init__(self, total: int | None) -> None:
        self._clock = time.monotonic
        self._start = self._last = self._clock()
        self._total = total
        self._enabled = sys.stderr.isatty()

    def update(self, done: int) -> None:
        now = self._clock()
        if not self._enabled or now - self._last < 0.25:
            return
        self._last = now
        rate = done / max(now - self._start, 1e-9)
        total = f"/{self._total}" if self._total else ""
        print(f"\rframe {done}{total}  {rate:6.1f} frames/s", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._enabled:
            print(file=sys.stderr)


def model_names(where: Callable[[str], bool] = lambda name: True) -> list[str]:
    """The registered model names (the `--model` choices) for which `where(name)` holds."""
    return [name for name in MODEL_NAMES if where(name)]


def add_model_option(parser: argparse.ArgumentParser, choices: list[str] | None = None,
                     default: str = "lightning") -> None:
    parser.add_argument("--model", default=default, choices=choices if choices is not None else model_names(),
                        help=", ".join(f"{n}: {MODELS[n].description}" for n in (choices or model_names())))


def engine_options() -> argparse.ArgumentParser:
    """--backend and --precision (a parent parser)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--backend", default="onnxruntime", choices=sorted(BACKENDS),
                        help="inference engine (openvino: pip install 'movenet[openvino]'; cuda: onnxruntime-gpu "
                             "and an NVIDIA GPU)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "int8", "bf16", "fp16"],
                        help="fp32 (default, matches TF.js) or an opt-in faster mode, see docs/performance.md")
    return parser


def detector_flags() -> argparse.ArgumentParser:
    """The model options the commands share, as flags (a parent parser); :func:`detector_options`
    turns the ones given into detector options and rejects those the chosen model does not take."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--min-pose-score", type=float, default=None, help="drop poses below this score (0.25)")
    parser.add_argument("--tracker", default=None, choices=["boundingBox", "keypoint", "none"],
                        help="multipose: how people keep their id across frames (default boundingBox)")
    parser.add_argument("--max-poses", type=int, default=None,
                        help="multipose, posenet: at most this many people (posenet: > 1 = multi-person decoding)")
    parser.add_argument("--multipose-max-dim", type=int, default=None,
                        help="multipose: longer side of the network input, a multiple of 32 (default 256)")
    parser.add_argument("--decoder", choices=["graph", "heads"], default=None,
                        help="single-pose: decode in the graph (default) or from its four heads in NumPy (same "
                             "poses; allows --target)")
    parser.add_argument("--target", type=parse_target, default=None, metavar="center|largest|X,Y",
                        help="single-pose: who to follow: the person nearest the centre (default), the largest, "
                             "or the one nearest the pixel X,Y (implies --decoder heads)")
    parser.add_argument("--score-threshold", type=float, default=None,
                        help="posenet, multi-person: a person's root keypoint needs this heatmap score (0.5)")
    parser.add_argument("--nms-radius", type=float, default=None,
                        help="posenet, multi-person: skip a person whose keypoint is within this many network-"
                             "input pixels of the same keypoint of a person already found (20)")
    parser.add_argument("--input-resolution", type=parse_resolution, default=None, metavar="SIDE|WxH",
                        help="posenet: network input size, snapped to 16k+1 (default 257)")
    return parser


#: argparse destination -> detector option, for the options the subcommands share.
_OPTION_OF = {"min_pose_score": "min_pose_score", "tracker": "tracker", "max_poses": "max_poses",
              "multipose_max_dim": "multipose_max_dimension", "decoder": "decoder", "target": "target",
              "score_threshold": "score_threshold", "nms_radius": "nms_radius",
              "input_resolution": "input_resolution", "segmentation": "enable_segmentation"}


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def positive_number(unit: str) -> Callable[[str], float]:
    """An argparse type: a finite number above 0, of `unit` (named in the error)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, got {text!r}")
        return value

    return parse


def _sides(text: str) -> list[int]:
    """The positive whole numbers of ``AxB...`` text (empty when it is not that)."""
    try:
        sides = [int(p) for p in text.lower().split("x")]
    except ValueError:
        return []
    return sides if min(sides) >= 1 else []


def parse_frame_size(text: str) -> tuple[int, int]:
    """``--size``: ``WIDTHxHEIGHT`` in whole pixels, such as ``640x480``."""
    sides = _sides(text)
    if len(sides) != 2:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}")
    return sides[0], sides[1]


def parse_resolution(text: str) -> int | tuple[int, int]:
    """``--input-resolution``: one side (``257``) or ``WIDTHxHEIGHT`` (``353x257``)."""
    sides = _sides(text)
    if len(sides) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected a side such as 257 or WIDTHxHEIGHT, got {text!r}")
    return sides[0] if len(sides) == 1 else (sides[0], sides[1])


def parse_target(text: str) -> Target:
    """'center', 'largest' or 'X,Y' (image pixels) from the command line."""
    if text in ("center", "largest"):
        return text  # type: ignore[return-value]
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected center, largest or X,Y, got {text!r}")
    try:
        return check_target((float(parts[0]), float(parts[1])))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None



def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def detector_options(args: argparse.Namespace, **fixed: Any) -> dict[str, Any]:
    """The detector options the user gave (flags left unset are not passed, so the model's own
    defaults apply), plus `fixed`. ``--tracker none`` means no tracking; ``--segmentation
    DIR`` turns the mask on. A flag the chosen model does not take is a ValueError naming the
    flag and the models that take it (checked here, before any network is loaded)."""
    options: dict[str, Any] = {}
    flags: dict[str, str] = {}
    for dest, option in _OPTION_OF.items():
        value = getattr(args, dest, None)
        if value is not None:
            if option == "enable_segmentation":
                value = True  # the flag's value is the folder the masks go to
            options[option] = value  # --tracker none: the detectors take "none" as no tracking
            flags[option] = _flag(dest)
    if "target" in options and "decoder" not in options:
        options["decoder"] = "heads"  # --target implies the NumPy decoder, which chooses the person
    accepted = option_names(args.model)
    for option, flag in flags.items():
        if option not in accepted:
            owners = sorted({getattr(MODELS[m].options, "applies_to", m) for m in models_with_option(option)})
            raise ValueError(f"{flag} does not apply to --model {args.model} (it applies to {' and '.join(owners)})")
    options.update(fixed)
    # enable_smoothing is a shared setting of the commands; pass it only to models that have it.
    if "enable_smoothing" in options and "enable_smoothing" not in accepted:
        del options["enable_smoothing"]
    return options
