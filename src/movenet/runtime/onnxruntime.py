"""ONNX Runtime backend (CPU); :mod:`movenet.runtime.cuda` is the same session on the CUDA provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from movenet.errors import ModelFileError


class OnnxRuntimeBackend:
    """Runs an ONNX model with ONNX Runtime's CPU execution provider."""

    name = "onnxruntime"
    #: What the session runs on, in ONNX Runtime's order of preference.
    providers: tuple[Any, ...] = ("CPUExecutionProvider",)
    #: Said after "ONNX Runtime" in load errors.
    engine_label = ""

    def __init__(self, model_path: Path, threads: int | None = None, *, spin_wait: bool = True) -> None:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # warnings about folded constants are noise for users
        if threads is not None:  # (with a GPU provider: the threads of the CPU fallback)
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        if not spin_wait:  # idle workers sleep instead of spinning: leaves the cores to other processes
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(model_path), opts, providers=list(self.providers))
        except Exception as exc:  # ORT raises its own exception types for bad files
            raise ModelFileError(f"{model_path}: ONNX Runtime{self.engine_label} could not load the model "
                                 f"({exc})") from exc
        self._check_session(model_path)
        self.input_name = self._session.get_inputs()[0].name
        self.output_names = [o.name for o in self._session.get_outputs()]
        self.threads = threads
        self.spin_wait = spin_wait

    def _check_session(self, model_path: Path) -> None:
        """Raise ModelFileError when the session cannot run as asked (the CPU always can)."""

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        return list(self._session.run(self.output_names, {self.input_name: inputs}))
