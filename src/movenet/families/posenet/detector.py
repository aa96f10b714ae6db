"""The PoseNet detector: letterbox, network, single- or multi-person decoding, back to pixels.

Follows ``pose-detection/src/posenet/detector.ts`` (``PosenetDetector.estimatePoses`` with the
GPU renderer off; spec sections 12-17).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from movenet.calculators.rects import Padding
from movenet.calculators.timestamps import check_timestamp_ms
from movenet.families.posenet.decode_multi import decode_multiple_poses
from movenet.families.posenet.decode_single import decode_single_pose
from movenet.families.posenet.letterbox import letterbox
from movenet.families.posenet.options import PoseNetOptions
from movenet.families.posenet.outputs import PoseNetMaps, output_indices
from movenet.families.posenet.pose import InputPose, to_image_pose
from movenet.io.images import ImageSource, load_image
from movenet.runtime import Backend
from movenet.types import Pose


class PoseNetDetector:
    """PoseNet (MobileNetV1 0.75, output stride 16) on a loaded network, as TF.js runs it.

    ``PoseNetDetector(network, options)`` or ``PoseNetDetector(network, max_poses=5, ...)``
    (keywords are :class:`PoseNetOptions` fields; not both). `network` is a runtime Backend
    whose outputs include ``offset``, ``heatmap``, ``displacement_fwd`` and
    ``displacement_bwd`` (picked by name) and whose input height and width are free.

    `estimate_poses(image)` returns 17-keypoint COCO poses in image pixels (``box`` and ``id``
    None): exactly one with ``max_poses=1`` (single-person decoding, even on an empty image),
    else up to ``max_poses`` in the order their root keypoints were found (not sorted by
    score, no pose-score threshold: filter on ``pose.score`` yourself).

    No temporal state: the reference PoseNet has no smoothing or tracking and ignores time, and
    so does this class, so every frame's answer equals the reference's for that image alone.
    ``timestamp_ms`` is accepted (and checked) only so that PoseNet fits the same calling code
    as the other models; ``reset()`` has nothing to forget.
    """

    model = "posenet"

    def __init__(self, network: Backend, options: PoseNetOptions | None = None, **config: Any) -> None:
        if options is not None and config:
            raise ValueError("give PoseNetDetector either options or keyword settings, not both")
        self.options = options if options is not None else PoseNetOptions(**config)
        self._indices = output_indices(network.output_names)
        self._network: Backend | None = network

    @property
    def network(self) -> Backend:
        if self._network is None:
            raise RuntimeError("this PoseNetDetector is closed")
        return self._network

    @property
    def resolution(self) -> tuple[int, int]:
        """(width, height) of the network input, after snapping to ``k * 16 + 1``."""
        return self.options.resolution

    def network_input(self, image: ImageSource) -> np.ndarray:
        """The network input for `image`: float32 [1, h, w, 3] in [-1, 1] (for benchmarks)."""
        return letterbox(load_image(image), self.options.resolution)[0]

    def run_network(self, image: np.ndarray) -> tuple[PoseNetMaps, Padding]:
        """Letterbox `image` (HxWx3 uint8 RGB), run the network: the four maps and the padding."""
        network = self.network
        net_input, padding = letterbox(image, self.options.resolution)
        try:
            outputs = network.run(net_input)
        except Exception as exc:  # e.g. a converted graph with a fixed input size
            width, height = self.options.resolution
            raise RuntimeError(f"the PoseNet network could not run on a {width}x{height} input "
                               f"(input_resolution={self.options.input_resolution!r}): {exc}") from exc
        return PoseNetMaps.from_outputs(outputs, self._indices), padding

    def decode(self, maps: PoseNetMaps) -> list[InputPose]:
        """Single- or multi-person decoding of `maps`, poses in network-input pixels."""
        opts = self.options
        if not opts.multi_person:
            return [decode_single_pose(maps.heatmap_scores, maps.offsets, opts.output_stride)]
        return decode_multiple_poses(maps.heatmap_scores, maps.offsets, maps.displacements_fwd,
                                     maps.displacements_bwd, opts.output_stride, opts.max_poses,
                                     opts.score_threshold, opts.nms_radius)

    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]:
        """The poses in one image (HxWx3 uint8 RGB array, grey, RGBA, PIL image or path).

        `timestamp_ms` is ignored (see the class docstring); `flip_horizontal` mirrors the
        output x as ``width - 1 - x``, as the reference does. `None` gives ``[]``.
        """
        check_timestamp_ms(timestamp_ms)  # checked like every detector's, then unused (no state)
        if image is None:
            return []
        rgb = load_image(image)
        maps, padding = self.run_network(rgb)
        size = (rgb.shape[1], rgb.shape[0])
        return [to_image_pose(p, size, self.options.resolution, padding, flip_horizontal) for p in self.decode(maps)]

    def reset(self) -> None:
        """Nothing to forget: PoseNet keeps no state between frames (as in the reference)."""

    def close(self) -> None:
        """Release the network; the detector cannot be used afterwards."""
        self._network = None

    def __enter__(self) -> PoseNetDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
