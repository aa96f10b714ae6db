"""MoveNet model files: the pinned catalog, and finding, fetching and verifying the files."""

from movenet.models.catalog import CATALOG, MODEL_NAMES, ModelSpec, get_spec
from movenet.models.fetch import cache_dir, fetch_models, list_models, model_files

__all__ = [
    "CATALOG",
    "MODEL_NAMES",
    "ModelSpec",
    "cache_dir",
    "fetch_models",
    "get_spec",
    "list_models",
    "model_files",
]
