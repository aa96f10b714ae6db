"""Model name (or alias) -> the family entry that knows how to build it.

Every family lists its models in its own ``entry.py`` (a tuple of
:class:`movenet.families.base.ModelEntry`); registering a family is one line in `_FAMILIES`.
``create_detector``, the CLI and the web server derive everything from here: the accepted names,
the choice lists, each model's options, skeleton and graphs.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from movenet.families.base import ModelEntry
from movenet.families.blazepose.entry import MODELS as BLAZEPOSE_MODELS
from movenet.families.movenet.entry import MODELS as MOVENET_MODELS
from movenet.families.posenet.entry import MODELS as POSENET_MODELS

__all__ = [
    "MODELS",
    "MODEL_NAMES",
    "canonical_model_name",
    "entry_for_graph",
    "get_entry",
    "models_with_option",
    "option_default",
    "option_names",
]

#: Each family's entries, in listing order.
_FAMILIES: tuple[tuple[ModelEntry, ...], ...] = (MOVENET_MODELS, BLAZEPOSE_MODELS, POSENET_MODELS)

#: Every model by canonical name, in listing order.
MODELS: dict[str, ModelEntry] = {entry.name: entry for family in _FAMILIES for entry in family}
#: The canonical model names (the CLI's and the web server's choices).
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
_ALIASES: dict[str, str] = {alias: e.name for e in MODELS.values() for alias in (e.name, *e.aliases)}


def canonical_model_name(model: str) -> str:
    """Our name for `model` (our name or an alias such as a TF.js model type, any case)."""
    name = _ALIASES.get(str(model).lower())
    if name is None:
        raise ValueError(f"Invalid architecture {model}. Should be one of {', '.join(MODEL_NAMES)}")
    return name


def get_entry(model: str) -> ModelEntry:
    """The registry entry of `model` (name or alias); ValueError naming the valid names."""
    return MODELS[canonical_model_name(model)]


def option_names(model: str) -> tuple[str, ...]:
    """The options `model` accepts (besides the engine options)."""
    return tuple(f.name for f in fields(get_entry(model).options))


def option_default(option: str) -> Any:  # noqa: ANN401 - whatever the option holds
    """The default of `option` in the first model that takes it; KeyError if none does."""
    for entry in MODELS.values():
        for f in fields(entry.options):
            if f.name == option:
                return f.default
    raise KeyError(option)


def models_with_option(option: str) -> list[str]:
    """The models that take `option`, in listing order."""
    return [name for name in MODELS if option in option_names(name)]


def entry_for_graph(graph: str) -> ModelEntry | None:
    """The first model that runs catalog graph `graph` (its family calibrates it), or None."""
    return next((e for e in MODELS.values() if graph in e.graphs), None)
