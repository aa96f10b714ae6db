"""PoseNet preprocessing: letterbox the whole image into the network input, scale to [-1, 1].

Follows ``pose-detection/src/posenet/detector.ts`` (``convertImageToTensor`` with
``keepAspectRatio: true, borderMode: 'replicate'``, then ``shiftImageValue(.., [-1, 1])``;
spec sections 3 and 13), with the shared calculator of movenet.calculators.image_to_tensor:
the TF.js ``Transform`` kernel, bilinear, no half-pixel term, fill mode ``nearest`` (the
border replicates the edge pixels).
"""

from __future__ import annotations

import numpy as np

from movenet.calculators.image_to_tensor import convert_image_to_tensor
from movenet.calculators.rects import Padding

__all__ = ["Padding", "letterbox"]

#: MobileNetV1 input range (ResNet50, not shipped, would subtract the ImageNet mean instead).
VALUE_RANGE = (-1.0, 1.0)


def letterbox(image: np.ndarray, resolution: tuple[int, int]) -> tuple[np.ndarray, Padding]:
    """The network input for `image` (HxWx3 uint8 RGB) at `resolution` (width, height):
    float32 [1, h, w, 3] in [-1, 1], and the letterbox padding (fractions of the input)."""
    converted = convert_image_to_tensor(image, resolution, keep_aspect_ratio=True, border_mode="replicate",
                                        value_range=VALUE_RANGE)
    return converted.tensor, converted.padding
