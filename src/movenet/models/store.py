"""Convert once, then load: the ONNX form of each model, cached beside its TF.js source.

The cache key is the source files' pinned sha256 plus the converter's version, so a new
converter or different weights never reuse a stale conversion.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from movenet.models.catalog import get_spec
from movenet.models.fetch import cache_dir, model_files
from movenet.runtime import Backend, create_backend

#: Bump when the converter's output changes, to invalidate cached conversions.
CONVERTER_VERSION = "1"


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK)


def onnx_model_path(name: str, model_dir: str | Path | None = None, *, extra_outputs: dict[str, int] | None = None,
                    variant: str = "") -> Path:
    """Path of the converted ONNX model for `name`, converting it first if needed."""
    json_path, _ = model_files(name, model_dir)
    spec = get_spec(name)
    key = hashlib.sha256(
        f"{spec.json_sha256}{spec.bin_sha256}{CONVERTER_VERSION}{sorted((extra_outputs or {}).items())}".encode()
    ).hexdigest()[:16]
    folder = json_path.parent if _writable(json_path.parent) else cache_dir() / "converted"
    target = folder / f"{json_path.stem}{('-' + variant) if variant else ''}.{key}.onnx"
    if target.is_file():
        return target
    from movenet.models.tfjs import read_graph_model
    from movenet.models.to_onnx import convert_graph

    print(f"movenet: converting {json_path.name} to ONNX (once) ...", file=sys.stderr)
    model = convert_graph(read_graph_model(json_path), extra_outputs=extra_outputs)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".onnx.part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model.SerializeToString())
        os.replace(tmp, target)  # atomic: a crash never leaves a half-written model under the name
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_network(name: str, model_dir: str | Path | None = None, *, backend: str = "onnxruntime",
                 threads: int | None = None) -> Backend:
    """The named MoveNet network, converted if needed and loaded on `backend`."""
    return create_backend(onnx_model_path(name, model_dir), backend=backend, threads=threads)
