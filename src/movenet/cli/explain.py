"""`movenet explain IMAGE --out heads.png`: one picture of how the single-pose decoder decided.

The PNG shows, for the crop the network saw:

* left: the person-centre heatmap over the crop, its peaks (rings) and the chosen centre (cross);
* right: the keypoint regression vectors from the chosen centre (thin cyan lines to hollow
  rings), each keypoint's final position (filled dot, coloured by body side) and the skeleton;
* below: the 17 keypoint heatmaps as small multiples (each scaled to its own maximum), with the
  regressed position (cyan ring), the final position (white dot), the name and the score.

Pillow only (no matplotlib). Register it with :func:`add_explain_parser`. The BlazePose models
are drawn by :mod:`movenet.cli.explain_blazepose`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from movenet import api  # called as api.create_detector: one patch point for tests
from movenet.cli.common import model_names, parse_target, positive_int
from movenet.cli.explain_blazepose import cmd_explain_blazepose
from movenet.cli.heatmaps import COLOR_MAP
from movenet.cli.heatmaps import colorize as _colorize
from movenet.cli.heatmaps import font as _font
from movenet.draw import SIDE_COLORS
from movenet.families.movenet.decode import Decoded, center_candidates, decode
from movenet.families.movenet.heads import Heads
from movenet.families.movenet.singlepose import SinglePoseDetector
from movenet.io.images import load_image
from movenet.ops.crop_and_resize import crop_and_resize
from movenet.registry import canonical_model_name, get_entry, option_names
from movenet.types import KEYPOINT_NAMES, KEYPOINTS_BY_SIDE, NUM_KEYPOINTS, SKELETON_EDGES

__all__ = ["add_explain_parser", "cmd_explain", "render_explanation"]

RGB = tuple[int, int, int]

#: Layout, in output pixels.
BIG = 400  # side of the two large panels
SMALL = 128  # side of each keypoint heatmap
COLUMNS = 6
GAP = 8
TITLE_H = 30
LABEL_H = 18
MIN_SCORE = 0.3  # keypoints below it are drawn hollow and left out of the skeleton

_BACKGROUND: RGB = (24, 24, 28)
_TEXT: RGB = (235, 235, 235)
_DIM_TEXT: RGB = (170, 170, 170)
_VECTOR: RGB = (0, 220, 255)
_CENTER: RGB = (255, 255, 255)
_SIDE_OF = {i: side for side, idx in KEYPOINTS_BY_SIDE.items() for i in idx}

def _to_panel(y: float, x: float, grid: int, side: int) -> tuple[float, float]:
    """Grid position (cell i at crop position i / G, as in the decoder) to panel pixels (x, y)."""
    scale = side / grid
    return x * scale, y * scale


def _ring(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, colour: RGB, width: int = 2) -> None:
    draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=width)


def _cross(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, colour: RGB, width: int = 2) -> None:
    draw.line((x - r, y, x + r, y), fill=colour, width=width)
    draw.line((x, y - r, x, y + r), fill=colour, width=width)


def render_explanation(crop_rgb: np.ndarray, heads: Heads, decoded: Decoded, *, title: str = "") -> Image.Image:
    """The explanation picture for one crop (`crop_rgb`: the network input, S x S x 3 uint8)."""
    grid = heads.grid_size[0]
    rows = -(-NUM_KEYPOINTS // COLUMNS)
    width = COLUMNS * SMALL + (COLUMNS + 1) * GAP
    big = (width - 3 * GAP) // 2
    height = TITLE_H + LABEL_H + big + GAP + rows * (SMALL + LABEL_H + GAP) + GAP
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font, small_font = _font(15), _font(12)
    draw.text((GAP, 7), title, fill=_TEXT, font=font)

    crop_big = np.asarray(Image.fromarray(crop_rgb).resize((big, big), Image.Resampling.BILINEAR))
    kps = decoded.keypoints
    cy, cx = decoded.center_cell

    # Panel 1: the centre heatmap, its peaks and the chosen centre.
    x0, y0 = GAP, TITLE_H + LABEL_H
    canvas.paste(_colorize(heads.center[..., 0], crop_big, big), (x0, y0))
    draw.text((x0, TITLE_H), f"1. person centre (max {float(heads.center.max()):.2f}), chosen cell ({cy}, {cx})",
              fill=_DIM_TEXT, font=small_font)
    for py, px in center_candidates(heads.center):
        u, v = _to_panel(py, px, grid, big)
        _ring(draw, x0 + u, y0 + v, 7, (160, 160, 160), 1)
    u, v = _to_panel(cy, cx, grid, big)
    _cross(draw, x0 + u, y0 + v, 11, _CENTER, 3)

    # Panel 2: regression vectors from the centre, final keypoints and skeleton.
    x1 = x0 + big + GAP
    canvas.paste(Image.fromarray(crop_big), (x1, y0))
    draw.text((x1, TITLE_H), "2-4. regression from the centre (cyan), final keypoints", fill=_DIM_TEXT,
              font=small_font)
    cu, cv = _to_panel(cy, cx, grid, big)
    for k in range(NUM_KEYPOINTS):
        ru, rv = _to_panel(float(decoded.regressed[k, 0]), float(decoded.regressed[k, 1]), grid, big)
        draw.line((x1 + cu, y0 + cv, x1 + ru, y0 + rv), fill=_VECTOR, width=1)
        _ring(draw, x1 + ru, y0 + rv, 4, _VECTOR, 1)
    final = [(x1 + float(kps[k, 1]) * big, y0 + float(kps[k, 0]) * big) for k in range(NUM_KEYPOINTS)]
    for a, b in SKELETON_EDGES:
        if kps[a, 2] >= MIN_SCORE and kps[b, 2] >= MIN_SCORE:
            draw.line((final[a], final[b]), fill=(255, 255, 255), width=2)
    for k, (u, v) in enumerate(final):
        colour = SIDE_COLORS[_SIDE_OF.get(k, "middle")]
        if kps[k, 2] >= MIN_SCORE:
            draw.ellipse((u - 5, v - 5, u + 5, v + 5), fill=colour, outline=(255, 255, 255), width=1)
        else:
            _ring(draw, u, v, 5, colour, 2)
    _cross(draw, x1 + cu, y0 + cv, 8, _CENTER, 2)

    # Small multiples: the 17 keypoint heatmaps.
    crop_small = np.asarray(Image.fromarray(crop_rgb).resize((SMALL, SMALL), Image.Resampling.BILINEAR))
    top = y0 + big + GAP
    for k in range(NUM_KEYPOINTS):
        r, c = divmod(k, COLUMNS)
        px = GAP + c * (SMALL + GAP)
        py = top + r * (SMALL + LABEL_H + GAP)
        score = float(kps[k, 2])
        draw.text((px, py), f"{KEYPOINT_NAMES[k]} {score:.2f}", fill=_TEXT if score >= MIN_SCORE else _DIM_TEXT,
                  font=small_font)
        heat = heads.heatmaps[..., k]
        canvas.paste(_colorize(heat / max(float(heat.max()), 1e-6), crop_small, SMALL), (px, py + LABEL_H))
        ru, rv = _to_panel(float(decoded.regressed[k, 0]), float(decoded.regressed[k, 1]), grid, SMALL)
        _ring(draw, px + ru, py + LABEL_H + rv, 6, _VECTOR, 1)
        fu, fv = float(kps[k, 1]) * SMALL, float(kps[k, 0]) * SMALL
        _ring(draw, px + fu, py + LABEL_H + fv, 2, (255, 255, 255), 1)
    # The 18th slot: a legend.
    k = NUM_KEYPOINTS
    r, c = divmod(k, COLUMNS)
    px = GAP + c * (SMALL + GAP)
    py = top + r * (SMALL + LABEL_H + GAP)
    bar = np.repeat(COLOR_MAP[None, ::2], 10, axis=0)
    canvas.paste(Image.fromarray(bar).resize((SMALL, 10)), (px, py + LABEL_H))
    draw.text((px, py + LABEL_H + 12), "0   heat (sigmoid)   1", fill=_DIM_TEXT, font=small_font)
    legend = [("maps scaled to max", _DIM_TEXT), ("cyan ring: regressed", _VECTOR),
              ("white dot: final", (255, 255, 255)), ("hollow: score < 0.3", _DIM_TEXT)]
    for i, (text, colour) in enumerate(legend):
        draw.text((px, py + LABEL_H + 34 + 16 * i), text, fill=colour, font=small_font)
    return canvas


def _movenet_models() -> list[str]:
    return model_names(lambda name: "decoder" in option_names(name))


def _explained_models() -> list[str]:
    return _movenet_models() + model_names(lambda name: get_entry(name).family == "blazepose")


def cmd_explain(args: argparse.Namespace) -> int:
    supported = _explained_models()
    if canonical_model_name(args.model) not in supported:  # a one-line error, not argparse's usage text
        raise ValueError(f"explain draws the MoveNet single-pose decoder or BlazePose; --model must be one of "
                         f"{', '.join(supported)}, not {args.model}")
    if get_entry(args.model).family == "blazepose":
        return cmd_explain_blazepose(args)
    rgb = load_image(args.image)
    detector = api.create_detector(args.model, model_dir=args.model_dir, threads=args.threads, decoder="heads",
                               target=args.target)
    assert isinstance(detector, SinglePoseDetector)
    heads = detector.heads(rgb)
    decoded = decode(heads, args.target)
    crop = crop_and_resize(rgb, heads.crop, heads.input_size).astype(np.uint8)
    target = args.target if isinstance(args.target, str) else f"({args.target[0]:g}, {args.target[1]:g})"
    title = f"MoveNet {args.model} decoder, target {target}: {heads.input_size}px crop, {heads.grid_size[0]}x" \
            f"{heads.grid_size[1]} heads"
    picture = render_explanation(crop, heads, decoded, title=title)
    picture.save(args.out, format="PNG")
    print(f"movenet: wrote {args.out}", file=sys.stderr)
    return 0


def add_explain_parser(subparsers: Any) -> argparse.ArgumentParser:  # noqa: ANN401 - argparse's private type
    """Register `movenet explain` on the `subparsers` of the movenet parser."""
    p = subparsers.add_parser("explain", help="draw the decoder's heads for one image (heatmaps, regression)")
    p.add_argument("image", metavar="IMAGE", help="the image file")
    p.add_argument("--out", default="heads.png", metavar="PNG", help="the picture to write (default heads.png)")
    p.add_argument("--model", default="lightning", metavar="MODEL",
                   help=f"one of {', '.join(_explained_models())} (the MoveNet single-pose and BlazePose models)")
    p.add_argument("--target", type=parse_target, default="center", metavar="center|largest|X,Y",
                   help="who to decode: the person nearest the centre (default), the largest, or the one "
                        "nearest the pixel X,Y (MoveNet only)")
    p.add_argument("--model-dir", help="folder with the TF.js model files")
    p.add_argument("--threads", type=positive_int, default=None, help="inference threads (default: all cores)")
    p.set_defaults(func=cmd_explain)
    return p
