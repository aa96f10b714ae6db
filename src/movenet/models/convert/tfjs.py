"""Reader for the TF.js graph-model format: model.json topology plus its weight files.

The format: `modelTopology.node` is a TensorFlow GraphDef in JSON (attribute values as
AttrValue JSON), and `weightsManifest` lists the constant tensors, in order, stored back to
back in the `.bin` shards. Weights may be quantised (`float16`, or affine `uint8`/`uint16`);
they are dequantised to their original dtype here so the converter only sees plain arrays.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from movenet.errors import ConversionError, ModelFileError

_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("bool"),
    "float16": np.dtype("<f2"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
}

#: TensorFlow DataType enum names, as they appear in `{"type": "DT_FLOAT"}` attributes.
TF_DTYPES: dict[str, np.dtype] = {
    "DT_FLOAT": np.dtype("float32"),
    "DT_INT32": np.dtype("int32"),
    "DT_INT64": np.dtype("int64"),
    "DT_BOOL": np.dtype("bool"),
    "DT_UINT8": np.dtype("uint8"),
}


@dataclass
class TfjsNode:
    """One GraphDef node: its op, its inputs as `name` or `name:k` refs, and decoded attributes."""

    name: str
    op: str
    inputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class TfjsGraph:
    """A loaded graph model: nodes in file order, constant values, and signature names."""

    nodes: list[TfjsNode]
    weights: dict[str, np.ndarray]
    input_names: list[str]
    output_names: list[str]
    output_shapes: list[list[int]]
    metadata: dict[str, Any]


def decode_attr(value: Mapping[str, Any]) -> Any:
    """Turn a TF AttrValue in JSON form into a Python value."""
    if "list" in value:
        lst = value["list"]
        for key in ("i", "f", "s", "b", "type"):
            if key in lst:
                return [decode_attr({key: v}) for v in lst[key]]
        return []
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "s" in value:
        return base64.b64decode(value["s"]).decode("utf-8", errors="replace")
    if "type" in value:
        return value["type"]
    if "shape" in value:
        return [int(d.get("size", -1)) for d in value["shape"].get("dim", [])]
    return value


def _read_weights(manifest: list[dict[str, Any]], base_dir: Path) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        shards = [base_dir / p for p in group["paths"]]
        for shard in shards:
            if not shard.is_file():
                raise ModelFileError(f"{shard}: weight file named in the model's manifest is missing")
        data = b"".join(s.read_bytes() for s in shards)
        offset = 0
        for spec in group["weights"]:
            name, shape = spec["name"], [int(d) for d in spec["shape"]]
            count = int(np.prod(shape, dtype=np.int64))
            quant = spec.get("quantization")
            stored = _DTYPES.get(quant["dtype"] if quant else spec["dtype"])
            if stored is None:
                raise ConversionError(f"weight {name}: unsupported dtype {spec['dtype']!r} / {quant!r}")
            nbytes = count * stored.itemsize
            if offset + nbytes > len(data):
                raise ModelFileError(
                    f"{shards[0]}: weights end after {len(data)} bytes but the manifest needs "
                    f"{offset + nbytes} (truncated file?)"
                )
            arr = np.frombuffer(data, dtype=stored, count=count, offset=offset).reshape(shape)
            offset += nbytes
            if quant and quant["dtype"] == "float16":
                arr = arr.astype(np.float32)
            elif quant:  # affine uint8 / uint16
                arr = (arr.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"]))
                arr = arr.astype(_DTYPES[spec["dtype"]])
            weights[name] = arr.copy()  # own the memory; keeps 0-d scalars 0-d
        if offset != len(data):
            raise ModelFileError(f"{shards[0]}: {len(data) - offset} unexpected trailing bytes after the weights")
    return weights


def read_graph_model(json_path: str | Path) -> TfjsGraph:
    """Load a TF.js graph model (model.json and the weight shards it names, beside it)."""
    json_path = Path(json_path)
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{json_path}: not a readable TF.js model.json ({exc})") from exc
    if doc.get("format") != "graph-model" or "modelTopology" not in doc:
        raise ModelFileError(f"{json_path}: not a TF.js graph model (format={doc.get('format')!r})")
    weights = _read_weights(doc.get("weightsManifest", []), json_path.parent)
    nodes = [
        TfjsNode(
            name=n["name"],
            op=n["op"],
            inputs=[i for i in n.get("input", []) if not i.startswith("^")],  # drop control deps
            attrs={k: decode_attr(v) for k, v in n.get("attr", {}).items()},
        )
        for n in doc["modelTopology"]["node"]
    ]
    signature = doc.get("signature", {})
    input_names = [v["name"].split(":")[0] for v in signature.get("inputs", {}).values()]
    outs = list(signature.get("outputs", {}).values())
    output_names = [v["name"].split(":")[0] for v in outs]
    output_shapes = [decode_attr({"shape": v.get("tensorShape", {})}) for v in outs]
    if not input_names:
        input_names = [n.name for n in nodes if n.op == "Placeholder"]
    meta = {k: doc.get(k) for k in ("generatedBy", "convertedBy", "format")}
    return TfjsGraph(nodes=nodes, weights=weights, input_names=input_names,
                     output_names=output_names, output_shapes=output_shapes, metadata=meta)
