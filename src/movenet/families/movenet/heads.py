"""The four output heads of the single-pose MoveNet graphs, found by name and exposed as outputs.

The published SinglePose graphs end in a CenterNet-style head block (at output stride 4, a
48x48 grid for Lightning, 64x64 for Thunder) followed by in-graph post-processing that turns it
into the (1, 1, 17, 3) output. The heads, as TF tensors:

=============  ===========================================================  ===================
head           tensor                                                       shape (Lightning)
=============  ===========================================================  ===================
centre         ``StatefulPartitionedCall/Sigmoid_1``                        (1, 48, 48, 1)
               (= sigmoid of ``center_0/conv2d_4/BiasAdd``)
regression     ``StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd``   (1, 48, 48, 34)
heatmaps       ``StatefulPartitionedCall/Sigmoid``                          (1, 48, 48, 17)
               (= sigmoid of ``kpt_heatmap_0/conv2d_5/BiasAdd``)
offsets        ``StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd``    (1, 48, 48, 34)
=============  ===========================================================  ===================

(all under ``StatefulPartitionedCall/``). The two heatmaps are taken after the graph's
``Sigmoid`` (the activation of the head) so the decoder in :mod:`movenet.families.movenet.decode` starts from
exactly the values the in-graph post-processing starts from. Regression and offsets hold
(dy, dx) pairs per keypoint in grid cells: channels ``2k`` and ``2k + 1``.

:func:`head_tensor_names` finds them in a model.json by structure (the ``_FusedConv2D`` whose
name is ``…/<head>_0/…/BiasAdd``, and the ``Sigmoid`` applied to it) rather than trusting the
names above, so a re-exported graph with other numbering still works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movenet.errors import ModelFileError
from movenet.families.movenet.crop_region import CropRegion
from movenet.models.fetch import model_files
from movenet.models.store import onnx_model_path
from movenet.runtime import Network, create_backend
from movenet.types import NUM_KEYPOINTS

__all__ = [
    "HEAD_KEYS",
    "HEADS_VARIANT",
    "Heads",
    "head_output_indices",
    "head_tensor_names",
    "heads_from_outputs",
    "heads_onnx_path",
    "load_heads_network",
]

#: The heads, in the order of :class:`Heads` fields and of the extra outputs.
HEAD_KEYS: tuple[str, ...] = ("center", "regress", "heatmaps", "offsets")
#: Graph scope of each head's last convolution.
_SCOPES = {"center": "center_0", "regress": "kpt_regress_0", "heatmaps": "kpt_heatmap_0", "offsets": "kpt_offset_0"}
_CHANNELS = {"center": 1, "regress": 2 * NUM_KEYPOINTS, "heatmaps": NUM_KEYPOINTS, "offsets": 2 * NUM_KEYPOINTS}
#: ``variant`` of the converted ONNX file with the heads as extra outputs.
HEADS_VARIANT = "heads"


@dataclass(frozen=True)
class Heads:
    """The network's head outputs for one crop, at output stride 4 (grid ``G = input_size / 4``).

    center: (G, G, 1) person-centre heatmap, after sigmoid.
    regress: (G, G, 34) keypoint regression: per keypoint k, (dy, dx) in grid cells from the
        cell to the keypoint (channels 2k, 2k + 1).
    heatmaps: (G, G, 17) keypoint heatmaps, after sigmoid.
    offsets: (G, G, 34) sub-pixel offsets: per keypoint k, (dy, dx) in grid cells (2k, 2k + 1).
    crop: the normalized image crop the network saw.
    image_size: (height, width) of the image the crop is from, in pixels.
    raw: (17, 3) the graph's own output for this crop (y, x, score in crop coordinates).
    input_size: the network input side (192 Lightning, 256 Thunder).
    """

    center: np.ndarray
    regress: np.ndarray
    heatmaps: np.ndarray
    offsets: np.ndarray
    crop: CropRegion
    image_size: tuple[int, int]
    raw: np.ndarray
    input_size: int

    @property
    def grid_size(self) -> tuple[int, int]:
        """(rows, columns) of the head grid."""
        return int(self.center.shape[0]), int(self.center.shape[1])


def _nodes(json_path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(Path(json_path).read_text(encoding="utf-8"))
        nodes: list[dict[str, Any]] = doc["modelTopology"]["node"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{json_path}: not a readable TF.js graph model ({exc})") from exc
    return nodes


def head_tensor_names(json_path: str | Path) -> dict[str, str]:
    """The TF tensor names of the four heads in a single-pose model.json, keyed by HEAD_KEYS.

    Each head ends in a ``_FusedConv2D`` named ``…/<scope>_0/…/BiasAdd``; for the two heatmaps
    the graph's ``Sigmoid`` applied to that convolution is returned instead.
    """
    nodes = _nodes(Path(json_path))
    convs: dict[str, str] = {}
    for node in nodes:
        parts = node["name"].split("/")
        if node["op"] != "_FusedConv2D" or parts[-1] != "BiasAdd":
            continue
        for key, scope in _SCOPES.items():
            if scope in parts:
                if key in convs:
                    raise ModelFileError(f"{json_path}: two candidate {key} heads ({convs[key]}, {node['name']})")
                convs[key] = node["name"]
    missing = [k for k in HEAD_KEYS if k not in convs]
    if missing:
        raise ModelFileError(f"{json_path}: no {', '.join(missing)} head found (not a single-pose MoveNet?)")
    sigmoid_of = {
        node["input"][0].split(":")[0]: node["name"] for node in nodes if node["op"] == "Sigmoid" and node.get("input")
    }
    names = dict(convs)
    for key in ("center", "heatmaps"):
        if convs[key] not in sigmoid_of:
            raise ModelFileError(f"{json_path}: no Sigmoid applied to the {key} head {convs[key]}")
        names[key] = sigmoid_of[convs[key]]
    return names


def heads_onnx_path(name: str, model_dir: str | Path | None = None) -> Path:
    """The converted ONNX file of `name` with the heads as extra outputs (converted once)."""
    json_path, _ = model_files(name, model_dir)
    names = head_tensor_names(json_path)
    return onnx_model_path(name, model_dir, extra_outputs={names[k]: 4 for k in HEAD_KEYS}, variant=HEADS_VARIANT)


def load_heads_network(name: str, model_dir: str | Path | None = None, *, backend: str = "onnxruntime",
                       threads: int | None = None, spin_wait: bool = True) -> Network:
    """The single-pose network `name` whose outputs are the graph output, then the four heads."""
    if name not in ("lightning", "thunder"):
        raise ValueError(f"heads are only defined for the single-pose models, not {name!r}")
    return create_backend(heads_onnx_path(name, model_dir), backend=backend, threads=threads, spin_wait=spin_wait)


def head_output_indices(output_names: Sequence[str]) -> list[int] | None:
    """Positions of the four heads among a backend's outputs (HEAD_KEYS order), or None if absent."""
    found: dict[str, int] = {}
    for i, out in enumerate(output_names):
        parts = out.split("/")
        if out.endswith("/Sigmoid_1"):
            found["center"] = i
        elif out.endswith("/Sigmoid"):
            found["heatmaps"] = i
        elif parts[-1] == "BiasAdd":
            for key in ("regress", "offsets"):
                if _SCOPES[key] in parts:
                    found[key] = i
    if len(found) != len(HEAD_KEYS):
        return None
    return [found[k] for k in HEAD_KEYS]


def heads_from_outputs(outputs: Sequence[np.ndarray], indices: Sequence[int], crop: CropRegion,
                       image_size: tuple[int, int], input_size: int) -> Heads:
    """A :class:`Heads` from one run of a heads network (`indices` from :func:`head_output_indices`)."""
    arrays = {}
    grid = input_size // 4
    for key, i in zip(HEAD_KEYS, indices, strict=True):
        a = outputs[i]
        if a.shape != (1, grid, grid, _CHANNELS[key]):
            raise RuntimeError(f"Unexpected {key} head shape from model: {list(a.shape)}")
        arrays[key] = a[0]
    raw = outputs[0]
    if raw.shape != (1, 1, NUM_KEYPOINTS, 3):
        raise RuntimeError(f"Unexpected output shape from model: {list(raw.shape)}")
    return Heads(center=arrays["center"], regress=arrays["regress"], heatmaps=arrays["heatmaps"],
                 offsets=arrays["offsets"], crop=crop, image_size=image_size,
                 raw=raw.reshape(NUM_KEYPOINTS, 3), input_size=input_size)
