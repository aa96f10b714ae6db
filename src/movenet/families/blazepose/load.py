"""Load a BlazePose detector by model name: the person detector plus one landmark network
(a hook for ``create_detector`` / the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from movenet.families.blazepose.constants import MODEL_TYPES
from movenet.families.blazepose.detector import BlazePoseDetector

__all__ = ["MODEL_NAMES", "load_blazepose"]

#: The user-facing model names and their landmark network.
MODEL_NAMES: dict[str, str] = {f"blazepose-{t}": t for t in MODEL_TYPES}


def load_blazepose(model: str = "blazepose-full", model_dir: str | Path | None = None, *,
                   backend: str = "onnxruntime", threads: int | None = None, **options: Any) -> BlazePoseDetector:
    """A :class:`BlazePoseDetector` for ``model`` (``blazepose-lite|full|heavy``, or just
    ``lite|full|heavy``) on converted networks (fetched and converted on first use);
    ``options`` are :class:`~movenet.families.blazepose.options.BlazePoseOptions` fields."""
    model_type = MODEL_NAMES.get(model, model)
    if model_type not in MODEL_TYPES:
        raise ValueError(f"unknown BlazePose model {model!r}; available: {', '.join(MODEL_NAMES)}")
    from movenet.models.store import load_network

    detector = load_network("blazepose-detector", model_dir, backend=backend, threads=threads)
    landmarks = load_network(f"blazepose-{model_type}", model_dir, backend=backend, threads=threads)
    return BlazePoseDetector(detector, landmarks, model_type=model_type, **options)
