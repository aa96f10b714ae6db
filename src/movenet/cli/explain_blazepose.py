"""`movenet explain IMAGE --model blazepose-lite|full|heavy`: one picture of how BlazePose decided.

The PNG shows:

* left: the image with the person detector's rotated ROI (the crop the landmark network saw,
  yellow, with its top edge marked) and the final 33 keypoints and skeleton;
* right: that 256x256 crop with the maximum of the 33 keypoint heatmaps (``activation_heatmap``
  channels 0..32) as a translucent overlay;
* a title line with the model and the pose score.

Pillow only (no matplotlib), like :mod:`movenet.cli.explain`, which dispatches here.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
from PIL import Image, ImageDraw

from movenet import api  # called as api.create_detector: one patch point for tests
from movenet.calculators.rects import Rect
from movenet.cli.heatmaps import colorize as _colorize
from movenet.cli.heatmaps import font as _font
from movenet.draw import draw_poses
from movenet.families.blazepose import constants as C
from movenet.families.blazepose.detector import BlazePoseDetector, landmark_output_names
from movenet.families.blazepose.landmarks import landmark_input
from movenet.io.images import load_image

__all__ = ["cmd_explain_blazepose", "render_blazepose_explanation", "roi_corners"]

RGB = tuple[int, int, int]

#: Layout, in output pixels.
PANEL = 512  # side of each panel
GAP = 8
TITLE_H = 30
LABEL_H = 18

_BACKGROUND: RGB = (24, 24, 28)
_TEXT: RGB = (235, 235, 235)
_DIM_TEXT: RGB = (170, 170, 170)
_ROI: RGB = (255, 210, 0)


def roi_corners(roi: Rect, image_width: int, image_height: int) -> list[tuple[float, float]]:
    """The 4 corners (pixels: top-left, top-right, bottom-right, bottom-left of the crop) of a
    normalized rotated ROI; rotation is clockwise on screen (y down)."""
    cx, cy = roi.x_center * image_width, roi.y_center * image_height
    hw, hh = roi.width * image_width / 2, roi.height * image_height / 2
    cos, sin = math.cos(roi.rotation), math.sin(roi.rotation)
    return [(cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
            for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))]


def _fit(image: Image.Image, side: int) -> tuple[Image.Image, float, tuple[int, int]]:
    """`image` scaled to fit a side x side panel: the scaled image, the scale, its offset."""
    scale = side / max(image.width, image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR), scale, ((side - size[0]) // 2, (side - size[1]) // 2)


def render_blazepose_explanation(drawn_rgb: np.ndarray, roi: Rect, crop_rgb: np.ndarray, heatmap: np.ndarray, *,
                                 title: str = "") -> Image.Image:
    """The picture: `drawn_rgb` (the image with the poses drawn, H x W x 3 uint8) with `roi`
    outlined, and `crop_rgb` (the network input, S x S x 3 uint8) under `heatmap` (G x G in
    [0, 1], the maximum over the keypoint channels)."""
    width = 2 * PANEL + 3 * GAP
    height = TITLE_H + LABEL_H + PANEL + GAP
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font, small_font = _font(15), _font(12)
    draw.text((GAP, 7), title, fill=_TEXT, font=font)

    # Left: the image, the ROI and the final keypoints.
    x0, y0 = GAP, TITLE_H + LABEL_H
    img_h, img_w = drawn_rgb.shape[:2]
    scaled, scale, (ox, oy) = _fit(Image.fromarray(drawn_rgb), PANEL)
    canvas.paste(scaled, (x0 + ox, y0 + oy))
    corners = [(x0 + ox + x * scale, y0 + oy + y * scale) for x, y in roi_corners(roi, img_w, img_h)]
    draw.line([*corners, corners[0]], fill=_ROI, width=2)
    draw.line(corners[:2], fill=_ROI, width=5)  # the crop's top edge
    draw.text((x0, TITLE_H), f"image, detector ROI (yellow, thick = top; rotation "
              f"{math.degrees(roi.rotation):.0f} deg), 33 keypoints", fill=_DIM_TEXT, font=small_font)

    # Right: the crop the landmark network saw, under the heatmaps' maximum.
    x1 = x0 + PANEL + GAP
    crop_big = np.asarray(Image.fromarray(crop_rgb).resize((PANEL, PANEL), Image.Resampling.BILINEAR))
    canvas.paste(_colorize(np.clip(heatmap, 0.0, 1.0), crop_big, PANEL), (x1, y0))
    draw.text((x1, TITLE_H), f"{crop_rgb.shape[0]}px landmark crop, max of {C.NUM_KEYPOINTS} keypoint heatmaps "
              f"({heatmap.shape[0]}x{heatmap.shape[1]}, peak {float(heatmap.max()):.2f})", fill=_DIM_TEXT,
              font=small_font)
    return canvas


def cmd_explain_blazepose(args: argparse.Namespace) -> int:
    """`movenet explain` for a BlazePose model; ValueError (exit 2) when nobody is found."""
    rgb = load_image(args.image)
    detector = api.create_detector(args.model, enable_smoothing=False, model_dir=args.model_dir,
                                   threads=args.threads)
    assert isinstance(detector, BlazePoseDetector)
    with detector:
        roi = detector.detect_roi(rgb)
        if roi is None:
            raise ValueError(f"explain: the BlazePose person detector found nobody in {args.image}")
        network = detector.landmark_network
        assert network is not None
        prepared = landmark_input(rgb, roi)
        outputs = dict(zip(landmark_output_names(list(network.output_names)), network.run(prepared.tensor),
                           strict=True))
        poses = detector.estimate_poses(rgb)  # a fresh detector: this ROI, then the landmark pass
    if not poses:
        pose_flag = float(np.asarray(outputs["output_poseflag"]).reshape(-1)[0])
        raise ValueError(f"explain: the BlazePose landmark model found no pose in {args.image} "
                         f"(pose flag {pose_flag:.2f} < {C.POSE_PRESENCE_SCORE})")
    heat = np.asarray(outputs["activation_heatmap"], dtype=np.float32).reshape(
        (-1, *np.shape(outputs["activation_heatmap"])[-3:]))[0]
    heat_max = heat[..., : C.NUM_KEYPOINTS].max(axis=2)
    crop = np.clip(prepared.tensor[0] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    title = f"BlazePose {detector.model}: pose score {poses[0].score:.2f}"
    picture = render_blazepose_explanation(draw_poses(rgb, poses), roi, crop, heat_max, title=title)
    picture.save(args.out, format="PNG")
    print(f"movenet: wrote {args.out}", file=sys.stderr)
    return 0
