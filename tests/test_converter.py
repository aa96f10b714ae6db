"""The converted networks against the TF.js reference model's raw output on the same inputs.

The fixtures hold the exact int32 network input the oracle fed (stored as uint8) and the raw
output of the TF.js graph (wasm backend), see tests/fixtures/README.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES, get_network


@pytest.mark.parametrize("model", ["lightning", "thunder", "multipose"])
def test_converted_network_matches_tfjs_raw_output(model: str) -> None:
    raw = np.load(FIXTURES / "oracle" / f"{model}_raw.npz")
    network = get_network(model)
    n = len(raw["cases"])
    assert n >= 3
    for i in range(n):
        x = raw[f"input_{i}"].astype(np.int32)
        expected = raw[f"output_{i}"]
        got = network.run(x)[0]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0, err_msg=f"{model} {raw['cases'][i]}")


def test_converter_rejects_unknown_ops() -> None:
    from movenet.errors import ConversionError
    from movenet.models.tfjs import TfjsGraph, TfjsNode
    from movenet.models.to_onnx import convert_graph

    graph = TfjsGraph(
        nodes=[TfjsNode("input", "Placeholder", [], {"dtype": "DT_FLOAT", "shape": [1, 4]}),
               TfjsNode("y", "FancyNewOp", ["input"], {})],
        weights={}, input_names=["input"], output_names=["y"], output_shapes=[[1, 4]], metadata={},
    )
    with pytest.raises(ConversionError, match="FancyNewOp"):
        convert_graph(graph)
