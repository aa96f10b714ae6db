"""Convert once, then load: the ONNX form of each pinned graph, cached beside its TF.js source.

Every graph of movenet.models.catalog loads the same way, ``load_network("lightning")``,
``load_network("blazepose-detector")``, ``load_network("blazepose-full")``,
``load_network("posenet")``; the catalog's module docstring lists each graph's ONNX input and
output names (``Backend.output_names``, the order of ``Backend.run``).

The store owns every cached file's path: the fp32 conversion, variants with extra outputs (e.g.
MoveNet's ``heads``) and the ``int8`` file. The cache key is the source files' pinned sha256 plus
the converter's (or quantiser's) version, so a new converter or different weights never reuse a
stale file. Each file made here has its sha256 beside it (:mod:`movenet.models.checksum`), checked
on load: a damaged, truncated or empty file is made again, with a one-line message.

Precisions (`load_network(..., precision=)`, see docs/performance.md): "fp32" (default, the
TF.js-exact conversion); "int8", a statically quantised file (variant ``int8``, made once from
the fp32 file by movenet.models.quantize; any backend); "bf16" and "fp16", the fp32 file run
in reduced precision by the backend (OpenVINO only, and only on CPUs that have the instructions).
The BlazePose and PoseNet graphs are fp32 only for now (``ModelSpec.precisions``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import onnx

from movenet.models.catalog import get_spec
from movenet.models.checksum import file_problem, write_checked, write_checksum
from movenet.models.convert.tfjs import read_graph_model
from movenet.models.convert.to_onnx import convert_graph
from movenet.models.fetch import cache_dir, model_files
from movenet.models.quantize import INT8_VARIANT, QUANTIZER_VERSION, Calibration, quantize_model
from movenet.runtime import INFERENCE_PRECISIONS, Network, check_backend, create_backend

#: Bump when the converter's output changes, to invalidate cached conversions.
CONVERTER_VERSION = "4"
#: The precisions `load_network` accepts; "fp32" is the exact one.
PRECISIONS = ("fp32", "fp16", "bf16", "int8")
#: Those a backend applies to the fp32 file when it loads it (the others are separate files).
_COMPUTE_PRECISIONS = ("fp16", "bf16")


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK)


def _cache_folder(source_folder: Path) -> Path:
    """Beside the source files when that folder is writable, else the user cache."""
    return source_folder if _writable(source_folder) else cache_dir() / "converted"


def onnx_model_path(name: str, model_dir: str | Path | None = None, *, extra_outputs: dict[str, int] | None = None,
                    variant: str = "", drop_outputs: tuple[str, ...] = ()) -> Path:
    """Path of the converted ONNX model for `name`, converting it first if needed.

    `drop_outputs` names catalog outputs to leave out, with every node only they need: ONNX
    Runtime runs the whole graph whatever outputs a call asks for (TF.js executes only what the
    requested outputs need), e.g. BlazePose's 256x256 segmentation decoder when no mask is wanted.
    """
    json_path, _ = model_files(name, model_dir)
    spec = get_spec(name)
    dropped = "" if not drop_outputs else f"-{sorted(drop_outputs)}"  # "" keeps the existing files' keys
    extras = sorted((extra_outputs or {}).items())
    key = hashlib.sha256(f"{spec.json_sha256}{spec.bin_sha256}{CONVERTER_VERSION}{extras}{dropped}".encode()
                         ).hexdigest()[:16]
    folder = _cache_folder(json_path.parent)
    target = folder / f"{json_path.stem}{('-' + variant) if variant else ''}.{key}.onnx"
    problem = file_problem(target)  # checked on every load: a damaged file would give wrong poses
    if problem is None:
        return target
    if problem == "is missing":
        print(f"movenet: converting {json_path.name} to ONNX (once) ...", file=sys.stderr)
    else:
        print(f"movenet: {target} {problem}; converting {json_path.name} again ...", file=sys.stderr)
    outputs = list(spec.outputs) if spec.outputs else None
    if drop_outputs:
        if outputs is None or any(d not in {o for o, _ in outputs} for d in drop_outputs):
            raise ValueError(f"{name}: cannot drop {', '.join(drop_outputs)}: not among its named outputs")
        outputs = [(o, tf) for o, tf in outputs if o not in drop_outputs]
    model = without_dead_nodes(convert_graph(read_graph_model(json_path), extra_outputs=extra_outputs,
                                             outputs=outputs, dynamic_hw=spec.dynamic_hw))
    folder.mkdir(parents=True, exist_ok=True)
    write_checked(target, model.SerializeToString())
    return target


def check_precision(precision: str, backend: str = "onnxruntime") -> None:
    """ValueError, before any conversion work, if `precision` is unknown or `backend` cannot run it."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; available: {', '.join(PRECISIONS)}")
    check_backend(backend)  # unknown backend
    if precision in _COMPUTE_PRECISIONS and precision not in INFERENCE_PRECISIONS.get(backend, ()):
        able = [b for b, ps in sorted(INFERENCE_PRECISIONS.items()) if precision in ps]
        own = [p for p in PRECISIONS if p not in _COMPUTE_PRECISIONS or p in INFERENCE_PRECISIONS.get(backend, ())]
        raise ValueError(f"precision {precision!r} needs backend={' or '.join(map(repr, able))}; "
                         f"backend {backend!r} runs: {', '.join(own)}")


def check_model_precision(name: str, precision: str) -> None:
    """ValueError if graph `name` has no `precision` (the BlazePose and PoseNet graphs: fp32 only)."""
    available = get_spec(name).precisions
    if precision in PRECISIONS and precision not in available:
        raise ValueError(f"precision {precision!r} is not available for model {name!r}; "
                         f"available: {', '.join(available)}")


def int8_model_path(name: str, model_dir: str | Path | None, calibration: Calibration) -> Path:
    """Path of the int8 file of graph `name`, quantising the fp32 conversion first if needed (a few
    seconds, once) with the activation ranges of `calibration` (supplied by the graph's family)."""
    fp32 = onnx_model_path(name, model_dir)
    key = hashlib.sha256(f"{fp32.name}{QUANTIZER_VERSION}{calibration.samples}".encode()).hexdigest()[:16]
    stem = fp32.name.split(".", 1)[0]
    target = _cache_folder(fp32.parent) / f"{stem}-{INT8_VARIANT}.{key}.onnx"
    problem = file_problem(target)
    if problem is not None:
        again = "" if problem == "is missing" else f"{target} {problem}; "
        print(f"movenet: {again}quantising {stem} to int8 (once) ...", file=sys.stderr)
        quantize_model(fp32, target, calibration)
        write_checksum(target)
    return target


def without_dead_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """`model` without the nodes (and initializers) that no graph output depends on."""
    needed = {o.name for o in model.graph.output}
    live = []
    for node in reversed(model.graph.node):  # the nodes are in topological order
        if any(name in needed for name in node.output):
            live.append(node)
            needed.update(node.input)
    if len(live) == len(model.graph.node):
        return model
    del model.graph.node[:]
    model.graph.node.extend(reversed(live))
    initializers = [init for init in model.graph.initializer if init.name in needed]
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    return model


def model_path(name: str, model_dir: str | Path | None = None, precision: str = "fp32", *,
               calibration: Calibration | None = None) -> Path:
    """The ONNX file that runs graph `name` at `precision`: the fp32 conversion, or for "int8" the
    quantised file (made once with `calibration` and cached beside it, variant ``int8``)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; available: {', '.join(PRECISIONS)}")
    check_model_precision(name, precision)
    if precision == "int8":
        if calibration is None:
            raise ValueError(f"precision 'int8' of {name!r} needs its family's calibration inputs "
                             "(load it with movenet.api.load_network or create_detector)")
        return int8_model_path(name, model_dir, calibration)
    return onnx_model_path(name, model_dir)


def load_network(name: str, model_dir: str | Path | None = None, *, backend: str = "onnxruntime",
                 threads: int | None = None, precision: str = "fp32",
                 calibration: Calibration | None = None, spin_wait: bool = True) -> Network:
    """The graph `name`, converted if needed and loaded on `backend`.

    precision: "fp32" (default, matches TF.js), "int8" (quantised file, any backend; needs the
    family's `calibration`), "bf16" or "fp16" (backend="openvino" on a CPU that supports it); the
    BlazePose and PoseNet graphs have fp32 only. ValueError for an unknown model or precision, a
    precision the model does not have, a backend that cannot run it, or a CPU without the
    instructions.
    """
    check_precision(precision, backend)
    inference_precision = precision if precision in _COMPUTE_PRECISIONS else "fp32"
    return create_backend(model_path(name, model_dir, precision, calibration=calibration), backend=backend,
                          threads=threads, inference_precision=inference_precision, spin_wait=spin_wait)
