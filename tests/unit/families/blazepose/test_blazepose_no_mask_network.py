"""BlazePose without segmentation runs the landmark network converted without its mask decoder
(``families/blazepose/entry.py``); the poses must be exactly those of the whole network."""

from __future__ import annotations

import numpy as np
import pytest

from movenet.api import create_detector
from movenet.bench import pan_frames
from movenet.families.blazepose.entry import NO_SEGMENTATION_VARIANT, SEGMENTATION_OUTPUT
from movenet.io.images import example_image_path, load_image
from movenet.models.store import onnx_model_path

from conftest import get_network


def test_detector_without_mask_uses_the_pruned_network_and_finds_the_same_poses() -> None:
    get_network("blazepose-lite")  # skip without the weights
    get_network("blazepose-detector")
    plain = create_detector("blazepose-lite")
    masked = create_detector("blazepose-lite", enable_segmentation=True)
    assert SEGMENTATION_OUTPUT not in plain.landmark_network.output_names  # type: ignore[attr-defined]
    assert SEGMENTATION_OUTPUT in masked.landmark_network.output_names  # type: ignore[attr-defined]
    found = 0
    for k, frame in enumerate(pan_frames(load_image(example_image_path()), 12)):
        a, b = plain.estimate_poses(frame, k * 33.3), masked.estimate_poses(frame, k * 33.3)
        assert [p.to_dict() for p in a] == [p.to_dict() for p in b]  # bit-identical, smoothing on
        assert all(p.segmentation is None for p in a) and all(isinstance(p.segmentation, np.ndarray) for p in b)
        found += len(a)
    assert found >= 6


def test_drop_outputs_makes_a_separate_file_and_names_bad_outputs() -> None:
    get_network("blazepose-lite")
    whole = onnx_model_path("blazepose-lite")
    pruned = onnx_model_path("blazepose-lite", variant=NO_SEGMENTATION_VARIANT, drop_outputs=(SEGMENTATION_OUTPUT,))
    assert pruned != whole and pruned.stat().st_size < whole.stat().st_size
    with pytest.raises(ValueError, match="cannot drop nope"):
        onnx_model_path("blazepose-lite", variant="x", drop_outputs=("nope",))
