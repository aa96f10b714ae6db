"""The registry, per-model options, the shared engine options, types and skeletons."""

from __future__ import annotations

import numpy as np
import pytest

import movenet
from movenet.api import EngineOptions, build_detector, create_detector, make_options, networks_for
from movenet.registry import MODEL_NAMES, canonical_model_name, get_entry, option_names
from movenet.skeletons import BLAZEPOSE_33, COCO_17
from movenet.types import Keypoint, Pose

from conftest import get_network


def test_names_and_aliases_come_from_the_registry() -> None:
    assert MODEL_NAMES == ("lightning", "thunder", "multipose", "blazepose-lite", "blazepose-full",
                           "blazepose-heavy", "posenet")
    assert canonical_model_name("SinglePose.Thunder") == "thunder"
    assert canonical_model_name("MULTIPOSE.LIGHTNING") == "multipose"
    assert canonical_model_name("BlazePose") == "blazepose-full"
    with pytest.raises(ValueError, match="Invalid architecture resnet50"):
        canonical_model_name("resnet50")
    assert get_entry("lightning").skeleton is COCO_17 and get_entry("multipose").graphs == ("multipose",)
    assert get_entry("blazepose-lite").skeleton is BLAZEPOSE_33
    assert get_entry("blazepose-heavy").graphs == ("blazepose-detector", "blazepose-heavy")
    assert get_entry("posenet").skeleton is COCO_17 and get_entry("posenet").graphs == ("posenet",)


@pytest.mark.parametrize(("model", "option"), [("lightning", "tracker"), ("thunder", "max_poses"),
                                               ("multipose", "decoder"), ("lightning", "multipose_max_dimension")])
def test_an_option_of_another_model_is_a_value_error_naming_it(model: str, option: str) -> None:
    assert option not in option_names(model)
    with pytest.raises(ValueError, match=f"option '{option}' does not apply to model '{model}'"):
        create_detector(model, **{option: None})  # raised before any network is loaded


def test_options_are_validated_frozen_dataclasses() -> None:
    options = make_options("multipose", {"tracker": "oks", "max_poses": 2})
    assert (options.tracker, options.max_poses, options.multipose_max_dimension) == ("keypoint", 2, 256)
    with pytest.raises(ValueError, match="max_poses"):
        make_options("multipose", {"max_poses": 0})
    with pytest.raises(ValueError, match="needs decoder='heads'"):
        make_options("lightning", {"target": "largest"})
    with pytest.raises(AttributeError):
        options.max_poses = 3  # type: ignore[misc]


def test_engine_options_are_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        EngineOptions(backend="tensorrt")
    with pytest.raises(ValueError, match="threads"):
        EngineOptions(threads=0)
    with pytest.raises(ValueError, match="spin_wait"):
        EngineOptions(spin_wait="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fp32 network only"):
        build_detector("lightning", networks_for(EngineOptions(precision="int8")), decoder="heads")


def test_detectors_close_and_work_as_context_managers() -> None:
    network = get_network("lightning")
    networks = networks_for(EngineOptions())
    networks.get("lightning", lambda engine: network)  # stand in the session's network
    image = np.zeros((64, 64, 3), np.uint8)
    with build_detector("lightning", networks) as detector:
        detector.estimate_poses(image)
    assert detector.closed and detector.network is None
    detector.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        detector.estimate_poses(image)
    assert networks.loaded() == ["lightning"]  # the shared network stays loaded for others


def test_pose_json_has_z_and_3d_keypoints_only_when_present() -> None:
    flat = Pose(keypoints=(Keypoint(1.0, 2.0, 0.5, "nose"),), score=0.5)
    assert flat.to_dict() == {"score": 0.5, "keypoints": [{"name": "nose", "x": 1.0, "y": 2.0, "score": 0.5}],
                              "box": None, "id": None}
    deep = Pose(keypoints=(Keypoint(1.0, 2.0, 0.5, "nose", z=-3.0),), score=0.5,
                keypoints_3d=(Keypoint(0.1, 0.2, 0.5, "nose", z=0.3),), skeleton=BLAZEPOSE_33)
    doc = deep.to_dict()
    assert doc["keypoints"] == [{"name": "nose", "x": 1.0, "y": 2.0, "score": 0.5, "z": -3.0}]
    assert doc["keypoints_3d"] == [{"name": "nose", "x": 0.1, "y": 0.2, "score": 0.5, "z": 0.3}]
    assert deep.keypoint("nose").z == -3.0


def test_skeletons_as_data() -> None:
    assert COCO_17.num_keypoints == 17 and len(COCO_17.edges) == 16 and len(COCO_17.oks_sigmas or ()) == 17
    assert movenet.KEYPOINT_NAMES == COCO_17.keypoint_names and movenet.SKELETON_EDGES == COCO_17.edges
    assert BLAZEPOSE_33.num_keypoints == 33 and len(BLAZEPOSE_33.edges) == 36
    assert BLAZEPOSE_33.index_of("left_heel") == 29 and BLAZEPOSE_33.side_of(29) == "left"
    assert sorted(BLAZEPOSE_33.left + BLAZEPOSE_33.right + BLAZEPOSE_33.middle) == list(range(33))
    with pytest.raises(KeyError, match="not a keypoint of the coco17 skeleton"):
        COCO_17.index_of("left_heel")
