"""Inference backends behind one small interface, so detectors never import an engine directly.

A backend loads an ONNX file and runs it: `run(input) -> list of outputs`. It knows nothing of
MoveNet. Add an engine by writing a class with this shape and registering it in `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np


class Backend(Protocol):
    """A loaded network ready to run on one input tensor."""

    name: str
    input_name: str
    output_names: list[str]

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        """Run the network on one input; returns the outputs in `output_names` order."""
        ...


def _onnxruntime(model_path: Path, threads: int | None) -> Backend:
    from movenet.runtime.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(model_path, threads=threads)


BACKENDS: dict[str, Callable[[Path, int | None], Backend]] = {"onnxruntime": _onnxruntime}


def create_backend(model_path: str | Path, backend: str = "onnxruntime", threads: int | None = None) -> Backend:
    """Load `model_path` on the named backend; `threads` = intra-op threads (None: engine default)."""
    factory = BACKENDS.get(backend)
    if factory is None:
        raise ValueError(f"unknown backend {backend!r}; available: {', '.join(sorted(BACKENDS))}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    return factory(Path(model_path), threads)
