"""ONNX Runtime on an NVIDIA GPU (``pip install onnxruntime-gpu``, a CUDA device and its drivers).

Importing this module fails with ImportError where ONNX Runtime has no CUDAExecutionProvider,
so that ``backend_available("cuda")`` is False on machines without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime as ort

from movenet.errors import ModelFileError
from movenet.runtime.onnxruntime import OnnxRuntimeBackend

if "CUDAExecutionProvider" not in ort.get_available_providers():
    raise ImportError("ONNX Runtime here has no CUDAExecutionProvider (offers: "
                      f"{', '.join(ort.get_available_providers())}); install onnxruntime-gpu on a machine with "
                      "an NVIDIA GPU")


class OnnxRuntimeCudaBackend(OnnxRuntimeBackend):
    """Runs an ONNX model on ONNX Runtime's CUDA execution provider (the CPU for what it lacks)."""

    name = "cuda"
    engine_label = " (CUDA)"

    def __init__(self, model_path: Path, threads: int | None = None, device_id: int = 0, *,
                 spin_wait: bool = True) -> None:
        self.providers: tuple[Any, ...] = (("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider")
        super().__init__(model_path, threads, spin_wait=spin_wait)

    def _check_session(self, model_path: Path) -> None:
        if "CUDAExecutionProvider" not in self._session.get_providers():
            raise ModelFileError(f"{model_path}: ONNX Runtime could not start CUDA (no usable GPU or driver)")
