"""Calibration inputs for MoveNet's int8 files (:mod:`movenet.models.quantize` is pure and
takes them from here): network inputs made as the detectors make them, from variations of the
bundled example image only, so no dataset is needed and the file is reproducible (seeded)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.crop_region import CropRegion, init_crop_region
from movenet.families.movenet.multipose import MultiPoseDetector
from movenet.io.images import example_image_path, load_image
from movenet.models.quantize import Calibration
from movenet.ops.crop_and_resize import crop_and_resize

__all__ = ["CALIBRATION_SAMPLES", "SINGLE_POSE_QUANTIZED_HEADS", "calibration", "calibration_inputs"]

#: Output heads of the single-pose models whose 1x1 convolutions are quantised (names of their
#: outputs in the TF.js graph), see :func:`movenet.models.quantize.float_convolutions`.
SINGLE_POSE_QUANTIZED_HEADS = ("kpt_heatmap", "kpt_regress")
#: Number of calibration inputs generated from the example image.
CALIBRATION_SAMPLES = 48


def _variations(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`image` mirrored half the time, and its brightness and contrast changed a little."""
    out = image[:, ::-1] if rng.random() < 0.5 else image
    gain = rng.uniform(0.6, 1.3)
    bias = rng.uniform(-25.0, 25.0)
    return np.clip(out.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)


def _shrunk_on_canvas(image: np.ndarray, scale: float, rng: np.random.Generator,
                      canvas: tuple[int, int] | None = None) -> np.ndarray:
    """`image` resized by `scale` and pasted at a random place on a black canvas (small people)."""
    h, w = image.shape[:2]
    ch, cw = canvas or (h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray(image).resize((sw, sh), Image.Resampling.BILINEAR))
    out = np.zeros((ch, cw, 3), dtype=np.uint8)
    y = int(rng.integers(0, max(ch - sh, 0) + 1))
    x = int(rng.integers(0, max(cw - sw, 0) + 1))
    out[y:y + sh, x:x + sw] = small[:ch - y, :cw - x]
    return out


def calibration_inputs(model: str, count: int = CALIBRATION_SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """`count` int32 network inputs for `model`, made as the detector makes them, from variations of
    the bundled example image (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    base = load_image(example_image_path())
    h, w = base.shape[:2]
    inputs: list[np.ndarray] = []
    if model == "multipose":
        for k in range(count):
            image = _variations(base, rng)
            kind = k % 3
            if kind == 1:  # a crop of another aspect ratio: other input shapes
                ch = int(h * rng.uniform(0.5, 1.0))
                cw = int(w * rng.uniform(0.5, 1.0))
                y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
                image = image[y:y + ch, x:x + cw]
            elif kind == 2:  # the person small in a wider or taller frame
                canvas = (h, int(w * rng.uniform(1.0, 2.0))) if rng.random() < 0.5 else (int(h * rng.uniform(1, 2)), w)
                image = _shrunk_on_canvas(image, rng.uniform(0.25, 0.8), rng, canvas)
            inputs.append(MultiPoseDetector.preprocess_image(np.ascontiguousarray(image)))
        return inputs
    size = INPUT_SIZES[model]
    for k in range(count):
        image = _variations(base, rng)
        if k == 0:
            region = init_crop_region(True, h, w)
        elif k % 4 == 3:  # the person small in the frame, as on the first frames of a video
            image = _shrunk_on_canvas(image, rng.uniform(0.3, 0.8), rng)
            region = init_crop_region(True, h, w)
        else:  # crops around the body at several scales, some running past the image edge
            side = rng.uniform(0.45, 1.3)
            cy, cx = rng.uniform(0.3, 0.75), rng.uniform(0.3, 0.7)
            region = CropRegion(cy - side / 2, cx - side / 2, cy + side / 2, cx + side / 2)
        inputs.append(crop_and_resize(image, region, size)[None])
    return inputs


def calibration(model: str, samples: int = CALIBRATION_SAMPLES) -> Calibration:
    """What :mod:`movenet.models.quantize` needs to make `model`'s int8 file."""
    heads = () if model == "multipose" else SINGLE_POSE_QUANTIZED_HEADS
    return Calibration(inputs=lambda: calibration_inputs(model, samples), samples=samples, quantized_heads=heads)
