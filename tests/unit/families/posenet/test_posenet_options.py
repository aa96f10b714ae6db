"""PoseNet configuration: the reference's validation (pose-detection/src/posenet/detector_utils.ts,
load_utils.ts; spec 12.1-12.2), resolution snapping, and the one shipped variant."""

from __future__ import annotations

import pytest

from movenet.families.posenet.options import PoseNetOptions, snap_resolution


def test_defaults_are_the_reference_mobilenet_config() -> None:
    opts = PoseNetOptions()
    assert (opts.architecture, opts.output_stride, opts.multiplier, opts.quant_bytes) == ("MobileNetV1", 16, 0.75, 4)
    assert opts.resolution == (257, 257)
    assert opts.grid_size == (17, 17)
    assert (opts.max_poses, opts.score_threshold, opts.nms_radius) == (1, 0.5, 20.0)
    assert not opts.multi_person
    assert PoseNetOptions(max_poses=2).multi_person


@pytest.mark.parametrize(("side", "snapped"), [(257, 257), (385, 385), (513, 513), (514, 513), (300, 289),
                                               (200, 193), (16, 17), (17, 17), (15, 1), (1, 1)])
def test_resolution_snaps_down_to_k_stride_plus_one(side: int, snapped: int) -> None:
    # toValidInputResolution; spec 12.1: 300x200 -> 289x193, the upstream test's 514 -> 513
    assert snap_resolution(side, 16) == snapped


def test_resolution_width_height_pair() -> None:
    opts = PoseNetOptions(input_resolution=(300, 200))
    assert opts.resolution == (289, 193)
    assert opts.grid_size == (19, 13)
    assert PoseNetOptions(input_resolution=[514, 513]).resolution == (513, 513)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "257", True, (257,), (257, 0), (257, 257, 3), None])
def test_bad_resolution_is_a_clear_error(bad: object) -> None:
    with pytest.raises(ValueError, match="input_resolution"):
        PoseNetOptions(input_resolution=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"architecture": "MobileNetV2"}, "Invalid architecture MobileNetV2. Should be one of MobileNetV1,ResNet50"),
    ({"output_stride": 32}, "Invalid outputStride 32. Should be one of 8,16 for architecture MobileNetV1."),
    ({"architecture": "ResNet50", "output_stride": 8, "multiplier": 1.0},
     "Invalid outputStride 8. Should be one of 16 for architecture ResNet50."),
    ({"multiplier": 0.6}, "Invalid multiplier 0.6. Should be one of 0.5,0.75,1 for architecture MobileNetV1."),
    ({"quant_bytes": 3}, "Invalid quantBytes 3. Should be one of 1,2,4 for architecture MobileNetV1."),
])
def test_reference_validation_messages(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        PoseNetOptions(**kwargs)  # type: ignore[arg-type]
    assert str(err.value) == message


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"architecture": "ResNet50", "multiplier": 1.0}, "architecture ResNet50"),
    ({"output_stride": 8}, "output stride 8"),
    ({"multiplier": 1.0}, "multiplier 1"),
    ({"multiplier": 0.5}, "multiplier 0.5"),
    ({"quant_bytes": 2}, "2-byte quantised weights"),
    ({"quant_bytes": 1}, "1-byte quantised weights"),
])
def test_variants_the_reference_knows_but_we_do_not_ship(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError) as err:
        PoseNetOptions(**kwargs)  # type: ignore[arg-type]
    msg = str(err.value)
    assert named in msg
    assert "MobileNetV1 with multiplier 0.75, output stride 16 and float32 weights (quant_bytes=4)" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_poses": 0}, "Invalid maxPoses 0. Should be > 0."),
    ({"max_poses": -1}, "Invalid maxPoses -1. Should be > 0."),
    ({"max_poses": 2.0}, "Invalid maxPoses 2.0. Should be > 0."),
    ({"max_poses": 2, "score_threshold": 1.5}, "Invalid scoreThreshold 1.5. Should be in range [0.0, 1.0]"),
    ({"max_poses": 2, "score_threshold": -0.1}, "Invalid scoreThreshold -0.1. Should be in range [0.0, 1.0]"),
    ({"max_poses": 2, "nms_radius": 0}, "Invalid nmsRadius 0."),
    ({"max_poses": 2, "nms_radius": -3}, "Invalid nmsRadius -3."),
    # the reference skips these checks for max_poses == 1; a bad value is still a mistake
    ({"score_threshold": float("nan")}, "Invalid scoreThreshold nan. Should be in range [0.0, 1.0]"),
    ({"nms_radius": float("inf")}, "Invalid nmsRadius inf."),
])
def test_estimation_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        PoseNetOptions(**kwargs)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_edges_of_the_valid_ranges() -> None:
    assert PoseNetOptions(max_poses=3, score_threshold=0.0, nms_radius=1e-6).score_threshold == 0.0
    assert PoseNetOptions(max_poses=3, score_threshold=1.0).score_threshold == 1.0
    assert PoseNetOptions(score_threshold=1).score_threshold == 1


def test_options_are_frozen() -> None:
    opts = PoseNetOptions()
    with pytest.raises(AttributeError):
        opts.max_poses = 3  # type: ignore[misc]


def test_an_absurd_input_resolution_is_refused_naming_the_limit() -> None:
    from movenet.families.posenet.options import MAX_INPUT_SIDE, PoseNetOptions

    PoseNetOptions(input_resolution=MAX_INPUT_SIDE)
    for bad in (MAX_INPUT_SIDE + 1, 99999, (257, 10**9)):
        with pytest.raises(ValueError, match=f"at most {MAX_INPUT_SIDE}"):
            PoseNetOptions(input_resolution=bad)
