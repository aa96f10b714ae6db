"""The single-pose detector (SinglePose Lightning and Thunder), after
``pose-detection/src/movenet/detector.ts`` (``estimateSinglePose``).

Per frame: crop the image around the person found in the previous frame, run the network on
the crop, map keypoints back to the image, smooth them over time, and derive the next crop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from movenet.calculators.filters import KEYPOINT_FILTER_CONFIG, KeypointsOneEuroFilter, timestamp_ms_to_us
from movenet.calculators.timestamps import check_timestamp_ms
from movenet.families.base import DetectorLifecycle
from movenet.families.concurrency import exclusive
from movenet.families.movenet.constants import DEFAULT_MIN_POSE_SCORE
from movenet.families.movenet.crop_region import (
    CropRegion,
    CropRegionFilter,
    crop_to_image,
    determine_next_crop_region,
    init_crop_region,
)
from movenet.families.movenet.decode import Target, check_target, decode, decode_single_pose
from movenet.families.movenet.heads import Heads, head_output_indices, heads_from_outputs
from movenet.families.movenet.poses import make_pose, pose_score
from movenet.io.images import ImageSource, load_image
from movenet.ops.crop_and_resize import crop_and_resize
from movenet.runtime import Backend
from movenet.types import NUM_KEYPOINTS, Pose


class SinglePoseDetector(DetectorLifecycle):
    """MoveNet SinglePose (Lightning or Thunder) with the reference's crop loop and smoothing.

    Use `estimate_poses(image, timestamp_ms)` once per frame; pass increasing timestamps for a
    video so the keypoints are smoothed. `reset()` forgets the previous frames.

    decoder: "graph" (default) uses the network's own post-processing; "heads" decodes the four
        head outputs with :mod:`movenet.families.movenet.decode` (same keypoints; `network` must then be the heads
        variant, :func:`movenet.families.movenet.heads.load_heads_network`).
    target: which person to follow (decoder="heads" only): "center" (the graph's choice),
        "largest", or an (x, y) point in image pixels. It picks the person when there is no
        crop yet (first frame, after `reset()` or a lost pose). For targets other than "center"
        that first crop is the whole image (padded to a square), not the centre square, so that
        everybody in the frame can be chosen; on the next frames the crop follows that person
        (as in the reference) and the centre heatmap is weighted towards the person's centre in
        the previous frame instead of the crop centre, so a stronger neighbour pulled into the
        crop does not take over. A new target takes effect at the next acquisition (`reset()`).
    heads_network: the heads variant (or a function loading it), used by `heads()` when
        decoder="graph".
    """

    def __init__(self, network: Backend, input_size: int, *, model: str = "lightning",
                 enable_smoothing: bool = True, min_pose_score: float | None = None,
                 decoder: str = "graph", target: Target = "center",
                 heads_network: Backend | Callable[[], Backend] | None = None) -> None:
        if min_pose_score is not None and not 0.0 <= min_pose_score <= 1.0:
            raise ValueError(f"min_pose_score should be between 0.0 and 1.0, got {min_pose_score}")
        if decoder not in ("graph", "heads"):
            raise ValueError(f"decoder must be 'graph' or 'heads', got {decoder!r}")
        self.decoder = decoder
        self._head_indices: list[int] | None = None
        if decoder == "heads":
            self._head_indices = head_output_indices(network.output_names)
            if self._head_indices is None:
                raise ValueError("decoder='heads' needs the network with the head outputs "
                                 "(movenet.families.movenet.heads.load_heads_network)")
        self._heads_network = heads_network
        self.target = target  # validated by the setter
        self.model = model
        self.network = network
        self.input_size = input_size
        self.enable_smoothing = enable_smoothing
        # The reference treats any falsy value as the default; we honour an explicit 0.
        self.min_pose_score = DEFAULT_MIN_POSE_SCORE if min_pose_score is None else min_pose_score
        self._input = np.zeros((1, input_size, input_size, 3), np.int32)  # reused every frame
        self._keypoint_filter = KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)
        self._crop_filter = CropRegionFilter()
        self._crop: CropRegion | None = None
        self._follow: tuple[float, float] | None = None  # the followed person's centre, image px

    @property
    def target(self) -> Target:
        """Who to pick when acquiring a person: "center", "largest" or an (x, y) image point."""
        return self._target

    @target.setter
    def target(self, value: Target) -> None:
        target = check_target(value)
        if target != "center" and self.decoder != "heads":
            raise ValueError(f"target={value!r} needs decoder='heads' (the graph always picks the centre)")
        self._target = target

    @property
    def crop_region(self) -> CropRegion | None:
        """The normalized crop the next frame will use (None: centre square of the next frame)."""
        return self._crop

    @exclusive
    def reset(self) -> None:
        """Forget all temporal state: crop region, keypoint and crop filters."""
        self._crop = None
        self._follow = None
        self._keypoint_filter.reset()
        self._crop_filter.reset()

    @exclusive
    def run_network(self, image: np.ndarray, crop: CropRegion, target: Target = "center") -> np.ndarray:
        """Crop-and-resize `image` (HxWx3 uint8) to the network input and run it: (17, 3) y, x, score
        in crop coordinates, decoded by the graph or (decoder="heads") by :mod:`movenet.families.movenet.decode`."""
        if self.decoder == "heads":
            return decode_single_pose(self.run_heads(image, crop), target)
        if target != "center":
            raise ValueError(f"target={target!r} needs decoder='heads'")
        crop_and_resize(image, crop, self.input_size, out=self._input[0])
        output = self.network.run(self._input)[0]
        if output.shape != (1, 1, NUM_KEYPOINTS, 3):
            raise RuntimeError(f"Unexpected output shape from model: {list(output.shape)}")
        return output.reshape(NUM_KEYPOINTS, 3)

    def _heads_backend(self) -> tuple[Backend, list[int]]:
        if self._head_indices is not None:
            return self.network, self._head_indices
        if self._heads_network is None:
            raise RuntimeError("this detector has no heads network (pass heads_network=, or use create_detector)")
        if callable(self._heads_network) and not hasattr(self._heads_network, "run"):
            self._heads_network = self._heads_network()
        network = self._heads_network
        indices = head_output_indices(network.output_names)  # type: ignore[union-attr]
        if indices is None:
            raise ValueError("heads_network has no head outputs (movenet.families.movenet.heads.load_heads_network)")
        return network, indices  # type: ignore[return-value]

    @exclusive
    def run_heads(self, image: np.ndarray, crop: CropRegion) -> Heads:
        """Run the network on the `crop` of `image` (HxWx3 uint8) and return its head outputs."""
        network, indices = self._heads_backend()
        crop_and_resize(image, crop, self.input_size, out=self._input[0])
        outputs = network.run(self._input)
        return heads_from_outputs(outputs, indices, crop, (image.shape[0], image.shape[1]), self.input_size)

    def _first_crop(self, height: int, width: int) -> CropRegion:
        # The reference starts from the centre square; other targets look at the whole image.
        return init_crop_region(self._target == "center", height, width)

    @exclusive
    def heads(self, image: ImageSource) -> Heads:
        """The head outputs for `image` on the crop the next `estimate_poses` call would use (the
        detector's state is not changed)."""
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        crop = self._crop if self._crop is not None else self._first_crop(height, width)
        return self.run_heads(rgb, crop)

    @exclusive
    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]:
        """Detect the pose in one frame: a list with zero or one Pose, keypoints in pixels.

        `image`: HxWx3 uint8 RGB array (or grey, RGBA, PIL image, path). `timestamp_ms`: the
        frame's time, needed for smoothing (a finite number or None; anything else raises,
        naming it). `flip_horizontal` mirrors the output x coordinates (an extension; the
        reference ignores it for MoveNet). ``estimate_poses(None)`` is the reference's reset
        call: it forgets the state and returns ``[]``.
        """
        self._check_open()
        timestamp_ms = check_timestamp_ms(timestamp_ms)
        if image is None:  # the reference's reset call (pose-detection/src/movenet/detector.ts)
            self.reset()
            return []
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        target: Target = "center"
        if self._crop is None:  # acquiring a person: the target decides who
            self._crop = self._first_crop(height, width)
            target = self._target
        elif self._follow is not None:
            target = self._follow
        crop = self._crop
        follow = None
        if self.decoder == "heads":
            decoded = decode(self.run_heads(rgb, crop), target)
            raw = decoded.keypoints
            if self._target != "center":
                grid = self.input_size // 4
                cy, cx = decoded.center_cell
                follow = ((crop.x_min + cx / grid * crop.width) * width,
                          (crop.y_min + cy / grid * crop.height) * height)
        else:
            raw = self.run_network(rgb, crop)
        scores = raw[:, 2].astype(np.float64)
        score = pose_score(scores)
        if score < self.min_pose_score:
            self.reset()
            return []
        yx = crop_to_image(raw[:, :2].astype(np.float64), crop)
        if self.enable_smoothing and timestamp_ms is not None:
            xy = self._keypoint_filter.apply(yx[:, ::-1], timestamp_ms_to_us(timestamp_ms))
            yx = np.ascontiguousarray(xy[:, ::-1])
        keypoints = np.column_stack([yx, scores])
        self._crop = self._crop_filter.apply(determine_next_crop_region(keypoints, height, width))
        self._follow = follow
        return [make_pose(yx, scores, height, width, score, flip_horizontal)]
