"""The four PoseNet output maps, picked by name, and the heatmap sigmoid.

Follows ``pose-detection/src/posenet/detector.ts`` (spec sections 13.4-13.5 and 14). The
reference takes the model outputs by position; the shipped file lists them in another order
(spec section 0), so we pick them by name as the spec recommends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from movenet.types import NUM_KEYPOINTS

#: Output names of the converted network, and the channel count each must have.
OUTPUT_CHANNELS: dict[str, int] = {
    "offset": 2 * NUM_KEYPOINTS,
    "heatmap": NUM_KEYPOINTS,
    "displacement_fwd": 2 * (NUM_KEYPOINTS - 1),
    "displacement_bwd": 2 * (NUM_KEYPOINTS - 1),
}


def output_indices(names: Sequence[str]) -> dict[str, int]:
    """Position of each PoseNet output in `names`: an exact name, else the one name containing
    it as a path component (the TF.js node names, e.g. ``MobilenetV1/heatmap_2/BiasAdd:0``)."""
    found: dict[str, int] = {}
    for wanted in OUTPUT_CHANNELS:
        exact = [i for i, n in enumerate(names) if n == wanted]
        pattern = re.compile(rf"{wanted}(_\d+)?")
        loose = [i for i, n in enumerate(names) if any(pattern.fullmatch(part) for part in n.split("/"))]
        hits = exact or loose
        if len(hits) != 1:
            raise ValueError(f"the network has no single output named {wanted!r} (outputs: {', '.join(names)}); "
                             f"a PoseNet network needs {', '.join(OUTPUT_CHANNELS)}")
        found[wanted] = hits[0]
    return found


def sigmoid_float32(logits: np.ndarray) -> np.ndarray:
    """``tf.sigmoid`` on float32 logits: 1 / (1 + exp(-x)) evaluated in float64, rounded once."""
    x = np.asarray(logits, dtype=np.float64)
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


@dataclass(frozen=True)
class PoseNetMaps:
    """The squeezed network outputs of one image, float32, on an h x w grid.

    heatmap_scores: [h, w, 17] sigmoid of the heatmap; offsets: [h, w, 34] (y of keypoint k in
    channel k, x in 17 + k, network-input pixels); displacements_fwd/bwd: [h, w, 32] (edge e:
    y in channel e, x in 16 + e).
    """

    heatmap_scores: np.ndarray
    offsets: np.ndarray
    displacements_fwd: np.ndarray
    displacements_bwd: np.ndarray

    @classmethod
    def from_outputs(cls, outputs: Sequence[np.ndarray], indices: dict[str, int]) -> PoseNetMaps:
        """From the network's raw outputs ([1, h, w, c] each) and :func:`output_indices`."""
        maps: dict[str, np.ndarray] = {}
        shape = None
        for name, channels in OUTPUT_CHANNELS.items():
            a = np.asarray(outputs[indices[name]], dtype=np.float32)
            if a.ndim == 4 and a.shape[0] == 1:
                a = a[0]
            if a.ndim != 3 or a.shape[2] != channels:
                raise RuntimeError(f"PoseNet output {name!r} has shape {list(a.shape)}, expected [1, h, w, {channels}]")
            if shape is not None and a.shape[:2] != shape:
                raise RuntimeError(f"PoseNet outputs disagree on the grid size: {list(a.shape[:2])} vs {list(shape)}")
            shape = a.shape[:2]
            maps[name] = a
        return cls(heatmap_scores=sigmoid_float32(maps["heatmap"]), offsets=maps["offset"],
                   displacements_fwd=maps["displacement_fwd"], displacements_bwd=maps["displacement_bwd"])
