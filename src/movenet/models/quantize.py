"""int8 MoveNet: static post-training quantisation (QDQ) of our converted ONNX models.

``precision="int8"`` in :func:`movenet.models.store.load_network` runs a file made here once and
cached beside the fp32 conversion (variant ``int8``, keyed by the fp32 file and this module's
version). Needs nothing beyond ONNX Runtime (``onnxruntime.quantization``) and runs on both
backends: ONNX Runtime executes the QDQ pairs with its int8 kernels (VNNI where the CPU has it),
OpenVINO turns them into its own low-precision graph.

Recipe (chosen by measurement, see docs/performance.md):

1. ONNX Runtime's *basic* graph optimisations (constant folding, and cancelling most of the
   NHWC<->NCHW transposes the TF.js conversion leaves around every convolution), without the
   CPU-specific fusions, so the quantiser sees plain ONNX convolutions.
2. Static QDQ quantisation of the convolutions *and of their activations* (``Clip`` = ReLU6,
   ``Relu``): weights int8 per output channel (symmetric, 7-bit range: ``reduce_range``, so
   ONNX Runtime's u8s8 kernels cannot saturate on CPUs without VNNI, such as AVX2-only ones),
   activations uint8 per tensor (asymmetric, MinMax ranges). Listing the activations lets the
   quantiser give each convolution's output the activation's (clipped) range and drop the
   activation, so ONNX Runtime runs convolution after convolution in int8. With ``Conv`` alone,
   every convolution's output kept a DequantizeLinear -> QuantizeLinear pair of its own (about 30
   in Lightning, 1.1 ms of its 6.1 ms int8 network); with them, AP and keypoint shift are also
   slightly better (the clipped range is finer). The FPN's additions run as int8 anyway (ONNX
   Runtime fuses DQ -> Add -> Q into QLinearAdd); quantising ``Add``, ``Resize`` and
   ``Transpose`` explicitly gained nothing measurable and cost a little accuracy. The in-graph
   post-processing (argmax, gathers, coordinates) stays float, and so do the convolutions that
   cost most accuracy when quantised (:func:`float_convolutions`: the stem, the top FPN stage, the
   heads' depthwise convolutions and the heads whose values are used as they are).
3. Calibration: activation ranges from network inputs generated from the bundled example image
   ``movenet/data/astronaut.jpg`` only (crops at several scales and positions, mirrored, darker
   and brighter, crops running past the image edge, the person shrunk on a black canvas), so no
   dataset is needed at run time and the file is reproducible: the generator is seeded. (COCO
   images as calibration data did no better: the loss comes from the layers, not the ranges.)

Measured alternatives that did not help (Lightning, one thread): QOperator instead of QDQ (same
speed: ONNX Runtime fuses the QDQ form into the same QLinearConv kernels), 8-bit weights
(``reduce_range=False``: same speed on this VNNI CPU, slightly smaller keypoint shift, but not
safe on CPUs without VNNI).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Collection, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: Bump when the recipe or the calibration data change, to invalidate cached int8 files.
QUANTIZER_VERSION = "3"
#: Variant name of the int8 file (``movenet-<model>-int8.<key>.onnx``).
INT8_VARIANT = "int8"
#: Operator types quantised: the convolutions and their activations (see the module docstring).
QUANTIZED_OP_TYPES = ("Conv", "Clip", "Relu")
#: Output heads of the single-pose models whose 1x1 convolutions are quantised (names of their
#: outputs in the TF.js graph), see :func:`float_convolutions`.
SINGLE_POSE_QUANTIZED_HEADS = ("kpt_heatmap", "kpt_regress")
#: Number of calibration inputs generated from the example image.
CALIBRATION_SAMPLES = 48


def example_image() -> np.ndarray:
    """The bundled example photo as an HxWx3 uint8 RGB array."""
    from movenet.io.images import load_image

    return load_image(Path(str(resources.files("movenet") / "data" / "astronaut.jpg")))


def _variations(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`image` mirrored half the time, and its brightness and contrast changed a little."""
    out = image[:, ::-1] if rng.random() < 0.5 else image
    gain = rng.uniform(0.6, 1.3)
    bias = rng.uniform(-25.0, 25.0)
    return np.clip(out.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)


def _shrunk_on_canvas(image: np.ndarray, scale: float, rng: np.random.Generator,
                      canvas: tuple[int, int] | None = None) -> np.ndarray:
    """`image` resized by `scale` and pasted at a random place on a black canvas (small people)."""
    from PIL import Image

    h, w = image.shape[:2]
    ch, cw = canvas or (h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray(image).resize((sw, sh), Image.Resampling.BILINEAR))
    out = np.zeros((ch, cw, 3), dtype=np.uint8)
    y = int(rng.integers(0, max(ch - sh, 0) + 1))
    x = int(rng.integers(0, max(cw - sw, 0) + 1))
    out[y:y + sh, x:x + sw] = small[:ch - y, :cw - x]
    return out


def calibration_inputs(model: str, count: int = CALIBRATION_SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """`count` int32 network inputs for `model`, made as the detector makes them, from variations of
    the bundled example image (deterministic for a given seed)."""
    from movenet.constants import INPUT_SIZES
    from movenet.crop import CropRegion, crop_and_resize, init_crop_region

    rng = np.random.default_rng(seed)
    base = example_image()
    h, w = base.shape[:2]
    inputs: list[np.ndarray] = []
    if model == "multipose":
        from movenet.multipose import MultiPoseDetector

        for k in range(count):
            image = _variations(base, rng)
            kind = k % 3
            if kind == 1:  # a crop of another aspect ratio: other input shapes
                ch = int(h * rng.uniform(0.5, 1.0))
                cw = int(w * rng.uniform(0.5, 1.0))
                y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
                image = image[y:y + ch, x:x + cw]
            elif kind == 2:  # the person small in a wider or taller frame
                canvas = (h, int(w * rng.uniform(1.0, 2.0))) if rng.random() < 0.5 else (int(h * rng.uniform(1, 2)), w)
                image = _shrunk_on_canvas(image, rng.uniform(0.25, 0.8), rng, canvas)
            inputs.append(MultiPoseDetector.preprocess_image(np.ascontiguousarray(image)))
        return inputs
    size = INPUT_SIZES[model]
    for k in range(count):
        image = _variations(base, rng)
        if k == 0:
            region = init_crop_region(True, h, w)
        elif k % 4 == 3:  # the person small in the frame, as on the first frames of a video
            image = _shrunk_on_canvas(image, rng.uniform(0.3, 0.8), rng)
            region = init_crop_region(True, h, w)
        else:  # crops around the body at several scales, some running past the image edge
            side = rng.uniform(0.45, 1.3)
            cy, cx = rng.uniform(0.3, 0.75), rng.uniform(0.3, 0.7)
            region = CropRegion(cy - side / 2, cx - side / 2, cy + side / 2, cx + side / 2)
        inputs.append(crop_and_resize(image, region, size)[None])
    return inputs


class _Reader:
    """onnxruntime.quantization CalibrationDataReader over a list of inputs."""

    def __init__(self, input_name: str, inputs: list[np.ndarray]) -> None:
        self._name = input_name
        self._inputs = inputs
        self._iter: Iterator[np.ndarray] = iter(inputs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        x = next(self._iter, None)
        return None if x is None else {self._name: x}

    def rewind(self) -> None:
        self._iter = iter(self._inputs)


def float_convolutions(model: Any, quantized_heads: Collection[str] = ()) -> list[str]:
    """Names of the Conv nodes the recipe keeps in float, found by structure (heads by the names of
    their outputs in the TF.js graph, ``.../kpt_heatmap_0/...``):

    * the stem: every convolution before the second stride-2 one (MobileNetV2's first 3x3
      convolution and first inverted-residual block, at half the input resolution), except the
      last one, the 1x1 expansion feeding that stride-2 convolution. The expansion's output is the
      network's largest tensor (96x96x96 in Lightning); keeping the expansion in float made
      ONNX Runtime quantise, reorder and transpose that tensor (0.7 ms of Lightning's 6 ms, with
      the float convolution itself the costliest node), while its 16-channel input is six times
      smaller, and quantising the expansion alone moves the keypoints no more than the noise
      (median shift 2.0 against 2.2 px);
    * the tail: every convolution downstream of the last Resize (the top FPN stage at output
      stride 4 and the output heads), except the 1x1 convolutions of the heads named in
      `quantized_heads`: a head's convolutions are those between the tensor that feeds all the
      heads and the head's named output.

    Measured one convolution at a time (Lightning, COCO val images, mean keypoint shift at the
    network input): the eight most sensitive convolutions, 1.3 to 7.3 px each, all lie in the stem
    and the tail; each of the 56 others moves the keypoints by at most 0.9 px (median 0.13). In
    the tail, the top FPN stage, the depthwise convolution of each head and the keypoint offset
    head (its output is added to the keypoint coordinates as it is) are the sensitive ones; the
    1x1 convolutions of the keypoint heatmap and regression heads are not, in the single-pose
    models (they only steer argmaxes and the heatmap's score resolution is ample), and quantising
    them saves 0.3 ms on Lightning (:data:`SINGLE_POSE_QUANTIZED_HEADS`). MultiPose keeps all its
    heads in float: its centre heatmap is the person score and quantising it cost 6 AP points,
    its box and keypoint-heatmap heads moved the keypoints twice as far.
    """
    nodes = list(model.graph.node)  # ONNX graphs are stored in topological order
    stem: list[str] = []
    strided = 0
    for node in nodes:
        if node.op_type != "Conv":
            continue
        strides = next((list(a.ints) for a in node.attribute if a.name == "strides"), [1, 1])
        strided += max(strides) > 1
        if strided >= 2:
            break
        stem.append(node.name)
    stem = stem[:-1]  # the expansion feeding the second stride-2 convolution is quantised
    consumers: dict[str, list[Any]] = {}
    producers: dict[str, Any] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
        for name in node.output:
            producers[name] = node
    resizes = [n for n in nodes if n.op_type == "Resize"]
    downstream: set[str] = set()
    stack = resizes[-1:]
    while stack:
        node = stack.pop()
        for out in node.output:
            for c in consumers.get(out, []):
                if c.name not in downstream:
                    downstream.add(c.name)
                    stack.append(c)
    tail = [n for n in nodes if n.op_type == "Conv" and n.name in downstream]
    quantized: set[str] = set()
    # The tensor feeding every head: the first one after the last Resize read by several convolutions.
    branch = next((out for n in nodes if n.name in downstream for out in n.output
                   if sum(c.op_type == "Conv" for c in consumers.get(out, [])) >= 2), None)
    if branch is not None:
        for head in quantized_heads:
            stack = [producers[out] for n in nodes if n.name in downstream for out in n.output
                     if f"/{head}_" in out]
            seen: set[str] = set()
            while stack:  # back from the head's output to the branch
                node = stack.pop()
                if node.name in seen:
                    continue
                seen.add(node.name)
                if node.op_type == "Conv" and next((a.i for a in node.attribute if a.name == "group"), 1) == 1:
                    quantized.add(node.name)
                stack += [producers[i] for i in node.input
                          if i != branch and i in producers and producers[i].name in downstream]
    return stem + [n.name for n in tail if n.name not in quantized]


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime.quantization logs through the root logger's module functions, which install a
    stderr handler on the root logger (`logging.basicConfig`) when it has none: give it a null one
    for the duration, so quantising neither prints nor changes the application's logging."""
    root = logging.getLogger()
    handler = logging.NullHandler() if not root.handlers else None
    if handler is not None:
        root.addHandler(handler)
    try:
        yield
    finally:
        if handler is not None:
            root.removeHandler(handler)


def quantize_model(fp32_path: Path, target: Path, model: str, *, samples: int = CALIBRATION_SAMPLES,
                   keep_float: bool = True) -> Path:
    """Write the int8 QDQ form of the fp32 ONNX model at `fp32_path` (MoveNet `model`) to `target`.

    keep_float=False quantises every convolution (for comparison: much less accurate)."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    target.parent.mkdir(parents=True, exist_ok=True)
    # Work beside the target, so the final rename is atomic (a crash never leaves a half-written
    # model under the name) and stays on one file system.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".quantize-") as tmp:
        optimized = Path(tmp) / "optimized.onnx"
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(optimized)
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(fp32_path), opts, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        del session
        proto = onnx.load(str(optimized))
        for k, node in enumerate(proto.graph.node):  # the optimiser leaves nodes unnamed; exclusion goes by name
            if not node.name:
                node.name = f"{node.op_type}_{k}"
        # Step 1 is the quantiser's recommended pre-processing: say so (else it logs a warning).
        onnx.helper.set_model_props(proto, {"onnx.quant.pre_process": "onnxruntime.quant"})
        onnx.save(proto, str(optimized))
        heads = () if model == "multipose" else SINGLE_POSE_QUANTIZED_HEADS
        exclude = float_convolutions(proto, heads) if keep_float else []
        out = Path(tmp) / "int8.onnx"
        with _quiet_root_logger():
            quantize_static(
                str(optimized), str(out), _Reader(input_name, calibration_inputs(model, samples)),
                quant_format=QuantFormat.QDQ, op_types_to_quantize=list(QUANTIZED_OP_TYPES),
                nodes_to_exclude=exclude,
                per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
                activation_type=QuantType.QUInt8, calibrate_method=CalibrationMethod.MinMax,
                extra_options={"CalibTensorRangeSymmetric": False, "CalibMovingAverage": False},
            )
        os.replace(out, target)
    return target


def int8_model_path(name: str, model_dir: str | Path | None = None) -> Path:
    """Path of the int8 model for `name`, quantising the fp32 conversion first if needed (a few
    seconds, once)."""
    from movenet.models.checksum import file_problem, write_checksum
    from movenet.models.fetch import cache_dir
    from movenet.models.store import onnx_model_path

    fp32 = onnx_model_path(name, model_dir)
    key = hashlib.sha256(f"{fp32.name}{QUANTIZER_VERSION}{CALIBRATION_SAMPLES}".encode()).hexdigest()[:16]
    stem = fp32.name.split(".", 1)[0]
    folder = fp32.parent if os.access(fp32.parent, os.W_OK) else cache_dir() / "converted"
    target = folder / f"{stem}-{INT8_VARIANT}.{key}.onnx"
    problem = file_problem(target)
    if problem is not None:
        again = "" if problem == "is missing" else f"{target} {problem}; "
        print(f"movenet: {again}quantising {stem} to int8 (once) ...", file=sys.stderr)
        quantize_model(fp32, target, name)
        write_checksum(target)
    return target
