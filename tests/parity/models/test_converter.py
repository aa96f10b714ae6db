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


# -- the BlazePose and PoseNet graphs: operators, output names, free input size -------------------

NEW_GRAPHS = ["blazepose-detector", "blazepose-lite", "blazepose-full", "blazepose-heavy", "posenet"]


def _onnx_run(model, x: np.ndarray) -> list[np.ndarray]:  # noqa: ANN001 - onnx.ModelProto
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def _graph(nodes: list, weights: dict[str, np.ndarray], shape: list[int], output: str):  # noqa: ANN202
    from movenet.models.convert.tfjs import TfjsGraph, TfjsNode

    placeholder = TfjsNode("x", "Placeholder", [], {"dtype": "DT_FLOAT", "shape": shape})
    consts = [TfjsNode(name, "Const", [], {}) for name in weights]
    return TfjsGraph(nodes=[placeholder, *consts, *nodes], weights=weights, input_names=["x"],
                     output_names=[output], output_shapes=[[-1, -1, -1, -1]], metadata={})


def test_pad_depth_to_space_relu6_match_tensorflow_semantics() -> None:
    """Pad (zeros), DepthToSpace (NHWC, block 2) and Relu6 against their TensorFlow definitions
    written out in NumPy."""
    from movenet.models.convert.tfjs import TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    paddings = np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32)
    nodes = [
        TfjsNode("pad", "Pad", ["x", "paddings"], {}),
        TfjsNode("d2s", "DepthToSpace", ["pad"], {"block_size": 2, "data_format": "NHWC"}),
        TfjsNode("relu6", "Relu6", ["d2s"], {}),
    ]
    model = convert_graph(_graph(nodes, {"paddings": paddings}, [1, 3, 4, 8], "relu6"))
    x = np.random.default_rng(0).uniform(-4, 10, (1, 3, 4, 8)).astype(np.float32)
    (got,) = _onnx_run(model, x)

    padded = np.pad(x, paddings)  # zeros
    n, h, w, c = padded.shape
    # TF: output[b, y*2 + i, x*2 + j, k] = input[b, y, x, (i*2 + j) * (c/4) + k]
    d2s = padded.reshape(n, h, w, 2, 2, c // 4).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * 2, w * 2, c // 4)
    np.testing.assert_array_equal(got, np.minimum(np.maximum(d2s, 0), 6))


def test_zero_pad_before_valid_convolutions_becomes_their_padding() -> None:
    """Keras' ZeroPadding2D + strided VALID depthwise conv: folded into the conv's pads (no Pad
    left), same values as padding first; a Pad with another consumer stays a Pad."""
    from movenet.models.convert.tfjs import TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    rng = np.random.default_rng(2)
    weights = {"paddings": np.array([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32),
               "w": rng.normal(size=(3, 3, 4, 1)).astype(np.float32), "b": rng.normal(size=4).astype(np.float32)}
    conv_attrs = {"padding": "VALID", "strides": [1, 2, 2, 1], "fused_ops": ["BiasAdd", "Relu6"], "num_args": 1}
    conv = TfjsNode("dw", "FusedDepthwiseConv2dNative", ["pad", "w", "b"], conv_attrs)
    x = rng.uniform(-3, 9, (1, 9, 8, 4)).astype(np.float32)
    folded = convert_graph(_graph([TfjsNode("pad", "Pad", ["x", "paddings"], {}), conv], weights, [1, 9, 8, 4], "dw"))
    assert "Pad" not in {n.op_type for n in folded.graph.node}
    assert [list(a.ints) for n in folded.graph.node if n.op_type == "Conv" for a in n.attribute
            if a.name == "pads"] == [[1, 0, 2, 1]]
    kept = _graph([TfjsNode("pad", "Pad", ["x", "paddings"], {}), conv, TfjsNode("y", "AddN", ["pad", "pad"], {})],
                  weights, [1, 9, 8, 4], "dw")
    kept.output_names, kept.output_shapes = ["dw", "y"], [[-1, -1, -1, -1]] * 2
    unfolded = convert_graph(kept)
    assert "Pad" in {n.op_type for n in unfolded.graph.node}
    (a,) = _onnx_run(folded, x)
    b, doubled = _onnx_run(unfolded, x)
    assert a.shape == (1, 5, 4, 4)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(doubled, 2 * np.pad(x, weights["paddings"]))


def test_free_batch_becomes_one() -> None:
    from movenet.models.convert.tfjs import TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    model = convert_graph(_graph([TfjsNode("r", "Relu", ["x"], {})], {}, [-1, 4, 4, 3], "r"))
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == [1, 4, 4, 3]
    assert model.graph.output[0].type.tensor_type.shape.dim[0].dim_value == 1


def test_dynamic_hw_frees_a_fixed_input_size() -> None:
    from movenet.models.convert.tfjs import TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    w = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype(np.float32)
    conv = TfjsNode("conv", "Conv2D", ["x", "w"], {"padding": "SAME", "strides": [1, 2, 2, 1]})
    graph = _graph([conv], {"w": w}, [1, 5, 5, 2], "conv")
    graph.output_shapes = [[1, 3, 3, 4]]
    fixed = convert_graph(graph)
    assert [d.dim_value for d in fixed.graph.input[0].type.tensor_type.shape.dim] == [1, 5, 5, 2]
    free = convert_graph(graph, outputs=[("y", "conv:0")], dynamic_hw=True)
    dims = free.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == [1, "height", "width", 2]
    assert [o.name for o in free.graph.output] == ["y"]
    x = np.ones((1, 7, 9, 2), np.float32)
    (y,) = _onnx_run(free, x)
    assert y.shape == (1, 4, 5, 4)


def test_unknown_output_tensor_is_named() -> None:
    from movenet.errors import ConversionError
    from movenet.models.convert.tfjs import TfjsNode
    from movenet.models.convert.to_onnx import convert_graph

    graph = _graph([TfjsNode("relu", "Relu", ["x"], {})], {}, [1, 2, 2, 1], "relu")
    with pytest.raises(ConversionError, match="'ld_3d'.*'Identity_9:0'"):
        convert_graph(graph, outputs=[("ld_3d", "Identity_9:0")])


def _graph_json(graph: str) -> dict:
    import json

    from movenet.errors import ModelFileError
    from movenet.models.fetch import model_files

    try:
        json_path, _ = model_files(graph, fetch=False)
    except ModelFileError as exc:
        pytest.skip(f"{graph} files not available ({exc}); run `movenet models fetch`")
    return json.loads(json_path.read_text())


@pytest.mark.parametrize("graph", NEW_GRAPHS)
def test_every_operator_of_the_new_graphs_is_translated(graph: str) -> None:
    from movenet.models.convert.to_onnx import CONVERTERS

    ops = {node["op"] for node in _graph_json(graph)["modelTopology"]["node"]}
    assert ops - set(CONVERTERS) == set()
    assert {"_FusedConv2D", "FusedDepthwiseConv2dNative"} <= ops
    if graph.startswith("blazepose"):
        assert "Pad" in ops and ("DepthToSpace" in ops) == (graph == "blazepose-detector")


@pytest.mark.parametrize("graph", NEW_GRAPHS)
def test_onnx_output_names_follow_the_signature(graph: str) -> None:
    """BlazePose: the ONNX names are the signature keys of the tensors; PoseNet: its four maps,
    in the order the reference reads them (the file's signature order differs)."""
    from movenet.models.catalog import get_spec

    signature = {key: out["name"] for key, out in _graph_json(graph)["signature"]["outputs"].items()}
    outputs = get_spec(graph).outputs
    if graph == "posenet":
        assert [name for name, _ in outputs] == ["offset", "heatmap", "displacement_fwd", "displacement_bwd"]
        assert sorted(t for _, t in outputs) == sorted(signature)  # keys there are the tensor names
        assert list(signature) != [t for _, t in outputs]
        assert all(f"/{name}_2/" in tensor for name, tensor in outputs)
    else:
        assert dict(outputs) == signature


@pytest.mark.parametrize("graph", NEW_GRAPHS)
def test_new_networks_load_with_their_names_and_shapes(graph: str) -> None:
    from movenet.models.catalog import get_spec

    _graph_json(graph)
    from movenet.models.store import load_network

    network = load_network(graph, threads=1)
    spec = get_spec(graph)
    assert network.output_names == list(spec.output_names)
    size = spec.input_size or 257
    x = np.zeros((1, size, size, 3), np.float32)
    shapes = [o.shape for o in network.run(x)]
    expected = {
        "blazepose-detector": [(1, 2254, 13)],
        "posenet": [(1, 17, 17, 34), (1, 17, 17, 17), (1, 17, 17, 32), (1, 17, 17, 32)],
    }.get(graph, [(1, 195), (1, 1), (1, 64, 64, 39), (1, 117), (1, 256, 256, 1)])
    assert shapes == expected
    if graph == "posenet":  # any input size: (H - 1) / 16 + 1 cells per side
        assert [o.shape for o in network.run(np.zeros((1, 193, 385, 3), np.float32))][1] == (1, 13, 25, 17)


@pytest.mark.parametrize("graph", NEW_GRAPHS)
def test_new_networks_are_fp32_only_for_now(graph: str) -> None:
    from movenet.models.store import load_network

    with pytest.raises(ValueError, match=f"precision 'int8' is not available for model '{graph}'; available: fp32"):
        load_network(graph, precision="int8")
