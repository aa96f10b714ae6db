"""ONNX Runtime on an NVIDIA GPU (``pip install onnxruntime-gpu``, a CUDA device and its drivers).

Importing this module fails with ImportError where ONNX Runtime has no CUDAExecutionProvider,
so that ``backend_available("cuda")`` is False on machines without it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from movenet.errors import ModelFileError

if "CUDAExecutionProvider" not in ort.get_available_providers():
    raise ImportError("ONNX Runtime here has no CUDAExecutionProvider (offers: "
                      f"{', '.join(ort.get_available_providers())}); install onnxruntime-gpu on a machine with "
                      "an NVIDIA GPU")


class OnnxRuntimeCudaBackend:
    """Runs an ONNX model on ONNX Runtime's CUDA execution provider (the CPU for what it lacks)."""

    name = "cuda"

    def __init__(self, model_path: Path, threads: int | None = None, device_id: int = 0, *,
                 spin_wait: bool = True) -> None:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if threads is not None:  # threads of the CPU fallback
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        if not spin_wait:
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(str(model_path), opts, providers=providers)
        except Exception as exc:
            raise ModelFileError(f"{model_path}: ONNX Runtime (CUDA) could not load the model ({exc})") from exc
        if "CUDAExecutionProvider" not in self._session.get_providers():
            raise ModelFileError(f"{model_path}: ONNX Runtime could not start CUDA (no usable GPU or driver)")
        self.input_name = self._session.get_inputs()[0].name
        self.output_names = [o.name for o in self._session.get_outputs()]
        self.threads = threads
        self.spin_wait = spin_wait

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        return list(self._session.run(self.output_names, {self.input_name: inputs}))
