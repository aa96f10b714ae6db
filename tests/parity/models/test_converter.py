"""The converted networks against the TF.js reference model's raw output on the same inputs.

The fixtures hold, per case, the sha256 of the exact network input the oracle fed and the raw
output of the TF.js graph (wasm backend), see tests/fixtures/README.md. The input is rebuilt
here with our own preprocessing, so this also checks the preprocessing bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIXTURES, SHARED_DATA, get_network
from transforms import load_rgb, rgb_sha256


def _network_input(model: str, image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if model == "multipose":
        from movenet.families.movenet.multipose import MultiPoseDetector

        return MultiPoseDetector.preprocess_image(image)
    from movenet.families.movenet.crop_region import init_crop_region
    from movenet.ops.crop_and_resize import crop_and_resize

    crop = init_crop_region(True, image.shape[0], image.shape[1])
    return crop_and_resize(image, crop, shape[1])[None]


@pytest.mark.parametrize("model", ["lightning", "thunder", "multipose"])
def test_converted_network_matches_tfjs_raw_output(model: str) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    raw = np.load(FIXTURES / "oracle" / f"{model}_raw.npz")
    network = get_network(model)
    assert len(raw["cases"]) >= 3
    for i, case in enumerate(raw["cases"]):
        image = load_rgb(SHARED_DATA / str(case).split("/", 1)[1])
        assert rgb_sha256(image) == raw["rgb_sha256"][i]
        x = _network_input(model, image, tuple(raw["input_shapes"][i]))
        assert x.dtype == np.int32 and list(x.shape) == list(raw["input_shapes"][i])
        assert rgb_sha256(x.astype(np.uint8)) == raw["input_sha256"][i], f"{model} {case}: preprocessing differs"
        expected = raw[f"output_{i}"]
        got = network.run(x)[0]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0, err_msg=f"{model} {case}")


def test_converter_rejects_unknown_ops() -> None:
    from movenet.errors import ConversionError
    from movenet.models.convert.tfjs import TfjsGraph, TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    graph = TfjsGraph(
        nodes=[TfjsNode("input", "Placeholder", [], {"dtype": "DT_FLOAT", "shape": [1, 4]}),
               TfjsNode("y", "FancyNewOp", ["input"], {})],
        weights={}, input_names=["input"], output_names=["y"], output_shapes=[[1, 4]], metadata={},
    )
    with pytest.raises(ConversionError, match="FancyNewOp"):
        convert_graph(graph)
