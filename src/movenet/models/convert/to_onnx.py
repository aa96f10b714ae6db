"""Translate a TF.js graph model (see `tfjs.py`) into an ONNX model, one small function per TF op.

Tensors keep TensorFlow's NHWC layout. Convolutions and pooling, which ONNX defines on NCHW,
are wrapped in a pair of Transposes; ONNX Runtime's transpose optimiser cancels the pairs
between consecutive layers, so the network runs in NCHW without extra copies.

A zero Pad of height and width whose only consumers are VALID convolutions (Keras'
ZeroPadding2D before a strided convolution, as in BlazePose) becomes the convolutions' own
padding: the same sums, without a padded copy of the tensor and the layout changes around it
(ONNX Runtime leaves such a Pad between its blocked-layout convolutions).

A free batch dimension becomes 1 (every pipeline runs one image at a time, as the reference
does): ONNX Runtime then folds the graphs' shape arithmetic (BlazePose computes its reshape and
upsampling sizes from the batch) into constants, which keeps the upsampling in its blocked layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from movenet.errors import ConversionError
from movenet.models.convert.tfjs import TF_DTYPES, TfjsGraph, TfjsNode

OPSET = 18
_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]
_INT64_MAX = np.iinfo(np.int64).max

_ONNX_TYPE = {
    np.dtype("float32"): TensorProto.FLOAT,
    np.dtype("int32"): TensorProto.INT32,
    np.dtype("int64"): TensorProto.INT64,
    np.dtype("bool"): TensorProto.BOOL,
    np.dtype("uint8"): TensorProto.UINT8,
}


def _ref(tf_ref: str) -> str:
    """Canonical value name of a TF tensor ref: `node` and `node:0` are the same tensor."""
    return tf_ref if ":" in tf_ref else f"{tf_ref}:0"


class _Builder:
    """Accumulates ONNX nodes and initializers while walking the TF graph."""

    def __init__(self, graph: TfjsGraph) -> None:
        self.graph = graph
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, np.ndarray] = {}
        self._counter = 0
        self.consumers: dict[str, list[TfjsNode]] = {}
        for node in graph.nodes:
            for ref in node.inputs:
                self.consumers.setdefault(_ref(ref), []).append(node)
        #: Pads folded into their consumers: value name -> (TF input ref, [top, left, bottom, right]).
        self.folded_pads: dict[str, tuple[str, list[int]]] = {}
        #: Values that must exist as such (requested outputs): never folded away.
        self.keep: set[str] = set()

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}__{self._counter}"

    def add(self, op_type: str, inputs: list[str], outputs: list[str] | None = None, **attrs: Any) -> str:
        """Append an ONNX node; returns its first output name."""
        outputs = outputs or [self.fresh(op_type)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attrs))
        return outputs[0]

    def const(self, value: np.ndarray, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers[name] = np.asarray(value)
        return name

    def value(self, tf_ref: str) -> np.ndarray | None:
        """The constant value behind a TF ref, if it is a constant."""
        return self.initializers.get(_ref(tf_ref))

    def inp(self, node: TfjsNode, i: int) -> str:
        return _ref(node.inputs[i])

    def int64(self, node: TfjsNode, i: int) -> str:
        """Input i as an int64 tensor (ONNX wants int64 for shapes, axes and indices)."""
        v = self.value(node.inputs[i])
        if v is not None:
            return self.const(v.astype(np.int64), "i64")
        return self.add("Cast", [self.inp(node, i)], to=TensorProto.INT64)

    def const_list(self, node: TfjsNode, i: int) -> list[int]:
        v = self.value(node.inputs[i])
        if v is None:
            raise ConversionError(f"{node.op} {node.name}: input {i} must be a constant")
        return [int(x) for x in np.atleast_1d(v)]


def _out(node: TfjsNode, k: int = 0) -> str:
    return f"{node.name}:{k}"


# --- elementwise ------------------------------------------------------------------------------

def _operand(b: _Builder, n: TfjsNode, i: int) -> str:
    """Input i; a constant whose values are all equal (MoveNet's per-channel [1,1,1,3] input
    scale) becomes a single-element tensor of the same rank, which ONNX Runtime broadcasts on
    its fast scalar path (~1 ms per Lightning frame) with identical results."""
    value = b.value(n.inputs[i])
    if value is not None and value.size > 1 and value.dtype.kind == "f" and bool((value == value.flat[0]).all()):
        return b.const(value.reshape(-1)[:1].reshape((1,) * value.ndim), "uniform")
    return b.inp(n, i)


def _simple(onnx_op: str) -> Callable[[_Builder, TfjsNode], None]:
    def convert(b: _Builder, n: TfjsNode) -> None:
        b.add(onnx_op, [b.inp(n, i) for i in range(len(n.inputs))], [_out(n)])
    return convert


def _elementwise(onnx_op: str) -> Callable[[_Builder, TfjsNode], None]:
    def convert(b: _Builder, n: TfjsNode) -> None:
        b.add(onnx_op, [_operand(b, n, 0), _operand(b, n, 1)], [_out(n)])
    return convert


def _squared_difference(b: _Builder, n: TfjsNode) -> None:
    d = b.add("Sub", [b.inp(n, 0), b.inp(n, 1)])
    b.add("Mul", [d, d], [_out(n)])


def _floor_div(b: _Builder, n: TfjsNode) -> None:
    dtype = TF_DTYPES[n.attrs["T"]]
    if dtype.kind == "f":
        b.add("Floor", [b.add("Div", [b.inp(n, 0), b.inp(n, 1)])], [_out(n)])
        return
    # Integer Div truncates toward zero; TF floors. Correct the quotient where signs differ
    # and the division is inexact: q - ((a % b != 0) & ((a < 0) != (b < 0))).
    a, d = b.inp(n, 0), b.inp(n, 1)
    q = b.add("Div", [a, d])
    rem = b.add("Mod", [a, d], fmod=1)
    zero = b.const(np.array(0, dtype))
    inexact = b.add("Not", [b.add("Equal", [rem, zero])])
    signs = b.add("Xor", [b.add("Less", [a, zero]), b.add("Less", [d, zero])])
    fix = b.add("Cast", [b.add("And", [inexact, signs])], to=_ONNX_TYPE[dtype])
    b.add("Sub", [q, fix], [_out(n)])


def _clip_0_6(b: _Builder, x: str, output: str | None = None) -> str:
    """TF's Relu6, min(max(x, 0), 6), as ONNX Clip."""
    lo, hi = b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))
    return b.add("Clip", [x, lo, hi], [output] if output else None)


def _relu6(b: _Builder, n: TfjsNode) -> None:
    _clip_0_6(b, b.inp(n, 0), _out(n))


def _cast(b: _Builder, n: TfjsNode) -> None:
    b.add("Cast", [b.inp(n, 0)], [_out(n)], to=_ONNX_TYPE[TF_DTYPES[n.attrs["DstT"]]])


def _select(b: _Builder, n: TfjsNode) -> None:
    # TF Select with equal shapes (all uses in MoveNet) is ONNX Where.
    b.add("Where", [b.inp(n, 0), b.inp(n, 1), b.inp(n, 2)], [_out(n)])


# --- convolution and pooling ------------------------------------------------------------------

def _conv_common(b: _Builder, n: TfjsNode, weight: np.ndarray, group: int) -> None:
    if n.attrs.get("data_format", "NHWC") != "NHWC":
        raise ConversionError(f"{n.op} {n.name}: only NHWC is supported")
    padding = n.attrs["padding"]
    if padding not in ("SAME", "VALID"):
        raise ConversionError(f"{n.op} {n.name}: padding {padding} not supported")
    strides = n.attrs["strides"][1:3]
    dilations = n.attrs.get("dilations", [1, 1, 1, 1])[1:3]
    fused = n.attrs.get("fused_ops", [])
    source, pads = b.folded_pads.get(b.inp(n, 0), (n.inputs[0], None))
    inputs = [b.add("Transpose", [_ref(source)], perm=_NHWC_TO_NCHW), b.const(weight, "W")]
    if fused:
        if fused[0] != "BiasAdd" or n.attrs.get("num_args", 1) != 1:
            raise ConversionError(f"{n.op} {n.name}: fused ops {fused} not supported")
        bias = b.value(n.inputs[2])
        if bias is None:
            raise ConversionError(f"{n.op} {n.name}: bias must be constant")
        inputs.append(b.const(bias.astype(np.float32), "B"))
    if pads is not None:  # VALID after a folded zero Pad
        y = b.add("Conv", inputs, group=group, strides=strides, dilations=dilations, pads=pads)
    else:
        y = b.add("Conv", inputs, group=group, strides=strides, dilations=dilations,
                  auto_pad="SAME_UPPER" if padding == "SAME" else "VALID")
    for act in fused[1:]:
        if act == "Relu":
            y = b.add("Relu", [y])
        elif act == "Relu6":
            y = _clip_0_6(b, y)
        else:
            raise ConversionError(f"{n.op} {n.name}: fused activation {act} not supported")
    b.add("Transpose", [y], [_out(n)], perm=_NCHW_TO_NHWC)


def _conv2d(b: _Builder, n: TfjsNode) -> None:
    w = b.value(n.inputs[1])
    if w is None:
        raise ConversionError(f"{n.op} {n.name}: filter must be constant")
    _conv_common(b, n, w.transpose(3, 2, 0, 1).astype(np.float32), group=1)  # HWIO -> OIHW


def _depthwise_conv2d(b: _Builder, n: TfjsNode) -> None:
    w = b.value(n.inputs[1])
    if w is None:
        raise ConversionError(f"{n.op} {n.name}: filter must be constant")
    kh, kw, cin, mult = w.shape  # HW,in,multiplier -> (in*mult),1,H,W
    onnx_w = w.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw).astype(np.float32)
    _conv_common(b, n, onnx_w, group=cin)


def _max_pool(b: _Builder, n: TfjsNode) -> None:
    x = b.add("Transpose", [b.inp(n, 0)], perm=_NHWC_TO_NCHW)
    y = b.add("MaxPool", [x], kernel_shape=n.attrs["ksize"][1:3], strides=n.attrs["strides"][1:3],
              auto_pad="SAME_UPPER" if n.attrs["padding"] == "SAME" else "VALID")
    b.add("Transpose", [y], [_out(n)], perm=_NCHW_TO_NHWC)


def _depth_to_space(b: _Builder, n: TfjsNode) -> None:
    # TF's NHWC DepthToSpace takes channel (i * block + j) * C + c to pixel (i, j) of each block:
    # ONNX's DCR mode on NCHW.
    if n.attrs.get("data_format", "NHWC") != "NHWC":
        raise ConversionError(f"{n.op} {n.name}: only NHWC is supported")
    x = b.add("Transpose", [b.inp(n, 0)], perm=_NHWC_TO_NCHW)
    y = b.add("DepthToSpace", [x], blocksize=n.attrs["block_size"], mode="DCR")
    b.add("Transpose", [y], [_out(n)], perm=_NCHW_TO_NHWC)


def _resize_bilinear(b: _Builder, n: TfjsNode) -> None:
    if n.attrs.get("align_corners"):
        mode = "align_corners"
    elif n.attrs.get("half_pixel_centers"):
        mode = "half_pixel"
    else:
        mode = "asymmetric"
    # sizes = [N, newH, newW, C]: N and C from the input's shape, H and W from input 1.
    shape = b.add("Shape", [b.inp(n, 0)])
    nb = b.add("Slice", [shape, b.const(np.array([0])), b.const(np.array([1]))])
    ch = b.add("Slice", [shape, b.const(np.array([3])), b.const(np.array([4]))])
    sizes = b.add("Concat", [nb, b.int64(n, 1), ch], axis=0)
    b.add("Resize", [b.inp(n, 0), "", "", sizes], [_out(n)], mode="linear",
          coordinate_transformation_mode=mode)


# --- shapes and indexing ----------------------------------------------------------------------

def _pad(b: _Builder, n: TfjsNode) -> None:
    # TF Pad fills with zeros; paddings [[before, after]] per axis -> ONNX [befores..., afters...].
    paddings = b.value(n.inputs[1])
    if paddings is None:
        raise ConversionError(f"{n.op} {n.name}: paddings must be constant")
    pairs = np.asarray(paddings, np.int64).reshape(-1, 2)
    users = b.consumers.get(_out(n), [])
    spatial_only = pairs.shape[0] == 4 and not pairs[[0, 3]].any()
    foldable = all(u.op in _FOLDABLE_CONVS and u.attrs.get("padding") == "VALID" and _ref(u.inputs[0]) == _out(n)
                   for u in users)
    if spatial_only and users and foldable and _out(n) not in b.keep:
        b.folded_pads[_out(n)] = (n.inputs[0], [int(v) for v in (*pairs[1:3, 0], *pairs[1:3, 1])])
        return
    pads = b.const(np.concatenate([pairs[:, 0], pairs[:, 1]]), "pads")
    b.add("Pad", [b.inp(n, 0), pads], [_out(n)], mode="constant")


_FOLDABLE_CONVS = ("_FusedConv2D", "Conv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative")


def _reshape(b: _Builder, n: TfjsNode) -> None:
    b.add("Reshape", [b.inp(n, 0), b.int64(n, 1)], [_out(n)])


def _expand_dims(b: _Builder, n: TfjsNode) -> None:
    b.add("Unsqueeze", [b.inp(n, 0), b.const(np.array(b.const_list(n, 1), np.int64))], [_out(n)])


def _squeeze(b: _Builder, n: TfjsNode) -> None:
    dims = n.attrs.get("squeeze_dims", [])
    inputs = [b.inp(n, 0)] + ([b.const(np.array(dims, np.int64))] if dims else [])
    b.add("Squeeze", inputs, [_out(n)])


def _pack(b: _Builder, n: TfjsNode) -> None:
    axis = b.const(np.array([n.attrs.get("axis", 0)], np.int64))
    parts = [b.add("Unsqueeze", [b.inp(n, i), axis]) for i in range(len(n.inputs))]
    b.add("Concat", parts, [_out(n)], axis=n.attrs.get("axis", 0))


def _unpack(b: _Builder, n: TfjsNode) -> None:
    num, axis = n.attrs["num"], n.attrs.get("axis", 0)
    parts = [b.fresh("unpack") for _ in range(num)]
    if num == 1:
        b.add("Identity", [b.inp(n, 0)], parts)
    else:
        b.add("Split", [b.inp(n, 0)], parts, axis=axis, num_outputs=num)
    axes = b.const(np.array([axis], np.int64))
    for k, part in enumerate(parts):
        b.add("Squeeze", [part, axes], [_out(n, k)])


def _split(b: _Builder, n: TfjsNode) -> None:
    (axis,) = b.const_list(n, 0)
    num = n.attrs["num_split"]
    b.add("Split", [b.inp(n, 1)], [_out(n, k) for k in range(num)], axis=axis, num_outputs=num)


def _concat(b: _Builder, n: TfjsNode) -> None:
    (axis,) = b.const_list(n, len(n.inputs) - 1)
    b.add("Concat", [b.inp(n, i) for i in range(len(n.inputs) - 1)], [_out(n)], axis=axis)


def _gather_nd(b: _Builder, n: TfjsNode) -> None:
    b.add("GatherND", [b.inp(n, 0), b.int64(n, 1)], [_out(n)])


def _shape_op(onnx_op: str) -> Callable[[_Builder, TfjsNode], None]:
    def convert(b: _Builder, n: TfjsNode) -> None:
        to = _ONNX_TYPE[TF_DTYPES[n.attrs.get("out_type", "DT_INT32")]]
        b.add("Cast", [b.add(onnx_op, [b.inp(n, 0)])], [_out(n)], to=to)
    return convert


def _tile(b: _Builder, n: TfjsNode) -> None:
    b.add("Tile", [b.inp(n, 0), b.int64(n, 1)], [_out(n)])


def _fill(b: _Builder, n: TfjsNode) -> None:
    b.add("Expand", [b.inp(n, 1), b.int64(n, 0)], [_out(n)])


def _range(b: _Builder, n: TfjsNode) -> None:
    b.add("Range", [b.inp(n, 0), b.inp(n, 1), b.inp(n, 2)], [_out(n)])


def _strided_slice(b: _Builder, n: TfjsNode) -> None:
    begin, end, strides = (b.const_list(n, i) for i in (1, 2, 3))
    a = n.attrs
    if a.get("ellipsis_mask", 0):
        raise ConversionError(f"StridedSlice {n.name}: ellipsis_mask not supported")
    starts, ends, axes, steps, shrink, new_axes = [], [], [], [], [], []
    in_dim = out_dim = 0
    for i in range(len(begin)):
        bit = 1 << i
        if a.get("new_axis_mask", 0) & bit:
            new_axes.append(out_dim)
            out_dim += 1
            continue
        if a.get("shrink_axis_mask", 0) & bit:
            starts.append(begin[i])
            ends.append(begin[i] + 1 if begin[i] != -1 else _INT64_MAX)
            steps.append(1)
            shrink.append(in_dim)
        else:
            backwards = strides[i] < 0
            starts.append((_INT64_MAX if backwards else 0) if a.get("begin_mask", 0) & bit else begin[i])
            ends.append((-_INT64_MAX if backwards else _INT64_MAX) if a.get("end_mask", 0) & bit else end[i])
            steps.append(strides[i])
            out_dim += 1
        axes.append(in_dim)
        in_dim += 1
    y = b.add("Slice", [b.inp(n, 0)] + [b.const(np.array(v, np.int64)) for v in (starts, ends, axes, steps)])
    if shrink:
        y = b.add("Squeeze", [y, b.const(np.array(shrink, np.int64))])
    if new_axes:
        y = b.add("Unsqueeze", [y, b.const(np.array(new_axes, np.int64))])
    b.add("Identity", [y], [_out(n)])


# --- reductions and selection -----------------------------------------------------------------

def _reduce(onnx_op: str) -> Callable[[_Builder, TfjsNode], None]:
    def convert(b: _Builder, n: TfjsNode) -> None:
        axes = b.const(np.array(b.const_list(n, 1), np.int64))
        b.add(onnx_op, [b.inp(n, 0), axes], [_out(n)], keepdims=int(n.attrs.get("keep_dims", False)))
    return convert


def _arg_max(b: _Builder, n: TfjsNode) -> None:
    (axis,) = b.const_list(n, 1)
    idx = b.add("ArgMax", [b.inp(n, 0)], axis=axis, keepdims=0)
    b.add("Cast", [idx], [_out(n)], to=_ONNX_TYPE[TF_DTYPES[n.attrs.get("output_type", "DT_INT64")]])


def _top_k(b: _Builder, n: TfjsNode) -> None:
    k = b.add("Reshape", [b.int64(n, 1), b.const(np.array([1], np.int64))])
    idx = b.fresh("topk_idx")
    b.add("TopK", [b.inp(n, 0), k], [_out(n, 0), idx], axis=-1, largest=1, sorted=1)
    b.add("Cast", [idx], [_out(n, 1)], to=TensorProto.INT32)


def _placeholder(b: _Builder, n: TfjsNode) -> None:  # graph inputs are declared separately
    pass


def _const(b: _Builder, n: TfjsNode) -> None:
    value = b.graph.weights.get(n.name)
    if value is None:
        raise ConversionError(f"Const {n.name}: no value in the weights manifest")
    b.initializers[_out(n)] = value


CONVERTERS: dict[str, Callable[[_Builder, TfjsNode], None]] = {
    "Const": _const,
    "Placeholder": _placeholder,
    "Identity": _simple("Identity"),
    "AddV2": _simple("Add"),
    "AddN": _simple("Sum"),
    "Sub": _elementwise("Sub"),
    "Mul": _elementwise("Mul"),
    "RealDiv": _simple("Div"),
    "Maximum": _simple("Max"),
    "Minimum": _simple("Min"),
    "Sqrt": _simple("Sqrt"),
    "Exp": _simple("Exp"),
    "Abs": _simple("Abs"),
    "Reciprocal": _simple("Reciprocal"),
    "Sigmoid": _simple("Sigmoid"),
    "Relu": _simple("Relu"),
    "Relu6": _relu6,
    "Less": _simple("Less"),
    "Greater": _simple("Greater"),
    "GreaterEqual": _simple("GreaterOrEqual"),
    "Equal": _simple("Equal"),
    "LogicalAnd": _simple("And"),
    "SquaredDifference": _squared_difference,
    "FloorDiv": _floor_div,
    "Cast": _cast,
    "Select": _select,
    "_FusedConv2D": _conv2d,
    "Conv2D": _conv2d,
    "FusedDepthwiseConv2dNative": _depthwise_conv2d,
    "DepthwiseConv2dNative": _depthwise_conv2d,
    "MaxPool": _max_pool,
    "DepthToSpace": _depth_to_space,
    "Pad": _pad,
    "ResizeBilinear": _resize_bilinear,
    "Reshape": _reshape,
    "ExpandDims": _expand_dims,
    "Squeeze": _squeeze,
    "Pack": _pack,
    "Unpack": _unpack,
    "Split": _split,
    "ConcatV2": _concat,
    "GatherNd": _gather_nd,
    "Shape": _shape_op("Shape"),
    "Size": _shape_op("Size"),
    "Tile": _tile,
    "Fill": _fill,
    "Range": _range,
    "StridedSlice": _strided_slice,
    "Sum": _reduce("ReduceSum"),
    "Max": _reduce("ReduceMax"),
    "ArgMax": _arg_max,
    "TopKV2": _top_k,
}


def _input_info(node: TfjsNode, dynamic_hw: bool = False) -> onnx.ValueInfoProto:
    dims = node.attrs.get("shape") or []
    shape: list[int | str | None] | None = [d if d >= 0 else None for d in dims] if dims else None
    if shape is not None and len(shape) == 4:  # keep H, W symbolic where the graph allows it
        if dynamic_hw:
            shape[1] = shape[2] = None
        shape = [shape[0] or 1, shape[1] or "height", shape[2] or "width", shape[3]]
    return helper.make_tensor_value_info(node.name, _ONNX_TYPE[TF_DTYPES[node.attrs["dtype"]]], shape)


def _wanted_outputs(graph: TfjsGraph, outputs: Sequence[tuple[str, str]] | None,
                    extra_outputs: dict[str, int] | None, dynamic_hw: bool) -> list[tuple[str, str, list[int | str]]]:
    """``(ONNX name, TF tensor, dims)`` of every output, with symbolic dims where unknown."""
    signature = {_ref(name): shape for name, shape in zip(graph.output_names, graph.output_shapes, strict=True)}
    if outputs is None:
        pairs = [(name.split(":")[0], name) for name in graph.output_names]
    else:
        pairs = list(outputs)
    wanted: list[tuple[str, str, list[int]]] = [(onnx_name, tf, signature.get(_ref(tf), [])) for onnx_name, tf in pairs]
    wanted += [(name.split(":")[0], name, [-1] * rank) for name, rank in (extra_outputs or {}).items()]
    result = []
    for onnx_name, tf, shape in wanted:
        if dynamic_hw and len(shape) == 4:  # fully convolutional: the output grid follows the input
            shape = [shape[0], -1, -1, shape[3]]
        if shape and shape[0] == -1:  # the batch is 1, see _input_info
            shape = [1, *shape[1:]]
        dims: list[int | str] = [d if d >= 0 else f"{onnx_name}_{i}" for i, d in enumerate(shape)]
        result.append((onnx_name, tf, dims))
    return result


def convert_graph(graph: TfjsGraph, extra_outputs: dict[str, int] | None = None, *,
                  outputs: Sequence[tuple[str, str]] | None = None, dynamic_hw: bool = False) -> onnx.ModelProto:
    """Translate a TF.js graph into an ONNX model with the same input names.

    The outputs are the signature's, named after their nodes, unless `outputs` lists
    ``(ONNX name, TF tensor)`` pairs (the catalog's, e.g. ``("ld_3d", "Identity_2:0")``).
    `extra_outputs` maps further float TF tensors (e.g. the head outputs) to their rank, to expose
    them as outputs too. `dynamic_hw` frees the input's height and width where the file fixes them
    (a fully convolutional network exported at one size, PoseNet).
    """
    b = _Builder(graph)
    wanted = _wanted_outputs(graph, outputs, extra_outputs, dynamic_hw)
    b.keep = {_ref(tf) for _, tf, _ in wanted}
    nodes = {n.name: n for n in graph.nodes}
    for node in graph.nodes:  # graph.json lists nodes in topological order
        convert = CONVERTERS.get(node.op)
        if convert is None:
            raise ConversionError(f"TF op {node.op} (node {node.name}) is not supported by the converter")
        convert(b, node)
    for name in graph.input_names:  # the Placeholder's value name is the plain node name
        b.nodes.insert(0, helper.make_node("Identity", [name], [f"{name}:0"]))
    produced = {name for node in b.nodes for name in node.output} | set(b.initializers)
    output_infos = []
    for onnx_name, tf, dims in wanted:
        if _ref(tf) not in produced:
            raise ConversionError(f"output {onnx_name!r}: the graph has no tensor {tf!r}")
        b.add("Identity", [_ref(tf)], [onnx_name])
        output_infos.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, dims))
    used = {name for node in b.nodes for name in node.input}
    onnx_graph = helper.make_graph(
        b.nodes,
        "movenet",
        [_input_info(nodes[name], dynamic_hw) for name in graph.input_names],
        output_infos,
        initializer=[numpy_helper.from_array(v, name) for name, v in b.initializers.items() if name in used],
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="movenet.models.convert.to_onnx")
    model.ir_version = 8  # readable by every ONNX Runtime release that supports opset 18
    onnx.checker.check_model(model)
    return model

