"""Inference backends behind one small interface, so detectors never import an engine directly.

A backend loads an ONNX file and runs it: `run(input) -> list of outputs`. It knows nothing of
MoveNet. Add an engine by writing a class with this shape and registering it in `BACKENDS`.

Engines: "onnxruntime" (the default, always installed), "openvino" (optional:
``pip install openvino``) and "cuda" (ONNX Runtime's CUDA provider: ``onnxruntime-gpu`` and an
NVIDIA GPU). A backend may also apply a reduced compute precision to an fp32 model
when it loads it (`inference_precision`, see `INFERENCE_PRECISIONS`): OpenVINO's bf16 and fp16.
"""

from __future__ import annotations

import importlib
import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from movenet.errors import MovenetError


class Network(Protocol):
    """A loaded network ready to run on one input tensor (the engine's name is `name`)."""

    name: str
    input_name: str
    output_names: list[str]

    def run(self, inputs: np.ndarray) -> list[np.ndarray]:
        """Run the network on one input; returns the outputs in `output_names` order."""
        ...


#: The former name of :class:`Network`.
Backend = Network


class BackendUnavailableError(MovenetError, ImportError):
    """A known backend whose engine is not installed (e.g. ``openvino`` without ``pip install openvino``)."""


#: Called as ``factory(model_path, threads, spin_wait=...)``, plus ``inference_precision=`` for a
#: precision other than "fp32" (only for backends whose `INFERENCE_PRECISIONS` entry lists it).
BackendFactory = Callable[..., Backend]


def _onnxruntime(model_path: Path, threads: int | None, *, spin_wait: bool = True) -> Backend:
    from movenet.runtime.onnxruntime import OnnxRuntimeBackend  # lazily: only the engine asked for is imported

    return OnnxRuntimeBackend(model_path, threads=threads, spin_wait=spin_wait)


def _openvino(model_path: Path, threads: int | None, *, spin_wait: bool = True,
              inference_precision: str = "fp32") -> Backend:
    del spin_wait  # OpenVINO's CPU plugin manages its own thread waiting
    try:
        from movenet.runtime.openvino import OpenVinoBackend  # optional dependency, imported on demand
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend 'openvino' is not available ({exc}): pip install 'openvino>=2025.4'") from exc
    return OpenVinoBackend(model_path, threads=threads, inference_precision=inference_precision)


def _cuda(model_path: Path, threads: int | None, *, spin_wait: bool = True) -> Backend:
    try:
        from movenet.runtime.cuda import OnnxRuntimeCudaBackend
    except ImportError as exc:
        raise BackendUnavailableError(f"backend 'cuda' is not available: {exc}") from exc
    return OnnxRuntimeCudaBackend(model_path, threads=threads, spin_wait=spin_wait)


BACKENDS: dict[str, BackendFactory] = {"onnxruntime": _onnxruntime, "openvino": _openvino, "cuda": _cuda}

#: The compute precisions each backend can apply to an fp32 model at load time. ONNX Runtime
#: runs the fp32 file as it is (and int8 *files*, which are separate models: see
#: movenet.models.quantize); OpenVINO also offers bf16/fp16 compute, on CPUs that have it.
INFERENCE_PRECISIONS: dict[str, tuple[str, ...]] = {"onnxruntime": ("fp32",), "openvino": ("fp32", "bf16", "fp16"),
                                                   "cuda": ("fp32",)}

#: The module that implements each backend, imported by `backend_available`.
_BACKEND_MODULES = {"onnxruntime": "movenet.runtime.onnxruntime", "openvino": "movenet.runtime.openvino",
                    "cuda": "movenet.runtime.cuda"}


def backend_available(backend: str) -> bool:
    """Whether `backend` is registered and its engine is installed (and recent enough)."""
    if backend not in BACKENDS:
        return False
    module = _BACKEND_MODULES.get(backend)
    if module is None:
        return True
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def available_backends() -> list[str]:
    """The registered backends whose engine is installed, in name order."""
    return [b for b in sorted(BACKENDS) if backend_available(b)]


def check_backend(backend: str, inference_precision: str = "fp32") -> None:
    """ValueError if `backend` is unknown or cannot apply `inference_precision` (checked before any
    loading; whether the CPU supports a reduced precision is only known when compiling)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; available: {', '.join(sorted(BACKENDS))}")
    precisions = INFERENCE_PRECISIONS.get(backend, ("fp32",))
    if inference_precision not in precisions:
        others = [b for b, ps in sorted(INFERENCE_PRECISIONS.items()) if inference_precision in ps]
        hint = f" (use backend={others[0]!r})" if others else ""
        raise ValueError(f"backend {backend!r} cannot run precision {inference_precision!r}{hint}; "
                         f"it supports: {', '.join(precisions)}")


def is_count(value: object) -> bool:
    """Whether `value` is a whole number of at least 1 (numpy integers too; not a bool)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) >= 1


def check_threads(threads: object) -> None:
    """ValueError unless `threads` (a thread count option) is None or a whole number of at least 1."""
    if threads is not None and not is_count(threads):
        raise ValueError(f"threads must be a whole number >= 1 (or None: all cores), got {threads!r}")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def physical_cores() -> int:
    """The physical cores among those this process may run on: hyperthread siblings count once
    (Linux, from /sys/devices/system/cpu/*/topology; elsewhere :func:`available_cores`)."""
    try:
        cpus = os.sched_getaffinity(0)
        topology = Path("/sys/devices/system/cpu")
        cores = {(topology.joinpath(f"cpu{cpu}/topology/physical_package_id").read_text().strip(),
                  topology.joinpath(f"cpu{cpu}/topology/core_id").read_text().strip()) for cpu in cpus}
    except (AttributeError, OSError):
        return available_cores()
    return max(1, len(cores))


def create_backend(model_path: str | Path, backend: str = "onnxruntime", threads: int | None = None, *,
                   inference_precision: str = "fp32", spin_wait: bool = True) -> Backend:
    """Load `model_path` on the named backend; `threads` = intra-op threads (None: engine default);
    `spin_wait`: whether ONNX Runtime's worker threads busy-wait between operators.

    inference_precision: "fp32" (default), or a reduced compute precision the backend applies
    (see `INFERENCE_PRECISIONS`); ValueError when the backend or the CPU cannot run it.
    """
    check_backend(backend, inference_precision)
    check_threads(threads)
    factory = BACKENDS[backend]
    if inference_precision == "fp32":
        return factory(Path(model_path), threads, spin_wait=spin_wait)
    return factory(Path(model_path), threads, spin_wait=spin_wait, inference_precision=inference_precision)
