"""OpenVINO backend (CPU): the same ONNX file, compiled by OpenVINO with a latency hint.

Optional: needs ``pip install 'openvino>=2025.4'`` (the ``openvino`` extra). Besides fp32 it can run the
network in reduced precision (``inference_precision="bf16"`` or ``"fp16"``) through OpenVINO's
``INFERENCE_PRECISION_HINT``, on CPUs that have the instructions (bf16: AVX512-BF16 or AMX;
fp16: AVX512-FP16 / AMX-FP16). OpenVINO silently falls back to another precision where the CPU
lacks them; this backend reads the precision back after compiling and raises instead, so a
requested mode is either real or an error.

Models with a dynamic input (MultiPose: height and width vary with the image) are compiled once
per input shape on first use (about 0.5 s each; a video has one shape): a static compile runs
about 20% faster than OpenVINO's dynamic-shape mode on this network.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from movenet.errors import ModelFileError

try:
    import openvino as ov
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("OpenVINO is not installed") from exc

#: Older releases cannot compile the MoveNet graphs (their CPU plugin rejects the FPN's Resize on
#: NHWC tensors: "Interpolate layer only supports resize on spatial dimensions"); checked with
#: 2024.0, 2024.6, 2025.0, 2025.2 and 2025.3 (fail), 2025.4.0, 2025.4.1, 2026.0 and 2026.4.1 (pass).
MIN_VERSION = (2025, 4)


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("-")[0].split(".")[:2])
    except ValueError:
        return (0,)


if _version(ov.__version__) < MIN_VERSION:
    raise ImportError(f"OpenVINO {ov.__version__.split('-')[0]} is too old: MoveNet needs "
                      f"{'.'.join(map(str, MIN_VERSION))} or newer")

#: Our precision names -> OpenVINO's INFERENCE_PRECISION_HINT values.
_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
#: Compiled shapes kept per dynamic model (MultiPose with max dimension 256 has at most 15).
_MAX_SHAPES = 16

_core: Any = None
_core_lock = threading.Lock()


def core() -> Any:
    """The process-wide ``openvino.Core`` (creating one loads the plugins; do it once)."""
    global _core
    with _core_lock:
        if _core is None:
            _core = ov.Core()
        return _core


def supported_precisions() -> tuple[str, ...]:
    """The inference precisions this machine's CPU plugin reports (of fp32, bf16, fp16)."""
    caps = {str(c).upper() for c in core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")}
    return tuple(p for p in ("fp32", "bf16", "fp16") if p == "fp32" or p.upper() in caps)


def _unsupported(precision: str, fallback: str | None = None) -> str:
    instead = f"it would silently run as {fallback}" if fallback else "OpenVINO would silently use another one"
    return (f"precision {precision!r} is not supported by this CPU in OpenVINO ({instead}); "
            f"supported here: {', '.join(supported_precisions())}")


class OpenVinoBackend:
    """Runs an ONNX model with OpenVINO on the CPU.

    threads: INFERENCE_NUM_THREADS (None: OpenVINO's default, all cores). inference_precision:
    "fp32" (default), "bf16" or "fp16"; a precision the CPU cannot run raises ValueError.
    """

    name = "openvino"

    def __init__(self, model_path: Path, threads: int | None = None, inference_precision: str = "fp32") -> None:
        if inference_precision not in _HINTS:
            raise ValueError(f"unknown inference precision {inference_precision!r} for openvino; "
                             f"available: {', '.join(_HINTS)}")
        if inference_precision not in supported_precisions():  # before any (possibly deferred) compile
            raise ValueError(_unsupported(inference_precision))
        self.threads = threads
        self.precision = inference_precision
        self._config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY",
                                        "INFERENCE_PRECISION_HINT": _HINTS[inference_precision]}
        if threads is not None:
            self._config["INFERENCE_NUM_THREADS"] = int(threads)
        try:
            self._model = core().read_model(str(model_path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses of its own
            raise ModelFileError(f"{model_path}: OpenVINO could not read the model ({exc})") from exc
        self._path = model_path
        inputs = self._model.inputs
        if len(inputs) != 1:
            raise ModelFileError(f"{model_path}: expected one input, found {len(inputs)}")
        self.input_name = inputs[0].get_any_name()
        self.output_names = [o.get_any_name() for o in self._model.outputs]  # the ONNX names, in ONNX order
        self._dynamic = inputs[0].get_partial_shape().is_dynamic
        self._compiled: OrderedDict[tuple[int, ...] | None, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()  # an infer request is not thread-safe; ORT's session.run is
        if not self._dynamic:
            self._compiled[None] = self._compile(self._model)

    def _compile(self, model: Any) -> tuple[Any, Any]:
        try:
            compiled = core().compile_model(model, "CPU", self._config)
        except Exception as exc:
            raise ModelFileError(f"{self._path}: OpenVINO could not compile the model ({exc})") from exc
        if self.precision != "fp32":
            actual = compiled.get_property("INFERENCE_PRECISION_HINT")
            wanted = {"bf16": ov.Type.bf16, "fp16": ov.Type.f16}[self.precision]
            if actual != wanted:
                raise ValueError(_unsupported(self.precision, actual.get_type_name()))
        return compiled, compiled.create_infer_request()

    def _request(self, shape: tuple[int, ...]) -> Any:
        if not self._dynamic:
            return self._compiled[None][1]
        entry = self._compiled.get(shape)
        if entry is None:
            model = self._model.clone()
            model.reshape({0: ov.PartialShape(list(shape))})
            entry = self._compile(model)
            self._compiled[shape] = entry
            while len(self._compiled) > _MAX_SHAPES:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(shape)
        return entry[1]

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            request = self._request(tuple(int(d) for d in inputs.shape))
            request.infer({0: inputs})
            # The request reuses its output buffers on the next call: return copies.
            return [np.array(request.get_output_tensor(i).data, copy=True) for i in range(len(self.output_names))]

