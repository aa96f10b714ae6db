"""Network inputs that need no pipeline: windows of the shared stills, scaled to a graph's range.

Used by tests/test_networks_parity.py and scripts/make_network_fixtures.py to feed the BlazePose
and PoseNet graphs inputs that both sides rebuild bit for bit: a strided window of a still
(integer slicing of the Pillow-decoded image, see transforms.load_rgb) at the graph's input
size, mapped to the value range the reference feeds it (detector and PoseNet [-1, 1], landmark
networks [0, 1]) with one float32 operation per step. The windows are placed on the person, so
the networks see a realistic input.

Do not change a case without regenerating the fixture (``python scripts/make_network_fixtures.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transforms import load_rgb


@dataclass(frozen=True)
class NetworkCase:
    """``graph`` on a ``height`` x ``width`` window of ``still`` from (``top``, ``left``), every
    ``stride``-th pixel."""

    graph: str
    still: str
    top: int
    left: int
    stride: int
    height: int
    width: int

    @property
    def key(self) -> str:
        return f"{self.graph}/{self.still}@{self.top},{self.left}/{self.stride}/{self.height}x{self.width}"


def _cases() -> list[NetworkCase]:
    cases = []
    # (still, top, left, stride) per input size; each window lies inside the image, on the person.
    detector = [("astronaut.png", 32, 32, 2), ("grace_hopper.jpg", 50, 32, 2), ("tfjs_pose.jpg", 219, 281, 2)]
    landmark = [("astronaut.png", 0, 0, 2), ("grace_hopper.jpg", 40, 0, 2), ("tfjs_pose.jpg", 155, 249, 2)]
    cases += [NetworkCase("blazepose-detector", s, t, left, k, 224, 224) for s, t, left, k in detector]
    for graph in ("blazepose-lite", "blazepose-full", "blazepose-heavy"):
        cases += [NetworkCase(graph, s, t, left, k, 256, 256) for s, t, left, k in landmark]
    cases += [
        NetworkCase("posenet", "astronaut.png", 100, 50, 1, 257, 257),
        NetworkCase("posenet", "grace_hopper.jpg", 60, 80, 1, 257, 257),
        NetworkCase("posenet", "tfjs_pose.jpg", 153, 248, 2, 257, 257),
        NetworkCase("posenet", "astronaut.png", 0, 0, 1, 385, 385),  # the file's own export size
        NetworkCase("posenet", "tfjs_pose.jpg", 153, 200, 2, 257, 385),  # not square: free H and W
    ]
    return cases


CASES: list[NetworkCase] = _cases()

#: The value range each graph's reference preprocessing produces.
_RANGES = {"blazepose-detector": (-1.0, 1.0), "posenet": (-1.0, 1.0)}


def window(rgb: np.ndarray, case: NetworkCase) -> np.ndarray:
    """The case's HxWx3 uint8 window of the still."""
    k = case.stride
    out = rgb[case.top : case.top + case.height * k : k, case.left : case.left + case.width * k : k]
    if out.shape != (case.height, case.width, 3):
        raise ValueError(f"{case.key}: window {out.shape} does not fit in the image {rgb.shape}")
    return np.ascontiguousarray(out)


def network_input(case: NetworkCase, stills_dir: Path) -> np.ndarray:
    """The [1, H, W, 3] float32 input of the case: u8 / 127.5 - 1 ([-1, 1]) or u8 / 255 ([0, 1])."""
    u8 = window(load_rgb(stills_dir / case.still), case).astype(np.float32)
    if _RANGES.get(case.graph) == (-1.0, 1.0):
        x = u8 / np.float32(127.5) - np.float32(1.0)
    else:
        x = u8 / np.float32(255.0)
    return np.ascontiguousarray(x[None], dtype=np.float32)


def array_sha256(x: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()


#: The reference clips the detector's score logits to +-100 before its sigmoid
#: (``scoreClippingThresh`` in pose-detection/src/blazepose_tfjs/constants.ts); beyond that the
#: raw logits (down to about -6e5) carry no information, so they are compared clipped.
DETECTOR_SCORE_CLIP = 100.0


def output_views(graph: str, names: list[str] | tuple[str, ...], outputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The outputs as they are compared: by name; the detector's split into clipped score
    logits (``person:score``) and box/keypoint coordinates (``person:coords``)."""
    views = dict(zip(names, outputs, strict=True))
    if graph == "blazepose-detector":
        person = views.pop("person")
        views["person:score"] = np.clip(person[..., 0], -DETECTOR_SCORE_CLIP, DETECTOR_SCORE_CLIP)
        views["person:coords"] = person[..., 1:]
    return views
