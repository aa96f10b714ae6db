"""Model files: the pinned catalog, fetching and verifying them, converting (``convert/``),
quantising, and the cache of converted files (``store``)."""

from movenet.models.catalog import CATALOG, MODEL_NAMES, MODELS, GraphSpec, ModelSpec, get_model, get_spec
from movenet.models.fetch import cache_dir, fetch_models, list_models, model_files

__all__ = [
    "CATALOG",
    "MODELS",
    "MODEL_NAMES",
    "GraphSpec",
    "ModelSpec",
    "cache_dir",
    "fetch_models",
    "get_model",
    "get_spec",
    "list_models",
    "model_files",
]
